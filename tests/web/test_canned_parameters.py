"""Canned-query parameters (sdkg.web.canned) on their own: declared parameters only, once each, as terms,
defaults for the rest; and the catalog entry a client reads. The HTTP suite is test_canned.py."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.catalog import CannedQuery, read_query
from sdkg.web.canned import bindings, entry
from sdkg.web.errors import BadRequest

QUERY = """# title: Things of a type
# param: type = <https://w3id.org/sdkg/ontology#Discourse>  (a class IRI)
# param: limit = 5  (how many)
SELECT ?thing WHERE { ?thing a ?type }
"""
FEDERATED = """# title: Lives
SELECT ?item WHERE { SERVICE <https://query.wikidata.org/sparql> { ?item ?p ?o } }
"""


@pytest.fixture
def query(tmp_path: Path) -> CannedQuery:
    (tmp_path / "things-of-a-type.rq").write_text(QUERY, encoding="utf-8")
    return read_query(tmp_path / "things-of-a-type.rq")


def test_every_declared_parameter_is_bound_given_or_default(query: CannedQuery) -> None:
    bound = bindings(query, [("type", "https://w3id.org/sdkg/ontology#Stance")])
    assert bound == {
        "type": ox.NamedNode("https://w3id.org/sdkg/ontology#Stance"),
        "limit": ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    }
    hostile = bindings(query, [("type", '" } ?a ?b ?c {')])
    assert hostile["type"] == ox.Literal('" } ?a ?b ?c {')  # a value, never text in the query


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("typo", "x")], "unknown parameter 'typo'"),
        ([("type", "a"), ("type", "b")], "given twice"),
        ([("type", "<https://x/ ?a ?b>")], "bad parameter value"),
    ],
)
def test_wrong_parameters_are_400(query: CannedQuery, params: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        bindings(query, params)


def test_the_entry_links_every_form_and_says_when_wikidata_is_needed(query: CannedQuery, tmp_path: Path) -> None:
    described = entry(query)
    assert described["links"] == {
        "json": "/queries/things-of-a-type.json",
        "csv": "/queries/things-of-a-type.csv",
        "rq": "/queries/things-of-a-type.rq",
    }
    assert described["federated"] is False
    assert [p["name"] for p in described["parameters"]] == ["type", "limit"]  # type: ignore[attr-defined]
    (tmp_path / "lives.rq").write_text(FEDERATED, encoding="utf-8")
    assert entry(read_query(tmp_path / "lives.rq"))["federated"] is True
