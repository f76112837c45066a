"""``/curation``: link coverage per kind, the linkable entities without a link (with their rows'
candidates), the links whose evidence is weak; HTML for browsers, JSON for programs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from sdkg.layout import ProjectLayout
from sdkg.stats import link_coverage, linkage
from sdkg.web.app import Settings, create_app
from sdkg.wikidata import read_mappings, weak_links
from tests.conftest import REPO

ID = "https://w3id.org/sdkg/id/"


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_path, root=REPO, engine="local"))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(store_path))


def test_json_lists_exactly_the_unlinked_linkable_entities_with_their_candidates(
    client: TestClient, store: ox.Store
) -> None:
    response = client.get("/curation")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    entities = linkage(store)
    expected = {iri for iri, e in entities.items() if e.linkable and not e.link}
    assert {u["iri"] for u in body["unlinked"]} == expected
    assert not {u["iri"] for u in body["unlinked"]} & {iri for iri, e in entities.items() if not e.linkable}
    rows = {r.subject_iri: r for r in read_mappings(ProjectLayout.at(REPO)) if r.status != "suggestion"}
    by_iri = {u["iri"]: u for u in body["unlinked"]}
    morgenthau = by_iri[ID + "actor/hans-j-morgenthau"]
    assert morgenthau["candidates"] == ["Q77161"] and morgenthau["kind"] == "person"
    assert morgenthau["row"].startswith("data/mappings/") and morgenthau["row"].split(":")[1].isdigit()
    for iri, unlinked in by_iri.items():
        assert unlinked["candidates"] == (rows[iri].candidates if iri in rows else []), iri
    assert by_iri[ID + "concept/human-security"]["candidates"] == []
    header, coverage = link_coverage(store)
    assert body["coverage"] == [dict(zip(header, row, strict=True)) for row in coverage]


def test_weak_links_are_the_published_links_with_weak_evidence(client: TestClient) -> None:
    weak = {w["iri"]: w for w in client.get("/curation").json()["weak"]}
    expected = {row.subject_iri for row, _why in weak_links(read_mappings(ProjectLayout.at(REPO)))}
    assert set(weak) == expected
    lse = weak[ID + "actor/london-school-of-economics"]
    assert lse["item"] == "Q174570" and lse["predicate"] == "exactMatch" and "note:" in lse["why"]
    assert ID + "actor/united-nations" not in weak  # two documents, 0.95: not weak
    assert ID + "case/udhr-article-3" not in weak  # a broad match to the item its whole's row verifies


def test_the_page_for_people(client: TestClient) -> None:
    page = client.get("/curation", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h1>Wikidata curation</h1>" in html and 'href="/curation" aria-current="page"' in html
    assert 'href="/id/actor/hans-j-morgenthau">Hans J. Morgenthau</a>' in html
    assert 'href="https://www.wikidata.org/wiki/Q77161">Q77161</a>' in html
    assert "human security" in html and "young unemployed men" not in html
    again = client.get("/curation", headers={"Accept": "text/html", "If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert client.head("/curation", headers={"Accept": "text/html"}).status_code == 200


def test_without_the_project_tables_the_page_still_answers(store_path: Path) -> None:
    with TestClient(create_app(Settings(store_path=store_path, engine="local"))) as bare:
        body = bare.get("/curation").json()
        assert body["unlinked"] and all(u["candidates"] == [] and u["row"] == "" for u in body["unlinked"])
        assert body["weak"] == []
        assert "no mapping tables" in bare.get("/curation", headers={"Accept": "text/html"}).text


def test_the_kind_listing_shows_an_entitys_kind_not_its_linkability(client: TestClient) -> None:
    """sdkg:NotLinkableToWikidata is a second class of collectives and episodes: the /id/actor/ listing
    still shows each one's kind."""
    listing = client.get("/id/actor/", headers={"Accept": "text/html"}).text
    assert "not linkable to Wikidata" not in listing and ">collective<" in listing
    page = client.get("/id/actor/young-unemployed-men", headers={"Accept": "text/html"}).text
    assert "not linkable to Wikidata" in page  # the entity's own page says so
