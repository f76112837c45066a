"""What a linked-data page says about one IRI, gathered through the Engine.

Three SELECT queries (the IRI's own statements, the claims it takes part in with
their ascriptions and passages, the statements that point at it) bind the IRI with a
``VALUES`` block of serialised terms (:mod:`sdkg.sparql.bindings`), never by pasting it into
query text. The graph serialisations
(Turtle, JSON-LD, RDF/XML) use one CONSTRUCT whose IRI comes only from
:func:`entity_iri`, which accepts nothing but ``kind/slug`` paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import EDITORIAL_GRAPH, ID, INFERRED_GRAPH, PREFIXES, SDKG, WIKIDATA_ENTITY
from ..sparql.engine import Bindings, Engine, select

RDF_TYPE = PREFIXES["rdf"] + "type"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS = PREFIXES["skos"]
OA = PREFIXES["oa"]
SHOWN_APART = {
    RDF_TYPE,
    RDFS_LABEL,
    SKOS + "definition",
    SKOS + "altLabel",
    SDKG + "paraphrase",
    OA + "hasSelector",
}
"""Properties the page shows in its heading or quote block rather than in the table."""

_SEGMENT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SLUG = re.compile(_SEGMENT)
"""What follows ``/id/{kind}/`` in an entity's IRI."""
ENTITY_PATH = re.compile(rf"(?P<kind>[a-z]+)/(?P<slug>{_SEGMENT})")
PREFIX_HEADER = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())

# ?derived: the triple is in the inferred graph (the rules wrote it, with an explanation);
# ?editorial: it is in the editorial graph (the SDKG editors', made by neither text).
STATEMENTS = (
    PREFIX_HEADER
    + f"""SELECT DISTINCT ?s ?p ?o ?plabel ?olabel ?bp ?bo ?bplabel ?derived ?editorial WHERE {{
    ?s ?p ?o .
    OPTIONAL {{ ?p rdfs:label ?plabel }}
    OPTIONAL {{ ?o rdfs:label ?olabel }}
    OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo . OPTIONAL {{ ?bp rdfs:label ?bplabel }} }}
    BIND(EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }} AS ?derived)
    BIND(EXISTS {{ GRAPH <{EDITORIAL_GRAPH}> {{ ?s ?p ?o }} }} AS ?editorial)
}} LIMIT 5000"""
)

CLAIMS = (
    PREFIX_HEADER
    + """SELECT DISTINCT ?s ?claim ?claimLabel ?paraphrase ?role ?roleLabel ?asc ?ascLabel ?stance ?stanceLabel
       ?reporter ?reporterLabel ?holder ?holderLabel ?source ?sourceLabel
       ?passage ?exact ?prefix ?suffix ?start ?end WHERE {
    { ?claim ?role ?s . FILTER(?role != sdkg:ascribes) }
    UNION { ?x sdkg:ascribes ?claim ; ?role ?s . }
    UNION { ?s sdkg:ascribes ?claim . BIND(sdkg:ascribes AS ?role) }
    UNION { ?s a ?type . BIND(?s AS ?claim) BIND(rdf:type AS ?role) }
    ?claim a/rdfs:subClassOf* sdkg:Claim .
    OPTIONAL { ?role rdfs:label ?roleLabel }
    OPTIONAL { ?claim rdfs:label ?claimLabel }
    OPTIONAL { ?claim sdkg:paraphrase ?paraphrase }
    OPTIONAL {
        ?asc sdkg:ascribes ?claim .
        OPTIONAL { ?asc rdfs:label ?ascLabel }
        OPTIONAL { ?asc sdkg:stance ?stance . OPTIONAL { ?stance rdfs:label ?stanceLabel } }
        OPTIONAL { ?asc sdkg:reportedBy ?reporter . OPTIONAL { ?reporter rdfs:label ?reporterLabel } }
        OPTIONAL { ?asc sdkg:heldBy ?holder . OPTIONAL { ?holder rdfs:label ?holderLabel } }
        OPTIONAL { ?asc sdkg:inSource ?source . OPTIONAL { ?source rdfs:label ?sourceLabel } }
        OPTIONAL {
            ?asc sdkg:restsOn ?passage .
            OPTIONAL {
                ?passage oa:hasSelector ?quote . ?quote oa:exact ?exact .
                OPTIONAL { ?quote oa:prefix ?prefix } OPTIONAL { ?quote oa:suffix ?suffix }
            }
            OPTIONAL { ?passage oa:hasSelector ?position . ?position oa:start ?start ; oa:end ?end }
        }
    }
} LIMIT 20000"""
)

QUOTES = (
    PREFIX_HEADER
    + """SELECT DISTINCT ?s ?exact ?prefix ?suffix ?start ?end ?source ?sourceLabel WHERE {
    ?s oa:hasSelector ?quote . ?quote oa:exact ?exact .
    OPTIONAL { ?quote oa:prefix ?prefix } OPTIONAL { ?quote oa:suffix ?suffix }
    OPTIONAL { ?s oa:hasSelector ?position . ?position oa:start ?start ; oa:end ?end }
    OPTIONAL { ?s oa:hasSource ?source . OPTIONAL { ?source rdfs:label ?sourceLabel } }
}"""
)

# The explanation nodes that the rules write for each derived triple point at the entities they
# explain; they are read through queries/why.rq, not listed among what references an entity.
INVERSE = (
    PREFIX_HEADER
    + f"""SELECT DISTINCT ?s ?subject ?p ?plabel ?slabel ?derived ?editorial WHERE {{
    ?subject ?p ?s .
    FILTER(!isBlank(?subject))
    FILTER NOT EXISTS {{ ?subject a sdkg:Explanation }}
    OPTIONAL {{ ?p rdfs:label ?plabel }}
    OPTIONAL {{ ?subject rdfs:label ?slabel }}
    BIND(EXISTS {{ GRAPH <{INFERRED_GRAPH}> {{ ?subject ?p ?s }} }} AS ?derived)
    BIND(EXISTS {{ GRAPH <{EDITORIAL_GRAPH}> {{ ?subject ?p ?s }} }} AS ?editorial)
}} LIMIT 2000"""
)

LISTING_PAGE = 200
"""Entities on one page of a ``/id/{kind}/`` listing."""


def listing_query(backwards: bool) -> str:
    """One page of a kind's entities in IRI order, after ``?from`` (or before it, going back): keyset paging,
    so a page never sorts or skips what comes before it; one more row than a page says whether more follow."""
    compare, order = ("<", "DESC(?s)") if backwards else (">", "?s")
    return (
        PREFIX_HEADER
        + f"""SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?t) AS ?type) (SAMPLE(?tl) AS ?typeLabel) WHERE {{
    ?s a ?t .
    FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(?namespace)) && STR(?s) {compare} STR(?from))
    FILTER(?t != sdkg:NotLinkableToWikidata)
    OPTIONAL {{ ?s rdfs:label ?l }}
    OPTIONAL {{ ?t rdfs:label ?tl }}
}} GROUP BY ?s ORDER BY {order} LIMIT {LISTING_PAGE + 1}"""
    )


KINDS = (
    PREFIX_HEADER
    + """SELECT ?s (COUNT(DISTINCT ?e) AS ?count) WHERE {
    ?e a ?t .
    FILTER(isIRI(?e) && STRSTARTS(STR(?e), STR(?s)))
} GROUP BY ?s"""
)


def entity_iri(path: str) -> str | None:
    """The IRI for a ``/id/{kind}/{slug}`` path, or ``None`` when the path is not one."""
    return ID + path if ENTITY_PATH.fullmatch(path) else None


def describe_query(iri: str) -> str:
    """A CONSTRUCT of the IRI's bounded description (its statements and their blank nodes)."""
    if not iri.startswith(ID) or not ENTITY_PATH.fullmatch(iri[len(ID) :]):
        raise ValueError(f"not an entity IRI: {iri!r}")
    return (
        PREFIX_HEADER
        + f"""CONSTRUCT {{ ?s ?p ?o . ?o ?bp ?bo . }} WHERE {{
    VALUES ?s {{ <{iri}> }}
    ?s ?p ?o .
    OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }}
}}"""
    )


@dataclass
class Term:
    """An RDF term as a page shows it."""

    kind: str  # "uri", "literal" or "bnode"
    value: str
    label: str | None = None
    lang: str | None = None
    datatype: str | None = None
    nested: list[Property] = field(default_factory=list)
    derived: bool = False
    """The statement that gives this value was derived by a rule (it is in the inferred graph)."""
    editorial: bool = False
    """The statement that gives this value is the SDKG editors' (it is in the editorial graph)."""

    @property
    def text(self) -> str:
        return self.label or self.value


@dataclass
class Property:
    iri: str
    label: str | None
    values: list[Term] = field(default_factory=list)


@dataclass
class Quote:
    passage: str
    exact: str
    prefix: str = ""
    suffix: str = ""
    start: str | None = None
    end: str | None = None
    source: Term | None = None


@dataclass
class AscriptionView:
    iri: str
    label: str | None
    stance: Term | None = None
    reporters: list[Term] = field(default_factory=list)
    holders: list[Term] = field(default_factory=list)
    sources: list[Term] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class ClaimView:
    iri: str
    label: str | None
    paraphrase: str | None
    roles: list[Term] = field(default_factory=list)
    ascriptions: list[AscriptionView] = field(default_factory=list)


@dataclass
class Resource:
    iri: str
    label: str | None = None
    types: list[Term] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    paraphrases: list[str] = field(default_factory=list)
    alt_labels: list[str] = field(default_factory=list)
    wikidata: list[str] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    claims: list[ClaimView] = field(default_factory=list)
    inverse: list[Property] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return bool(self.types or self.properties or self.label or self.inverse)

    @property
    def is_claim(self) -> bool:
        return any(c.iri == self.iri for c in self.claims)


def value(row: Bindings, name: str) -> str | None:
    cell = row.get(name)
    return cell["value"] if cell else None


def shown_term(row: Bindings, name: str, label: str | None = None) -> Term | None:
    cell = row.get(name)
    if not cell:
        return None
    kind = "literal" if cell["type"] in ("literal", "typed-literal") else cell["type"]
    return Term(kind, cell["value"], value(row, label) if label else None, cell.get("xml:lang"), cell.get("datatype"))


def add_unique(items: list[Term], item: Term | None) -> None:
    if item is not None and all((t.kind, t.value) != (item.kind, item.value) for t in items):
        items.append(item)


def add_text(items: list[str], text: str | None) -> None:
    if text and text not in items:
        items.append(text)


def english_first(rows: list[Bindings], name: str) -> str | None:
    """The English (or untagged) value of a label variable among rows, else any."""
    cells = [r[name] for r in rows if name in r]
    for cell in cells:
        if cell.get("xml:lang", "en").lower().startswith("en"):
            return cell["value"]
    return cells[0]["value"] if cells else None


async def describe(engine: Engine, iri: str) -> Resource:
    """Everything a page needs about ``iri``, in three queries plus one for quotes."""
    node: dict[str, ox.NamedNode | ox.Literal] = {"s": ox.NamedNode(iri)}
    resource = Resource(iri)
    statements = await select(engine, STATEMENTS, node)
    read_statements(resource, statements)
    resource.quotes = read_quotes(await select(engine, QUOTES, node))
    resource.claims = read_claims(await select(engine, CLAIMS, node))
    resource.inverse = read_inverse(await select(engine, INVERSE, node))
    return resource


def read_statements(resource: Resource, rows: list[Bindings]) -> None:
    properties: dict[str, Property] = {}
    bnodes: dict[str, Term] = {}
    for row in rows:
        p, o = row["p"]["value"], row["o"]
        if p == RDFS_LABEL:
            continue
        if p == RDF_TYPE:
            add_unique(resource.types, shown_term(row, "o", "olabel"))
        elif p == SKOS + "definition":
            add_text(resource.definitions, o["value"])
        elif p == SDKG + "paraphrase":
            add_text(resource.paraphrases, o["value"])
        elif p == SKOS + "altLabel":
            add_text(resource.alt_labels, o["value"])
        elif o["type"] == "uri" and o["value"].startswith(WIKIDATA_ENTITY):
            add_text(resource.wikidata, o["value"])
        if p in SHOWN_APART:
            continue
        prop = properties.setdefault(p, Property(p, value(row, "plabel")))
        item = shown_term(row, "o", "olabel")
        assert item is not None
        item.derived, item.editorial = flag(row, "derived"), flag(row, "editorial")
        if item.kind == "bnode":
            item = bnodes.setdefault(item.value, item)
            nested = shown_term(row, "bo")
            if nested is not None and row.get("bp"):
                bp = row["bp"]["value"]
                inner = next((q for q in item.nested if q.iri == bp), None)
                if inner is None:
                    inner = Property(bp, value(row, "bplabel"))
                    item.nested.append(inner)
                add_unique(inner.values, nested)
        add_unique(prop.values, item)
    labels = [r for r in rows if r["p"]["value"] == RDFS_LABEL]
    resource.label = english_first([{"o": r["o"]} for r in labels], "o")
    resource.properties = sorted(properties.values(), key=lambda q: (q.label or q.iri).lower())


def quote_of(row: Bindings, passage_key: str, source: Term | None = None) -> Quote:
    """A passage's quote and selectors from one solution (the passage IRI under ``passage_key``)."""
    return Quote(
        row[passage_key]["value"],
        row["exact"]["value"],
        value(row, "prefix") or "",
        value(row, "suffix") or "",
        value(row, "start"),
        value(row, "end"),
        source,
    )


def read_quotes(rows: list[Bindings]) -> list[Quote]:
    quotes: list[Quote] = []
    for row in rows:
        quote = quote_of(row, "s", shown_term(row, "source", "sourceLabel"))
        if quote not in quotes:
            quotes.append(quote)
    return quotes


def read_claims(rows: list[Bindings]) -> list[ClaimView]:
    claims: dict[str, ClaimView] = {}
    for row in rows:
        iri = row["claim"]["value"]
        claim = claims.setdefault(iri, ClaimView(iri, value(row, "claimLabel"), value(row, "paraphrase")))
        role = shown_term(row, "role", "roleLabel")
        if role is not None and role.value != PREFIXES["rdf"] + "type":
            add_unique(claim.roles, role)
        if not row.get("asc"):
            continue
        asc_iri = row["asc"]["value"]
        ascription = next((a for a in claim.ascriptions if a.iri == asc_iri), None)
        if ascription is None:
            ascription = AscriptionView(asc_iri, value(row, "ascLabel"), shown_term(row, "stance", "stanceLabel"))
            claim.ascriptions.append(ascription)
        add_unique(ascription.reporters, shown_term(row, "reporter", "reporterLabel"))
        add_unique(ascription.holders, shown_term(row, "holder", "holderLabel"))
        add_unique(ascription.sources, shown_term(row, "source", "sourceLabel"))
        if row.get("passage") and row.get("exact"):
            quote = quote_of(row, "passage")
            if all(q.passage != quote.passage for q in ascription.quotes):
                ascription.quotes.append(quote)
    for claim in claims.values():
        for ascription in claim.ascriptions:
            ascription.quotes.sort(key=lambda q: int(q.start) if q.start and q.start.isdigit() else 0)
    return sorted(claims.values(), key=lambda c: (c.label or c.iri).lower())


def flag(row: Bindings, name: str) -> bool:
    """A boolean cell of a solution (``EXISTS`` bound to a variable)."""
    cell = row.get(name)
    return cell is not None and cell["value"] in ("true", "1")


def read_inverse(rows: list[Bindings]) -> list[Property]:
    properties: dict[str, Property] = {}
    for row in rows:
        p = row["p"]["value"]
        prop = properties.setdefault(p, Property(p, value(row, "plabel")))
        item = shown_term(row, "subject", "slabel")
        if item is not None:
            item.derived, item.editorial = flag(row, "derived"), flag(row, "editorial")
        add_unique(prop.values, item)
    for prop in properties.values():
        prop.values.sort(key=lambda t: t.text.lower())
    return sorted(properties.values(), key=lambda q: (q.label or q.iri).lower())


@dataclass
class Listing:
    """One page of a kind's entities, in IRI order, with the slugs that open the pages beside it."""

    namespace: str
    entries: list[tuple[Term, Term | None]]
    total: int = 0
    next_after: str | None = None
    """The last slug of this page, when entities follow it."""
    previous_before: str | None = None
    """The first slug of this page, when entities come before it."""


async def list_namespace(
    engine: Engine, namespace: str, after: str | None = None, before: str | None = None
) -> Listing:
    """A page of the typed entities whose IRIs start with ``namespace`` (one ``/id/{kind}/``): the first, the
    one after the slug ``after``, or the one before the slug ``before``."""
    backwards = before is not None
    start = namespace + (before if before is not None else after or "")
    rows = await select(
        engine, listing_query(backwards), {"namespace": ox.Literal(namespace), "from": ox.Literal(start)}
    )
    more = len(rows) > LISTING_PAGE
    rows = rows[:LISTING_PAGE]
    if backwards:
        rows.reverse()
    entries: list[tuple[Term, Term | None]] = []
    for row in rows:
        entity = shown_term(row, "s", "label")
        if entity is not None:
            entries.append((entity, shown_term(row, "type", "typeLabel")))
    slugs = [row["s"]["value"][len(namespace) :] for row in rows]
    listing = Listing(namespace, entries)
    if slugs:
        listing.next_after = slugs[-1] if (more and not backwards) or (backwards and before is not None) else None
        listing.previous_before = slugs[0] if (more and backwards) or (not backwards and after) else None
    return listing


async def count_kinds(engine: Engine, kinds: list[str]) -> dict[str, int]:
    """How many typed entities each ``/id/{kind}/`` namespace holds."""
    counts: dict[str, int] = {}
    for kind in kinds:
        rows = await select(engine, KINDS, {"s": ox.Literal(ID + kind + "/")})
        counts[kind] = int(rows[0]["count"]["value"]) if rows and rows[0].get("count") else 0
    return counts
