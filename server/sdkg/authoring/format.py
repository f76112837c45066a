"""The authoring format's vocabulary: sections, friendly field names and the link provenance table.

Everything a scholar types as a field name is decided here, in tables, so that the format,
its compiler and its converter cannot drift apart. A field that is not a friendly name is
an ontology property in words (``member of``, ``shows failure of``) or by its local name
(``memberOf``), so the format covers whatever the ontology can say.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..namespaces import EDITORIAL_GRAPH, ID, RDFS, SDKG
from .vocabulary import SKOS, Vocabulary, local_name, words

AUTHORING_SUFFIX = ".sdkg.yaml"
"""Authoring files end so; ``sdkg build`` loads every one under ``data/`` (:func:`sdkg.project.kind_of`)."""

CLAIM = ID + "claim/"
ARGUMENT = ID + "argument/"
ASCRIPTION = ID + "ascription/"
ALIGNMENT = ID + "alignment/"
PASSAGE = ID + "passage/"
SOURCE = ID + "source/"
OA = "http://www.w3.org/ns/oa#"


@dataclass(frozen=True)
class LinkProvenance:
    """Who makes a link or an alignment, where, and where editorial ones live: the one table to change
    if the data model moves (docs/encoding-guide.md, sections 5 and 8).

    A statement the text makes (a support or attack, or a concept related to a discourse) is
    made by the text's reporter, or whoever ``by:`` names, names the text as the source it is
    made in, and its IRI carries the text's code (``argument:dw-...``). An editorial statement
    (``editorial: yes``), one that neither text makes, is made by the SDKG editors, names no
    source, is typed editorial where the ontology has the class, is written into the editorial
    named graph rather than the file's own graph, and is named in full (``argument:editorial-...``):
    it belongs to no one source.
    """

    asserted_by: str = SDKG + "assertedBy"
    made_in: str = SDKG + "linkSource"
    editorial_graph: str = EDITORIAL_GRAPH
    editors: str = ID + "actor/sdkg-editors"
    editorial_link: str = SDKG + "EditorialLink"
    alignment: str = SDKG + "DiscourseAlignment"
    editorial_alignment: str = SDKG + "EditorialAlignment"
    editorial_name: str = "editorial-"
    """How editorial statements are named (the encoding guide's convention; documented, not enforced)."""


LINKS = LinkProvenance()


@dataclass(frozen=True)
class Section:
    """An entity section of an authoring file: the IRI namespace, the top class, the default kind."""

    namespace: str
    root: str
    default_kind: str | None = None


SECTIONS: dict[str, Section] = {
    "actors": Section("actor/", SDKG + "Actor"),
    "cases": Section("case/", SDKG + "Case"),
    "concepts": Section("concept/", SDKG + "Concept", SDKG + "Concept"),
    "places": Section("place/", SDKG + "Place", SDKG + "Place"),
    "works": Section("source/", SDKG + "Source"),
    "periodicals": Section("periodical/", SDKG + "Periodical", SDKG + "Periodical"),
    "discourses": Section("discourse/", SDKG + "Discourse", SDKG + "Discourse"),
}
TOP_KEYS = ["source", "reporter", *SECTIONS, "claims", "links", "alignments"]

ALIASES: dict[str, str] = {
    "label": RDFS + "label",
    "title": RDFS + "label",
    "also": SKOS + "altLabel",
    "definition": SKOS + "definition",
    "note": SKOS + "editorialNote",
    "roles": SDKG + "textRole",
    "authors": SDKG + "author",
    "interviewers": SDKG + "interviewer",
    "interviewees": SDKG + "interviewee",
    "text": SDKG + "sourceFileName",
    "sha256": SDKG + "normalisedTextSha256",
    "length": SDKG + "normalisedTextLength",
    "year": SDKG + "publicationYear",
    "expresses": SDKG + "expressesDiscourse",
    "criticises": SDKG + "criticisesDiscourse",
    "cases": SDKG + "aboutCase",
    "concepts": SDKG + "usesConcept",
    "mentions": SDKG + "mentionsActor",
    "by": SDKG + "assertedBy",
    "concept": SDKG + "alignedConcept",
    "discourse": SDKG + "alignedDiscourse",
    "value": SDKG + "statisticValue",
    "unit": SDKG + "statisticUnit",
}
"""Friendly field names; any other field is an ontology property in words."""

PREFERRED: dict[str, dict[str, str]] = {
    "source": {RDFS + "label": "title"},
    "statistic": {},
}
"""Where a section prefers another friendly name for a property (the converter writes these)."""

SPECIAL: dict[str, set[str]] = {
    "source": {"name", "code", "kind"},
    "entity": {"kind"},
    "claim": {
        "kind",
        "quote",
        "quotes",
        "unconfirmed quote",
        "holder",
        "reporter",
        "stance",
        "ascription label",
        "ascriptions",
        "statistic",
    },
    "ascription": {"quote", "quotes", "unconfirmed quote", "holder", "reporter", "stance"},
    "link": {"kind", "premise", "supports", "attacks", "quote", "quotes", "editorial"},
    "alignment": {"kind", "quote", "quotes", "editorial"},
    "statistic": set(),
}
"""Fields that are not one property each: how a section's structure is written."""

SECTION_ONLY_ALIASES: dict[str, set[str]] = {
    "title": {"source"},
    "text": {"source"},
    "sha256": {"source"},
    "length": {"source"},
    "value": {"statistic"},
    "unit": {"statistic"},
    "by": {"link", "alignment"},
    "concept": {"alignment"},
    "discourse": {"alignment"},
}
"""Friendly names that mean something only in some sections (``value:`` is a statistic's)."""


def property_of(key: str, section: str, vocabulary: Vocabulary) -> str | None:
    """The property IRI a field names in ``section``, or ``None`` when it names none."""
    allowed = SECTION_ONLY_ALIASES.get(key)
    if key in ALIASES and (allowed is None or section in allowed):
        return ALIASES[key]
    found = vocabulary.property_for(key)
    return found.iri if found is not None else None


def key_for(predicate: str, section: str) -> str:
    """The field name the converter writes for ``predicate`` in ``section``."""
    preferred = PREFERRED.get(section, {}).get(predicate)
    if preferred:
        return preferred
    for key, iri in ALIASES.items():
        allowed = SECTION_ONLY_ALIASES.get(key)
        if iri == predicate and key != "title" and (allowed is None or section in allowed):
            return key
    if predicate.startswith(SDKG):
        return words(local_name(predicate))
    for prefix, namespace in (("rdfs", RDFS), ("skos", SKOS)):
        if predicate.startswith(namespace):
            return f"{prefix}:{predicate[len(namespace) :]}"
    raise ValueError(f"no field name for {predicate}")


def known_keys(section: str, vocabulary: Vocabulary) -> list[str]:
    """Every field name that means something in ``section`` (for 'did you mean' hints)."""
    keys = set(SPECIAL.get(section, set()))
    keys.update(k for k in ALIASES if SECTION_ONLY_ALIASES.get(k) is None or section in SECTION_ONLY_ALIASES[k])
    keys.update(words(local_name(p)) for p in vocabulary.properties if p.startswith(SDKG))
    return sorted(keys)
