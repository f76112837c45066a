"""Competency questions: a scholar's questions (tests/competency/*.rq) answered by the project's data.

Each query runs over the union of the project's graphs (ontology, data, mappings) plus the
triples the rules of ontology/rules/ derive. The expected answers were checked against the two
source texts; they are subsets ("X is among the answers"), so that adding data does not break them.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest

from sdkg.build.rules import apply_rules
from sdkg.layout import ProjectLayout
from sdkg.passages import find_source_text, read_normalised
from sdkg.project import load_project
from tests.conftest import REPO

QUERIES = REPO / "tests" / "competency"
ID = "https://w3id.org/sdkg/id/"
SDKG = "https://w3id.org/sdkg/ontology#"
Row = dict[str, str]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = load_project(ProjectLayout.at(REPO)).store
    apply_rules(store, REPO / "ontology" / "rules")
    return store


def value(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode) else ""


def ask(store: ox.Store, name: str) -> list[Row]:
    """Run one competency query; every row as {variable: IRI or lexical value}."""
    solutions = store.query((QUERIES / name).read_text(encoding="utf-8"), use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [variable.value for variable in solutions.variables]
    return [{n: value(solution[n]) for n in names} for solution in solutions]


def column(rows: list[Row], name: str) -> set[str]:
    return {row[name] for row in rows}


def ids(kind: str, *slugs: str) -> set[str]:
    return {f"{ID}{kind}/{slug}" for slug in slugs}


def test_there_are_at_least_15_documented_questions() -> None:
    files = sorted(QUERIES.glob("*.rq"))
    assert len(files) >= 15
    for path in files:
        assert path.read_text(encoding="utf-8").startswith("# Competency question: "), path


def test_every_question_has_an_answer(store: ox.Store) -> None:
    empty = [path.name for path in sorted(QUERIES.glob("*.rq")) if not ask(store, path.name)]
    assert empty == []


def test_cq01_proponents_of_realism(store: ox.Store) -> None:
    actors = column(ask(store, "cq01-proponents-of-realism.rq"), "actor")
    assert ids("actor", "hans-j-morgenthau", "walter-lippmann", "donald-rumsfeld") <= actors
    assert f"{ID}actor/dunne-and-wheeler" not in actors  # they report realism to reject it


def test_cq02_morgenthau_holds_a_realist_claim_that_dunne_and_wheeler_reject(store: ox.Store) -> None:
    rows = ask(store, "cq02-holders-of-realist-claims.rq")
    triples = {(row["holder"], row["reporter"], row["stance"]) for row in rows}
    assert (f"{ID}actor/hans-j-morgenthau", f"{ID}actor/dunne-and-wheeler", SDKG + "Rejects") in triples
    assert f"{ID}actor/realists" in column(rows, "holder")


def test_cq03_dunne_and_wheeler_criticise_realism(store: ox.Store) -> None:
    critics = column(ask(store, "cq03-critics-of-realism.rq"), "actor")
    assert f"{ID}actor/dunne-and-wheeler" in critics
    assert f"{ID}actor/hans-j-morgenthau" not in critics


def test_cq04_rwanda_shows_the_failure_of_pluralism(store: ox.Store) -> None:
    pairs = {(row["case"], row["discourse"]) for row in ask(store, "cq04-cases-showing-failure.rq")}
    assert (f"{ID}case/rwandan-genocide", f"{ID}discourse/pluralist") in pairs
    assert (f"{ID}case/cold-war", f"{ID}discourse/realist") in pairs  # "Realists got it wrong"


def test_cq05_helsinki_shows_the_success_of_pluralism(store: ox.Store) -> None:
    pairs = {(row["case"], row["discourse"]) for row in ask(store, "cq05-cases-showing-success.rq")}
    assert (f"{ID}case/helsinki-process", f"{ID}discourse/pluralist") in pairs
    assert (f"{ID}case/landmine-ban", f"{ID}discourse/critical") in pairs


def test_cq06_discourse_profiles(store: ox.Store) -> None:
    profiles = {row["discourse"]: row for row in ask(store, "cq06-discourse-profiles.rq")}
    concept = ID + "concept/"
    realist = profiles[f"{ID}discourse/realist"]
    assert realist["who"] == concept + "the-state"
    assert realist["how"] == concept + "defence-of-core-national-values"
    assert realist["fromWhom"] == concept + "the-enemy"
    assert realist["humanRights"] == concept + "human-rights-yield-to-other-interests"
    critical = profiles[f"{ID}discourse/critical"]
    assert critical["who"] == concept + "individuals-and-humanity"
    assert critical["humanRights"] == concept + "indivisibility-of-security-and-human-rights"
    assert profiles[f"{ID}discourse/pluralist"]["who"] == concept + "society-of-states"


def test_cq07_positions_reported_to_reject(store: ox.Store) -> None:
    holders = column(ask(store, "cq07-positions-reported-to-reject.rq"), "holder")
    assert ids("actor", "hans-j-morgenthau", "realists") <= holders
    assert f"{ID}actor/dunne-and-wheeler" not in holders


def test_cq08_the_morgenthau_passage_is_verbatim(store: ox.Store) -> None:
    rows = ask(store, "cq08-passages-for-morgenthau.rq")
    quote = "the principle of the defense of human rights cannot be consistently applied in foreign policy"
    matching = [row for row in rows if quote in row["exact"]]
    assert matching
    path = find_source_text(REPO, "003_c690b089232222d4.txt")
    if path is not None:
        text = read_normalised(path)
        for row in matching:
            assert text[int(row["start"]) : int(row["end"])] == row["exact"]


def test_cq09_children_dying_of_preventable_diseases(store: ox.Store) -> None:
    rows = ask(store, "cq09-child-death-statistics.rq")
    figures = {(Decimal(row["value"]), row["unit"]) for row in rows}
    assert (Decimal(30000), "children per day") in figures
    assert (Decimal(11000000), "children per year") in figures


def test_cq10_the_undp_updated_aids_figure(store: ox.Store) -> None:
    rows = ask(store, "cq10-statistics-by-cited-body.rq")
    assert any(
        Decimal(row["value"]) == Decimal(24800000) and row["bodyLabel"] == "United Nations Development Programme"
        for row in rows
    )


def test_cq11_kaldor_was_interviewed_by_morris_and_stafford(store: ox.Store) -> None:
    rows = ask(store, "cq11-interviewers-of-kaldor.rq")
    assert column(rows, "interviewer") == ids("actor", "george-morris", "james-stafford")
    assert column(rows, "article") == {f"{ID}source/kaldor-cosmopolitan-rejoinder"}


def test_cq12_iraq_and_afghanistan_bad_bosnia_good(store: ox.Store) -> None:
    cases = column(ask(store, "cq12-kaldor-good-and-bad-interventions.rq"), "case")
    assert ids("case", "iraq-war", "war-in-afghanistan", "international-intervention-in-bosnia") <= cases


def test_cq13_both_sources_use_the_landmine_ban(store: ox.Store) -> None:
    assert f"{ID}case/landmine-ban" in column(ask(store, "cq13-cases-used-in-both-sources.rq"), "case")


def test_cq14_new_wars_against_old_wars(store: ox.Store) -> None:
    assert f"{ID}concept/old-wars" in column(ask(store, "cq14-concepts-contrasted-with-new-wars.rq"), "concept")


def test_cq15_the_sources_agree_and_disagree(store: ox.Store) -> None:
    types = column(ask(store, "cq15-cross-source-links.rq"), "type")
    assert {SDKG + "Support", SDKG + "Attack"} <= types


def test_cq16_actors_in_both_sources(store: ox.Store) -> None:
    actors = column(ask(store, "cq16-actors-in-both-sources.rq"), "actor")
    assert ids("actor", "united-nations", "united-states", "global-civil-society") <= actors


def test_cq17_bull_holds_pluralist_positions(store: ox.Store) -> None:
    scholars = column(ask(store, "cq17-scholars-holding-pluralist-positions.rq"), "scholar")
    assert f"{ID}actor/hedley-bull" in scholars


def test_cq18_charter_and_declaration_of_the_late_1940s(store: ox.Store) -> None:
    years = {(row["case"], row["year"]) for row in ask(store, "cq18-cases-of-the-late-1940s.rq")}
    assert (f"{ID}case/universal-declaration-of-human-rights", "1948") in years
    assert (f"{ID}case/un-charter", "1945") in years


def test_cq19_works_by_kaldor(store: ox.Store) -> None:
    works = {(row["title"], row["year"]) for row in ask(store, "cq19-works-by-kaldor.rq")}
    assert ("Global Security Cultures", "2018") in works
    assert any(title.startswith("New and Old Wars") and year == "1999" for title, year in works)


def test_cq20_the_interviewers_put_claims_forward_too(store: ox.Store) -> None:
    rows = ask(store, "cq20-interviewers-own-claims.rq")
    assert column(rows, "interviewer") == ids("actor", "george-morris", "james-stafford")
