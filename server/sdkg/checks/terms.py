"""Terms as a validation report shows them, and the one conversion between pyoxigraph and rdflib terms.

Messages name nodes the way the project's files write them (``actor:mary-kaldor``,
``sdkg:heldBy``), so an editor recognises them; the shapes graph is rdflib's (pyshacl and
the compiler read it), the data is pyoxigraph's.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import rdflib
from rdflib.namespace import XSD

from ..namespaces import PREFIXES

SHAPES_NS = "https://w3id.org/sdkg/shapes#"
DISPLAY_PREFIXES = {**PREFIXES, "sdkgsh": SHAPES_NS, "wikidata": PREFIXES["wd"]}
NAMESPACES = rdflib.Graph().namespace_manager


def compact(iri: str) -> str:
    """``sdkg:heldBy`` for a known namespace, ``<iri>`` otherwise."""
    best = ""
    for prefix, namespace in DISPLAY_PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(DISPLAY_PREFIXES.get(best, "")):
            local = iri[len(namespace) :]
            if re.fullmatch(r"[A-Za-z0-9_.\-]*", local) and not local.endswith("."):
                best = prefix
    return f"{best}:{iri[len(DISPLAY_PREFIXES[best]) :]}" if best else f"<{iri}>"


def expand(name: str) -> str:
    prefix, _, local = name.partition(":")
    return DISPLAY_PREFIXES[prefix] + local if prefix in DISPLAY_PREFIXES else name


def display_term(term: rdflib.term.Node | None) -> str:
    """A term as an editor reads it in a message: ``actor:mary-kaldor``, or a literal's text."""
    if term is None:
        return "?"
    return compact(str(term)) if isinstance(term, rdflib.URIRef) else str(term)


def value_text(value: rdflib.term.Node) -> str:
    """An offending value as a report shows it: a prefixed name, or a literal as Turtle writes it."""
    if isinstance(value, rdflib.URIRef):
        return compact(str(value))
    if isinstance(value, rdflib.Literal):
        return value.n3(NAMESPACES)
    return str(value)


def store_term(text: str) -> ox.NamedNode | ox.BlankNode:
    """The store term a report names: IRIs always have a colon, oxigraph's blank node ids never."""
    return ox.NamedNode(text) if ":" in text else ox.BlankNode(text)


def to_rdflib(term: object) -> rdflib.term.Node:
    """An oxigraph term as rdflib's; blank nodes keep the store's id (``BlankNode(id)`` finds them)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if not isinstance(term, ox.Literal):
        raise ValueError(f"unexpected term in a result: {term!r}")
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
