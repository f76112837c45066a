"""Reading a SPARQL 1.1 Protocol request (sdkg.web.protocol) and the update dataset (sdkg.sparql.dataset), on
their own: the W3C suite (test_protocol_w3c.py) runs the same rules through HTTP."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdkg.sparql.dataset import Dataset, DatasetError, with_using
from sdkg.sparql.errors import NotAcceptable
from sdkg.web.protocol import BODY_TYPES, ProtocolError, QueryRequest, job_for, pairs_of, parse_get, parse_post

FORM = "application/x-www-form-urlencoded"


def test_get_decodes_each_parameter_once_and_reads_the_dataset() -> None:
    parsed = parse_get("query=ASK%20%7B%7D&default-graph-uri=http%3A%2F%2Fa&named-graph-uri=http%3A%2F%2Fb&timeout=2.5")
    assert parsed == QueryRequest("ASK {}", None, Dataset(("http://a",), ("http://b",)), None, 2.5)
    assert parse_get("query=a%252Bb").query == "a%2Bb"


FORM_PIECES = ["a", "q", "=", "&", "+", "%", "%2", "%20", "%25", "%3D", "%26", "%2B", "%C3", "%A9", "%FF", "%zz"]
FORM_PIECES += ["\\", "\\x41", "%5C", "é", "\u2603", " ", "%E2%98%83", "query", "%u0041"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(FORM_PIECES), max_size=30))
def test_form_fields_are_read_as_parse_qsl_reads_them(pieces: list[str]) -> None:
    """The fast reading (each escape decoded by the C codec) gives what ``parse_qsl`` gives, or the same 400."""
    text = "".join(pieces)
    try:
        expected: object = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        expected = "not UTF-8"
    try:
        found: object = pairs_of(text.encode("utf-8"))
    except ProtocolError as error:
        found = "not UTF-8" if "not UTF-8" in str(error) else str(error)
    assert found == expected


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("query=A&query=B", "more than one query"),
        ("update=A&update=B", "more than one update"),
        ("query=A&update=B", "both a query and an update"),
        ("query=A&timeout=soon", "timeout must be a number"),
        ("query=A&timeout=0", "timeout must be a positive, finite number"),
        ("query=A&timeout=nan", "timeout must be a positive, finite number"),
        ("query=A&timeout=inf", "timeout must be a positive, finite number"),
        ("query=A&timeout=-1", "timeout must be a positive, finite number"),
        ("default-graph-uri=http://example.org/g", "given without a query"),
        ("query=ASK%7B%7D%20%23%FF", "not UTF-8"),
    ],
)
def test_requests_the_protocol_does_not_allow_are_400(query_string: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message) as caught:
        parse_get(query_string)
    assert caught.value.status == 400


def test_post_forms_direct_queries_and_updates() -> None:
    assert parse_post(FORM, b"query=ASK+%7B%7D", "").query == "ASK {}"
    direct = parse_post("application/sparql-query; charset=utf-8", b"ASK {}", "named-graph-uri=http%3A%2F%2Fg")
    assert direct.query == "ASK {}" and direct.dataset.named_graphs == ("http://g",)
    assert parse_post("application/sparql-update", b"CLEAR ALL", "").update == "CLEAR ALL"
    with pytest.raises(ProtocolError, match="carries the query in the body"):
        parse_post("application/sparql-query", b"ASK {}", "query=ASK%7B%7D")
    with pytest.raises(ProtocolError, match="not UTF-8"):
        parse_post("application/sparql-query", b"\xff", "")


@pytest.mark.parametrize(
    ("content_type", "body"), [("text/plain", b"ASK {}"), ("application/sparql-query; charset=latin-1", b"ASK {}")]
)
def test_other_bodies_are_415_naming_what_is_accepted(content_type: str, body: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_post(content_type, body, "")
    assert caught.value.status == 415 and caught.value.extra["supported"] == BODY_TYPES


def test_the_job_gets_the_formats_the_client_accepts() -> None:
    parsed = parse_get("query=ASK%20%7B%7D&timeout=3")
    job = job_for("ASK {}", "text/csv;q=0.5, text/turtle", parsed)
    assert job.results_format is not None and job.results_format.media_type == "text/csv"
    assert job.graph_format is not None and job.graph_format.media_type == "text/turtle"
    assert job.timeout == 3.0 and job.substitutions == ()
    assert hash(job) == hash(job_for("ASK {}", "text/csv;q=0.5, text/turtle", parsed))  # a value: it can key a cache
    with pytest.raises(NotAcceptable):
        job_for("ASK {}", "image/png", parsed)


def test_the_update_dataset_becomes_using_clauses_before_each_where() -> None:
    update = "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o } ; INSERT { ?s ?p 1 } WHERE { ?s ?p 'where' }"
    out = with_using(update, Dataset(("http://g",), ("http://n",)))
    assert out.count("USING <http://g> USING NAMED <http://n> WHERE") == 2
    assert "'where'" in out  # a string is never edited
    assert with_using("DELETE WHERE { ?s ?p ?o }", Dataset(("http://g",))) == "DELETE WHERE { ?s ?p ?o }"
    assert with_using(update, Dataset()) == update
    with pytest.raises(DatasetError, match="has WITH"):
        with_using("WITH <http://w> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", Dataset(("http://g",)))
    with pytest.raises(DatasetError, match="bad using-graph-uri"):
        with_using(update, Dataset(("not an iri",)))


def test_forms_are_read_without_the_codec_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a Python without ``codecs.escape_decode``, ``parse_qsl`` reads every form."""
    import sdkg.web.protocol as protocol

    monkeypatch.setattr(protocol, "ESCAPE_DECODE", None)
    text = "query=SELECT%20%3Fs%20WHERE%20%7B%7D+%C3%A9&format=json&x=%zz%5C"
    assert pairs_of(text.encode()) == parse_qsl(text, keep_blank_values=True, errors="strict")
    with pytest.raises(ProtocolError, match="not UTF-8"):
        pairs_of(b"query=%FF")
