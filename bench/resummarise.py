"""A built store's quads, less its summaries graph, copied into a new store whose summaries are made again.

Used to time a change to :mod:`sdkg.build.summaries` at a size whose whole build takes half an hour:
the copy is the store a build would have before its summaries step, and the step is timed as the
build runs it (``summarise`` on a store without the graph), then the store is optimised as the
build's seal does. ``python -m bench.resummarise BUILT_STORE NEW_STORE``.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time

import pyoxigraph as ox

from sdkg.build.summaries import summarise
from sdkg.namespaces import SUMMARIES_GRAPH

CHUNK = 250_000


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a built store (read only)")
    parser.add_argument("target", help="a new store's directory")
    args = parser.parse_args()
    source = ox.Store.read_only(args.source)
    target = ox.Store(args.target)
    summaries = ox.NamedNode(SUMMARIES_GRAPH)
    started = time.monotonic()
    quads = (q for q in source if q.graph_name != summaries)
    copied = 0
    while batch := list(itertools.islice(quads, CHUNK)):
        target.bulk_extend(batch)
        copied += len(batch)
    target.flush()
    target.optimize()
    print(f"copied {copied} quads in {time.monotonic() - started:.0f} s; peak MB {peak_mb()}", flush=True)
    started = time.monotonic()
    written = summarise(target)
    print(f"summaries {written} triples in {time.monotonic() - started:.1f} s; peak MB {peak_mb()}", flush=True)
    started = time.monotonic()
    target.flush()
    target.optimize()
    print(f"optimise {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
