"""Run ``sdkg build`` on a project and print its phases, sizes and counts as JSON.

The phases are those :func:`sdkg.build.pipeline.build` times itself (``load``: the files parsed
strictly and bulk-loaded into the new build's on-disk store, what ``oxigraph load`` does;
``compact``; ``validate``: SHACL and the quote check on that store; ``rules``; ``catalog``;
``index``: the search index; ``seal``: the last compaction and the count). Run as a child
process, so that the caller reads its peak memory (``wait4``) and can stop it at a time or
memory limit.

``--reference`` runs instead what the build did before it worked on disk (until 2026-12-04): the
files loaded into an in-memory store, the same validation there, and the rules' triples gathered
in Python (a set), less those another graph states. It writes nothing; ``tests/build/test_bounded.py``
checks that the build's report and inferred graph are this one's, and ``bench.buildmem`` runs
both to compare their memory and time.

    python -m bench.buildrun ROOT [--reference]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from sdkg.build.pipeline import BuildFailed, Phases, build
from sdkg.checks import Report, validate_project
from sdkg.layout import ProjectLayout
from sdkg.progress import Progress
from sdkg.project import LoadedProject, load_project


def run(root: Path) -> dict[str, object]:
    try:
        result = build(ProjectLayout.at(root), progress=Progress())
    except BuildFailed as error:
        report = error.report
        print(str(error), file=sys.stderr)
        if report is not None:
            for violation in report.violations[:10]:
                print(f"  {violation}", file=sys.stderr)
        raise SystemExit(1) from None
    report = result.report
    return {
        "files": len(result.files),
        "phases": result.phases,
        "peak_mb_after": result.peak_mb,
        "rss_mb_after": result.rss_mb,
        "seconds": result.seconds,
        "triples": result.triples,
        "inferred": result.inferred,
        "violations": len(report.violations) if report else None,
        "warnings": len(report.warnings) if report else None,
        "validated": result.info.validated,
        "store": str(result.path / "store"),
    }


def reference_inferred(project: LoadedProject, rules_dir: Path) -> set[ox.Triple]:
    """The rules as the in-memory build applied them: every CONSTRUCT over the files, less what a file states."""
    store = project.store
    derived: set[ox.Triple] = set()
    for rule in sorted(rules_dir.glob("*.rq")):
        result = store.query(rule.read_text(encoding="utf-8"), use_default_graph_as_union=True)
        assert isinstance(result, ox.QueryTriples)
        derived.update(result)
    return {t for t in derived if next(store.quads_for_pattern(t.subject, t.predicate, t.object, None), None) is None}


def reference(root: Path) -> tuple[Report, set[ox.Triple], Phases]:
    """The report and the inferred triples of the in-memory path, and its phases' seconds and memory."""
    layout = ProjectLayout.at(root)
    phase = Phases()
    with phase("load"):
        project = load_project(layout)
    with phase("validate"):
        report = validate_project(layout, project)
    with phase("rules"):
        inferred = reference_inferred(project, layout.rules) if layout.rules.is_dir() else set()
    return report, inferred, phase


def run_reference(root: Path) -> dict[str, object]:
    started = time.monotonic()
    report, inferred, phase = reference(root)
    return {
        "phases": phase.seconds,
        "peak_mb_after": phase.peak_mb,
        "seconds": time.monotonic() - started,
        "inferred": len(inferred),
        "violations": len(report.violations),
        "warnings": len(report.warnings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildrun")
    parser.add_argument("root", type=Path)
    parser.add_argument("--reference", action="store_true", help="the in-memory path instead of the build")
    args = parser.parse_args()
    root = args.root.resolve()
    print(json.dumps(run_reference(root) if args.reference else run(root)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
