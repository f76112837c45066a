"""The build pipeline: files → parse → validate → rules → load → publish.

The files are first parsed strictly into an in-memory store, where the shapes, the quote
check and the rules run (pyoxigraph answers their many small lookups about five times
faster from memory than from disk). Only a valid build goes on: the inferred graph is
moved to the new build's on-disk store, the in-memory copy is dropped, and the files are
bulk-loaded into the on-disk store (what ``oxigraph load`` does, and what is published).
Both loads take several files at once, one per core. A build is all or nothing: any parse
error or SHACL violation discards the build directory before the published store is
touched, and the error names the file and the node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import store as stores
from .catalog_rdf import catalog_quads
from .graphcheck import check_graphs
from .namespaces import CATALOG_GRAPH, INFERRED_GRAPH
from .progress import SILENT, Progress
from .project import LoadedProject, ProjectError, ProjectFile, discover, files_for_paths, load_files, require_project
from .quotes import check_quotes
from .validate import ValidationReport, validate_project

BUILD_INFO = "sdkg-build.json"


class BuildFailed(Exception):
    """The build stopped; ``report`` holds the validation results when validation failed."""

    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    path: Path
    triples: int
    inferred: int
    files: list[ProjectFile]
    report: ValidationReport | None
    seconds: float
    info: dict[str, object] = field(default_factory=dict)


def validate(
    root: Path, project: LoadedProject, engine: str = "compiled", progress: Progress = SILENT
) -> ValidationReport:
    """SHACL shapes plus the quote check against the source texts and the editorial graph check."""

    def on_query(done: int, total: int) -> None:
        progress.count("validating: shape queries", done, total)

    report = validate_project(project, root / "shapes", engine, on_query)
    report.results.extend(check_quotes(root, project))
    report.results.extend(check_graphs(root, project))
    report.results.sort(key=lambda r: (r.severity != "Violation", r.file or "", r.line or 0, r.focus_node))
    return report


def infer(root: Path, store: ox.Store) -> int:
    """Apply the documented CONSTRUCT rules into the inferred graph; every derived triple must be explained."""
    rules_dir = root / "ontology" / "rules"
    if not rules_dir.is_dir():
        return 0
    from .rules import apply_rules, unexplained

    count = apply_rules(store, rules_dir)
    missing = unexplained(store)
    if missing:
        shown = "; ".join(f"{t.subject} {t.predicate} {t.object}" for t in missing[:3])
        raise BuildFailed(f"the rules derived {len(missing)}+ triple(s) without an sdkg:Explanation, e.g. {shown}")
    return count


def move_inferred(project: LoadedProject, disk: ox.Store) -> None:
    """Copy the inferred graph from the in-memory copy, where the rules ran, to the on-disk store."""
    disk.bulk_extend(project.store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))


def build(
    root: Path,
    data_paths: Sequence[Path] | None = None,
    progress: Progress = SILENT,
    publish: bool = True,
) -> BuildResult:
    """Build the store from the project (or only ``data_paths``, unvalidated and with nothing added)."""
    started = time.monotonic()
    files = find_files(root, data_paths)
    build_dir = stores.new_build_dir(root)
    try:
        report, inferred, catalog = None, 0, []
        if data_paths:
            store = ox.Store(str(build_dir / "store"))
            load(files, store, progress)
        else:
            project = load(files, ox.Store(), progress, what="parsing files")
            report = check(root, project, progress)
            progress.step("applying the rules")
            inferred = infer(root, project.store)
            progress.step(f"inferred {inferred:,} triples")
            store = ox.Store(str(build_dir / "store"))
            move_inferred(project, store)
            del project
            load(files, store, progress, lenient=True, what="loading files into the store")
            catalog = catalog_quads(root)
            store.bulk_extend(catalog)
        store.flush()
        store.optimize()
        triples = len(store)
        del store
    except BaseException:
        stores.discard(build_dir)
        raise
    info: dict[str, object] = {
        "version": build_dir.name,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "triples": triples,
        "inferred": inferred,
        "validated": report is not None,
        "files": [str(f.path) for f in files],
        "graphs": [f.graph for f in files]
        + ([INFERRED_GRAPH] if inferred else [])
        + ([CATALOG_GRAPH] if catalog else []),
    }
    (build_dir / BUILD_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
    progress.step(f"stored {triples:,} triples ({inferred:,} inferred) in {build_dir}")
    if publish:
        stores.publish(root, build_dir)
    return BuildResult(build_dir, triples, inferred, files, report, time.monotonic() - started, info)


def find_files(root: Path, data_paths: Sequence[Path] | None) -> list[ProjectFile]:
    try:
        if data_paths:
            return files_for_paths(root, data_paths)
        require_project(root)
        return discover(root)
    except ProjectError as error:
        raise BuildFailed(f"parse error: {error}") from None


def load(
    files: list[ProjectFile], store: ox.Store, progress: Progress, lenient: bool = False, what: str = "loading files"
) -> LoadedProject:
    """Parse and load the files, reporting each one; the first broken file stops the build.

    ``lenient`` skips the IRI and language-tag checks: only for files that were parsed
    strictly into the in-memory copy first.
    """
    try:
        project = load_files(
            files, store, on_file=lambda done, _f: progress.count(what, done, len(files)), lenient=lenient
        )
    except ProjectError as error:
        raise BuildFailed(f"parse error: {error}") from None
    progress.step(f"{what}: {len(files)} done")
    return project


def check(root: Path, project: LoadedProject, progress: Progress) -> ValidationReport:
    """Validate the loaded files; a violation stops the build."""
    progress.step("validating with the SHACL shapes and the source texts")
    report = validate(root, project, progress=progress)
    progress.step(f"validated: {len(report.violations)} violation(s), {len(report.warnings)} warning(s)")
    if not report.conforms:
        raise BuildFailed(f"validation failed with {len(report.violations)} violation(s)", report)
    return report


def read_build_info(build_dir: Path) -> dict[str, object]:
    try:
        return dict(json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}
