"""Build-time summaries: the counts the catalog's aggregate queries need, written into their own graph.

An aggregate over every ascription (``stance-summary``, ``claims-per-discourse``, ...) visits
each of them on every request: seconds at a million claims. The build runs each aggregate once,
after the rules, as a SPARQL ``GROUP BY`` over the on-disk store (Oxigraph holds the groups and,
for ``COUNT(DISTINCT …)``, the values counted, at most one entry per ascription, claim or link; no
Python copy of the corpus), and writes one ``sdkg:Tally`` per group into
:data:`~sdkg.namespaces.SUMMARIES_GRAPH`: the entities the group is of (``sdkg:tallySource``,
``sdkg:tallyDiscourse``, ...) and its counts (``sdkg:ascriptionCount``, ...). The catalog queries
read the tallies and join the labels themselves, so they give the rows of the direct aggregate
(``queries/direct/`` holds each direct form; ``tests/build/test_summaries.py`` compares them).

The same graph holds the index of links between sources: one ``sdkg:LinkAcrossSources`` for each
argument link and pair of different sources its premise and its conclusion are ascribed in, so
that ``kaldor-dunne-wheeler`` starts from those few links instead of scanning every link.

The tallies are derived counts, never claims: nothing here says what a source says. Each
summary's query is the direct query without its label variables (labels do not change a count
and are joined when the catalog query is read), grouped by the tally's entities.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import ID, RDF, SDKG, SUMMARIES_GRAPH

PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
"""
TALLY = ID + "tally/"
"""Where the tallies' IRIs are: ``tally/<summary>-<digest of the group's entities>``."""


@dataclass(frozen=True)
class Summary:
    """One kind of tally: the aggregate that computes it, the variables that name its entities
    (with the property each is written with) and the counts (likewise)."""

    name: str
    query: str
    entities: tuple[tuple[str, str], ...]
    counts: tuple[tuple[str, str], ...]
    kind: str = "Tally"
    """The class of its records: ``Tally``, or ``LinkAcrossSources`` for the index of links between sources."""


SUMMARIES: tuple[Summary, ...] = (
    Summary(
        "discourse-source",  # claims-per-discourse
        """SELECT ?discourse ?source (COUNT(DISTINCT ?expressing) AS ?stating)
       (COUNT(DISTINCT ?criticising) AS ?against) WHERE {
    ?discourse a sdkg:Discourse .
    { ?expressing sdkg:expressesDiscourse ?discourse . ?a1 sdkg:ascribes ?expressing ; sdkg:inSource ?source }
    UNION
    { ?criticising sdkg:criticisesDiscourse ?discourse . ?a2 sdkg:ascribes ?criticising ; sdkg:inSource ?source }
}
GROUP BY ?discourse ?source""",
        (("discourse", "tallyDiscourse"), ("source", "tallySource")),
        (("stating", "expressingClaimCount"), ("against", "criticisingClaimCount")),
    ),
    Summary(
        "source-reporter-stance",  # stance-summary
        """SELECT ?source ?reporter ?stance (COUNT(DISTINCT ?ascription) AS ?ascriptions)
       (SUM(IF(?holder = ?reporter, 1, 0)) AS ?ownClaims) WHERE {
    ?ascription a sdkg:Ascription ;
        sdkg:inSource ?source ;
        sdkg:reportedBy ?reporter ;
        sdkg:heldBy ?holder ;
        sdkg:stance ?stance .
}
GROUP BY ?source ?reporter ?stance""",
        (("source", "tallySource"), ("reporter", "tallyReporter"), ("stance", "tallyStance")),
        (("ascriptions", "ascriptionCount"), ("ownClaims", "ownClaimCount")),
    ),
    Summary(
        "holder",  # reported-positions-by-holder: what the direct query computes per holder, less the holder's label
        """SELECT ?holder (COUNT(DISTINCT ?claim) AS ?claims)
       (SUM(IF(?stance = sdkg:Endorses, 1, 0)) AS ?endorsed) (SUM(IF(?stance = sdkg:Rejects, 1, 0)) AS ?rejected)
       (SUM(IF(?stance = sdkg:ReportsNeutrally, 1, 0)) AS ?neutral)
       (GROUP_CONCAT(DISTINCT ?reporterLabel; separator=", ") AS ?reporters) WHERE {
    ?ascription sdkg:ascribes ?claim ;
        sdkg:heldBy ?holder ;
        sdkg:reportedBy ?reporter ;
        sdkg:stance ?stance .
    FILTER(?holder != ?reporter)
    ?reporter rdfs:label ?reporterLabel .
}
GROUP BY ?holder""",
        (("holder", "tallyHolder"),),
        (
            ("claims", "reportedClaimCount"),
            ("endorsed", "endorsedReportCount"),
            ("rejected", "rejectedReportCount"),
            ("neutral", "neutralReportCount"),
            ("reporters", "reporterLabels"),
        ),
    ),
    Summary(
        "source",  # source-overview
        """SELECT ?source (COUNT(DISTINCT ?passage) AS ?passages) (COUNT(DISTINCT ?claim) AS ?claims)
       (COUNT(DISTINCT ?link) AS ?argumentLinks) (COUNT(DISTINCT ?entity) AS ?entitiesMentioned) WHERE {
    ?source sdkg:sourceFileName ?file .
    { ?passage oa:hasSource ?source }
    UNION { ?ascription sdkg:inSource ?source ; sdkg:ascribes ?claim }
    UNION { ?link sdkg:linkSource ?source }
    UNION { ?entity sdkg:mentionedIn ?source }
}
GROUP BY ?source""",
        (("source", "tallySource"),),
        (
            ("passages", "passageCount"),
            ("claims", "claimCount"),
            ("argumentLinks", "argumentLinkCount"),
            ("entitiesMentioned", "mentionedEntityCount"),
        ),
    ),
    Summary(
        "case",  # most-invoked-cases
        """SELECT ?case (COUNT(DISTINCT ?claim) AS ?claims) (COUNT(DISTINCT ?link) AS ?asEvidence)
       (COUNT(DISTINCT ?source) AS ?sources) WHERE {
    ?class rdfs:subClassOf* sdkg:Case .
    ?case a ?class .
    { ?claim sdkg:aboutCase ?case } UNION { ?link sdkg:premise ?case } UNION { ?case sdkg:mentionedIn ?source }
}
GROUP BY ?case""",
        (("case", "tallyCase"),),
        (("claims", "claimCount"), ("asEvidence", "evidenceCount"), ("sources", "sourceCount")),
    ),
    Summary(
        "discourse-holder",  # critics-by-discourse
        """SELECT ?discourse ?holder (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
    ?claim sdkg:criticisesDiscourse ?discourse .
    ?ascription sdkg:ascribes ?claim ;
        sdkg:heldBy ?holder .
}
GROUP BY ?discourse ?holder""",
        (("discourse", "tallyDiscourse"), ("holder", "tallyHolder")),
        (("claims", "criticisingClaimCount"),),
    ),
    Summary(
        "discourse-concept",  # discourse-concepts
        """SELECT ?discourse ?concept (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
    ?discourse a sdkg:Discourse .
    { ?claim sdkg:expressesDiscourse ?discourse ; sdkg:usesConcept ?concept }
    UNION
    { ?concept sdkg:relatedDiscourse ?discourse }
}
GROUP BY ?discourse ?concept""",
        (("discourse", "tallyDiscourse"), ("concept", "tallyConcept")),
        (("claims", "expressingClaimCount"),),
    ),
    Summary(
        "chains",  # argument-chains
        """SELECT ?conclusion (COUNT(*) AS ?chains) (MAX(IF(BOUND(?deeper), 3, 2)) AS ?longest) WHERE {
    ?link2 sdkg:conclusion ?middle ; a sdkg:Support ; sdkg:premise ?start ; sdkg:linkSource ?source2 .
    ?link1 sdkg:premise ?middle ; a sdkg:Support ; sdkg:conclusion ?conclusion ; sdkg:linkSource ?source1 .
    OPTIONAL {
        SELECT DISTINCT ?start ?deeper WHERE {
            ?link3 a sdkg:Support ; sdkg:conclusion ?start ; sdkg:premise ?deeper ; sdkg:linkSource ?source3
        }
    }
}
GROUP BY ?conclusion""",
        (("conclusion", "tallyClaim"),),
        (("chains", "supportChainCount"), ("longest", "longestSupportChain")),
    ),
    Summary(
        "across",  # kaldor-dunne-wheeler: the argument links between a claim of one source and a claim of another
        """SELECT DISTINCT ?link ?premiseSource ?conclusionSource WHERE {
    ?link sdkg:premise ?premise ;
        sdkg:conclusion ?conclusion .
    [] sdkg:ascribes ?premise ; sdkg:inSource ?premiseSource .
    [] sdkg:ascribes ?conclusion ; sdkg:inSource ?conclusionSource .
    FILTER(?premiseSource != ?conclusionSource)
}""",
        (("link", "acrossLink"), ("premiseSource", "premiseSource"), ("conclusionSource", "conclusionSource")),
        (),
        kind="LinkAcrossSources",
    ),
)


GRAPH = ox.NamedNode(SUMMARIES_GRAPH)
TYPE = ox.NamedNode(RDF + "type")


CHUNK = 100_000
"""Quads written at a time: Python holds no more of a summary than this."""


def summarise(store: ox.Store, chunk: int = CHUNK) -> int:
    """Replace the summaries graph with the tallies of the store's other graphs; return its triples.

    Each summary's rows are written ``chunk`` quads at a time while they are read (the query reads a
    snapshot of the store, and no summary's query matches a tally)."""
    if GRAPH in set(store.named_graphs()):
        store.remove_graph(GRAPH)
    written = 0
    for summary in SUMMARIES:
        quads = tally_quads(store, summary)
        while batch := list(itertools.islice(quads, chunk)):
            store.bulk_extend(batch)
            written += len(batch)
    store.flush()
    return written


def tally_quads(store: ox.Store, summary: Summary) -> Iterator[ox.Quad]:
    """The quads of one summary's tallies: one tally per group of its aggregate."""
    result = store.query(PREFIXES + summary.query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        entities = [(prop, row[var]) for var, prop in summary.entities]
        if any(term is None for _, term in entities):
            continue  # an empty aggregate answers one row of unbound groups: no tally
        key = "\n".join(str(term) for _, term in entities)
        tally = ox.NamedNode(f"{TALLY}{summary.name}-{hashlib.sha1(key.encode()).hexdigest()[:16]}")
        yield ox.Quad(tally, TYPE, ox.NamedNode(SDKG + summary.kind), GRAPH)
        for prop, term in entities:
            yield ox.Quad(tally, ox.NamedNode(SDKG + prop), term, GRAPH)  # type: ignore[arg-type]
        for var, prop in summary.counts:
            count = row[var]
            if count is not None:
                yield ox.Quad(tally, ox.NamedNode(SDKG + prop), count, GRAPH)
