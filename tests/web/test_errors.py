"""The one error path (sdkg.web.errors): each kind of failure gets its status in one place, and one handler
answers it as JSON for programs and as an HTML page for browsers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdkg.build.changes import InvalidChange, NoSuchGraph
from sdkg.catalog import CatalogError
from sdkg.project import ProjectError
from sdkg.sparql import errors as query
from sdkg.sparql.dataset import DatasetError
from sdkg.web.app import Settings, create_app
from sdkg.web.errors import NotFound, as_http, prefers_html
from tests.endpoint_support import make_store, people

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
YASGUI = "application/sparql-results+json,*/*;q=0.9"


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (query.MalformedQuery("error at 1:3"), 400, "malformed query: error at 1:3"),
        (query.QueryFailed("OSError: boom"), 400, "query failed: OSError: boom"),
        (query.Unverifiable("could not be checked"), 400, "could not be checked"),
        (query.Refused("SERVICE <x> is not allowed"), 403, "SERVICE <x> is not allowed"),
        (query.NotAcceptable(["text/turtle"]), 406, "Not Acceptable: supported types are text/turtle"),
        (query.QueryTimeout(2.0), 504, "query timed out: the query was stopped after 2 s (the time limit)"),
        (query.EngineBusy("all busy"), 503, "all busy"),
        (query.WorkerFailed("died"), 503, "died"),
        (
            query.UpstreamFailed("OSError: failed to lookup address wikidata.internal:443 (/etc/resolv.conf)"),
            502,
            "a federated endpoint could not be queried (offline, refused or unavailable)",
        ),
        (
            query.StoreCorrupted("OSError: Corruption: block checksum mismatch in /srv/var/builds/x/store/000123.sst"),
            500,
            "the store failed an integrity check; the server's operator has been told",
        ),
        (
            query.MemoryCapExceeded(512),
            507,
            "the query needed more than the 512 MB a query worker may use; it was stopped",
        ),
        (DatasetError("bad using-graph-uri"), 400, "bad using-graph-uri"),
        (InvalidChange("malformed update: x"), 400, "malformed update: x"),
        (NoSuchGraph("no graph <g>"), 404, "no graph <g>"),
        (ProjectError(Path("data/x.ttl"), "broken", 3), 500, "cannot read the project: data/x.ttl:3: broken"),
        (CatalogError("queries/x.rq:1: missing"), 500, "the query catalog cannot be read: queries/x.rq:1: missing"),
    ],
)
def test_every_kind_of_failure_has_one_status(error: Exception, status: int, message: str) -> None:
    answer = as_http(error)
    assert (answer.status, answer.message) == (status, message)


def test_the_answer_keeps_what_clients_act_on() -> None:
    assert as_http(query.QueryTimeout(2.0)).extra == {"timeout": 2.0}
    assert as_http(query.EngineBusy("busy")).headers == {"Retry-After": "1"}
    assert as_http(query.NotAcceptable(["text/csv"])).extra == {"supported": ["text/csv"]}


@pytest.mark.parametrize(
    ("accept", "html"),
    [(BROWSER, True), ("text/html", True), (YASGUI, False), ("*/*", False), (None, False), ("application/json", False)],
)
def test_browsers_get_html_and_programs_json(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = make_store(tmp_path_factory.mktemp("errors"), people(2))
    with TestClient(create_app(Settings(store_path=store, engine="local"))) as test_client:
        yield test_client


def test_one_handler_answers_each_error_by_accept(client: TestClient) -> None:
    page = client.get("/id/actor/nobody", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text and "Nothing is known about" in page.text
    data = client.get("/id/actor/nobody", headers={"Accept": "text/turtle"})
    assert data.status_code == 404 and data.json()["error"].startswith("Nothing is known about")
    malformed = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"}, headers={"Accept": BROWSER})
    assert malformed.status_code == 400 and "malformed query" in malformed.text and "<html" in malformed.text


def test_an_unknown_failure_is_a_plain_500() -> None:
    assert (as_http(RuntimeError("a bug")).status, as_http(RuntimeError("a bug")).message) == (500, "internal error")
    assert as_http(NotFound("x")).status == 404
