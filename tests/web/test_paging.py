"""Pages of the canned queries over HTTP, from a real ``sdkg serve`` (no browser): ``?page=N&size=S`` on
``/queries/{name}.json`` and ``.csv``, and ``/queries/{name}`` as an HTML page.

The pages of an answer, put together, are the whole answer in its order; each page links to the
next one until the last; a page that the page boundary ended says ``X-SDKG-Truncated: false``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from sdkg.sparql.bindings import substitute
from sdkg.web.paging import MOST_LOOKED_UP, Page, pageable
from tests.endpoint_support import sdkg_server

Row = dict[str, object]


@pytest.fixture(scope="module")
def base(built_root: Path) -> Iterator[str]:
    with sdkg_server(built_root, "--result-cache", "0") as (url, _):
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=60) as http:
        yield http


def rows(response: httpx.Response) -> list[Row]:
    assert response.status_code == 200, response.text
    return list(json.loads(response.content)["results"]["bindings"])


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


def all_pages(client: httpx.Client, name: str, size: int) -> tuple[list[Row], list[httpx.Response]]:
    """Every page of ``name``, following the ``next`` links from page 1."""
    responses = [client.get(f"/queries/{name}.json", params={"size": size})]
    while "next" in links(responses[-1]):
        assert len(responses) < 100
        responses.append(client.get(links(responses[-1])["next"]))
    return [row for response in responses for row in rows(response)], responses


@pytest.mark.parametrize(
    "name", ["reported-positions-by-holder", "stance-summary", "attacks", "concepts", "reported-positions"]
)
def test_the_pages_put_together_are_the_whole_answer(client: httpx.Client, name: str) -> None:
    whole = client.get(f"/queries/{name}.json")
    assert whole.headers["x-sdkg-truncated"] == "false" and "link" not in whole.headers  # no page asked: as before
    expected = rows(whole)
    size = max(2, len(expected) // 3)  # three pages or four, the last one short or full
    paged, responses = all_pages(client, name, size)
    assert paged == expected  # rows, values and order
    assert len(responses) == -(-len(expected) // size)  # as many pages as it takes, and no empty one
    for number, response in enumerate(responses, start=1):
        assert response.headers["x-sdkg-page"] == str(number)
        assert response.headers["x-sdkg-page-size"] == str(size)
        assert response.headers["x-sdkg-truncated"] == "false"  # the page boundary is not a truncation
        assert ("prev" in links(response)) == (number > 1) == ("first" in links(response))
        assert ("next" in links(response)) == (number < len(responses))
        assert len(rows(response)) == (size if number < len(responses) else len(expected) - size * (number - 1))


@pytest.mark.parametrize("words", ["security", "the"])  # scores tied in pairs; every score tied (a stop word)
def test_a_page_of_a_search_binds_only_the_best_matches_and_is_the_same_page(client: httpx.Client, words: str) -> None:
    """``passage-search`` sorts by the score first, so a page binds only the matches it needs (and their ties):
    each page is still that page of the whole answer, ties sorted by source and position among all matches."""
    whole = rows(client.get("/queries/passage-search.json", params={"text": words}))
    assert len(whole) > 100
    for size in (3, 7, 40):
        for number in (1, 2, 3, len(whole) // size + 1):
            response = client.get("/queries/passage-search.json", params={"text": words, "size": size, "page": number})
            assert rows(response) == whole[(number - 1) * size : number * size], (size, number)
            assert ("next" in links(response)) == (number * size < len(whole))
            assert response.headers["x-sdkg-truncated"] == "false"  # neither the page nor the matches were cut


def test_page_two_and_the_last_page(client: httpx.Client) -> None:
    expected = rows(client.get("/queries/reported-positions-by-holder.json"))
    assert len(expected) > 6
    second = client.get("/queries/reported-positions-by-holder.json", params={"page": 2, "size": 3})
    assert rows(second) == expected[3:6]
    assert links(second) == {
        "first": "/queries/reported-positions-by-holder.json?size=3&page=1",
        "prev": "/queries/reported-positions-by-holder.json?size=3&page=1",
        "next": "/queries/reported-positions-by-holder.json?size=3&page=3",
    }
    last_number = -(-len(expected) // 3)
    last = client.get("/queries/reported-positions-by-holder.json", params={"page": last_number, "size": 3})
    assert rows(last) == expected[3 * (last_number - 1) :] and "next" not in links(last)
    assert last.headers["x-sdkg-truncated"] == "false"
    beyond = client.get("/queries/reported-positions-by-holder.json", params={"page": last_number + 1, "size": 3})
    assert rows(beyond) == [] and "next" not in links(beyond) and "prev" in links(beyond)


def test_a_page_as_csv_and_with_a_parameter(client: httpx.Client) -> None:
    discourse = "https://w3id.org/sdkg/id/discourse/realist"
    whole = list(
        csv.DictReader(io.StringIO(client.get("/queries/discourse-critics.csv", params={"discourse": discourse}).text))
    )
    assert len(whole) > 2
    page = client.get("/queries/discourse-critics.csv", params={"discourse": discourse, "page": 2, "size": 2})
    assert page.status_code == 200
    assert list(csv.DictReader(io.StringIO(page.text))) == whole[2:4]
    assert (
        links(page)["next"].startswith("/queries/discourse-critics.csv?")
        and f"discourse={discourse}".replace(":", "%3A").replace("/", "%2F") in links(page)["next"]
    )


def test_the_html_page_shows_one_page_with_its_links(client: httpx.Client) -> None:
    expected = rows(client.get("/queries/reported-positions-by-holder.json"))
    first = client.get("/queries/reported-positions-by-holder", params={"size": 4})
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    assert first.text.count("<tr>") == 1 + 4  # the header row and a page of four
    assert (
        'rel="next" href' not in first.text
        and 'href="/queries/reported-positions-by-holder?size=4&amp;page=2" rel="next"' in (first.text)
    )
    assert 'rel="prev"' not in first.text
    last_number = -(-len(expected) // 4)
    last = client.get("/queries/reported-positions-by-holder", params={"size": 4, "page": last_number})
    assert last.status_code == 200
    assert last.text.count("<tr>") == 1 + len(expected) - 4 * (last_number - 1)
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text
    label = expected[-1]["holderLabel"]["value"]  # type: ignore[index]
    assert str(label) in last.text
    assert f'href="/queries/reported-positions-by-holder.json?size=4&amp;page={last_number}"' in last.text


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("page=0", 400, "page must be a whole number"),
        ("page=x", 400, "page must be a whole number"),
        ("size=0", 400, "size must be a whole number"),
        ("size=10001", 400, "size must be a whole number from 1 to 10000"),
        ("page=1&page=2", 400, "page is given more than once"),
    ],
)
def test_bad_paging_is_a_clear_400(client: httpx.Client, query: str, status: int, message: str) -> None:
    for path in ("/queries/stance-summary.json", "/queries/stance-summary"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == status and message in response.text, (path, response.text[:300])
        assert "Traceback" not in response.text


def test_a_construct_is_not_paged(client: httpx.Client) -> None:
    assert client.get("/queries/argument-map.ttl").status_code == 200
    paged = client.get("/queries/argument-map.ttl", params={"page": 2})
    assert paged.status_code == 400 and "page and size are for solutions" in paged.text
    assert client.get("/queries/argument-map").status_code == 404  # no HTML table of triples: .ttl or .jsonld


def test_a_numbered_page_binds_its_row_numbers_and_one_more() -> None:
    """Page 3 of size 2 reads rows 5, 6 and 7 (one more tells that a next page exists), with a parameter bound in
    the same block, and no OFFSET."""
    store = ox.Store()
    for part in ("a", "b"):
        for n in range(1, 11):
            store.add(ox.Quad(ox.NamedNode(f"http://x/{part}{n}"), ox.NamedNode("http://x/n"), ox.Literal(n)))
            store.add(ox.Quad(ox.NamedNode(f"http://x/{part}{n}"), ox.NamedNode("http://x/part"), ox.Literal(part)))
    text = "SELECT ?row WHERE { ?row <http://x/n> ?rowNumber ; <http://x/part> ?part } ORDER BY ?rowNumber"
    paged = Page(3, 2, "rowNumber").query(text, {"part": ox.Literal("b")})
    assert "OFFSET" not in paged and paged.rstrip().endswith("LIMIT 3")
    result = store.query(paged)
    assert isinstance(result, ox.QuerySolutions)
    assert [str(row["row"].value) for row in result] == ["http://x/b5", "http://x/b6", "http://x/b7"]  # type: ignore[union-attr]
    assert Page(3, 2).query(text).rstrip().endswith("LIMIT 3 OFFSET 4")


def test_a_long_numbered_page_filters_its_numbers_instead() -> None:
    """Past MOST_LOOKED_UP numbers a page keeps its rows with a FILTER on the numbers (Oxigraph plans a longer
    VALUES block badly): the same rows, page by page, with the parameter still bound."""
    store = ox.Store()
    for part in ("a", "b"):
        for n in range(1, 2 * MOST_LOOKED_UP + 501):
            store.add(ox.Quad(ox.NamedNode(f"http://x/{part}{n}"), ox.NamedNode("http://x/n"), ox.Literal(n)))
            store.add(ox.Quad(ox.NamedNode(f"http://x/{part}{n}"), ox.NamedNode("http://x/part"), ox.Literal(part)))
    text = "SELECT ?row WHERE { ?row <http://x/n> ?rowNumber ; <http://x/part> ?part } ORDER BY ?rowNumber"

    def rows(page: Page) -> list[str]:
        query = page.query(text, {"part": ox.Literal("b")})
        assert ("FILTER" in query) == (page.size >= MOST_LOOKED_UP) and "OFFSET" not in query
        result = store.query(query)
        assert isinstance(result, ox.QuerySolutions)
        return [str(row["row"].value) for row in result]  # type: ignore[union-attr]

    for size in (MOST_LOOKED_UP - 1, MOST_LOOKED_UP, MOST_LOOKED_UP + 1):
        for number in (1, 2, 3):
            first = (number - 1) * size + 1
            wanted = range(first, min(first + size + 1, 2 * MOST_LOOKED_UP + 501))
            assert rows(Page(number, size, "rowNumber")) == [f"http://x/b{n}" for n in wanted], (size, number)


def test_a_query_with_its_own_limit_is_answered_whole() -> None:
    assert pageable("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")
    assert pageable("SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 } VALUES ?s { 1 } }")
    assert not pageable("SELECT ?s WHERE { ?s ?p ?o } LIMIT 10")
    assert not pageable("SELECT ?s WHERE { ?s ?p ?o } OFFSET 10")
    assert not pageable("SELECT ?s WHERE { ?s ?p ?o } VALUES ?s { <x> }")
    assert pageable("SELECT ?s WHERE { ?s ?p ?o } # LIMIT 10")


DIRECT = Path(__file__).resolve().parents[2] / "queries" / "direct"


def direct_rows(client: httpx.Client, name: str, **binds: str) -> list[Row]:
    """The listing sorted the long way (``queries/direct/NAME.rq``), through ``/sparql``."""
    text = substitute(
        (DIRECT / f"{name}.rq").read_text(encoding="utf-8"), {v: ox.NamedNode(i) for v, i in binds.items()}
    )
    response = client.post("/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"})
    return rows(response)


@pytest.mark.parametrize("name", ["reported-positions", "rejected-claims", "attacks", "discourse-concepts"])
def test_a_numbered_listing_pages_by_its_row_numbers(client: httpx.Client, name: str) -> None:
    """Each page binds the rows of its numbers: the same rows, in the same places, as the direct form sorted
    whole, far into the listing, and the page past the end is empty; a page too long to bind its numbers
    filters them, and the whole answer too."""
    expected = direct_rows(client, name)
    assert len(expected) > 8, name
    assert rows(client.get(f"/queries/{name}.json", params={"size": MOST_LOOKED_UP})) == expected
    assert rows(client.get(f"/queries/{name}.json")) == expected
    size = 3
    for number in (1, 2, len(expected) // size, -(-len(expected) // size)):
        page = client.get(f"/queries/{name}.json", params={"page": number, "size": size})
        assert rows(page) == expected[size * (number - 1) : size * number], (name, number)
        assert ("next" in links(page)) == (size * number < len(expected)), (name, number)
    beyond = client.get(f"/queries/{name}.json", params={"page": -(-len(expected) // size) + 1, "size": size})
    assert rows(beyond) == []


def test_a_numbered_listing_with_a_parameter_is_numbered_per_value(client: httpx.Client) -> None:
    """``discourse-critics`` is numbered from 1 for each discourse; its premises are the build's copies of the
    support links' labels (``sdkg:rowPremiseLabel``), the same as the direct form reads from the links."""
    premises = 0
    for discourse in ("realist", "pluralist", "critical"):
        iri = f"https://w3id.org/sdkg/id/discourse/{discourse}"
        expected = concatenations_as_sets(direct_rows(client, "discourse-critics", discourse=iri))
        premises += sum(1 for row in expected[:4] if row.get("supportedBy"))
        for number in (1, 2):
            page = client.get("/queries/discourse-critics.json", params={"discourse": iri, "page": number, "size": 2})
            assert concatenations_as_sets(rows(page)) == expected[2 * number - 2 : 2 * number], discourse
    assert premises  # the pages compared show premises


def concatenations_as_sets(found: list[Row]) -> list[Row]:
    """Rows with ``discourse-critics``' concatenated columns as sets (GROUP_CONCAT's order is the engine's)."""
    return [
        {k: frozenset(v["value"].split(" | ")) if k in ("supportedBy", "quotes") else v for k, v in row.items()}  # type: ignore[index]
        for row in found
    ]


def test_the_whole_of_a_numbered_listing_is_cut_at_the_row_cap(built_root: Path) -> None:
    """Without page or size, a numbered listing is read up to the row cap from its numbers: the first rows of
    the direct form, and marked truncated."""
    with sdkg_server(built_root, "--result-cache", "0", "--max-rows", "5") as (url, _):
        with httpx.Client(base_url=url, timeout=60) as capped:
            whole = capped.get("/queries/reported-positions.json")
            assert whole.headers["x-sdkg-truncated"] == "true"
            assert rows(whole) == direct_rows(capped, "reported-positions")[:5]
