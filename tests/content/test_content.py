"""The content contract: attributed claims, described IRIs, unique labels, mapped entities."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.layout import ProjectLayout
from sdkg.namespaces import ID, PREFIXES
from sdkg.project import NO_TERM_FOUND, load_project, read_sssom
from tests.conftest import REPO

PREFIX_BLOCK = "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items())
MAPPED_KINDS = ("actor/", "case/", "place/", "concept/")


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_project(ProjectLayout.at(REPO)).store


def select(store: ox.Store, body: str) -> list[dict[str, str]]:
    solutions = store.query(PREFIX_BLOCK + "\n" + body, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def count(store: ox.Store, cls: str) -> int:
    rows = select(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a/rdfs:subClassOf* {cls} }}")
    return int(rows[0]["n"])


def test_every_claim_is_attributed_and_anchored(store: ox.Store) -> None:
    unattributed = select(
        store,
        """SELECT ?claim WHERE {
             ?claim a/rdfs:subClassOf* sdkg:Claim .
             FILTER NOT EXISTS {
               ?a sdkg:ascribes ?claim ; sdkg:reportedBy ?r ; sdkg:heldBy ?h ; sdkg:stance ?s ;
                  sdkg:inSource ?src ; sdkg:restsOn ?p .
               ?p oa:hasSource ?src .
             }
           }""",
    )
    assert unattributed == []


def test_every_iri_used_as_object_is_described(store: ox.Store) -> None:
    dangling = select(
        store,
        f"""SELECT DISTINCT ?o WHERE {{
              ?s ?p ?o . FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{ID}"))
              FILTER NOT EXISTS {{ ?o a ?type ; rdfs:label ?label }}
            }}""",
    )
    assert dangling == []


def test_every_instance_is_labelled_once(store: ox.Store) -> None:
    rows = select(
        store,
        f"""SELECT ?s (COUNT(DISTINCT ?l) AS ?n) WHERE {{
              ?s a ?t . FILTER(STRSTARTS(STR(?s), "{ID}"))
              OPTIONAL {{ ?s rdfs:label ?l }}
            }} GROUP BY ?s HAVING (COUNT(DISTINCT ?l) != 1)""",
    )
    assert rows == []


def test_no_two_entities_share_a_label(store: ox.Store) -> None:
    rows = select(store, f'SELECT ?s ?l WHERE {{ ?s rdfs:label ?l . FILTER(STRSTARTS(STR(?s), "{ID}")) }}')
    counts = Counter(r["l"].casefold() for r in rows)
    assert [label for label, n in counts.items() if n > 1] == []


def test_coverage_of_both_texts(store: ox.Store) -> None:
    """The issue's floor: well over 100 actors, 60 cases, about 100 claims, both texts."""
    assert count(store, "sdkg:Actor") > 100
    assert count(store, "sdkg:Case") >= 60
    assert count(store, "sdkg:Claim") >= 90
    assert count(store, "sdkg:StatisticalClaim") >= 10
    per_source = select(
        store,
        "SELECT ?src (COUNT(DISTINCT ?c) AS ?n) WHERE { ?a sdkg:inSource ?src ; sdkg:ascribes ?c } GROUP BY ?src",
    )
    assert len(per_source) == 2 and all(int(r["n"]) >= 30 for r in per_source)


def sssom_rows() -> list[tuple[Path, dict[str, str], dict[str, str]]]:
    return [
        (path, curies, row)
        for path in sorted((REPO / "data" / "mappings").glob("*.sssom.tsv"))
        for curies, rows in [read_sssom(path)]
        for row in rows
    ]


def expand(curie: str, curies: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    return curies[prefix] + local


def test_every_actor_case_place_and_concept_is_in_a_mapping_table(store: ox.Store) -> None:
    listed = {expand(row["subject_id"], curies) for _path, curies, row in sssom_rows()}
    entities = {
        r["s"]
        for r in select(
            store,
            """SELECT DISTINCT ?s WHERE {
                 VALUES ?top { sdkg:Actor sdkg:Case sdkg:Place sdkg:Concept }
                 ?s a/rdfs:subClassOf* ?top }""",
        )
    }
    missing = sorted(e for e in entities if e.startswith(ID) and e[len(ID) :].startswith(MAPPED_KINDS))
    assert [e for e in missing if e not in listed] == []
    assert [s for s in listed if s not in entities] == [], "mapping rows for entities that do not exist"


def verified_reference() -> dict[str, str] | None:
    path = REPO.parent / "shared" / "reference" / "wikidata-qids.tsv"
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        return {r["qid"]: r["name"] for r in csv.DictReader(handle, delimiter="\t") if r["status"] == "verified"}


def test_every_qid_is_verified() -> None:
    """A mapped QID is in the verified reference list, or its row cites other stored evidence."""
    reference = verified_reference()
    if reference is None:
        pytest.skip("shared/reference/wikidata-qids.tsv not beside the repository")
    for path, _curies, row in sssom_rows():
        if row["object_id"] == NO_TERM_FOUND or row["comment"].lower().startswith("unreviewed"):
            continue
        qid = row["object_id"].removeprefix("wikidata:")
        evidence = row["comment"]
        assert qid in reference or ("shared/reference" not in evidence and len(evidence) > 20), (path.name, row)
        assert evidence, (path.name, row["subject_id"])


def test_no_qid_is_mapped_twice() -> None:
    """An item is the exact or close match of one entity; several may share a broader item."""
    qids = Counter(
        r["object_id"]
        for _p, _c, r in sssom_rows()
        if r["object_id"].startswith("wikidata:") and r["predicate_id"] != "skos:broadMatch"
    )
    assert [q for q, n in qids.items() if n > 1] == []
