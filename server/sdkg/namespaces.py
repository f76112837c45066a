"""The IRIs every layer agrees on."""

from __future__ import annotations

SDKG = "https://w3id.org/sdkg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/sdkg/ontology"
ID = "https://w3id.org/sdkg/id/"
GRAPH = "https://w3id.org/sdkg/graph/"
INFERRED_GRAPH = GRAPH + "inferred"
EDITORIAL_GRAPH = GRAPH + "editorial"
"""Statements neither source makes (``data/editorial/``): the editors' links and alignments."""
EDITORIAL_DIR = "data/editorial/"
CATALOG_GRAPH = GRAPH + "catalog"
SUMMARIES_GRAPH = GRAPH + "summaries"
"""The build's counts (``sdkg:Tally`` s) that the catalog's aggregate queries read (:mod:`sdkg.build.summaries`)."""
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
NOT_LINKABLE = SDKG + "NotLinkableToWikidata"
"""The class of entities no Wikidata item could match (generated from the ``not linkable:`` rows of the
SSSOM tables); every other actor, case, concept and place is linkable."""
WIKIDATA_MAIN = "https://query.wikidata.org/sparql"
WIKIDATA_SCHOLARLY = "https://query-scholarly.wikidata.org/sparql"
"""Wikidata's two SPARQL endpoints since the 2025 graph split: the main graph and the scholarly
graph (articles and their authorships). Catalog queries name them by these IRIs."""

DCTERMS = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SH = "http://www.w3.org/ns/shacl#"
XSD = "http://www.w3.org/2001/XMLSchema#"

PREFIXES: dict[str, str] = {
    "actor": ID + "actor/",
    "alignment": ID + "alignment/",
    "argument": ID + "argument/",
    "ascription": ID + "ascription/",
    "case": ID + "case/",
    "claim": ID + "claim/",
    "concept": ID + "concept/",
    "dcterms": DCTERMS,
    "discourse": ID + "discourse/",
    "explanation": ID + "explanation/",
    "oa": "http://www.w3.org/ns/oa#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "passage": ID + "passage/",
    "place": ID + "place/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": RDF,
    "rdfs": RDFS,
    "sdkg": SDKG,
    "sh": SH,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "source": ID + "source/",
    "wd": WIKIDATA_ENTITY,
    "wdt": "http://www.wikidata.org/prop/direct/",
    "xsd": XSD,
}
"""Prefixes for query text and serialised results (sorted; the data files use the same)."""
