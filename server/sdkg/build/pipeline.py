"""The build pipeline: files → parse → validate → rules → summaries → publish, in the new build's on-disk store.

The files are parsed strictly and bulk-loaded, several at once (what ``oxigraph load`` does),
straight into the new build's store on disk; the store is compacted, and the shapes, the quote
check and the rules run on it. Nothing holds the corpus in memory: the loader writes sorted
batches, the shapes are SPARQL queries, the rules stream their triples to files that are
bulk-loaded into the inferred graph (:mod:`.rules`); the catalog's counts are aggregated on the
store into the summaries graph (:mod:`.summaries`). Memory stays about flat as the corpus
grows (bench/README.md has the numbers). A build is all or nothing: any parse error or SHACL
violation discards the build directory before the published store is touched, and the error
names the file and the node. The end (seal, publish) is the one publish step that admin
changes share (:mod:`.publish`).
"""

from __future__ import annotations

import ctypes
import gc
import resource
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..builds import BuildInfo
from ..catalog import read_catalog
from ..catalog.rdf import catalog_quads
from ..checks import Report, validate_project
from ..layout import ProjectLayout
from ..namespaces import CATALOG_GRAPH, INFERRED_GRAPH, SUMMARIES_GRAPH
from ..progress import SILENT, Progress
from ..project import LoadedProject, ProjectError, ProjectFile, discover, files_for_paths, load_files, require_project
from ..search.build import write_index
from . import publish as publication
from .publish import STORE, building, seal, store_of
from .rules import RuleFailed, UnexplainedDerivation, infer
from .summaries import summarise


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
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase: ``load``, ``compact``, ``validate``, ``rules``, ``catalog``, ``summaries``, ``index``,
    ``seal``."""
    peak_mb: dict[str, float] = field(default_factory=dict)
    """The peak RSS (MB) so far, of the process or of any child it has reaped (a rule's), at the end of each phase."""
    rss_mb: dict[str, float] = field(default_factory=dict)
    """The process's own RSS (MB) at the end of each phase: what it kept."""

    @property
    def triples(self) -> int:
        return self.info.triples

    @property
    def inferred(self) -> int:
        return self.info.inferred


class Phases:
    """Times the build's phases and notes the process's memory high-water mark at the end of each
    (what ``python -m bench.buildmem`` reports: the phase after which it rose is the one that took it)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}
        self.rss_mb: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started
            self.peak_mb[name] = max(
                resource.getrusage(who).ru_maxrss / 1024 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            )
            self.rss_mb[name] = resident_mb()


def resident_mb() -> float:
    """The process's resident memory now (MB), from ``/proc`` (0 where there is none)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


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
    phase = Phases()
    files = find_files(layout, data_paths)
    with building(layout.builds) as build_dir:
        report, inferred, catalog = None, 0, []
        store = store_of(build_dir)
        with phase("load"):
            project = load(files, store, progress, what="loading files into the store")
            store.flush()
        if not data_paths:
            with phase("compact"):
                store.optimize()  # one sorted run per index: the checks and rules read it several times
            with phase("validate"):
                report = require_valid(layout, project, progress)
                give_back_memory()  # what validation freed, before the rules' processes start beside this one
            progress.step("applying the rules")
            with phase("rules"):
                try:
                    inferred = infer(layout, store, scratch=build_dir, store_path=build_dir / STORE, step=phase)
                except (UnexplainedDerivation, RuleFailed) as error:
                    raise BuildFailed(str(error)) from None
            progress.step(f"inferred {inferred:,} triples")
            with phase("catalog"):
                catalog = catalog_quads(read_catalog(layout.queries))
                store.bulk_extend(catalog)
        with phase("summaries"):  # unbuilt data (sdkg serve --data) too: the catalog's aggregates read them
            summarised = summarise(store)
        progress.step(f"summaries: {summarised:,} triples")
        del project
        graphs = (
            [f.graph for f in files]
            + ([INFERRED_GRAPH] if inferred else [])
            + ([CATALOG_GRAPH] if catalog else [])
            + ([SUMMARIES_GRAPH] if summarised else [])
        )
        files_read = [str(f.path) for f in files]
        with phase("index"):
            write_index(store, build_dir, progress)  # the search index, published with the store
        with phase("seal"):
            info = seal(
                build_dir, store, inferred=inferred, validated=report is not None, graphs=graphs, files=files_read
            )
        del store
    progress.step(f"stored {info.triples:,} triples ({inferred:,} inferred) in {build_dir}")
    if publish:
        publication.publish(layout, build_dir)
    return BuildResult(
        build_dir, files, report, time.monotonic() - started, info, phase.seconds, phase.peak_mb, phase.rss_mb
    )


def give_back_memory() -> None:
    """Return the heap's freed pages to the system (glibc keeps them for reuse otherwise): the build's own
    process stays small while the rules run beside it in processes of their own."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


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

    ``lenient`` skips the IRI and language-tag checks: only for files already parsed strictly.
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
