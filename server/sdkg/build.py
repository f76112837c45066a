"""The build pipeline: files → load → validate → rules → publish.

The files are bulk-loaded twice at once, on two threads: into the new build's on-disk
store (what ``oxigraph load`` does, and what is published) and into an in-memory store,
where the shapes, the quote check and the rules run (pyoxigraph answers their many
small lookups about five times faster from memory than from disk). The rules' output
is then added to the on-disk store. A build is all or nothing: any parse error or SHACL
violation discards the build directory before the published store is touched, and the
error names the file and the node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import store as stores
from .catalog_rdf import catalog_quads
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
    """SHACL shapes plus the quote check against the source texts."""

    def on_query(done: int, total: int) -> None:
        progress.count("validating: shape queries", done, total)

    report = validate_project(project, root / "shapes", engine, on_query)
    report.results.extend(check_quotes(root, project))
    report.results.sort(key=lambda r: (r.severity != "Violation", r.file or "", r.line or 0, r.focus_node))
    return report


def infer(root: Path, store: ox.Store) -> int:
    """Apply the documented CONSTRUCT rules into the inferred graph."""
    rules_dir = root / "ontology" / "rules"
    if not rules_dir.is_dir():
        return 0
    from .rules import apply_rules

    return apply_rules(store, rules_dir)


def infer_into(root: Path, project: LoadedProject, disk: ox.Store) -> int:
    """Apply the rules to the in-memory copy, then add the inferred graph to the on-disk store."""
    inferred = infer(root, project.store)
    disk.bulk_extend(project.store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))
    return inferred


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
        store = ox.Store(str(build_dir / "store"))
        report, inferred, catalog = None, 0, []
        if data_paths:
            load(files, store, progress)
        else:
            project = load_twice(files, store, progress)
            report = check(root, project, progress)
            progress.step("applying the rules")
            inferred = infer_into(root, project, store)
            progress.step(f"inferred {inferred:,} triples")
            del project
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


def load(files: list[ProjectFile], store: ox.Store, progress: Progress, lenient: bool = False) -> LoadedProject:
    """Parse and load the files, reporting each one; the first broken file stops the build."""
    try:
        project = load_files(
            files, store, on_file=lambda done, _f: progress.count("loading files", done, len(files)), lenient=lenient
        )
    except ProjectError as error:
        raise BuildFailed(f"parse error: {error}") from None
    progress.step(f"loaded {len(files)} files")
    return project


def load_twice(files: list[ProjectFile], disk: ox.Store, progress: Progress) -> LoadedProject:
    """Load the files into ``disk`` and, on a second thread, into memory; return the in-memory copy.

    ``bulk_load`` releases the GIL, so the two loads run side by side. The in-memory copy is
    parsed strictly (it is what is validated, and a bad IRI stops the build there), so the
    on-disk copy may skip those checks.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdkg-load") as pool:
        copy = pool.submit(load_files, files, ox.Store())
        try:
            load(files, disk, progress, lenient=True)
        finally:
            wait([copy])
        try:
            return copy.result()
        except ProjectError as error:
            raise BuildFailed(f"parse error: {error}") from None


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
