"""Parameters bound as a VALUES block (sdkg.sparql.bindings): placed at the top of the WHERE group by the
one tokeniser, never inside strings, IRIs or comments, and never pasted from the request."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from sdkg.sparql.bindings import insert_values, substitute, values_block
from sdkg.sparql.tokens import where_group as scan


def test_values_go_inside_the_where_group_not_into_strings_iris_or_comments() -> None:
    query = 'SELECT ?s # { not this\nWHERE { ?s rdfs:label "{x}" ; <http://e/{y}> ?o }'
    out = substitute(query, {"s": ox.NamedNode("http://example.org/a")})
    assert out.startswith(
        'SELECT ?s # { not this\nWHERE { VALUES (?s) { (<http://example.org/a>) }  ?s rdfs:label "{x}"'
    )


def test_construct_template_is_skipped() -> None:
    form, offset = scan("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert form == "CONSTRUCT"
    assert offset == len("CONSTRUCT { ?s ?p ?o } WHERE {")
    assert scan("CONSTRUCT WHERE { ?s ?p ?o }") == ("CONSTRUCT", len("CONSTRUCT WHERE {"))


def test_sub_select_and_escapes_fall_back_to_a_trailing_values() -> None:
    assert scan("SELECT * { SELECT ?s { ?s ?p ?o } }") == ("SELECT", None)
    out = substitute("SELECT ?s WHERE \\u007B ?s ?p ?o }", {"s": ox.NamedNode("http://example.org/a")})
    assert out.endswith("VALUES (?s) { (<http://example.org/a>) } ")


def test_a_hostile_literal_stays_one_escaped_literal() -> None:
    value = ox.Literal('x" } } ; DROP ALL ; SELECT * { "', language="en")
    out = substitute("SELECT ?l WHERE { ?s rdfs:label ?l }", {"l": value})
    assert '("x\\" } } ; DROP ALL ; SELECT * { \\""@en)' in out
    with pytest.raises(ValueError):
        substitute("SELECT ?l WHERE { ?s ?p ?l }", {"l) } DROP ALL #": ox.Literal("x")})


def test_a_query_without_a_where_group_gets_the_block_after_it() -> None:
    """A ``VALUES`` after the query joins with its whole result: same answers, where no top of WHERE exists."""
    assert insert_values("SELECT * { SELECT ?s { ?s ?p ?o } }", " B ") == "SELECT * { SELECT ?s { ?s ?p ?o } }\n B "
    with pytest.raises(SyntaxError):
        insert_values("INSERT DATA { <a> <b> <c> }", " B ")


def test_values_block_takes_only_iris_and_literals_under_variable_names() -> None:
    iri, literal = ox.NamedNode("http://example.org/a"), ox.Literal("5", datatype=ox.NamedNode("urn:t"))
    assert values_block({"a": iri, "b": literal}) == ' VALUES (?a ?b) { (<http://example.org/a> "5"^^<urn:t>) } '
    with pytest.raises(ValueError, match="not a SPARQL variable name"):
        values_block({"a b": iri})
    with pytest.raises(ValueError, match="IRI or a literal"):
        values_block({"a": ox.BlankNode("b")})  # type: ignore[dict-item]
    assert substitute("ASK { ?a ?p ?o }", {"a": iri}).startswith("ASK { VALUES (?a) { (<http://example.org/a>) } ")
