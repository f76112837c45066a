"""Issue 16's "done when", measured: a mixed load with hostile clients, then builds while serving.

1. ``sdkg serve`` with its defaults (10 s deadline, row, byte and memory caps) on the synthetic
   corpus; for ``--seconds`` (60): ``--clients`` (50) clients, of which ``--hostile`` (5) send
   only hostile requests in turn (a cartesian COUNT, a sort that needs gigabytes, CONCAT
   doubling, a GROUP_CONCAT of everything, a 1 MB text with a stray quote, 5,000 nested
   parentheses, a SERVICE to loopback) and the others light queries (point lookups, labels,
   small joins; 50 ms between requests); an ASK every 100 ms on its own connection; every
   worker's memory sampled every 50 ms. Asserted: light queries 0 errors and p99 < 1 s, every
   hostile request ends by the deadline + 1 s, no worker over its cap, every ASK < 200 ms.
2. A copy of this repository's project served while ``sdkg build`` (validation and rules
   included) runs ``--builds`` (10) times in a row, 8 clients querying throughout. Asserted: no
   failed request, and the server ends on the newest build.

    python -m bench.reliability [--corpus ROOT] [--seconds 60] [--clients 50] [--hostile 5] [--builds 10]

Exit status 1 when an assertion fails. Results: ``bench/results/reliability-latest.{md,json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from sdkg.passages import source_directories

from . import servers
from .__main__ import REPO, corpus
from .loadgen import Connection
from .requestpath import LIGHT

DEADLINE = 10.0
HOSTILE: list[tuple[str, str]] = [
    ("cartesian count", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"),
    ("sort of a product", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"),
    (
        "CONCAT doubling",
        'SELECT ?x28 WHERE { BIND("ab" AS ?x0) '
        + " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(28))
        + " }",
    ),
    ("GROUP_CONCAT of everything", "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { ?s ?p ?o . ?x ?y ?z }"),
    (
        "0.9 MB form, stray quote",
        "SELECT * WHERE { VALUES ?x { " + " ".join(f'"v{i}"' for i in range(70_000)) + " } } '",
    ),
    ("5,000 nested parentheses", "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"),
    ("SERVICE to loopback", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"),
]
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def mixed_load(server: servers.Server, args: argparse.Namespace, cap_mb: int, copy_mb: int) -> dict[str, Any]:
    stop = time.monotonic() + args.seconds
    light: list[tuple[int, float]] = []
    hostile: list[tuple[str, int, float]] = []
    asks: list[float] = []
    failures: list[str] = []
    peak = {"rss_mb": 0.0}

    async def light_client(index: int) -> None:
        connection = Connection(server.url)
        position = index
        while time.monotonic() < stop:
            name, text = LIGHT[position % len(LIGHT)]
            position += 1
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(connection.query(text), 30)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError) as error:
                status = 0
                failures.append(f"{name}: {type(error).__name__}")
                await connection.close()
                connection = Connection(server.url)
            light.append((status, time.perf_counter() - started))
            await asyncio.sleep(0.05)
        await connection.close()

    async def hostile_client(index: int) -> None:
        connection = Connection(server.url)
        position = index
        while time.monotonic() < stop:
            name, text = HOSTILE[position % len(HOSTILE)]
            position += 1
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(connection.query(text), DEADLINE + 20)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError):
                status = 0
                await connection.close()
                connection = Connection(server.url)
            hostile.append((name, status, time.perf_counter() - started))
        await connection.close()

    async def prober() -> None:
        connection = Connection(server.url)
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, body = await connection.query("ASK { ?s ?p ?o }")
            asks.append(time.perf_counter() - started)
            if status != 200:
                failures.append(f"ASK answered {status}")
            await asyncio.sleep(0.1)
        await connection.close()

    async def memory() -> None:
        while time.monotonic() < stop:
            for pid in servers.process_tree(server.process.pid)[1:]:
                if not serving_process(pid):  # the workers (not the processes serving HTTP, which hold no cap)
                    peak["rss_mb"] = max(peak["rss_mb"], rss_mb(pid))
            await asyncio.sleep(0.05)

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = server.cpu_seconds()
    tasks = [light_client(i) for i in range(args.clients - args.hostile)]
    tasks += [hostile_client(i) for i in range(args.hostile)] + [prober(), memory()]
    await asyncio.gather(*tasks)
    after = resource.getrusage(resource.RUSAGE_SELF)
    generator = (after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime) / args.seconds
    latencies = [seconds for status, seconds in light]
    errors = [status for status, _ in light if status != 200]
    late = [(name, status, seconds) for name, status, seconds in hostile if seconds > DEADLINE + 1.0]
    by_kind: dict[str, dict[str, Any]] = {}
    for name, status, seconds in hostile:
        entry = by_kind.setdefault(name, {"statuses": {}, "max_s": 0.0, "count": 0})
        entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1
        entry["max_s"] = max(entry["max_s"], seconds)
        entry["count"] += 1
    result = {
        "light": {
            "requests": len(light),
            "errors": len(errors),
            "p50_s": percentile(latencies, 0.5),
            "p99_s": percentile(latencies, 0.99),
            "max_s": max(latencies, default=None),
        },
        "hostile": by_kind,
        "hostile_late": late,
        "ask": {
            "count": len(asks),
            "p50_s": percentile(asks, 0.5),
            "p99_s": percentile(asks, 0.99),
            "max_s": max(asks, default=None),
            "over_200ms": sum(a >= 0.2 for a in asks),
        },
        "worker_peak_rss_mb": peak["rss_mb"],
        "worker_cap_mb": cap_mb,
        "worker_copy_mb": copy_mb,
        "generator_cpu": generator,
        "server_cpu": (server.cpu_seconds() - server_cpu) / args.seconds,
        "failures": failures[:20],
    }
    result["checks"] = {
        "light queries: 0 errors": not errors,
        "light queries: p99 < 1 s": (result["light"]["p99_s"] or 99) < 1.0,
        "every hostile request ends by deadline + 1 s": not late,
        "no worker over its cap": peak["rss_mb"] < cap_mb + WORKER_BASE_MB + copy_mb,
        "every ASK < 200 ms": (result["ask"]["max_s"] or 99) < 0.2,
    }
    return result


WORKER_BASE_MB = 150
"""A worker's own memory before any query (interpreter, pyoxigraph, RocksDB): the cap is on what a query adds."""


def copy_mb(server: servers.Server) -> int:
    """The most a worker's copy of the store takes (0: the server's workers read it from disk, as its ``/health``
    says), by the server's own estimate per quad, which ``tests/sparql/test_memory_copy.py`` holds to what a copy
    takes. ``start_sdkg`` has waited for the copies, so the store has been counted."""
    from sdkg.sparql.workers import BYTES_PER_QUAD_IN_MEMORY

    health = httpx.get(server.url.rsplit("/", 1)[0] + "/health", timeout=30).json()
    if not health["workers"]["copies_wanted"]:
        return 0
    return math.ceil(health["triples"] * BYTES_PER_QUAD_IN_MEMORY / 2**20)


def serving_process(pid: int) -> bool:
    """Whether ``pid`` is one of several processes serving HTTP (:mod:`sdkg.web.processes`), not a worker."""
    try:
        return b"sdkg.web.processes" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def builds_while_serving(args: argparse.Namespace) -> dict[str, Any]:
    root = args.work / "reliability-builds"
    subprocess.run(["rm", "-rf", str(root)], check=True)
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    seeds = next(iter(source_directories(REPO)), None)
    if seeds is not None:
        env["SDKG_SOURCES"] = str(seeds)
    command = [servers.tool("sdkg"), "--root", str(root)]
    subprocess.run(command + ["build"], check=True, env=env, capture_output=True)
    port = servers.free_port()
    process, log_path = servers.spawn("sdkg-builds", command + ["serve", "--port", str(port)], args.work / "logs", env)
    server = servers.wait_ready(
        servers.Server("sdkg", f"http://127.0.0.1:{port}/sparql", process), f"http://127.0.0.1:{port}/health", 120
    )
    outcomes: list[int] = []
    done = False

    async def client() -> None:
        connection = Connection(server.url)
        while not done:
            try:
                status, _ = await connection.query(LIGHT[len(outcomes) % len(LIGHT)][1])
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                status = 0
                await connection.close()
            outcomes.append(status)
            await asyncio.sleep(0.02)
        await connection.close()

    async def run() -> tuple[list[float], dict[int, str]]:
        nonlocal done
        tasks = [asyncio.create_task(client()) for _ in range(8)]
        seconds = []
        for _ in range(args.builds):
            started = time.monotonic()
            build = await asyncio.create_subprocess_exec(
                *command, "build", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if await build.wait() != 0:
                raise RuntimeError("a build failed")
            seconds.append(time.monotonic() - started)
        newest = (root / "var" / "current").resolve().name
        served = await versions_served(port, newest)
        done = True
        await asyncio.gather(*tasks)
        return seconds, served

    try:
        seconds, served = asyncio.run(run())
        newest = (root / "var" / "current").resolve().name
    finally:
        server.stop()
    failed = [s for s in outcomes if s != 200]
    return {
        "builds": args.builds,
        "build_seconds": seconds,
        "requests": len(outcomes),
        "failed": len(failed),
        "served_at_end": ", ".join(served[slot] for slot in sorted(served)),
        "newest": newest,
        "checks": {
            "no request lost": not failed,
            "serving the newest build": bool(served) and set(served.values()) == {newest},
        },
    }


async def versions_served(port: int, newest: str, seconds: float = 10.0) -> dict[int, str]:
    """The build each serving process says it serves (``/health``, on a new connection each time, which the kernel
    gives to one of them), asked until every one says ``newest`` or ``seconds`` have passed. Each process follows
    ``var/current`` on its own, about every second: asking until one of them said it (as before 2026-12-06's twelfth
    session) and then once more could meet the other a moment before it moved."""
    served: dict[int, str] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        health = httpx.get(f"http://127.0.0.1:{port}/health").json()
        process = health.get("process") or {"slot": 0, "of": 1}
        served[process["slot"]] = health.get("data_version")
        if len(served) == process["of"] and set(served.values()) == {newest}:
            break
        await asyncio.sleep(0.05)
    return served


def report(results: dict[str, Any]) -> str:
    mixed, builds = results["mixed"], results["builds"]
    light = mixed["light"]

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value * 1000:.1f} ms"

    lines = [
        "# Reliability: hostile clients and builds while serving",
        "",
        f"Mixed load: {results['clients']} clients ({results['hostile']} hostile) for {results['seconds']:g} s; "
        f"load average {results['load_start']:.1f} at the start; generator CPU {mixed['generator_cpu']:.2f} cores, "
        f"server {mixed['server_cpu']:.2f}.",
        "",
        f"- light queries: {light['requests']} requests, {light['errors']} errors, p50 {ms(light['p50_s'])}, "
        f"p99 {ms(light['p99_s'])}, max {ms(light['max_s'])}",
        f"- ASK every 100 ms: {mixed['ask']['count']}, p50 {ms(mixed['ask']['p50_s'])}, "
        f"p99 {ms(mixed['ask'].get('p99_s'))}, max {ms(mixed['ask']['max_s'])}, "
        f"{mixed['ask'].get('over_200ms', '?')} over 200 ms",
        f"- worker memory: peak RSS {mixed['worker_peak_rss_mb']:.0f} MB (cap {mixed['worker_cap_mb']} MB added to "
        f"about {WORKER_BASE_MB} MB of its own and its copy of the store, "
        f"{mixed.get('worker_copy_mb', 0)} MB at most)",
        "",
        "| hostile request | sent | statuses | longest |",
        "|---|---|---|---|",
    ]
    for name, entry in mixed["hostile"].items():
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(entry["statuses"].items()))
        lines.append(f"| {name} | {entry['count']} | {statuses} | {entry['max_s']:.2f} s |")
    lines += [
        "",
        f"Builds while serving: {builds['builds']} builds "
        f"({statistics.fmean(builds['build_seconds'] or [0.0]):.1f} s each), "
        f"{builds['requests']} requests, {builds['failed']} failed; serving {builds['served_at_end']} "
        f"(newest {builds['newest']}).",
        "",
        "| check | |",
        "|---|---|",
    ]
    for check, ok in {**mixed["checks"], **builds["checks"]}.items():
        lines.append(f"| {check} | {'met' if ok else '**missed**'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a built synthetic project (default: build 2,000 claims)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--hostile", type=int, default=5)
    parser.add_argument("--builds", type=int, default=10)
    parser.add_argument("--workers", type=int, help="the server's --workers (default: its own)")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    root = args.corpus or corpus(args.work, 2_000, 4_000.0)[0]  # MB cap of the build child
    load_start = os.getloadavg()[0]
    options = ["--workers", str(args.workers)] if args.workers else []
    server = servers.start_sdkg(root, args.work / "logs", DEADLINE, options, name="sdkg")
    from sdkg.web.settings import default_worker_memory_mb

    try:
        log(f"mixed load for {args.seconds:g} s")
        cap_mb = default_worker_memory_mb(args.workers)
        mixed = asyncio.run(mixed_load(server, args, cap_mb, copy_mb(server)))
    finally:
        server.stop()
    log(f"{args.builds} builds while serving")
    builds = builds_while_serving(args)
    results = {
        "clients": args.clients,
        "hostile": args.hostile,
        "seconds": args.seconds,
        "load_start": load_start,
        "mixed": mixed,
        "builds": builds,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reliability-latest.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    text = report(results)
    (args.out / "reliability-latest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if all({**mixed["checks"], **builds["checks"]}.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
