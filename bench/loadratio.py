"""The load phase alone: our on-disk load against ``oxigraph load`` of the same files, in turns.

The whole build at 1M claims needs about 20 GB for its in-memory copy; its load phase does not
(it is a bulk load into the on-disk store, as ``oxigraph load`` is). This measures that phase at
any size: ``sdkg.build.load(..., lenient=True)`` into a new on-disk store, flushed, against
``oxigraph load`` into another, alternating ``--runs`` times so that both see the same machine.
Neither store is optimised (``oxigraph load`` does not optimise either).

``oxigraph load`` is given the files twice over, as two peers:

- ``oxigraph load`` (Turtle): the Turtle files as they are, so every triple goes to its default
  graph. That is less work than ours: the build loads each file into its own named graph (what
  the provenance of every claim rests on), and Oxigraph indexes a quad of a named graph six ways
  against three for a triple of the default graph (the store on disk is twice the size).
- ``oxigraph load`` (same graphs): the same quads ours writes, each file's triples in the file's
  named graph, given as N-Quads written before the clock starts (:func:`same_graphs`). Both
  loaders then write the same store; N-Quads is the quicker of the two formats to parse.

    python -m bench.synthetic /tmp/c1m --claims 1000000
    python -m bench.loadratio /tmp/c1m --work /tmp/loadratio --runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bench import servers
from sdkg.build.pipeline import load
from sdkg.layout import ProjectLayout
from sdkg.progress import Progress
from sdkg.project import RDF_KINDS, discover, read_rdf_file
from sdkg.sparql import allocator


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ours(root: Path, location: Path) -> dict[str, float]:
    """Our load phase, in a child process so that its peak memory is its own (wait4), with the allocator
    ``sdkg build`` has (jemalloc when the machine has it: :mod:`sdkg.sparql.allocator`)."""
    started = time.monotonic()
    command = [sys.executable, "-m", "bench.loadratio", "--load-only", str(root), "--work", str(location)]
    process = subprocess.Popen(command, env=allocator.environment(dict(os.environ)))
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("our load failed")
    seconds = time.monotonic() - started
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "size_mb": servers.size_mb(location)}


def load_only(root: Path, location: Path) -> None:
    """The child's work: load, flush."""
    store = ox.Store(str(location))
    load(discover(ProjectLayout.at(root)), store, Progress(enabled=False), lenient=True)
    store.flush()


TURTLE = "oxigraph load"
SAME_GRAPHS = "oxigraph load, same graphs"
LOADERS = (TURTLE, SAME_GRAPHS, "sdkg")


def same_graphs(root: Path, directory: Path) -> list[Path]:
    """Each RDF file the build loads, written as N-Quads with its triples in the graph the build gives it."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index, file in enumerate(f for f in discover(ProjectLayout.at(root)) if f.kind in RDF_KINDS):
        target = directory / f"{index:05d}.nq"
        with target.open("wb") as output:
            ox.serialize(read_rdf_file(file), output, format=ox.RdfFormat.N_QUADS)
        written.append(target)
    return written


def measure(root: Path, work: Path, runs: int) -> dict[str, Any]:
    files = servers.rdf_files(root)
    quads = same_graphs(root, work / "nquads")
    rows: list[dict[str, Any]] = []
    for run in range(1, runs + 1):
        for name in LOADERS:
            location = work / name.replace(" ", "-").replace(",", "")
            shutil.rmtree(location, ignore_errors=True)
            location.mkdir(parents=True)
            if name == "sdkg":
                result = ours(root, location)
            else:
                result = servers.oxigraph_load(location, files if name == TURTLE else quads, work)
            shutil.rmtree(location)
            log(
                f"run {run}: {name}: {result['seconds']:.1f} s, "
                f"peak {result['peak_mb']:.0f} MB, store {result['size_mb']:.0f} MB"
            )
            rows.append({"run": run, "loader": name, **result})
    shutil.rmtree(work / "nquads")
    best = {name: min(r["seconds"] for r in rows if r["loader"] == name) for name in LOADERS}
    return {
        "files": len(files),
        "runs": rows,
        "best_s": best,
        "ratio": best[TURTLE] / best["sdkg"],
        "ratio_same_graphs": best[SAME_GRAPHS] / best["sdkg"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadratio", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="a project (e.g. from python -m bench.synthetic)")
    parser.add_argument("--work", type=Path, default=Path("var/bench/loadratio"))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--load-only", action="store_true", help="(the child) our load alone, into --work")
    args = parser.parse_args()
    if args.load_only:
        load_only(args.root.resolve(), args.work.resolve())
        return 0
    result = measure(args.root.resolve(), args.work.resolve(), args.runs)
    log(
        f"load ratio (oxigraph load ÷ ours, best of {args.runs}): {result['ratio']:.2f}× against the Turtle files "
        f"in the default graph, {result['ratio_same_graphs']:.2f}× against the same quads in the same graphs"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
