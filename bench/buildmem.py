"""The build's peak memory and time per phase, against the in-memory path it replaced, repeated.

For each corpus size: the synthetic project is generated once (``bench.synthetic``), then
``sdkg build`` (``python -m bench.buildrun ROOT``) and the former in-memory path
(``... --reference``) run in turn, ``--runs`` times each, every run in a child process whose
address space is capped (``RLIMIT_AS``, what ``prlimit --as`` sets) so that an overrun kills
only that child. Peak memory is the child's peak RSS (``wait4``: the highest of the child and of each
process it reaped, a rule's) and, since the build runs rules in processes of their own beside
itself, the highest sum of the RSS of the child and all its descendants, sampled every 0.25 s
(``bench.memtree``). Medians and the spread
(min–max) of the runs are printed as a Markdown table; the raw runs go to ``--out`` as JSON.

    python -m bench.buildmem --claims 10000,100000 --runs 3 --memory 8192
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sdkg.sparql import allocator

from .memtree import TreeSampler
from .synthetic import generate

REPO = Path(__file__).resolve().parent.parent


def child(root: Path, memory_mb: float, reference: bool, keep: bool = False) -> dict[str, Any]:
    """One run of the build (or the reference path) in a capped child: its JSON, wall time and peak RSS."""
    env = allocator.environment({k: v for k, v in os.environ.items() if k != "SDKG_STATE"})  # as `sdkg build`
    env["SDKG_SOURCES"] = str(root / "sources")
    command = [sys.executable, "-m", "bench.buildrun", str(root)] + (["--reference"] if reference else [])
    limit = int(memory_mb * 2**20)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=REPO, preexec_fn=cap
    )
    assert process.stdout is not None
    sampler = TreeSampler(process.pid)
    output = process.stdout.read()
    tree_peak = sampler.stop()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        return {
            "failed": f"exit {os.waitstatus_to_exitcode(status)} after {wall:.0f} s",
            "peak_mb": usage.ru_maxrss / 1024,
            "tree_peak_mb": tree_peak,
        }
    result: dict[str, Any] = json.loads(output)
    result["wall_s"] = wall
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["tree_peak_mb"] = tree_peak
    if not reference and not keep:
        subprocess.run(["rm", "-rf", str(root / "var")], check=True)  # the next run starts from nothing
    return result


def spread(values: list[float], unit: str = "") -> str:
    if not values:
        return "–"
    middle = statistics.median(values)
    return f"{middle:,.1f}{unit} ({min(values):,.1f}–{max(values):,.1f})" if len(values) > 1 else f"{middle:,.1f}{unit}"


def table(results: list[dict[str, Any]]) -> str:
    phases = ("load", "compact", "validate", "rules", "catalog", "index", "seal")
    lines = [
        "| claims | path | runs | triples (inferred) | peak RSS MB | whole (s) | "
        + " | ".join(f"{p} (s)" for p in phases)
        + " | peak RSS MB after load / validate / rules | peak RSS MB of the process tree (summed) |",
        "|---|---|---|---|---|---|" + "---|" * len(phases) + "---|---|",
    ]
    for size in results:
        for path in ("build", "reference"):
            runs = [r for r in size[path] if "failed" not in r]
            failed = [r["failed"] for r in size[path] if "failed" in r]
            if not runs:
                lines.append(
                    f"| {size['claims']:,} | {path} | failed: {'; '.join(failed)} |" + " |" * (7 + len(phases))
                )
                continue
            triples = (
                f"{runs[0].get('triples', 0):,} ({runs[0]['inferred']:,})"
                if path == "build"
                else f"({runs[0]['inferred']:,})"
            )
            count = f"{len(runs)} ({len(failed)} failed)" if failed else str(len(runs))
            cells = [spread([r["phases"][p] for r in runs if p in r["phases"]]) for p in phases]
            after = " / ".join(
                f"{statistics.median(r['peak_mb_after'][p] for r in runs):,.0f}" for p in ("load", "validate", "rules")
            )
            cells.append(after)
            cells.append(spread([r["tree_peak_mb"] for r in runs if "tree_peak_mb" in r]))
            lines.append(
                f"| {size['claims']:,} | {path} | {count} | {triples} | "
                f"{spread([r['peak_mb'] for r in runs])} | {spread([r['seconds'] for r in runs])} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def keep_one(root: Path, memory_mb: float, out: Path) -> int:
    """One build of an existing project, kept (its build published under ``root/var``), for later runs."""
    claims = sum(1 for path in (root / "data").rglob("claims-*.ttl") for line in path.open() if " a sdkg:Claim" in line)
    size: dict[str, Any] = {"claims": claims, "build": [], "reference": [], "load_average": [os.getloadavg()[0]]}
    result = child(root, memory_mb, reference=False, keep=True)
    size["build"].append(result)
    print(f"{root}, build: {json.dumps(result)}", file=sys.stderr, flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": {"project": str(root), "memory": memory_mb}, "sizes": [size]}, indent=1))
    print(table([size]))
    return 0 if "failed" not in result else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildmem", description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", default="10000,100000", help="corpus sizes (claims)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each path per size")
    parser.add_argument("--memory", type=float, default=8192, help="MB of address space per run")
    parser.add_argument("--skip-reference", action="store_true", help="only the build")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument(
        "--project",
        type=Path,
        help="build this generated project (bench.synthetic) once and keep it and its build (no --claims)",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "buildmem-latest.json")
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    if args.project:
        return keep_one(args.project.resolve(), args.memory, args.out)
    for claims in [int(c) for c in args.claims.split(",") if c]:
        root = args.work / f"buildmem-{claims}"
        subprocess.run(["rm", "-rf", str(root)], check=True)
        generate(root, claims)
        size: dict[str, Any] = {"claims": claims, "build": [], "reference": [], "load_average": []}
        for run in range(args.runs):
            for path in ("build", "reference"):
                if path == "reference" and args.skip_reference:
                    continue
                size["load_average"].append(os.getloadavg()[0])
                result = child(root, args.memory, path == "reference")
                size[path].append(result)
                print(f"{claims} claims, {path}, run {run + 1}: {json.dumps(result)}", file=sys.stderr, flush=True)
        results.append(size)
        subprocess.run(["rm", "-rf", str(root)], check=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "sizes": results}, indent=1))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
