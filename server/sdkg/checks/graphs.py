"""Check that editorial statements, and only they, are in the editorial graph.

A statement that neither source makes (an ``sdkg:EditorialStatement``: an editorial link or
alignment) lives in :data:`~sdkg.namespaces.EDITORIAL_GRAPH`, loaded from ``data/editorial/``;
a link a source makes lives in that source's files. Which graph holds a triple is invisible to
SHACL engines that read one merged graph (the reference engine, pyshacl), so this check runs
on the store, beside the quote check, whatever engine validates the shapes.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import EDITORIAL_GRAPH, INFERRED_GRAPH, RDFS, SDKG
from ..project import LoadedProject
from .locate import Locator
from .report import Result

GRAPH_CHECK = "sdkg:GraphCheck"

OUTSIDE = f"""
SELECT DISTINCT ?node ?graph WHERE {{
    ?node a ?type .
    ?type <{RDFS}subClassOf>* <{SDKG}EditorialStatement> .
    GRAPH ?graph {{ ?node ?property ?value }}
    FILTER (?graph != <{EDITORIAL_GRAPH}> && ?graph != <{INFERRED_GRAPH}>)
}}"""

INSIDE = f"""
SELECT DISTINCT ?node WHERE {{
    GRAPH <{EDITORIAL_GRAPH}> {{ ?node ?property ?value }}
    FILTER NOT EXISTS {{ ?node a ?type . ?type <{RDFS}subClassOf>* <{SDKG}EditorialStatement> }}
}}"""

OUTSIDE_MESSAGE = (
    "An editorial statement (sdkg:EditorialLink or sdkg:EditorialAlignment, made by no source) is written "
    "outside the editorial graph: move it to data/editorial/."
)
INSIDE_MESSAGE = (
    "This node is in the editorial graph (data/editorial/) but is not an editorial statement: a link or "
    "alignment that a source makes belongs in that source's files; one that no source makes is typed "
    "sdkg:EditorialLink or sdkg:EditorialAlignment."
)


def value_of(term: object) -> str:
    return str(getattr(term, "value", term))


def check_graphs(project: LoadedProject, locator: Locator) -> list[Result]:
    """A violation for every editorial statement outside the editorial graph and every other node inside it."""
    files = {f.graph: f for f in project.files}
    results: list[Result] = []

    def result(node: str, graph: str, message: str) -> Result:
        file = files.get(graph)
        where: str | None
        line: int | None
        if file is not None:
            where, line = locator.display(file.path), locator.line_of(file.path, node)
        else:
            where, line = locator.locate(node)
        return Result(
            "Violation",
            node,
            locator.label_of(node),
            None,
            graph,
            message,
            GRAPH_CHECK,
            GRAPH_CHECK,
            where,
            line,
            GRAPH_CHECK,
        )

    outside = project.store.query(OUTSIDE, use_default_graph_as_union=True)
    assert isinstance(outside, ox.QuerySolutions)
    results += [result(value_of(row["node"]), value_of(row["graph"]), OUTSIDE_MESSAGE) for row in outside]
    inside = project.store.query(INSIDE, use_default_graph_as_union=True)
    assert isinstance(inside, ox.QuerySolutions)
    results += [
        result(value_of(row["node"]), EDITORIAL_GRAPH, INSIDE_MESSAGE)
        for row in inside
        if isinstance(row["node"], ox.NamedNode)
    ]
    return results
