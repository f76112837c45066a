"""SHACL validation compiled to SPARQL and run on a pyoxigraph store.

pyshacl walks focus nodes one by one in Python over an rdflib graph: minutes at 100k
claims. Here each shape becomes one SPARQL query over *all* its focus nodes: the targets
are a sub-query evaluated once, and every constraint of the shape and of its property
shapes is one branch of a ``UNION`` that oxigraph's ``LATERAL`` (an extension of SPARQL
1.1) evaluates with ``?this`` bound to each focus node; value tests are ``BIND``-ed flags,
counts GROUP BY. Each SHACL-SPARQL constraint is one more query, its ``WHERE`` body under
the same ``LATERAL`` (pre-binding ``$this``). So validation is about fifty oxigraph
queries. Each failing row becomes a :class:`~.findings.Finding`, as pyshacl's results do, so
one reader locates both engines' results; no report graph is made unless asked for.

Only the SHACL subset below is compiled; anything else in the shapes raises
:class:`UnsupportedShape` naming the shape and the feature, never a silent skip:

- targets: ``sh:targetClass`` (and implicit class targets), ``sh:targetNode``,
  ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:target`` with ``sh:SPARQLTarget``;
- paths: IRIs, inverse, sequence, alternative, zero-or-more, one-or-more, zero-or-one;
- constraints: class, datatype, nodeKind, in, hasValue, languageIn, pattern (+ flags),
  min/maxLength, min/maxInclusive/Exclusive, min/maxCount, qualifiedValueShape with
  qualifiedMin/MaxCount, equals, disjoint, lessThan(OrEquals), closed + ignoredProperties,
  or, and, not, xone, node, and node-level ``sh:sparql`` SELECT constraints;
- ``sh:deactivated``, ``sh:severity`` and ``sh:message`` on every shape.

The store canonicalises literals on load: ``"12"^^xsd:nonNegativeInteger`` is stored as
``"12"^^xsd:integer``. A datatype check for a derived integer type therefore accepts an
``xsd:integer`` in the type's range (``-3`` still fails a nonNegativeInteger check), and
cannot tell ``12`` from ``"12"^^xsd:nonNegativeInteger``.
"""

from __future__ import annotations

import gc
import itertools
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from ..sparql.tokens import closing_brace, operation, prologue, where_group
from .findings import Finding
from .terms import to_rdflib

Display = Callable[[rdflib.term.Node], str]

INSTANCE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")

# Derived integer types the store canonicalises to xsd:integer, with the range that keeps them valid.
INTEGER_RANGES: dict[rdflib.URIRef, tuple[int | None, int | None]] = {
    XSD.nonNegativeInteger: (0, None),
    XSD.positiveInteger: (1, None),
    XSD.nonPositiveInteger: (None, 0),
    XSD.negativeInteger: (None, -1),
    XSD.long: (-(2**63), 2**63 - 1),
    XSD.int: (-(2**31), 2**31 - 1),
    XSD.short: (-(2**15), 2**15 - 1),
    XSD.byte: (-(2**7), 2**7 - 1),
    XSD.unsignedLong: (0, 2**64 - 1),
    XSD.unsignedInt: (0, 2**32 - 1),
    XSD.unsignedShort: (0, 2**16 - 1),
    XSD.unsignedByte: (0, 2**8 - 1),
}
NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float}
NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
RANGES = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
PAIRS = {SH.lessThan: "<", SH.lessThanOrEquals: "<="}
LOGICAL = {
    SH["or"]: SH.OrConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
}
# Value-type parameters: each is a test on one value node (see Compiler.test).
VALUE_PARAMS = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    **LOGICAL,
}
COUNT_PARAMS = {SH.minCount, SH.maxCount}
QUALIFIED = {SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint}
PAIR_PARAMS = {SH.equals, SH.disjoint, *PAIRS}
TARGETS = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target}
# Parameters that do not validate anything (or are read with another parameter).
INERT = {SH.severity, SH.message, SH.deactivated, SH.name, SH.description, SH.order, SH.group, SH.defaultValue}
INERT |= {SH.flags, SH.ignoredProperties, SH.path}
SUPPORTED = set(VALUE_PARAMS) | COUNT_PARAMS | QUALIFIED | PAIR_PARAMS | TARGETS | INERT
SUPPORTED |= {SH.hasValue, SH.closed, SH.property, SH.sparql}
SPARQL_CONSTRAINT_PARAMS = {SH.select, SH.message, SH.prefixes, SH.deactivated}


class UnsupportedShape(ValueError):
    """The shapes use a SHACL feature this compiler does not implement."""

    def __init__(self, shape: rdflib.term.Node, feature: str):
        self.shape = shape
        self.feature = feature
        super().__init__(f"shape {shape}: {feature} is not supported by the compiled SHACL validator")


@dataclass(frozen=True)
class Check:
    """One constraint of one shape (for one parent's focus nodes): what a result of it reports."""

    shape: rdflib.term.Node
    component: rdflib.URIRef
    severity: rdflib.term.Node
    messages: tuple[rdflib.Literal, ...]
    default: Callable[[str, str], str]
    """The message when the shape has none, from the displayed focus node and value."""
    path: rdflib.term.Node | None = None
    constraint: rdflib.term.Node | None = None
    node_level: bool = False
    """A node shape's constraint: the value is the focus node unless the query binds ``?value``."""
    templated: bool = False
    """A SPARQL constraint: messages have ``{?var}`` templates filled from the row."""


Row = dict[str, rdflib.term.Node]
TRUE = rdflib.Literal(True)


def always(_row: Row) -> bool:
    return True


@dataclass(frozen=True)
class Query:
    """One SPARQL SELECT over all focus nodes; each row fails the checks whose test says so."""

    text: str
    checks: tuple[tuple[Check, Callable[[Row], bool]], ...]
    dedup: bool = False
    """Drop repeated rows (SPARQL constraints, as pyshacl does)."""


@dataclass(frozen=True)
class Branch:
    """A pattern evaluated with ``?this`` bound to one focus node; a shape's branches share one query."""

    body: str
    checks: tuple[tuple[Check, Callable[[Row], bool]], ...]
    variables: tuple[str, ...]
    """What the body binds besides ``?this``."""


def merge(focus: str, branches: list[Branch]) -> Query:
    """One query for all branches of a shape: the focus nodes are found once, each branch tags its rows."""
    variables = sorted({v for branch in branches for v in branch.variables})
    union = " UNION ".join(f"{{ {{ {b.body} }} BIND ({i} AS ?_q) }}" for i, b in enumerate(branches))
    text = f"SELECT DISTINCT ?this ?_q {' '.join(variables)} WHERE {{ {focus} LATERAL {{ {union} }} }}"
    checks = tuple((check, in_branch(i, fails)) for i, b in enumerate(branches) for check, fails in b.checks)
    return Query(text, checks)


def in_branch(index: int, fails: Callable[[Row], bool]) -> Callable[[Row], bool]:
    tag = rdflib.Literal(index)
    return lambda row: row.get("_q") == tag and fails(row)


def count_branch(
    values: str, low: int | None, high: int | None, checks: tuple[tuple[Check, Callable[[Row], bool]], ...]
) -> Branch:
    """Count the distinct values per focus node; a row when below ``low`` or above ``high``."""
    having = " || ".join(f"?_n {op} {bound}" for op, bound in (("<", low), (">", high)) if bound is not None)
    body = f"{{ SELECT ?this (COUNT(DISTINCT ?value) AS ?_n) WHERE {{ {values} }} GROUP BY ?this }} FILTER ({having})"
    return Branch(body, checks, ("?_n",))


@dataclass(frozen=True)
class Failure:
    """A row that fails a check: the check, the focus node, the value and the row's bindings."""

    check: Check
    focus: rdflib.term.Node
    value: rdflib.term.Node | None
    path: rdflib.term.Node | None
    bound: Row = field(default_factory=dict)


def sparql_term(term: rdflib.term.Node, shape: rdflib.term.Node) -> str:
    """A constant from the shapes graph written in a query."""
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.Literal):
        return term.n3()
    raise UnsupportedShape(shape, f"the blank node {term} as a constant")


def string_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


Subclasses = Callable[[str], list[str]]
"""The classes ``rdfs:subClassOf*`` a class in the data (itself included), from the store validated."""


class Compiler:
    """Turn a shapes graph into :class:`Check` queries (one per shape, constraint and parent).

    With ``subclasses`` (the store's class hierarchy), "an instance of C" is written with the
    classes that are C or below it listed (``?x a ?t`` with ``?t`` among them), which is what
    ``?x rdf:type/rdfs:subClassOf* C`` means on that store, and what Oxigraph evaluates without
    walking the hierarchy again for every value: on disk, about five times faster.
    """

    def __init__(self, shapes: rdflib.Graph, display: Display, subclasses: Subclasses | None = None):
        self.g = shapes
        self.display = display
        self.subclasses = subclasses
        self.names = itertools.count()
        self.nesting: set[rdflib.term.Node] = set()
        if (None, RDF.type, SH.ConstraintComponent) in shapes:
            component = next(shapes.subjects(RDF.type, SH.ConstraintComponent))
            raise UnsupportedShape(component, "a custom (SPARQL-based) constraint component")

    # --- reading the shapes graph ---------------------------------------------------

    def one(self, shape: rdflib.term.Node, param: rdflib.URIRef) -> rdflib.term.Node | None:
        values = list(self.g.objects(shape, param))
        if len(values) > 1 and param in {SH.minCount, SH.maxCount, SH.path, SH.severity, SH.closed}:
            raise UnsupportedShape(shape, f"several values of {param}")
        return values[0] if values else None

    def items(self, shape: rdflib.term.Node, node: rdflib.term.Node) -> list[rdflib.term.Node]:
        if node != RDF.nil and self.g.value(node, RDF.first) is None:
            raise UnsupportedShape(shape, f"a value of {node} that is not an RDF list")
        return list(Collection(self.g, node))

    def integer(self, shape: rdflib.term.Node, param: rdflib.URIRef) -> int | None:
        value = self.one(shape, param)
        if value is None:
            return None
        if not isinstance(value, rdflib.Literal) or not isinstance(value.toPython(), int):
            raise UnsupportedShape(shape, f"a non-integer {param}")
        return int(value.toPython())

    def deactivated(self, shape: rdflib.term.Node) -> bool:
        return (shape, SH.deactivated, rdflib.Literal(True)) in self.g

    def severity(self, shape: rdflib.term.Node) -> rdflib.term.Node:
        return self.one(shape, SH.severity) or SH.Violation

    def messages(self, node: rdflib.term.Node) -> tuple[rdflib.Literal, ...]:
        return tuple(sorted((m for m in self.g.objects(node, SH.message) if isinstance(m, rdflib.Literal)), key=str))

    def check_params(self, shape: rdflib.term.Node) -> None:
        for param in set(self.g.predicates(shape, None)):
            if str(param).startswith(str(SH)) and param not in SUPPORTED:
                raise UnsupportedShape(shape, f"the parameter {param}")
        if self.g.value(shape, SH.qualifiedValueShapesDisjoint) == rdflib.Literal(True):
            raise UnsupportedShape(shape, "sh:qualifiedValueShapesDisjoint true")

    def path(self, shape: rdflib.term.Node, node: rdflib.term.Node) -> str:
        """A SHACL path as a SPARQL property path."""
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        if self.g.value(node, RDF.first) is not None:
            return "(" + "/".join(self.path(shape, step) for step in self.items(shape, node)) + ")"
        for param, written in (
            (SH.inversePath, "^({})"),
            (SH.zeroOrMorePath, "({})*"),
            (SH.oneOrMorePath, "({})+"),
            (SH.zeroOrOnePath, "({})?"),
        ):
            inner = self.g.value(node, param)
            if inner is not None:
                return written.format(self.path(shape, inner))
        alternatives = self.g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(shape, step) for step in self.items(shape, alternatives)) + ")"
        raise UnsupportedShape(shape, f"the path {node}")

    def var(self) -> str:
        return f"?_v{next(self.names)}"

    def instances(self, v: str, cls: rdflib.term.Node, shape: rdflib.term.Node) -> str:
        """A pattern matching the instances ``v`` of ``cls`` (and of its subclasses)."""
        if self.subclasses is None or not isinstance(cls, rdflib.URIRef):
            return f"{v} {INSTANCE_OF} {sparql_term(cls, shape)}"
        t = self.var()
        listed = " ".join(f"<{c}>" for c in self.subclasses(str(cls)))
        return f"VALUES {t} {{ {listed} }} {v} <{RDF.type}> {t}"

    def instance_test(self, v: str, cls: rdflib.term.Node, shape: rdflib.term.Node) -> str:
        """An expression true when ``v`` is an instance of ``cls`` (or of a subclass)."""
        if self.subclasses is None or not isinstance(cls, rdflib.URIRef):
            return f"EXISTS {{ {v} {INSTANCE_OF} {sparql_term(cls, shape)} }}"
        t = self.var()
        listed = ", ".join(f"<{c}>" for c in self.subclasses(str(cls)))
        return f"EXISTS {{ {v} <{RDF.type}> {t} FILTER ({t} IN ({listed})) }}"

    # --- targets -----------------------------------------------------------------------

    def prefixes(self, node: rdflib.term.Node) -> dict[str, str]:
        """The prefixes ``sh:prefixes`` declares for a SPARQL target or constraint."""
        declared: dict[str, str] = {}
        for declarer in self.g.objects(node, SH.prefixes):
            for declaration in self.g.objects(declarer, SH.declare):
                prefix, namespace = self.g.value(declaration, SH.prefix), self.g.value(declaration, SH.namespace)
                if prefix is None or namespace is None:
                    raise UnsupportedShape(node, "an sh:declare without sh:prefix and sh:namespace")
                if declared.get(str(prefix), str(namespace)) != str(namespace):
                    raise UnsupportedShape(node, f"two namespaces for the prefix {prefix}")
                declared[str(prefix)] = str(namespace)
        return declared

    def targets(self, shape: rdflib.term.Node) -> tuple[str, dict[str, str]]:
        """A sub-query binding ``?this`` to the shape's focus nodes, and the prefixes it needs."""
        g = self.g
        parts = [f"{{ {self.instances('?this', c, shape)} }}" for c in g.objects(shape, SH.targetClass)]
        if (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, rdflib.OWL.Class) in g:
            parts.append(f"{{ {self.instances('?this', shape, shape)} }}")
        parts += [f"{{ ?this <{p}> ?_target }}" for p in g.objects(shape, SH.targetSubjectsOf)]
        parts += [f"{{ ?_target <{p}> ?this }}" for p in g.objects(shape, SH.targetObjectsOf)]
        nodes = [sparql_term(n, shape) for n in g.objects(shape, SH.targetNode)]
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
        prefixes: dict[str, str] = {}
        for target in g.objects(shape, SH.target):
            select = g.value(target, SH.select)
            if (target, RDF.type, SH.SPARQLTarget) not in g or select is None:
                raise UnsupportedShape(shape, "an sh:target that is not an sh:SPARQLTarget with sh:select")
            if self.deactivated(target):
                continue
            for prefix, namespace in self.prefixes(target).items():
                if prefixes.setdefault(prefix, namespace) != namespace:
                    raise UnsupportedShape(shape, f"two namespaces for the prefix {prefix}")
            text = str(select)
            if operation(text) != "SELECT" or "$this" in text:
                raise UnsupportedShape(shape, "an sh:SPARQLTarget whose sh:select is not a SELECT of ?this")
            parts.append("{ " + text[prologue(text)[1] :] + " }")
        if not parts:
            return "", prefixes
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }", prefixes

    # --- value tests ---------------------------------------------------------------------

    def test(self, shape: rdflib.term.Node, param: rdflib.URIRef, value: rdflib.term.Node, v: str) -> str:
        """A SPARQL expression true when the value node ``v`` meets one value-type parameter."""
        if param == SH["class"]:
            return self.instance_test(v, value, shape)
        if param == SH.datatype:
            return self.datatype_test(shape, value, v)
        if param == SH.nodeKind:
            if value not in NODE_KINDS:
                raise UnsupportedShape(shape, f"the node kind {value}")
            return NODE_KINDS[value].format(v=v)  # type: ignore[index]
        if param == SH["in"]:
            members = [f"sameTerm({v}, {sparql_term(m, shape)})" for m in self.items(shape, value)]
            return "(" + (" || ".join(members) or "false") + ")"
        if param == SH.languageIn:
            tags = [f"langMatches(LANG({v}), {string_literal(str(t))})" for t in self.items(shape, value)]
            return f"(isLiteral({v}) && (" + (" || ".join(tags) or "false") + "))"
        if param == SH.pattern:
            flags = self.one(shape, SH.flags)
            extra = f", {string_literal(str(flags))}" if flags is not None else ""
            return f"(!isBlank({v}) && REGEX(STR({v}), {string_literal(str(value))}{extra}))"
        if param in (SH.minLength, SH.maxLength):
            op = ">=" if param == SH.minLength else "<="
            return f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(value)})"  # type: ignore[call-overload]
        if param in RANGES:
            return f"({v} {RANGES[param]} {sparql_term(value, shape)})"  # type: ignore[index]
        if param == SH["not"]:
            return f"!{self.conforms(value, v)}"
        if param == SH.node:
            return self.conforms(value, v)
        members = [self.conforms(member, v) for member in self.items(shape, value)]
        if param == SH["or"]:
            return "(" + (" || ".join(members) or "false") + ")"
        if param == SH["and"]:
            return "(" + (" && ".join(members) or "true") + ")"
        return "((" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") = 1)"  # sh:xone

    def datatype_test(self, shape: rdflib.term.Node, datatype: rdflib.term.Node, v: str) -> str:
        """A literal of the datatype, well-formed where the store can tell (ill-typed ones keep their IRI)."""
        if datatype in INTEGER_RANGES:
            low, high = INTEGER_RANGES[datatype]  # type: ignore[index]
            bounds = "".join([f" && {v} >= {low}" if low is not None else "", f" && {v} <= {high}" if high else ""])
            return f"(isLiteral({v}) && datatype({v}) = <{XSD.integer}> && isNumeric({v}){bounds})"
        test = f"(isLiteral({v}) && datatype({v}) = {sparql_term(datatype, shape)}"
        if datatype in NUMERIC:
            test += f" && isNumeric({v})"
        elif datatype == RDF.langString:
            test = f'(isLiteral({v}) && LANG({v}) != ""'
        return test + ")"

    def conforms(self, shape: rdflib.term.Node, v: str) -> str:
        """A SPARQL expression true when ``v`` conforms to a shape used inside another (or, not, node...)."""
        self.check_params(shape)
        if self.deactivated(shape):
            return "true"
        if shape in self.nesting:
            raise UnsupportedShape(shape, "a recursive shape reference")
        self.nesting.add(shape)
        try:
            return self.nested(shape, v)
        finally:
            self.nesting.discard(shape)

    def nested(self, shape: rdflib.term.Node, v: str) -> str:
        g = self.g
        unsupported = {SH.closed, SH.sparql, SH.minCount, SH.maxCount, SH.qualifiedValueShape} | PAIR_PARAMS
        path_node = self.one(shape, SH.path)
        tests: list[str] = []
        for param in set(g.predicates(shape, None)) & (unsupported - {SH.minCount}):
            raise UnsupportedShape(shape, f"{param} in a shape used by sh:or/and/not/xone/node/qualifiedValueShape")
        if path_node is None:
            if self.one(shape, SH.minCount) is not None:
                raise UnsupportedShape(shape, "sh:minCount without sh:path")
            for param, value in g.predicate_objects(shape):
                if param in VALUE_PARAMS:
                    tests.append(self.test(shape, param, value, v))  # type: ignore[arg-type]
                elif param == SH.hasValue:
                    tests.append(f"sameTerm({v}, {sparql_term(value, shape)})")
        else:
            path = self.path(shape, path_node)
            low = self.integer(shape, SH.minCount)
            if low is not None and low > 1:
                raise UnsupportedShape(shape, "sh:minCount above 1 in a nested shape")
            if low == 1:
                tests.append(f"EXISTS {{ {v} {path} {self.var()} }}")
            for param, value in g.predicate_objects(shape):
                if param in VALUE_PARAMS:
                    x = self.var()
                    test = self.test(shape, param, value, x)  # type: ignore[arg-type]
                    tests.append(f"NOT EXISTS {{ {v} {path} {x} FILTER (!COALESCE({test}, false)) }}")
                elif param == SH.hasValue:
                    tests.append(f"EXISTS {{ {v} {path} {sparql_term(value, shape)} }}")
        tests += [self.conforms(prop, v) for prop in g.objects(shape, SH.property)]
        return "COALESCE(" + (" && ".join(tests) or "true") + ", false)"

    # --- queries ----------------------------------------------------------------------------

    def compile(self) -> list[Query]:
        """The queries of every shape that has targets: one for its core constraints, one per SPARQL constraint."""
        g = self.g
        shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
        for param in TARGETS:
            shapes |= set(g.subjects(param, None))
        queries: list[Query] = []
        for shape in sorted(shapes, key=str):
            self.check_params(shape)
            focus, prefixes = self.targets(shape)
            if not focus or self.deactivated(shape):
                continue
            if g.value(shape, SH.path) is not None:
                branches = list(self.property_branches(shape))
            else:
                branches = self.node_branches(shape)
                active = [c for c in g.objects(shape, SH.sparql) if not self.deactivated(c)]
                queries += [self.sparql(shape, constraint, focus, prefixes) for constraint in active]
            if branches:
                queries.append(merge(focus, branches))
        return queries

    def value_branch(self, pattern: str, tests: list[tuple[Check, str]]) -> Branch:
        """All value-type tests of one shape in one pattern: a row per value failing at least one."""
        flags = [f"?_ok{next(self.names)}" for _ in tests]
        binds = " ".join(
            f"BIND (COALESCE({test}, false) AS {flag})" for (_c, test), flag in zip(tests, flags, strict=True)
        )
        failing = " || ".join(f"!{flag}" for flag in flags)
        checks = tuple((check, failed(flag[1:])) for (check, _t), flag in zip(tests, flags, strict=True))
        return Branch(f"{pattern} {binds} FILTER ({failing})", checks, ("?value", *flags) if pattern else tuple(flags))

    def node_branches(self, shape: rdflib.term.Node) -> list[Branch]:
        g = self.g
        branches = []
        common = partial(
            Check, shape=shape, severity=self.severity(shape), messages=self.messages(shape), node_level=True
        )
        tests = []
        for param, value in sorted(g.predicate_objects(shape)):
            component = VALUE_PARAMS.get(param)  # type: ignore[call-overload]
            if component is not None:
                check = common(component=component, default=self.default(component, value))
                tests.append((check, self.test(shape, param, value, "?this")))  # type: ignore[arg-type]
            elif param == SH.hasValue:
                component = SH.HasValueConstraintComponent
                check = common(component=component, default=self.default(component, value))
                tests.append((check, f"sameTerm(?this, {sparql_term(value, shape)})"))
            elif param in COUNT_PARAMS | QUALIFIED | PAIR_PARAMS:
                raise UnsupportedShape(shape, f"{param} on a node shape")
        if tests:
            branches.append(self.value_branch("", tests))
        if g.value(shape, SH.closed) == TRUE:
            branches.append(self.closed(shape))
        for prop in g.objects(shape, SH.property):
            self.check_params(prop)
            if self.one(prop, SH.path) is None:
                raise UnsupportedShape(prop, "an sh:property without sh:path")
            if not self.deactivated(prop):
                branches += self.property_branches(prop)
        return branches

    def closed(self, shape: rdflib.term.Node) -> Branch:
        allowed = {self.one(p, SH.path) for p in self.g.objects(shape, SH.property)}
        for ignored in self.g.objects(shape, SH.ignoredProperties):
            allowed |= set(self.items(shape, ignored))
        listed = ", ".join(f"<{p}>" for p in sorted(str(p) for p in allowed if isinstance(p, rdflib.URIRef)))
        condition = f"FILTER (?path NOT IN ({listed}))" if listed else ""
        check = Check(
            shape=shape,
            component=SH.ClosedConstraintComponent,
            severity=self.severity(shape),
            messages=self.messages(shape),
            default=lambda f, v: f"Node {f} is closed. It cannot have value: {v}",
            node_level=True,
        )
        return Branch(f"?this ?path ?value {condition}", ((check, always),), ("?path", "?value"))

    def property_branches(self, prop: rdflib.term.Node) -> Iterator[Branch]:
        """The patterns of a property shape, evaluated with ``?this`` bound to a focus node of its parent."""
        g = self.g
        if g.value(prop, SH.closed) == TRUE:
            raise UnsupportedShape(prop, "sh:closed on a property shape")
        if g.value(prop, SH.sparql) is not None:
            raise UnsupportedShape(prop, "sh:sparql on a property shape ($PATH)")
        if g.value(prop, SH.property) is not None:
            raise UnsupportedShape(prop, "sh:property on a property shape")
        path_node = self.one(prop, SH.path)
        assert path_node is not None
        path = self.path(prop, path_node)
        common = partial(Check, shape=prop, severity=self.severity(prop), messages=self.messages(prop), path=path_node)
        shown = self.display(path_node) if isinstance(path_node, rdflib.URIRef) else path
        tests = []
        for param, value in sorted(g.predicate_objects(prop)):
            component = VALUE_PARAMS.get(param)  # type: ignore[call-overload]
            if component is not None:
                check = common(component=component, default=self.default(component, value))
                tests.append((check, self.test(prop, param, value, "?value")))  # type: ignore[arg-type]
            elif param == SH.hasValue:
                term, wording = sparql_term(value, prop), f"does not contain the value {self.display(value)}"
                check = common(component=SH.HasValueConstraintComponent, default=wordier(shown, wording))
                yield Branch(f"FILTER NOT EXISTS {{ ?this {path} {term} }}", ((check, always),), ())
            elif param in PAIR_PARAMS:
                yield self.pair_branch(prop, param, value, path, common)  # type: ignore[arg-type]
        if tests:
            yield self.value_branch(f"?this {path} ?value", tests)
        yield from self.counts(prop, path, shown, common)
        yield from self.qualified(prop, path, common)

    def pair_branch(
        self,
        prop: rdflib.term.Node,
        param: rdflib.URIRef,
        other: rdflib.term.Node,
        path: str,
        common: Callable[..., Check],
    ) -> Branch:
        """sh:equals, sh:disjoint, sh:lessThan(OrEquals): the values of the path against those of ``other``."""
        term = sparql_term(other, prop)
        if param == SH.equals:
            body = (
                f"{{ ?this {path} ?value FILTER NOT EXISTS {{ ?this {term} ?value }} }} "
                f"UNION {{ ?this {term} ?value FILTER NOT EXISTS {{ ?this {path} ?value }} }}"
            )
            component, op = SH.EqualsConstraintComponent, "!="
        elif param == SH.disjoint:
            body = f"?this {path} ?value . ?this {term} ?value"
            component, op = SH.DisjointConstraintComponent, "=="
        else:
            op = PAIRS[param]
            other_value = f"?_other{next(self.names)}"
            body = (
                f"?this {path} ?value . ?this {term} {other_value} FILTER (!COALESCE(?value {op} {other_value}, false))"
            )
            component = SH.LessThanConstraintComponent if op == "<" else SH.LessThanOrEqualsConstraintComponent
        name = self.display(other)
        check = common(component=component, default=lambda f, v: f"Value of {f}->{name} {op} {v}")
        return Branch(body, ((check, always),), ("?value",))

    def counts(self, prop: rdflib.term.Node, path: str, shown: str, common: Callable[..., Check]) -> Iterator[Branch]:
        """sh:minCount and sh:maxCount in one pattern (a NOT EXISTS for the common minCount 1 alone)."""
        low, high = self.integer(prop, SH.minCount), self.integer(prop, SH.maxCount)
        low = low if low else None
        checks = []
        if low is not None:
            check = common(
                component=SH.MinCountConstraintComponent,
                default=lambda f, v: f"Less than {low} values on {f}->{shown}",
            )
            checks.append((check, compare("<", low)))
        if high is not None:
            check = common(
                component=SH.MaxCountConstraintComponent,
                default=lambda f, v: f"More than {high} values on {f}->{shown}",
            )
            checks.append((check, compare(">", high)))
        if not checks:
            return
        if high is None and low == 1:
            yield Branch(f"FILTER NOT EXISTS {{ ?this {path} ?_any }}", ((checks[0][0], always),), ())
            return
        values = f"OPTIONAL {{ ?this {path} ?value }}" if low is not None else f"?this {path} ?value"
        yield count_branch(values, low, high, tuple(checks))

    def qualified(self, prop: rdflib.term.Node, path: str, common: Callable[..., Check]) -> Iterator[Branch]:
        qualified = self.one(prop, SH.qualifiedValueShape)
        low, high = self.integer(prop, SH.qualifiedMinCount), self.integer(prop, SH.qualifiedMaxCount)
        if qualified is None:
            if low is not None or high is not None:
                raise UnsupportedShape(prop, "sh:qualifiedMin/MaxCount without sh:qualifiedValueShape")
            return
        test = self.conforms(qualified, "?value")
        checks = []
        for bound, component, op, words in (
            (low, SH.QualifiedMinCountConstraintComponent, "<", "at least"),
            (high, SH.QualifiedMaxCountConstraintComponent, ">", "at most"),
        ):
            if bound is not None:
                wording = f"does not have {words} {bound} values conforming to the qualified shape"
                check = common(component=component, default=lambda f, v, w=wording: f"{f} {w}")
                checks.append((check, compare(op, bound)))
        if checks:
            yield count_branch(f"OPTIONAL {{ ?this {path} ?value FILTER ({test}) }}", low, high, tuple(checks))

    def sparql(
        self, shape: rdflib.term.Node, constraint: rdflib.term.Node, focus: str, prefixes: dict[str, str]
    ) -> Query:
        """A node-level SPARQL constraint with the shape's focus nodes joined in as ``?this``."""
        g = self.g
        for param in set(g.predicates(constraint, None)):
            if str(param).startswith(str(SH)) and param not in SPARQL_CONSTRAINT_PARAMS:
                raise UnsupportedShape(constraint, f"the parameter {param} of a SPARQL constraint")
        select = g.value(constraint, SH.select)
        if select is None:
            raise UnsupportedShape(constraint, "a SPARQL constraint without sh:select (sh:ask?)")
        text = str(select)
        for variable in ("$PATH", "$currentShape", "$shapesGraph", "?failure"):
            if variable in text:
                raise UnsupportedShape(constraint, f"{variable} in a SPARQL constraint")
        text = text.replace("$this", "?this")
        _form, opened = where_group(text)
        end = closing_brace(text, opened) if opened is not None else None
        if opened is None or end is None:
            raise UnsupportedShape(constraint, "a SPARQL constraint without a WHERE group")
        if "{" in text[end + 1 :] or re.search(r"\bVALUES\b", text[end:], re.IGNORECASE):
            raise UnsupportedShape(constraint, "a VALUES clause after the WHERE clause of a SPARQL constraint")
        declared = dict(prefixes)
        for prefix, namespace in self.prefixes(constraint).items():
            if declared.setdefault(prefix, namespace) != namespace:
                raise UnsupportedShape(constraint, f"two namespaces for the prefix {prefix}")
        header = "".join(f"PREFIX {p}: <{n}>\n" for p, n in sorted(declared.items()))
        name = self.display(constraint)
        check = Check(
            shape=shape,
            component=SH.SPARQLConstraintComponent,
            severity=self.severity(shape),
            messages=self.messages(constraint) or self.messages(shape),
            default=lambda f, v: f"SPARQL constraint {name} not met by {f}",
            constraint=constraint,
            node_level=True,
            templated=True,
        )
        return Query(
            f"{header}{text[:opened]} {focus} LATERAL {{ {text[opened:end]} }} {text[end:]}",
            ((check, always),),
            dedup=True,
        )

    def default(self, component: rdflib.URIRef, value: rdflib.term.Node) -> Callable[[str, str], str]:
        """pyshacl-like wording for a value-type constraint without sh:message."""
        name = self.display(value)
        if isinstance(value, rdflib.BNode) and self.g.value(value, RDF.first) is not None:
            name = "[" + ", ".join(self.display(m) for m in Collection(self.g, value)) + "]"
        kind = str(component).rsplit("#", 1)[1].removesuffix("ConstraintComponent")
        wording: dict[str, Callable[[str, str], str]] = {
            "Class": lambda f, v: f"Value {v} does not have class {name}",
            "Datatype": lambda f, v: f"Value {v} is not a literal with datatype {name}",
            "NodeKind": lambda f, v: f"Value {v} is not of node kind {name}",
            "In": lambda f, v: f"Value {v} not in list {name}",
            "LanguageIn": lambda f, v: f"String language of {v} is not in {name}",
            "Pattern": lambda f, v: f"Value {v} does not match pattern '{value}'",
            "MinLength": lambda f, v: f"String length of {v} not >= {value}",
            "MaxLength": lambda f, v: f"String length of {v} not <= {value}",
            "HasValue": lambda f, v: f"Node {f} is not {name}",
        }
        return wording.get(kind, lambda f, v: f"Value {v} does not conform to the {kind} constraint ({name})")


def wordier(shown: str, wording: str) -> Callable[[str, str], str]:
    return lambda f, v: f"Node {f}->{shown} {wording}"


def failed(flag: str) -> Callable[[Row], bool]:
    return lambda row: row.get(flag) != TRUE


def count(row: Row) -> int:
    return int(str(row["_n"]))


def compare(op: str, bound: int) -> Callable[[Row], bool]:
    return (lambda row: count(row) < bound) if op == "<" else (lambda row: count(row) > bound)


def rows_of(store: ox.Store, query: Query) -> list[Row]:
    """The query's rows as rdflib terms; the pyoxigraph result never leaves this call.

    Query results are bound to the thread that made them (the queries run in a pool): they
    are read here and dropped here, also when reading them fails.
    """
    try:
        solutions = store.query(query.text, use_default_graph_as_union=True)
    except SyntaxError as error:
        raise UnsupportedShape(query.checks[0][0].shape, f"a query oxigraph cannot parse ({error})") from None
    rows: list[Row] = []
    solution = None
    try:
        if not isinstance(solutions, ox.QuerySolutions):
            raise TypeError(f"not a SELECT query: {query.text}")
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            rows.append({name: to_rdflib(solution[name]) for name in names if solution[name] is not None})
    finally:
        del solutions, solution
    return rows


def run(store: ox.Store, query: Query) -> Iterator[Failure]:
    """The results of one query: a row is a result of every check it fails."""
    seen: set[tuple[tuple[str, rdflib.term.Node], ...]] = set()
    for bound in rows_of(store, query):
        if "this" not in bound:
            continue
        if query.dedup:
            key = tuple(sorted(bound.items()))
            if key in seen:
                continue
            seen.add(key)
        for check, fails in query.checks:
            if fails(bound):
                focus = bound["this"]
                value = bound.get("value", focus if check.node_level else None)
                yield Failure(check, focus, value, bound.get("path", check.path), bound)


def message(result: Failure, display: Display) -> list[str]:
    check = result.check
    if not check.messages:
        shown = display(result.value) if result.value is not None else ""
        return [check.default(display(result.focus), shown)]
    if not check.templated:
        return [str(m) for m in check.messages]
    bound = result.bound
    return [
        _TEMPLATE.sub(lambda m: display(bound[m[1]]) if m[1] in bound else "?", str(text)) for text in check.messages
    ]


def compile_shapes(shapes: rdflib.Graph, display: Display = str, subclasses: Subclasses | None = None) -> list[Query]:
    """The queries of the shapes; raises :class:`UnsupportedShape` before any query runs."""
    return Compiler(shapes, display, subclasses).compile()


SUBCLASSES = f"SELECT DISTINCT ?class ?top WHERE {{ ?class <{RDFS.subClassOf}>* ?top }}"


def store_subclasses(store: ox.Store) -> Subclasses:
    """The class hierarchy of ``store`` (the union of its graphs), each class's closure read once."""
    known: dict[str, list[str]] = {}

    def subclasses(cls: str) -> list[str]:
        if cls not in known:
            solutions = store.query(
                SUBCLASSES, use_default_graph_as_union=True, substitutions={ox.Variable("top"): ox.NamedNode(cls)}
            )
            assert isinstance(solutions, ox.QuerySolutions)
            found = {row["class"].value for row in solutions if isinstance(row["class"], ox.NamedNode)}
            known[cls] = sorted(found | {cls})
        return known[cls]

    return subclasses


QUERY_THREADS = max(1, min(4, os.cpu_count() or 1))
"""Shape queries run at once: each is one pyoxigraph query, which releases the GIL while it runs."""


def validate_store(
    store: ox.Store,
    shapes: rdflib.Graph,
    display: Display,
    on_query: Callable[[int, int], None] | None = None,
) -> list[Finding]:
    """Validate the union of the store's named graphs against the shapes.

    ``display`` writes a term in messages (``{?var}`` of SPARQL constraints, default wordings);
    ``on_query(done, total)`` is called after each query, for a progress bar. The queries are
    independent: they run several at once (one per core, each query and its rows in one thread,
    as pyoxigraph requires), and their findings are returned in the queries' order.
    """
    queries = compile_shapes(shapes, display, store_subclasses(store))

    def findings_of(query: Query) -> list[Finding]:
        return [finding(failure, display) for failure in run(store, query)]

    results: dict[int, list[Finding]] = {}
    # pyoxigraph results are bound to their thread and may not be freed by another one: collect
    # the garbage this thread has made now, or a pool thread's collection would free it there.
    gc.collect()
    with ThreadPoolExecutor(max_workers=QUERY_THREADS, thread_name_prefix="sdkg-shapes") as pool:
        futures = {pool.submit(findings_of, query): index for index, query in enumerate(queries)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if on_query is not None:
                on_query(done, len(queries))
    return [found for index in range(len(queries)) for found in results[index]]


def finding(failure: Failure, display: Display) -> Finding:
    check = failure.check
    return Finding(
        severity=check.severity,
        focus=failure.focus,
        path=failure.path,
        value=failure.value,
        shape=check.shape,
        component=check.component,
        constraint=check.constraint,
        messages=tuple(message(failure, display)),
    )
