"""Admin writes (SPARQL Update, Graph Store PUT/POST/DELETE): a build made from the served one, all or nothing.

The served store is never written in place. A change is applied to an in-memory copy of
the asserted quads, validated like a build (:func:`sdkg.checks.validate_project`, when a
project is served), its rules applied in memory, and then sealed and published by the
same step as ``sdkg build`` (:mod:`.publish`), with the same :class:`~sdkg.builds.BuildInfo`.
The caller switches its engine to the new store. An invalid change leaves everything as it
was and raises with the report.
"""

from __future__ import annotations

import pickle
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..builds import BuildInfo
from ..checks import Report, validate_project
from ..layout import ProjectLayout
from ..namespaces import INFERRED_GRAPH, SUMMARIES_GRAPH
from ..project import LoadedProject, ProjectError, ProjectFile, discover
from ..search.build import write_index
from . import publish as publication
from .publish import building, seal, store_of
from .rules import UnexplainedDerivation, infer
from .summaries import summarise

Change = Callable[[ox.Store], None]


class ChangeError(Exception):
    """A change that cannot be made; ``str()`` says why."""


class InvalidChange(ChangeError):
    """The change itself is malformed (a syntax error, a bad IRI)."""


class ChangeTooLarge(ChangeError):
    """The change needed more memory than a change may use (HTTP 507, as for a query past its cap)."""


class NoSuchGraph(ChangeError, LookupError):
    """The change names a graph the store does not hold."""


class ChangeRefused(ChangeError):
    """The changed data would violate the shapes or the quote check; ``report`` says where."""

    def __init__(self, report: Report):
        super().__init__(f"the change violates the shapes ({len(report.violations)} violation(s))")
        self.report = report

    def __reduce__(self) -> tuple[type[ChangeRefused], tuple[Report]]:
        return (ChangeRefused, (Report(self.report.results),))  # the results cross processes, not the graph maker


def load_copy(store_path: Path) -> ox.Store:
    """The served quads (without the inferred ones and the summaries: both are derived again) in memory."""
    source = ox.Store.read_only(str(store_path))
    copy = ox.Store()
    derived = (ox.NamedNode(INFERRED_GRAPH), ox.NamedNode(SUMMARIES_GRAPH))
    copy.bulk_extend(q for q in source if q.graph_name not in derived)
    return copy


def apply(change: Change, store: ox.Store) -> None:
    """Make the change on the copy; its own errors become :class:`InvalidChange` (lookup errors pass)."""
    try:
        change(store)
    except SyntaxError as error:
        raise InvalidChange(f"malformed update: {error}") from None
    except (ValueError, OSError) as error:
        raise InvalidChange(f"update failed: {error}") from None


def validate_change(layout: ProjectLayout, store: ox.Store) -> Report:
    """Validate the changed data as a build would; graphs no file owns count as data."""
    files = discover(layout)
    owned = {f.graph for f in files}
    for graph in sorted({g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)} - owned):
        files.append(ProjectFile(layout.root / "(change)", graph, "data"))
    return validate_project(layout, LoadedProject(files, store))


def graph_order(previous: Iterable[str], store: ox.Store) -> list[str]:
    """The store's named graphs: those the build before recorded in its order, then new ones."""
    present = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    kept = [g for g in previous if g in present]
    return kept + [g for g in present if g not in kept]


def commit(store_path: Path, change: Change, layout: ProjectLayout | None) -> Path:
    """Apply ``change`` to a copy of the store at ``store_path``; return the new store's path.

    With a project ``layout`` the change is validated and its rules applied, and the new build
    is published when the changed one was the published one. Raises :class:`ChangeError` s,
    and :class:`~sdkg.project.ProjectError` when the project's files cannot be read.
    """
    copy = load_copy(store_path)
    apply(change, copy)
    inferred = 0
    if layout is not None:
        report = validate_change(layout, copy)
        if not report.conforms:
            raise ChangeRefused(report)
        try:
            inferred = infer(layout, copy)
        except UnexplainedDerivation as error:
            raise InvalidChange(str(error)) from None
    summarise(copy)  # the counts the catalog reads, of the changed data
    source = store_path.parent
    previous = BuildInfo.read(source)
    with building(layout.builds if layout is not None else source.parent) as build_dir:
        store = store_of(build_dir)
        store.bulk_extend(copy)
        write_index(store, build_dir)  # the search index, published with the store
        seal(
            build_dir,
            store,
            inferred=inferred,
            validated=layout is not None,
            graphs=graph_order(previous.graphs if previous else (), copy),
            files=previous.files if previous else (),
            changed_from=source.name,
        )
        del store
    if layout is not None and layout.current_build() == source.resolve():
        publication.publish(layout, build_dir)
    return build_dir / "store"


# The changes are values (picklable), so that a change can be made in a process of its own: the server
# runs :func:`main` in a child it can stop at the deadline, cap in memory and kill when the client leaves.


@dataclass(frozen=True)
class SparqlUpdate:
    text: str
    base_iri: str | None = None

    def __call__(self, store: ox.Store) -> None:
        store.update(self.text, base_iri=self.base_iri)


@dataclass(frozen=True)
class ReplaceGraph:
    """Graph Store PUT (``keep=False``) or POST (``keep=True``); ``graph=None`` is the default graph."""

    graph: ox.NamedNode | None
    triples: tuple[ox.Triple, ...]
    keep: bool

    def __call__(self, store: ox.Store) -> None:
        target: ox.NamedNode | ox.DefaultGraph = self.graph if self.graph is not None else ox.DefaultGraph()
        if not self.keep and self.graph is None:
            store.clear_graph(ox.DefaultGraph())
        elif not self.keep and self.graph in set(store.named_graphs()):
            store.remove_graph(self.graph)
        for triple in self.triples:
            store.add(ox.Quad(triple.subject, triple.predicate, triple.object, target))


@dataclass(frozen=True)
class DropGraph:
    graph: ox.NamedNode | None

    def __call__(self, store: ox.Store) -> None:
        if self.graph is None:
            store.clear_graph(ox.DefaultGraph())
        elif self.graph in set(store.named_graphs()):
            store.remove_graph(self.graph)
        else:
            raise NoSuchGraph(f"no graph <{self.graph.value}>")


def sparql_update(text: str, base_iri: str | None = None) -> Change:
    return SparqlUpdate(text, base_iri)


def replace_graph(graph: ox.NamedNode | None, triples: list[ox.Triple], keep: bool) -> Change:
    return ReplaceGraph(graph, tuple(triples), keep)


def drop_graph(graph: ox.NamedNode | None) -> Change:
    return DropGraph(graph)


def too_large(memory_mb: int) -> str:
    """What a change past its memory cap is told, wherever it ran out (in Python or in the store's allocator)."""
    return f"the change needed more than the {memory_mb} MB a change may use; nothing was changed"


def main() -> None:
    """A change made in a process of its own: ``(store_path, change, layout, memory_mb)`` pickled on stdin,
    ``("ok", new store path)`` or ``("error", exception)`` pickled on stdout."""
    from ..sparql.sandbox import cap_memory, die_with_parent, no_network

    die_with_parent()  # a change whose server is gone has nobody to switch to its store
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    store_path, change, layout, memory_mb = pickle.load(sys.stdin.buffer)
    if not (isinstance(change, SparqlUpdate) and "load" in change.text.lower()):
        no_network()  # an update that LOADs an allowed endpoint needs the network; every other change does not
    cap_memory(memory_mb * 2**20)
    try:
        result: tuple[str, object] = ("ok", commit(store_path, change, layout))
    except (ChangeError, ProjectError) as error:
        result = ("error", error)
    except MemoryError:
        result = ("error", ChangeTooLarge(too_large(memory_mb)))
    except Exception as error:  # a bug: say what it was, without a traceback
        result = ("error", InvalidChange(f"the change failed: {type(error).__name__}: {error}"))
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()
