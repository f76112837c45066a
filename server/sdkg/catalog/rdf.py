"""The query catalog as RDF: each query an ``sh:SPARQLExecutable`` with its ``sh:prefixes``.

The same triples are loaded into the store (graph ``graph/catalog``, under the canonical
``https://w3id.org/sdkg/catalog/`` IRIs) so the catalog can be queried through the endpoint, and
served at ``/catalog`` by the web layer.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from ..namespaces import CATALOG_GRAPH, DCTERMS, RDF, RDFS, SH, XSD
from ..sparql.tokens import operation, prologue
from . import CannedQuery

CANONICAL_BASE = "https://w3id.org/sdkg/"


Triples = list[ox.Triple]


def iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def split_prefixes(text: str) -> tuple[dict[str, str], str]:
    """The PREFIX declarations of a query (name → namespace) and its text without them."""
    prefixes, offset = prologue(text)  # the catalog header's comments go too: its fields are properties
    return prefixes, text[offset:].strip() + "\n"


def executable(base: str, query: CannedQuery) -> Triples:
    """One catalog query as ``sh:SPARQL{Select,Construct,Ask}Executable`` with ``sh:prefixes``."""
    node, declarations = iri(f"{base}catalog/{query.name}"), iri(f"{base}catalog/{query.name}#prefixes")
    a = iri(RDF + "type")
    prefixes, body = split_prefixes(query.text)
    keyword = (operation(body) or "select").lower()
    out: Triples = [
        ox.Triple(node, a, iri(SH + "SPARQLExecutable")),
        ox.Triple(node, iri(RDFS + "label"), ox.Literal(query.title)),
        ox.Triple(node, iri(SH + "prefixes"), declarations),
        ox.Triple(declarations, a, iri(OWL_ONTOLOGY)),
    ]
    if keyword in ("select", "construct", "ask"):
        out.append(ox.Triple(node, a, iri(SH + f"SPARQL{keyword.capitalize()}Executable")))
        out.append(ox.Triple(node, iri(SH + keyword), ox.Literal(body)))
    else:
        out.append(ox.Triple(node, iri(RDFS + "comment"), ox.Literal(body)))
    if query.description:
        out.append(ox.Triple(node, iri(DCTERMS + "description"), ox.Literal(query.description)))
    if query.question:
        out.append(ox.Triple(node, iri(RDFS + "comment"), ox.Literal(query.question)))
    for name, namespace in sorted(prefixes.items()):
        declaration = ox.BlankNode(f"{query.name}-{name or 'default'}".replace(".", "-"))
        out += [
            ox.Triple(declarations, iri(SH + "declare"), declaration),
            ox.Triple(declaration, iri(SH + "prefix"), ox.Literal(name)),
            ox.Triple(declaration, iri(SH + "namespace"), ox.Literal(namespace, datatype=iri(XSD + "anyURI"))),
        ]
    for parameter in query.parameters:
        holder = ox.BlankNode(f"{query.name}-param-{parameter.name}")
        out += [
            ox.Triple(node, iri(SH + "parameter"), holder),
            ox.Triple(holder, iri(SH + "path"), iri(f"{base}catalog/{query.name}#{parameter.name}")),
            ox.Triple(holder, iri(SH + "name"), ox.Literal(parameter.name)),
            ox.Triple(holder, iri(SH + "defaultValue"), parameter.term()),
        ]
        if parameter.description:
            out.append(ox.Triple(holder, iri(SH + "description"), ox.Literal(parameter.description)))
    return out


OWL_ONTOLOGY = "http://www.w3.org/2002/07/owl#Ontology"  # SHACL wants the sh:declare holder typed owl:Ontology


def catalog_triples(base: str, catalog: Mapping[str, CannedQuery]) -> Triples:
    """The catalog's queries as ``sh:SPARQLExecutable`` s, under ``{base}catalog/``."""
    out: Triples = []
    for query in catalog.values():
        out += executable(base, query)
    return out


def catalog_quads(catalog: Mapping[str, CannedQuery]) -> list[ox.Quad]:
    """The catalog for the store, in its own named graph, under canonical IRIs."""
    graph = ox.NamedNode(CATALOG_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in catalog_triples(CANONICAL_BASE, catalog)]
