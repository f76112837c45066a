"""Coverage counts: instances per class, per source what each source contributes, and Wikidata link
coverage per kind of entity.

The per-source table lists every encoded source, whatever its kind: a source whose text is
encoded names its text file (``sdkg:sourceFileName``), so a text added with
``sdkg new-source`` shows here as soon as it is built.

Link coverage counts, per kind (person, organisation, state, ...), the entities linked to Wikidata
(exact, close or broad match) against the linkable ones: those that are not of the class
``sdkg:NotLinkableToWikidata`` (generated from the ``not linkable:`` rows of the SSSOM tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import ID, NOT_LINKABLE, SDKG, WIKIDATA_ENTITY

CLASS_COUNTS = f"""
SELECT ?class (COUNT(DISTINCT ?s) AS ?count) WHERE {{
  ?s a ?class .
  FILTER(STRSTARTS(STR(?s), "{ID}") && STRSTARTS(STR(?class), "{SDKG}"))
}} GROUP BY ?class ORDER BY DESC(?count) ?class
"""

SOURCE_COUNTS = f"""
PREFIX sdkg: <{SDKG}>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?source
  (COUNT(DISTINCT ?claim) AS ?claims)
  (COUNT(DISTINCT ?passage) AS ?passages)
  (COUNT(DISTINCT ?actor) AS ?actors)
  (COUNT(DISTINCT ?case) AS ?cases)
  (COUNT(DISTINCT ?link) AS ?argumentLinks)
WHERE {{
  ?source sdkg:sourceFileName ?encodedText .
  {{ ?a sdkg:inSource ?source ; sdkg:ascribes ?claim }}
  UNION {{ ?passage a sdkg:Passage ; oa:hasSource ?source }}
  UNION {{ ?actor a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* sdkg:Actor ; sdkg:mentionedIn ?source }}
  UNION {{ ?case a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* sdkg:Case ; sdkg:mentionedIn ?source }}
  UNION {{ ?link a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* sdkg:ArgumentLink ; sdkg:linkSource ?source }}
}} GROUP BY ?source ORDER BY ?source
"""

SUPERCLASS_COUNTS = f"""
PREFIX sdkg: <{SDKG}>
SELECT ?class (COUNT(DISTINCT ?s) AS ?count) WHERE {{
  VALUES ?class {{
    sdkg:Actor sdkg:Case sdkg:Claim sdkg:Ascription sdkg:ArgumentLink sdkg:EditorialLink sdkg:DiscourseAlignment
    sdkg:Passage sdkg:Concept sdkg:Place sdkg:Source
  }}
  ?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class .
  FILTER(STRSTARTS(STR(?s), "{ID}"))
}} GROUP BY ?class ORDER BY ?class
"""


def short(iri: str) -> str:
    for prefix, name in ((SDKG, "sdkg:"), (ID, "")):
        if iri.startswith(prefix):
            return name + iri[len(prefix) :]
    return iri


def table(store: ox.Store, query: str) -> tuple[list[str], list[list[str]]]:
    solutions = store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    rows = [[short(row[n].value) if row[n] is not None else "" for n in names] for row in solutions]
    return names, rows


def coverage(store: ox.Store) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The tables ``sdkg stats`` prints: totals, per class, per source, and Wikidata links per kind."""
    return {
        "totals (with subclasses)": table(store, SUPERCLASS_COUNTS),
        "instances per class": table(store, CLASS_COUNTS),
        "per source": table(store, SOURCE_COUNTS),
        "Wikidata links per kind": link_coverage(store),
    }


KINDS: list[tuple[str, str]] = [
    ("person", "Person"),
    ("organisation", "Organisation"),
    ("state", "State"),
    ("collective", "Collective"),
    ("treaty / legal instrument", "LegalInstrument"),
    ("event / case", "Case"),
    ("concept", "Concept"),
    ("place", "Place"),
    ("work", "Source"),
]
"""The kinds of entity link coverage is counted for, in the order of the tables, each by its class
(subclasses included)."""
PRECEDENCE = ["Person", "State", "Organisation", "Collective", "LegalInstrument", "Case", "Concept", "Place", "Source"]
"""An entity of several kinds counts once, under the first here (a state is an organisation, a treaty a case)."""

ENTITY_KINDS = f"""
PREFIX sdkg: <{SDKG}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?entity ?class ?label ?link ?item ?unlinkable WHERE {{
  VALUES ?class {{ {" ".join(f"sdkg:{name}" for _kind, name in KINDS)} }}
  ?entity a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class .
  FILTER(STRSTARTS(STR(?entity), "{ID}"))
  OPTIONAL {{ ?entity <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
  OPTIONAL {{
    VALUES ?link {{ skos:exactMatch skos:closeMatch skos:broadMatch }}
    ?entity ?link ?item FILTER(STRSTARTS(STR(?item), "{WIKIDATA_ENTITY}"))
  }}
  BIND(EXISTS {{ ?entity a <{NOT_LINKABLE}> }} AS ?unlinkable)
}}
"""
"""Every entity of a kind, with its label, its Wikidata link and whether it is not linkable: what
:func:`linkage_of` reads (``sdkg stats`` on the store, the server's /curation page through its engine)."""
COVERAGE_HEADER = ["kind", "entities", "exact", "close", "broad", "linked / linkable", "not linkable"]
LINK_COLUMNS = {"exactMatch": 1, "closeMatch": 2, "broadMatch": 3}


@dataclass(frozen=True)
class Linkage:
    """One entity's kind (a name of :data:`KINDS`), label, Wikidata link (``exactMatch``, ``closeMatch``,
    ``broadMatch`` or ``""``) and item, and whether it is linkable."""

    kind: str
    label: str
    link: str
    item: str
    linkable: bool


def linkage_of(solutions: Iterable[Mapping[str, str]]) -> dict[str, Linkage]:
    """The entities of :data:`ENTITY_KINDS`' solutions (variable → value, unbound ones absent), by IRI."""
    names = {SDKG + name: kind for kind, name in KINDS}
    precedence = {SDKG + name: index for index, name in enumerate(PRECEDENCE)}
    best: dict[str, str] = {}
    label: dict[str, str] = {}
    link: dict[str, tuple[str, str]] = {}
    unlinkable: set[str] = set()
    for row in solutions:
        entity, cls = row["entity"], row["class"]
        if entity not in best or precedence[cls] < precedence[best[entity]]:
            best[entity] = cls
        label.setdefault(entity, row.get("label", ""))
        if row.get("link"):
            link[entity] = (row["link"].rsplit("#", 1)[-1], row.get("item", ""))
        if row.get("unlinkable") == "true":
            unlinkable.add(entity)
    return {
        e: Linkage(names[cls], label[e], *link.get(e, ("", "")), e not in unlinkable) for e, cls in sorted(best.items())
    }


def linkage(store: ox.Store) -> dict[str, Linkage]:
    """Every entity of a kind of :data:`KINDS`, with its link and linkability, read from ``store``."""
    solutions = store.query(ENTITY_KINDS, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return linkage_of({n: s[n].value for n in names if s[n] is not None} for s in solutions)  # type: ignore[union-attr]


def link_coverage(store: ox.Store) -> tuple[list[str], list[list[str]]]:
    """Per kind: entities, links by predicate, linked / linkable, and how many are not linkable; then all."""
    return coverage_table(linkage(store).values())


def coverage_table(entities: Iterable[Linkage]) -> tuple[list[str], list[list[str]]]:
    """The link coverage table of ``entities`` (:data:`COVERAGE_HEADER`, a row per kind, then all)."""
    order = {kind: index for index, (kind, _name) in enumerate(KINDS)}
    counts = [[0, 0, 0, 0, 0, 0] for _ in KINDS]  # entities, exact, close, broad, linkable, not linkable
    for entity in entities:
        row = counts[order[entity.kind]]
        row[0] += 1
        if entity.link:
            row[LINK_COLUMNS[entity.link]] += 1
        row[4 if entity.linkable else 5] += 1
    total = [sum(column) for column in zip(*counts, strict=True)]
    rows = [[name, *coverage_cells(row)] for (name, _class), row in zip(KINDS, counts, strict=True)]
    return COVERAGE_HEADER, [*rows, ["all", *coverage_cells(total)]]


def coverage_cells(row: list[int]) -> list[str]:
    entities, exact, close, broad, linkable, unlinkable = row
    return [str(entities), str(exact), str(close), str(broad), f"{exact + close + broad} / {linkable}", str(unlinkable)]


MAPPING_COUNTS = f"""
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT (COUNT(DISTINCT ?s) AS ?mapped) WHERE {{
  ?s skos:exactMatch|skos:closeMatch|skos:broadMatch ?item .
  FILTER(STRSTARTS(STR(?s), "{ID}") && STRSTARTS(STR(?item), "http://www.wikidata.org/entity/"))
}}
"""

README_ROWS = [
    ("actors", "sdkg:Actor"),
    ("cases", "sdkg:Case"),
    ("claims", "sdkg:Claim"),
    ("ascriptions", "sdkg:Ascription"),
    ("argument links", "sdkg:ArgumentLink"),
    ("of which editorial (made by neither text)", "sdkg:EditorialLink"),
    ("discourse alignments", "sdkg:DiscourseAlignment"),
    ("passages", "sdkg:Passage"),
    ("concepts", "sdkg:Concept"),
    ("places", "sdkg:Place"),
]


def coverage_markdown(store: ox.Store) -> str:
    """The coverage table the README shows (``sdkg stats --format markdown``)."""
    totals = dict(table(store, SUPERCLASS_COUNTS)[1])
    _header, per_source = table(store, SOURCE_COUNTS)
    mapped = table(store, MAPPING_COUNTS)[1][0][0]
    lines = ["| what | in the graph |", "| --- | ---: |"]
    lines += [f"| {name} | {totals.get(cls, '0')} |" for name, cls in README_ROWS]
    lines.append(f"| entities linked to Wikidata | {mapped} |")
    lines += [
        "",
        "| source | claims | passages | actors | cases | argument links made in it |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in per_source]
    header, per_kind = link_coverage(store)
    lines += ["", "| " + " | ".join(["Wikidata links", *header[1:]]) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in per_kind]
    return "\n".join(lines)
