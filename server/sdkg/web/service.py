"""Self-description: the SPARQL 1.1 service description, the VoID description and the
query catalog as SHACL ``sh:SPARQLExecutable`` resources.

Everything here is built as a list of triples; the app serialises it in the
negotiated RDF format like any CONSTRUCT answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import DCTERMS, RDF, RDFS, SH, XSD
from ..sparql.engine import Engine, select
from ..sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON-LD",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
}
SELF_PREFIXES = {"sd": SD, "void": VOID, "sh": SH, "dcterms": DCTERMS, "formats": FORMATS, "xsd": XSD}

Triples = list[ox.Triple]


def iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=iri(XSD + "integer"))


@dataclass
class Stats:
    """Counts over the published data (the union of its graphs), for SD and VoID."""

    triples: int = 0
    graphs: list[tuple[str, int]] = field(default_factory=list)
    classes: list[tuple[str, int]] = field(default_factory=list)
    properties: list[tuple[str, int]] = field(default_factory=list)
    subjects: int = 0
    objects: int = 0


async def gather_stats(engine: Engine) -> Stats:
    """Count triples per graph, entities per class and triples per property."""

    async def pairs(query: str) -> list[tuple[str, int]]:
        rows = await select(engine, query)
        return [(r["x"]["value"], int(r["n"]["value"])) for r in rows if "x" in r and r["x"]["type"] == "uri"]

    graphs = await pairs("SELECT ?x (COUNT(*) AS ?n) WHERE { GRAPH ?x { ?s ?p ?o } } GROUP BY ?x ORDER BY ?x")
    classes = await pairs("SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?x } GROUP BY ?x ORDER BY ?x")
    properties = await pairs("SELECT ?x (COUNT(*) AS ?n) WHERE { ?s ?x ?o } GROUP BY ?x ORDER BY ?x")
    totals = await select(
        engine, "SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?s2) (COUNT(DISTINCT ?o) AS ?o2) WHERE { ?s ?p ?o }"
    )
    row = totals[0] if totals else {}
    return Stats(
        triples=int(row.get("t", {}).get("value", 0)),
        graphs=graphs,
        classes=classes,
        properties=properties,
        subjects=int(row.get("s2", {}).get("value", 0)),
        objects=int(row.get("o2", {}).get("value", 0)),
    )


def service_description(base: str, stats: Stats, updates: bool, catalog: Triples) -> Triples:
    """The SPARQL 1.1 service description of ``{base}sparql`` (with the catalog attached)."""
    service, dataset, default = iri(base + "sparql#service"), iri(base + "sparql#dataset"), ox.BlankNode("default")
    a = iri(RDF + "type")
    out: Triples = [
        ox.Triple(service, a, iri(SD + "Service")),
        ox.Triple(service, iri(SD + "endpoint"), iri(base + "sparql")),
        ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(service, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")),
        ox.Triple(service, iri(SD + "feature"), iri(SD + "BasicFederatedQuery")),
        ox.Triple(service, iri(SD + "defaultDataset"), dataset),
        ox.Triple(service, iri(RDFS + "seeAlso"), iri(base + ".well-known/void")),
        ox.Triple(service, iri(RDFS + "seeAlso"), iri(base + "catalog")),
        ox.Triple(dataset, a, iri(SD + "Dataset")),
        ox.Triple(dataset, iri(SD + "defaultGraph"), default),
        ox.Triple(default, a, iri(SD + "Graph")),
        ox.Triple(default, iri(VOID + "triples"), integer(stats.triples)),
    ]
    if updates:
        out.append(ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Update")))
    for fmt in RESULT_FORMATS + GRAPH_FORMATS:
        out.append(ox.Triple(service, iri(SD + "resultFormat"), iri(FORMATS + FORMAT_IRIS[fmt.media_type])))
    for index, (graph_iri, count) in enumerate(stats.graphs):
        named, graph = ox.BlankNode(f"named{index}"), ox.BlankNode(f"graph{index}")
        out += [
            ox.Triple(dataset, iri(SD + "namedGraph"), named),
            ox.Triple(named, a, iri(SD + "NamedGraph")),
            ox.Triple(named, iri(SD + "name"), iri(graph_iri)),
            ox.Triple(named, iri(SD + "graph"), graph),
            ox.Triple(graph, a, iri(SD + "Graph")),
            ox.Triple(graph, iri(VOID + "triples"), integer(count)),
        ]
    return out + catalog


def void_description(base: str, title: str, stats: Stats) -> Triples:
    """VoID: the dataset, its SPARQL endpoint, class and property partitions with counts."""
    dataset = iri(base + ".well-known/void#dataset")
    a = iri(RDF + "type")
    out: Triples = [
        ox.Triple(dataset, a, iri(VOID + "Dataset")),
        ox.Triple(dataset, iri(DCTERMS + "title"), ox.Literal(title)),
        ox.Triple(dataset, iri(VOID + "sparqlEndpoint"), iri(base + "sparql")),
        ox.Triple(dataset, iri(VOID + "triples"), integer(stats.triples)),
        ox.Triple(dataset, iri(VOID + "distinctSubjects"), integer(stats.subjects)),
        ox.Triple(dataset, iri(VOID + "distinctObjects"), integer(stats.objects)),
        ox.Triple(dataset, iri(VOID + "classes"), integer(len(stats.classes))),
        ox.Triple(dataset, iri(VOID + "properties"), integer(len(stats.properties))),
    ]
    return (
        out
        + partitions(dataset, "class", stats.classes, "entities")
        + partitions(dataset, "property", stats.properties, "triples")
    )


def partitions(dataset: ox.NamedNode, kind: str, counts: list[tuple[str, int]], measure: str) -> Triples:
    """VoID class (or property) partitions: a node per class (property) with its count of ``measure``."""
    out: Triples = []
    for index, (term, count) in enumerate(counts):
        node = ox.BlankNode(f"{kind}{index}")
        out += [
            ox.Triple(dataset, iri(VOID + kind + "Partition"), node),
            ox.Triple(node, iri(VOID + kind), iri(term)),
            ox.Triple(node, iri(VOID + measure), integer(count)),
        ]
    return out
