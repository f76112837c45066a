"""The one tokeniser (sdkg.sparql.tokens) and the scans built on it: a keyword, a brace or a
quote inside a string, an IRI or a comment never counts."""

from __future__ import annotations

from sdkg.sparql.tokens import closing_brace, is_update, operation, prologue, tokens, where_group


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokens(text)]


def test_strings_iris_and_comments_are_single_tokens() -> None:
    text = "SELECT ?s # { SERVICE\nWHERE { ?s <http://e/x#select> \"a { b\" , '''c\n}''' }"
    assert kinds(text) == [
        ("word", "SELECT"),
        ("var", "?s"),
        ("comment", "# { SERVICE"),
        ("word", "WHERE"),
        ("brace", "{"),
        ("var", "?s"),
        ("iri", "<http://e/x#select>"),
        ("string", '"a { b"'),
        ("string", "'''c\n}'''"),
        ("brace", "}"),
    ]


def test_an_unpaired_quote_is_stray_and_an_escape_opens_no_string() -> None:
    assert ("stray", '"') in kinds('SELECT * { ?s ?p "open }')
    # ``ex:p\\'`` is a prefixed name with an escaped quote: what follows is not inside a string
    assert kinds("ex:p\\' SERVICE") == [("word", "ex"), ("word", "p"), ("escape", "\\'"), ("word", "SERVICE")]


def test_prologue_names_every_prefix_and_ends_at_the_operation() -> None:
    text = "# header\nPREFIX my-ns: <http://x/>\nPREFIX : <http://y/>\nBASE <http://b/>\nSELECT * {}"
    declared, offset = prologue(text)
    assert declared == {"my-ns": "http://x/", "": "http://y/"}
    assert text[offset:] == "SELECT * {}"
    assert operation(text) == "SELECT"


def test_is_update_reads_the_first_operation() -> None:
    assert is_update("PREFIX ex: <http://e/>\n# INSERT? no: a comment\nINSERT DATA { ex:a ex:b ex:c }")
    assert is_update("BASE <http://b/> with <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert not is_update("SELECT * WHERE { ?s <http://e/insert> 'DELETE' }")
    assert not is_update("PREFIX insert: <http://e/> ASK { insert:a ?p ?o }")
    assert not is_update("")


def test_where_group() -> None:
    query = 'PREFIX ask: <x> SELECT ?s # {\nWHERE { ?s ?p "{" }'
    form, offset = where_group(query)
    assert form == "SELECT" and query[:offset].endswith("WHERE {")
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert where_group(construct) == ("CONSTRUCT", construct.index("WHERE {") + len("WHERE {"))
    assert where_group("SELECT * { SELECT ?s { ?s ?p ?o } }") == ("SELECT", None)
    assert where_group("INSERT DATA { <a> <b> <c> }") == (None, None)
    assert closing_brace("{ a { b } '}' c } d", 1) == len("{ a { b } '}' c ")


def test_the_route_remembers_whether_a_short_text_is_an_update_and_not_a_long_one() -> None:
    from sdkg.web.sparql_routes import REMEMBERED_TEXT, remembered_is_update, update_sent_as_query

    remembered_is_update.cache_clear()
    update = "# with a comment that says WITH\nINSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"
    query = "# with a comment that says WITH\nSELECT * WHERE { ?s ?p ?o }"
    assert [update_sent_as_query(update), update_sent_as_query(query), update_sent_as_query(update)] == [
        True,
        False,
        True,
    ]
    assert remembered_is_update.cache_info().hits == 1 and remembered_is_update.cache_info().currsize == 2
    long_update = "#" + "x" * REMEMBERED_TEXT + "\n" + update
    assert update_sent_as_query(long_update) and remembered_is_update.cache_info().currsize == 2
