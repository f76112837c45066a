"""The SERVICE/LOAD guard (sdkg.sparql.guard) on its own: what it lets through, what it refuses, what it
cannot check, and that it reads any text in time linear in its size. The end-to-end suite
(tests/web/test_safety.py) shows that a refused endpoint is never contacted; here each rule is pinned
on the text alone."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkg.sparql.errors import MalformedQuery, QueryError, Refused, Unverifiable
from sdkg.sparql.guard import MAX_DEPTH, WIKIDATA_SERVICES, Reach, admit, mentions_remote, reaches_nothing, read

ALLOWED = {"http://allowed.example/sparql": 3.0}


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> {}' }",  # in a string
        "SELECT * WHERE { ?s <http://e/load> ?o }",  # in an IRI
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> { }",  # in a comment
        "SELECT ?service WHERE { ?service ?p ?o }",  # a variable
    ],
)
def test_keywords_inside_strings_iris_comments_and_variables_do_not_count(text: str) -> None:
    assert not mentions_remote(text)
    assert admit(text, ALLOWED) is None


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",  # escapes apply before parsing
        "SELECT * WHERE { ?s ex:p\\' SERVICE <http://x/> { ?s ?p ?o } ' }",  # an escaped quote opens no string
        "SELECT * WHERE { SERVICEx:q { ?s ?p ?o } }",  # pyoxigraph reads SERVICE x:q
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<1)SERVICE?x#>\n{ ?a ?b ?c } }",  # '<' compares: not an IRI
    ],
)
def test_a_possible_keyword_is_a_mention(text: str) -> None:
    assert mentions_remote(text)


def test_an_allowed_endpoint_gives_its_time_limit() -> None:
    query = "SELECT * WHERE { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }"
    assert admit(query, ALLOWED) == Reach(("http://allowed.example/sparql",), 3.0)
    named = "PREFIX a: <http://allowed.example/> SELECT * WHERE { SERVICE SILENT a:sparql { ?s ?p ?o } }"
    assert admit(named, ALLOWED) == Reach(("http://allowed.example/sparql",), 3.0)
    wikidata = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    assert admit(wikidata, WIKIDATA_SERVICES) == Reach(("https://query.wikidata.org/sparql",), 10.0)


def test_other_endpoints_variables_and_loads_are_refused() -> None:
    with pytest.raises(Refused, match=r"SERVICE <http://127\.0\.0\.1:9/> is not allowed"):
        admit("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", ALLOWED)
    with pytest.raises(Refused, match="variable endpoint"):
        admit("SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }", ALLOWED)
    with pytest.raises(Refused, match="LOAD <http://evil.example/x> is not allowed"):
        admit("LOAD <http://evil.example/x>", ALLOWED, update=True)
    assert admit("LOAD <http://allowed.example/sparql>", ALLOWED, update=True) == Reach(
        ("http://allowed.example/sparql",), 3.0
    )


def test_what_cannot_be_checked_is_refused_as_unverifiable() -> None:
    with pytest.raises(Unverifiable, match="could not be checked") as caught:
        admit("SELECT * WHERE { SERVICE ", ALLOWED)
    assert isinstance(caught.value, Refused) and isinstance(caught.value, QueryError)
    for hidden in (
        "PREFIX x: <http://127.0.0.1:9/> SELECT * WHERE { ?s ?p ?o FILTER(?o<1)SERVICEx:q#>\n{ ?a ?b ?c } }",
        "SELECT * WHERE { SERVICEx:q { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE undeclared:q { ?s ?p ?o } }",
    ):
        with pytest.raises(Unverifiable):
            admit(hidden, ALLOWED)


def test_comparisons_and_iris_that_look_alike_are_told_apart() -> None:
    assert admit("SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o != <http://a/load>) }", ALLOWED) is None
    assert admit("SELECT * WHERE { ?s ?p ?o FILTER(?o IN (<http://a/service>, <http://b/>)) }", ALLOWED) is None
    with pytest.raises(Refused, match="evil"):  # the string after a '<' that compares hides nothing
        admit("SELECT * WHERE { <http://x#> ?p ?o FILTER(?a<'x>') SERVICE <http://evil/> {} }", ALLOWED)


@pytest.mark.parametrize("opening", ["(", "{", "["])
def test_nesting_deeper_than_the_limit_is_malformed(opening: str) -> None:
    closing = {"(": ")", "{": "}", "[": "]"}[opening]
    deep = f"SELECT * WHERE {{ FILTER({opening * 5000}1{closing * 5000}) }}"
    with pytest.raises(MalformedQuery, match=f"deeper than {MAX_DEPTH}"):
        admit(deep, ALLOWED)
    with pytest.raises(MalformedQuery):
        admit(f"INSERT DATA {{ {'(' * 5000} }}", ALLOWED, update=True)
    assert admit(f"SELECT * WHERE {{ FILTER({'(' * 50}1{')' * 50}) }}", ALLOWED) is None


PIECES = ["SELECT * WHERE ", "{", "}", "(", ")", "[", "]", "?s ", "'", '"', "#", "\n", "<http://x/> ", "<", ">", " "]
PIECES += ["SERVICE ", "service", "Load ", "LOAD", "\\u0053ERVICE ", "\\u004cOAD ", "SERV", "ICE ", "lo", "ad "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.integers(min_value=0, max_value=2 * MAX_DEPTH))
def test_the_quick_pass_lets_through_only_what_the_scan_would(pieces: list[str], depth: int) -> None:
    """A text the quick pass lets through without a scan is one in which the scan finds no keyword and no nesting
    past the limit, escapes, strings, comments and split words included."""
    text = "(" * depth + "".join(pieces) + ")" * depth
    if reaches_nothing(text):
        reading = read(text)
        assert not reading.keywords and reading.depth <= MAX_DEPTH


def test_the_quick_pass_leaves_escaped_keywords_and_deep_texts_to_the_scan() -> None:
    assert reaches_nothing("SELECT * WHERE { ?s ?p ?o }")
    escaped = "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert not reaches_nothing(escaped)
    with pytest.raises(Refused, match="is not allowed"):
        admit(escaped, ALLOWED)
    at_limit = f"SELECT * WHERE {{ FILTER({'(' * (MAX_DEPTH - 2)}1{')' * (MAX_DEPTH - 2)}) }}"
    assert reaches_nothing(at_limit) and read(at_limit).depth == MAX_DEPTH
    past = f"SELECT * WHERE {{ FILTER({'(' * (MAX_DEPTH - 1)}1{')' * (MAX_DEPTH - 1)}) }}"
    assert not reaches_nothing(past)
    with pytest.raises(MalformedQuery, match=f"deeper than {MAX_DEPTH}"):
        admit(past, ALLOWED)


def test_the_scan_is_linear_in_the_text() -> None:
    """989 kB of VALUES with a stray quote froze the server for 38 s when the guard parsed it with rdflib."""
    values = " ".join(f'"v{i}"' for i in range(110_000))
    for tail in ("'", " ?x <http://e/service> ?y", " ?x ex:service ?y"):
        text = f"SELECT * WHERE {{ VALUES ?x {{ {values} }} {tail} }}"
        started = time.perf_counter()
        try:
            admit(text, ALLOWED)
        except QueryError:
            pass
        assert time.perf_counter() - started < 1.0, tail
