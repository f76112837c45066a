"""Derived relations are true of the texts, and explained.

tests/derivations.tsv lists facts the rules must derive from the repository's coding and facts
they must not, each with the passage of the text that decides it. A must-derive fact must also
be explained: queries/why.rq, with the fact as parameters, answers with at least one explanation
that quotes the deciding passage (or a passage inside it).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.catalog import load_catalog
from sdkg.namespaces import ID, INFERRED_GRAPH, SDKG
from sdkg.passages import normalise, read_normalised
from sdkg.sparql.bindings import substitute
from tests.conftest import REPO, SEEDS_FILES

TABLE = REPO / "tests" / "derivations.tsv"
TEXTS = {"dw": SEEDS_FILES[0], "kr": SEEDS_FILES[1]}


def facts() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


FACTS = facts()


def fact_id(row: dict[str, str]) -> str:
    return f"{row['expected']}:{row['subject']}-{row['property']}-{row['object']}"


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(store_path))


def test_the_table_covers_the_issue_and_both_answers() -> None:
    keys = {(r["subject"], r["property"], r["object"], r["expected"]) for r in FACTS}
    for false in (
        ("actor/dunne-and-wheeler", "criticOf", "discourse/critical"),
        ("actor/pentagon-realists", "criticOf", "discourse/realist"),
        ("actor/dunne-and-wheeler", "proponentOf", "discourse/pluralist"),
    ):
        assert (*false, "not") in keys
    assert sum(r["expected"] == "derive" for r in FACTS) >= 10
    assert sum(r["expected"] == "not" for r in FACTS) >= 10
    assert all(r["passage"] and r["why"] and r["source"] in TEXTS for r in FACTS)


@pytest.mark.parametrize("row", FACTS, ids=fact_id)
def test_the_deciding_passage_is_in_the_text(row: dict[str, str], require_sources: Path) -> None:
    text = read_normalised(require_sources / TEXTS[row["source"]])
    assert normalise(row["passage"]) in text


@pytest.mark.parametrize("row", FACTS, ids=fact_id)
def test_derived_or_not(store: ox.Store, row: dict[str, str]) -> None:
    triple = ox.Triple(
        ox.NamedNode(ID + row["subject"]), ox.NamedNode(SDKG + row["property"]), ox.NamedNode(ID + row["object"])
    )
    found = list(store.quads_for_pattern(triple.subject, triple.predicate, triple.object, ox.NamedNode(INFERRED_GRAPH)))
    assert bool(found) == (row["expected"] == "derive"), row["why"]
    anywhere = list(store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None))
    if row["expected"] == "not":
        assert anywhere == [], "nor asserted in any graph"


@pytest.mark.parametrize("row", [r for r in FACTS if r["expected"] == "derive"], ids=fact_id)
def test_the_explanation_quotes_the_deciding_passage(store: ox.Store, row: dict[str, str]) -> None:
    why = load_catalog(REPO / "queries")["why"]
    terms = {
        "subject": ox.NamedNode(ID + row["subject"]),
        "property": ox.NamedNode(SDKG + row["property"]),
        "object": ox.NamedNode(ID + row["object"]),
    }
    result = store.query(substitute(why.text, terms), use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    rows = [{v.value: (r[v].value if r[v] is not None else "") for v in result.variables} for r in result]
    assert rows, "derived but not explained"
    assert all(r["ruleLabel"] and r["source"] for r in rows), "every explanation names its rule and its one source"
    wanted = normalise(row["passage"])
    quoted = [q for r in rows for q in r["quotes"].split(" | ") if q]
    assert any(wanted in q or q in wanted for q in quoted), (wanted, quoted)
    assert all(r["ascriptions"] or r["links"] or r["alignments"] for r in rows), "every explanation names its grounds"
