"""A built project's store in a remote SPARQL store: load time, and the catalog's latency through ``sdkg serve``.

Given a project with a published build (``sdkg build``, or ``python -m bench.buildrun``), in turn:

1. the build's store is dumped to N-Quads and loaded into a new directory with ``oxigraph load``
   (as ``bench.servers`` does), then served by ``oxigraph serve --union-default-graph``;
2. a new Virtuoso (a private database and ini under the work directory, on ports of ``--ports``)
   gets the build with ``sdkg push`` (Graph Store Protocol, one PUT per graph, Digest login);
3. every catalog query without SERVICE (parameters bound to synthetic entities as ``python -m
   bench`` binds them) is sent ``--runs`` times to ``POST /sparql`` of ``sdkg serve`` over the local
   store and of ``sdkg serve --store-url`` over each remote store (no row cap, no result cache,
   the server's time limit ``--limit``); a query that fails or overruns is not run again.

Each step is bounded in time (``--load-limit``, ``--limit``); every server is stopped at the end,
whatever happens. The load times are reported against ``oxigraph load``'s, the catalog's p50 per
query and server as a Markdown table; the raw numbers go to ``--out`` as JSON.

    python -m bench.remote ROOT --ports 18650-18699 --work /tmp/remote-2k --out result.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from sdkg.layout import ProjectLayout
from sdkg.sparql.bindings import substitute

from .catalog_scale import catalog
from .servers import Server, size_mb, spawn, tool, wait_ready

REPO = Path(__file__).resolve().parent.parent
VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = ., {dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {limit}
"""
"""How Virtuoso is started here and by tests/sparql/test_virtuoso.py: a buffer pool of ``buffers`` 8 KB pages, a
query time limit of ``limit`` seconds."""
DBA = ("dba", "dba")  # a fresh database's administrator; Virtuoso listens on 127.0.0.1 only, for this run
ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
"""JSON for a SELECT or ASK, N-Triples for a CONSTRUCT (``argument-map``): rows are then triples."""


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


class Ports:
    """Ports of a range (``--ports A-B``) that nothing listens on, handed out once each."""

    def __init__(self, spec: str):
        first, last = (int(p) for p in spec.split("-"))
        self.candidates = list(range(first, last + 1))

    def take(self) -> int:
        while self.candidates:
            port = self.candidates.pop(0)
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
        raise SystemExit("no free port left in --ports")


def run_to_end(
    command: list[str], name: str, logs: Path, limit: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """``command`` run to its end: wall time and peak RSS (``wait4``); killed past ``limit`` s."""
    started = time.monotonic()
    process, output = spawn(name, command, logs, env)
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() - started > limit:
            process.kill()
            process.wait()
            return {"failed": f"over {limit:g} s", "log": str(output)}
        time.sleep(0.2)
    result: dict[str, Any] = {"seconds": time.monotonic() - started, "peak_mb": usage.ru_maxrss / 1024}
    if process.returncode != 0:
        result["failed"] = f"exit {process.returncode}: " + output.read_text(errors="replace").strip()[-300:]
    return result


def dump(store_path: Path, out: Path) -> dict[str, Any]:
    """The build's store as one N-Quads file (what ``oxigraph load`` reads)."""
    started = time.monotonic()
    store = ox.Store.read_only(str(store_path))
    with out.open("wb") as handle:
        store.dump(handle, format=ox.RdfFormat.N_QUADS)
    quads = len(store)
    del store
    return {"seconds": time.monotonic() - started, "quads": quads, "size_mb": out.stat().st_size / 1e6}


def push_to(root: Path, base: str, logs: Path, request_timeout: float, limit: float) -> dict[str, Any]:
    """``sdkg push`` of the build into Virtuoso's authenticated Graph Store endpoint."""
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    env["SDKG_PUSH_PASSWORD"] = DBA[1]
    command = [tool("sdkg"), "--root", str(root), "push", "--to", base + "/sparql-graph-crud-auth"]
    command += ["--user", DBA[0], "--timeout", str(request_timeout)]
    return run_to_end(command, "sdkg-push", logs, limit, env)


def bulk_load(
    store_path: Path, directory: Path, isql: int, logs: Path, limit: float, result: dict[str, Any]
) -> dict[str, Any]:
    """The build dumped to N-Quads in Virtuoso's directory and loaded with Virtuoso's own bulk loader
    (``ld_dir``, ``rdf_loader_run``, ``checkpoint``: what OpenLink advises for large loads), through ``isql-vt``.
    Each quad keeps its graph."""
    nquads = directory / "store.nq"
    result["loads"]["dump to N-Quads (for Virtuoso)"] = dump(store_path, nquads)
    script = directory / "bulk-load.sql"
    script.write_text(
        f"ld_dir('{directory}', 'store.nq', 'urn:sdkg:no-graph');\nrdf_loader_run();\ncheckpoint;\n"
        "select count(*) from DB.DBA.LOAD_LIST where ll_error is not null;\n"
    )
    command = ["sh", "-c", f'isql-vt {isql} {DBA[0]} {DBA[1]} < "{script}"']
    loaded = run_to_end(command, "virtuoso-bulk-load", logs, limit)
    said = (
        (logs / "virtuoso-bulk-load.log").read_text(errors="replace")
        if (logs / "virtuoso-bulk-load.log").exists()
        else ""
    )
    if "Error" in said and "failed" not in loaded:
        loaded["failed"] = said.strip()[-300:]
    result["loads"]["Virtuoso bulk loader"] = loaded
    nquads.unlink(missing_ok=True)
    return loaded


def start_oxigraph(location: Path, logs: Path, port: int, limit: float) -> Server:
    command = [tool("oxigraph"), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    command += ["--union-default-graph", "--timeout-s", str(int(limit))]
    process, output = spawn("oxigraph-serve", command, logs)
    server = Server("oxigraph", f"http://127.0.0.1:{port}/query", process, log=output)
    return wait_ready(server, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", 300)


def start_virtuoso(directory: Path, logs: Path, http: int, isql: int, memory_mb: int, limit: float) -> Server:
    binary = shutil.which("virtuoso-t")
    if binary is None:
        raise RuntimeError("Virtuoso is not installed: sh scripts/install-virtuoso.sh (as root)")
    directory.mkdir(parents=True, exist_ok=True)
    buffers = max(10_000, memory_mb * 1024 // 8 * 2 // 3)  # two thirds of the memory for the buffer pool
    ini = directory / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            dir=directory, http=http, isql=isql, buffers=buffers, dirty=buffers * 3 // 4, limit=int(limit)
        )
    )
    process, output = spawn("virtuoso", [binary, "+configfile", str(ini), "+foreground"], logs)
    server = Server("virtuoso", f"http://127.0.0.1:{http}/sparql", process, log=output)
    return wait_ready(server, f"http://127.0.0.1:{http}/sparql?query=ASK%7B%7D", 120)


def start_sdkg(root: Path, logs: Path, port: int, limit: float, name: str, store_url: str | None = None) -> Server:
    command = [tool("sdkg"), "--root", str(root), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--max-rows", "0", "--timeout", str(limit), "--result-cache", "0", "--max-answer-bytes", "0"]
    command += ["--store-url", store_url] if store_url else []
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    process, output = spawn(name, command, logs, env)
    server = Server(name, f"http://127.0.0.1:{port}/sparql", process, log=output)
    return wait_ready(server, f"http://127.0.0.1:{port}/health", 300)


def time_catalog(server: Server, queries: Sequence[tuple[Any, ...]], runs: int, limit: float) -> dict[str, Any]:
    """Each query ``runs`` times (POST, JSON): p50 ms and rows; a failure or an overrun ends that query.
    ``queries``: :func:`.catalog_scale.catalog`'s (name, text, parameters, search); the search index's own
    reading of ``passage-search`` is not the store's, so only the text is sent."""
    results: dict[str, Any] = {}
    with httpx.Client(timeout=limit + 10) as client:
        for name, text, binds, *_ in queries:
            body = substitute(text, binds) if binds else text
            times: list[float] = []
            rows, failed = None, None
            for _ in range(runs):
                started = time.perf_counter()
                try:
                    response = client.post(server.url, data={"query": body}, headers={"Accept": ACCEPT})
                except httpx.HTTPError as error:
                    failed = f"{type(error).__name__}"
                    break
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    failed = f"{response.status_code} {response.text.strip()[:120]}"
                    break
                times.append(elapsed * 1000)
                rows = answer_rows(response)
                if elapsed > limit:
                    break
            entry: dict[str, Any] = {"runs_ms": times, "rows": rows}
            if times:
                entry["p50_ms"] = statistics.median(times)
            if failed:
                entry["failed"] = failed
            results[name] = entry
            log(f"  {server.name} {name}: {entry.get('p50_ms', 0):,.1f} ms, {rows} rows {failed or ''}")
    return results


def answer_rows(response: httpx.Response) -> int:
    if response.headers.get("content-type", "").startswith("application/n-triples"):
        return response.content.count(b"\n")
    answer = response.json()
    return len(answer["results"]["bindings"]) if "results" in answer else 1


def cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "–"
    if "p50_ms" not in entry:
        return f"failed: {entry.get('failed', '?')[:40]}"
    text = f"{entry['p50_ms']:,.0f}" if entry["p50_ms"] >= 10 else f"{entry['p50_ms']:,.1f}"
    return (
        text
        + (f" ({entry['rows']:,})" if entry.get("rows") is not None else "")
        + (" failed" if "failed" in entry else "")
    )


def report(result: dict[str, Any]) -> str:
    loads = result["loads"]
    lines = ["| load | seconds | ratio to `oxigraph load` | peak RSS MB |", "|---|---|---|---|"]
    base = loads.get("oxigraph load", {}).get("seconds")
    for name, entry in loads.items():
        if "seconds" not in entry:
            lines.append(f"| {name} | failed: {entry.get('failed', '?')[:80]} | | |")
            continue
        ratio = f"{entry['seconds'] / base:.2f}×" if base else "–"
        peak = f"{entry['peak_mb']:,.0f}" if entry.get("peak_mb") else "–"
        lines.append(f"| {name} | {entry['seconds']:,.1f} | {ratio} | {peak} |")
    servers = list(result["catalog"])
    lines += ["", "| query | " + " | ".join(f"{s}: p50 ms (rows)" for s in servers) + " |"]
    lines.append("|---|" + "---|" * len(servers))
    names = sorted({n for s in servers for n in result["catalog"][s]})
    for name in names:
        lines.append(f"| `{name}` | " + " | ".join(cell(result["catalog"][s].get(name)) for s in servers) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.remote", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a project with a published build")
    parser.add_argument("--work", type=Path, default=Path("/tmp/sdkg-remote"), help="dump, stores and logs go here")
    parser.add_argument("--ports", default="18650-18699", help="ports for the servers (a range A-B)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each query per server")
    parser.add_argument("--limit", type=float, default=20.0, help="seconds per query")
    parser.add_argument("--load-limit", type=float, default=3600.0, help="seconds per load (dump, oxigraph load, push)")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=300.0,
        help="seconds Virtuoso may take to answer one request of sdkg push (then it is sent again)",
    )
    parser.add_argument(
        "--virtuoso-load",
        choices=["push", "bulk"],
        default="push",
        help="how Virtuoso gets the build: sdkg push (Graph Store Protocol), or its own bulk loader from N-Quads",
    )
    parser.add_argument("--virtuoso-mb", type=int, default=2048, help="memory for Virtuoso's buffer pool and more")
    parser.add_argument("--servers", default="local,oxigraph,virtuoso", help="which of local,oxigraph,virtuoso")
    parser.add_argument("--only", nargs="*", help="only these catalog queries")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "remote-latest.json")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    layout = ProjectLayout.at(root)
    build_dir = layout.current_build()
    if build_dir is None:
        raise SystemExit(f"{root} has no published build: run `sdkg build` first")
    wanted = set(args.servers.split(","))
    ports = Ports(args.ports)
    work, logs = args.work, args.work / "logs"
    shutil.rmtree(work, ignore_errors=True)
    logs.mkdir(parents=True)
    queries = catalog(layout.queries if layout.queries.is_dir() else REPO / "queries", args.only)
    result: dict[str, Any] = {"root": str(root), "build": str(build_dir), "loads": {}, "catalog": {}}
    result["args"] = {k: str(v) for k, v in vars(args).items()}
    with ExitStack() as servers:
        if "local" in wanted:
            log("sdkg serve over the local store")
            local = start_sdkg(root, logs, ports.take(), args.limit, "sdkg-local")
            servers.callback(local.stop)
            result["catalog"]["sdkg, local store"] = time_catalog(local, queries, args.runs, args.limit)
            local.stop()
        if "oxigraph" in wanted:
            log("dumping the build's store to N-Quads")
            nquads = work / "store.nq"
            result["loads"]["dump to N-Quads"] = dump(build_dir / "store", nquads)
            log(f"oxigraph load of {result['loads']['dump to N-Quads']['quads']:,} quads")
            location = work / "oxigraph"
            command = [tool("oxigraph"), "load", "--location", str(location), "--file", str(nquads)]
            loaded = run_to_end(command, "oxigraph-load", logs, args.load_limit)
            loaded["size_mb"] = size_mb(location) if location.exists() else 0
            result["loads"]["oxigraph load"] = loaded
            nquads.unlink()
            if "failed" not in loaded:
                oxigraph = start_oxigraph(location, logs, ports.take(), args.limit)
                servers.callback(oxigraph.stop)
                over = start_sdkg(root, logs, ports.take(), args.limit, "sdkg-oxigraph", oxigraph.url)
                servers.callback(over.stop)
                result["catalog"]["sdkg over oxigraph serve"] = time_catalog(over, queries, args.runs, args.limit)
                over.stop()
                oxigraph.stop()
            shutil.rmtree(location, ignore_errors=True)
        if "virtuoso" in wanted:
            log("Virtuoso, and sdkg push into it")
            http, isql = ports.take(), ports.take()
            virtuoso = start_virtuoso(work / "virtuoso", logs, http, isql, args.virtuoso_mb, args.limit)
            servers.callback(virtuoso.stop)
            if args.virtuoso_load == "bulk":
                pushed = bulk_load(build_dir / "store", work / "virtuoso", isql, logs, args.load_limit, result)
            else:
                pushed = push_to(root, f"http://127.0.0.1:{http}", logs, args.request_timeout, args.load_limit)
                result["loads"]["sdkg push to Virtuoso"] = pushed
            if "failed" not in pushed:
                over = start_sdkg(root, logs, ports.take(), args.limit, "sdkg-virtuoso", virtuoso.url)
                servers.callback(over.stop)
                result["catalog"]["sdkg over Virtuoso"] = time_catalog(over, queries, args.runs, args.limit)
                over.stop()
            virtuoso.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
