"""Admin writes (SPARQL Update, Graph Store PUT/POST/DELETE): all or nothing, SHACL-gated.

The served store is never written in place. A change is applied to an in-memory
copy, validated like a build (shapes and quotes, when a project is served), then
written as a new build next to the old one; the caller switches its engine to the
new store. An invalid change leaves everything as it was and returns the report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .. import store as stores
from ..build import BUILD_INFO, infer
from ..checks import Report, validate_project
from ..layout import ProjectLayout
from ..namespaces import INFERRED_GRAPH
from ..project import LoadedProject, ProjectError, ProjectFile, discover

Change = Callable[[ox.Store], None]


class ChangeRefused(Exception):
    """The change is invalid; ``report`` holds the SHACL/quote report when validation refused it."""

    def __init__(self, status: int, message: str, report: Report | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.report = report


def load_copy(store_path: Path) -> ox.Store:
    """The served quads (without inferred ones) in memory."""
    source = ox.Store.read_only(str(store_path))
    copy = ox.Store()
    inferred = ox.NamedNode(INFERRED_GRAPH)
    copy.bulk_extend(q for q in source if q.graph_name != inferred)
    return copy


def validate_change(root: Path, store: ox.Store) -> Report:
    """Validate the changed data as a build would; graphs no file owns count as data."""
    try:
        files = discover(root)
    except ProjectError as error:
        raise ChangeRefused(500, f"cannot read the project: {error}") from None
    owned = {f.graph for f in files}
    for graph in sorted({g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)} - owned):
        files.append(ProjectFile(root / "(change)", graph, "data"))
    return validate_project(ProjectLayout.at(root), LoadedProject(files, store))


def new_build_dir(store_path: Path, root: Path | None) -> Path:
    if root is not None:
        return stores.new_build_dir(root)
    path = store_path.parent.parent / f"{time.strftime('%Y%m%dT%H%M%S')}-change-{time.monotonic_ns() % 1_000_000}"
    path.mkdir(parents=True)
    return path


def commit(store_path: Path, change: Change, root: Path | None) -> Path:
    """Apply ``change`` to a copy of the store at ``store_path``; return the new store's path.

    Raises ``SyntaxError``/``ValueError`` from the change, :class:`ChangeRefused` when invalid.
    """
    copy = load_copy(store_path)
    change(copy)
    if root is not None and (root / "shapes").is_dir():
        report = validate_change(root, copy)
        if not report.conforms:
            raise ChangeRefused(422, f"the change violates the shapes ({len(report.violations)} violation(s))", report)
    build_dir = new_build_dir(store_path, root)
    try:
        written = stores.write_store(build_dir / "store", list(copy))
        inferred = infer(root, written) if root is not None else 0
        written.flush()
        triples = len(written)
        del written
    except Exception:
        stores.discard(build_dir)
        raise
    info = {
        "version": build_dir.name,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "triples": triples,
        "inferred": inferred,
        "changed_from": store_path.parent.name,
    }
    (build_dir / BUILD_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
    if root is not None and stores.current_store_path(root) == store_path.parent.resolve():
        stores.publish(root, build_dir)
    return build_dir / "store"


def sparql_update(text: str, base_iri: str | None = None) -> Change:
    def apply(store: ox.Store) -> None:
        store.update(text, base_iri=base_iri)

    return apply


def replace_graph(graph: ox.NamedNode | None, triples: list[ox.Triple], keep: bool) -> Change:
    """Graph Store PUT (``keep=False``) or POST (``keep=True``); ``graph=None`` is the default graph."""

    def apply(store: ox.Store) -> None:
        target: ox.NamedNode | ox.DefaultGraph = graph if graph is not None else ox.DefaultGraph()
        if not keep and graph is None:
            store.clear_graph(ox.DefaultGraph())
        elif not keep and graph in set(store.named_graphs()):
            store.remove_graph(graph)
        for triple in triples:
            store.add(ox.Quad(triple.subject, triple.predicate, triple.object, target))

    return apply


def drop_graph(graph: ox.NamedNode | None) -> Change:
    def apply(store: ox.Store) -> None:
        if graph is None:
            store.clear_graph(ox.DefaultGraph())
        elif graph in set(store.named_graphs()):
            store.remove_graph(graph)
        else:
            raise LookupError(f"no graph <{graph.value}>")

    return apply
