"""/search, /search/suggest, /explore, its downloads, /cite and the catalog's search parameter, over HTTP.

The app serves the repository's build (worker engine, the server's guards); every query-string value
is checked (a 400 with a message, never a 500), answers are capped at the row cap and say so.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkg.search.schema import INDEX_FILE
from sdkg.web.app import Settings, create_app
from tests.web_project import make_web_project, store_of

ID = "https://w3id.org/sdkg/id/"
KALDOR = "actor/mary-kaldor"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(store_path: Path, built_root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_path, root=built_root))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def capped(store_path: Path, built_root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_path, root=built_root, max_rows=5))) as test_client:
        yield test_client


def test_search_answers_html_with_highlights_and_json(client: TestClient) -> None:
    page = client.get("/search?q=libya", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<mark>Libya</mark>" in page.text and 'href="/id/actor/libya"' in page.text
    assert 'href="/explore?q=libya"' in page.text
    data = client.get("/search.json?q=libya&kind=passage&size=3").json()
    assert data["total"] == data["counts"]["passage"] and len(data["results"]) == 3
    assert all(r["kind"] == "passage" and r["iri"].startswith(ID + "passage/") for r in data["results"])
    assert data["results"][0]["passage"]["source"] == ID + "source/kaldor-cosmopolitan-rejoinder"
    same = client.get("/search?q=libya&kind=passage&size=3", headers={"Accept": "application/json"}).json()
    assert same == data
    second = client.get("/search.json?q=libya&kind=passage&size=3&page=2").json()
    assert not {r["iri"] for r in second["results"]} & {r["iri"] for r in data["results"]}


def test_what_the_data_says_is_escaped_and_so_is_the_query(client: TestClient) -> None:
    page = client.get("/search?q=" + quote("<script>alert(1)</script> libya"), headers=BROWSER)
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


def test_type_ahead(client: TestClient) -> None:
    found = client.get("/search/suggest?q=kald").json()["suggestions"]
    assert found[0] == {
        "kind": "actor",
        "iri": ID + KALDOR,
        "label": "Mary Kaldor",
        "type": "person",
        "description": None,
        "href": "/id/" + KALDOR,
        "label_html": "Mary <mark>Kaldor</mark>",
    }
    assert client.get("/search/suggest?q=").json()["suggestions"] == []
    assert len(client.get("/search/suggest?q=s&limit=3").json()["suggestions"]) == 3


def test_the_search_box_is_on_every_page(client: TestClient) -> None:
    for path in ["/", "/id/", "/id/actor/mary-kaldor", "/id/claim/", "/search", "/explore", "/ontology", "/id/nope/x"]:
        html = client.get(path, headers=BROWSER).text
        assert 'role="search"' in html and 'role="combobox"' in html and "/static/sdkg-search.js" in html, path
    assert client.get("/static/sdkg-search.js").status_code == 200
    assert client.get("/static/sdkg-search.css").status_code == 200


def test_explore_filters_counts_and_permalinks(client: TestClient) -> None:
    page = client.get(f"/explore?holder={KALDOR}&stance=endorses", headers=BROWSER)
    assert page.status_code == 200
    html = page.text
    assert "Held by: Mary Kaldor" in html and "Stance: endorses" in html
    assert html.count('class="card claim-card"') == 20
    assert 'rel="next"' in html and "Download this selection" in html
    data = client.get(f"/explore.json?holder={KALDOR}&stance=endorses").json()
    assert data["total"] == len(data["claims"]) > 20 and not data["truncated"]
    assert all(c["holders"][0]["value"] == ID + KALDOR and c["stance"]["label"] == "endorses" for c in data["claims"])
    assert data["claims"][0]["cite"]["bib"].startswith("/cite/ascription/")
    assert f"{data['total']} claims" in html
    rows = list(csv.reader(io.StringIO(client.get(f"/explore.csv?holder={KALDOR}&stance=endorses").text)))
    assert rows[0][:3] == ["claim", "label", "paraphrase"] and len(rows) == data["total"] + 1
    # words and facets together; the next page starts after the last card of this one
    libya = client.get(f"/explore.json?q=libya&holder={KALDOR}&stance=endorses").json()
    assert 0 < libya["total"] < data["total"]
    first = client.get(f"/explore?holder={KALDOR}&stance=endorses&size=5", headers=BROWSER).text
    after = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "after=" in after
    nxt = client.get(after, headers=BROWSER).text
    assert nxt.count('class="card claim-card"') == 5 and 'rel="prev"' in nxt


def test_citations(client: TestClient) -> None:
    bib = client.get("/cite/ascription/kr-libya-r2p-given-to-nato.bib")
    assert bib.status_code == 200 and bib.headers["content-type"].startswith("application/x-bibtex")
    assert bib.text.startswith("@article{kaldor-cosmopolitan-rejoinder,")
    csl = client.get("/cite/ascription/kr-libya-r2p-given-to-nato.json").json()
    assert csl[0]["title"] == "The Cosmopolitan Rejoinder"
    text = client.get("/cite/ascription/kr-libya-r2p-given-to-nato.txt").text
    assert "characters 4989–5109" in text
    assert client.get("/cite/ascription/nothing-here.bib").status_code == 404
    assert client.get("/cite/ascription/kr-libya-r2p-given-to-nato.pdf").status_code == 404
    assert client.get("/cite/ascription/kr-libya-r2p-given-to-nato.bib?x=1").status_code == 400


def test_the_catalog_searches_with_the_index(client: TestClient) -> None:
    entry = next(q for q in client.get("/queries").json()["queries"] if q["name"] == "passage-search")
    assert entry["parameters"][0]["kind"] == "search"
    rows = client.get("/queries/passage-search.json?text=libya").json()["results"]["bindings"]
    found = client.get("/search.json?q=libya&kind=passage&size=100").json()
    assert [r["passage"]["value"] for r in rows] == [r["iri"] for r in found["results"]]
    scores = [float(r["score"]["value"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(r["text"]["value"] == "libya" for r in rows)
    default = client.get("/queries/passage-search.json").json()["results"]["bindings"]
    assert default and "human security" in default[0]["exact"]["value"].lower()
    bad = client.get("/queries/passage-search.json?text=%22open")
    assert bad.status_code == 400 and "not closed" in bad.json()["error"]
    none = client.get("/queries/passage-search.json?text=xyzzyplugh").json()["results"]["bindings"]
    assert none == []
    assert "search passage" in client.get("/queries/passage-search.rq").text


def test_the_query_page_example_runs_the_search(client: TestClient) -> None:
    html = client.get("/", headers=BROWSER).text
    assert "matches of the search index for" in html and "VALUES (?passage ?score)" in html


def test_answers_are_capped_at_the_row_cap_and_say_so(capped: TestClient) -> None:
    answer = capped.get("/explore.json?stance=endorses")
    data = answer.json()
    assert len(data["claims"]) == 5 and data["truncated"] and data["total"] > 5
    assert answer.headers["X-SDKG-Truncated"] == "true" and answer.headers["X-SDKG-Row-Limit"] == "5"
    assert len(capped.get("/search.json?q=security&size=50").json()["results"]) == 5
    canned = capped.get("/queries/passage-search.json?text=security")
    assert canned.headers["X-SDKG-Truncated"] == "true" and len(canned.json()["results"]["bindings"]) == 5


def test_validators_and_head(client: TestClient) -> None:
    first = client.get("/search.json?q=kosovo")
    again = client.get("/search.json?q=kosovo", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    head = client.head("/explore?stance=rejects")
    assert head.status_code == 200 and head.content == b""


def test_search_is_metered(client: TestClient) -> None:
    client.get("/search.json?q=rwanda")
    metrics = client.get("/metrics").text
    assert 'sdkg_queries_total{status="200"}' in metrics


BAD = [
    ("/search?q=libya&colour=red", "unknown parameter 'colour'"),
    ("/search?q=libya&kind=book", "parameter 'kind' must be one of"),
    ("/search?q=libya&page=0", "between 1 and"),
    ("/search?q=libya&page=two", "whole number"),
    ("/search?q=libya&size=1000", "between 1 and 100"),
    ("/search?q=a&q=b", "more than 1 time"),
    ("/search?q=libya&format=xml", "must be one of html, json"),
    ("/search.json?q=", "give the words to search for"),
    ("/search.json?q=" + "x" * 501, "at most 500"),
    ("/search.json?q=%22human", "not closed"),
    ("/search.json?q=-bosnia", "only says what to leave out"),
    ("/search/suggest?q=kal&limit=100", "between 1 and 20"),
    ("/search/suggest?q=" + "k" * 201, "at most 200"),
    ("/explore?after=-1", "between 0 and"),
    ("/explore?after=1&before=5", "not both"),
    ("/explore?size=0", "between 1 and 100"),
    ("/explore?more=colour", "must name a facet"),
    ("/explore?holder=actor/nobody", "no holder 'actor/nobody'"),
    ("/explore?stance=" + "e" * 301, "at most 300"),
    ("/explore?colour=red", "unknown parameter 'colour'"),
    ("/explore.json?q=%22open", "not closed"),
    ("/explore.csv?after=3", "unknown parameter 'after'"),
]


@pytest.mark.parametrize(("path", "message"), BAD)
def test_bad_values_answer_400_with_a_message(client: TestClient, path: str, message: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]


def test_a_bad_search_in_a_browser_shows_the_page_with_the_message(client: TestClient) -> None:
    for path in ("/search?q=%22human", "/explore?q=%22human"):
        page = client.get(path, headers=BROWSER)
        assert page.status_code == 400 and 'role="alert"' in page.text and "not closed" in page.text


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(words=TEXT, key=TEXT, number=st.text(max_size=6))
def test_no_value_makes_a_500(client: TestClient, words: str, key: str, number: str) -> None:
    for path, params in [
        ("/search.json", {"q": words}),
        ("/search", {"q": words, "page": number}),
        ("/search/suggest", {"q": words}),
        ("/explore", {"q": words, "holder": key, "after": number}),
        ("/explore.json", {"q": words, "case": key}),
        ("/queries/passage-search.json", {"text": words}),
    ]:
        answer = client.get(path, params=params, headers=BROWSER)
        assert answer.status_code in (200, 400), (path, params, answer.status_code, answer.text[:300])


@pytest.fixture(scope="module")
def without_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = make_web_project(tmp_path_factory.mktemp("no-index"))
    (store_of(root).parent / INDEX_FILE).unlink()
    with TestClient(create_app(Settings(store_path=store_of(root), root=root))) as test_client:
        yield test_client
    shutil.rmtree(root, ignore_errors=True)


def test_a_build_without_an_index_answers_503_and_the_rest_works(without_index: TestClient) -> None:
    for path in ("/search.json?q=state", "/explore", "/search/suggest?q=st", "/cite/ascription/fx-state-first.bib"):
        answer = without_index.get(path)
        assert answer.status_code == 503 and "sdkg build" in answer.json()["error"], path
    assert without_index.get("/").status_code == 200
    assert without_index.get("/id/claim/fx-state-first").status_code == 200


def test_the_urls_the_docs_give_answer(client: TestClient) -> None:
    """The README and docs/querying.md show scholars these addresses: each answers 200 on the repository's data."""
    from tests.conftest import REPO

    found: set[str] = set()
    for doc in ("README.md", "docs/querying.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        found |= set(re.findall(r"http://127\.0\.0\.1:8000(/(?:search|explore|cite)[^\s>)`'\"]*)", text))
        found |= set(re.findall(r"`(/(?:search|explore|cite)[^\s`]*)`", text))
    paths = {p for p in found if "..." not in p and "{" not in p and p != "/search.json"}  # that one needs ?q=
    assert len(paths) >= 8
    for path in sorted(paths):
        answer = client.get(path, headers=BROWSER)
        assert answer.status_code == 200, (path, answer.text[:200])


def test_after_an_admin_change_the_server_searches_the_new_build(tmp_path: Path) -> None:
    """The index is the served build's: a change publishes a build with its own index, and the server reads that."""
    from tests.search.test_build_index import NEW_CLAIM

    root = make_web_project(tmp_path)
    settings = Settings(store_path=store_of(root), admin_token="t0ken", workers=1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/search.json?q=zanzibar").json()["total"] == 0
        before = client.get("/explore.json").json()["total"]
        changed = client.post("/sparql", data={"update": NEW_CLAIM}, headers={"Authorization": "Bearer t0ken"})
        assert changed.status_code == 200, changed.text
        found = client.get("/search.json?q=zanzibar").json()
        assert [r["iri"] for r in found["results"]] == [ID + "claim/fx-added"]
        assert client.get("/explore.json").json()["total"] == before + 1
        assert "Zanzibar" in client.get("/explore?stance=endorses", headers=BROWSER).text


def test_a_facet_lists_all_its_values_when_asked(client: TestClient) -> None:
    short = client.get("/explore", headers=BROWSER).text
    holders = short.split('id="facet-holder"')[1].split("</section>")[0]
    assert holders.count("<li>") == 12 and "more=holder" in holders
    full = client.get("/explore?more=holder", headers=BROWSER).text
    every = full.split('id="facet-holder"')[1].split("</section>")[0]
    total = len(client.get("/explore.json").json()["claims"])
    assert every.count("<li>") > 12 and ">Fewer<" in every
    counts = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', every)]
    assert counts == sorted(counts, reverse=True) and sum(counts) == total  # one holder per ascription here
