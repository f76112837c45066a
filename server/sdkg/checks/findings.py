"""What a SHACL engine finds, before it is located in the project: :class:`Finding`.

Both engines end here: the compiled one returns findings directly, the reference engine
(pyshacl) returns a SHACL report graph that :func:`findings_of` reads. The report graph of
the compiled engine is made from its findings only when someone asks for it
(:func:`report_graph`, for ``sdkg validate --format turtle``).
"""

from __future__ import annotations

from dataclasses import dataclass

import rdflib
from rdflib.namespace import RDF, SH


@dataclass(frozen=True)
class Finding:
    """One SHACL validation result, in the terms of the shapes and the data."""

    severity: rdflib.term.Node
    focus: rdflib.term.Node
    path: rdflib.term.Node | None
    """An IRI, or a blank node whose structure (inverse, sequence...) is in the shapes or report graph."""
    value: rdflib.term.Node | None
    shape: rdflib.term.Node
    component: rdflib.term.Node
    constraint: rdflib.term.Node | None
    messages: tuple[str, ...]


def findings_of(report: rdflib.Graph) -> list[Finding]:
    """The results of a SHACL report graph (pyshacl's) as findings."""

    def one(node: rdflib.term.Node, predicate: rdflib.URIRef) -> rdflib.term.Node | None:
        return next(iter(report.objects(node, predicate)), None)

    def given(node: rdflib.term.Node, predicate: rdflib.URIRef) -> rdflib.term.Node:
        found = one(node, predicate)
        return rdflib.BNode() if found is None else found  # (not ``or``: a literal may be falsy)

    return [
        Finding(
            severity=given(node, SH.resultSeverity),
            focus=given(node, SH.focusNode),
            path=one(node, SH.resultPath),
            value=one(node, SH.value),
            shape=given(node, SH.sourceShape),
            component=given(node, SH.sourceConstraintComponent),
            constraint=one(node, SH.sourceConstraint),
            messages=tuple(str(m) for m in report.objects(node, SH.resultMessage)),
        )
        for node in report.subjects(SH.resultSeverity, None)
    ]


def copy_node(source: rdflib.Graph, target: rdflib.Graph, node: rdflib.term.Node) -> None:
    """Copy a blank-node structure (a path: inverse, list...) from the shapes graph into the report."""
    todo, done = [node], set()
    while todo:
        current = todo.pop()
        if not isinstance(current, rdflib.BNode) or current in done:
            continue
        done.add(current)
        for predicate, obj in source.predicate_objects(current):
            target.add((current, predicate, obj))
            todo.append(obj)


def report_graph(findings: list[Finding], shapes: rdflib.Graph) -> rdflib.Graph:
    """The SHACL validation report of the findings, shaped like pyshacl's."""
    graph = rdflib.Graph()
    graph.bind("sh", SH)
    report = rdflib.BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    conforms = not any(f.severity == SH.Violation for f in findings)
    graph.add((report, SH.conforms, rdflib.Literal(conforms)))
    for finding in findings:
        node = rdflib.BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, finding.focus))
        graph.add((node, SH.resultSeverity, finding.severity))
        graph.add((node, SH.sourceShape, finding.shape))
        graph.add((node, SH.sourceConstraintComponent, finding.component))
        if finding.constraint is not None:
            graph.add((node, SH.sourceConstraint, finding.constraint))
        if finding.value is not None:
            graph.add((node, SH.value, finding.value))
        if finding.path is not None:
            graph.add((node, SH.resultPath, finding.path))
            copy_node(shapes, graph, finding.path)
        for text in finding.messages:
            graph.add((node, SH.resultMessage, rdflib.Literal(text)))
    return graph
