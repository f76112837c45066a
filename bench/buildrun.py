"""Build a project phase by phase (load, validate, rules, publish) and print the timings as JSON.

The phases are those of ``sdkg build`` (``sdkg.build``): the files are parsed strictly into an
in-memory copy (``parse_s``); the shapes and the quote check (``validate_s``) and the rules
(``infer_s``) run on it; the inferred graph moves to the on-disk store, the copy is dropped, and
the files are bulk-loaded into the on-disk store (``load_s``: what ``oxigraph load`` does); then
the store is compacted (``optimize_s``). Run as
a child process so that its peak memory can be read with ``wait4``. Validation runs in a
forked child with a time limit: when it does not finish, the build still goes on (marked
``"validated": false``) so that the rest of the benchmark can run.

    python -m bench.buildrun ROOT [--validate-limit SECONDS]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from sdkg.build.pipeline import load, move_inferred
from sdkg.build.publish import new_build_dir, publish
from sdkg.build.rules import infer
from sdkg.builds import BuildInfo
from sdkg.checks import validate_project
from sdkg.layout import ProjectLayout
from sdkg.namespaces import INFERRED_GRAPH
from sdkg.progress import Progress
from sdkg.project import LoadedProject, discover


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def validate_child(root: Path, project: LoadedProject, answer: multiprocessing.Queue[tuple[int, int]]) -> None:
    report = validate_project(ProjectLayout.at(root), project)
    answer.put((len(report.violations), len(report.warnings)))


def bounded_validate(root: Path, project: LoadedProject, limit: float) -> dict[str, object]:
    """Validate in a forked child (it shares the in-memory store); stop it at ``limit`` seconds."""
    if limit <= 0:
        return {"validate_s": None, "validated": False, "validate_note": "skipped"}
    context = multiprocessing.get_context("fork")
    answer: multiprocessing.Queue[tuple[int, int]] = context.Queue()
    started = time.monotonic()
    child = context.Process(target=validate_child, args=(root, project, answer))
    child.start()
    child.join(limit)
    seconds = time.monotonic() - started
    if child.is_alive():
        child.kill()
        child.join()
        log(f"validation stopped after {limit:g} s")
        return {"validate_s": None, "validated": False, "validate_note": f"did not finish in {limit:g} s"}
    if answer.empty():
        return {"validate_s": seconds, "validated": False, "validate_note": "validation crashed"}
    violations, warnings = answer.get()
    log(f"validated in {seconds:.1f} s: {violations} violation(s), {warnings} warning(s)")
    return {"validate_s": seconds, "validated": violations == 0, "violations": violations, "warnings": warnings}


def run(root: Path, validate_limit: float) -> dict[str, object]:
    out: dict[str, object] = {}
    layout = ProjectLayout.at(root)
    files = discover(layout)
    out["files"] = len(files)
    build_dir = new_build_dir(layout.builds)
    started = time.monotonic()
    project = load(files, ox.Store(), Progress(), what="parsing files")
    out["parse_s"] = time.monotonic() - started
    out.update(bounded_validate(root, project, validate_limit))
    started = time.monotonic()
    out["inferred"] = infer(layout, project.store)
    out["infer_s"] = time.monotonic() - started
    log(f"rules applied in {out['infer_s']:.1f} s")
    store = ox.Store(str(build_dir / "store"))
    move_inferred(project, store)
    del project
    started = time.monotonic()
    load(files, store, Progress(), lenient=True, what="loading files into the store")
    store.flush()
    out["load_s"] = time.monotonic() - started
    log(f"loaded into the on-disk store in {out['load_s']:.1f} s")
    started = time.monotonic()
    store.optimize()
    out["optimize_s"] = time.monotonic() - started
    out["triples"] = len(store)
    del store
    graphs = [f.graph for f in files] + [INFERRED_GRAPH]
    info = BuildInfo(
        build_dir.name,
        BuildInfo.now(),
        triples=int(str(out["triples"])),
        inferred=int(str(out["inferred"])),
        validated=bool(out["validated"]),
        graphs=tuple(graphs),
    )
    info.write(build_dir)
    publish(layout, build_dir)
    out["store"] = str(build_dir / "store")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildrun")
    parser.add_argument("root", type=Path)
    parser.add_argument("--validate-limit", type=float, default=60.0)
    args = parser.parse_args()
    print(json.dumps(run(args.root.resolve(), args.validate_limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
