"""Answers as :func:`sdkg.sparql.execute.execute` writes them: the same solutions as pyoxigraph's own
serialiser, in every results format, and the row and byte caps on what is sent."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from sdkg.sparql.execute import execute
from sdkg.sparql.job import QueryJob
from sdkg.sparql.negotiation import RESULT_FORMATS, RESULTS_FORMAT_OF

EX = "http://example.org/"
DATA = f"""
<{EX}a> <{EX}p> "plain" , "tagged"@en , "1"^^<http://www.w3.org/2001/XMLSchema#integer> , _:b , <{EX}c> .
<{EX}c> <{EX}p> "with \\"quotes\\", commas\\nand lines\\t\\u00e9" .
<{EX}c> <{EX}q> <{EX}a> .
"""
# the variables projected in another order than the pattern binds them, and one left unbound on some rows
QUERY = f"SELECT ?o ?missing ?s WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?o <{EX}q> ?missing }} }} ORDER BY STR(?o)"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    return store


def solutions(body: bytes, fmt: ox.QueryResultsFormat) -> tuple[list[str], list[tuple[str, ...]]]:
    """The variables and rows of an answer, read back by pyoxigraph's parser (blank nodes by their place)."""
    parsed = ox.parse_query_results(body, format=fmt)
    assert isinstance(parsed, ox.QuerySolutions)
    variables = [v.value for v in parsed.variables]
    rows = [tuple("_:" if isinstance(t, ox.BlankNode) else str(t) for t in solution) for solution in parsed]
    return variables, rows


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_every_format_says_what_pyoxigraph_says(store: ox.Store, fmt: object) -> None:
    results_format = RESULTS_FORMAT_OF[fmt.media_type]  # type: ignore[attr-defined]
    output = execute(store, QueryJob(QUERY, results_format=fmt), None)  # type: ignore[arg-type]
    native = store.query(QUERY).serialize(format=results_format)  # type: ignore[union-attr]
    assert native is not None
    if results_format == ox.QueryResultsFormat.CSV:  # lossy, so pyoxigraph reads none back: the same bytes
        assert output.body == native
    else:
        assert solutions(output.body, results_format) == solutions(native, results_format)
    assert output.rows == 6 and not output.truncated


def test_the_json_answer_is_pyoxigraphs_with_the_truncation_flag(store: ox.Store) -> None:
    json_format = RESULT_FORMATS[0]
    ours = json.loads(execute(store, QueryJob(QUERY, results_format=json_format), None).body)
    native = json.loads(store.query(QUERY).serialize(format=ox.QueryResultsFormat.JSON) or b"")  # type: ignore[union-attr]
    assert ours["head"] == native["head"] and ours["results"] == native["results"]
    assert ours["truncated"] is False


def test_the_row_cap_keeps_the_first_rows_and_says_there_were_more(store: ox.Store) -> None:
    job = QueryJob(QUERY, results_format=RESULT_FORMATS[0])
    whole = json.loads(execute(store, job, None).body)["results"]["bindings"]
    for cap in range(len(whole) + 2):
        output = execute(store, job, cap)
        answer = json.loads(output.body)
        assert answer["results"]["bindings"] == whole[:cap]
        assert output.rows == min(cap, len(whole))
        assert answer["truncated"] is output.truncated is (cap < len(whole))


def test_the_byte_cap_counts_what_is_sent(store: ox.Store) -> None:
    """Each cut keeps the longest run of rows whose written bindings fit: the body never passes the cap by more
    than the document around the rows."""
    job = QueryJob(QUERY, results_format=RESULT_FORMATS[0])
    whole = execute(store, job, None)
    envelope = len(
        json.dumps({"head": {"vars": ["o", "missing", "s"]}, "truncated": False, "results": {"bindings": []}})
    )
    rows = json.loads(whole.body)["results"]["bindings"]
    sizes = [len(json.dumps(row, separators=(",", ":"), ensure_ascii=False)) + 1 for row in rows]
    for cap in range(0, sum(sizes) + 2, 7):
        output = execute(store, job, None, max_bytes=cap)
        kept = json.loads(output.body)["results"]["bindings"]
        fits = max(n for n in range(len(rows) + 1) if sum(sizes[:n]) <= cap)
        assert kept == rows[:fits] and output.truncated is (fits < len(rows))
        assert len(output.body.decode("utf-8")) <= cap + envelope + 10


def test_an_answer_of_known_rows_is_written_by_oxigraph_with_the_same_bytes(store: ox.Store) -> None:
    """``known_rows``: Oxigraph's own writer, whose bytes are the row-by-row writer's (escapes, languages,
    datatypes, blank nodes, unbound variables), ``"truncated": false`` included."""
    for text in (QUERY, "SELECT * WHERE { ?s ?p ?o }", f"SELECT ?x WHERE {{ <{EX}a> <{EX}nothing> ?x }}"):
        for fmt in RESULT_FORMATS:
            job = QueryJob(text, results_format=fmt)
            by_rows = execute(store, job, None)
            whole = execute(store, job, None, known_rows=by_rows.rows)
            assert whole.body == by_rows.body, (text, fmt.name)
            assert (whole.rows, whole.truncated, whole.media_type) == (by_rows.rows, False, by_rows.media_type)


def test_an_answer_of_known_rows_still_keeps_to_the_row_and_byte_caps(store: ox.Store) -> None:
    """Known rows over the job's row cap, or Oxigraph's answer over the byte cap: read row by row and cut, as
    without them."""
    job = QueryJob(QUERY, results_format=RESULT_FORMATS[0])
    whole = execute(store, job, None)
    assert whole.rows == 6
    assert execute(store, job, 4, known_rows=6).body == execute(store, job, 4).body
    for cap in (0, 50, 200, len(whole.body) - 1):  # (the last one: the rows fit, the document around them not)
        cut, by_rows = (execute(store, job, None, max_bytes=cap, known_rows=known) for known in (6, None))
        assert (cut.body, cut.rows, cut.truncated) == (by_rows.body, by_rows.rows, by_rows.truncated)
        assert cut.truncated is (cap != len(whole.body) - 1)
    assert execute(store, job, None, max_bytes=len(whole.body), known_rows=6).body == whole.body
