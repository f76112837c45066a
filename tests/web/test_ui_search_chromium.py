"""Search, type-ahead and the claim explorer in headless Chromium, over the repository's own data, at 1400 and 390 px.

What a scholar does without SPARQL (issue 18's "Done when"): find every passage about Libya,
filter to the claims Kaldor endorses, cite a claim, on a wide screen and on a phone. Every page
is screenshotted (named PNGs in the screenshot directory), has no script or console error,
loads nothing from another host, passes axe-core with no serious or critical violation, and
every link it has to the server answers 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser import Tab, axe_violations, broken_links, screenshot

pytestmark = pytest.mark.slow

SIZES = {"wide": 1400, "phone": 390}
KALDOR = "actor/mary-kaldor"


@pytest.fixture(scope="module")
def server(repository_site: str) -> str:
    return repository_site


@pytest.fixture(params=sorted(SIZES))
def tab(request: pytest.FixtureRequest, browser: Any, server: str) -> Iterator[Any]:
    """The page of a :class:`tests.browser.Tab` (``harness``: what it recorded) at the size named."""
    harness = Tab(browser, server, SIZES[request.param])
    page = harness.page
    page.size_name = request.param
    page.harness = harness
    yield page
    harness.close()


def clean(tab: Any) -> None:
    assert tab.harness.problems() == []
    assert axe_violations(tab) == []


def test_search_page_finds_the_passages_about_libya(tab: Any, server: str, shots: Path) -> None:
    tab.goto(server + "/search?q=libya")
    assert tab.locator("ol.hits li.hit").count() > 0
    assert tab.locator("mark", has_text="Libya").count() > 0
    tab.locator("nav.kind-tabs a", has_text="Passages").click()
    tab.wait_for_url("**kind=passage**")
    passages = tab.locator("li.hit-passage")
    total = int(tab.locator("nav.kind-tabs a[aria-current='true'] .count").inner_text())
    assert passages.count() == total >= 10
    quotes = " ".join(passages.locator("blockquote").all_inner_texts()).lower()
    assert "benghazi" in quotes and "libya" in quotes
    screenshot(tab, shots, f"search-libya-passages-{tab.size_name}")
    clean(tab)


def test_a_search_error_is_shown_on_the_page(tab: Any, server: str, shots: Path) -> None:
    response = tab.goto(server + "/search?q=%22human+security")
    assert response is not None and response.status == 400
    assert "not closed" in tab.locator("[role=alert]").inner_text()
    screenshot(tab, shots, f"search-error-{tab.size_name}", full_page=False)
    assert tab.harness.problems(expected_failures=["/search?q="]) == []  # the page's own 400 is no script error
    assert axe_violations(tab) == []


def test_type_ahead_goes_to_the_entity_with_the_keyboard(tab: Any, server: str, shots: Path) -> None:
    tab.goto(server + "/id/")
    box = tab.locator("#site-search-input")
    box.click()
    box.press_sequentially("kald", delay=40)
    option = tab.locator("#site-search-list [role=option]").first
    option.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert "Mary Kaldor" in option.inner_text()
    screenshot(tab, shots, f"type-ahead-{tab.size_name}", full_page=False)
    assert axe_violations(tab) == []
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    assert option.get_attribute("aria-selected") == "true"
    box.press("Enter")
    tab.wait_for_url("**/id/actor/mary-kaldor")
    assert tab.locator("h1").inner_text() == "Mary Kaldor"
    # Escape closes the list; Enter without a choice searches everything
    box = tab.locator("#site-search-input")
    box.fill("")
    box.press_sequentially("libya", delay=40)
    tab.locator("#site-search-list [role=option]").first.wait_for()
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("Enter")
    tab.wait_for_url("**/search?q=libya")
    assert tab.harness.problems() == []


def test_explorer_filters_to_the_claims_kaldor_endorses_and_cites_one(tab: Any, server: str, shots: Path) -> None:
    tab.goto(server + "/explore")
    filters = tab.locator("details#filters")
    if tab.size_name == "phone":
        assert filters.get_attribute("open") is None  # folded above the cards on a phone
        filters.locator("summary").click()
    else:
        assert filters.get_attribute("open") is not None
    screenshot(tab, shots, f"explore-{tab.size_name}")
    clean(tab)
    tab.locator("section.facet[aria-labelledby='facet-holder'] a", has_text="Mary Kaldor").click()
    tab.wait_for_url(f"**holder={KALDOR}**")
    if tab.size_name == "phone":
        tab.locator("details#filters summary").click()
    tab.locator("section.facet[aria-labelledby='facet-stance'] a", has_text="endorses").click()
    tab.wait_for_url("**stance=endorses**")
    query = parse_qs(urlsplit(tab.url).query)
    assert query["holder"] == [KALDOR] and query["stance"] == ["endorses"]
    total = int(tab.locator("#results-heading").inner_text().split()[0])
    cards = tab.locator("article.claim-card")
    assert 0 < cards.count() <= 20 <= total
    facts = cards.locator("dl.facts").all_inner_texts()
    assert all("Mary Kaldor" in f and "endorses" in f for f in facts)
    # the URL is the whole state: opened again, it shows the same selection
    again = tab.context.new_page()
    again.goto(tab.url)
    assert again.locator("ul.chips").inner_text() == tab.locator("ul.chips").inner_text()
    again.close()
    # cite the first card
    first = cards.first
    first.locator("details.cite summary").click()
    citation = first.locator("p.citation").inner_text()
    assert "The Cosmopolitan Rejoinder" in citation and "characters" in citation
    bibtex = first.locator("details.cite a", has_text="BibTeX").get_attribute("href")
    assert bibtex is not None
    answer = httpx.get(server + bibtex)
    assert answer.status_code == 200 and answer.text.startswith("@article{kaldor-cosmopolitan-rejoinder,")
    screenshot(tab, shots, f"explore-kaldor-endorses-{tab.size_name}")
    clean(tab)
    # next page, then back: keyset paging in reading order
    tab.locator("nav.pager a[rel=next]").click()
    tab.wait_for_url("**after=**")
    assert cards.count() > 0
    tab.locator("nav.pager a[rel=prev]").click()
    tab.wait_for_url("**before=**")
    assert cards.first.locator("h2").inner_text() == first.locator("h2").inner_text() or cards.count() == 20


def test_explorer_with_words_and_downloads(tab: Any, server: str, shots: Path) -> None:
    tab.goto(server + f"/explore?q=libya&holder={KALDOR}")
    heading = tab.locator("#results-heading").inner_text()
    assert heading.split()[0].isdigit()
    csv_href = tab.locator(".explore-summary a", has_text="CSV").get_attribute("href")
    json_href = tab.locator(".explore-summary a", has_text="JSON").get_attribute("href")
    assert csv_href is not None and json_href is not None
    data = httpx.get(server + json_href).json()
    assert data["total"] == int(heading.split()[0]) == len(data["claims"])
    assert httpx.get(server + csv_href).text.count("\n") == data["total"] + 1
    screenshot(tab, shots, f"explore-libya-kaldor-{tab.size_name}")
    clean(tab)


@pytest.mark.parametrize("path", ["/search?q=libya", "/explore", f"/explore?holder={KALDOR}&stance=endorses&q=libya"])
def test_every_internal_link_answers_200(server: str, path: str) -> None:
    checked, broken = broken_links(server, [path])
    assert checked > 10
    assert broken == []
