"""``make bench``: SDKG's server against Oxigraph server and rdflib-endpoint, and the build at scale.

0. The request path (:mod:`bench.requestpath`): per-request overhead and throughput ratios,
   light queries and the catalog, with wrk, against ``oxigraph serve``, rdflib-endpoint, the
   naive app of :mod:`bench.naive` and (``--before DIR``) the code before a change; then the
   reliability run (:mod:`bench.reliability`): hostile clients and builds while serving.
1. Compare: one synthetic corpus is built with our pipeline and served by ``sdkg serve``,
   ``oxigraph serve`` and ``rdflib-endpoint``. Each query of the catalog (``queries/*.rq``
   without SERVICE, plus ``bench/queries/*.rq``) must return the same number of rows from all
   three; then per-query latency (p50, p95) and catalog throughput at 1, 8 and 32 clients.
2. Scale: for each corpus size, build time by phase (load, validate, rules, ...) against
   ``oxigraph load`` of the same files, store size, peak memory, and the catalog as ``/queries`` of
   ``sdkg serve`` (its defaults, the answer cache off) serves it: each query's first page of 100 rows,
   and its whole answer cut at the row cap.

Results go to ``bench/results/latest.md`` (and ``.json``). Everything is bounded: each
step in count and time, the whole run by ``--budget`` seconds (later steps are skipped,
and the report says so).

    python -m bench [--claims 2000] [--scales 160000] [--full] [--duration 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from sdkg.catalog import CannedQuery, CatalogError, Parameter, read_query
from sdkg.sparql import allocator
from sdkg.sparql.bindings import substitute
from sdkg.web.canned import makes_graph
from sdkg.web.paging import DEFAULT_SIZE
from sdkg.web.settings import Settings

from . import loadratio, servers
from .loadgen import Latency, Throughput, measure_get_latency, measure_latency, measure_throughput
from .memtree import TreeSampler
from .report import ms
from .synthetic import generate

REPO = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()
SYNTHETIC_DEFAULTS = {  # catalog parameters point at real entities; on synthetic data use synthetic ones
    "https://w3id.org/sdkg/id/actor/": "https://w3id.org/sdkg/id/actor/a1",
    "https://w3id.org/sdkg/id/case/": "https://w3id.org/sdkg/id/case/k1",
    "https://w3id.org/sdkg/id/claim/": "https://w3id.org/sdkg/id/claim/x3",
    "https://w3id.org/sdkg/id/concept/": "https://w3id.org/sdkg/id/concept/c1",
    "https://w3id.org/sdkg/id/source/": "https://w3id.org/sdkg/id/source/s0",
}


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def synthetic_term(parameter: Parameter) -> ox.NamedNode | ox.Literal:
    """A parameter's default pointed at a synthetic entity of the same kind (the search text: "security state")."""
    term = parameter.term()
    if isinstance(term, ox.NamedNode):
        for namespace, synthetic in SYNTHETIC_DEFAULTS.items():
            if term.value.startswith(namespace):
                return ox.NamedNode(synthetic)
    elif parameter.name == "text":
        return ox.Literal("security state")
    return term


def offline_queries(directory: Path) -> list[CannedQuery]:
    """The catalog queries of ``directory`` that run offline (no SERVICE), in name order."""
    found = []
    for path in sorted(directory.glob("*.rq")):
        try:
            canned = read_query(path)
        except CatalogError as error:
            log(f"skipping {path.name}: {error}")
            continue
        if not re.search(r"\bSERVICE\b", canned.text, re.IGNORECASE):
            found.append(canned)
    return found


def catalog() -> list[tuple[str, str]]:
    """(name, text) of every catalog query that runs offline, parameters bound to synthetic entities."""
    queries: list[tuple[str, str]] = []
    for directory, prefix in ((REPO / "queries", ""), (REPO / "bench" / "queries", "bench/")):
        for canned in offline_queries(directory):
            text = canned.text
            if canned.parameters:
                text = substitute(text, {p.name: synthetic_term(p) for p in canned.parameters})
            queries.append((prefix + canned.name, text))
    return queries


@dataclass(frozen=True)
class Served:
    """A catalog query as ``/queries`` serves it: the paths of its first page and of its whole answer."""

    name: str
    page: str
    """``/queries/{name}.json?size=100&…``: the first page, what ``/queries/{name}`` shows (a CONSTRUCT, which
    is not paged: ``/queries/{name}.ttl?…``, its whole answer)."""
    whole: str | None
    """``/queries/{name}.json?…``: the whole answer, cut at the server's row cap (``None`` for a CONSTRUCT: its
    page is its whole answer)."""


def served_catalog(
    directory: Path = REPO / "queries", value: Callable[[Parameter], ox.NamedNode | ox.Literal] = synthetic_term
) -> list[Served]:
    """Every catalog query of ``directory`` that runs offline, as a person asks ``/queries`` for it: each
    parameter given in the query string (an entity by its IRI, a text as it is), ``value`` of it (by default
    the synthetic entity of its kind)."""
    out = []
    for canned in offline_queries(directory):
        params = [(p.name, value(p).value) for p in canned.parameters]
        given = f"?{urlencode(params)}" if params else ""
        if makes_graph(canned):
            out.append(Served(canned.name, f"/queries/{canned.name}.ttl{given}", None))
            continue
        page = f"/queries/{canned.name}.json?{urlencode([('size', str(DEFAULT_SIZE)), *params])}"
        out.append(Served(canned.name, page, f"/queries/{canned.name}.json{given}"))
    return out


def publish_catalog(root: Path) -> None:
    """Put the repository's ``queries/`` in the synthetic project ``root`` (the generator writes none), so that
    its server answers ``/queries/{name}`` with the catalog being measured."""
    target = root / "queries"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "queries", target)


def over_budget(args: argparse.Namespace, step: str) -> bool:
    if time.monotonic() - STARTED > args.budget:
        log(f"over the {args.budget:g} s budget: skipping {step}")
        return True
    return False


def build(root: Path, memory_mb: float) -> dict[str, Any]:
    """``sdkg build`` in a child process: its phases, its peak memory from wait4 (the largest single process),
    and the peak of its whole process tree together (sampled, :class:`~bench.memtree.TreeSampler`).

    The child's address space is capped at ``memory_mb`` (``RLIMIT_AS``, what ``prlimit --as``
    sets), so that a build that outgrows it fails alone instead of starving the machine.
    """
    env = allocator.environment({k: v for k, v in os.environ.items() if k != "SDKG_STATE"})  # as `sdkg build`
    env["SDKG_SOURCES"] = str(root / "sources")
    command = [sys.executable, "-m", "bench.buildrun", str(root)]
    limit = int(memory_mb * 2**20)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, env=env, cwd=REPO, preexec_fn=cap if memory_mb > 0 else None
    )
    assert process.stdout is not None
    sampler = TreeSampler(process.pid)  # the build runs rules in processes of their own beside it
    output = process.stdout.read()
    tree_peak = sampler.stop()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"build of {root} failed")
    result: dict[str, Any] = json.loads(output)
    result["total_s"] = time.monotonic() - started
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["tree_peak_mb"] = tree_peak
    result["size_mb"] = servers.size_mb(Path(result["store"]))
    return result


def corpus(work: Path, claims: int, memory_mb: float, reuse: bool = False) -> tuple[Path, dict[str, Any]]:
    """The synthetic project of ``claims`` claims, generated and built (``reuse``: the one a former run built
    in ``work``, with that build's numbers, when there is one: a 500k-claim build takes most of an hour)."""
    root = work / f"claims-{claims}"
    former = root / "bench-build.json"
    if reuse and former.is_file() and (root / "var" / "current").exists():
        result: dict[str, Any] = json.loads(former.read_text(encoding="utf-8"))
        log(f"reusing the {claims}-claim build of {result.get('built_at', 'a former run')}")
        return root, result
    started = time.monotonic()
    generate(root, claims, progress=log)
    log(f"generated {claims} claims in {time.monotonic() - started:.1f} s; building")
    result = build(root, memory_mb)
    result["built_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    former.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["phases"].items())
    log(f"built {result['triples']:,} triples ({phases}), peak {result['peak_mb']:.0f} MB")
    return root, result


async def latencies(
    server: servers.Server, queries: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Latency]:
    """Each query's latency, within the run's budget and this server's own (``--server-budget``): a server that
    runs on with the queries its client gave up on (rdflib-endpoint, single-threaded) answers each next one
    after them, and once took 19 minutes and more over the catalog."""
    out: dict[str, Latency] = {}
    started = time.monotonic()
    for name, text in queries:
        if time.monotonic() - STARTED > args.budget:
            out[name] = Latency(None, 0, error="skipped: over the run's time budget")
            continue
        if time.monotonic() - started > args.server_budget:
            out[name] = Latency(None, 0, error=f"skipped: over this server's {args.server_budget:g} s for latencies")
            continue
        out[name] = await measure_latency(server.url, text, args.latency_runs, args.latency_seconds, args.timeout)
    return out


def compare(args: argparse.Namespace, work: Path, root: Path, queries: list[tuple[str, str]]) -> dict[str, Any]:
    """Start the three servers one after the other (so they do not share the two cores) and measure each."""
    store = ox.Store.read_only(str(root / "var" / "current" / "store"))
    nquads = work / "corpus.nq"
    store.dump(output=str(nquads), format=ox.RdfFormat.N_QUADS)
    del store
    oxigraph_dir = work / "oxigraph-compare"
    if oxigraph_dir.exists():
        subprocess.run(["rm", "-rf", str(oxigraph_dir)], check=True)
    servers.oxigraph_load(oxigraph_dir, [nquads], work / "logs")
    results: dict[str, Any] = {"servers": {}}
    starters = {
        "sdkg": lambda: servers.start_sdkg(  # no row cap, the same time limit, and no answer cache: each run evaluates
            root,
            work / "logs",
            args.timeout,
            ["--max-rows", "0", "--timeout", str(args.timeout), "--result-cache", "0"],
        ),
        "oxigraph": lambda: servers.start_oxigraph(oxigraph_dir, work / "logs", args.timeout),
        "rdflib-endpoint": lambda: servers.start_rdflib(nquads, work / "logs", args.rdflib_load_limit),
    }
    for name, start in starters.items():
        if name == "rdflib-endpoint" and args.skip_rdflib:
            continue
        if over_budget(args, f"the {name} comparison"):
            continue
        log(f"starting {name}")
        try:
            server = start()
        except RuntimeError as error:
            log(str(error))
            results["servers"][name] = {"error": str(error)}
            continue
        try:
            log(f"{name} ready in {server.started_s:.1f} s; latency over {len(queries)} queries")
            lat = asyncio.run(latencies(server, queries, args))
            runs: dict[str, Throughput] = {}
            working = [text for n, text in queries if lat[n].status == 200]
            for clients in args.clients:
                if over_budget(args, f"{name} throughput at {clients} clients"):
                    break
                cpu = server.cpu_seconds()
                result = asyncio.run(measure_throughput(server.url, working, clients, args.duration, args.grace))
                server_cpu = (server.cpu_seconds() - cpu) / result.seconds
                runs[str(clients)] = result
                log(
                    f"{name} @ {clients} clients: {result.qps:.1f} q/s ({result.errors} errors), "
                    f"server CPU {server_cpu:.2f} cores, load generator CPU {result.client_cpu:.2f} cores"
                )
                result.__dict__["server_cpu"] = server_cpu
            results["servers"][name] = {
                "startup_s": server.started_s,
                "peak_rss_mb": server.peak_rss_mb(),
                "latency": {
                    n: {
                        "rows": v.rows,
                        "status": v.status,
                        "p50": v.p50,
                        "p95": v.p95,
                        "n": len(v.samples),
                        "error": v.error,
                    }
                    for n, v in lat.items()
                },
                "throughput": {c: {**t.__dict__, "qps": t.qps} for c, t in runs.items()},
            }
        finally:
            server.stop()
    return results


SERVED_OPTIONS = ["--result-cache", "0"]
"""``sdkg serve``'s defaults (the row cap, every guard) but the answer cache: with it, every run after the
warm-up would be the same request answered from memory, and its p50 the cache's, not the query's."""
ROW_CAP = Settings(store_path=Path(".")).max_rows
"""The served row cap (``sdkg serve``'s default): where ``/queries/{name}.json`` cuts a whole answer."""


async def served_latencies(
    server: servers.Server, queries: list[Served], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Each query's first page and whole answer through ``/queries``, one after the other (``args.scale_runs``
    runs within ``args.latency_seconds`` each, after a warm-up). The client waits 10 s past the server's own
    time limit, so that a query over it is the server's answer (its status and message), not the client's."""
    out: dict[str, dict[str, Any]] = {}
    wait = args.timeout + 10
    for query in queries:
        measured: dict[str, Any] = {}
        for part, path in (("page", query.page), ("whole", query.whole)):
            if path is None:  # a CONSTRUCT: its page is its whole answer
                measured[part] = {**measured["page"], "note": "a CONSTRUCT is not paged: the same answer"}
                continue
            if time.monotonic() - STARTED > args.budget:
                lat = Latency(None, 0, error="skipped: over the run's time budget")
            else:
                lat = await measure_get_latency(server.url, path, args.scale_runs, args.latency_seconds, wait)
            measured[part] = {
                "path": path,
                "rows": lat.rows,
                "truncated": lat.truncated,
                "status": lat.status,
                "p50": lat.p50,
                "p95": lat.p95,
                "first": lat.first,
                "n": len(lat.samples),
                "error": lat.error,
            }
        out[query.name] = measured
        page, whole = measured["page"], measured["whole"]
        log(
            f"{query.name:30} page {page['rows']} rows p50 {ms(page['p50'])} ms; "
            f"whole {whole['rows']} rows{' (cut)' if whole['truncated'] else ''} p50 {ms(whole['p50'])} ms"
            + "".join(f"; {part}: {measured[part]['error'][:120]!r}" for part in measured if measured[part]["error"])
        )
    return out


def scale(
    args: argparse.Namespace, work: Path, sizes: list[int], reuse: dict[int, tuple[Path, dict[str, Any]]]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for claims in sizes:
        if over_budget(args, f"the {claims}-claim scale run"):
            rows.append({"claims": claims, "skipped": "over budget"})
            continue
        root, built = reuse[claims] if claims in reuse else corpus(work, claims, args.build_memory, args.reuse)
        location = work / f"oxigraph-load-{claims}"
        subprocess.run(["rm", "-rf", str(location)], check=True)
        log(f"oxigraph load of the same {len(servers.rdf_files(root))} files")
        reference = servers.oxigraph_load(location, servers.rdf_files(root), work / "logs")
        subprocess.run(["rm", "-rf", str(location)], check=True)
        log("oxigraph load of the same quads into the same named graphs (N-Quads, written before the clock starts)")
        quads = work / f"same-graphs-{claims}"
        same_graphs = servers.oxigraph_load(location, loadratio.same_graphs(root, quads), work / "logs")
        subprocess.run(["rm", "-rf", str(location), str(quads)], check=True)
        queries = served_catalog()  # read now: a long build may outlast edits to queries/
        publish_catalog(root)
        options = ["--timeout", str(args.timeout), *SERVED_OPTIONS]
        log(
            f"oxigraph load: {reference['seconds']:.1f} s; {len(queries)} catalog queries through /queries of "
            f"sdkg serve {' '.join(options)}: first page of {DEFAULT_SIZE} rows, whole answer cut at {ROW_CAP:,} rows"
        )
        server = servers.start_sdkg(root, work / "logs", args.timeout, options=options)
        try:
            catalog_runs = asyncio.run(served_latencies(server, queries, args))
        finally:
            server.stop()
        rows.append(
            {
                "claims": claims,
                "build": built,
                "oxigraph_load": reference,
                "oxigraph_load_same_graphs": same_graphs,
                "served": {"options": options, "page_size": DEFAULT_SIZE, "row_cap": ROW_CAP},
                "catalog": catalog_runs,
            }
        )
        for part, what in (("page", "first pages"), ("whole", "whole answers")):
            slow = [n for n, v in catalog_runs.items() if v[part]["p50"] is None or v[part]["p50"] >= 1.0]
            log(f"{claims} claims: {len(slow)} {what} with p50 >= 1 s or failing: {', '.join(slow) or 'none'}")
    return rows


def read_json(path: Path) -> dict[str, Any] | None:
    """A step's own results file, when it wrote one in this run."""
    if not path.is_file() or path.stat().st_mtime < time.time() - (time.monotonic() - STARTED):
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=2_000, help="corpus size of the three-server comparison")
    parser.add_argument(
        "--scales", default="160000", help="corpus sizes of the scale runs (claims; 160,000 claims: about 19M triples)"
    )
    parser.add_argument("--full", action="store_true", help="also the 1M-claim (about 29M triples) scale run")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput run")
    parser.add_argument("--grace", type=float, default=15.0, help="seconds in-flight requests may take after a run")
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--latency-seconds", type=float, default=2.0, help="time per query for latency samples")
    parser.add_argument("--scale-runs", type=int, default=5, help="latency samples per query in the scale runs")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-query limit (servers and client)")
    parser.add_argument(
        "--build-memory", type=float, default=8192, help="MB of address space each build may take (0: no cap)"
    )
    parser.add_argument("--rdflib-load-limit", type=float, default=300.0)
    parser.add_argument(
        "--server-budget", type=float, default=600.0, help="seconds for one server's latencies in the comparison"
    )
    parser.add_argument("--skip-rdflib", action="store_true")
    parser.add_argument("--skip-compare", action="store_true", help="only the scale runs (no three-server comparison)")
    parser.add_argument("--skip-request-path", action="store_true", help="no wrk request-path comparison")
    parser.add_argument("--skip-reliability", action="store_true", help="no hostile-load and builds-while-serving run")
    parser.add_argument("--before", type=Path, help="a checkout of the code before a change, with its own .venv")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a corpus a former run built in --work (its build numbers too)"
    )
    parser.add_argument("--budget", type=float, default=150 * 60, help="seconds for the whole run")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",") if c]
    sizes = [int(s) for s in args.scales.split(",") if s] + ([1_000_000] if args.full else [])
    args.work.mkdir(parents=True, exist_ok=True)
    queries = catalog()
    log(f"{len(queries)} catalog queries; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    machine = {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]}
    comparison: dict[str, Any] = {"servers": {}}
    reuse: dict[int, tuple[Path, dict[str, Any]]] = {}
    built: dict[str, Any] = {}
    if not (args.skip_request_path and args.skip_reliability and args.skip_compare):
        root, built = corpus(args.work, args.claims, args.build_memory, args.reuse)
        reuse[args.claims] = (root, built)
        from . import reliability, requestpath

        if not args.skip_request_path:
            requestpath.main(
                ["--corpus", str(root), "--out", str(args.out)]
                + (["--before", str(args.before)] if args.before else [])
            )
        if not args.skip_reliability:
            reliability.main(["--corpus", str(root), "--out", str(args.out)])
    if not args.skip_compare:
        root, built = reuse[args.claims]
        comparison = compare(args, args.work, root, queries)
    scales = scale(args, args.work, sizes, reuse)
    machine["load_average_at_end"] = os.getloadavg()[0]
    results = {
        "machine": machine,
        "args": {k: str(v) for k, v in vars(args).items()},
        "compare_claims": args.claims,
        "compare_build": built,
        "comparison": comparison,
        "scales": scales,
        "request_path": read_json(args.out / "requestpath-latest.json") if not args.skip_request_path else None,
        "seconds": time.monotonic() - STARTED,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    from .report import markdown

    text = markdown(results)
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    log(f"done in {time.monotonic() - STARTED:.0f} s; wrote {args.out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
