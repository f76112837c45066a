"""A catalog query's parameters, from what a person types to RDF terms, checked against the graph.

A parameter's default says what it takes (:func:`kind_of`): an entity of one kind (the default is
an IRI under ``https://w3id.org/sdkg/id/case/``: a case), a term of a vocabulary (``sdkg:criticOf``:
a term of the ontology), a whole number, or text. For an entity or a term, a person may give
the IRI (bare or in angle brackets), a prefixed name (``case:rwandan-genocide``) or an exact
label or other name (``Rwandan genocide``, any case). A value that names nothing in the graph is
refused with :class:`ParameterError`, which says which value matched nothing and what comes
close (``case=Rwanda`` matched nothing: did you mean Rwandan genocide?), rather than running
the query to an empty answer.

The look-ups are SELECTs on the served engine (the same limits as every query), with the
value bound as a term, never pasted into the text. The web's canned queries, the query page's
parameter forms and ``sdkg query NAME --param`` use this module, so they accept and refuse
the same values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import ID, PREFIXES, XSD
from ..sparql.engine import Bindings, Engine, select
from . import CannedQuery, Parameter, parse_term

Term = ox.NamedNode | ox.Literal

_CURIE = re.compile(r"^([A-Za-z][\w.-]*)?:(\S+)$")
_WORD = re.compile(r"\w{3,}")
PREFIX_HEADER = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
)

BY_NAME = (
    PREFIX_HEADER
    + """SELECT ?entity (SAMPLE(?label_) AS ?label) WHERE {
    ?entity rdfs:label|skos:altLabel ?name .
    FILTER(STRSTARTS(STR(?entity), ?scope) && LCASE(STR(?name)) = ?wanted)
    OPTIONAL { ?entity rdfs:label ?label_ }
} GROUP BY ?entity ORDER BY ?entity LIMIT 10"""
)

NEAR = (
    PREFIX_HEADER
    + """SELECT ?entity (SAMPLE(?label_) AS ?label) WHERE {
    ?entity rdfs:label|skos:altLabel ?name .
    FILTER(STRSTARTS(STR(?entity), ?scope) && CONTAINS(LCASE(STR(?name)), ?word))
    ?entity rdfs:label ?label_ .
} GROUP BY ?entity ORDER BY STRLEN(STR(?label)) LIMIT 5"""
)

KNOWN = "SELECT ?p WHERE { ?entity ?p ?o } LIMIT 1"

OPTIONS = (
    PREFIX_HEADER
    + """SELECT ?entity (SAMPLE(?label_) AS ?label) WHERE {
    ?entity rdfs:label ?label_ .
    FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), ?scope))
} GROUP BY ?entity ORDER BY LCASE(STR(?label)) LIMIT 2000"""
)


class ParameterError(ValueError):
    """A parameter that cannot be used: unknown, given twice, malformed, or naming nothing (a client's 400)."""


@dataclass(frozen=True)
class Kind:
    """What a parameter takes: ``entity`` (IRIs starting with ``scope``, named ``noun``), ``integer`` or ``text``."""

    name: str
    scope: str = ""
    noun: str = "value"


def kind_of(parameter: Parameter) -> Kind:
    """The kind of a parameter, read from its default."""
    default = parse_term(parameter.default)
    if isinstance(default, ox.NamedNode):
        iri = default.value
        if iri.startswith(ID):
            kind = iri[len(ID) :].split("/", 1)[0]
            return Kind("entity", f"{ID}{kind}/", kind)
        cut = max(iri.rfind("#"), iri.rfind("/"))
        prefix = next((p for p, ns in PREFIXES.items() if ns == iri[: cut + 1]), None)
        return Kind("entity", iri[: cut + 1], f"{prefix} term" if prefix else "term")
    if default.datatype == ox.NamedNode(XSD + "integer"):
        return Kind("integer", noun="whole number")
    return Kind("text", noun="text")


def curie(iri: str) -> str:
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def given_values(query: CannedQuery, params: list[tuple[str, str]]) -> dict[str, str]:
    """The values given for declared parameters; refuses an undeclared parameter and one given twice."""
    declared = {p.name for p in query.parameters}
    given: dict[str, str] = {}
    for name, value in params:
        if name not in declared:
            known = ", ".join(p.name for p in query.parameters) or "none"
            raise ParameterError(f"unknown parameter {name!r} for query {query.name!r} (parameters: {known})")
        if name in given:
            raise ParameterError(f"parameter {name!r} is given twice")
        given[name] = value
    return given


def literal_term(parameter: Parameter, value: str) -> Term:
    """A value of an integer or text parameter as a term (a malformed one refused)."""
    kind = kind_of(parameter)
    if kind.name == "integer":
        if not re.fullmatch(r"\s*-?\d+\s*", value):
            raise ParameterError(f"{parameter.name}={value!r} is not a whole number")
        return ox.Literal(value.strip(), datatype=ox.NamedNode(XSD + "integer"))
    try:
        return parse_term(value)
    except ValueError as error:
        raise ParameterError(f"bad parameter value {parameter.name}={value!r}: {error}") from None


def written_iri(value: str) -> str | None:
    """The IRI a value writes out (``<iri>``, a bare http(s) IRI or a known prefixed name), else ``None``."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    if re.match(r"^https?://\S+$", value):
        return value
    match = _CURIE.match(value)
    if match is not None:
        prefix = match.group(1) or ""
        if prefix not in PREFIXES:
            known = ", ".join(f"{p}:" for p in PREFIXES)
            raise ParameterError(f"unknown prefix {prefix + ':'!r} in {value!r} (known prefixes: {known})")
        return PREFIXES[prefix] + match.group(2)
    return None


async def resolve(engine: Engine, query: CannedQuery, params: list[tuple[str, str]]) -> dict[str, Term]:
    """Every declared parameter bound: the given value (checked against the graph) or its default."""
    given = given_values(query, params)
    bound: dict[str, Term] = {}
    for parameter in query.parameters:
        value = given.get(parameter.name)
        if value is None:
            bound[parameter.name] = parameter.term()
        elif kind_of(parameter).name == "entity":
            bound[parameter.name] = await entity_term(engine, parameter, value)
        else:
            bound[parameter.name] = literal_term(parameter, value)
    return bound


async def entity_term(engine: Engine, parameter: Parameter, value: str) -> ox.NamedNode:
    """The entity a parameter's value names (see :func:`name_entity`), within the kind of its default."""
    return await name_entity(engine, value, kind_of(parameter), parameter.name, curie(parameter.term().value))


async def name_entity(engine: Engine, value: str, kind: Kind, name: str, example: str) -> ox.NamedNode:
    """The entity ``value`` names: by IRI or prefixed name (it must occur in the graph) or by exact label.

    ``name`` is the parameter's name and ``example`` a prefixed name to show in the message when
    nothing matches.
    """
    shown = f"{name}={value}"
    if not value.strip():
        raise ParameterError(f"{name} is empty: give a {kind.noun}'s name, IRI or prefixed name")
    iri = written_iri(value)
    if iri is not None:
        try:
            node = ox.NamedNode(iri)
        except ValueError as error:
            raise ParameterError(f"bad parameter value {shown}: {error}") from None
        if await select(engine, KNOWN, {"entity": node}):
            return node
        near = await suggestions(engine, kind, iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1].replace("-", " "))
        raise ParameterError(f"{shown} matched nothing: the graph says nothing about <{iri}>.{near}")
    rows = await select(
        engine, BY_NAME, {"scope": ox.Literal(kind.scope), "wanted": ox.Literal(" ".join(value.split()).lower())}
    )
    if len(rows) == 1:
        return ox.NamedNode(rows[0]["entity"]["value"])
    if len(rows) > 1:
        names = "; ".join(option_text(row) for row in rows)
        raise ParameterError(f"{shown} names more than one {kind.noun}: {names}. Give the IRI or prefixed name.")
    near = await suggestions(engine, kind, value)
    raise ParameterError(
        f"{shown} matched nothing: no {kind.noun} is named {value.strip()!r}.{near}"
        f" Give an exact name, an IRI or a prefixed name such as {example}."
    )


def option_text(row: Bindings) -> str:
    iri = row["entity"]["value"]
    label = row.get("label", {}).get("value")
    return f"{label} ({curie(iri)})" if label else curie(iri)


async def suggestions(engine: Engine, kind: Kind, text: str) -> str:
    """`` Did you mean: …?`` with entities of the kind whose names contain a word of ``text``, or nothing."""
    found: dict[str, Bindings] = {}
    for word in sorted(set(_WORD.findall(text.lower())), key=len, reverse=True)[:3]:
        for row in await select(engine, NEAR, {"scope": ox.Literal(kind.scope), "word": ox.Literal(word)}):
            found.setdefault(row["entity"]["value"], row)
    if not found:
        return ""
    return " Did you mean: " + "; ".join(option_text(r) for r in list(found.values())[:5]) + "?"


async def options(engine: Engine, parameter: Parameter) -> list[dict[str, str]]:
    """What a parameter may name, for a form's list: IRI, prefixed name and label, by label."""
    kind = kind_of(parameter)
    if kind.name != "entity":
        return []
    rows = await select(engine, OPTIONS, {"scope": ox.Literal(kind.scope)})
    return [
        {"value": row["entity"]["value"], "curie": curie(row["entity"]["value"]), "label": row["label"]["value"]}
        for row in rows
        if row.get("label")
    ]
