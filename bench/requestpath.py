"""The request path: what one SPARQL request costs in each server, from point lookups to the catalog.

Issue 17's measure. Every server answers the same queries on the same corpus, one server at
a time (so none shares the two cores with another): seven light queries (point lookups
``<claim> ?p ?o``, label lookups, an ASK, small joins) and the catalog (``queries/*.rq``
without SERVICE, parameters bound to synthetic entities). For each query, ``wrk`` (C, one
thread; :mod:`bench.wrk`) runs 1 client and then 8 clients for a few seconds each, GET with
JSON results, each run once the server is idle (:func:`wait_idle`: what a slow query's abandoned requests left
it is not counted against the next query), and a run that finished fewer than two requests once more, three
times as long, and then nine times (a server on one core, given 8 requests that take 0.8 s each, finishes
them all together after 6.4 s: a shorter window measured nothing, and the query dropped out of the means).
Reported: p50 at 1 client, requests per second at 1 and 8 clients, and the
geometric mean over the queries of each ratio, the server's and the generator's CPU.

Servers: ``sdkg serve`` with its defaults (every guard on: deadline with a hard kill,
SERVICE/LOAD guard, row and byte caps, logging, metrics), with the result cache off and on, and
with the cache off and its workers reading the store on disk (``--in-memory-max-quads 0``; by
default each worker of a build this small answers from its own copy in memory); the code before
the change (``--before DIR``: a checkout with its own ``.venv``); ``oxigraph serve`` over the
store on disk (the peer of the targets) and over its in-memory store (``oxigraph-memory``, the
same engine our workers' copies use); the naive FastAPI app of :mod:`bench.naive` in memory and on disk;
rdflib-endpoint (only the queries it answers within a few seconds: it is single-threaded and
would still be busy with a slow one when the next measurement starts).

    python -m bench.requestpath [--corpus ROOT] [--before DIR] [--queries light|all] [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from . import loadgen, servers, wrk
from .__main__ import REPO, catalog, corpus

ID = "https://w3id.org/sdkg/id/"
SDKG = "https://w3id.org/sdkg/ontology#"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
LIGHT: list[tuple[str, str]] = [
    ("point: claim ?p ?o", f"SELECT ?p ?o WHERE {{ <{ID}claim/x3> ?p ?o }}"),
    ("point: ?s ?p claim", f"SELECT ?s ?p WHERE {{ ?s ?p <{ID}claim/x1200> }}"),
    ("label: claim", f"SELECT ?label WHERE {{ <{ID}claim/x1500> {LABEL} ?label }}"),
    ("label: actor", f"SELECT ?label WHERE {{ <{ID}actor/a7> {LABEL} ?label }}"),
    ("ask: claim is a Claim", f"ASK {{ <{ID}claim/x42> a <{SDKG}Claim> }}"),
    (
        "join: claim's holders",
        f"SELECT ?holder ?name WHERE {{ <{ID}claim/x3> <{SDKG}hasAscription> ?a . ?a <{SDKG}heldBy> ?holder . "
        f"?holder {LABEL} ?name }}",
    ),
    (
        "join: claim's discourses",
        f"SELECT ?d ?name WHERE {{ <{ID}claim/x77> <{SDKG}expressesDiscourse> ?d . ?d {LABEL} ?name }}",
    ),
]
POINT_LOOKUPS = [name for name, _ in LIGHT if name.startswith(("point", "label", "ask"))]
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def rows_of(endpoint: str, query: str, timeout: float) -> tuple[int | None, float]:
    """The answer's row count (1 for a boolean) and the time it took; ``None`` when it failed."""
    started = time.monotonic()
    try:
        response = httpx.get(endpoint, params={"query": query}, headers={"Accept": wrk.ACCEPT}, timeout=timeout)
    except httpx.HTTPError:
        return None, time.monotonic() - started
    took = time.monotonic() - started
    if response.status_code != 200:
        return None, took
    return loadgen.count_rows(response.content), took


def measure(
    server: servers.Server,
    queries: list[tuple[str, str]],
    args: argparse.Namespace,
    probe_limit: float | None = None,
    restart: Callable[[], servers.Server] | None = None,
) -> tuple[dict[str, Any], servers.Server]:
    """Each query: its rows (one request), then wrk at each client count."""
    out: dict[str, Any] = {}
    for name, query in queries:
        wait_idle(server)  # (the probe too: behind the last query's abandoned requests it would time their end)
        rows, took = rows_of(server.url, query, probe_limit or args.timeout)
        entry: dict[str, Any] = {"rows": rows, "first_s": took, "runs": {}}
        out[name] = entry
        timed_out = probe_limit is not None and took >= probe_limit * 0.98
        if rows is None or (probe_limit is not None and took > probe_limit / 2):
            slow = timed_out or rows is not None
            entry["skipped"] = f"too slow for this server ({took:.1f} s)" if slow else "no answer"
            if probe_limit is not None and took >= probe_limit and restart is not None:
                server.stop()  # still busy with it: start afresh
                server = restart()
            continue
        seconds = args.seconds if name in dict(LIGHT) else args.catalog_seconds
        for clients in args.clients:
            for window in (seconds, seconds * 3, seconds * 9):  # a window too short for this query here: longer
                wait_idle(server)
                cpu = server.cpu_seconds()
                run = wrk.run(server.url, query, clients, window, args.timeout)
                if run.requests >= 2:
                    break
            entry["runs"][str(clients)] = {
                **run.__dict__,
                "qps": run.qps,
                "server_cpu": (server.cpu_seconds() - cpu) / run.seconds if run.seconds else 0.0,
            }
    return out, server


IDLE_CPU = 0.05
"""A server is idle when its processes used less than this share of a core over :data:`IDLE_WINDOW` seconds."""
IDLE_WINDOW = 0.2


def wait_idle(server: servers.Server, most: float = 20.0) -> None:
    """Wait (at most ``most`` seconds) until the server has finished what the last run left it: requests a client
    gave up on still run to their end in every server here (none stops a query when its client leaves), and
    would take the next run's cores. Every server is measured after this wait, so none gains by it."""
    deadline = time.monotonic() + most
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(IDLE_WINDOW)
        quiet = quiet + 1 if server.cpu_seconds() - before < IDLE_CPU * IDLE_WINDOW else 0


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0 and math.isfinite(v)]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def summary(results: dict[str, Any], ours: str, light: list[str]) -> dict[str, Any]:
    """Per-request overhead over oxigraph and the geomean throughput ratios of ``ours`` against each server."""
    found = results["servers"]
    mine = found.get(ours, {}).get("queries", {})
    out: dict[str, Any] = {}
    oxigraph = found.get("oxigraph", {}).get("queries", {})
    overheads = [
        mine[q]["runs"]["1"]["p50"] - oxigraph[q]["runs"]["1"]["p50"]
        for q in POINT_LOOKUPS
        if "1" in mine.get(q, {}).get("runs", {}) and "1" in oxigraph.get(q, {}).get("runs", {})
    ]
    out["overhead_p50_s"] = statistics.median(overheads) if overheads else None
    for other, data in found.items():
        if other == ours or "queries" not in data:
            continue
        theirs = data["queries"]
        for clients in map(str, results["clients"]):
            for scope, names in (("all", list(mine)), ("light", light)):
                ratios, bounded = [], 0
                for q in names:
                    if clients not in mine.get(q, {}).get("runs", {}):
                        continue
                    rate = their_rate(theirs.get(q, {}), clients)
                    if rate is None:
                        continue
                    bounded += "runs" not in theirs[q] or clients not in theirs[q]["runs"]
                    ratios.append(mine[q]["runs"][clients]["qps"] / rate)
                out[f"{other} @{clients} {scope}"] = {
                    "geomean": geomean(ratios),
                    "queries": len(ratios),
                    "bounded": bounded,
                }
    return out


def their_rate(entry: dict[str, Any], clients: str) -> float | None:
    """The other server's rate for a query: measured, or for one it answered too slowly to measure (once,
    in ``first_s``), at most one answer per ``first_s`` per client (a bound in its favour); ``None`` when it
    gave no answer or nothing was measured."""
    run = entry.get("runs", {}).get(clients)
    if run is not None:
        return float(run["qps"]) if run["qps"] > 0 else None
    skipped, first = str(entry.get("skipped", "")), float(entry.get("first_s") or 0.0)
    if first and (skipped.startswith("too slow") or (skipped == "no answer" and first >= 4.9)):  # 5 s probe
        return int(clients) / first
    return None


def ms(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value * 1000:.2f}"


def report(results: dict[str, Any]) -> str:
    found = results["servers"]
    names = [n for n in found if "queries" in found[n]]
    light = [n for n, _ in LIGHT]
    lines = [
        "# The request path: per-request overhead and throughput",
        "",
        f"{results['corpus_triples']:,} triples; {len(results['queries'])} queries; wrk, 1 and 8 clients, "
        f"{results['seconds']:g} s per light query and {results['catalog_seconds']:g} s per catalog query and "
        f"client count; load average {results['load_start']:.1f} at the start, {results['load_end']:.1f} at the end; "
        f"{results['elapsed_s']:.0f} s.",
        "",
        "| server | point-lookup p50 @1 (ms) | overhead over oxigraph (ms) | wrk CPU @8 (cores) | server CPU @8 |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        s = summary(results, name, light)
        queries = found[name]["queries"]
        p50s = [queries[q]["runs"]["1"]["p50"] for q in POINT_LOOKUPS if "1" in queries.get(q, {}).get("runs", {})]
        at8 = [r["runs"]["8"] for r in queries.values() if "8" in r["runs"]]
        gen = statistics.fmean(r["generator_cpu"] for r in at8) if at8 else None
        cpu = statistics.fmean(r["server_cpu"] for r in at8) if at8 else None
        lines.append(
            f"| {name} | {ms(statistics.median(p50s) if p50s else None)} | {ms(s['overhead_p50_s'])} | "
            f"{'–' if gen is None else f'{gen:.2f}'} | {'–' if cpu is None else f'{cpu:.2f}'} |"
        )
    for ours in [n for n in names if n.startswith("sdkg")]:
        s = summary(results, ours, light)
        lines += [
            "",
            f"**{ours}** ÷ each server, geometric mean of per-query throughput ratios (queries compared; "
            "bounded: queries the other answered once, too slowly to measure, counted at one answer per that time "
            "per client):",
            "",
            "| ÷ | all @1 | all @8 | light @1 | light @8 |",
            "|---|---|---|---|---|",
        ]
        for other in names:
            if other == ours:
                continue
            cells = []
            for key in (f"{other} @1 all", f"{other} @8 all", f"{other} @1 light", f"{other} @8 light"):
                value = s.get(key, {})
                g = value.get("geomean")
                bound = f", {value['bounded']} bounded" if value.get("bounded") else ""
                cells.append("–" if g is None else f"{g:.2f}× ({value['queries']}{bound})")
            lines.append(f"| {other} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "### Per query: p50 @1 (ms) / q/s @1 / q/s @8",
        "",
        "| query | rows | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for query in results["queries"]:
        rows = {found[n]["queries"].get(query, {}).get("rows") for n in names} - {None}
        cells = []
        for n in names:
            entry = found[n]["queries"].get(query, {})
            runs = entry.get("runs", {})
            if "1" not in runs:
                cells.append(entry.get("skipped", "–"))
                continue
            at8 = runs.get("8", {}).get("qps")
            errors = sum(r["errors"] for r in runs.values())
            cells.append(
                f"{ms(runs['1']['p50'])} / {runs['1']['qps']:.0f} / {'–' if at8 is None else f'{at8:.0f}'}"
                + (f" ({errors} errors)" if errors else "")
            )
        lines.append(f"| `{query}` | {'/'.join(map(str, sorted(rows))) or '–'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.requestpath", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a built synthetic project (default: build 2,000 claims)")
    parser.add_argument("--claims", type=int, default=2_000)
    parser.add_argument("--before", type=Path, help="a checkout of the code before, with its own .venv")
    parser.add_argument("--queries", choices=("light", "all"), default="all")
    parser.add_argument("--seconds", type=float, default=2.0, help="wrk run per light query and client count")
    parser.add_argument("--catalog-seconds", type=float, default=1.0)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--servers",
        default="before,sdkg,sdkg-disk,sdkg-cache,oxigraph,oxigraph-memory,naive-memory,naive-disk,rdflib-endpoint",
    )
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",") if c]
    if not wrk.available():
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    args.work.mkdir(parents=True, exist_ok=True)
    root = args.corpus or corpus(args.work, args.claims, 4_000.0)[0]  # MB cap of the build child
    queries = LIGHT + (catalog() if args.queries == "all" else [])
    store = ox.Store.read_only(str(root / "var" / "current" / "store"))
    triples = len(store)
    nquads = args.work / "requestpath.nq"
    store.dump(output=str(nquads), format=ox.RdfFormat.N_QUADS)
    del store
    location = args.work / "requestpath-oxigraph"
    subprocess.run(["rm", "-rf", str(location)], check=True)
    logs = args.work / "logs"
    servers.oxigraph_load(location, [nquads], logs)
    before = str(args.before / ".venv" / "bin" / "sdkg") if args.before else None
    starters: dict[str, Callable[[], servers.Server]] = {
        "sdkg": lambda: servers.start_sdkg(root, logs, args.timeout, ["--result-cache", "0"], name="sdkg"),
        "sdkg-disk": lambda: servers.start_sdkg(
            root, logs, args.timeout, ["--result-cache", "0", "--in-memory-max-quads", "0"], name="sdkg, on disk"
        ),
        "sdkg-cache": lambda: servers.start_sdkg(root, logs, args.timeout, [], name="sdkg, cache on"),
        "oxigraph": lambda: servers.start_oxigraph(location, logs, None),
        "oxigraph-memory": lambda: servers.start_oxigraph_memory(nquads, logs),
        "naive-memory": lambda: servers.start_naive(nquads, logs, memory=True),
        "naive-disk": lambda: servers.start_naive(location, logs, memory=False),
        "rdflib-endpoint": lambda: servers.start_rdflib(nquads, logs, 300),
    }
    if before:
        # the code before, with its own defaults; its answer cache off too when it has one (the ratios read it off)
        help_text = subprocess.run([before, "serve", "--help"], capture_output=True, text=True).stdout
        off = ["--result-cache", "0"] if "--result-cache" in help_text else []
        starters["before"] = lambda: servers.start_sdkg(root, logs, args.timeout, off, sdkg=before, name="sdkg before")
    results: dict[str, Any] = {
        "corpus_triples": triples,
        "queries": [n for n, _ in queries],
        "clients": args.clients,
        "seconds": args.seconds,
        "catalog_seconds": args.catalog_seconds,
        "load_start": os.getloadavg()[0],
        "servers": {},
    }
    for key in [k for k in args.servers.split(",") if k]:
        if key not in starters:
            log(f"skipping {key}: not available (--before not given?)")
            continue
        log(f"starting {key}")
        try:
            server = starters[key]()
        except RuntimeError as error:
            results["servers"][key] = {"error": str(error)}
            continue
        try:
            probe = 5.0 if key == "rdflib-endpoint" else None
            measured, server = measure(server, queries, args, probe, starters[key])
            results["servers"][server.name] = {"queries": measured, "peak_rss_mb": server.peak_rss_mb()}
            log(f"{server.name}: done")
        finally:
            server.stop()
    results["load_end"] = os.getloadavg()[0]
    results["elapsed_s"] = time.monotonic() - STARTED
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "requestpath-latest.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = report(results)
    (args.out / "requestpath-latest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
