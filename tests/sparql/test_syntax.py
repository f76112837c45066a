"""Syntax errors said so a person can fix them (sdkg.sparql.syntax): line, caret, hint."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from sdkg.sparql.syntax import explain


def report(query: str) -> str:
    with pytest.raises(SyntaxError) as raised:
        ox.Store().query(query)
    return explain(query, str(raised.value)).text()


def test_a_missing_prefix_is_named_with_its_declaration() -> None:
    text = report("SELECT * WHERE {\n  ?s rdfs:label ?o\n}")
    assert text.splitlines() == [
        "line 2, column 6: prefix 'rdfs:' is not declared",
        "    ?s rdfs:label ?o",
        "       ^",
        "hint: add  PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>  before SELECT",
    ]
    assert "\\u{" not in text


def test_an_unknown_prefix_after_a_declared_one() -> None:
    text = report("PREFIX x: <http://x/>\nSELECT * WHERE { ?s x:a ?o ; foo:b ?c }")
    assert text.startswith("line 2, column 30: prefix 'foo:' is not declared")
    assert "PREFIX foo: <the namespace IRI>" in text and "knows no such prefix" in text


def test_names_in_strings_iris_and_comments_are_not_prefixes() -> None:
    query = 'SELECT * WHERE { ?s <http://x/a:b> "rdfs:label" } # owl:Thing\nLIMIT 1 ?'
    assert "prefix" not in report(query)


def test_an_unclosed_group_and_a_misspelt_form() -> None:
    unclosed = report("SELECT * WHERE { ?s ?p ?o  LIMIT 1").splitlines()
    assert unclosed[0].startswith("line 1, column 35: expected one of")
    assert unclosed[2] == "  " + " " * 34 + "^"
    assert unclosed[3] == "hint: 1 '{' not closed: add '}' at the end of the group"
    misspelt = report("PREFIX a: <http://a/>\nSELEC * WHERE {}").splitlines()
    assert misspelt[0] == "line 2, column 1: 'SELEC' does not start a query"
    assert misspelt[-1].startswith("hint: a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE")
