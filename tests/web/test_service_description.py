"""Self-description: the SPARQL service description, VoID, the catalog as sh:SPARQLExecutable."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from sdkg.web.app import Settings, create_app
from tests.endpoint_support import EX, make_store, people

WHO = """# title: Who is there?
# description: Everyone with a label.
# question: Which people does the graph know?
# param: person = <http://example.org/person/1>  (a person)
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ex: <http://example.org/>
SELECT ?person ?label WHERE { ?person a ex:Person ; rdfs:label ?label }
"""
GRAPH = """# title: People as a graph
PREFIX ex: <http://example.org/>
CONSTRUCT WHERE { ?person a ex:Person }
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("describe")
    root = directory / "project"
    (root / "queries").mkdir(parents=True)
    (root / "queries" / "who-is-there.rq").write_text(WHO, encoding="utf-8")
    (root / "queries" / "people-graph.rq").write_text(GRAPH, encoding="utf-8")
    settings = Settings(
        store_path=make_store(directory, people(5)), root=root, workers=1, public_url="http://testserver/"
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def load(response: object) -> ox.Store:
    store = ox.Store()
    content = response.content
    store.load(content, format=ox.RdfFormat.TURTLE, base_iri="http://testserver/")
    return store


def ask(store: ox.Store, query: str) -> bool:
    prefixes = (
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> PREFIX void: <http://rdfs.org/ns/void#> "
        "PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    )
    return bool(store.query(prefixes + query))


def test_service_description_on_get_without_query(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    store = load(response)
    assert ask(
        store,
        "ASK { ?s a sd:Service ; sd:endpoint <http://testserver/sparql> ; sd:supportedLanguage sd:SPARQL11Query }",
    )
    assert ask(store, "ASK { ?s sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_CSV> }")
    assert not ask(store, "ASK { ?s sd:supportedLanguage sd:SPARQL11Update }")
    assert ask(
        store,
        f"ASK {{ ?s sd:defaultDataset/sd:namedGraph [ sd:name <{EX}graph/people> ; sd:graph/void:triples 10 ] }}",
    )


def test_void_has_class_and_property_partitions_with_counts(client: TestClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    store = load(response)
    assert ask(store, "ASK { ?d a void:Dataset ; void:triples 11 ; void:sparqlEndpoint <http://testserver/sparql> }")
    assert ask(store, f"ASK {{ ?d void:classPartition [ void:class <{EX}Person> ; void:entities 5 ] }}")
    assert ask(store, f"ASK {{ ?d void:classPartition [ void:class <{EX}Document> ; void:entities 1 ] }}")
    assert ask(
        store,
        "ASK { ?d void:propertyPartition [ void:property rdfs:label ; void:triples 5 ] }",
    )


def test_catalog_as_shacl_executables(client: TestClient) -> None:
    store = load(client.get("/catalog", headers={"Accept": "text/turtle"}))
    who = "<http://testserver/catalog/who-is-there>"
    assert ask(store, f"ASK {{ {who} a sh:SPARQLSelectExecutable, sh:SPARQLExecutable ; sh:select ?text }}")
    assert ask(
        store,
        f'ASK {{ {who} sh:prefixes/sh:declare [ sh:prefix "ex" ; sh:namespace "{EX}"^^xsd:anyURI ] }}',
    )
    sh = "PREFIX sh: <http://www.w3.org/ns/shacl#> "
    text = next(iter(store.query(f"{sh}SELECT ?t WHERE {{ {who} sh:select ?t }}")))["t"].value
    assert "PREFIX" not in text and text.lstrip().startswith("SELECT")
    assert ask(store, "ASK { <http://testserver/catalog/people-graph> a sh:SPARQLConstructExecutable }")
    # the executable, with its declared prefixes, runs on the endpoint
    declared = store.query(
        f"{sh}SELECT ?p ?n WHERE {{ {who} sh:prefixes/sh:declare [ sh:prefix ?p ; sh:namespace ?n ] }}"
    )
    prologue = "".join(f"PREFIX {row['p'].value}: <{row['n'].value}>\n" for row in declared)
    rows = client.get("/sparql", params={"query": prologue + text}).json()["results"]["bindings"]
    assert len(rows) == 5
    one = client.get("/catalog/who-is-there", headers={"Accept": "application/n-triples"})
    assert one.status_code == 200 and "people-graph" not in one.text
    assert client.get("/catalog/nothing-here").status_code == 404
    description = load(client.get("/sparql", headers={"Accept": "text/turtle"}))
    assert ask(description, f"ASK {{ {who} a sh:SPARQLSelectExecutable }}")


def test_the_host_header_is_never_reflected(client: TestClient) -> None:
    """The base of every self-description is the configured public URL, whatever Host a client sends."""
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for path in ("/sparql", "/.well-known/void", "/catalog"):
        response = client.get(path, headers={**evil, "Accept": "text/turtle"})
        assert response.status_code == 200 and "evil.example" not in response.text, path
    context = client.get(
        "/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
        headers={**evil, "Accept": "application/ld+json"},
    )
    assert context.json()["@context"] == "http://testserver/context.jsonld"
