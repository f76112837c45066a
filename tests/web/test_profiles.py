"""Profile and comparison pages on the repository's data (sdkg.web.profiles, sdkg.web.compare): what a scholar
asks without SPARQL gets answered, derived relations come with their reason, editorial links are said to be
editorial, and every query-string value is checked (400 with a message, never a 500)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdkg.web.app import Settings, create_app

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def client(store_path: Path, built_root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_path, root=built_root, engine="local"))) as test_client:
        yield test_client


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_case_compared_across_the_sources(client: TestClient) -> None:
    response = client.get("/compare", params={"entity": "case:war-on-terror"}, headers=HTML)
    assert response.status_code == 200
    html = response.text
    columns = re.findall(
        r'<section class="compare-column".*?(?=<section class="compare-column"|<section class="editorial)', html, re.S
    )
    assert len(columns) == 2
    dw, kr = columns
    assert "Tim Dunne and Nicholas J. Wheeler" in dw and "Mary Kaldor, interviewed by" in kr
    assert "Realism seems once again to be in the ascendancy" in dw
    assert "The war on terror and the return of geopolitics weakened international legitimacy" in kr
    assert 'class="stance stance-endorses"' in kr and "rejects" in dw  # the stances, Ignatieff's rejected
    assert "<mark>" in dw and "<mark>" in kr  # each claim with its quote in context
    links = section(html, "editorial-links-heading")
    assert "editorial" in links and "argument:editorial-realism-ascendant-legitimacy" in links
    assert "Reading Kaldor in the realist discourse" in links  # the editors' note


def test_a_source_that_says_nothing_says_so(client: TestClient) -> None:
    html = client.get("/compare", params={"entity": "Kosovo Albanians"}, headers=HTML).text
    assert "Liberal societies express outrage" in html
    assert "No claim in this source is about Kosovo Albanians." in html


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"entity": "Atlantis"}, 400, "entity=Atlantis matched nothing"),
        ({"entity": "case:atlantis"}, 400, "the graph says nothing about"),
        ({"entity": "nope:x"}, 400, "unknown prefix 'nope:'"),
        ({"entity": "claim:dw-no-action-on-rwanda"}, 400, "is not a case, an actor, a concept or a place"),
        ({"entity": "<https://x/ y>"}, 400, "bad parameter value"),
        ({"entity": "\x00"}, 400, "matched nothing"),
        ({"other": "1"}, 400, "unknown parameter 'other'"),
    ],
)
def test_bad_values_are_400_with_a_message(
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/compare", params=params)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert client.get("/compare?entity=a&entity=b").status_code == 400
    assert client.get("/compare/discourses", params={"x": "1"}).status_code == 400


def test_the_chooser_lists_what_both_sources_discuss(client: TestClient) -> None:
    html = client.get("/compare", headers=HTML).text
    shared = section(html, "shared-heading")
    for name in ("war on terror", "human security", "Iraq", "global civil society"):
        assert f">{name}</a>" in shared
    assert '<option value="case:rwandan-genocide">Rwandan genocide</option>' in html


def test_the_three_discourses_side_by_side(client: TestClient) -> None:
    html = client.get("/compare/discourses", headers=HTML).text
    heads = re.findall(r'<th scope="col"><a href="/id/discourse/(\w+)">', html)
    assert heads == ["realist", "pluralist", "critical"]  # the text's order
    rows = text(html)
    for question in (
        "who is secured",
        "how security is achieved",
        "from whom security is needed",
        "place of human rights",
    ):
        assert question in rows
    assert "the state as referent object" in rows and "society of states" in rows
    assert "The text gives no answer." in rows  # pluralism: from whom
    assert "Hans J. Morgenthau" in rows and "Hedley Bull" in rows
    assert "Rwandan genocide" in rows and "Helsinki process" in rows


def test_an_actor_is_a_critic_and_the_page_says_why(client: TestClient) -> None:
    html = client.get("/id/actor/dunne-and-wheeler", headers=HTML).text
    discourses = section(html, "discourses-heading")
    critic = discourses[discourses.index("critic of:") :]
    assert "pluralist discourse of security" in critic[:600]
    reasons = text(critic)
    assert "because" in reasons and "critic-of rule" in reasons
    assert "Dunne and Wheeler assert: Pluralism is complacent about international society" in reasons
    assert "passage:dw-534-643" in reasons  # the passage the reason rests on


def test_an_actors_positions_by_stance_and_discourse(client: TestClient) -> None:
    html = client.get("/id/actor/realists", headers=HTML).text
    positions = text(section(html, "positions-heading"))
    assert "Stance of the reporter: reports neutrally (5)" in positions
    assert "Stance of the reporter: rejects (7)" in positions
    assert "Expresses the realist discourse of security (7)" in positions
    assert "The Cold War was a permanent condition of international relations" in positions


def test_a_discourse_lists_proponents_and_critics_with_reasons(client: TestClient) -> None:
    html = client.get("/id/discourse/pluralist", headers=HTML).text
    adherents = text(section(html, "adherents-heading"))
    assert "Hedley Bull is a proponent of the pluralist discourse of security because" in adherents
    assert "critical security theorists is a critic of the pluralist discourse of security because" in adherents
    profile = text(section(html, "profile-heading"))
    assert "who is secured: society of states" in profile
    shows = text(section(html, "shows-heading"))
    assert "Rwandan genocide shows the failure of pluralist discourse of security" in shows


def test_editorial_statements_are_shown_as_editorial(client: TestClient) -> None:
    link = client.get("/id/argument/editorial-no-security-when-government-kills", headers=HTML).text
    assert 'class="editorial-banner"' in link and "neither text makes it" in link
    concept = client.get("/id/concept/new-wars", headers=HTML).text
    related = section(concept, "related-heading")
    assert "critical discourse of security" in related and "badge editorial" in related
    assert "Neither text relates new wars to a discourse of security" in related
    claim = client.get("/id/claim/dw-no-security-without-life-and-subsistence", headers=HTML).text
    links = section(claim, "links-heading")
    assert "badge editorial" in links and "argument:editorial-no-security-when-government-kills" in links


def test_derived_statements_are_marked_with_their_reason(client: TestClient) -> None:
    html = client.get("/id/actor/hans-j-morgenthau", headers=HTML).text
    statements = section(html, "props-heading")
    row = statements[statements.index(">proponent of<") :]
    row = row[: row.index("</tr>")]
    assert "badge derived" in row and "because" in row and "proponent-of rule" in row
    inverse = section(html, "inverse-heading")
    assert "derived: inverse-properties rule" in text(inverse) or "derived" in inverse


def test_a_case_page_gives_the_claims_by_source(client: TestClient) -> None:
    html = client.get("/id/case/rwandan-genocide", headers=HTML).text
    by_source = text(html[html.index('id="by-source-heading"') : html.index('id="props-heading"')])
    assert "No action was taken to stop the third genocide of the 20th century" in by_source
    assert "No claim in this source is about Rwandan genocide." in by_source  # Kaldor does not discuss it
