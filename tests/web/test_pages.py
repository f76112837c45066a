"""Linked-data pages, the ontology at its IRI path and the query page, over a real store."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from fastapi.testclient import TestClient

from sdkg.catalog import load_catalog
from sdkg.web.app import Settings, create_app
from sdkg.web.describe import describe_query, entity_iri
from sdkg.web.ui import example_text
from tests.web_project import FIXTURE, make_web_project, store_of

ID = "https://w3id.org/sdkg/id/"
ONTOLOGY = "https://w3id.org/sdkg/ontology"
PROTEGE_ACCEPT = "application/rdf+xml, application/xml;q=0.7, text/xml;q=0.6, text/plain;q=0.1, */*;q=0.09"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
RDFS_LABEL = rdflib.URIRef("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web_project(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(web_root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_of(web_root), root=web_root))) as test_client:
        yield test_client


def graph_of(body: bytes, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=body, format=fmt)


def test_actor_page_shows_label_type_definition_claims_and_links(client: TestClient) -> None:
    response = client.get("/id/actor/fixture-realists", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<h1>fixture realists</h1>" in html
    assert ">collective<" in html  # the type, by its ontology label
    assert "Scholars who, in the fixture essay, put the state first." in html
    assert "the realist school" in html
    # its claim, with the ascription's parts, the passage and the source
    assert 'href="/id/claim/fx-state-first"' in html
    assert "The state comes first in the fixture" in html
    assert "<mark>realists insist that the state must always be secured first</mark>" in html
    assert "Fixture essay on security" in html and "Ada Fixture" in html
    assert ">rejects<" in html
    # inverse links and the Wikidata page
    assert "Referenced by" in html and 'href="/id/ascription/fx-state-first"' in html
    assert 'href="https://www.wikidata.org/wiki/Q1234567"' in html


def test_claim_and_passage_pages(client: TestClient) -> None:
    claim = client.get("/id/claim/fx-war-shows-limits").text
    assert "Ascriptions" in claim and ">endorses<" in claim and 'href="/id/case/fixture-war"' in claim
    assert "the war showed how little the state-first view could explain" in claim
    passage = client.get("/id/passage/fx-200-260").text
    assert '<h2 id="quote-heading">Passage</h2>' in passage
    assert "characters 200–260" in passage
    assert 'href="/id/argument/fx-war-against-state-first"' in passage  # an argument rests on it


def test_labels_are_escaped(client: TestClient) -> None:
    html = client.get("/id/concept/fixture-order").text
    assert "fixture order &lt;before&gt; rights &amp; law" in html
    assert "<before>" not in html


@pytest.mark.parametrize(
    ("accept", "media_type", "rdf_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-triples", "application/n-triples", "nt"),
        (PROTEGE_ACCEPT, "application/rdf+xml", "xml"),
    ],
)
def test_entity_content_negotiation(client: TestClient, accept: str, media_type: str, rdf_format: str) -> None:
    response = client.get("/id/actor/fixture-realists", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert "Accept" in response.headers["vary"]
    graph = graph_of(response.content, rdf_format)
    subject = rdflib.URIRef(ID + "actor/fixture-realists")
    assert (subject, RDFS_LABEL, rdflib.Literal("fixture realists", lang="en")) in graph
    match = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
    assert (subject, match, rdflib.URIRef("http://www.wikidata.org/entity/Q1234567")) in graph


def test_passage_description_keeps_its_selectors(client: TestClient) -> None:
    graph = graph_of(client.get("/id/passage/fx-100-160.ttl").content, "turtle")
    exact = rdflib.URIRef("http://www.w3.org/ns/oa#exact")
    assert [str(o) for o in graph.objects(None, exact)] == [
        "realists insist that the state must always be secured first"
    ]


def test_suffix_and_format_parameter_choose_the_representation(client: TestClient) -> None:
    for path, media_type in [
        ("/id/claim/fx-state-first.ttl", "text/turtle"),
        ("/id/claim/fx-state-first.jsonld", "application/ld+json"),
        ("/id/claim/fx-state-first.rdf", "application/rdf+xml"),
        ("/id/claim/fx-state-first.html", "text/html"),
        ("/id/claim/fx-state-first?format=turtle", "text/turtle"),
    ]:
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(media_type), path
    jsonld = json.loads(client.get("/id/claim/fx-state-first.jsonld").content)
    assert "@context" in jsonld


def test_any_type_gets_html(client: TestClient) -> None:
    response = client.get("/id/case/fixture-war", headers={"Accept": "*/*"})
    assert response.headers["content-type"].startswith("text/html")
    assert "Fixture war" in response.text and "1999" in response.text


def test_unknown_and_malformed_paths_are_404_and_unacceptable_is_406(client: TestClient) -> None:
    assert client.get("/id/actor/nobody").status_code == 404
    assert client.get("/id/actor/nobody", headers={"Accept": "text/turtle"}).status_code == 404
    for path in ["/id/actor/Bad_Slug", "/id/actor/x%3E%20%3Chttp:%2F%2Fevil%3E", "/id/actor/a/b", "/id/nokind"]:
        assert client.get(path).status_code == 404, path
    response = client.get("/id/actor/fixture-realists", headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_entity_iri_accepts_only_kind_slug_paths() -> None:
    assert entity_iri("actor/mary-kaldor") == ID + "actor/mary-kaldor"
    for bad in ["actor/Mary", "actor/x> <y", "actor/", "actor/a/b", "../actor/x", "actor/x\n"]:
        assert entity_iri(bad) is None, bad
    with pytest.raises(ValueError):
        describe_query(ID + "actor/x> } ; DROP ALL ; {")


def test_browse_lists(client: TestClient) -> None:
    index = client.get("/id/").text
    assert 'href="/id/claim/"' in index
    claims = client.get("/id/claim/").text
    assert "The state comes first in the fixture" in claims and "The fixture war shows the limits" in claims


def test_ontology_for_protege_is_rdf_xml(client: TestClient) -> None:
    response = client.get("/ontology", headers={"Accept": PROTEGE_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rdf+xml")
    graph = graph_of(response.content, "xml")
    owl_ontology = rdflib.URIRef("http://www.w3.org/2002/07/owl#Ontology")
    assert (rdflib.URIRef(ONTOLOGY), rdflib.RDF.type, owl_ontology) in graph
    assert (rdflib.URIRef(ONTOLOGY + "#Claim"), rdflib.RDF.type, rdflib.OWL.Class) in graph
    assert not list(graph.subjects(rdflib.RDF.type, rdflib.URIRef(ONTOLOGY + "#Person")))  # no data


@pytest.mark.parametrize(
    ("accept", "media_type", "rdf_format"),
    [("text/turtle", "text/turtle", "turtle"), ("application/ld+json", "application/ld+json", "json-ld")],
)
def test_ontology_turtle_and_jsonld(client: TestClient, accept: str, media_type: str, rdf_format: str) -> None:
    response = client.get("/ontology", headers={"Accept": accept})
    assert response.headers["content-type"].startswith(media_type)
    graph = graph_of(response.content, rdf_format)
    assert (rdflib.URIRef(ONTOLOGY + "#Ascription"), rdflib.RDF.type, rdflib.OWL.Class) in graph


def test_ontology_documentation_for_browsers(client: TestClient) -> None:
    response = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Ascription" in response.text and "Claim" in response.text
    assert client.get("/ontology.owl").headers["content-type"].startswith("application/rdf+xml")
    assert (
        client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
        .headers["content-type"]
        .startswith("text/turtle")
    )
    assert client.get("/ontology.exe").status_code == 404


def test_query_page_lists_the_catalog_and_loads_only_local_assets(client: TestClient) -> None:
    html = client.get("/").text
    for title in ["Claims and who holds them", "How many claims does each actor report?"]:
        assert title in html
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    config = json.loads(re.search(r'<script type="application/json" id="sdkg-config">(.*?)</script>', html, re.S)[1])  # type: ignore[index]
    names = [e["name"] for e in config["examples"]]
    assert names == ["claims-and-holders", "claims-of-discourse", "claims-per-reporter"]


def test_entity_pages_load_only_local_assets(client: TestClient) -> None:
    for path in ["/id/actor/fixture-realists", "/ontology", "/id/"]:
        html = client.get(path, headers={"Accept": "text/html"}).text
        assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        remote = [a for a in assets if not a.startswith(("/", "data:"))]  # inline data: URIs fetch nothing
        assert not remote, (path, remote)


def test_example_with_a_parameter_gets_its_default_in_values() -> None:
    query = load_catalog(FIXTURE / "queries")["claims-of-discourse"]
    text = example_text(query)
    assert "VALUES ?discourse { <https://w3id.org/sdkg/id/discourse/fixture-discourse> }" in text
    assert text.index("VALUES ?discourse") > text.index("WHERE {")


def test_static_files_stay_inside_static(client: TestClient) -> None:
    assert client.get("/static/yasgui/LICENSE").status_code == 200
    assert "MIT" in client.get("/static/yasgui/LICENSE").text
    assert client.get("/static/%2e%2e/app.py").status_code == 404
    assert client.get("/static/..%2fapp.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


def test_repository_actor_page(store_path: Path) -> None:
    """The repo's own build: an actor from data/common has a page in every format."""
    with TestClient(create_app(Settings(store_path=store_path))) as repo_client:
        html = repo_client.get("/id/actor/mary-kaldor", headers={"Accept": "text/html"})
        assert html.status_code == 200 and "<h1>Mary Kaldor</h1>" in html.text
        turtle = repo_client.get("/id/actor/mary-kaldor", headers={"Accept": "text/turtle"})
        subject = rdflib.URIRef(ID + "actor/mary-kaldor")
        assert (subject, RDFS_LABEL, rdflib.Literal("Mary Kaldor", lang="en")) in graph_of(turtle.content, "turtle")
        assert repo_client.get("/").status_code == 200  # no root: no catalog, still a page


def test_ontology_release_files_are_served_once_made(client: TestClient) -> None:
    """With sdkg.release present, /ontology serves its pyLODE page (with the site bar) and sdkg.owl."""
    client.get("/ontology")  # starts the release step in the background
    files = client.app.state.server.ontology_files  # type: ignore[attr-defined]
    client.portal.call(files.ready)  # type: ignore[union-attr]
    made = files.task.result()
    assert made is not None and {"text/html", "application/rdf+xml"} <= set(made)
    assert made["application/rdf+xml"].name == "sdkg.owl"
    html = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT}).text
    assert 'aria-label="Site"' in html and 'href="/sparql"' in html and 'id="Claim"' in html
    owl = client.get("/ontology", headers={"Accept": PROTEGE_ACCEPT})
    assert owl.content == made["application/rdf+xml"].read_bytes()
    graph = graph_of(owl.content, "xml")
    assert (rdflib.URIRef(ONTOLOGY), rdflib.RDF.type, rdflib.OWL.Ontology) in graph


def listed(html: str, kind: str) -> list[str]:
    """The entity paths a listing page links to, in the order shown."""
    return re.findall(rf'<td><a href="(/id/{kind}/[a-z0-9-]+)"', html)


def pager(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_listings_page_by_keys_through_every_entity_and_back(store_path: Path, built_root: Path) -> None:
    """/id/passage/ (382 passages, more than a page): Next from page to page lists each passage once, in IRI
    order, as many as the heading counts; Previous from the last page comes back to the same pages."""
    with TestClient(create_app(Settings(store_path=store_path, root=built_root))) as repo:
        first = repo.get("/id/passage/", headers={"Accept": BROWSER_ACCEPT})
        assert first.status_code == 200
        total = int(re.search(r'<span class="count">\((\d+)\)</span>', first.text).group(1))  # type: ignore[union-attr]
        pages = [listed(first.text, "passage")]
        assert pager(first.text, "prev") is None and len(pages[0]) == 200
        html = first.text
        while (after := pager(html, "next")) is not None:
            html = repo.get(after).text
            pages.append(listed(html, "passage"))
        assert len(pages) == -(-total // 200) >= 2
        every = [path for page in pages for path in page]
        assert len(every) == len(set(every)) == total and every == sorted(every)
        back = [pages[-1]]
        while (before := pager(html, "prev")) is not None:
            html = repo.get(before).text
            back.insert(0, listed(html, "passage"))
        assert [path for page in back for path in page] == every
        for bad in ["?after=a&before=b", "?after=A%20B", "?page=2", "?after=x&after=y"]:
            response = repo.get("/id/passage/" + bad, headers={"Accept": "application/json"})
            assert response.status_code == 400, bad
            assert "after=SLUG" in response.json()["error"] or "slug" in response.json()["error"]
