"""A prototype of the "SHACL compiled to SPARQL, run on pyoxigraph" route, for evaluation.

Every constraint of ``shapes/`` becomes one SPARQL query over *all* focus nodes of its
shape (targets are a sub-pattern, counts are GROUP BY/HAVING), so the work is a few
dozen oxigraph queries instead of per-node Python. It covers exactly the SHACL subset
that ``shapes/`` uses (targets by class, subjects, objects, nodes and SPARQL; paths as
IRIs, inverse paths and sequences; min/maxCount, datatype, class, nodeKind, in, hasValue,
languageIn, pattern, min/maxLength, lessThan(OrEquals), disjoint, or, closed,
qualifiedValueShape, SPARQL constraints) and raises on anything else. Not used by
``sdkg build``; ``bench/shacl/run.py`` times it and checks that it finds the same
violations as ``sdkg.validate`` on the invalid corpus.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from sdkg.shacl_sparql import OxigraphSparql, prefixes_of, to_rdflib

SUBCLASS = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
STORED_AS_INTEGER = {"http://www.w3.org/2001/XMLSchema#nonNegativeInteger"}


@dataclass(frozen=True)
class Finding:
    rule: str
    component: str
    severity: str
    focus: rdflib.term.Node
    value: rdflib.term.Node | None


def n3(term: rdflib.term.Node) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.Literal):
        return term.n3()
    raise ValueError(f"cannot write {term!r} in a query")


def regex_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Compiler:
    def __init__(self, shapes: rdflib.Graph, store: ox.Store):
        self.g = shapes
        self.store = store
        self.data_graphs = list(store.named_graphs())

    def select(self, query: str) -> list[dict[str, object]]:
        """Run a query over the union of the data graphs."""
        result = self.store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{name: row[name] for name in names if row[name] is not None} for row in result]

    def items(self, node: rdflib.term.Node) -> list[rdflib.term.Node]:
        return list(rdflib.collection.Collection(self.g, node))

    def path(self, node: rdflib.term.Node) -> str:
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        inverse = self.g.value(node, SH.inversePath)
        if inverse is not None:
            return f"^{self.path(inverse)}"
        if self.g.value(node, RDF.first) is not None:
            return "/".join(self.path(step) for step in self.items(node))
        raise NotImplementedError(f"path {node}")

    def targets(self, shape: rdflib.term.Node) -> str:
        """A sub-query binding ?this to the shape's focus nodes (oxigraph plans it with the rest)."""
        return self.target_union(shape)

    def target_union(self, shape: rdflib.term.Node) -> str:
        parts = [f"{{ ?this {SUBCLASS} <{c}> }}" for c in self.g.objects(shape, SH.targetClass)]
        parts += [f"{{ ?this <{p}> ?t_o }}" for p in self.g.objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ ?t_s <{p}> ?this }}" for p in self.g.objects(shape, SH.targetObjectsOf)]
        nodes = [n3(n) for n in self.g.objects(shape, SH.targetNode)]
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
        for target in self.g.objects(shape, SH.target):
            select = str(self.g.value(target, SH.select))
            parts.append("{ " + select[select.upper().index("SELECT") :] + " }")
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }" if parts else ""

    def conforms(self, shape: rdflib.term.Node, var: str) -> str:
        """A FILTER expression true when ``var`` conforms to a (nested) shape."""
        g = self.g
        tests = [f"EXISTS {{ {var} {SUBCLASS} <{c}> }}" for c in g.objects(shape, SH["class"])]
        tests += [f"(isLiteral({var}) && datatype({var}) = <{d}>)" for d in g.objects(shape, SH.datatype)]
        tests += [f"({var} IN ({', '.join(n3(v) for v in self.items(vs))}))" for vs in g.objects(shape, SH["in"])]
        path = g.value(shape, SH.path)
        if path is not None:
            p = self.path(path)
            if g.value(shape, SH.minCount) is not None:
                tests.append(f"EXISTS {{ {var} {p} ?any_{abs(hash(p)) % 10_000} }}")
            tests += [f"EXISTS {{ {var} {p} {n3(value)} }}" for value in g.objects(shape, SH.hasValue)]
        if not tests:
            raise NotImplementedError(f"nested shape {shape}")
        return "(" + " && ".join(tests) + ")"

    def value_failures(self, shape: rdflib.term.Node) -> Iterator[tuple[str, str, str]]:
        """(component, extra pattern, FILTER expression true for a failing ``?v``)."""
        g = self.g
        for d in g.objects(shape, SH.datatype):
            if str(d) in STORED_AS_INTEGER:  # oxigraph stores derived integer types as xsd:integer
                yield "Datatype", "", f"!(isLiteral(?v) && datatype(?v) IN (<{d}>, <{XSD_INTEGER}>) && ?v >= 0)"
            else:
                yield "Datatype", "", f"!(isLiteral(?v) && datatype(?v) = <{d}>)"
        for c in g.objects(shape, SH["class"]):
            yield "Class", "", f"NOT EXISTS {{ ?v {SUBCLASS} <{c}> }}"
        for kind in g.objects(shape, SH.nodeKind):
            test = {SH.IRI: "isIRI(?v)", SH.Literal: "isLiteral(?v)", SH.BlankNode: "isBlank(?v)"}[kind]  # type: ignore[index]
            yield "NodeKind", "", f"!{test}"
        for values in g.objects(shape, SH["in"]):
            yield "In", "", f"?v NOT IN ({', '.join(n3(v) for v in self.items(values))})"
        for langs in g.objects(shape, SH.languageIn):
            tags = ", ".join(f'"{tag}"' for tag in self.items(langs))
            yield "LanguageIn", "", f"!(isLiteral(?v) && LCASE(LANG(?v)) IN ({tags}))"
        for pattern in g.objects(shape, SH.pattern):
            yield "Pattern", "", f"(isBlank(?v) || !REGEX(STR(?v), {regex_literal(str(pattern))}))"
        for length in g.objects(shape, SH.minLength):
            yield "MinLength", "", f"(isBlank(?v) || STRLEN(STR(?v)) < {length})"
        for length in g.objects(shape, SH.maxLength):
            yield "MaxLength", "", f"(isBlank(?v) || STRLEN(STR(?v)) > {length})"
        for other in g.objects(shape, SH.lessThan):
            yield "LessThan", f"?this <{other}> ?w .", "!(?v < ?w)"
        for other in g.objects(shape, SH.lessThanOrEquals):
            yield "LessThanOrEquals", f"?this <{other}> ?w .", "!(?v <= ?w)"
        for other in g.objects(shape, SH.disjoint):
            yield "Disjoint", f"?this <{other}> ?v .", "true"
        for options in g.objects(shape, SH["or"]):
            yield "Or", "", "!(" + " || ".join(self.conforms(o, "?v") for o in self.items(options)) + ")"

    def queries(self, node_shape: rdflib.term.Node) -> Iterator[tuple[str, str, str, str]]:
        """(rule, component, severity, SELECT ?this ?v) for every constraint of a node shape."""
        targets = self.targets(node_shape)
        if not targets:
            return
        severity = str(self.g.value(node_shape, SH.severity) or SH.Violation)
        for component, _extra, test in self.value_failures(node_shape):
            query = f"SELECT ?this ?v WHERE {{ {targets} BIND (?this AS ?v) FILTER ({test}) }}"
            yield str(node_shape), component, severity, query
        if (node_shape, SH.closed, rdflib.Literal(True)) in self.g:
            paths = (self.g.value(p, SH.path) for p in self.g.objects(node_shape, SH.property))
            allowed = {str(path) for path in paths if isinstance(path, rdflib.URIRef)}
            for ignored in self.g.objects(node_shape, SH.ignoredProperties):
                allowed |= {str(i) for i in self.items(ignored)}
            listed = ", ".join(f"<{p}>" for p in sorted(allowed))
            yield (
                str(node_shape),
                "Closed",
                severity,
                f"SELECT ?this ?v WHERE {{ {targets} ?this ?p ?v FILTER (?p NOT IN ({listed})) }}",
            )
        for prop in self.g.objects(node_shape, SH.property):
            level = str(self.g.value(prop, SH.severity) or severity)
            path = self.path(self.g.value(prop, SH.path))
            low, high = self.g.value(prop, SH.minCount), self.g.value(prop, SH.maxCount)
            count = (
                f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {targets} OPTIONAL {{ ?this {path} ?v }} }} "
                "GROUP BY ?this"
            )
            if low is not None:
                yield str(prop), "MinCount", level, f"SELECT ?this WHERE {{ {{ {count} }} FILTER (?n < {low}) }}"
            if high is not None:
                yield str(prop), "MaxCount", level, f"SELECT ?this WHERE {{ {{ {count} }} FILTER (?n > {high}) }}"
            for component, extra, test in self.value_failures(prop):
                yield (
                    str(prop),
                    component,
                    level,
                    f"SELECT ?this ?v WHERE {{ {targets} ?this {path} ?v . {extra} FILTER ({test}) }}",
                )
            qualified = self.g.value(prop, SH.qualifiedValueShape)
            if qualified is not None:
                test = self.conforms(qualified, "?v")
                counted = (
                    f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {targets} "
                    f"OPTIONAL {{ ?this {path} ?v FILTER ({test}) }} }} GROUP BY ?this"
                )
                for bound, component, op in (
                    (SH.qualifiedMinCount, "QualifiedMinCount", "<"),
                    (SH.qualifiedMaxCount, "QualifiedMaxCount", ">"),
                ):
                    value = self.g.value(prop, bound)
                    if value is not None:
                        yield (
                            str(prop),
                            component,
                            level,
                            f"SELECT ?this WHERE {{ {{ {counted} }} FILTER (?n {op} {value}) }}",
                        )


def sparql_queries(shapes: rdflib.Graph, compiler: Compiler) -> Iterator[tuple[str, str, str, str]]:
    """Node-level SPARQL constraints with the shape's targets joined in (``$this`` becomes ``?this``)."""
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = str(shapes.value(constraint, SH.select)).replace("$this", "?this")
        where = select.upper().index("WHERE")
        brace = select.index("{", where) + 1
        query = prefixes_of(shapes, constraint) + select[:brace] + compiler.targets(shape) + select[brace:]
        severity = str(shapes.value(shape, SH.severity) or SH.Violation)
        yield str(constraint), "SPARQL", severity, query


def validate(quads: list[ox.Quad], shapes: rdflib.Graph, timings: dict[str, float] | None = None) -> list[Finding]:
    """All findings of all shapes, SPARQL constraints included."""
    engine = OxigraphSparql(quads)
    compiler = Compiler(shapes, engine.store)
    findings = []
    node_shapes = sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str)
    queries = [q for shape in node_shapes for q in compiler.queries(shape)] + list(sparql_queries(shapes, compiler))
    for rule, component, severity, query in queries:
        started = time.perf_counter()
        for row in compiler.select(prefixes_of(shapes, rdflib.URIRef(rule)) + query):
            value = row.get("v", row.get("value"))
            findings.append(
                Finding(
                    rule,
                    component,
                    severity.rsplit("#", 1)[-1],
                    to_rdflib(row["this"]),
                    to_rdflib(value) if value is not None else None,
                )
            )
        if timings is not None:
            timings[f"{rule} {component}"] = time.perf_counter() - started
    return findings
