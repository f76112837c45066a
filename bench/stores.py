"""The engine alone, one process: each catalog and light query's time on a build on disk and on a copy in memory,
with glibc's allocator and with jemalloc.

Why it exists: the server reads each job from whichever of the two stores answered it faster
(``sparql/inline.FasterStore``), and its query processes preload jemalloc (``sparql/allocator.py``). This
measures both claims on the bench's corpus, without HTTP: each query is run and serialised (JSON, N-Triples
for graphs) for ``--seconds`` on each store, after one run to warm up; the run is repeated in a child process
with jemalloc in ``LD_PRELOAD``.

    python -m bench.stores [--corpus ROOT] [--seconds 0.3]   # default corpus: var/bench/claims-2000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from sdkg.sparql import allocator

from .__main__ import REPO, catalog
from .requestpath import LIGHT


def run_once(store: ox.Store, query: str) -> None:
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        result.serialize(format=ox.RdfFormat.N_TRIPLES)
    else:
        result.serialize(format=ox.QueryResultsFormat.JSON)


def microseconds(store: ox.Store, query: str, seconds: float) -> float:
    run_once(store, query)
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        run_once(store, query)
        runs += 1
    return (time.perf_counter() - started) / runs * 1e6


def measure(store_path: Path, seconds: float) -> dict[str, dict[str, float]]:
    """Each query's mean time (µs) on the disk and on a copy in memory, in this process."""
    disk = ox.Store.read_only(str(store_path))
    copy = ox.Store()
    copy.extend(disk.quads_for_pattern(None, None, None, None))
    out: dict[str, dict[str, float]] = {}
    for name, text in [*LIGHT, *catalog()]:
        if name == "passage-search":  # the text index's query, not an engine one
            continue
        out[name] = {"disk": microseconds(disk, text, seconds), "memory": microseconds(copy, text, seconds)}
    return out


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def copy_against_disk(label: str, times: dict[str, dict[str, float]]) -> str:
    slower = [name for name, t in times.items() if t["memory"] > t["disk"]]
    return (
        f"With {label}, the copy is faster on {len(times) - len(slower)} of {len(times)} queries (geometric "
        f"mean {geomean([t['disk'] / t['memory'] for t in times.values()]):.2f}×; the faster of the two per query: "
        f"{geomean([max(t['disk'] / t['memory'], 1.0) for t in times.values()]):.2f}×); slower on "
        + ", ".join(f"`{name}` ({t['memory'] / t['disk']:.2f}×)" for name, t in times.items() if name in slower)
        + ".\n"
    )


def report(glibc: dict[str, dict[str, float]], jemalloc: dict[str, dict[str, float]] | None) -> str:
    lines = [
        "| query | disk µs | copy µs | copy ÷ disk | disk, jemalloc | copy, jemalloc | jemalloc gain on the copy |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, times in glibc.items():
        other = (jemalloc or {}).get(name, {})
        gain = f"{1 - other['memory'] / times['memory']:.0%}" if other else "–"
        lines.append(
            f"| `{name}` | {times['disk']:,.1f} | {times['memory']:,.1f} | {times['disk'] / times['memory']:.2f}× | "
            f"{other.get('disk', float('nan')):,.1f} | {other.get('memory', float('nan')):,.1f} | {gain} |"
        )
    lines.append("")
    for name, measures in (("glibc", glibc), ("jemalloc", jemalloc or {})):
        if measures:
            lines.append(copy_against_disk(name, measures))
    if jemalloc:
        gains = [glibc[n]["memory"] / jemalloc[n]["memory"] for n in glibc if n in jemalloc]
        lines.append(f"jemalloc: the copy's queries take {1 - 1 / geomean(gains):.0%} less time (geometric mean).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO / "var" / "bench" / "claims-2000")
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--json-only", action="store_true", help="print this process's measures as JSON")
    args = parser.parse_args(argv)
    store_path = args.corpus / "var" / "current" / "store"
    if args.json_only:
        print(json.dumps(measure(store_path, args.seconds)))
        return 0
    command = [sys.executable, "-m", "bench.stores", "--corpus", str(args.corpus), "--seconds", str(args.seconds)]
    environ = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", allocator.VARIABLE)}
    results: dict[str, Any] = {}
    jemalloc = allocator.library({})  # the machine's, as the server would preload it
    runs = [("glibc", environ)] + ([("jemalloc", allocator.environment(environ))] if jemalloc else [])
    for name, environment in runs:
        output = subprocess.run(
            [*command, "--json-only"], env=environment, cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
        results[name] = json.loads(output)
    text = report(results["glibc"], results.get("jemalloc"))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stores-latest.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (args.out / "stores-latest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
