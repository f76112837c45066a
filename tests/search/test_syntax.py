"""The search syntax: what people type becomes a safe FTS5 query, or a clear error; never FTS5 syntax from the user."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdkg.search.syntax import MAX_LENGTH, MAX_TERMS, SearchSyntaxError, parse, prefix_words

DOCUMENTS = [
    "Libyan gangs defend the Mediterranean border",
    "Libya and Syria",
    "interventions in Bosnia",
    "the intervening powers",
    "peace-building and humanitarian intervention",
    "human security is the security of people",
    "security of the state, not human rights",
    "NEAR the title: AND OR NOT * ^ {braces}",
]


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    """An FTS5 table like the index's: Porter stemming over unicode61."""
    connection = sqlite3.connect(":memory:")
    connection.execute(
        'CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize = "porter unicode61 remove_diacritics 2")'
    )
    connection.executemany("INSERT INTO t(title, body) VALUES ('', ?)", [(d,) for d in DOCUMENTS])
    return connection


def matches(fts: sqlite3.Connection, text: str) -> set[str]:
    expression = "{body} : (" + parse(text).fts() + ")"
    return {body for (body,) in fts.execute("SELECT body FROM t WHERE t MATCH ?", (expression,))}


def test_words_are_all_required_and_also_match_as_prefixes(fts: sqlite3.Connection) -> None:
    assert matches(fts, "libya") == {"Libyan gangs defend the Mediterranean border", "Libya and Syria"}
    assert matches(fts, "libya syria") == {"Libya and Syria"}
    assert matches(fts, "interventions") == {"interventions in Bosnia", "peace-building and humanitarian intervention"}


def test_phrases_prefixes_or_and_exclusions(fts: sqlite3.Connection) -> None:
    assert matches(fts, '"human security"') == {"human security is the security of people"}
    assert matches(fts, "\u201chuman security\u201d") == {"human security is the security of people"}  # curly marks
    assert matches(fts, "interven*") == {
        "interventions in Bosnia",
        "the intervening powers",
        "peace-building and humanitarian intervention",
    }
    assert matches(fts, "bosnia OR syria") == {"interventions in Bosnia", "Libya and Syria"}
    assert matches(fts, "security -human") == set()
    assert matches(fts, "security NOT rights") == {"human security is the security of people"}
    assert matches(fts, "peace-building") == {"peace-building and humanitarian intervention"}


def test_operators_typed_as_text_are_words_not_syntax(fts: sqlite3.Connection) -> None:
    """FTS5's column filters, NEAR, ^, braces and lower-case operators are matched as words."""
    assert matches(fts, "title: near") == {"NEAR the title: AND OR NOT * ^ {braces}"}
    assert matches(fts, "NEAR(title braces)") == {"NEAR the title: AND OR NOT * ^ {braces}"}
    assert matches(fts, "^near {braces}") == {"NEAR the title: AND OR NOT * ^ {braces}"}
    assert matches(fts, 'body:"libya"') == set()  # the words "body" and "libya" together: none has both
    assert parse('a "" b').words == ["a", "b"]  # an empty phrase is nothing to look for


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"human security', "quotation mark at character 1 is not closed"),
        ('kosovo "new war', "quotation mark at character 8 is not closed"),
        ("-bosnia", "only says what to leave out"),
        ("NOT bosnia", "only says what to leave out"),
        ("", "at least one word"),
        ("!!! ... ***", "at least one word"),
        ("OR libya", "OR at character 1 needs a word on each side"),
        ("libya OR", "ends with OR"),
        ("libya OR OR syria", "needs a word on each side"),
        ("x" * (MAX_LENGTH + 1), f"at most {MAX_LENGTH}"),
        (" ".join(["w"] * (MAX_TERMS + 1)), f"more than {MAX_TERMS}"),
        ("libya\x00", "control characters"),
    ],
)
def test_what_cannot_be_searched_says_what_and_where(text: str, message: str) -> None:
    with pytest.raises(SearchSyntaxError, match=message):
        parse(text)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
def test_any_text_is_a_valid_fts5_query_or_a_syntax_error(text: str) -> None:
    """Whatever is typed, FTS5 never sees a syntax error: the parser refuses it first, with a message."""
    connection = sqlite3.connect(":memory:")
    connection.execute('CREATE VIRTUAL TABLE t USING fts5(body, tokenize = "porter unicode61 remove_diacritics 2")')
    connection.execute("INSERT INTO t VALUES ('security of the state and human rights')")
    try:
        search = parse(text)
    except SearchSyntaxError as error:
        assert str(error)
        return
    connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (search.fts(),)).fetchone()
    expression = prefix_words(text)
    if expression is not None:
        connection.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expression,)).fetchone()


def test_type_ahead_takes_every_typed_word_as_a_prefix() -> None:
    assert prefix_words("mary kal") == '"mary" * AND "kal" *'
    assert prefix_words('"kal') == '"kal" *'  # an open quotation mark is only the start of a name
    assert prefix_words("  ...  ") is None
    with pytest.raises(SearchSyntaxError):
        prefix_words("k" * (MAX_LENGTH + 1))


def test_the_marker_marks_what_the_index_matched() -> None:
    from sdkg.search.syntax import Marker

    marker = Marker(parse('libya "human security" interventions interv* Kosovo'), "[", "]")
    text = "Libyan gangs; the Libya question; human security; intervention(s); intervening; Kosova; KOSOVO; Kósovo"
    assert marker.mark(text) == (
        "[Libyan] gangs; the [Libya] question; [human] [security]; [intervention](s); [intervening]; Kosova; "
        "[KOSOVO]; [Kósovo]"
    )
    assert marker.mark("<b>not html</b>") == "<b>not html</b>"  # marks only: escaping is the page's job
    words = " ".join(f"w{i}" for i in range(60))
    snippet = marker.snippet([words, f"{words} Kosovo {words}"], size=6)
    assert snippet.startswith("…") and snippet.endswith("…") and "[Kosovo]" in snippet
    assert marker.snippet(["nothing here"]) == ""
