"""The build pipeline: files → parse → validate → rules → load → publish.

The files are first parsed strictly into an in-memory store, where the shapes, the quote
check and the rules run (pyoxigraph answers their many small lookups about five times
faster from memory than from disk). Only a valid build goes on: the inferred graph is
moved to the new build's on-disk store, the in-memory copy is dropped, and the files are
bulk-loaded into the on-disk store (what ``oxigraph load`` does, and what is published).
Both loads take several files at once, one per core. A build is all or nothing: any parse
error or SHACL violation discards the build directory before the published store is
touched, and the error names the file and the node. The end (seal, publish) is the one
publish step that admin changes share (:mod:`.publish`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..builds import BuildInfo
from ..catalog import read_catalog
from ..catalog.rdf import catalog_quads
from ..checks import Report, validate_project
from ..layout import ProjectLayout
from ..namespaces import CATALOG_GRAPH, INFERRED_GRAPH
from ..progress import SILENT, Progress
from ..project import LoadedProject, ProjectError, ProjectFile, discover, files_for_paths, load_files, require_project
from ..search.build import write_index
from . import publish as publication
from .publish import building, seal, store_of
from .rules import UnexplainedDerivation, infer


class BuildFailed(Exception):
    """The build stopped; ``report`` holds the validation results when validation failed."""

    def __init__(self, message: str, report: Report | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    path: Path
    files: list[ProjectFile]
    report: Report | None
    seconds: float
    info: BuildInfo

    @property
    def triples(self) -> int:
        return self.info.triples

    @property
    def inferred(self) -> int:
        return self.info.inferred


def build(
    layout: ProjectLayout,
    data_paths: Sequence[Path] | None = None,
    progress: Progress = SILENT,
    publish: bool = True,
) -> BuildResult:
    """Build the store from the project (or only ``data_paths``, unvalidated and with nothing added)."""
    try:
        return build_in(layout, data_paths, progress, publish)
    except publication.StateNotWritable as error:
        raise BuildFailed(str(error)) from None


def build_in(
    layout: ProjectLayout, data_paths: Sequence[Path] | None, progress: Progress, publish: bool
) -> BuildResult:
    started = time.monotonic()
    files = find_files(layout, data_paths)
    with building(layout.builds) as build_dir:
        report, inferred, catalog = None, 0, []
        if data_paths:
            store = store_of(build_dir)
            load(files, store, progress)
        else:
            project = load(files, ox.Store(), progress, what="parsing files")
            report = require_valid(layout, project, progress)
            progress.step("applying the rules")
            try:
                inferred = infer(layout, project.store)
            except UnexplainedDerivation as error:
                raise BuildFailed(str(error)) from None
            progress.step(f"inferred {inferred:,} triples")
            store = store_of(build_dir)
            move_inferred(project, store)
            del project
            load(files, store, progress, lenient=True, what="loading files into the store")
            catalog = catalog_quads(read_catalog(layout.queries))
            store.bulk_extend(catalog)
        graphs = (
            [f.graph for f in files] + ([INFERRED_GRAPH] if inferred else []) + ([CATALOG_GRAPH] if catalog else [])
        )
        files_read = [str(f.path) for f in files]
        write_index(store, build_dir, progress)  # the search index, published with the store
        info = seal(build_dir, store, inferred=inferred, validated=report is not None, graphs=graphs, files=files_read)
        del store
    progress.step(f"stored {info.triples:,} triples ({inferred:,} inferred) in {build_dir}")
    if publish:
        publication.publish(layout, build_dir)
    return BuildResult(build_dir, files, report, time.monotonic() - started, info)


def find_files(layout: ProjectLayout, data_paths: Sequence[Path] | None) -> list[ProjectFile]:
    try:
        if data_paths:
            return files_for_paths(layout.root, data_paths)
        require_project(layout)
        return discover(layout)
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


def require_valid(layout: ProjectLayout, project: LoadedProject, progress: Progress) -> Report:
    """Validate the loaded files; a violation stops the build."""
    progress.step("validating with the SHACL shapes and the source texts")

    def on_query(done: int, total: int) -> None:
        progress.count("validating: shape queries", done, total)

    report = validate_project(layout, project, on_query=on_query)
    progress.step(f"validated: {len(report.violations)} violation(s), {len(report.warnings)} warning(s)")
    if not report.conforms:
        raise BuildFailed(f"validation failed with {len(report.violations)} violation(s)", report)
    return report


def move_inferred(project: LoadedProject, disk: ox.Store) -> None:
    """Copy the inferred graph from the in-memory copy, where the rules ran, to the on-disk store."""
    disk.bulk_extend(project.store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))
