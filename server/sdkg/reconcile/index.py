"""The reconciliation index: every reconcilable entity of a build, its names, types and values, in memory.

It is made from the answers to :data:`QUERIES` (:func:`build_index`), once per served build, and
then answers a query without touching the store, so a batch of fifty names costs milliseconds.

**Names.** An entity is found by its label (``rdfs:label``) and its alternative labels
(``skos:altLabel``), compared *normalised* (:func:`normalise`): accents and case removed, every run
of punctuation or space made one space, a leading "the" dropped (``E.H. Carr`` = ``E. H. Carr``,
``Ghassan Salame`` = ``Ghassan Salamé``, ``the Pentagon`` = ``Pentagon``).

**Scores** (0-100; docs/reconciliation.md has the same in prose, with examples):

- the normalised query equals the label: 100; an alternative label: 98;
- otherwise 90 × the best similarity to any of its names, the larger of the Dice coefficient of
  their character trigrams and the share of words they have in common (Jaccard); names below
  :data:`MIN_SIMILARITY` are not candidates;
- each property constraint the entity meets adds 5 (at most 100), each it contradicts (it has
  values for the property, none of them the one asked) takes 20 away; one it has no value for
  changes nothing;
- a type constraint filters (``type_strict`` ``any``, the default, or ``all``) or, with ``should``,
  takes 10 away from entities of none of the types.

**match** is true only when the query names the entity exactly (label or alternative label,
normalised), no other candidate left by the type constraint has that exact name, and no property
constraint contradicts it: an ambiguous name ("Bush") or a misspelling ("Mary Kaldorr") is never
a match, however high its score. A query without text but with properties finds the entities that
meet all of them; it is a match when exactly one does.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..namespaces import ID, NOT_LINKABLE, SDKG, WIKIDATA_ENTITY

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TOPS = ("Actor", "Case", "Concept", "Place", "Discourse", "Source")
"""The classes whose instances can be reconciled (with their subclasses)."""
MIN_SIMILARITY = 0.35
"""Names less similar than this to the query (trigram Dice and word Jaccard both) are not candidates."""
EXACT_LABEL, EXACT_ALTERNATIVE, FUZZY = 100.0, 98.0, 90.0
PROPERTY_MET, PROPERTY_CONTRADICTED, TYPE_MISSED = 5.0, 20.0, 10.0
DEFAULT_LIMIT = 5
MAX_LIMIT = 100


@dataclass(frozen=True)
class Property:
    """A property a query may constrain and a data extension may fetch."""

    id: str
    name: str
    description: str
    predicate: str
    kind: str  # "entity" (an SDKG entity), "str", "qid" (a Wikidata item, as its QID) or "int"
    applies_to: tuple[str, ...] = TOPS


PROPERTIES: list[Property] = [
    Property("type", "type", "The entity's kinds (classes of the SDKG ontology).", RDFS + "type", "type"),
    Property("altLabel", "alternative label", "Other names the sources use.", SKOS + "altLabel", "str"),
    Property("description", "definition", "The entity's definition in SDKG.", SKOS + "definition", "str"),
    Property(
        "wikidata", "Wikidata item (exact match)", "The QID of the Wikidata item that is the entity (exactMatch).",
        SKOS + "exactMatch", "qid",
    ),
    Property(
        "closeMatch", "Wikidata item (close match)", "A Wikidata item near the entity but not exactly it.",
        SKOS + "closeMatch", "qid",
    ),
    Property(
        "broadMatch", "Wikidata item (broader)", "The broader Wikidata item the entity is part of.",
        SKOS + "broadMatch", "qid",
    ),
    Property("mentionedIn", "mentioned in", "The sources that name the entity.", SDKG + "mentionedIn", "entity"),
    Property(
        "proponentOf", "proponent of", "Discourses the actor is a proponent of (derived, explained).",
        SDKG + "proponentOf", "entity", ("Actor",),
    ),
    Property(
        "criticOf", "critic of", "Discourses the actor is a critic of (derived, explained).",
        SDKG + "criticOf", "entity", ("Actor",),
    ),
    Property(
        "relatedDiscourse", "related discourse", "Discourses a concept belongs to or informs.",
        SDKG + "relatedDiscourse", "entity", ("Concept",),
    ),
    Property("startYear", "start year", "The year a case began.", SDKG + "startYear", "int", ("Case",)),
    Property("endYear", "end year", "The year a case ended.", SDKG + "endYear", "int", ("Case",)),
    Property(
        "publicationYear", "publication year", "The year a work was published.", SDKG + "publicationYear", "int",
        ("Source",),
    ),
]  # fmt: skip
PROPERTY_BY_ID = {p.id: p for p in PROPERTIES}
_VALUE_PREDICATES = " ".join(f"<{p.predicate}>" for p in PROPERTIES if p.id not in ("type", "altLabel", "description"))

QUERIES: dict[str, str] = {
    "entities": f"""SELECT ?entity ?type ?label ?definition ?unlinkable WHERE {{
  VALUES ?top {{ {" ".join(f"<{SDKG}{top}>" for top in TOPS)} }}
  ?entity a ?type . ?type <{RDFS}subClassOf>* ?top .
  FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{ID}"))
  OPTIONAL {{ ?entity <{RDFS}label> ?label }}
  OPTIONAL {{ ?entity <{SKOS}definition> ?definition }}
  BIND(EXISTS {{ ?entity a <{NOT_LINKABLE}> }} AS ?unlinkable)
}}""",
    "alternatives": f"""SELECT ?entity ?alternative WHERE {{
  ?entity <{SKOS}altLabel> ?alternative FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{ID}"))
}}""",
    "values": f"""SELECT ?entity ?p ?o ?label WHERE {{
  VALUES ?p {{ {_VALUE_PREDICATES} }}
  ?entity ?p ?o FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{ID}"))
  OPTIONAL {{ ?o <{RDFS}label> ?label }}
}}""",
    "classes": f"""SELECT ?class ?label ?definition ?parent WHERE {{
  ?class a <http://www.w3.org/2002/07/owl#Class> FILTER(STRSTARTS(STR(?class), "{SDKG}"))
  OPTIONAL {{ ?class <{RDFS}label> ?label }}
  OPTIONAL {{ ?class <{SKOS}definition> ?definition }}
  OPTIONAL {{ ?class <{RDFS}subClassOf> ?parent FILTER(STRSTARTS(STR(?parent), "{SDKG}")) }}
}}""",
}
"""What the index is made of: each query's solutions, as ``variable → value`` (unbound ones absent)."""

Solutions = Sequence[Mapping[str, str]]


def normalise(text: str) -> str:
    """A name as it is compared: no accents, no case, punctuation and spaces as one space, no leading "the"."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    text = " ".join(re.sub(r"[\W_]+", " ", text).split())
    return text[4:] if text.startswith("the ") else text


def trigrams(text: str) -> frozenset[str]:
    padded = f"  {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


@dataclass(frozen=True)
class Value:
    """One value of a property: an SDKG entity (``id`` and its name), a Wikidata QID, a string or a number."""

    kind: str
    value: str
    name: str = ""


@dataclass(frozen=True)
class Type:
    id: str
    name: str
    description: str
    parents: tuple[str, ...]


@dataclass
class Entity:
    iri: str
    id: str
    """The IRI without the identifier space ``https://w3id.org/sdkg/id/``: ``actor/mary-kaldor``."""
    name: str
    alternatives: list[str]
    types: list[str]
    """The entity's own classes (local names in the ontology), most specific first."""
    description: str
    values: dict[str, list[Value]] = field(default_factory=dict)
    linkable: bool = True


@dataclass(frozen=True)
class Query:
    """One query of a batch, read by :func:`.protocol.read_batch`."""

    text: str = ""
    types: tuple[str, ...] = ()
    type_strict: str = "any"
    limit: int = DEFAULT_LIMIT
    properties: tuple[tuple[str, tuple[object, ...]], ...] = ()


@dataclass
class Candidate:
    entity: Entity
    score: float
    match: bool
    exact: str  # "label", "alternative" or ""
    similarity: float
    met: int = 0
    contradicted: int = 0


@dataclass
class Index:
    entities: dict[str, Entity]
    """By id (``actor/mary-kaldor``)."""
    types: dict[str, Type]
    """Every class of the ontology under the reconcilable tops, by id (``Person``)."""
    names: list[tuple[str, str, bool]] = field(default_factory=list)
    """(normalised name, entity id, is the label)."""
    by_trigram: dict[str, list[int]] = field(default_factory=dict)
    name_trigrams: list[frozenset[str]] = field(default_factory=list)
    exact: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entity in self.entities.values():
            for name, is_label in [(entity.name, True), *((a, False) for a in entity.alternatives)]:
                key = normalise(name)
                if not key:
                    continue
                position = len(self.names)
                self.names.append((key, entity.id, is_label))
                grams = trigrams(key)
                self.name_trigrams.append(grams)
                for gram in grams:
                    self.by_trigram.setdefault(gram, []).append(position)
                self.exact.setdefault(key, []).append((entity.id, is_label))

    # ------------------------------------------------------------------ types

    def kinds_of(self, entity: Entity) -> set[str]:
        """The entity's types and every class above them."""
        return set().union(*(ancestors_of(t, self.types) for t in entity.types)) if entity.types else set()

    # ------------------------------------------------------------------ matching

    def similar(self, text: str) -> dict[str, tuple[float, str, float]]:
        """Entities with a name like ``text``: id → (name score, how exact: "label", "alternative" or "",
        similarity of the best name)."""
        found: dict[str, tuple[float, str, float]] = {}
        for entity_id, is_label in self.exact.get(text, []):
            score, how = (EXACT_LABEL, "label") if is_label else (EXACT_ALTERNATIVE, "alternative")
            if score > found.get(entity_id, (0.0, "", 0.0))[0]:
                found[entity_id] = (score, how, 1.0)
        grams = trigrams(text)
        shared = Counter(position for gram in grams for position in self.by_trigram.get(gram, ()))
        words = set(text.split())
        for position, common in shared.items():
            key, entity_id, _is_label = self.names[position]
            dice = 2 * common / (len(grams) + len(self.name_trigrams[position]))
            other = set(key.split())
            jaccard = len(words & other) / len(words | other)
            similarity = round(max(dice, jaccard), 3)
            if similarity < MIN_SIMILARITY:
                continue
            score = round(FUZZY * similarity, 1)
            if score > found.get(entity_id, (0.0, "", 0.0))[0]:
                found[entity_id] = (score, "", similarity)
        return found

    def reconcile(self, query: Query) -> list[Candidate]:
        """The candidates for one query, best first (ties by name), at most ``query.limit``."""
        text = normalise(query.text)
        if text:
            named = self.similar(text)
        else:
            named = {entity_id: (100.0, "", 0.0) for entity_id in self.entities}
        candidates = []
        for entity_id, (score, exact, similarity) in named.items():
            entity = self.entities[entity_id]
            kinds = self.kinds_of(entity)
            if query.types:
                wanted = set(query.types)
                if query.type_strict == "all" and not wanted <= kinds:
                    continue
                if query.type_strict == "any" and not wanted & kinds:
                    continue
                if query.type_strict == "should" and not wanted & kinds:
                    score -= TYPE_MISSED
            met, contradicted = self.compare(entity, kinds, query.properties)
            if not text and (not query.properties or met < len(query.properties)):
                continue
            score = max(0.0, min(100.0, score + PROPERTY_MET * met - PROPERTY_CONTRADICTED * contradicted))
            candidates.append(Candidate(entity, round(score, 1), False, exact, similarity, met, contradicted))
        if text:
            exact_ones = [c for c in candidates if c.exact and not c.contradicted]
            if len(exact_ones) == 1:
                exact_ones[0].match = True
        elif len(candidates) == 1:
            candidates[0].match = True
        candidates.sort(key=lambda c: (-c.score, c.entity.name.casefold(), c.entity.id))
        return candidates[: query.limit]

    def compare(
        self, entity: Entity, kinds: set[str], constraints: Iterable[tuple[str, tuple[object, ...]]]
    ) -> tuple[int, int]:
        """How many property constraints the entity meets, and how many it contradicts."""
        met = contradicted = 0
        for pid, wanted in constraints:
            have = self.comparable(entity, kinds, pid)
            if not have:
                continue
            asked = {comparable_value(v) for v in wanted}
            if asked & have:
                met += 1
            else:
                contradicted += 1
        return met, contradicted

    def comparable(self, entity: Entity, kinds: set[str], pid: str) -> set[str]:
        """The entity's values for ``pid`` as they are compared: ids, QIDs, normalised names, numbers."""
        if pid == "type":
            return {normalise(k) for k in kinds} | {normalise(self.types[k].name) for k in kinds if k in self.types}
        if pid == "altLabel":
            return {normalise(a) for a in entity.alternatives}
        if pid == "description":
            return {normalise(entity.description)} if entity.description else set()
        found = set()
        for value in entity.values.get(pid, []):
            found.add(normalise(value.value))
            if value.name:
                found.add(normalise(value.name))
        return found

    # ------------------------------------------------------------------ suggest

    def suggest(self, prefix: str, types: Sequence[str] = (), limit: int = 10, cursor: int = 0) -> list[Entity]:
        """Entities one of whose names starts with ``prefix`` (or has a word that does), labels first."""
        wanted = normalise(prefix)
        if not wanted:
            return []
        ranked: dict[str, tuple[int, str]] = {}
        for key, entity_id, is_label in self.names:
            if key.startswith(wanted):
                rank = 0 if is_label else 1
            elif f" {wanted}" in f" {key}":
                rank = 2 if is_label else 3
            else:
                continue
            entity = self.entities[entity_id]
            if types and not set(types) & self.kinds_of(entity):
                continue
            if rank < ranked.get(entity_id, (9, ""))[0]:
                ranked[entity_id] = (rank, entity.name.casefold())
        order = sorted(ranked, key=lambda e: (ranked[e], e))
        return [self.entities[e] for e in order[cursor : cursor + limit]]


def comparable_value(value: object) -> str:
    """A constraint's value as it is compared: an entity given as ``{"id": ...}`` by its id, a QID or IRI
    of Wikidata by its QID, an IRI of SDKG by its id, anything else normalised."""
    if isinstance(value, Mapping):
        value = value.get("id", value.get("name", ""))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    for space in (WIKIDATA_ENTITY, "https://www.wikidata.org/wiki/", ID, SDKG):
        if text.startswith(space):
            text = text[len(space) :]
    return normalise(text)


# ---------------------------------------------------------------------- building


def local(iri: str, space: str) -> str:
    return iri[len(space) :] if iri.startswith(space) else iri


def build_index(answers: Mapping[str, Solutions]) -> Index:
    """The index of the solutions of :data:`QUERIES` (by query name)."""
    parents: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    definitions: dict[str, str] = {}
    for row in answers["classes"]:
        cls = local(row["class"], SDKG)
        parents.setdefault(cls, set())
        if "parent" in row:
            parents[cls].add(local(row["parent"], SDKG))
        labels.setdefault(cls, row.get("label", cls))
        definitions.setdefault(cls, row.get("definition", ""))

    def under_tops(cls: str, seen: frozenset[str] = frozenset()) -> bool:
        return cls in TOPS or any(under_tops(p, seen | {cls}) for p in parents.get(cls, ()) if p not in seen)

    types = {
        cls: Type(cls, labels[cls], definitions[cls], tuple(sorted(parents[cls])))
        for cls in sorted(parents)
        if under_tops(cls)
    }
    entities: dict[str, Entity] = {}
    own_types: dict[str, set[str]] = {}
    for row in answers["entities"]:
        entity_id = local(row["entity"], ID)
        entity = entities.get(entity_id)
        if entity is None:
            entity = Entity(row["entity"], entity_id, row.get("label", entity_id), [], [], row.get("definition", ""))
            entity.linkable = row.get("unlinkable") != "true"
            entities[entity_id] = entity
        own_types.setdefault(entity_id, set()).add(row["type"])
    for entity_id, iris in own_types.items():
        classes = {local(i, SDKG) for i in iris if i.startswith(SDKG)}
        direct = {c for c in classes if c in types}
        inherited = set().union(*(ancestors_of(c, types) - {c} for c in direct)) if direct else set()
        entities[entity_id].types = sorted(direct - inherited, key=lambda c: (-depth(c, types), c))
    for row in answers["alternatives"]:
        entity = entities.get(local(row["entity"], ID))
        if entity is not None and row["alternative"] not in entity.alternatives:
            entity.alternatives.append(row["alternative"])
    by_predicate = {p.predicate: p for p in PROPERTIES}
    for row in answers["values"]:
        entity = entities.get(local(row["entity"], ID))
        prop = by_predicate.get(row["p"])
        if entity is None or prop is None:
            continue
        value = value_of(prop, row["o"], row.get("label", ""))
        if value is not None and value not in entity.values.setdefault(prop.id, []):
            entity.values[prop.id].append(value)
    for entity in entities.values():
        entity.alternatives.sort(key=str.casefold)
        for values in entity.values.values():
            values.sort(key=lambda v: (v.name or v.value).casefold())
    return Index(dict(sorted(entities.items())), types)


def value_of(prop: Property, value: str, label: str) -> Value | None:
    if prop.kind == "entity":
        return Value("entity", local(value, ID), label or local(value, ID)) if value.startswith(ID) else None
    if prop.kind == "qid":
        return Value("qid", local(value, WIKIDATA_ENTITY)) if value.startswith(WIKIDATA_ENTITY) else None
    if prop.kind == "int":
        try:
            return Value("int", str(int(value)))
        except ValueError:
            return None
    return Value("str", value)


def ancestors_of(cls: str, types: Mapping[str, Type]) -> set[str]:
    found, todo = set(), [cls]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(types[current].parents if current in types else ())
    return found


def depth(cls: str, types: Mapping[str, Type]) -> int:
    return len(ancestors_of(cls, types))
