"""Why a derived relation holds, for the pages: the explanation nodes the rules wrote, read back.

Every triple the rules derive (``ontology/rules/``) has one ``sdkg:Explanation`` per way it was
derived: the rule, the one source it rests on, the ascriptions, links and alignments it uses and
their passages (``queries/why.rq`` reads the same nodes). A page shows the reason next to the
relation: "critic of: pluralist discourse — because Dunne and Wheeler assert: … (passage …)".

Only the rules that say something about the texts are read per value (who is a proponent or a
critic of a discourse, who endorses or rejects a claim, which premise supports or attacks a
claim, which concept a source relates to a discourse). The rules that restate an asserted
triple (an inverse, a symmetric property, a property chain) are named once per property, from
the ontology's ``sdkg:derivedBy`` (:func:`restating_rules`), so a page with hundreds of such
values stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import SDKG
from ..sparql.engine import Bindings, Engine, select
from .describe import PREFIX_HEADER, Term, shown_term, value

EXPLAINED_RULES = (
    "CriticOfRule",
    "ProponentOfRule",
    "EndorsesClaimRule",
    "RejectsClaimRule",
    "SupportsRule",
    "AttacksRule",
    "RelatedDiscourseRule",
)
"""The rules whose every derived value gets its reason on a page."""

REASONS = (
    PREFIX_HEADER
    + "SELECT ?explanation ?subject ?subjectLabel ?property ?object ?objectLabel ?rule ?ruleLabel ?source"
    + " ?sourceLabel ?ground ?groundLabel ?groundKind ?passage ?exact WHERE {\n"
    + "    VALUES ?rule { "
    + " ".join(f"sdkg:{rule}" for rule in EXPLAINED_RULES)
    + """ }
    { ?explanation sdkg:explainsSubject ?s } UNION { ?explanation sdkg:explainsObject ?s }
    ?explanation sdkg:byRule ?rule ;
        sdkg:explainsSubject ?subject ;
        sdkg:explainsProperty ?property ;
        sdkg:explainsObject ?object .
    OPTIONAL { ?rule rdfs:label ?ruleLabel }
    OPTIONAL { ?subject rdfs:label ?subjectLabel }
    OPTIONAL { ?object rdfs:label ?objectLabel }
    OPTIONAL { ?explanation sdkg:withinSource ?source . OPTIONAL { ?source rdfs:label ?sourceLabel } }
    OPTIONAL {
        { ?explanation sdkg:fromAscription ?ground . BIND("ascription" AS ?groundKind) }
        UNION { ?explanation sdkg:fromLink ?ground . BIND("link" AS ?groundKind) }
        UNION { ?explanation sdkg:fromAlignment ?ground . BIND("alignment" AS ?groundKind) }
        OPTIONAL { ?ground rdfs:label ?groundLabel }
    }
    OPTIONAL { ?explanation sdkg:restsOn ?passage . OPTIONAL { ?passage oa:hasSelector/oa:exact ?exact } }
} LIMIT 20000"""
)

RESTATING = (
    PREFIX_HEADER
    + """SELECT ?property ?rule ?ruleLabel ?asserted ?assertedLabel WHERE {
    ?property sdkg:derivedBy ?rule .
    VALUES ?rule { sdkg:InversePropertiesRule sdkg:SymmetricPropertiesRule sdkg:PropertyChainsRule }
    OPTIONAL { ?rule rdfs:label ?ruleLabel }
    OPTIONAL {
        { ?property owl:inverseOf ?asserted } UNION { ?asserted owl:inverseOf ?property }
        OPTIONAL { ?asserted rdfs:label ?assertedLabel }
    }
}"""
)


@dataclass
class Ground:
    """What a derivation rests on: an ascription (who holds or reports which claim), a link or an alignment."""

    iri: str
    label: str | None
    kind: str


@dataclass
class Passage:
    iri: str
    exact: str | None


@dataclass
class Reason:
    """One way a derived triple was derived."""

    explanation: str
    rule: Term | None
    source: Term | None
    grounds: list[Ground] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


Key = tuple[str, str, str]
"""A derived triple: (subject IRI, property IRI, object IRI)."""


@dataclass
class Restating:
    """How a restating rule derives a property's values: the rule and the asserted property it turns round."""

    rule: Term
    asserted: Term | None = None


@dataclass
class Reasons:
    """The reasons for derived triples, by triple, and the labels of their subjects and objects."""

    by_triple: dict[Key, list[Reason]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def get(self, key: Key) -> list[Reason]:
        return self.by_triple.get(key, [])

    def term(self, iri: str) -> Term:
        return Term("uri", iri, self.labels.get(iri))


async def reasons_about(engine: Engine, iri: str) -> Reasons:
    """The reasons for every explained derived triple with ``iri`` as its subject or object."""
    rows = await select(engine, REASONS, {"s": ox.NamedNode(iri)})
    return read_reasons(rows)


def read_reasons(rows: list[Bindings]) -> Reasons:
    found: dict[Key, dict[str, Reason]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        for name in ("subject", "object"):
            label = value(row, name + "Label")
            if label:
                labels[row[name]["value"]] = label
        key = (row["subject"]["value"], row["property"]["value"], row["object"]["value"])
        name = row["explanation"]["value"]
        reason = found.setdefault(key, {}).get(name)
        if reason is None:
            reason = Reason(name, shown_term(row, "rule", "ruleLabel"), shown_term(row, "source", "sourceLabel"))
            found[key][name] = reason
        ground = value(row, "ground")
        if ground and all(g.iri != ground for g in reason.grounds):
            reason.grounds.append(Ground(ground, value(row, "groundLabel"), value(row, "groundKind") or ""))
        passage = value(row, "passage")
        if passage and all(p.iri != passage for p in reason.passages):
            reason.passages.append(Passage(passage, value(row, "exact")))
    for reasons in found.values():
        for reason in reasons.values():
            reason.grounds.sort(key=lambda g: (g.kind, g.label or g.iri))
            reason.passages.sort(key=lambda p: passage_order(p.iri))
    return Reasons({key: sorted(reasons.values(), key=reason_order) for key, reasons in found.items()}, labels)


def passage_order(iri: str) -> tuple[str, int]:
    """Passages in text order: ``passage/dw-12692-12935`` by source code, then start offset."""
    name = iri.rsplit("/", 1)[-1]
    parts = name.split("-")
    start = int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else 0
    return parts[0], start


def reason_order(reason: Reason) -> tuple[str, str]:
    return (reason.source.text if reason.source else "", reason.grounds[0].label or "" if reason.grounds else "")


async def restating_rules(engine: Engine) -> dict[str, Restating]:
    """For each property derived by a restating rule (inverse, symmetric, chain): the rule and what it restates."""
    rows = await select(engine, RESTATING)
    rules: dict[str, Restating] = {}
    for row in rows:
        rule = shown_term(row, "rule", "ruleLabel")
        if rule is None:
            continue
        found = rules.setdefault(row["property"]["value"], Restating(rule))
        if found.asserted is None:
            found.asserted = shown_term(row, "asserted", "assertedLabel")
    return rules


PROPONENT_OF = SDKG + "proponentOf"
CRITIC_OF = SDKG + "criticOf"
