"""Authoring files: YAML with lines, exact anchoring, names, the compiled graph, and every error path.

The texts are written for the tests (tests/fixtures/authoring/texts/); the project is the
repository's ontology and shapes over tests/fixtures/authoring/project/data/.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkg.authoring.anchoring import Quote, QuoteProblem, SourceText
from sdkg.authoring.emit import dump
from sdkg.authoring.errors import AuthoringError, Problem
from sdkg.authoring.format import LINKS
from sdkg.authoring.yamltree import Map, Scalar, Seq, YamlError, read_tree
from sdkg.checks import validate_project
from sdkg.layout import ProjectLayout
from sdkg.namespaces import GRAPH, ID, SDKG
from sdkg.passages import anchor as reference_anchor
from sdkg.project import load_project

from .authoring_support import HARBOUR, RIVER, TEXTS, edit, line_of, make_project

HL = ID + "claim/hl-"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path / "project", monkeypatch)


@pytest.fixture(scope="module")
def harbour() -> SourceText:
    return SourceText.read(TEXTS / "harbour-report.txt")


def problems(root: Path) -> list[Problem]:
    with pytest.raises(AuthoringError) as raised:
        load_project(ProjectLayout.at(root))
    return raised.value.problems


def only_problem(root: Path) -> Problem:
    found = problems(root)
    assert len(found) == 1, "\n".join(p.message for p in found)
    return found[0]


# ---------------------------------------------------------------------- YAML with lines


def test_every_scalar_stays_the_text_that_was_typed() -> None:
    tree = read_tree("a: no\nb: 1.10\nc: 2019\nd: ~\ne: [yes, '07']\n")
    assert isinstance(tree, Map)
    assert [(k.text, v.text if isinstance(v, Scalar) else None) for k, v in tree.entries][:4] == [
        ("a", "no"),
        ("b", "1.10"),
        ("c", "2019"),
        ("d", "~"),
    ]
    e = tree.get("e")
    assert isinstance(e, Seq) and [i.text for i in e.items if isinstance(i, Scalar)] == ["yes", "07"]
    assert tree.entries[2][1].line == 3


def test_a_duplicate_key_names_both_lines() -> None:
    with pytest.raises(YamlError) as raised:
        read_tree("claims:\n  a:\n    label: x\n  a:\n    label: y\n")
    assert raised.value.line == 4 and "first at line 2" in raised.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x [1, 2]\nb: *x\n", "anchors and aliases"),
        ("a: 1\n---\nb: 2\n", "one YAML document"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "nested more than"),
        ("a: [1, 2\nb: 3\n", "not valid YAML"),
        ("a:\n\t- b\n", "not valid YAML"),
    ],
)
def test_yaml_that_an_authoring_file_cannot_use_is_refused(text: str, words: str) -> None:
    with pytest.raises(YamlError) as raised:
        read_tree(text)
    assert words in raised.value.message and raised.value.line is not None


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_every_string_is_written_so_that_it_reads_back_the_same(value: str) -> None:
    tree = read_tree(dump({"claims": {"x": {"label": value, "also": [value, "b"]}}}))
    assert isinstance(tree, Map)
    claims = tree.get("claims")
    assert isinstance(claims, Map)
    entry = claims.get("x")
    assert isinstance(entry, Map)
    label, also = entry.get("label"), entry.get("also")
    assert isinstance(label, Scalar) and label.text == value
    assert isinstance(also, Seq) and [i.text for i in also.items if isinstance(i, Scalar)] == [value, "b"]


# ---------------------------------------------------------------------- anchoring


def test_a_quote_anchors_exactly_as_the_reference_function_does(harbour: SourceText) -> None:
    found = harbour.anchor(Quote("The closure did not reduce smuggling."))
    assert found == reference_anchor(harbour.text, "The closure did not reduce smuggling.")
    assert harbour.text[found.start : found.end] == found.exact
    assert len(found.prefix) == 32 and len(found.suffix) == 32


def test_quote_marks_and_line_breaks_are_normalised_before_comparing(harbour: SourceText) -> None:
    typed = 'the closure was needed "to protect the state from smuggling and\n   irregular arrivals"'
    found = harbour.anchor(Quote(typed))
    assert found.exact == "the closure was needed 'to protect the state from smuggling and irregular arrivals'"


def test_an_ambiguous_quote_shows_each_place_and_asks_for_context(harbour: SourceText) -> None:
    with pytest.raises(QuoteProblem) as raised:
        harbour.anchor(Quote("the closure made the coast safer"))
    message = str(raised.value)
    assert raised.value.kind == "ambiguous" and "occurs 2 times" in message
    assert "line 21 of harbour-report.txt" in message and "line 22 of harbour-report.txt" in message
    assert "[the closure made the coast safer]" in message
    assert "`before:`" in message and "`after:`" in message


def test_context_before_or_after_picks_one_place(harbour: SourceText) -> None:
    first = harbour.anchor(Quote("the closure made the coast safer", before="still hold that"))
    second = harbour.anchor(Quote("the closure made the coast safer", after="for cargo"))
    assert first.start < second.start
    with pytest.raises(QuoteProblem) as raised:
        harbour.anchor(Quote("the closure made the coast safer", before="nobody says that"))
    assert raised.value.kind == "context" and "never with before 'nobody says that'" in str(raised.value)


@pytest.mark.parametrize(
    ("quote", "character", "quote_has", "text_has"),
    [
        ("three boats were lost in the first winters", 42, "winters", "winter."),
        ("Thre closure did not reduce smuggling.", 3, "Thre closure", "The closure"),
        ("In 2019 the Eastmark Port Authority closed the southern harbour to small boats.", 48, "southern", "northern"),
    ],
)
def test_a_missing_quote_shows_the_closest_passage_and_the_first_difference(
    harbour: SourceText, quote: str, character: int, quote_has: str, text_has: str
) -> None:
    with pytest.raises(QuoteProblem) as raised:
        harbour.anchor(Quote(quote))
    message = str(raised.value)
    assert raised.value.kind == "missing"
    assert "Closest passage: line " in message
    assert f"First difference at character {character} of the quote" in message
    said = message.split("the quote has ", 1)[1]
    assert quote_has in said.split(", the text has", 1)[0] and text_has in said.split(", the text has", 1)[1]


def test_a_quote_from_nowhere_says_so(harbour: SourceText) -> None:
    with pytest.raises(QuoteProblem) as raised:
        harbour.anchor(Quote("entirely unrelated words that no sentence holds"))
    assert "no passage of it comes close" in str(raised.value)


def test_offsets_map_back_to_the_lines_of_the_original_file(harbour: SourceText) -> None:
    original = (TEXTS / "harbour-report.txt").read_text(encoding="utf-8").splitlines()
    for quote in ("This report argues", "The closure did not reduce smuggling.", "are respected, the coast"):
        line = harbour.line_at(harbour.anchor(Quote(quote)).start)
        assert quote.split()[0] in original[line - 1], (quote, line)


# ---------------------------------------------------------------------- the compiled graph


def quads(root: Path) -> ox.Store:
    return load_project(ProjectLayout.at(root)).store


def test_the_fixture_project_compiles_and_validates(project: Path) -> None:
    loaded = load_project(ProjectLayout.at(project))
    report = validate_project(ProjectLayout.at(project), loaded)
    assert report.conforms, report.text()
    assert set(loaded.authored) == {
        GRAPH + "data/harbour-lights/harbour-lights",
        GRAPH + "data/river-keeper/river-keeper",
    }


def values(store: ox.Store, subject: str, predicate: str) -> set[str]:
    return {
        str(getattr(q.object, "value", q.object))
        for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, None)
    }


def test_a_claim_becomes_claim_ascription_and_passages(project: Path) -> None:
    store = quads(project)
    claim = HL + "closure-protects-the-state"
    ascription = ID + "ascription/hl-closure-protects-the-state"
    assert values(store, ascription, SDKG + "ascribes") == {claim}
    assert values(store, ascription, SDKG + "reportedBy") == {ID + "actor/ada-quill"}
    assert values(store, ascription, SDKG + "heldBy") == {ID + "actor/eastmark-port-authority"}
    assert values(store, ascription, SDKG + "stance") == {SDKG + "Rejects"}
    assert values(store, ascription, SDKG + "inSource") == {ID + "source/harbour-lights"}
    assert values(store, ascription, "http://www.w3.org/2000/01/rdf-schema#label") == {
        "Ada Quill reports Eastmark Port Authority: "
        "The closure protects the state from smuggling and irregular arrivals"
    }
    (passage,) = values(store, ascription, SDKG + "restsOn")
    text = SourceText.read(TEXTS / "harbour-report.txt").text
    start, end = (int(n) for n in passage.rsplit("-", 2)[1:])
    assert text[start:end] == "to protect the state from smuggling and irregular arrivals"
    assert values(store, claim, SDKG + "aboutCase") == {ID + "case/northern-harbour-closure"}
    assert values(store, claim, SDKG + "expressesDiscourse") == {ID + "discourse/realist"}


def test_own_claims_are_endorsed_by_default_and_may_rest_on_several_passages(project: Path) -> None:
    store = quads(project)
    ascription = ID + "ascription/hl-security-means-people"
    assert values(store, ascription, SDKG + "stance") == {SDKG + "Endorses"}
    assert len(values(store, ascription, SDKG + "restsOn")) == 2
    assert values(store, ascription, "http://www.w3.org/2000/01/rdf-schema#label") == {
        "Ada Quill asserts: Security on the coast must mean the security of the people who live there"
    }


def test_statistics_and_several_ascriptions(project: Path) -> None:
    store = quads(project)
    boats = HL + "boats-lost"
    assert values(store, boats, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == {SDKG + "StatisticalClaim"}
    value = next(store.quads_for_pattern(ox.NamedNode(boats), ox.NamedNode(SDKG + "statisticValue"), None, None))
    assert isinstance(value.object, ox.Literal) and value.object.datatype.value.endswith("#decimal")
    assert values(store, ID + "ascription/hl-coast-safer", SDKG + "stance") == {SDKG + "ReportsNeutrally"}
    assert values(store, ID + "ascription/hl-coast-safer-2", SDKG + "stance") == {SDKG + "Rejects"}
    assert values(store, ID + "ascription/hl-coast-safer-2", "http://www.w3.org/2004/02/skos/core#editorialNote")


def test_links_made_in_the_text_and_editorial_links(project: Path) -> None:
    store = quads(project)
    made = ID + "argument/hl-smuggling-not-reduced"
    assert values(store, made, SDKG + "linkSource") == {ID + "source/harbour-lights"}
    assert values(store, made, LINKS.asserted_by) == {ID + "actor/ada-quill"}
    assert values(store, made, SDKG + "restsOn") == values(
        store, ID + "ascription/hl-closure-did-not-reduce-smuggling", SDKG + "restsOn"
    )
    case_link = ID + "argument/hl-closure-shows-cargo-not-people"
    assert values(store, case_link, SDKG + "premise") == {ID + "case/northern-harbour-closure"}
    assert values(store, case_link, SDKG + "showsFailureOf") == {ID + "discourse/realist"}
    editorial = ID + "argument/editorial-boards-agree"
    assert values(store, editorial, LINKS.asserted_by) == {LINKS.editors}
    assert not values(store, editorial, SDKG + "linkSource")
    graphs = {q.graph_name.value for q in store.quads_for_pattern(ox.NamedNode(editorial), None, None, None)}
    assert graphs == {LINKS.editorial_graph}
    rests = values(store, editorial, SDKG + "restsOn")
    assert {p.rsplit("/", 1)[1].split("-")[0] for p in rests} == {"rk", "hl"}


def test_validation_results_point_into_the_authoring_file(project: Path) -> None:
    line = edit(
        project,
        HARBOUR,
        "label: The closure did not reduce smuggling",
        "label: The closure did not reduce smuggling, and this label goes on for far more than ninety characters",
    )
    loaded = load_project(ProjectLayout.at(project))
    report = validate_project(ProjectLayout.at(project), loaded)
    found = [r for r in report.results if r.rule.endswith("ClaimLabelLengthShape-label")]
    assert found and found[0].file == HARBOUR and found[0].line == line


# ---------------------------------------------------------------------- error paths


def assert_problem(found: Problem, line: int, *words: str) -> None:
    assert found.line == line, found
    for word in words:
        assert word in found.message, (word, found.message)


def test_missing_quote(project: Path) -> None:
    line = edit(
        project, HARBOUR, "quote: The closure did not reduce smuggling.", "quote: The closure did not reduce smugling."
    )
    assert_problem(
        only_problem(project),
        line,
        "claim 'closure-did-not-reduce-smuggling'",
        "not in harbour-report.txt",
        "Closest passage",
        "First difference at character 32",
        "Copy the words exactly",
    )


def test_ambiguous_quote(project: Path) -> None:
    line = edit(
        project, HARBOUR, "quote: The closure did not reduce smuggling.", "quote: the closure made the coast safer"
    )
    assert_problem(only_problem(project), line, "occurs 2 times", "line 21 of harbour-report.txt", "`before:`")


def test_unknown_actor(project: Path) -> None:
    line = edit(project, HARBOUR, "holder: Eastmark Port Authority", "holder: Eastmark Port Authorty")
    assert_problem(
        only_problem(project),
        line,
        "unknown actor 'Eastmark Port Authorty'",
        "Did you mean 'Eastmark Port Authority'",
        "declare it under `actors:`",
    )


def test_an_actor_name_that_fits_two_actors(project: Path) -> None:
    line = edit(project, HARBOUR, "holder: Eastmark Port Authority", "holder: Roe")
    assert_problem(only_problem(project), line, "could name 2 actors", "jane-roe", "john-roe", "Write the short name")


def test_unknown_stance(project: Path) -> None:
    line = edit(project, HARBOUR, "stance: rejects", "stance: disagrees")
    assert_problem(only_problem(project), line, "unknown stance 'disagrees'", "endorses, rejects, reports neutrally")


def test_duplicate_short_name(project: Path) -> None:
    text = (project / HARBOUR).read_text(encoding="utf-8")
    first = line_of(project, HARBOUR, "  boats-lost:")
    text = text.replace("  coast-safer:", "  boats-lost:")
    (project / HARBOUR).write_text(text, encoding="utf-8")
    second = line_of(project, HARBOUR, "  boats-lost:\n    label: The closure made")
    assert_problem(only_problem(project), second, "'boats-lost' is written twice", f"first at line {first}")


def test_a_short_name_already_taken_in_the_graph(project: Path) -> None:
    line = edit(project, HARBOUR, "  ada-quill:\n", "  jane-roe:\n")
    (found,) = [p for p in problems(project) if p.line == line]
    assert_problem(
        found,
        line,
        "actor 'jane-roe' is already described in data/common/context.ttl",
        "refer to it by its name",
    )


def test_link_to_a_claim_that_does_not_exist(project: Path) -> None:
    line = edit(project, HARBOUR, "attacks: closure-protects-the-state", "attacks: closure-protects-the-stat")
    assert_problem(
        only_problem(project),
        line,
        "link 'smuggling-not-reduced', conclusion",
        "unknown claim 'closure-protects-the-stat'",
        "Did you mean",
    )


def test_bad_yaml(project: Path) -> None:
    line = edit(project, HARBOUR, "    expresses: critical\n", "    expresses: [critical\n")
    found = only_problem(project)
    assert found.line is not None and found.line >= line
    assert "not valid YAML" in found.message and "docs/adding-a-text.md" in found.message


def test_no_quote_no_claim(project: Path) -> None:
    line = line_of(project, HARBOUR, "  closure-did-not-reduce-smuggling:")
    edit(project, HARBOUR, "    quote: The closure did not reduce smuggling.\n", "")
    assert_problem(only_problem(project), line, "has no quote: no quote, no claim", "Add `quote:`")


def test_a_reported_position_needs_a_stance(project: Path) -> None:
    line = line_of(project, HARBOUR, "  closure-protects-the-state:")
    edit(project, HARBOUR, "    stance: rejects\n    expresses: realist", "    expresses: realist")
    assert_problem(only_problem(project), line, "reports someone else's position", "stance: rejects")


def test_a_claim_needs_a_reporter(project: Path) -> None:
    edit(project, RIVER, "reporter: Tomas Weir\n", "")
    found = problems(project)
    assert found and all("has no reporter" in p.message or "say who makes the link" in p.message for p in found), found
    assert found[0].line == line_of(project, RIVER, "  grid-not-farmers:")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "    paraphrase: Closing the northern harbour",
            "    paraphrse: Closing the northern harbour",
            ["unknown field 'paraphrse'", "Did you mean 'paraphrase'"],
        ),
        ("    kind: Policy", "    kind: Polcy", ["unknown kind 'Polcy'", "Did you mean Policy?"]),
        ("    start year: 2019", "    start year: about 2019", ["'about 2019' is not a whole number"]),
        ("    editorial: yes", "    editorial: perhaps", ["`editorial:` is yes or no"]),
        ("    roles: author", "    roles: writer", ["unknown value 'writer'", "author"]),
        ("  code: hl", "  code: H-L", ["the code 'H-L' must be lowercase"]),
        ("  boats-lost:", "  Boats Lost:", ["the short name 'Boats Lost' must be lowercase words"]),
        (
            "    quote: where three boats",
            "    unconfirmed quote: where three boats",
            ["`unconfirmed quote`", "rename the field to `quote`"],
        ),
    ],
)
def test_each_field_problem_names_its_line_and_what_to_do(project: Path, old: str, new: str, words: list[str]) -> None:
    relative = RIVER if "editorial" in old else HARBOUR
    line = edit(project, relative, old, new)
    found = [p for p in problems(project) if p.line == line]
    assert found, problems(project)
    for word in words:
        assert any(word in p.message for p in found), (word, [p.message for p in found])


def test_a_missing_text_says_where_it_was_looked_for(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDKG_SOURCES", str(project / "nowhere"))
    found = problems(project)
    assert any("harbour-report.txt is not found" in p.message and "set SDKG_SOURCES" in p.message for p in found)
    assert not any("no quote" in p.message for p in found)


def test_another_version_of_the_text_is_refused(project: Path) -> None:
    edit(project, HARBOUR, "sha256: c35b", "sha256: 035b")
    found = [p for p in problems(project) if "not the version of the text" in p.message]
    assert found and found[0].line == line_of(project, HARBOUR, "  name: harbour-lights")
    assert "its normalised SHA-256 is c35b" in found[0].message and "update `sha256:`" in found[0].message


def test_every_problem_of_a_file_is_reported_at_once(project: Path) -> None:
    edit(project, HARBOUR, "stance: rejects", "stance: disagrees")
    edit(
        project,
        HARBOUR,
        "holder: Eastmark Port Authority\n        stance: reports",
        "holder: Nobody At All\n        stance: reports",
    )
    with pytest.raises(AuthoringError) as raised:
        load_project(ProjectLayout.at(project))
    assert len(raised.value.problems) == 2
    assert str(raised.value).count(HARBOUR + ":") == 2 and "nothing was written" in str(raised.value)
