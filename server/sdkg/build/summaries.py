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

The graph also holds the order of the catalog's long listings (``reported-positions``,
``attacks``, ...): one ``sdkg:ListingRow`` per row, with its number (``sdkg:rowNumber``) and the
entities that make the row what it is. Oxigraph sorts every row of an ordered query before it
gives the first, so a page of a 150,000-row listing took seconds; the catalog query pages by
row number instead (``# page-by: rowNumber``, :mod:`sdkg.web.paging`), and a page reads only its
own rows and joins the rest of them from their entities.

The graph says which definitions wrote it (``sdkg:summariesFingerprint``, :data:`FINGERPRINT`, a digest of
:data:`SUMMARIES` and :data:`LISTINGS`): a server whose code defines them otherwise (a build made before an
upgrade, or pushed to a remote store by another version) answers those catalog queries with their direct
forms instead of reading rows that are not there or not the same.

The tallies are derived counts, never claims: nothing here says what a source says. Each
summary's query is the direct query without its label variables (labels do not change a count
and are joined when the catalog query is read), grouped by the tally's entities.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import ID, RDF, SDKG, SUMMARIES_GRAPH

PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
"""
TALLY = ID + "tally/"
"""Where the tallies' IRIs are: ``tally/<summary>-<digest of the group's entities>``."""
ROW = ID + "row/"
"""Where the listing rows' IRIs are: ``row/<listing>-<digest of the row's entities>``."""


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


@dataclass(frozen=True)
class Listing:
    """The order of one catalog listing (``queries/NAME.rq``): a query of its rows' entities in the listing's
    order (that of ``queries/direct/NAME.rq``, made total by the entities), the property each entity is
    written with, and the parameters within each value of which rows are numbered from 1.

    ``extras``: values a page shows that are no entity of the row, each with its property, several to a row
    (the query repeats the row once for each, the repeats one after another). They spare a page a join
    that Oxigraph would make over the whole store: an ``OPTIONAL`` of more than one pattern is evaluated on
    its own, then joined (docs/querying.md)."""

    name: str
    query: str
    entities: tuple[tuple[str, str], ...]
    partition: tuple[str, ...] = ()
    extras: tuple[tuple[str, str], ...] = ()


LISTINGS: tuple[Listing, ...] = (
    Listing(
        "reported-positions",
        """SELECT ?holder ?claim ?reporter ?stance ?source WHERE {
    ?ascription sdkg:ascribes ?claim ;
        sdkg:heldBy ?holder ;
        sdkg:reportedBy ?reporter ;
        sdkg:stance ?stance ;
        sdkg:inSource ?source .
    FILTER(?holder != ?reporter)
    ?holder rdfs:label ?holderLabel .
    ?reporter rdfs:label ?reporterLabel .
    ?stance rdfs:label ?stanceLabel .
    ?claim rdfs:label ?claimLabel .
}
GROUP BY ?holder ?holderLabel ?claim ?claimLabel ?reporter ?reporterLabel ?stance ?stanceLabel ?source
ORDER BY ?holderLabel ?claimLabel ?reporterLabel ?stanceLabel ?source ?holder ?claim ?reporter ?stance""",
        (
            ("holder", "rowHolder"),
            ("claim", "rowClaim"),
            ("reporter", "rowReporter"),
            ("stance", "rowStance"),
            ("source", "rowSource"),
        ),
    ),
    Listing(
        "rejected-claims",
        """SELECT ?claim ?holder ?reporter ?source WHERE {
    ?ascription sdkg:ascribes ?claim ;
        sdkg:stance sdkg:Rejects ;
        sdkg:heldBy ?holder ;
        sdkg:reportedBy ?reporter ;
        sdkg:inSource ?source .
    ?holder rdfs:label ?holderLabel .
    ?reporter rdfs:label ?reporterLabel .
    ?claim rdfs:label ?claimLabel .
}
GROUP BY ?claim ?claimLabel ?holder ?holderLabel ?reporter ?reporterLabel ?source
ORDER BY ?source ?holderLabel ?claimLabel ?reporterLabel ?holder ?claim ?reporter""",
        (("claim", "rowClaim"), ("holder", "rowHolder"), ("reporter", "rowReporter"), ("source", "rowSource")),
    ),
    Listing(
        "discourse-critics",
        """SELECT ?discourse ?holder ?claim ?reporter ?stance (STR(?premiseLabel) AS ?premise) WHERE {
    ?claim sdkg:criticisesDiscourse ?discourse ;
        rdfs:label ?claimLabel .
    ?ascription sdkg:ascribes ?claim ;
        sdkg:heldBy ?holder ;
        sdkg:reportedBy ?reporter ;
        sdkg:stance ?stance .
    ?holder rdfs:label ?holderLabel .
    ?reporter rdfs:label ?reporterLabel .
    ?stance rdfs:label ?stanceLabel .
    OPTIONAL {
        ?support a sdkg:Support ;
            sdkg:conclusion ?claim ;
            sdkg:linkSource ?supportSource ;
            sdkg:premise/rdfs:label ?premiseLabel .
    }
}
GROUP BY ?discourse ?holder ?holderLabel ?reporter ?reporterLabel ?stance ?stanceLabel ?claim ?claimLabel ?premiseLabel
ORDER BY ?discourse ?holderLabel ?claimLabel ?reporterLabel ?stanceLabel ?holder ?claim ?reporter ?stance
    ?premiseLabel""",
        (
            ("discourse", "rowDiscourse"),
            ("holder", "rowHolder"),
            ("claim", "rowClaim"),
            ("reporter", "rowReporter"),
            ("stance", "rowStance"),
        ),
        partition=("discourse",),
        extras=(("premise", "rowPremiseLabel"),),
    ),
    Listing(
        "attacks",
        """SELECT ?link ?source WHERE {
    ?link a sdkg:Attack ;
        sdkg:premise ?premise ;
        sdkg:conclusion ?conclusion .
    ?premise rdfs:label ?premiseLabel .
    ?conclusion rdfs:label ?conclusionLabel .
    ?link sdkg:assertedBy ?asserter .
    ?asserter rdfs:label ?asserterLabel .
    OPTIONAL { ?link sdkg:linkSource ?source }
}
GROUP BY ?link ?premiseLabel ?conclusionLabel ?source
ORDER BY ?source ?conclusionLabel ?premiseLabel ?link""",
        (("link", "rowLink"), ("source", "rowSource")),
    ),
    Listing(  # the three below order tallies, so they run after the tallies are written
        "critics-by-discourse",
        """SELECT ?tally WHERE {
    ?tally a sdkg:Tally ;
        sdkg:tallyDiscourse ?discourse ;
        sdkg:tallyHolder ?holder ;
        sdkg:criticisingClaimCount ?claims .
    ?discourse rdfs:label ?discourseLabel .
    ?holder rdfs:label ?holderLabel .
}
ORDER BY ?discourseLabel DESC(?claims) ?holderLabel ?discourse ?holder""",
        (("tally", "rowTally"),),
    ),
    Listing(
        "discourse-concepts",
        """SELECT ?tally WHERE {
    ?tally a sdkg:Tally ;
        sdkg:tallyDiscourse ?discourse ;
        sdkg:tallyConcept ?concept ;
        sdkg:expressingClaimCount ?claims .
    ?discourse rdfs:label ?discourseLabel .
    ?concept rdfs:label ?conceptLabel .
}
ORDER BY DESC(?discourseLabel) DESC(?claims) ?conceptLabel ?discourse ?concept""",
        (("tally", "rowTally"),),
    ),
    Listing(
        "reported-positions-by-holder",
        """SELECT ?tally WHERE {
    ?tally a sdkg:Tally ;
        sdkg:tallyHolder ?holder ;
        sdkg:reportedClaimCount ?claims .
    ?holder rdfs:label ?holderLabel .
}
ORDER BY DESC(?claims) ?holderLabel ?holder""",
        (("tally", "rowTally"),),
    ),
)


GRAPH = ox.NamedNode(SUMMARIES_GRAPH)
FINGERPRINT = hashlib.sha1(repr((SUMMARIES, LISTINGS)).encode()).hexdigest()[:16]
"""The digest of this code's summaries, written into the graph it makes (``sdkg:summariesFingerprint``)."""
FINGERPRINT_PROPERTY = ox.NamedNode(SDKG + "summariesFingerprint")
WRITTEN_BY_THIS_CODE = f"ASK {{ GRAPH {GRAPH} {{ {GRAPH} {FINGERPRINT_PROPERTY} {ox.Literal(FINGERPRINT)} }} }}"
"""Whether a store holds summaries that these definitions wrote (a server asks it of the store it serves)."""
TYPE = ox.NamedNode(RDF + "type")
LISTING_ROW = ox.NamedNode(SDKG + "ListingRow")
LISTING = ox.NamedNode(SDKG + "listing")
ROW_NUMBER = ox.NamedNode(SDKG + "rowNumber")


CHUNK = 100_000
"""Quads written at a time: Python holds no more of a summary than this."""


def summarise(store: ox.Store, chunk: int = CHUNK) -> int:
    """Replace the summaries graph with the tallies of the store's other graphs and the rows of the catalog's
    listings; return its triples.

    Each summary's rows are written ``chunk`` quads at a time while they are read (the query reads a
    snapshot of the store, and no summary's query matches a tally). The listings come last: three of
    them order tallies. Then the graph's fingerprint, the digest of the definitions that wrote it (none in
    an empty graph: the direct forms answer as the summaries would, with nothing)."""
    if GRAPH in set(store.named_graphs()):
        store.remove_graph(GRAPH)
    written = 0
    for quads in itertools.chain(
        (tally_quads(store, summary) for summary in SUMMARIES), (row_quads(store, listing) for listing in LISTINGS)
    ):
        while batch := list(itertools.islice(quads, chunk)):
            store.bulk_extend(batch)
            written += len(batch)
    if written:  # a store of other data than the project's has nothing to summarise: it gets no graph at all
        store.add(ox.Quad(GRAPH, FINGERPRINT_PROPERTY, ox.Literal(FINGERPRINT), GRAPH))
        written += 1
    store.flush()
    return written


def record_iri(base: str, name: str, terms: Iterable[object]) -> ox.NamedNode:
    """A tally's or a listing row's IRI: ``<base><name>-<digest of its entities>``, the same in every build of
    the same data."""
    key = "\n".join(str(term) for term in terms)
    return ox.NamedNode(f"{base}{name}-{hashlib.sha1(key.encode()).hexdigest()[:16]}")


def tally_quads(store: ox.Store, summary: Summary) -> Iterator[ox.Quad]:
    """The quads of one summary's tallies: one tally per group of its aggregate."""
    result = store.query(PREFIXES + summary.query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        entities = [(prop, row[var]) for var, prop in summary.entities]
        if any(term is None for _, term in entities):
            continue  # an empty aggregate answers one row of unbound groups: no tally
        tally = record_iri(TALLY, summary.name, [term for _, term in entities])
        yield ox.Quad(tally, TYPE, ox.NamedNode(SDKG + summary.kind), GRAPH)
        for prop, term in entities:
            yield ox.Quad(tally, ox.NamedNode(SDKG + prop), term, GRAPH)  # type: ignore[arg-type]
        for var, prop in summary.counts:
            count = row[var]
            if count is not None:
                yield ox.Quad(tally, ox.NamedNode(SDKG + prop), count, GRAPH)


def row_quads(store: ox.Store, listing: Listing) -> Iterator[ox.Quad]:
    """The quads of one listing's rows, numbered in the order its query gives them (from 1 within each value
    of its partition); a solution with the entities of the one before it adds its extras to that row. An
    entity or extra the query leaves unbound (an editorial attack has no source) is not written."""
    result = store.query(PREFIXES + listing.query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    numbers: dict[tuple[str, ...], int] = {}
    name = ox.Literal(listing.name)
    previous: list[object] = []
    for solution in result:
        entities = [(prop, solution[var]) for var, prop in listing.entities]
        terms = [term for _, term in entities]
        row = record_iri(ROW, listing.name, terms)
        if terms != previous:
            previous = terms
            part = tuple(str(solution[var]) for var in listing.partition)
            numbers[part] = number = numbers.get(part, 0) + 1
            yield ox.Quad(row, TYPE, LISTING_ROW, GRAPH)
            yield ox.Quad(row, LISTING, name, GRAPH)
            yield ox.Quad(row, ROW_NUMBER, ox.Literal(number), GRAPH)  # an xsd:integer
            for prop, term in entities:
                if term is not None:
                    yield ox.Quad(row, ox.NamedNode(SDKG + prop), term, GRAPH)  # type: ignore[arg-type]
        for var, prop in listing.extras:
            extra = solution[var]
            if extra is not None:
                yield ox.Quad(row, ox.NamedNode(SDKG + prop), extra, GRAPH)
