"""The questions an entity page answers without SPARQL, gathered through the engine.

- an actor: its positions grouped by the reporter's stance and by discourse; the discourses it is
  a proponent or a critic of, with the reason for each (:mod:`.reasons`);
- a case, a place, a concept, an actor: what each source claims about it, side by side
  (:func:`claims_by_source`, also the comparison page's, :mod:`.compare`);
- a discourse: its profile (who is secured, how, from whom, human rights), its proponents and
  critics with the reason for each, the cases that show its success or failure;
- a concept: the concepts and discourses it is related to, sourced or editorial;
- a claim: the argument links it takes part in, sourced or editorial.

Editorial statements (``sdkg:EditorialLink``, ``sdkg:EditorialAlignment``, in the editorial graph)
are gathered with a flag and shown as editorial wherever they appear. Every query binds the
entity as a term (``VALUES``), runs on the served engine within its limits, and is the server's
own (a malformed one is a 500, :func:`.finish.respond_page`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import SDKG
from ..sparql.engine import Bindings, Engine, select
from .describe import PREFIX_HEADER, Quote, Term, flag, quote_of, shown_term, value
from .reasons import CRITIC_OF, PROPONENT_OF, Reason, Reasons, Restating, reasons_about, restating_rules

STANCE_ORDER = {SDKG + "Endorses": 0, SDKG + "ReportsNeutrally": 1, SDKG + "Rejects": 2}

CLAIM_CARD = """    ?asc sdkg:ascribes ?claim ;
        sdkg:inSource ?source ;
        sdkg:stance ?stance ;
        sdkg:heldBy ?holder ;
        sdkg:reportedBy ?reporter ;
        sdkg:restsOn ?passage .
    ?stance rdfs:label ?stanceLabel .
    ?holder rdfs:label ?holderLabel .
    ?reporter rdfs:label ?reporterLabel .
    ?passage oa:hasSelector ?quote .
    ?quote oa:exact ?exact .
    OPTIONAL { ?claim sdkg:paraphrase ?paraphrase }
    OPTIONAL { ?source rdfs:label ?sourceLabel }
    OPTIONAL { ?quote oa:prefix ?prefix }
    OPTIONAL { ?quote oa:suffix ?suffix }
    OPTIONAL { ?passage oa:hasSelector ?position . ?position oa:start ?start ; oa:end ?end }
"""
"""The pattern of a claim card: each ascription of ``?claim`` with its stance, holder, reporter, source and
the quote it rests on (exact text, context, offsets), labelled; joined into the queries below."""

# Claims related to an entity, with every ascription and its passages. The relation says how:
# about a case, mentioning an actor, using a concept, held by an actor, given as a reason for
# (the entity is the premise of a link), or about a case located in or involving the entity.
# Every ascription rests on passages with one quote (the shapes say so), so they are joined; the
# joins come before the OPTIONALs and the BIND last: Oxigraph 0.5 plans a BIND or an OPTIONAL as a
# barrier, and what follows it is then matched over the whole store (300 ms instead of 20).
CLAIMS_ABOUT = (
    PREFIX_HEADER
    + """SELECT ?claim ?relation ?via ?viaLabel ?link ?editorial ?claimLabel ?paraphrase ?asc ?source ?sourceLabel
       ?stance ?stanceLabel ?holder ?holderLabel ?reporter ?reporterLabel ?passage ?exact ?prefix ?suffix ?start ?end
WHERE {
    {
        { ?claim sdkg:aboutCase ?e . BIND("about" AS ?relation) }
        UNION { ?claim sdkg:mentionsActor ?e . BIND("mentions" AS ?relation) }
        UNION { ?claim sdkg:usesConcept ?e . BIND("uses the concept" AS ?relation) }
        UNION { ?held sdkg:heldBy ?e ; sdkg:ascribes ?claim . BIND("its position" AS ?relation) }
        UNION { ?link sdkg:premise ?e ; sdkg:conclusion ?claim . BIND("argued from" AS ?relation) }
        UNION {
            ?via sdkg:location ?e . ?claim sdkg:aboutCase ?via .
            BIND("about a case there" AS ?relation)
            OPTIONAL { ?via rdfs:label ?viaLabel }
        }
        UNION {
            ?via sdkg:involves ?e . ?claim sdkg:aboutCase ?via .
            BIND("about a case it is part of" AS ?relation)
            OPTIONAL { ?via rdfs:label ?viaLabel }
        }
    }
    ?claim rdfs:label ?claimLabel .
"""
    + CLAIM_CARD
    + """    BIND(IF(BOUND(?link), EXISTS { ?link a sdkg:EditorialLink }, false) AS ?editorial)
} LIMIT 20000"""
)

# The sources in which something is ascribed, with their short names (the authors), for column heads.
SOURCES = (
    PREFIX_HEADER
    + """SELECT ?source (SAMPLE(?label_) AS ?label) (COUNT(DISTINCT ?asc) AS ?n) WHERE {
    ?asc sdkg:inSource ?source .
    OPTIONAL { ?source rdfs:label ?label_ }
} GROUP BY ?source ORDER BY DESC(?n) ?source"""
)

SOURCE_AUTHORS = (
    PREFIX_HEADER
    + """SELECT ?source ?role ?authorLabel WHERE {
    VALUES ?role { sdkg:author sdkg:interviewee }
    ?source ?role ?author . ?author rdfs:label ?authorLabel .
}"""
)

# The editorial links: few, written by hand; a page keeps those that touch its claims.
EDITORIAL_LINKS = (
    PREFIX_HEADER
    + """SELECT ?link ?linkLabel ?type ?premise ?premiseLabel ?conclusion ?conclusionLabel ?note WHERE {
    ?link a sdkg:EditorialLink ;
        sdkg:premise ?premise ;
        sdkg:conclusion ?conclusion .
    OPTIONAL { ?link rdfs:label ?linkLabel }
    OPTIONAL { ?link a ?type . FILTER(?type IN (sdkg:Support, sdkg:Attack)) }
    OPTIONAL { ?premise rdfs:label ?premiseLabel }
    OPTIONAL { ?conclusion rdfs:label ?conclusionLabel }
    OPTIONAL { ?link skos:editorialNote ?note }
} LIMIT 2000"""
)

# An actor's own positions: every claim it holds, with the reporter's stance and the discourses.
POSITIONS = (
    PREFIX_HEADER
    + """SELECT ?claim ?claimLabel ?asc ?stance ?stanceLabel ?reporter ?reporterLabel ?source ?sourceLabel
       ?relation ?discourse ?discourseLabel WHERE {
    ?asc sdkg:heldBy ?e ;
        sdkg:ascribes ?claim ;
        sdkg:stance ?stance ;
        sdkg:reportedBy ?reporter ;
        sdkg:inSource ?source .
    ?claim rdfs:label ?claimLabel .
    ?stance rdfs:label ?stanceLabel .
    ?reporter rdfs:label ?reporterLabel .
    OPTIONAL { ?source rdfs:label ?sourceLabel }
    OPTIONAL {
        { ?claim sdkg:expressesDiscourse ?discourse . BIND("expresses" AS ?relation) }
        UNION { ?claim sdkg:criticisesDiscourse ?discourse . BIND("criticises" AS ?relation) }
        ?discourse rdfs:label ?discourseLabel .
    }
} LIMIT 20000"""
)

# A discourse's profile: for each question, the concept that answers it (ASPECTS), and the claims that
# state it with their ascriptions and passages (PROFILE_CLAIMS, joined, not OPTIONAL: see CLAIMS_ABOUT).
ASPECTS = (
    PREFIX_HEADER
    + """SELECT ?aspect ?aspectLabel ?order ?answer ?answerLabel WHERE {
    VALUES (?aspect ?property ?order) {
        (sdkg:WhoIsSecured sdkg:referentObject 1)
        (sdkg:HowSecurityIsAchieved sdkg:meansOfSecurity 2)
        (sdkg:FromWhomSecurityIsNeeded sdkg:sourceOfThreat 3)
        (sdkg:PlaceOfHumanRights sdkg:humanRightsPosition 4)
    }
    OPTIONAL { ?aspect rdfs:label ?aspectLabel }
    OPTIONAL { ?e ?property ?answer . OPTIONAL { ?answer rdfs:label ?answerLabel } }
} ORDER BY ?order"""
)

PROFILE_CLAIMS = (
    PREFIX_HEADER
    + """SELECT ?aspect ?claim ?claimLabel ?paraphrase ?asc ?stance ?stanceLabel ?holder ?holderLabel ?reporter
       ?reporterLabel ?source ?sourceLabel ?passage ?exact ?prefix ?suffix ?start ?end WHERE {
    ?claim sdkg:characterises ?e ;
        sdkg:profileAspect ?aspect ;
        rdfs:label ?claimLabel .
"""
    + CLAIM_CARD
    + """} LIMIT 20000"""
)

# Links that show a discourse's success or failure, with their premise (a case or a claim).
SHOWS = (
    PREFIX_HEADER
    + """SELECT ?link ?linkLabel ?shows ?discourse ?discourseLabel ?premise ?premiseLabel ?case ?caseLabel ?editorial
       ?linkSource ?linkSourceLabel ?assertedBy ?assertedByLabel ?note WHERE {
    {
        { ?link sdkg:showsFailureOf ?discourse . BIND("failure" AS ?shows) }
        UNION { ?link sdkg:showsSuccessOf ?discourse . BIND("success" AS ?shows) }
    }
    ?link sdkg:premise ?premise .
    {
        { ?link sdkg:showsFailureOf|sdkg:showsSuccessOf ?e }
        UNION { ?link sdkg:premise ?e }
        UNION { ?premise sdkg:aboutCase ?e }
    }
    OPTIONAL { ?link rdfs:label ?linkLabel }
    OPTIONAL { ?discourse rdfs:label ?discourseLabel }
    OPTIONAL { ?premise rdfs:label ?premiseLabel }
    OPTIONAL { ?premise sdkg:aboutCase ?case . ?case rdfs:label ?caseLabel }
    OPTIONAL { ?link sdkg:linkSource ?linkSource . OPTIONAL { ?linkSource rdfs:label ?linkSourceLabel } }
    OPTIONAL { ?link sdkg:assertedBy ?assertedBy . ?assertedBy rdfs:label ?assertedByLabel }
    OPTIONAL { ?link skos:editorialNote ?note }
    BIND(EXISTS { ?link a sdkg:EditorialLink } AS ?editorial)
} LIMIT 2000"""
)

# The argument links a claim takes part in, either end, sourced or editorial.
CLAIM_LINKS = (
    PREFIX_HEADER
    + """SELECT ?link ?linkLabel ?type ?role ?other ?otherLabel ?editorial ?linkSource ?linkSourceLabel
       ?assertedBy ?assertedByLabel ?note ?passage ?exact WHERE {
    { ?link sdkg:premise ?e ; sdkg:conclusion ?other . BIND("premise" AS ?role) }
    UNION { ?link sdkg:conclusion ?e ; sdkg:premise ?other . BIND("conclusion" AS ?role) }
    OPTIONAL { ?link a ?type . FILTER(?type IN (sdkg:Support, sdkg:Attack)) }
    OPTIONAL { ?link rdfs:label ?linkLabel }
    OPTIONAL { ?other rdfs:label ?otherLabel }
    OPTIONAL { ?link sdkg:linkSource ?linkSource . OPTIONAL { ?linkSource rdfs:label ?linkSourceLabel } }
    OPTIONAL { ?link sdkg:assertedBy ?assertedBy . ?assertedBy rdfs:label ?assertedByLabel }
    OPTIONAL { ?link skos:editorialNote ?note }
    OPTIONAL { ?link sdkg:restsOn ?passage . OPTIONAL { ?passage oa:hasSelector/oa:exact ?exact } }
    BIND(EXISTS { ?link a sdkg:EditorialLink } AS ?editorial)
} LIMIT 2000"""
)

# A concept's neighbours: contrasted concepts, the discourses a source or the editors relate it to.
CONCEPT_RELATIONS = (
    PREFIX_HEADER
    + """SELECT ?relation ?other ?otherLabel ?alignment ?alignmentLabel ?editorial ?linkSource ?linkSourceLabel ?note
WHERE {
    {
        { ?e sdkg:contrastsWith ?other } UNION { ?other sdkg:contrastsWith ?e }
        BIND("contrasts with" AS ?relation)
    }
    UNION {
        ?alignment sdkg:alignedConcept ?e ; sdkg:alignedDiscourse ?other .
        BIND("aligned with" AS ?relation)
        OPTIONAL { ?alignment rdfs:label ?alignmentLabel }
        OPTIONAL { ?alignment sdkg:linkSource ?linkSource . OPTIONAL { ?linkSource rdfs:label ?linkSourceLabel } }
        OPTIONAL { ?alignment skos:editorialNote ?note }
        BIND(EXISTS { ?alignment a sdkg:EditorialAlignment } AS ?editorial)
    }
    UNION {
        ?alignment sdkg:alignedDiscourse ?e ; sdkg:alignedConcept ?other .
        BIND("aligned with" AS ?relation)
        OPTIONAL { ?alignment rdfs:label ?alignmentLabel }
        OPTIONAL { ?alignment sdkg:linkSource ?linkSource . OPTIONAL { ?linkSource rdfs:label ?linkSourceLabel } }
        OPTIONAL { ?alignment skos:editorialNote ?note }
        BIND(EXISTS { ?alignment a sdkg:EditorialAlignment } AS ?editorial)
    }
    OPTIONAL { ?other rdfs:label ?otherLabel }
} LIMIT 2000"""
)

EDITORIAL_SELF = (
    PREFIX_HEADER
    + """SELECT ?type ?typeLabel ?note ?assertedBy ?assertedByLabel WHERE {
    ?e a ?type .
    ?type rdfs:subClassOf* sdkg:EditorialStatement .
    OPTIONAL { ?type rdfs:label ?typeLabel }
    OPTIONAL { ?e skos:editorialNote ?note }
    OPTIONAL { ?e sdkg:assertedBy ?assertedBy . ?assertedBy rdfs:label ?assertedByLabel }
}"""
)


# ----------------------------------------------------------------------------- what the pages show


@dataclass
class AscriptionCard:
    """One ascription of a claim as a card shows it: who holds it, who reports it, the stance, the passages."""

    iri: str
    source: Term | None
    stance: Term | None
    holder: Term | None
    reporter: Term | None
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class ClaimCard:
    """A claim on a page: label, paraphrase, how it relates to the page's entity, its ascriptions."""

    iri: str
    label: str
    paraphrase: str | None = None
    relations: list[str] = field(default_factory=list)
    editorial_relation: bool = False
    """It is related to the entity only through an editorial link."""
    ascriptions: list[AscriptionCard] = field(default_factory=list)

    def in_source(self, source: str) -> ClaimCard:
        """This claim with only the ascriptions made in ``source``."""
        return ClaimCard(
            self.iri,
            self.label,
            self.paraphrase,
            self.relations,
            self.editorial_relation,
            [a for a in self.ascriptions if a.source is not None and a.source.value == source],
        )


@dataclass
class EditorialLinkView:
    iri: str
    label: str | None
    relation: str  # "supports" or "attacks"
    premise: Term
    conclusion: Term
    note: str | None


@dataclass
class SourceColumn:
    """One source's side of a comparison: its claims about the entity."""

    source: Term
    authors: str
    claims: list[ClaimCard] = field(default_factory=list)


@dataclass
class Comparison:
    entity: str
    columns: list[SourceColumn]
    editorial_links: list[EditorialLinkView]

    @property
    def total(self) -> int:
        return sum(len(c.claims) for c in self.columns)


async def sources(engine: Engine) -> list[tuple[Term, str]]:
    """The sources in which claims are ascribed, most ascriptions first, each with who speaks in it:
    "Tim Dunne and Nicholas J. Wheeler", "Mary Kaldor, interviewed by George Morris and James Stafford"."""
    rows = await select(engine, SOURCES)
    people: dict[tuple[str, str], list[str]] = {}
    for row in await select(engine, SOURCE_AUTHORS):
        names = people.setdefault((row["source"]["value"], row["role"]["value"]), [])
        if row["authorLabel"]["value"] not in names:
            names.append(row["authorLabel"]["value"])
    found = []
    for row in rows:
        term = shown_term(row, "source", "label")
        if term is None:
            continue
        authors = names_of(people.get((term.value, SDKG + "author"), []))
        interviewee = names_of(people.get((term.value, SDKG + "interviewee"), []))
        found.append((term, f"{interviewee}, interviewed by {authors}" if interviewee else authors))
    return found


def names_of(names: list[str]) -> str:
    """Names by surname, joined with "and"."""
    ordered = sorted(names, key=lambda n: (n.split()[-1].lower(), n))
    return " and ".join(ordered) if len(ordered) < 3 else ", ".join(ordered[:-1]) + " and " + ordered[-1]


def read_claim_cards(rows: list[Bindings]) -> list[ClaimCard]:
    cards: dict[str, ClaimCard] = {}
    for row in rows:
        iri = row["claim"]["value"]
        card = cards.setdefault(iri, ClaimCard(iri, row["claimLabel"]["value"], value(row, "paraphrase")))
        relation = value(row, "relation")
        if relation:
            via = value(row, "viaLabel")
            text = f"{relation} ({via})" if via else relation
            if flag(row, "editorial"):
                text += ", editorial link"
            if text not in card.relations:
                card.relations.append(text)
        asc_iri = value(row, "asc")
        if not asc_iri:
            continue
        ascription = next((a for a in card.ascriptions if a.iri == asc_iri), None)
        if ascription is None:
            ascription = AscriptionCard(
                asc_iri,
                shown_term(row, "source", "sourceLabel"),
                shown_term(row, "stance", "stanceLabel"),
                shown_term(row, "holder", "holderLabel"),
                shown_term(row, "reporter", "reporterLabel"),
            )
            card.ascriptions.append(ascription)
        if row.get("passage") and row.get("exact"):
            quote = quote_of(row, "passage")
            if all(q.passage != quote.passage for q in ascription.quotes):
                ascription.quotes.append(quote)
    for card in cards.values():
        card.editorial_relation = bool(card.relations) and all(r.endswith("editorial link") for r in card.relations)
        for ascription in card.ascriptions:
            ascription.quotes.sort(key=lambda q: int(q.start) if q.start and q.start.isdigit() else 0)
        card.ascriptions.sort(key=lambda a: (a.source.text if a.source else "", first_offset(a)))
    return sorted(cards.values(), key=lambda c: (min((first_offset(a) for a in c.ascriptions), default=0), c.label))


def first_offset(ascription: AscriptionCard) -> int:
    starts = [int(q.start) for q in ascription.quotes if q.start and q.start.isdigit()]
    return min(starts, default=0)


async def editorial_links(engine: Engine) -> list[EditorialLinkView]:
    links: dict[str, EditorialLinkView] = {}
    for row in await select(engine, EDITORIAL_LINKS):
        iri = row["link"]["value"]
        if iri in links:
            continue
        premise = shown_term(row, "premise", "premiseLabel")
        conclusion = shown_term(row, "conclusion", "conclusionLabel")
        if premise is None or conclusion is None:
            continue
        kind = value(row, "type") or ""
        relation = "attacks" if kind.endswith("Attack") else "supports"
        links[iri] = EditorialLinkView(iri, value(row, "linkLabel"), relation, premise, conclusion, value(row, "note"))
    return list(links.values())


async def claims_by_source(engine: Engine, iri: str) -> Comparison:
    """What each source claims about the entity: one column per source, and the editorial links between them."""
    cards = read_claim_cards(await select(engine, CLAIMS_ABOUT, {"e": ox.NamedNode(iri)}))
    columns = []
    for source, authors in await sources(engine):
        in_source = [c.in_source(source.value) for c in cards]
        columns.append(SourceColumn(source, authors, [c for c in in_source if c.ascriptions]))
    shown = {c.iri for c in cards}
    links = [
        link
        for link in await editorial_links(engine)
        if link.premise.value in shown or link.conclusion.value in shown or iri in (link.premise.value,)
    ]
    return Comparison(iri, columns, links)


# ----------------------------------------------------------------------------- an actor


@dataclass
class PositionGroup:
    """Claims an actor holds, under one discourse relation ("expresses realist discourse", or none)."""

    heading: str
    discourse: Term | None
    claims: list[tuple[Term, Term | None, Term | None]] = field(default_factory=list)
    """(claim, reporter, source)."""


@dataclass
class StanceGroup:
    stance: Term
    groups: list[PositionGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len({c.value for g in self.groups for c, _, _ in g.claims})


@dataclass
class DiscourseRelation:
    """A derived relation to a discourse (proponent of, critic of) with its reasons."""

    property: str
    label: str
    other: Term
    reasons: list[Reason]


async def positions(engine: Engine, iri: str) -> list[StanceGroup]:
    """The claims an actor holds, by the reporter's stance, then by the discourse each expresses or criticises."""
    rows = await select(engine, POSITIONS, {"e": ox.NamedNode(iri)})
    stances: dict[str, StanceGroup] = {}
    for row in rows:
        stance = shown_term(row, "stance", "stanceLabel")
        claim = shown_term(row, "claim", "claimLabel")
        if stance is None or claim is None:
            continue
        group = stances.setdefault(stance.value, StanceGroup(stance))
        discourse = shown_term(row, "discourse", "discourseLabel")
        relation = value(row, "relation")
        heading = f"{relation} the {discourse.text}" if discourse and relation else "expresses no discourse"
        target = next((g for g in group.groups if g.heading == heading), None)
        if target is None:
            target = PositionGroup(heading, discourse)
            group.groups.append(target)
        entry = (claim, shown_term(row, "reporter", "reporterLabel"), shown_term(row, "source", "sourceLabel"))
        if all(c.value != claim.value for c, _, _ in target.claims):
            target.claims.append(entry)
    for group in stances.values():
        group.groups.sort(key=lambda g: (g.discourse is None, g.heading))
        for g in group.groups:
            g.claims.sort(key=lambda c: c[0].text.lower())
    return sorted(stances.values(), key=lambda g: STANCE_ORDER.get(g.stance.value, 9))


def discourse_relations(reasons: Reasons, iri: str) -> list[DiscourseRelation]:
    """Proponent of and critic of, with their reasons, for the subject ``iri``."""
    found = []
    for (subject, prop, obj), why in reasons.by_triple.items():
        if subject == iri and prop in (PROPONENT_OF, CRITIC_OF):
            label = "proponent of" if prop == PROPONENT_OF else "critic of"
            found.append(DiscourseRelation(prop, label, reasons.term(obj), why))
    return sorted(found, key=lambda r: (r.property != PROPONENT_OF, r.other.text))


def adherents(reasons: Reasons, iri: str) -> dict[str, list[DiscourseRelation]]:
    """For the discourse ``iri``: its proponents and its critics, each with the reasons."""
    found: dict[str, list[DiscourseRelation]] = {"proponents": [], "critics": []}
    for (subject, prop, obj), why in reasons.by_triple.items():
        if obj == iri and prop in (PROPONENT_OF, CRITIC_OF):
            side = "proponents" if prop == PROPONENT_OF else "critics"
            label = "proponent of" if prop == PROPONENT_OF else "critic of"
            found[side].append(DiscourseRelation(prop, label, reasons.term(subject), why))
    for relations in found.values():
        relations.sort(key=lambda r: r.other.text.lower())
    return found


# ----------------------------------------------------------------------------- a discourse


@dataclass
class ProfileAspect:
    aspect: Term
    answers: list[Term] = field(default_factory=list)
    claims: list[ClaimCard] = field(default_factory=list)


async def discourse_profile(engine: Engine, iri: str) -> list[ProfileAspect]:
    """The discourse's answer to each profile question: the concepts that name it, the claims that state it."""
    node = {"e": ox.NamedNode(iri)}
    aspects: dict[str, ProfileAspect] = {}
    for row in await select(engine, ASPECTS, node):
        aspect = shown_term(row, "aspect", "aspectLabel")
        if aspect is None:
            continue
        found = aspects.setdefault(aspect.value, ProfileAspect(aspect))
        answer = shown_term(row, "answer", "answerLabel")
        if answer is not None and all(a.value != answer.value for a in found.answers):
            found.answers.append(answer)
    by_aspect: dict[str, list[Bindings]] = {}
    for row in await select(engine, PROFILE_CLAIMS, node):
        by_aspect.setdefault(row["aspect"]["value"], []).append(row)
    for key, rows in by_aspect.items():
        if key in aspects:
            aspects[key].claims = read_claim_cards(rows)
    return list(aspects.values())


@dataclass
class ShowsLink:
    iri: str
    label: str | None
    shows: str  # "success" or "failure"
    discourse: Term | None
    premise: Term | None
    case: Term | None
    editorial: bool
    source: Term | None
    asserted_by: Term | None
    note: str | None


async def shows(engine: Engine, iri: str) -> list[ShowsLink]:
    """Links that show the success or failure of a discourse, about the entity (a discourse, a case, a claim)."""
    found: dict[str, ShowsLink] = {}
    for row in await select(engine, SHOWS, {"e": ox.NamedNode(iri)}):
        link = row["link"]["value"]
        if link in found:
            continue
        found[link] = ShowsLink(
            link,
            value(row, "linkLabel"),
            value(row, "shows") or "",
            shown_term(row, "discourse", "discourseLabel"),
            shown_term(row, "premise", "premiseLabel"),
            shown_term(row, "case", "caseLabel"),
            flag(row, "editorial"),
            shown_term(row, "linkSource", "linkSourceLabel"),
            shown_term(row, "assertedBy", "assertedByLabel"),
            value(row, "note"),
        )
    return sorted(found.values(), key=lambda s: (s.shows, s.discourse.text if s.discourse else "", s.label or ""))


# ----------------------------------------------------------------------------- a claim, a concept


@dataclass
class LinkView:
    """An argument link seen from one of its ends."""

    iri: str
    label: str | None
    relation: str  # "supports" or "attacks"
    role: str  # the page's claim is the "premise" or the "conclusion"
    other: Term | None
    editorial: bool
    source: Term | None
    asserted_by: Term | None
    note: str | None
    passages: list[tuple[str, str]] = field(default_factory=list)


async def claim_links(engine: Engine, iri: str) -> list[LinkView]:
    found: dict[str, LinkView] = {}
    for row in await select(engine, CLAIM_LINKS, {"e": ox.NamedNode(iri)}):
        link = row["link"]["value"]
        view = found.get(link)
        if view is None:
            kind = value(row, "type") or ""
            view = LinkView(
                link,
                value(row, "linkLabel"),
                "attacks" if kind.endswith("Attack") else "supports",
                value(row, "role") or "",
                shown_term(row, "other", "otherLabel"),
                flag(row, "editorial"),
                shown_term(row, "linkSource", "linkSourceLabel"),
                shown_term(row, "assertedBy", "assertedByLabel"),
                value(row, "note"),
            )
            found[link] = view
        passage, exact = value(row, "passage"), value(row, "exact")
        if passage and exact and all(p != passage for p, _ in view.passages):
            view.passages.append((passage, exact))
    return sorted(found.values(), key=lambda v: (v.role, v.editorial, v.other.text if v.other else ""))


@dataclass
class Neighbour:
    relation: str
    other: Term
    alignment: Term | None = None
    editorial: bool = False
    source: Term | None = None
    note: str | None = None


async def concept_relations(engine: Engine, iri: str) -> list[Neighbour]:
    found: list[Neighbour] = []
    for row in await select(engine, CONCEPT_RELATIONS, {"e": ox.NamedNode(iri)}):
        other = shown_term(row, "other", "otherLabel")
        if other is None:
            continue
        neighbour = Neighbour(
            value(row, "relation") or "",
            other,
            shown_term(row, "alignment", "alignmentLabel"),
            flag(row, "editorial"),
            shown_term(row, "linkSource", "linkSourceLabel"),
            value(row, "note"),
        )
        if all(
            (n.relation, n.other.value, n.alignment) != (neighbour.relation, other.value, neighbour.alignment)
            for n in found
        ):
            found.append(neighbour)
    return sorted(found, key=lambda n: (n.relation, n.editorial, n.other.text.lower()))


@dataclass
class EditorialSelf:
    """The entity is itself an editorial statement: made by the SDKG editors, not by either text."""

    kind: Term
    note: str | None
    asserted_by: Term | None


async def editorial_self(engine: Engine, iri: str) -> EditorialSelf | None:
    rows = await select(engine, EDITORIAL_SELF, {"e": ox.NamedNode(iri)})
    specific = [r for r in rows if not r["type"]["value"].endswith("#EditorialStatement")] or rows
    if not specific:
        return None
    row = specific[0]
    kind = shown_term(row, "type", "typeLabel")
    assert kind is not None
    return EditorialSelf(kind, value(row, "note"), shown_term(row, "assertedBy", "assertedByLabel"))


# ----------------------------------------------------------------------------- a page's profile


@dataclass
class Profile:
    """What an entity page shows above its statements, by the entity's kind."""

    kind: str
    reasons: Reasons = field(default_factory=Reasons)
    restating: dict[str, Restating] = field(default_factory=dict)
    comparison: Comparison | None = None
    positions: list[StanceGroup] = field(default_factory=list)
    discourses: list[DiscourseRelation] = field(default_factory=list)
    adherents: dict[str, list[DiscourseRelation]] = field(default_factory=dict)
    aspects: list[ProfileAspect] = field(default_factory=list)
    shows: list[ShowsLink] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)
    neighbours: list[Neighbour] = field(default_factory=list)
    editorial: EditorialSelf | None = None

    def why(self, subject: str, prop: str, obj: str) -> list[Reason]:
        """The reasons for a derived triple (none when it was derived by a restating rule)."""
        return self.reasons.get((subject, prop, obj))


COMPARED_KINDS = ("case", "concept", "place")
"""Kinds whose page shows what each source says about them, side by side (an actor's page links to it)."""


async def profile_of(engine: Engine, kind: str, iri: str) -> Profile:
    """Everything the page of the entity ``iri`` (of the ``/id/{kind}/`` namespace) shows above its statements."""
    profile = Profile(kind, await reasons_about(engine, iri), await restating_rules(engine))
    profile.editorial = await editorial_self(engine, iri)
    if kind in COMPARED_KINDS:
        profile.comparison = await claims_by_source(engine, iri)
    if kind in ("case", "discourse", "claim"):
        profile.shows = await shows(engine, iri)
    if kind == "actor":
        profile.positions = await positions(engine, iri)
        profile.discourses = discourse_relations(profile.reasons, iri)
    elif kind == "discourse":
        profile.aspects = await discourse_profile(engine, iri)
        profile.adherents = adherents(profile.reasons, iri)
        profile.neighbours = await concept_relations(engine, iri)
    elif kind == "concept":
        profile.neighbours = await concept_relations(engine, iri)
    elif kind == "claim":
        profile.links = await claim_links(engine, iri)
    return profile
