"""SHACL-SPARQL targets and constraints, evaluated on pyoxigraph for all focus nodes at once.

pyshacl runs a SPARQL constraint once per focus node through rdflib's SPARQL engine
(milliseconds each: minutes at 100k nodes). The shapes are unchanged; only the engine
is: each ``sh:SPARQLTarget`` becomes explicit ``sh:targetNode`` triples, and each
node-level ``sh:SPARQLConstraint`` runs as one oxigraph query with ``$this`` bound to
the shape's focus nodes through ``VALUES``. Everything else is left to pyshacl.
Constraints on blank-node focus nodes stay with pyshacl (VALUES cannot carry them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH

SPARQL_CONSTRAINT_COMPONENT = SH.SPARQLConstraintComponent
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SparqlResult:
    """One row of a SPARQL constraint: a violation of ``constraint`` in ``shape`` at ``focus``."""

    shape: rdflib.URIRef
    constraint: rdflib.term.Node
    severity: rdflib.URIRef
    focus: rdflib.term.Node
    path: rdflib.term.Node | None
    value: rdflib.term.Node | None
    message: str


def to_ox(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, rdflib.Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)


def to_rdflib(term: object) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def prefixes_of(shapes: rdflib.Graph, node: rdflib.term.Node) -> str:
    """The ``PREFIX`` lines that ``sh:prefixes`` declares for a SPARQL target or constraint."""
    lines = []
    for declarer in shapes.objects(node, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines))) + "\n"


def plain(term: rdflib.term.Node | None) -> str:
    return "?" if term is None else str(term)


class OxigraphSparql:
    """Evaluate the shapes' SPARQL targets and constraints on one oxigraph store of the data."""

    def __init__(self, quads: Iterable[ox.Quad], display: Callable[[rdflib.term.Node | None], str] = plain):
        self.display = display
        self.store = ox.Store()
        self.store.bulk_extend(quads)

    def select(self, query: str) -> list[dict[str, object]]:
        result = self.store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{name: row[name] for name in names if row[name] is not None} for row in result]

    def expand_targets(self, shapes: rdflib.Graph) -> None:
        """Replace each ``sh:SPARQLTarget`` by the ``sh:targetNode`` triples it selects."""
        for shape, target in list(shapes.subject_objects(SH.target)):
            select = shapes.value(target, SH.select)
            if (target, RDF.type, SH.SPARQLTarget) not in shapes or select is None:
                continue
            for row in self.select(prefixes_of(shapes, target) + str(select)):
                if "this" in row:
                    shapes.add((shape, SH.targetNode, to_rdflib(row["this"])))
            shapes.remove((shape, SH.target, target))

    def focus_nodes(self, shapes: rdflib.Graph, shape: rdflib.term.Node) -> list[rdflib.term.Node]:
        """The focus nodes of a shape's targets (SHACL instance: rdf:type/rdfs:subClassOf*)."""
        queries = [
            f"SELECT DISTINCT ?this WHERE {{ ?this a/<{RDFS.subClassOf}>* <{c}> }}"
            for c in shapes.objects(shape, SH.targetClass)
        ]
        queries += [
            f"SELECT DISTINCT ?this WHERE {{ ?this <{p}> ?o }}" for p in shapes.objects(shape, SH.targetSubjectsOf)
        ]
        queries += [
            f"SELECT DISTINCT ?this WHERE {{ ?s <{p}> ?this }}" for p in shapes.objects(shape, SH.targetObjectsOf)
        ]
        nodes = set(shapes.objects(shape, SH.targetNode))
        for query in queries:
            nodes.update(to_rdflib(row["this"]) for row in self.select(query) if "this" in row)
        return sorted(nodes, key=str)

    def take_constraints(self, shapes: rdflib.Graph) -> list[SparqlResult]:
        """Evaluate and remove every node-level SPARQL constraint whose focus nodes are all IRIs."""
        results: list[SparqlResult] = []
        for shape, constraint in list(shapes.subject_objects(SH.sparql)):
            select = shapes.value(constraint, SH.select)
            if select is None or not isinstance(shape, rdflib.URIRef) or shapes.value(shape, SH.path) is not None:
                continue
            focus = self.focus_nodes(shapes, shape)
            if any(not isinstance(node, rdflib.URIRef) for node in focus):
                continue
            shapes.remove((shape, SH.sparql, constraint))
            if focus:
                results.extend(self.run(shapes, shape, constraint, str(select), focus))
        return results

    def fill(self, template: str, bound: dict[str, rdflib.term.Node]) -> str:
        """Replace ``{?var}`` and ``{$var}`` in a message with the row's values."""
        return _TEMPLATE.sub(lambda match: self.display(bound.get(match.group(1))), template)

    def run(
        self,
        shapes: rdflib.Graph,
        shape: rdflib.URIRef,
        constraint: rdflib.term.Node,
        select: str,
        focus: list[rdflib.term.Node],
    ) -> list[SparqlResult]:
        values = "VALUES ?this { " + " ".join(f"<{node}>" for node in focus) + " }\n"
        text = select.replace("$this", "?this")
        match = _WHERE.search(text)
        if match is None:
            raise ValueError(f"SPARQL constraint of {shape} has no WHERE clause")
        query = prefixes_of(shapes, constraint) + text[: match.end()] + values + text[match.end() :]
        severity = shapes.value(shape, SH.severity) or SH.Violation
        template = str(
            shapes.value(constraint, SH.message) or shapes.value(shape, SH.message) or "SPARQL constraint not met"
        )
        results = []
        seen = set()
        for row in self.select(query):
            bound = {name: to_rdflib(term) for name, term in row.items()}
            key = (bound.get("this"), bound.get("path"), bound.get("value"))
            if key in seen:
                continue
            seen.add(key)
            message = self.fill(template, bound)
            results.append(
                SparqlResult(
                    shape,
                    constraint,
                    rdflib.URIRef(str(severity)),
                    bound["this"],
                    bound.get("path"),
                    bound.get("value"),
                    message,
                )
            )
        return results


def add_to_report(report: rdflib.Graph, results: list[SparqlResult]) -> None:
    """Record results as sh:ValidationResult in the SHACL report graph, as pyshacl would."""
    reports = list(report.subjects(RDF.type, SH.ValidationReport))
    root = reports[0] if reports else rdflib.BNode()
    if not reports:
        report.add((root, RDF.type, SH.ValidationReport))
    for result in results:
        node = rdflib.BNode()
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.resultSeverity, result.severity))
        report.add((node, SH.focusNode, result.focus))
        report.add((node, SH.sourceShape, result.shape))
        report.add((node, SH.sourceConstraint, result.constraint))
        report.add((node, SH.sourceConstraintComponent, SPARQL_CONSTRAINT_COMPONENT))
        report.add((node, SH.resultMessage, rdflib.Literal(result.message)))
        if result.path is not None:
            report.add((node, SH.resultPath, result.path))
        if result.value is not None:
            report.add((node, SH.value, result.value))
    if any(r.severity == SH.Violation for r in results):
        report.set((root, SH.conforms, rdflib.Literal(False)))
