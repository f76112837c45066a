"""The web UI in a real headless Chromium (Debian's) against a real server process.

Skipped with a message when Chromium or the Python ``playwright`` driver is missing;
under CI (env ``CI`` set) that is a failure instead. Install Chromium with
``sh scripts/install-chromium.sh``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import CHROMIUM_ARGS, chromium_path, missing, serving
from tests.endpoint_support import free_port
from tests.web_project import make_web_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sdkg serve`` on 127.0.0.1 over the web fixture project; yields its base URL."""
    root = make_web_project(tmp_path_factory.mktemp("ui"))
    offline = f"http://127.0.0.1:{free_port()}/sparql"  # Wikidata stands in as a port where nothing listens
    wikidata = {"SDKG_WIKIDATA_ENDPOINT": offline, "SDKG_WIKIDATA_SCHOLARLY_ENDPOINT": offline}
    with serving(root, root / "server.log", env=wikidata) as base:
        yield base


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package `playwright` is not installed (pip install -e '.[test]')")
        raise
    profile = tempfile.mkdtemp(prefix="sdkg-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900},
            )
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: Any, server: str) -> Iterator[Any]:
    """A fresh tab that records script errors and any request to another host."""
    tab = browser_context.new_page()
    tab.set_default_timeout(20_000)
    tab.errors = []
    tab.foreign = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    host = urlsplit(server).netloc

    def check_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.netloc != host:
            tab.foreign.append(request.url)

    tab.on("request", check_request)
    yield tab
    tab.close()


def test_ui_loads_runs_an_example_and_shows_its_rows(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.wait_for_selector("#yasgui .CodeMirror")
    example = page.locator("button.example", has_text="Claims and who holds them")
    example.click()
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    table = page.locator(".yasr table").inner_text()
    assert "The state comes first in the fixture" in table
    assert "fixture realists" in table
    assert page.errors == [] and page.foreign == []


def test_chart_and_graph_views(page: Any, server: str) -> None:
    page.goto(server + "/?example=claims-per-reporter")
    page.locator(".yasr table tbody tr").first.wait_for()
    page.click(".yasr .select_chart")
    page.wait_for_selector(".sdkg-chart canvas")
    assert page.locator(".sdkg-plugin-controls select").count() == 3
    page.locator("button.example", has_text="Claims and who holds them").click()
    page.wait_for_timeout(300)
    page.locator(".yasr .select_graph").click()
    page.wait_for_selector(".sdkg-graph canvas")
    note = page.locator(".sdkg-graph-view .sdkg-plugin-note").inner_text()
    assert note.startswith("6 nodes")  # 2 claims, 2 holders, 2 stances
    assert page.errors == [] and page.foreign == []


def test_actor_page_shows_its_claims(page: Any, server: str) -> None:
    page.goto(server + "/id/actor/fixture-author")
    assert page.locator("h1").inner_text() == "Ada Fixture"
    claims = page.locator("section.claims article.claim")
    assert claims.count() == 2
    titles = claims.locator("h3").all_inner_texts()
    assert sorted(titles) == [
        "The fixture war shows the limits of putting the state first",
        "The state comes first in the fixture",
    ]
    quotes = page.locator("section.claims blockquote mark").all_inner_texts()
    assert "the war showed how little the state-first view could explain" in quotes
    page.locator("section.claims h3 a", has_text="The state comes first").click()
    page.wait_for_url("**/id/claim/fx-state-first")
    assert page.locator("h1").inner_text() == "The state comes first in the fixture"
    assert page.errors == [] and page.foreign == []


def test_screenshots_render(page: Any, server: str, tmp_path: Path) -> None:
    """Pages render to non-trivial images (kept in tmp for a person to look at)."""
    for path in ["/", "/id/actor/fixture-realists", "/ontology"]:
        page.goto(server + path)
        target = tmp_path / (path.strip("/").replace("/", "-") or "home")
        image = page.screenshot(path=str(target.with_suffix(".png")))
        assert len(image) > 10_000, path


FEDERATED = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?entity ?item ?born WHERE {
  ?entity skos:exactMatch ?item .
  SERVICE <https://query.wikidata.org/sparql> { ?item wdt:P569 ?born }
}"""


def test_a_federated_query_without_wikidata_says_why(page: Any, server: str) -> None:
    """The query page sends to /sparql: Wikidata out of reach shows the endpoint's 502 and its plain message."""
    page.goto(server + "/")
    page.wait_for_selector("#yasgui .CodeMirror")
    page.evaluate("q => window.sdkgYasgui.getTab().setQuery(q)", FEDERATED)
    page.click(".yasqe_queryButton")  # as a user runs it
    error = page.locator(".yasr .errorResult")
    error.wait_for()
    text = error.inner_text()
    assert "502" in text and "Wikidata could not be queried (offline or unavailable)" in text
    assert "Traceback" not in text
    assert page.errors == [] and page.foreign == []
