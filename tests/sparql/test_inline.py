"""One-pattern queries are answered in the server's process (no worker round trip), with the same answer a worker
gives, and only when their cost is bounded by their answer (:mod:`sdkg.sparql.inline`)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from sdkg.sparql import inline
from sdkg.sparql.errors import EngineBusy, MalformedQuery
from sdkg.sparql.job import JSON_RESULTS, EngineConfig, Limits, QueryJob, QueryOutput
from sdkg.sparql.workers import WorkerEngine

KALDOR = "https://w3id.org/sdkg/id/actor/mary-kaldor"
RENEWAL = "https://w3id.org/sdkg/id/periodical/renewal"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"

ONE_PATTERN = [
    f"SELECT ?p ?o WHERE {{ <{KALDOR}> ?p ?o }}",
    f"SELECT ?s ?p WHERE {{ ?s ?p <{KALDOR}> }}",
    f"SELECT ?label WHERE {{ <{KALDOR}> {LABEL} ?label . }}",
    "PREFIX sdkg: <https://w3id.org/sdkg/ontology#>\nASK { ?c a sdkg:Claim }",
    'prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> select * { ?s rdfs:label "Mary Kaldor"@en } limit 3',
    'SELECT ?s WHERE { ?s ?p "1"^^<http://www.w3.org/2001/XMLSchema#integer> }',
]
NOT_BOUNDED_BY_THE_ANSWER = [
    "SELECT ?x WHERE { ?x ?p ?x }",  # a repeated variable: the scan filters
    "SELECT * WHERE { ?s ?p ?o FILTER (?o = 1) }",
    "SELECT * WHERE { ?s ?p ?o } OFFSET 100000",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 1",
    "SELECT DISTINCT ?p WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o . ?o ?q ?r }",
    "SELECT * WHERE { ?s <http://x/p>* ?o }",
    "SELECT * WHERE { ?s ^<http://x/p> ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM <http://x/g> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o } VALUES ?s { <http://x/a> }",
    "SELECT * WHERE { ?s ?p ?o } # a comment",
    "SELECT * WHERE { { ?s ?p ?o } }",
    "DESCRIBE <http://x/a>",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o }" + " " * inline.MAX_TEXT,
]


@pytest.mark.parametrize("query", ONE_PATTERN)
def test_one_pattern_queries_are_recognised(query: str) -> None:
    assert inline.single_pattern(query)


@pytest.mark.parametrize("query", NOT_BOUNDED_BY_THE_ANSWER)
def test_queries_whose_cost_the_answer_does_not_bound_are_not(query: str) -> None:
    assert not inline.single_pattern(query)


def test_the_recogniser_reads_hostile_text_in_linear_time() -> None:
    """Possessive quantifiers: no backtracking, whatever the text (the longest it reads is MAX_TEXT)."""
    texts = [
        "SELECT " + "?a " * 600 + "WHERE { ?s ?p ?o . }!",
        "PREFIX a: <" + "x" * (inline.MAX_TEXT - 12),
        'SELECT * { ?s ?p "' + "a" * (inline.MAX_TEXT - 20),
        "SELECT * { " + "?s " * 600,
    ]
    started = time.process_time()
    for text in texts * 20:
        assert not inline.single_pattern(text)
    assert time.process_time() - started < 1.0  # 80 texts; exponential backtracking would take years


def run(engine: WorkerEngine, *jobs: QueryJob) -> list[QueryOutput]:
    async def go() -> list[QueryOutput]:
        await engine.start()
        for _ in range(3000):  # until a worker has counted the store (the integrity check inline answers wait for)
            if engine.ready_workers and engine.problem is None and counted(engine):
                break
            await asyncio.sleep(0.01)
        try:
            return [await engine.run(job) for job in jobs]
        finally:
            await engine.stop()

    return asyncio.run(go())


def counted(engine: WorkerEngine) -> bool:
    try:
        engine.triple_count()
    except EngineBusy:
        return False
    return True


def engine_over(store_path: Path, max_rows: int | None = None) -> WorkerEngine:
    return WorkerEngine(store_path, EngineConfig(Limits(timeout=10.0, max_rows=max_rows)), size=2)


def rows(output: QueryOutput) -> list[dict[str, object]]:
    return list(json.loads(output.body)["results"]["bindings"])


def test_a_point_lookup_is_answered_inline_with_the_answer_a_worker_gives(store_path: Path) -> None:
    engine = engine_over(store_path)
    lookup = f"SELECT ?p ?o WHERE {{ <{RENEWAL}> ?p ?o }}"
    via_worker = lookup.replace("WHERE {", "WHERE { { ", 1).replace("}", "} }", 1)  # a group: not recognised
    assert not inline.single_pattern(via_worker)
    here, there = run(engine, QueryJob(lookup, JSON_RESULTS), QueryJob(via_worker, JSON_RESULTS))
    assert engine.inline_answers == 1
    assert len(rows(here)) > 3
    assert here.body == there.body and here.media_type == there.media_type and not here.truncated


def test_an_ask_is_answered_inline(store_path: Path) -> None:
    engine = engine_over(store_path)
    (output,) = run(engine, QueryJob("ASK { ?c a <https://w3id.org/sdkg/ontology#Claim> }", JSON_RESULTS))
    assert json.loads(output.body)["boolean"] is True
    assert engine.inline_answers == 1


def test_a_long_answer_goes_to_a_worker_and_is_complete(store_path: Path) -> None:
    engine = engine_over(store_path)
    (output,) = run(engine, QueryJob("SELECT * WHERE { ?s ?p ?o }", JSON_RESULTS))
    assert engine.inline_answers == 0
    assert len(rows(output)) > inline.ROWS * 10 and not output.truncated


def test_the_jobs_own_row_cap_cuts_an_inline_answer_and_says_so(store_path: Path) -> None:
    engine = engine_over(store_path, max_rows=5)
    (output,) = run(engine, QueryJob("SELECT * WHERE { ?s ?p ?o }", JSON_RESULTS))
    assert engine.inline_answers == 1
    assert len(rows(output)) == 5 and output.truncated


def test_a_malformed_one_pattern_query_is_the_same_error_inline(store_path: Path) -> None:
    engine = engine_over(store_path)
    with pytest.raises(MalformedQuery):
        run(engine, QueryJob("SELECT ?s WHERE { ?s undeclared:p ?o }", JSON_RESULTS))
