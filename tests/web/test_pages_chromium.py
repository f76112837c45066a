"""The comparison and profile pages and the query page, in headless Chromium at 1400 px and 390 px, over the
repository's data: what a scholar does without SPARQL (compare both sources on a case, see why an actor is a
critic of a discourse, run a catalog query from a form), on a wide screen and on a phone. Every page: no script
or console error, no request to another host, no serious or critical axe-core violation, nothing wider than
the window, a named screenshot under the session's screenshot directory (tests/browser.py). And every link the
new pages offer answers 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import (
    WIDTHS,
    Tab,
    axe_violations,
    broken_links,
    screenshot,
)

pytestmark = pytest.mark.slow

PAGES = [
    ("compare-chooser", "/compare"),
    ("compare-war-on-terror", "/compare?entity=case:war-on-terror"),
    ("compare-discourses", "/compare/discourses"),
    ("profile-actor-critical-security-theorists", "/id/actor/critical-security-theorists"),
    ("profile-actor-realists", "/id/actor/realists"),
    ("profile-discourse-pluralist", "/id/discourse/pluralist"),
    ("profile-case-rwandan-genocide", "/id/case/rwandan-genocide"),
    ("profile-concept-new-wars", "/id/concept/new-wars"),
    ("profile-claim-no-security-without-life", "/id/claim/dw-no-security-without-life-and-subsistence"),
    ("profile-editorial-link", "/id/argument/editorial-no-security-when-government-kills"),
]


@pytest.fixture(scope="module")
def base(repository_site: str) -> str:
    return repository_site


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def tab(request: pytest.FixtureRequest, browser: Any, base: str) -> Iterator[Tab]:
    opened = Tab(browser, base, request.param)
    yield opened
    opened.close()


def checked(tab: Tab, shots: Path, name: str, record_property: Any, expected_failures: tuple[str, ...] = ()) -> None:
    """The page as it is now: a named screenshot, no errors, no foreign requests, axe-clean, no sideways scroll."""
    image = screenshot(tab.page, shots, f"{name}-{tab.width}")
    record_property(f"screenshot-{name}-{tab.width}", str(image))
    print(f"screenshot: {image}")
    assert image.stat().st_size > 10_000
    assert tab.problems(expected_failures) == []
    assert axe_violations(tab.page) == []
    assert tab.overflow() <= 0, f"{name} is {tab.overflow()} px wider than {tab.width} px"


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_page_renders_readably_and_accessibly(
    tab: Tab, shots: Path, name: str, path: str, record_property: Any
) -> None:
    tab.goto(path).wait_for_load_state("networkidle")
    assert tab.page.locator("h1").count() == 1
    checked(tab, shots, name, record_property)


def test_compare_both_sources_on_a_case_without_sparql(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/")
    page.get_by_role("link", name="Compare").first.click()
    page.wait_for_url("**/compare")
    page.get_by_label("Case, actor, concept or place").fill("war on terror")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/compare?entity=war+on+terror")
    columns = page.locator(".compare-column")
    assert columns.count() == 2
    dunne_wheeler, kaldor = columns.nth(0).inner_text(), columns.nth(1).inner_text()
    assert "Tim Dunne and Nicholas J. Wheeler" in dunne_wheeler and "Mary Kaldor" in kaldor
    assert "Realism seems once again to be in the ascendancy" in dunne_wheeler
    assert "endorses" in kaldor and "rejects" in dunne_wheeler  # the stances, Ignatieff's claim rejected
    assert page.locator(".compare-column mark").count() >= 5  # each claim's quote in its context
    assert "editorial" in page.locator(".editorial-links").inner_text()
    if tab.width < 600:  # on a phone the columns stack
        first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
        assert first and second and second["y"] >= first["y"] + first["height"] - 1
    checked(tab, shots, "compare-by-form", record_property)


def test_why_an_actor_is_a_critic_of_a_discourse(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/id/actor/critical-security-theorists")
    discourses = page.locator("#discourses-heading + p + dl.relations .relation")
    critic = discourses.filter(has_text="critic of: pluralist discourse of security")
    assert critic.count() == 1
    reason = critic.inner_text()
    assert "because" in reason and "critic-of rule" in reason
    assert "Sovereignty and non-intervention license elites to abuse human rights" in reason
    assert "passage:dw-" in reason
    critic.locator("a", has_text="Sovereignty and non-intervention").first.click()
    page.wait_for_url("**/id/ascription/**")
    assert page.locator("h1").count() == 1
    page.go_back()
    checked(tab, shots, "why-critic", record_property)


def test_the_query_page_fits_the_screen_and_stays_put(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/")
    page.wait_for_selector("#yasgui .CodeMirror")
    page.wait_for_timeout(500)
    assert page.evaluate("window.scrollY") == 0  # YASGUI's focus does not scroll the page away
    examples = page.locator("aside.examples").bounding_box()
    editor = page.locator("#yasgui").bounding_box()
    assert examples and editor
    if tab.width < 600:  # stacked: the examples end above the editor, never on it
        assert examples["y"] + examples["height"] <= editor["y"] + 1
    else:
        assert examples["x"] + examples["width"] <= editor["x"] + 1
    checked(tab, shots, "query-page", record_property)


def test_a_catalog_query_from_its_form_with_readable_results(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/")
    page.locator("button.example", has_text="The claims about a case, with their passages").click()
    form = page.locator("#parameter-form")
    form.wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('#parameter-case-options option').length >= 70"
    )  # type-ahead
    assert page.locator("#parameter-case-options option[value='Rwandan genocide']").count() == 1
    page.get_by_role("combobox", name="case (IRI of a case)").fill("Rwandan genocide")
    page.get_by_role("button", name="Run with these values").click()
    page.wait_for_function("() => location.href.includes('case=Rwandan')")  # set once the values were resolved and run
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => document.querySelector('.sdkg-table tbody tr td')?.innerText.includes('Rwandan genocide')"
    )
    table = page.locator(".sdkg-table")
    text = table.inner_text()
    assert "No action was taken to stop the third genocide of the 20th century" in text  # in full, not cut
    assert "@en" not in text and "^^" not in text and "https://w3id.org" not in text
    assert "'We the Peoples': Contending Discourses" in text  # the source IRI shown by its label
    quote = table.locator("td", has_text="The mass exodus of refugees across the Rwandan border").first
    assert quote.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # the whole quote, wrapped, nothing cut
    assert quote.evaluate("e => e.getBoundingClientRect().height > 3 * parseFloat(getComputedStyle(e).lineHeight)")
    permalink = page.evaluate("location.href")
    assert "example=case-claims" in permalink and "case=Rwandan+genocide" in permalink
    checked(tab, shots, "query-form-results", record_property)


def test_a_value_that_names_nothing_is_said_so_in_the_form(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/?example=case-claims&case=Rwanda")
    error = page.locator(".parameter-error")
    error.wait_for()
    page.wait_for_function("() => document.querySelector('.parameter-error').innerText.length > 0")
    message = error.inner_text()
    assert "case=Rwanda matched nothing" in message and "Rwandan genocide" in message
    checked(tab, shots, "query-form-error", record_property, expected_failures=("/parameters/case",))


def test_results_without_a_label_column_show_labels(tab: Tab) -> None:
    page = tab.goto("/")
    page.wait_for_selector("#yasgui .CodeMirror")
    page.evaluate(
        "() => { const t = window.sdkgYasgui.getTab();"
        " t.setQuery('SELECT ?d WHERE { ?d a <https://w3id.org/sdkg/ontology#Discourse> } ORDER BY ?d'); t.query(); }"
    )
    page.wait_for_function(
        "() => document.querySelector('.sdkg-table')?.innerText.includes('realist discourse of security')"
    )
    cells = page.locator(".sdkg-table tbody td a").all_inner_texts()
    assert sorted(cells) == sorted(
        ["critical discourse of security", "pluralist discourse of security", "realist discourse of security"]
    )
    assert page.locator(".sdkg-table tbody td a").first.get_attribute("href", timeout=1000).startswith("/id/discourse/")
    assert tab.problems() == []


def chart_labels(page: Any) -> list[str]:
    return page.evaluate(
        "() => Chart.getChart(document.querySelector('.sdkg-chart canvas')).data.labels"
        ".map(l => Array.isArray(l) ? l.join(' / ') : l)"
    )


def test_chart_bars_are_told_apart(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/?example=stance-summary")
    page.locator(".sdkg-table tbody tr").first.wait_for()
    page.click(".yasr .select_chart")
    page.wait_for_selector(".sdkg-chart canvas")
    page.wait_for_function("() => Chart.getChart(document.querySelector('.sdkg-chart canvas')).data.labels.length > 0")
    labels = chart_labels(page)
    assert len(labels) == len(set(labels)), labels  # no two bars with one label
    assert "Dunne and Wheeler / endorses" in labels and "Mary Kaldor / endorses" in labels
    checked(tab, shots, "chart-stances", record_property)
    page = tab.goto("/?example=claims-per-discourse")  # the chart view stays selected
    page.wait_for_function(
        "() => { const c = document.querySelector('.sdkg-chart canvas'); const chart = c && Chart.getChart(c);"
        " return !!chart && chart.data.labels.join(' ').includes('realist'); }"
    )
    labels = chart_labels(page)
    assert len(labels) == len(set(labels)) and "realist discourse of security" in " ".join(labels)
    datasets = page.evaluate("Chart.getChart(document.querySelector('.sdkg-chart canvas')).data.datasets.length")
    assert datasets == 2  # ?stating and ?against side by side


def test_the_graph_keeps_sources_on_the_rim_with_legible_labels(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/?example=argument-map")
    page.wait_for_selector(".sdkg-graph canvas")
    page.wait_for_function("() => window.sdkgGraph && window.sdkgGraph.nodes().length > 20")
    layout = page.evaluate(
        """() => {
        const cy = window.sdkgGraph;
        const source = cy.nodes().filter(n => (n.data('iri') || '').includes('/id/source/'));
        const core = cy.nodes().filter(n => n.data('context') !== 1);
        const bb = core.boundingBox();
        const centre = { x: (bb.x1 + bb.x2) / 2, y: (bb.y1 + bb.y2) / 2 };
        const p = source[0].position();
        return { sources: source.length, outside: p.x < bb.x1 || p.x > bb.x2 || p.y < bb.y1 || p.y > bb.y2,
                 distance: Math.hypot(p.x - centre.x, p.y - centre.y), halfWidth: bb.w / 2,
                 fontPx: parseFloat(core[0].style('font-size')) * cy.zoom(), label: source[0].data('label') };
    }"""
    )
    assert layout["sources"] == 1 and layout["outside"], layout  # the source is not at the centre
    assert layout["label"].startswith("'We the Peoples'")
    assert layout["fontPx"] >= 9, layout  # node labels drawn at a legible size
    checked(tab, shots, "graph-argument-map", record_property)


def test_the_api_documentation_works_offline(tab: Tab, shots: Path, record_property: Any) -> None:
    page = tab.goto("/docs")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 20
    assert tab.foreign == [] and tab.errors == []
    screenshot(page, shots, f"api-docs-{tab.width}")


def test_every_link_of_the_new_pages_answers(base: str) -> None:
    checked_count, broken = broken_links(base, [path for _, path in PAGES])
    assert broken == []
    assert checked_count > 300
