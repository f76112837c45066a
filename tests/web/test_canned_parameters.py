"""Canned-query parameters on their own (sdkg.catalog.parameters): declared parameters only, once each,
as terms, defaults for the rest; entities by IRI, prefixed name or label, refused when they name nothing;
and the catalog entry a client reads. The HTTP suite is test_canned.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.catalog import CannedQuery, read_query
from sdkg.catalog.parameters import ParameterError, given_values, kind_of, options, resolve
from sdkg.sparql.engine import LocalEngine
from sdkg.web.canned import entry

QUERY = """# title: Things of a type
# param: type = <https://w3id.org/sdkg/ontology#Discourse>  (a class IRI)
# param: limit = 5  (how many)
# param: words = human rights  (text)
SELECT ?thing WHERE { ?thing a ?type }
"""
CASE = """# title: Claims about a case
# param: case = <https://w3id.org/sdkg/id/case/rwandan-genocide>  (IRI of a case)
SELECT ?claim WHERE { ?claim <https://w3id.org/sdkg/ontology#aboutCase> ?case }
"""
FEDERATED = """# title: Lives
SELECT ?item WHERE { SERVICE <https://query.wikidata.org/sparql> { ?item ?p ?o } }
"""
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def write(tmp_path: Path, name: str, text: str) -> CannedQuery:
    (tmp_path / f"{name}.rq").write_text(text, encoding="utf-8")
    return read_query(tmp_path / f"{name}.rq")


@pytest.fixture
def query(tmp_path: Path) -> CannedQuery:
    return write(tmp_path, "things-of-a-type", QUERY)


@pytest.fixture(scope="module")
def engine(store_path: Path) -> LocalEngine:
    return LocalEngine(store_path)


def run(engine: LocalEngine, query: CannedQuery, params: list[tuple[str, str]]) -> dict[str, ox.NamedNode | ox.Literal]:
    return asyncio.run(resolve(engine, query, params))


def test_kinds_are_read_from_the_defaults(query: CannedQuery, tmp_path: Path) -> None:
    kinds = [kind_of(p) for p in query.parameters]
    assert [(k.name, k.noun) for k in kinds] == [("entity", "sdkg term"), ("integer", "whole number"), ("text", "text")]
    case = kind_of(write(tmp_path, "case", CASE).parameters[0])
    assert (case.name, case.scope, case.noun) == ("entity", "https://w3id.org/sdkg/id/case/", "case")


def test_every_declared_parameter_is_bound_given_or_default(query: CannedQuery, engine: LocalEngine) -> None:
    bound = run(engine, query, [("type", "https://w3id.org/sdkg/ontology#Stance")])
    assert bound == {
        "type": ox.NamedNode("https://w3id.org/sdkg/ontology#Stance"),
        "limit": ox.Literal("5", datatype=XSD_INTEGER),
        "words": ox.Literal("human rights"),
    }
    hostile = run(engine, query, [("words", '" } ?a ?b ?c {')])
    assert hostile["words"] == ox.Literal('" } ?a ?b ?c {')  # a value, never text in the query
    assert run(engine, query, [("limit", " 12 ")])["limit"] == ox.Literal("12", datatype=XSD_INTEGER)


def test_an_entity_is_named_by_iri_prefixed_name_or_label(tmp_path: Path, engine: LocalEngine) -> None:
    case = write(tmp_path, "case", CASE)
    rwanda = ox.NamedNode("https://w3id.org/sdkg/id/case/rwandan-genocide")
    for value in (
        "<https://w3id.org/sdkg/id/case/rwandan-genocide>",
        "case:rwandan-genocide",
        "Rwandan genocide",
        "  rwandan   GENOCIDE ",
    ):
        assert run(engine, case, [("case", value)]) == {"case": rwanda}, value
    war = ox.NamedNode("https://w3id.org/sdkg/id/case/war-on-terror")
    assert run(engine, case, [("case", "war on terror")]) == {"case": war}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Rwanda", "case=Rwanda matched nothing: no case is named 'Rwanda'. Did you mean: Rwandan genocide"),
        ("case:rwanda", "the graph says nothing about <https://w3id.org/sdkg/id/case/rwanda>. Did you mean: Rwandan"),
        ("nope:rwanda", "unknown prefix 'nope:'"),
        ("<https://x/ a>", "bad parameter value case=<https://x/ a>"),
        ("  ", "case is empty"),
    ],
)
def test_a_value_that_names_nothing_is_refused_with_what_comes_close(
    tmp_path: Path, engine: LocalEngine, value: str, message: str
) -> None:
    case = write(tmp_path, "case", CASE)
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace("?", r"\?")):
        run(engine, case, [("case", value)])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("typo", "x")], "unknown parameter 'typo'"),
        ([("type", "a"), ("type", "b")], "given twice"),
        ([("limit", "five")], "limit='five' is not a whole number"),
    ],
)
def test_wrong_parameters_are_refused(
    query: CannedQuery, engine: LocalEngine, params: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        run(engine, query, params)


def test_the_query_text_needs_no_lookup_but_the_same_names(query: CannedQuery) -> None:
    assert given_values(query, [("limit", "x")]) == {"limit": "x"}
    with pytest.raises(ParameterError, match="unknown parameter 'typo'"):
        given_values(query, [("typo", "x")])


def test_options_list_the_entities_of_the_kind(tmp_path: Path, engine: LocalEngine) -> None:
    case = write(tmp_path, "case", CASE)
    found = asyncio.run(options(engine, case.parameters[0]))
    assert {
        "value": "https://w3id.org/sdkg/id/case/rwandan-genocide",
        "curie": "case:rwandan-genocide",
        "label": "Rwandan genocide",
    } in found
    assert all(o["value"].startswith("https://w3id.org/sdkg/id/case/") for o in found)
    assert len(found) >= 70


def test_the_entry_links_every_form_and_says_when_wikidata_is_needed(query: CannedQuery, tmp_path: Path) -> None:
    described = entry(query)
    assert described["links"] == {
        "html": "/queries/things-of-a-type",
        "json": "/queries/things-of-a-type.json",
        "csv": "/queries/things-of-a-type.csv",
        "rq": "/queries/things-of-a-type.rq",
    }
    assert described["federated"] is False
    parameters = described["parameters"]
    assert [p["name"] for p in parameters] == ["type", "limit", "words"]  # type: ignore[attr-defined]
    assert parameters[0]["options"] == "/queries/things-of-a-type/parameters/type"  # type: ignore[index]
    assert parameters[1]["options"] is None  # type: ignore[index]
    (tmp_path / "lives.rq").write_text(FEDERATED, encoding="utf-8")
    assert entry(read_query(tmp_path / "lives.rq"))["federated"] is True
