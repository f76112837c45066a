"""The SERVICE/LOAD guard (sdkg.sparql.guard) on its own: what it lets through, what it refuses, what it
cannot check. The end-to-end suite (tests/web/test_safety.py) shows that a refused endpoint is never
contacted; here each rule is pinned on the text alone."""

from __future__ import annotations

import pytest

from sdkg.sparql.errors import QueryError, Refused, Unverifiable
from sdkg.sparql.guard import WIKIDATA_SERVICES, admit, mentions_remote

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
        'SELECT * WHERE { ?s ?p "unpaired }',  # unsure: parse
    ],
)
def test_a_possible_keyword_is_a_mention(text: str) -> None:
    assert mentions_remote(text)


def test_an_allowed_endpoint_gives_its_time_limit() -> None:
    query = "SELECT * WHERE { SERVICE <http://allowed.example/sparql> { ?s ?p ?o } }"
    assert admit(query, ALLOWED) == 3.0
    wikidata = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    assert admit(wikidata, WIKIDATA_SERVICES) == 10.0


def test_other_endpoints_variables_and_loads_are_refused() -> None:
    with pytest.raises(Refused, match=r"SERVICE <http://127\.0\.0\.1:9/> is not allowed"):
        admit("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", ALLOWED)
    with pytest.raises(Refused, match="variable endpoint"):
        admit("SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }", ALLOWED)
    with pytest.raises(Refused, match="LOAD <http://evil.example/x> is not allowed"):
        admit("LOAD <http://evil.example/x>", ALLOWED, update=True)
    assert admit("LOAD <http://allowed.example/sparql>", ALLOWED, update=True) == 3.0


def test_what_cannot_be_checked_is_refused_as_unverifiable() -> None:
    with pytest.raises(Unverifiable, match="could not be checked") as caught:
        admit("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ", ALLOWED)
    assert isinstance(caught.value, Refused) and isinstance(caught.value, QueryError)
