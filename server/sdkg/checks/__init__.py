"""Validate a project: the SHACL shapes, the quote check and the graph check, in one call, one report.

:func:`validate_project` is the entry point for every caller (``sdkg build``, ``sdkg
validate``, the admin write pipeline). Inside, a SHACL engine yields findings (the
compiled one, :mod:`.compiled`, by default; pyshacl, :mod:`.reference`, to cross-check),
one :class:`~.locate.Locator` places them and the quote check's results in the files, and
the report is sorted once (:func:`~.report.sort_key`).

Modules: ``report`` (the result model), ``findings`` (results before they are located),
``locate``, ``compiled``, ``reference``, ``quotes``, ``graphs`` (editorial statements in the
editorial graph only), ``shapes``, ``terms``.
"""

from __future__ import annotations

from collections.abc import Callable

import rdflib

from ..layout import ProjectLayout
from ..project import LoadedProject, ProjectError
from .compiled import UnsupportedShape, validate_store
from .findings import Finding, findings_of, report_graph
from .graphs import check_graphs
from .locate import FindingReader, Locator, OwnerOf, graph_owner, store_owner
from .quotes import check_quotes
from .reference import files_graph, pyshacl_report
from .report import Report, Result, sort_key
from .shapes import load_shapes
from .terms import display_term

ENGINES = ("compiled", "pyshacl")

__all__ = ["ENGINES", "Report", "Result", "validate_project"]


def validate_project(
    layout: ProjectLayout,
    project: LoadedProject,
    engine: str = "compiled",
    on_query: Callable[[int, int], None] | None = None,
) -> Report:
    """Validate the loaded project against its shapes (with the ontology for the class hierarchy) and
    its passages against the source texts.

    ``compiled`` runs each constraint as one SPARQL query over all focus nodes, on the store
    itself (seconds at millions of triples); ``pyshacl`` is the reference engine, node by
    node in Python, for cross-checking on small projects. ``on_query(done, total)`` follows
    the compiled engine's queries. A project without ``shapes/`` is checked for quotes only.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r}; use one of {', '.join(ENGINES)}")
    locator = Locator(project, layout.root)
    results: list[Result] = []
    shacl_report: Callable[[], rdflib.Graph] = rdflib.Graph
    if layout.shapes.is_dir():
        findings, paths, owner_of, shacl_report = shacl_findings(layout, project, engine, on_query)
        reader = FindingReader(locator, owner_of, paths)
        results = [reader.read(finding) for finding in findings]
    results.extend(check_quotes(layout.root, project, locator))
    results.extend(check_graphs(project, locator))
    results.sort(key=sort_key)
    return Report(results, shacl_report)


def shacl_findings(
    layout: ProjectLayout,
    project: LoadedProject,
    engine: str,
    on_query: Callable[[int, int], None] | None,
) -> tuple[list[Finding], rdflib.Graph, OwnerOf, Callable[[], rdflib.Graph]]:
    """The engine's findings, the graph holding their paths' structure, how blank focus nodes are owned,
    and how to make the SHACL report graph."""
    shapes = load_shapes(layout.shapes)
    if engine == "pyshacl":
        data = files_graph(project.files)
        graph = pyshacl_report(data, shapes)
        return findings_of(graph), graph, graph_owner(data), lambda: graph
    try:
        findings = validate_store(project.store, shapes, display_term, on_query)
    except UnsupportedShape as error:
        raise ProjectError(layout.shapes, f"the shapes cannot be compiled: {error}") from None
    return findings, shapes, store_owner(project.store), lambda: report_graph(findings, shapes)
