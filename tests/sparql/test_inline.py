"""One-pattern queries are answered in the server's process (no worker round trip), with the same answer a worker
gives, and only when their cost is bounded by their answer (:mod:`sdkg.sparql.inline`)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

import sdkg.sparql.workers as workers_module
from sdkg.sparql import inline
from sdkg.sparql.dataset import Dataset
from sdkg.sparql.errors import EngineBusy, MalformedQuery
from sdkg.sparql.job import JSON_RESULTS, Admission, EngineConfig, Limits, QueryJob, QueryOutput
from sdkg.sparql.negotiation import RESULT_FORMATS
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
        inline.recognised.cache_clear()  # each one read, not remembered
        assert not inline.single_pattern(text)
    assert time.process_time() - started < 1.0  # 80 texts; exponential backtracking would take years


async def started(engine: WorkerEngine) -> None:
    """Start ``engine`` and wait until a worker has counted the store (the integrity check inline answers wait for)."""
    await engine.start()
    for _ in range(3000):
        if engine.ready_workers and engine.problem is None and counted(engine):
            return
        await asyncio.sleep(0.01)


def run(engine: WorkerEngine, *jobs: QueryJob) -> list[QueryOutput]:
    async def go() -> list[QueryOutput]:
        await started(engine)
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
    """A one-pattern job whose answer is longer than the inline caps is read here once, then remembered: a worker
    answers it at once from then on."""
    engine = engine_over(store_path)
    long, short = (
        QueryJob("SELECT * WHERE { ?s ?p ?o }", JSON_RESULTS),
        QueryJob(f"ASK {{ <{RENEWAL}> ?p ?o }}", JSON_RESULTS),
    )

    async def go() -> tuple[QueryOutput, QueryOutput, bool, bool]:
        await started(engine)
        try:
            await engine.run(short)
            first = await engine.run(long)
            remembered = long in engine.long and short not in engine.long
            return first, await engine.run(long), remembered, engine.answer_now(long) is None
        finally:
            await engine.stop()

    first, second, remembered, left_to_run = asyncio.run(go())
    assert engine.inline_answers == 1  # (the ASK)
    assert len(rows(first)) > inline.ROWS * 10 and not first.truncated and second.body == first.body
    assert remembered and left_to_run


def test_the_jobs_own_row_cap_cuts_an_inline_answer_and_says_so(store_path: Path) -> None:
    engine = engine_over(store_path, max_rows=5)
    (output,) = run(engine, QueryJob("SELECT * WHERE { ?s ?p ?o }", JSON_RESULTS))
    assert engine.inline_answers == 1
    assert len(rows(output)) == 5 and output.truncated


def test_a_malformed_one_pattern_query_is_the_same_error_inline(store_path: Path) -> None:
    engine = engine_over(store_path)
    with pytest.raises(MalformedQuery):
        run(engine, QueryJob("SELECT ?s WHERE { ?s undeclared:p ?o }", JSON_RESULTS))


SMALL_JOIN = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    f"SELECT ?type ?name WHERE {{ <{KALDOR}> a ?type ; rdfs:label ?name }} ORDER BY ?type"
)


def test_a_job_a_worker_answered_cheaply_is_answered_inline_when_it_comes_again(store_path: Path) -> None:
    """The first time a worker answers and says what it cost; the second time the server answers, the same."""
    engine = engine_over(store_path)
    assert not inline.single_pattern(SMALL_JOIN)
    warm_up = QueryJob(SMALL_JOIN.replace("?name", "?label"), JSON_RESULTS)  # a worker's first query costs more
    _, first, second, third = run(engine, warm_up, *[QueryJob(SMALL_JOIN, JSON_RESULTS)] * 3)
    assert first.cpu_seconds is not None and 0 < first.cpu_seconds <= inline.CHEAP_CPU_SECONDS
    assert second.cpu_seconds is None and third.cpu_seconds is None  # made here, not by a worker
    assert engine.inline_answers == 2
    assert rows(first) and first.body == second.body == third.body


def test_a_job_that_cost_a_worker_more_is_not_remembered(store_path: Path) -> None:
    costly = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?s ?q ?r }"
    engine = engine_over(store_path)
    first, second = run(engine, QueryJob(costly, JSON_RESULTS), QueryJob(costly, JSON_RESULTS))
    assert first.cpu_seconds is not None and first.cpu_seconds > inline.MODERATE_CPU_SECONDS
    assert second.cpu_seconds is not None  # a worker again
    assert engine.inline_answers == 0 and len(engine.cheap) == 0


LABEL_COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {LABEL} ?l }}"
"""A job that costs a worker a few milliseconds on the repository's build (1.8 ms here): over the event loop's
limit, within the threads'."""


def test_a_job_that_cost_a_worker_a_few_milliseconds_is_answered_in_a_thread_when_it_comes_again(
    store_path: Path,
) -> None:
    engine = engine_over(store_path)
    warm_up = QueryJob(LABEL_COUNT.replace("?n", "?count"), JSON_RESULTS)
    _, first, second, third = run(engine, warm_up, *[QueryJob(LABEL_COUNT, JSON_RESULTS)] * 3)
    assert first.cpu_seconds is not None
    assert inline.CHEAP_CPU_SECONDS < first.cpu_seconds <= inline.MODERATE_CPU_SECONDS
    assert second.cpu_seconds is None and third.cpu_seconds is None  # made in the server's process
    assert engine.threads.answers == 2 and engine.inline_answers == 2
    assert first.body == second.body == third.body and int(rows(first)[0]["n"]["value"]) > 1000  # type: ignore[index]


def test_when_every_thread_turn_is_taken_a_worker_answers(store_path: Path) -> None:
    engine = engine_over(store_path)
    job = QueryJob(LABEL_COUNT, JSON_RESULTS)

    async def go() -> tuple[QueryOutput, bool, QueryOutput]:
        await started(engine)
        try:
            await engine.run(QueryJob(LABEL_COUNT.replace("?n", "?count"), JSON_RESULTS))
            measured = await engine.run(job)
            remembered = job in engine.cheap
            while engine.threads.take():
                pass
            return measured, remembered, await engine.run(job)
        finally:
            await engine.stop()

    measured, remembered, busy = asyncio.run(go())
    assert measured.cpu_seconds is not None and measured.cpu_seconds > inline.CHEAP_CPU_SECONDS and remembered
    assert busy.cpu_seconds is not None  # a worker's answer
    assert busy.body == measured.body and engine.threads.answers == 0


def test_the_threads_hold_a_bounded_number_of_jobs_and_free_a_turn_when_one_ends() -> None:
    threads = inline.QueryThreads(size=1)
    for _ in range(inline.THREAD_TURNS):
        assert threads.take()
    assert not threads.take()  # every turn taken: the caller sends its job to a worker

    async def go() -> tuple[str, bool]:
        answer = await threads.run(lambda: "answered")  # in the last turn taken above
        return answer, threads.take()

    answer, free_again = asyncio.run(go())
    assert answer == "answered" and free_again
    assert not threads.take()
    threads.close()


def test_a_job_dropped_from_the_queue_by_its_cancelled_caller_frees_its_turn() -> None:
    """A client that leaves while its job waits for a thread: the job never runs, and its turn is free again
    (else a few hundred impatient clients would leave no turn, and the threads unused)."""
    threads = inline.QueryThreads(size=1)
    gate = threading.Event()

    async def go() -> int:
        assert threads.take() and threads.take()
        running = asyncio.ensure_future(threads.run(gate.wait, 10.0))
        waiting = asyncio.ensure_future(threads.run(lambda: "never"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        gate.set()
        assert await running is True
        await asyncio.sleep(0.01)  # the done callbacks run on the loop's next turns
        free = 0
        while threads.take():
            free += 1
        return free

    assert asyncio.run(go()) == inline.THREAD_TURNS
    threads.close()


def test_the_same_text_in_another_format_with_another_parameter_or_dataset_is_another_job() -> None:
    job = QueryJob(SMALL_JOIN, JSON_RESULTS)
    cheap = inline.CheapJobs()
    assert cheap.remember(job, cheap_output(), ADMITTED)
    csv = next(f for f in RESULT_FORMATS if f.media_type == "text/csv")
    assert replace(job, results_format=csv) not in cheap
    assert replace(job, substitutions=(("type", ox.NamedNode("http://x/T")),)) not in cheap
    assert replace(job, dataset=Dataset(default_graphs=("http://x/g",))) not in cheap
    assert job in cheap


def cheap_output(rows: int = 1, body: bytes = b"{}", truncated: bool = False) -> QueryOutput:
    return QueryOutput(body, "application/sparql-results+json", "solutions", rows, truncated, cpu_seconds=0.0001)


ADMITTED = Admission(10.0, None, None)


@pytest.mark.parametrize(
    "text",
    [
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f FILTER (NOW() > '2027-01-01T00:00:00Z'^^xsd:dateTime) }",
        "SELECT * WHERE { ?s ?p ?o FILTER (rand() < 0.5) }",
        "SELECT (STRUUID() AS ?u) WHERE { }",
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f FILTER (\\u004E\\u006fw() > 0) }",  # NOW, as SPARQL reads it
        "SELECT * WHERE { ?s ?p ?o }" + " " * inline.REMEMBERED_TEXT,
    ],
)
def test_texts_whose_cost_may_change_are_never_remembered(text: str) -> None:
    assert not inline.CheapJobs().remember(QueryJob(text, JSON_RESULTS), cheap_output(), ADMITTED)


def test_only_cheap_whole_answers_within_the_inline_caps_that_stay_off_the_network_are_remembered() -> None:
    job = QueryJob(SMALL_JOIN, JSON_RESULTS)
    cheap = inline.CheapJobs()
    assert cheap.remember(job, cheap_output(), ADMITTED) and job in cheap
    refused = [
        (job, replace(cheap_output(), cpu_seconds=inline.MODERATE_CPU_SECONDS * 1.01), ADMITTED),
        (job, replace(cheap_output(), cpu_seconds=None), ADMITTED),  # no worker measured it
        (job, cheap_output(truncated=True), ADMITTED),
        (job, cheap_output(rows=inline.ROWS), ADMITTED),  # the inline read would be cut
        (job, cheap_output(body=b"x" * (inline.BYTES + 1)), ADMITTED),
        (job, cheap_output(), Admission(10.0, None, None, endpoints=("https://query.wikidata.org/sparql",))),
        (replace(job, whole=True), cheap_output(), ADMITTED),
    ]
    for refused_job, output, admission in refused:
        assert not inline.CheapJobs().remember(refused_job, output, admission)


def test_the_memory_of_cheap_jobs_is_bounded_and_forgets_the_least_recently_asked_first() -> None:
    cheap = inline.CheapJobs(most=2)
    a, b, c = (QueryJob(f"ASK {{ <http://x/{name}> ?p ?o . ?o ?q ?r }}", JSON_RESULTS) for name in "abc")
    cheap.remember(a, cheap_output(), ADMITTED)
    cheap.remember(b, cheap_output(), ADMITTED)
    assert a in cheap  # asked again: now the most recent
    cheap.remember(c, cheap_output(), ADMITTED)
    assert len(cheap) == 2 and a in cheap and c in cheap and b not in cheap
    assert replace(a, timeout=1.0, max_rows=3, gzip=True) in cheap  # the same cost whatever its limits


def test_the_rows_of_small_steady_json_answers_are_known() -> None:
    """What :class:`~sdkg.sparql.inline.KnownAnswers` keeps: the rows of whole, small SPARQL JSON answers to SELECTs
    whose answer cannot change; not an ASK's, another format's, a cut answer's, a long one's, nor a RAND's."""
    job = QueryJob(SMALL_JOIN, JSON_RESULTS)
    known = inline.KnownAnswers()
    known.remember(job, cheap_output(rows=3), ADMITTED)
    assert known.known_rows(job) == 3
    assert known.known_rows(replace(job, timeout=1.0, gzip=True)) == 3
    csv = next(f for f in RESULT_FORMATS if f.media_type == "text/csv")
    refused = [
        (job, replace(cheap_output(), kind="boolean")),
        (replace(job, results_format=csv), replace(cheap_output(), media_type="text/csv")),
        (job, cheap_output(truncated=True)),
        (job, cheap_output(rows=inline.ROWS)),
        (job, cheap_output(body=b"x" * (inline.BYTES + 1))),
        (job, replace(cheap_output(), rows=None)),
        (QueryJob("SELECT * WHERE { ?s ?p ?o FILTER (rand() < 0.5) }", JSON_RESULTS), cheap_output()),
        (replace(job, whole=True), cheap_output()),
    ]
    for refused_job, output in refused:
        fresh = inline.KnownAnswers()
        fresh.remember(refused_job, output, ADMITTED)
        assert fresh.known_rows(refused_job) is None, output


def test_a_repeated_lookup_is_written_by_oxigraph_and_is_the_same_answer(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second answer to a point lookup and the inline answers to a join a worker answered come from Oxigraph's
    writer (the engine knows their rows), byte for byte the first; moving to another build forgets what was known."""
    engine = engine_over(store_path)
    lookup = QueryJob(f"SELECT ?p ?o WHERE {{ <{RENEWAL}> ?p ?o }}", JSON_RESULTS)
    join = QueryJob(SMALL_JOIN, JSON_RESULTS)
    known_rows_read: list[int | None] = []  # what each inline read was told of its answer's rows
    read = workers_module.execute

    def recording(*args: Any) -> QueryOutput:
        known_rows_read.append(args[6])
        return read(*args)

    monkeypatch.setattr(workers_module, "execute", recording)

    async def go() -> tuple[list[QueryOutput], int | None, int | None]:
        await started(engine)
        try:
            warm_up = QueryJob(SMALL_JOIN.replace("?name", "?label"), JSON_RESULTS)
            outputs = [await engine.run(job) for job in (warm_up, lookup, lookup, join, join, join)]
            before = engine.known.known_rows(lookup)
            engine.swap(store_path)
            return outputs, before, engine.known.known_rows(lookup)
        finally:
            await engine.stop()

    outputs, before, after = asyncio.run(go())
    _, first, second, by_worker, third, fourth = outputs
    assert first.body == second.body and len(rows(first)) == before and after is None
    assert by_worker.cpu_seconds is not None and third.cpu_seconds is None and fourth.cpu_seconds is None
    assert by_worker.body == third.body == fourth.body
    assert known_rows_read == [None, before, len(rows(by_worker)), len(rows(by_worker))]


def test_moving_to_another_build_forgets_the_cheap_jobs(store_path: Path) -> None:
    engine = engine_over(store_path)

    async def go() -> tuple[int, int]:
        await started(engine)
        try:
            await engine.run(QueryJob(SMALL_JOIN.replace("?name", "?label"), JSON_RESULTS))  # warms the worker up
            await engine.run(QueryJob(SMALL_JOIN, JSON_RESULTS))
            before = len(engine.cheap)
            engine.swap(store_path)
            return before, len(engine.cheap)
        finally:
            await engine.stop()

    before, after = asyncio.run(go())
    assert before >= 1 and after == 0
    assert engine.inline_copy is None and not engine.inline_copy_started
