"""A small build copied into memory is read, job by job, from whichever of the copy and the disk answered the job
faster (:class:`sdkg.sparql.inline.FasterStore`): the same answers either way."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from sdkg.sparql import inline
from sdkg.sparql.job import JSON_RESULTS, Admission, EngineConfig, Limits, QueryJob, QueryOutput
from sdkg.sparql.workers import WorkerEngine

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
"""Costs a worker about 10 ms on the repository's build: never answered in the server's process."""
KALDOR = "https://w3id.org/sdkg/id/actor/mary-kaldor"
ORDERED = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    f"SELECT ?type ?name WHERE {{ <{KALDOR}> a ?type ; rdfs:label ?name }} ORDER BY ?type ?name"
)
"""A small join: well under the threads' cost limit on either store."""


LIMIT = 10.0
"""The jobs' time limit (seconds)."""


def measured(seconds: float, from_disk: bool, body: bytes = b"{}") -> QueryOutput:
    return QueryOutput(body, JSON_RESULTS.media_type, "solutions", 1, cpu_seconds=seconds, from_disk=from_disk)


def on_copy(faster: inline.FasterStore, job: QueryJob, *seconds: float, body: bytes = b"{}") -> None:
    for each in seconds:
        assert faster.record(job, measured(each, from_disk=False, body=body))


def test_a_job_is_read_from_the_copy_then_from_the_disk_then_from_the_faster() -> None:
    faster = inline.FasterStore()
    slow_on_disk, fast_on_disk = QueryJob("ASK { ?a ?b ?c }", JSON_RESULTS), QueryJob("ASK { ?x ?y ?z }", JSON_RESULTS)
    samples = inline.SAMPLES
    assert not faster.on_disk(slow_on_disk, LIMIT) and faster.best(slow_on_disk, LIMIT) is None
    on_copy(faster, slow_on_disk, *[0.003] * (samples - 1))
    assert not faster.on_disk(slow_on_disk, LIMIT)  # measured on the copy SAMPLES times first
    on_copy(faster, slow_on_disk, 0.002)  # the least counts
    on_copy(faster, fast_on_disk, *[0.002] * samples)
    assert faster.on_disk(slow_on_disk, LIMIT) and faster.best(slow_on_disk, LIMIT) is None  # then tried
    for cost in [0.03] * (samples - 1):  # a worker's first reads of its disk: cold
        faster.record(slow_on_disk, measured(cost, from_disk=True))
        faster.record(fast_on_disk, measured(cost, from_disk=True))
    assert faster.on_disk(slow_on_disk, LIMIT) and faster.best(slow_on_disk, LIMIT) is None  # still on trial
    faster.record(slow_on_disk, measured(0.0017, from_disk=True))  # faster, but within the noise: not chosen
    faster.record(fast_on_disk, measured(0.0008, from_disk=True))
    assert not faster.on_disk(slow_on_disk, LIMIT) and faster.best(slow_on_disk, LIMIT) == 0.002
    assert faster.on_disk(fast_on_disk, LIMIT) and faster.best(fast_on_disk, LIMIT) == 0.0008
    faster.record(fast_on_disk, measured(0.01, from_disk=True))  # a later, slower measure changes nothing
    assert faster.on_disk(fast_on_disk, LIMIT) and faster.best(fast_on_disk, LIMIT) == 0.0008


def test_the_disk_is_never_chosen_when_its_answer_is_not_the_copys() -> None:
    """Rows tied under ORDER BY may come in another order from the disk: the client must see the copy's answer
    each time, so the disk's is refused, and the job is read from the copy from then on, however fast the disk."""
    faster = inline.FasterStore()
    job = QueryJob("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?o", JSON_RESULTS)
    on_copy(faster, job, *[0.003] * inline.SAMPLES, body=b'{"rows": [1, 2]}')
    assert faster.on_disk(job, LIMIT)
    assert not faster.record(job, measured(0.001, from_disk=True, body=b'{"rows": [2, 1]}'))
    assert not faster.on_disk(job, LIMIT) and faster.best(job, LIMIT) == 0.003
    on_copy(faster, job, 0.003, body=b'{"rows": [1, 2]}')  # the copy, again
    assert not faster.on_disk(job, LIMIT)


def test_every_answer_from_the_disk_is_compared_not_only_the_first() -> None:
    """Two requests may both be sent to the disk for its trial: the second's answer is checked too."""
    faster = inline.FasterStore()
    job = QueryJob("SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?o", JSON_RESULTS)
    on_copy(faster, job, *[0.003] * inline.SAMPLES, body=b"copy")
    assert faster.record(job, measured(0.001, from_disk=True, body=b"copy"))
    assert not faster.record(job, measured(0.001, from_disk=True, body=b"other"))
    assert not faster.on_disk(job, LIMIT)


def test_a_costly_job_is_not_tried_on_the_disk_and_a_failed_trial_settles_it() -> None:
    """The disk may take 12 times longer: a job the copy answers in more than a fiftieth of its time limit is not
    tried there (it would fail where the copy answers it in time); a trial that failed is not tried again."""
    faster = inline.FasterStore()
    costly, cheap = (QueryJob(f"ASK {{ <http://x/{n}> ?p ?o }}", JSON_RESULTS) for n in "ab")
    on_copy(faster, costly, LIMIT * inline.TRY_DISK_SHARE * 1.01, *[LIMIT] * (inline.SAMPLES - 1))
    on_copy(faster, cheap, *[0.01] * inline.SAMPLES)
    assert not faster.on_disk(costly, LIMIT) and faster.on_disk(costly, LIMIT * 2)
    assert faster.best(costly, LIMIT) == LIMIT * inline.TRY_DISK_SHARE * 1.01  # settled: the copy
    assert faster.best(costly, LIMIT * 2) is None  # to be tried on the disk first
    assert faster.on_disk(cheap, LIMIT)
    faster.failed_on_disk(cheap)
    assert not faster.on_disk(cheap, LIMIT) and faster.best(cheap, LIMIT) == 0.01


def test_only_short_texts_read_from_the_store_alone_are_compared() -> None:
    admitted = Admission(10.0, None, None)
    job = QueryJob("ASK { ?s ?p ?o }", JSON_RESULTS)
    assert inline.FasterStore.worth_learning(job, admitted)
    assert not inline.FasterStore.worth_learning(replace(job, whole=True), admitted)
    assert not inline.FasterStore.worth_learning(
        replace(job, query="#" * inline.REMEMBERED_TEXT + "\nASK {}"), admitted
    )
    assert not inline.FasterStore.worth_learning(
        job, replace(admitted, endpoints=("https://query.wikidata.org/sparql",))
    )


def test_what_no_worker_measured_teaches_nothing_and_the_memory_is_bounded() -> None:
    faster = inline.FasterStore(most=2)
    job = QueryJob("ASK { ?a ?b ?c }", JSON_RESULTS)
    faster.record(job, replace(measured(0.001, False), cpu_seconds=None))
    faster.record(job, replace(measured(0.001, False), from_disk=None))
    faster.record(job, measured(0.001, True))  # from a disk before any copy answered: nothing to compare it with
    assert faster.measures == {} or faster.measures[inline.cost_key(job)].disks == 0
    jobs = [QueryJob(f"ASK {{ <http://x/{n}> ?b ?c }}", JSON_RESULTS) for n in range(3)]
    for each in jobs:
        on_copy(faster, each, *[0.001] * inline.SAMPLES)
    assert len(faster.measures) == 2 and not faster.on_disk(jobs[0], LIMIT) and faster.on_disk(jobs[2], LIMIT)
    assert faster.on_disk(replace(jobs[2], timeout=2.0, max_rows=5), LIMIT)  # the same job whatever its limits


def copied_engine(store_path: Path) -> WorkerEngine:
    quads = len(ox.Store.read_only(str(store_path)))
    return WorkerEngine(store_path, EngineConfig(Limits(timeout=20.0)), 1, 0, quads, 10_000_000)


async def settled(engine: WorkerEngine) -> None:
    await engine.start()
    for _ in range(6000):
        if engine.workers()["settled"]:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"the pool did not settle: {engine.workers()}")


def test_a_worker_of_a_copied_build_reads_the_disk_when_the_job_was_faster_there(store_path: Path) -> None:
    engine = copied_engine(store_path)
    job = QueryJob(COUNT_ALL, JSON_RESULTS)
    asked = 2 * inline.SAMPLES + 2

    async def go() -> tuple[list[QueryOutput], bool]:
        await settled(engine)
        try:
            outputs = [await engine.run(job) for _ in range(asked)]
            return outputs, engine.faster.on_disk(job, LIMIT)
        finally:
            await engine.stop()

    outputs, chosen = asyncio.run(go())
    learning, after = outputs[: 2 * inline.SAMPLES], outputs[2 * inline.SAMPLES :]
    assert [o.from_disk for o in learning] == [False] * inline.SAMPLES + [True] * inline.SAMPLES
    copy = min(o.cpu_seconds for o in learning[: inline.SAMPLES] if o.cpu_seconds is not None)
    disk = min(o.cpu_seconds for o in learning[inline.SAMPLES :] if o.cpu_seconds is not None)
    assert chosen == (disk <= copy * inline.FASTER_BY)  # the faster, by the least of each store's measures
    assert [o.from_disk for o in after] == [chosen, chosen]  # and read there from then on
    assert copy > inline.MODERATE_CPU_SECONDS  # a worker's answer, each time
    assert len({o.body for o in outputs}) == 1 and b'"n"' in outputs[0].body


def test_a_job_is_remembered_for_inline_answers_once_both_stores_were_measured(store_path: Path) -> None:
    engine = copied_engine(store_path)
    job = QueryJob(ORDERED, JSON_RESULTS)
    asked = 2 * inline.SAMPLES + 1

    async def go() -> tuple[list[QueryOutput], list[int]]:
        await settled(engine)
        try:
            await engine.run(QueryJob(ORDERED.replace("?name", "?label"), JSON_RESULTS))  # warms the worker up
            outputs, remembered = [], []
            for _ in range(asked):
                outputs.append(await engine.run(job))
                remembered.append(len(engine.cheap))
            return outputs, remembered
        finally:
            await engine.stop()

    outputs, remembered = asyncio.run(go())
    assert [o.from_disk for o in outputs[:-1]] == [False] * inline.SAMPLES + [True] * inline.SAMPLES
    assert remembered == [0] * (2 * inline.SAMPLES - 1) + [1, 1]  # once its store is chosen, at that store's cost
    assert outputs[-1].cpu_seconds is None and outputs[-1].from_disk is None  # answered in the server's process
    assert len({o.body for o in outputs}) == 1 and outputs[0].rows == 1
