"""Query workers of a small build answer from their own copy of the store in memory, the same answers the store on
disk gives (:func:`sdkg.sparql.workers.open_store`, :func:`~sdkg.sparql.workers.copies_fit`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.sparql.errors import QueryTimeout
from sdkg.sparql.job import JSON_RESULTS, EngineConfig, Limits, QueryJob, QueryOutput
from sdkg.sparql.negotiation import GRAPH_FORMATS
from sdkg.sparql.workers import BYTES_PER_QUAD_IN_MEMORY, Pool, WorkerEngine, WorkerSetup, copies_fit, open_store

EX = "http://example.org/"
QUERIES = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "PREFIX sdkg: <https://w3id.org/sdkg/ontology#>\n"
    "SELECT ?claim ?stance WHERE { ?a sdkg:ascribes ?claim ; sdkg:stance ?stance } ORDER BY ?claim ?stance",
    "ASK { ?s a <https://w3id.org/sdkg/ontology#Claim> }",
]


def small_store(path: Path) -> set[ox.Quad]:
    store = ox.Store(str(path))
    node = ox.BlankNode("b1")
    quads = {
        ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.Literal("x", language="en"), ox.NamedNode(EX + "g")),
        ox.Quad(node, ox.NamedNode(EX + "p"), ox.Literal("1", datatype=ox.NamedNode(EX + "t"))),
        ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "q"), node, ox.NamedNode(EX + "g")),
    }
    store.extend(quads)
    store.add_graph(ox.NamedNode(EX + "empty"))
    store.flush()
    del store
    return quads


def test_a_copy_holds_every_quad_and_every_named_graph_and_is_apart_from_the_disk(tmp_path: Path) -> None:
    quads = small_store(tmp_path / "store")
    setup = WorkerSetup(str(tmp_path / "store"), None, None, in_memory=True)
    copy = open_store(setup)
    assert set(copy) == quads
    assert set(copy.named_graphs()) == {ox.NamedNode(EX + "g"), ox.NamedNode(EX + "empty")}
    extra = ox.Quad(ox.NamedNode(EX + "b"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "c"))
    copy.add(extra)  # a store of its own in memory: writable, and nothing reaches the build
    on_disk = open_store(WorkerSetup(str(tmp_path / "store"), None, None))
    with pytest.raises(RuntimeError, match="read-write"):
        on_disk.add(extra)
    assert extra not in set(on_disk)


def test_copies_are_for_builds_whose_size_is_known_small_and_that_fit_in_a_quarter_of_the_memory() -> None:
    assert copies_fit(10_000, 10, 500_000)
    assert not copies_fit(None, 10, 500_000)  # the build recorded no size
    assert not copies_fit(10_000, 10, 0)  # turned off
    assert not copies_fit(500_001, 10, 500_000)
    assert not copies_fit(10**10, 10, 10**12)  # 6 TB of copies: not on this machine
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    fits_once = memory // 4 // (12 * BYTES_PER_QUAD_IN_MEMORY)  # the quads whose 12 copies just fit
    assert copies_fit(fits_once, 10, 10**12, processes=1)
    assert not copies_fit(fits_once, 10, 10**12, processes=2)  # each serving process has its workers and a copy


def answers(store_path: Path, most_quads: int) -> tuple[list[QueryOutput], list[bool]]:
    """The answers of one worker (a copy, or the disk) to :data:`QUERIES` and a CONSTRUCT, and what it read."""
    engine = WorkerEngine(
        store_path, EngineConfig(Limits(timeout=10.0)), 1, 0, len(ox.Store.read_only(str(store_path))), most_quads
    )

    async def go() -> tuple[list[QueryOutput], list[bool]]:
        await engine.start()
        try:
            outputs = [await engine.run(QueryJob(text, JSON_RESULTS)) for text in QUERIES]
            outputs.append(await engine.run(QueryJob("CONSTRUCT WHERE { ?s a ?type }", graph_format=GRAPH_FORMATS[0])))
            return outputs, [worker.setup.in_memory for worker in engine.pools[False].idle]
        finally:
            await engine.stop()

    return asyncio.run(go())


def test_workers_answer_from_a_copy_what_they_answer_from_the_disk(store_path: Path) -> None:
    from_copy, copied = answers(store_path, 10_000_000)
    from_disk, on_disk = answers(store_path, 0)
    assert copied == [True] and on_disk == [False]
    assert b"true" in from_copy[3].body
    for copy, disk in zip(from_copy[:-1], from_disk[:-1], strict=True):  # ordered answers: the same bytes
        assert copy.body == disk.body and copy.rows == disk.rows
    graphs = [set(ox.parse(output.body, ox.RdfFormat.TURTLE)) for output in (from_copy[-1], from_disk[-1])]
    assert graphs[0] == graphs[1] and len(graphs[0]) > 100  # a graph: the same triples, in the engine's order
    assert from_copy[0].rows and from_copy[0].rows > 100


MEASURE = """
import sys
from pathlib import Path
from sdkg.sparql.workers import WorkerSetup, open_store

def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise SystemExit("no VmRSS")

before = rss()
store = open_store(WorkerSetup(sys.argv[1], None, None, in_memory=True))
print(rss() - before, len(store))
"""


def test_a_copy_takes_less_memory_per_quad_than_the_estimate_the_pool_and_the_bench_use(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "store"))
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.extend(
        ox.Quad(
            ox.NamedNode(f"https://w3id.org/sdkg/id/claim/x{i}"),
            label if i % 3 else ox.NamedNode(EX + f"p{i % 40}"),
            ox.Literal(f"Synthetic claim {i}", language="en") if i % 3 else ox.NamedNode(EX + f"o{i % 997}"),
            ox.NamedNode(EX + f"graph{i % 7}"),
        )
        for i in range(60_000)
    )
    store.flush()
    del store
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tmp_path / "store")], capture_output=True, text=True, check=True
    )
    grown, quads = map(int, measured.stdout.split())
    assert quads == 60_000
    assert 50 * quads < grown < BYTES_PER_QUAD_IN_MEMORY * quads  # in memory, and within the estimate


CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_a_worker_killed_at_its_deadline_is_followed_by_one_on_disk_and_the_copies_come_back_when_calm(
    store_path: Path,
) -> None:
    engine = WorkerEngine(
        store_path, EngineConfig(Limits(timeout=10.0)), 1, 0, len(ox.Store.read_only(str(store_path))), 10_000_000
    )
    lookup = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON_RESULTS)

    async def kinds() -> list[bool]:
        for _ in range(1000):
            pool = engine.pools[False]
            if len(pool.idle) == 1 and not pool.starting:
                break
            await asyncio.sleep(0.01)
        return sorted(worker.setup.in_memory for worker in engine.pools[False].idle)

    async def go() -> tuple[list[bool], list[bool], list[bool], bytes]:
        engine.calm_seconds = 3600.0
        await engine.start()
        at_start = await kinds()
        with pytest.raises(QueryTimeout):
            await engine.run(QueryJob(CARTESIAN, JSON_RESULTS, timeout=0.3))
        after_timeout = await kinds()  # its successor reads the disk: it starts in a fraction of a second
        answer = (await engine.run(lookup)).body
        engine.calm_seconds = 0.0  # calm now: a worker that reads the disk is replaced by a copy when released
        for _ in range(4):
            await asyncio.gather(engine.run(lookup), engine.run(lookup))
            await kinds()
        try:
            return at_start, after_timeout, await kinds(), answer
        finally:
            await engine.stop()

    at_start, after_timeout, calm, answer = asyncio.run(go())
    assert at_start == [True]
    assert after_timeout == [False]
    assert calm == [True]
    assert str(len(ox.Store.read_only(str(store_path)))).encode() in answer


def test_a_pool_of_copies_starts_on_disk_and_copies_the_store_into_its_workers_one_at_a_time(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_disk = ox.Store.read_only(str(store_path))
    engine = WorkerEngine(store_path, EngineConfig(Limits(timeout=10.0)), 3, 0, len(on_disk), 10_000_000)
    copying: list[int] = []
    server_copy_while_workers_copied: list[bool] = []
    copies_starting = [0]  # workers being started to copy the store, counted from the call to its end
    start_one = Pool.start_one

    async def counted(pool: Pool, copy: bool = True) -> None:
        copies = copy and pool.setup.in_memory
        copies_starting[0] += copies
        try:
            await start_one(pool, copy)
        finally:
            copies_starting[0] -= copies

    monkeypatch.setattr(Pool, "start_one", counted)

    async def go() -> tuple[list[bool], list[bool], bool]:
        await engine.start()
        pool = engine.pools[False]
        at_start = sorted(worker.setup.in_memory for worker in pool.members)
        settled_at_start = engine.workers()["settled"]
        for _ in range(4000):  # no query needed: the pool converts itself in the background, then the server copies
            copying.append(copies_starting[0] + (engine.inline_copy_started and engine.inline_copy is None))
            if engine.inline_copy_started:
                server_copy_while_workers_copied.append(pool.copying)
            if engine.workers()["inline_copy"] and len(pool.idle) == 3:
                break
            await asyncio.sleep(0.005)
        try:
            assert not settled_at_start and engine.workers()["settled"]
            inline_copy = engine.inline_copy
            return (
                at_start,
                sorted(worker.setup.in_memory for worker in pool.idle),
                (inline_copy is not None and engine.inline_store() is inline_copy and len(inline_copy) == len(on_disk)),
            )
        finally:
            await engine.stop()

    at_start, settled, inline_store = asyncio.run(go())
    assert True not in at_start  # the disk workers answer first
    assert settled == [True, True, True]
    assert max(copying) == 1  # one copy at a time, the server's own too
    assert server_copy_while_workers_copied and True not in server_copy_while_workers_copied
    assert inline_store and engine.inline_copy is None  # answered from the copy; dropped when the engine stopped
    assert engine.workers()["copies_wanted"]
