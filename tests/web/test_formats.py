"""Content negotiation, result and graph formats, HEAD, gzip, validators, CORS, --data."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from sdkg.build import build
from sdkg.layout import ProjectLayout
from sdkg.progress import Progress
from sdkg.project import declared_prefixes
from sdkg.web.app import Settings, create_app
from tests.endpoint_support import EX, make_store, people

SELECT = "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?s"
CONSTRUCT = "CONSTRUCT WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = make_store(tmp_path_factory.mktemp("formats"), people(40))
    settings = Settings(
        store_path=store,
        prefixes={"ex": EX, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
        workers=1,
        public_url="http://testserver/",
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def media(response: object) -> str:
    return str(response.headers["content-type"]).split(";")[0]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        ("text/tab-separated-values;q=0.9, text/csv;q=0.8", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_results_negotiation(client: TestClient, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": SELECT}, headers=headers)
    assert response.status_code == 200
    assert media(response) == expected


def test_format_override_wins_over_accept(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT, "format": "csv"}, headers={"Accept": "application/json"})
    assert media(response) == "text/csv"
    graph = client.get("/sparql", params={"query": CONSTRUCT, "format": "ntriples"})
    assert media(graph) == "application/n-triples"


def test_406_and_415_name_the_supported_types(client: TestClient) -> None:
    refused = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert "application/sparql-results+json" in refused.json()["error"]
    graph = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"})
    assert graph.status_code == 406 and "text/turtle" in graph.json()["supported"]
    assert "text/csv" not in graph.json()["supported"]
    wrong = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415
    assert "application/sparql-query" in wrong.json()["supported"]


def test_parameters_are_url_decoded_exactly_once(client: TestClient) -> None:
    query = 'SELECT ?x WHERE { BIND("a%2Bb+c" AS ?x) }'
    for response in (
        client.get("/sparql", params={"query": query}),
        client.post("/sparql", data={"query": query}),
        client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"}),
    ):
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "a%2Bb+c"


def test_turtle_is_the_default_for_graphs_with_the_dataset_prefixes(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "*/*"})
    assert media(response) == "text/turtle"
    assert "@prefix ex: <http://example.org/>" in response.text and "ex:person/1" not in response.text
    assert len(list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))) == 40


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_graph_formats_parse_back(client: TestClient, accept: str, rdf_format: ox.RdfFormat) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept})
    assert media(response) == accept
    document = response.content
    if accept == "application/ld+json":  # resolve the published context inline to parse offline
        data = json.loads(document)
        assert data["@context"] == "http://testserver/context.jsonld"
        data["@context"] = client.get("/context.jsonld").json()["@context"]
        assert any("rdfs:label" in node for node in data["@graph"])
        document = json.dumps(data).encode()
    assert len(list(ox.parse(document, format=rdf_format))) == 40


def test_describe(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": f"DESCRIBE <{EX}person/3>"}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and "Person 3" in response.text


def test_head_has_the_headers_and_no_body(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": SELECT})
    head = client.head("/sparql", params={"query": SELECT})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]  # what GET sends (gzip or not)
    assert head.headers["etag"] == get.headers["etag"]


def test_gzip(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["results"]["bindings"]) == 40  # httpx decoded it
    raw = client.get("/sparql", params={"query": SELECT}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content)


def test_etag_and_last_modified_follow_the_data_version(client: TestClient) -> None:
    first = client.get("/sparql", params={"query": SELECT})
    tag = first.headers["etag"]
    assert tag.startswith('"test-build-1-')
    assert first.headers["last-modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    again = client.get("/sparql", params={"query": SELECT}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    since = client.get(
        "/sparql", params={"query": SELECT}, headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    other = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv"})
    assert other.headers["etag"] != tag
    changed = client.get("/sparql", params={"query": SELECT}, headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


def test_cors_on_read_endpoints(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Origin": "https://example.net"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.net",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    denied = client.options("/store", headers={"Origin": "https://example.net", "Access-Control-Request-Method": "PUT"})
    assert denied.status_code == 400  # cross-origin writes are not offered


RDF_FILES = {
    "a.ttl": "@prefix ex: <http://example.org/> . ex:a ex:p ex:b .",
    "b.trig": "@prefix ex: <http://example.org/> . ex:g { ex:c ex:p ex:d . }",
    "c.nt": "<http://example.org/e> <http://example.org/p> <http://example.org/f> .",
    "d.nq": "<http://example.org/g> <http://example.org/p> <http://example.org/h> <http://example.org/g2> .",
    "e.rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
    '<rdf:Description rdf:about="http://example.org/i"><ex:p rdf:resource="http://example.org/j"/></rdf:Description></rdf:RDF>',
    "f.jsonld": '{"@id": "http://example.org/k", "http://example.org/p": {"@id": "http://example.org/l"}}',
}


def test_serving_arbitrary_files_serves_exactly_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDKG_STATE", str(tmp_path / "state"))
    paths = []
    for name, text in RDF_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    result = build(ProjectLayout.at(tmp_path), data_paths=paths, progress=Progress(enabled=False), publish=False)
    settings = Settings(store_path=result.path / "store", prefixes=declared_prefixes(paths), workers=1)
    with TestClient(create_app(settings)) as client:
        rows = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"}).json()
        subjects = [b["s"]["value"].removeprefix(EX) for b in rows["results"]["bindings"]]
        assert subjects == ["a", "c", "e", "g", "i", "k"]
        turtle = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert "@prefix ex: <http://example.org/>" in turtle.text
        catalog = client.get("/catalog", headers={"Accept": "application/n-triples"})
        assert catalog.status_code == 200 and catalog.text.strip() == ""
