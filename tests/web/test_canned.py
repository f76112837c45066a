"""The canned-query endpoint: /queries, /queries/{name}.json|.csv|.rq, parameters bound safely."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdkg.catalog import load_catalog
from sdkg.sparql import federation as wd
from sdkg.web.app import Settings, create_app
from tests.conftest import REPO
from tests.web_project import make_web_project, store_of

TYPED_LABELS = """# title: Things of a type, with their labels
# description: A test query with one IRI parameter.
# question: What is there of this type?
# param: type = <https://w3id.org/sdkg/ontology#Discourse>  (a class IRI)
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?type ?thing ?label WHERE { ?thing a ?type ; rdfs:label ?label } ORDER BY ?label
"""
LABELLED = """# title: Things with this label
# param: name = Mary Kaldor  (a label, without language tag)
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name ?thing ?label WHERE { ?thing rdfs:label ?label FILTER(STR(?label) = ?name) }
"""
DISCOURSES = ["critical discourse of security", "pluralist discourse of security", "realist discourse of security"]


def make_root(tmp: Path) -> Path:
    """A project root whose catalog is the repository's plus two test queries."""
    (tmp / "queries").mkdir(parents=True)
    for path in (REPO / "queries").glob("*.rq"):
        shutil.copy(path, tmp / "queries" / path.name)
    (tmp / "queries" / "test-typed-labels.rq").write_text(TYPED_LABELS, encoding="utf-8")
    (tmp / "queries" / "test-labelled.rq").write_text(LABELLED, encoding="utf-8")
    return tmp


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("canned"))


@pytest.fixture(scope="module")
def client(store_path: Path, root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_path, root=root, engine="local"))) as test_client:
        yield test_client


def labels(response_body: bytes) -> list[str]:
    return [b["label"]["value"] for b in json.loads(response_body)["results"]["bindings"]]


def test_list(client: TestClient, root: Path) -> None:
    response = client.get("/queries")
    assert response.status_code == 200
    entries = {q["name"]: q for q in response.json()["queries"]}
    assert set(entries) == set(load_catalog(root / "queries"))
    typed = entries["test-typed-labels"]
    assert typed["links"] == {
        "html": "/queries/test-typed-labels",
        "json": "/queries/test-typed-labels.json",
        "csv": "/queries/test-typed-labels.csv",
        "rq": "/queries/test-typed-labels.rq",
    }
    assert typed["parameters"] == [
        {
            "name": "type",
            "default": "<https://w3id.org/sdkg/ontology#Discourse>",
            "description": "a class IRI",
            "kind": "entity",
            "noun": "sdkg term",
            "options": "/queries/test-typed-labels/parameters/type",
        }
    ]
    assert typed["federated"] is False
    assert entries["wikidata-person-lives"]["federated"] is True


def test_default_parameters(client: TestClient) -> None:
    response = client.get("/queries/test-typed-labels.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert labels(response.content) == DISCOURSES


def test_parameter_from_query_string(client: TestClient) -> None:
    response = client.get("/queries/test-typed-labels.json", params={"type": "https://w3id.org/sdkg/ontology#Stance"})
    assert response.status_code == 200
    assert labels(response.content) == ["endorses", "rejects", "reports neutrally"]
    bound = {b["type"]["value"] for b in json.loads(response.content)["results"]["bindings"]}
    assert bound == {"https://w3id.org/sdkg/ontology#Stance"}


def test_csv(client: TestClient) -> None:
    response = client.get("/queries/test-typed-labels.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="test-typed-labels.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["type", "thing", "label"]
    assert [r[2] for r in rows[1:]] == DISCOURSES


def test_literal_parameter_is_bound_not_interpolated(client: TestClient) -> None:
    assert labels(client.get("/queries/test-labelled.json").content) == ["Mary Kaldor"]
    attack = '" } UNION { ?thing ?p ?label } #'
    response = client.get("/queries/test-labelled.json", params={"name": attack})
    assert response.status_code == 200
    assert labels(response.content) == []  # the text is a value: nothing has that label
    response = client.get("/queries/test-typed-labels.json", params={"type": "<https://x/> } ?a ?b ?c {"})
    assert response.status_code == 400  # read as a name, bound as a value in the look-up: it names nothing
    assert "type=<https://x/> } ?a ?b ?c { matched nothing" in response.json()["error"]
    response = client.get("/queries/test-typed-labels.json", params={"type": "<https://x/ ?a ?b>"})
    assert response.status_code == 400  # not a valid IRI: refused


def test_a_value_that_names_nothing_is_400_saying_which(client: TestClient) -> None:
    response = client.get("/queries/test-typed-labels.json", params={"type": "sdkg:Nothing"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("type=sdkg:Nothing matched nothing: the graph says nothing about")
    by_label = client.get("/queries/test-typed-labels.json", params={"type": "stance"})
    assert by_label.status_code == 200
    assert by_label.json()["results"]["bindings"][0]["type"]["value"] == "https://w3id.org/sdkg/ontology#Stance"
    options = client.get("/queries/test-typed-labels/parameters/type").json()
    assert options["kind"] == "entity"
    assert {"value": "https://w3id.org/sdkg/ontology#Stance", "curie": "sdkg:Stance", "label": "stance"} in options[
        "options"
    ]
    assert client.get("/queries/test-typed-labels/parameters/nope").status_code == 404
    assert client.get("/queries/nope/parameters/type").status_code == 404


def test_errors(client: TestClient) -> None:
    unknown = client.get("/queries/test-typed-labels.json", params={"typo": "x"})
    assert unknown.status_code == 400 and "unknown parameter 'typo'" in unknown.json()["error"]
    twice = client.get("/queries/test-typed-labels.json?type=a&type=b")
    assert twice.status_code == 400
    assert client.get("/queries/no-such-query.json").status_code == 404
    assert client.get("/queries/test-typed-labels.xml").status_code == 404
    page = client.get("/queries/test-typed-labels")  # the HTML page of a SELECT (tests/web/test_paging.py)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert client.get("/queries/no-such-query").status_code == 404


def test_query_text(client: TestClient) -> None:
    response = client.get("/queries/test-typed-labels.rq")
    assert response.status_code == 200 and response.text == TYPED_LABELS


def test_every_catalog_query_answers(store_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each repository query answers with its defaults; federated ones, with Wikidata out of reach, say so (502)."""
    closed = "http://127.0.0.1:9/sparql"  # nothing listens on the discard port: no request leaves the machine
    for setting in wd.ENDPOINT_SETTINGS.values():
        monkeypatch.setenv(setting, closed)
    settings = Settings(store_path=store_path, root=root, engine="local")  # Wikidata's endpoints allowed, as served
    with TestClient(create_app(settings)) as offline:
        for name, query in load_catalog(REPO / "queries").items():
            graph = "CONSTRUCT" in query.text.split("WHERE")[0]
            for ext in ("ttl", "jsonld") if graph else ("json", "csv"):
                response = offline.get(f"/queries/{name}.{ext}")
                expected = 502 if wd.is_federated(query.text) else 200
                assert response.status_code == expected, (name, response.text)
                if expected == 502:
                    assert response.json()["error"].startswith(wd.UNREACHABLE)


def test_a_construct_query_answers_with_triples(client: TestClient) -> None:
    """argument-map is a CONSTRUCT: Turtle or JSON-LD, its parameter bound like any other; .json says what to ask."""
    turtle = client.get("/queries/argument-map.ttl", params={"discourse": "discourse:realist"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    assert "holdsClaim" in turtle.text and "discourse/pluralist" not in turtle.text
    assert client.get("/queries/argument-map.jsonld").headers["content-type"].startswith("application/ld+json")
    wrong = client.get("/queries/argument-map.json")
    assert wrong.status_code == 404 and "answers with triples (a CONSTRUCT)" in wrong.json()["error"]
    assert "/queries/argument-map.ttl" in wrong.json()["error"]
    entries = {q["name"]: q for q in client.get("/queries").json()["queries"]}
    assert set(entries["argument-map"]["links"]) == {"ttl", "jsonld", "rq"}


def test_no_catalog_without_root(store_path: Path) -> None:
    with TestClient(create_app(Settings(store_path=store_path, engine="local"))) as bare:
        assert bare.get("/queries").json() == {"queries": []}
        assert bare.get("/queries/anything.json").status_code == 404


@pytest.mark.slow
def test_federated_against_local_wikidata(
    store_path: Path, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the endpoint setting pointing at a local Oxigraph fixture (and allowed), a federated query answers."""
    from tests.test_wikidata import FIXTURES, serve_fixture

    process, endpoint = serve_fixture(tmp_path, FIXTURES / "main.ttl")
    try:
        monkeypatch.setenv("SDKG_WIKIDATA_ENDPOINT", endpoint)
        settings = Settings(store_path=store_path, root=root, engine="local")  # the allow-list names Wikidata's IRIs
        with TestClient(create_app(settings)) as local:
            response = local.get("/queries/wikidata-place-coordinates.json")
            assert response.status_code == 200, response.text
            rows = {b["label"]["value"]: b for b in response.json()["results"]["bindings"]}
            assert rows["Iraq"]["coordinates"]["value"] == "Point(44.0 33.0)"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web_project(tmp_path_factory.mktemp("canned-web"))


def test_a_canned_answer_cut_at_the_row_cap_says_so_and_is_counted(web_root: Path) -> None:
    """``--max-rows 1``: the canned query's 2 rows are cut to 1, and the answer says so as /sparql's does
    (``X-SDKG-Truncated``, ``X-SDKG-Row-Limit``, ``"truncated"``); /metrics counts canned queries too."""
    uncapped = Settings(store_path=store_of(web_root), root=web_root, engine="local", max_rows=None)
    with TestClient(create_app(uncapped)) as client:
        full = client.get("/queries/claims-and-holders.csv")
        assert full.status_code == 200 and len(list(csv.reader(io.StringIO(full.text)))) == 1 + 2
        assert full.headers["X-SDKG-Truncated"] == "false"
    capped = Settings(store_path=store_of(web_root), root=web_root, engine="local", max_rows=1)
    with TestClient(create_app(capped)) as client:
        cut = client.get("/queries/claims-and-holders.csv")
        assert cut.status_code == 200 and len(list(csv.reader(io.StringIO(cut.text)))) == 1 + 1
        assert cut.headers["X-SDKG-Truncated"] == "true" and cut.headers["X-SDKG-Row-Limit"] == "1"
        as_json = client.get("/queries/claims-and-holders.json")
        assert as_json.json()["truncated"] is True and as_json.headers["X-SDKG-Truncated"] == "true"
        metrics = client.get("/metrics").text
        assert 'sdkg_queries_total{status="200"} 2' in metrics
        assert "sdkg_query_truncations_total 2" in metrics


def test_entity_page_leaves_explanations_to_the_why_query(client: TestClient) -> None:
    """The rules' explanation nodes point at the actors they explain; the actor's page does not list
    them among what references it (the D&W page would list hundreds), the why query reads them."""
    html = client.get("/id/actor/dunne-and-wheeler", headers={"Accept": "text/html"}).text
    referenced_by = html[html.index('id="inverse-heading"') :]
    referenced_by = referenced_by[: referenced_by.index("</section>")]
    assert "Referenced by" in referenced_by and "id/explanation/" not in referenced_by
    assert ">critic of<" in html
    # the page gives the reason next to the derived relation, from the explanation the why query reads
    discourses = html[html.index('id="discourses-heading"') : html.index('id="positions-heading"')]
    assert "critic of:" in discourses and "because" in discourses and "/id/explanation/" in discourses
