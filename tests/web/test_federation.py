"""One federation behaviour on every path: ``/sparql`` (and the query page, which sends to it), the canned
queries and ``sdkg query`` prepare a Wikidata SERVICE the same way and fail the same way.

Offline here, Wikidata is a port nothing listens on (every path: 502 with one message, exit 3 in the
CLI, never a traceback); online, it is a real ``oxigraph serve`` holding the Wikidata-shaped fixture
(tests/fixtures/wikidata), and every path gives the same rows, restricted to the items the graph maps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sdkg.cli import EXIT_UNREACHABLE, main
from sdkg.sparql import federation
from sdkg.web.app import Settings, create_app
from tests.conftest import REPO
from tests.endpoint_support import free_port, sdkg_serving

pytestmark = pytest.mark.slow

PERSON_LIVES = (REPO / "queries" / "wikidata-person-lives.rq").read_text(encoding="utf-8")
PLACES = (REPO / "queries" / "wikidata-place-coordinates.rq").read_text(encoding="utf-8")
UNRESTRICTED = """PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?x WHERE { SERVICE <https://query.wikidata.org/sparql> { ?x wdt:P625 ?where } } ORDER BY ?x"""
"""A SERVICE block without ``?item``: nothing is bound in it, on any path."""
RESTRICTED = UNRESTRICTED.replace("?x", "?item")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> str:
    """Both Wikidata endpoints stand in as a local port where nothing listens: no request leaves the machine."""
    closed = f"http://127.0.0.1:{free_port()}/sparql"
    for setting in federation.ENDPOINT_SETTINGS.values():
        monkeypatch.setenv(setting, closed)
    return closed


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``sdkg`` as a user runs it: another process, its exit code and what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "sdkg.cli", "--root", str(root), *args], capture_output=True, text=True, timeout=120
    )


def test_unreachable_wikidata_fails_alike_on_every_path(built_root: Path, offline: str) -> None:
    with sdkg_serving(built_root) as base:
        answers = {
            "GET /sparql": httpx.get(base + "/sparql", params={"query": PERSON_LIVES}, timeout=30),
            "POST /sparql": httpx.post(base + "/sparql", data={"query": PERSON_LIVES}, timeout=30),
            "POST /sparql (query page)": httpx.post(
                base + "/sparql",
                content=PERSON_LIVES,
                headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
                timeout=30,
            ),
            "canned .json": httpx.get(base + "/queries/wikidata-person-lives.json", timeout=30),
            "canned .csv": httpx.get(base + "/queries/wikidata-person-lives.csv", timeout=30),
        }
        page = httpx.get(base + "/queries/wikidata-person-lives.json", headers={"Accept": "text/html"}, timeout=30)
    messages = set()
    for path, response in answers.items():
        assert response.status_code == 502, (path, response.text)
        message = response.json()["error"]
        assert message == federation.UNREACHABLE, (path, message)  # generic: the reason is logged, not told
        assert "Traceback" not in response.text and "/work/" not in response.text and str(REPO) not in message
        messages.add(message)
    assert len(messages) == 1, messages  # the same words, whichever way the query came
    assert page.status_code == 502 and federation.UNREACHABLE in page.text and "<html" in page.text.lower()
    done = cli(built_root, "query", str(REPO / "queries" / "wikidata-person-lives.rq"))
    assert done.returncode == EXIT_UNREACHABLE == 3
    assert done.stderr.strip().startswith(messages.pop() + ": ")  # on the command line, with the reason
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_the_cli_says_so_in_process_too(built_root: Path, offline: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(built_root), "query", PERSON_LIVES, "--format", "json"]) == 3
    assert capsys.readouterr().err.startswith(federation.UNREACHABLE)


def test_a_failing_non_wikidata_service_is_an_upstream_failure(store_path: Path) -> None:
    """Any allowed SERVICE endpoint that cannot be reached is a 502 naming it, not a 400 blaming the query."""
    from fastapi.testclient import TestClient

    closed = f"http://127.0.0.1:{free_port()}/sparql"
    settings = Settings(store_path=store_path, engine="local", allowed_services={closed: 5.0})
    with TestClient(create_app(settings)) as client:
        response = client.get("/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{closed}> {{ ?s ?p ?o }} }}"})
    assert response.status_code == 502
    assert response.json()["error"].startswith(f"the SERVICE endpoint could not be queried (<{closed}>)")


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.test_wikidata import FIXTURES, serve_fixture

    process, endpoint = serve_fixture(tmp_path_factory.mktemp("wikidata"), FIXTURES / "main.ttl")
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def rows_of(body: str) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def test_every_path_binds_item_to_the_mapped_items_and_nothing_else(
    built_root: Path, wikidata: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same query gives the same rows through /sparql, the canned endpoint and the CLI; ``?item`` in a
    Wikidata SERVICE block is bound to the graph's QIDs on every path, another variable is left free."""
    monkeypatch.setenv("SDKG_WIKIDATA_ENDPOINT", wikidata)
    with sdkg_serving(built_root) as base:
        through_sparql = rows_of(httpx.get(base + "/sparql", params={"query": PLACES}, timeout=30).text)
        canned = rows_of(httpx.get(base + "/queries/wikidata-place-coordinates.json", timeout=30).text)
        restricted = rows_of(httpx.get(base + "/sparql", params={"query": RESTRICTED}, timeout=30).text)
        unrestricted = rows_of(httpx.get(base + "/sparql", params={"query": UNRESTRICTED}, timeout=30).text)
    assert through_sparql == canned and {r["label"]: r["coordinates"] for r in canned}["Iraq"] == "Point(44.0 33.0)"
    done = cli(built_root, "query", PLACES, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert rows_of(done.stdout) == canned
    mapped = {r["item"] for r in restricted}
    every = {r["x"] for r in unrestricted}
    assert mapped < every  # the fixture has items with coordinates that the graph does not map
    assert "http://www.wikidata.org/entity/Q900000004" in every - mapped
    cli_restricted = cli(built_root, "query", RESTRICTED, "--format", "json")
    assert {r["item"] for r in rows_of(cli_restricted.stdout)} == mapped
