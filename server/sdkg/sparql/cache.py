"""A bounded cache of answers, in front of any engine: the same job on the same build gets the same bytes.

A build is immutable (a new one is a new directory), so an answer stays right until the
server moves to another build: :meth:`CachingEngine.swap` empties the cache. The key is the
:class:`~.job.QueryJob` itself (frozen and hashable: the text, formats, dataset, parameters,
the client's limits and compression); the engine's own limits do not change while it runs.
Only answers up to ``max_entry_bytes`` are kept, and at most ``max_bytes`` in all, least
recently used first out. Errors and timeouts are never cached.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from .engine import Engine
from .job import QueryJob, QueryOutput


class CachingEngine:
    """``engine`` with a least-recently-used cache of at most ``max_bytes`` of answers."""

    def __init__(self, engine: Engine, max_bytes: int, max_entry_bytes: int = 1_000_000):
        self.engine = engine
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self.entries: OrderedDict[QueryJob, QueryOutput] = OrderedDict()
        self.size = 0
        self.hits = 0
        self.misses = 0

    def answer_now(self, job: QueryJob) -> QueryOutput | None:
        found = self.found(job)
        if found is not None:
            return found
        output = self.engine.answer_now(job)
        if output is not None:
            self.misses += 1
            self.keep(job, output)
        return output

    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        found = self.found(job)
        if found is not None:
            return found
        self.misses += 1
        output = await self.engine.run(job, arrived)
        self.keep(job, output)
        return output

    def found(self, job: QueryJob) -> QueryOutput | None:
        found = self.entries.get(job)
        if found is not None:
            self.entries.move_to_end(job)
            self.hits += 1
        return found

    def keep(self, job: QueryJob, output: QueryOutput) -> None:
        if len(output.body) <= self.max_entry_bytes:
            self.entries[job] = output
            self.size += len(output.body)
            while self.size > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def triple_count(self) -> int:
        return self.engine.triple_count()

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        self.clear()
        await self.engine.stop()

    def swap(self, store_path: Path, expected_triples: int | None = None) -> None:
        self.clear()
        self.engine.swap(store_path, expected_triples)

    def close(self) -> None:
        self.engine.close()
