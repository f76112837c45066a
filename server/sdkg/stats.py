"""Coverage counts: instances per class and, per source, what each source contributes.

The per-source table lists every encoded source, whatever its kind: a source whose text is
encoded names its text file (``sdkg:sourceFileName``), so a text added with
``sdkg new-source`` shows here as soon as it is built.
"""

from __future__ import annotations

import pyoxigraph as ox

from .namespaces import ID, SDKG

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
    """The three tables ``sdkg stats`` prints: totals, per class, per source."""
    return {
        "totals (with subclasses)": table(store, SUPERCLASS_COUNTS),
        "instances per class": table(store, CLASS_COUNTS),
        "per source": table(store, SOURCE_COUNTS),
    }


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
    return "\n".join(lines)
