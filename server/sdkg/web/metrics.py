"""Query metrics in the Prometheus text format, and one structured log line per query (:class:`QueryLog`:
collected in memory and written in batches by a thread of its own, never in the request's path).

Every query the server runs goes through :class:`MeteredEngine`, so the endpoint, the canned
queries, the pages and the statistics are all counted, each with the status its outcome maps
to (:func:`.errors.as_http`). Hand-written rather than ``prometheus_client``: five series do
not justify a dependency, and the format is plain text.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..sparql.engine import Engine
from ..sparql.job import QueryJob, QueryOutput
from .errors import as_http

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


QueryRecord = tuple[float, int, int | None, bool, str | None, str]
"""What the log keeps of one query: seconds, status, rows, whether it was cut, its kind, its text's start."""


def query_line(record: QueryRecord) -> str:
    """One query's log line, a JSON object: ``event``, ``duration_ms``, ``status``, ``rows``, ``truncated``,
    ``kind``, ``query`` (its first 200 characters)."""
    seconds, status, rows, truncated, kind, query = record
    return json.dumps(
        {
            "event": "query",
            "duration_ms": round(seconds * 1000, 2),
            "status": status,
            "rows": rows,
            "truncated": truncated,
            "kind": kind,
            "query": query,
        },
        ensure_ascii=False,
    )


class QueryLog:
    """One JSON line per query (:func:`query_line`), kept in memory and written every ``every`` seconds by a
    thread (one write per batch: the request pays for appending a tuple; the thread writes the lines). At most
    ``limit`` queries wait; beyond that the oldest are dropped and the next batch says how many."""

    def __init__(self, out: TextIO | None = None, every: float = 0.5, limit: int = 100_000):
        self.out = out
        self.every = every
        self.lines: deque[QueryRecord] = deque(maxlen=limit)
        self.written = self.dropped = 0
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def write(self, record: QueryRecord) -> None:
        if self.out is None:
            return
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        self.lines.append(record)

    def start(self) -> None:
        if self.out is not None and self.thread is None:
            self.thread = threading.Thread(target=self.run, name="sdkg-query-log", daemon=True)
            self.thread.start()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.flush()
        self.flush()

    def flush(self) -> None:
        if self.out is None or not self.lines:
            return
        batch = []
        while self.lines:
            batch.append(query_line(self.lines.popleft()))
        if self.dropped:
            batch.append(json.dumps({"event": "log-dropped", "lines": self.dropped}))
            self.dropped = 0
        try:
            self.out.write("\n".join(batch) + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass
        self.written += len(batch)

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(5)


def stderr_log() -> QueryLog:
    return QueryLog(sys.stderr)


STATUSES = (200, 400, 401, 403, 404, 406, 408, 409, 413, 414, 415, 422, 429, 500, 501, 502, 503, 504, 507)
"""The statuses counted one by one; any other is counted as ``status="other"``."""
IN_FLIGHT, TIMEOUTS, TRUNCATIONS, DURATION_SUM, DURATION_COUNT = range(5)
FIRST_BUCKET = 5
FIRST_STATUS = FIRST_BUCKET + len(BUCKETS)
HEARTBEAT = FIRST_STATUS + len(STATUSES) + 1
"""When the process's event loop last turned (``time.monotonic()``, one clock for every process), for the
supervisor (:mod:`.processes`); 0 before the first turn."""
CONNECTIONS = HEARTBEAT + 1
"""The HTTP connections the process holds open, for the balance between processes (:mod:`.http`)."""
AT_ONCE = CONNECTIONS + 1
"""The queries the engine answered at once, in the HTTP protocol (:meth:`MeteredEngine.answer_now`)."""
SLOT = AT_ONCE + 1
"""Numbers one serving process keeps (doubles: exact counts up to 2**53)."""


def block_bytes(processes: int) -> int:
    return 8 * slot_base(processes)


def slot_base(slot: int) -> int:
    """Where serving process ``slot``'s numbers start in the block (after when the server started)."""
    return 1 + slot * SLOT


def beat_index(slot: int) -> int:
    """Where in the block serving process ``slot`` says when its event loop last turned (0: not yet)."""
    return slot_base(slot) + HEARTBEAT


def counter_block(processes: int) -> memoryview[float]:
    """Room for ``processes`` slots of counters and, first, when the server started, in this process's memory.
    The block several serving processes share (:class:`.processes.SharedCounters`) has the same layout, and
    each of them writes its own slot."""
    block = memoryview(bytearray(block_bytes(processes))).cast("d")
    block[0] = time.time()
    return block


@dataclass
class Metrics:
    """Counters for the query endpoint; safe to update from any thread.

    The numbers live in ``block``, a slot per serving process (this one writes slot ``slot``): with several
    processes (:mod:`.processes`) the block is shared memory, so ``/metrics`` sums every process's counts,
    whichever process answers it, and a replaced process's counts are kept."""

    block: memoryview[float] = field(default_factory=lambda: counter_block(1))
    slot: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: QueryLog = field(default_factory=QueryLog)

    def __post_init__(self) -> None:
        self.base = slot_base(self.slot)
        self.slots = (len(self.block) - 1) // SLOT
        self.block[self.base + IN_FLIGHT] = 0  # a replaced process's queries are not in flight any more
        self.block[self.base + HEARTBEAT] = 0
        self.block[self.base + CONNECTIONS] = 0  # (a replaced process's connections closed with it)

    def beat(self) -> None:
        """Say that this process's event loop turns (called from it)."""
        self.block[self.base + HEARTBEAT] = time.monotonic()

    def connection_opened(self) -> None:
        """Count a connection this process accepted (from its event loop, which alone writes its count)."""
        self.block[self.base + CONNECTIONS] += 1

    def connection_closed(self) -> None:
        self.block[self.base + CONNECTIONS] -= 1

    def holds_more_than_its_share(self) -> bool:
        """Whether this process holds more open connections than its share of all the serving processes'
        (their sum divided among them, rounded up); never when it serves alone."""
        if self.slots < 2:
            return False
        return self.block[self.base + CONNECTIONS] > -(-self.summed(CONNECTIONS) // self.slots)

    @property
    def started(self) -> float:
        return self.block[0]

    def begin(self) -> float:
        with self.lock:
            self.block[self.base + IN_FLIGHT] += 1
        return time.monotonic()

    def left(self, started: float) -> None:
        """A query begun here and left to another path, which counts it."""
        with self.lock:
            self.block[self.base + IN_FLIGHT] -= 1

    def end(
        self,
        started: float,
        status: int,
        rows: int | None,
        truncated: bool,
        kind: str | None,
        query: str,
        at_once: bool = False,
    ) -> None:
        """Record one finished query (answered ``at_once`` in the HTTP protocol, or not) and write its log line."""
        seconds = time.monotonic() - started
        block, base = self.block, self.base
        with self.lock:
            block[base + IN_FLIGHT] -= 1
            block[base + AT_ONCE] += at_once
            block[base + FIRST_STATUS + status_index(status)] += 1
            block[base + TIMEOUTS] += status == 504
            block[base + TRUNCATIONS] += truncated
            block[base + DURATION_SUM] += seconds
            block[base + DURATION_COUNT] += 1
            bucket = bisect_left(BUCKETS, seconds)  # the first bound it fits (counted there only; rendered cumulative)
            if bucket < len(BUCKETS):
                block[base + FIRST_BUCKET + bucket] += 1
        self.log.write((seconds, status, rows, truncated, kind, query[:200]))  # (not the whole text, kept a while)

    def summed(self, index: int) -> float:
        """Number ``index`` of a slot, summed over the serving processes' slots."""
        block = self.block
        return sum(block[slot_base(slot) + index] for slot in range(self.slots))

    def totals(self) -> list[float]:
        """Each counted number summed over the serving processes' slots."""
        return [self.summed(index) for index in range(HEARTBEAT)]

    def render(self) -> str:
        with self.lock:
            totals = [int(n) if index != DURATION_SUM else n for index, n in enumerate(self.totals())]
        lines = [
            "# HELP sdkg_query_duration_seconds Time to answer a SPARQL query.",
            "# TYPE sdkg_query_duration_seconds histogram",
        ]
        cumulative = 0  # each query is counted in the first bucket it fits; Prometheus's buckets are cumulative
        for index, bound in enumerate(BUCKETS):
            cumulative += int(totals[FIRST_BUCKET + index])
            lines.append(f'sdkg_query_duration_seconds_bucket{{le="{bound}"}} {cumulative}')
        lines += [
            f'sdkg_query_duration_seconds_bucket{{le="+Inf"}} {totals[DURATION_COUNT]}',
            f"sdkg_query_duration_seconds_sum {totals[DURATION_SUM]:.6f}",
            f"sdkg_query_duration_seconds_count {totals[DURATION_COUNT]}",
            "# HELP sdkg_queries_total Queries answered, by HTTP status.",
            "# TYPE sdkg_queries_total counter",
        ]
        for index, status in enumerate((*STATUSES, "other")):
            if totals[FIRST_STATUS + index]:
                lines.append(f'sdkg_queries_total{{status="{status}"}} {totals[FIRST_STATUS + index]}')
        lines += [
            "# HELP sdkg_query_timeouts_total Queries stopped at the time limit.",
            "# TYPE sdkg_query_timeouts_total counter",
            f"sdkg_query_timeouts_total {totals[TIMEOUTS]}",
            "# HELP sdkg_query_truncations_total Answers cut at the row limit.",
            "# TYPE sdkg_query_truncations_total counter",
            f"sdkg_query_truncations_total {totals[TRUNCATIONS]}",
            "# HELP sdkg_queries_answered_at_once_total Queries answered in the HTTP protocol at once, without an"
            " ASGI task, a thread or a worker (light queries, remembered cheap ones, cached answers).",
            "# TYPE sdkg_queries_answered_at_once_total counter",
            f"sdkg_queries_answered_at_once_total {int(self.summed(AT_ONCE))}",
            "# HELP sdkg_queries_in_flight Queries being answered now.",
            "# TYPE sdkg_queries_in_flight gauge",
            f"sdkg_queries_in_flight {totals[IN_FLIGHT]}",
            "# HELP sdkg_serving_processes Processes serving HTTP on the port.",
            "# TYPE sdkg_serving_processes gauge",
            f"sdkg_serving_processes {self.slots}",
            "# HELP sdkg_uptime_seconds Seconds since the server started.",
            "# TYPE sdkg_uptime_seconds gauge",
            f"sdkg_uptime_seconds {time.time() - self.started:.0f}",
        ]
        return "\n".join(lines) + "\n"


def status_index(status: int) -> int:
    try:
        return STATUSES.index(status)
    except ValueError:
        return len(STATUSES)


@dataclass
class Answer:
    """What a metered engine call answered (``None``: nothing yet, or it left the job to another call)."""

    output: QueryOutput | None = None


class MeteredEngine:
    """An engine whose every query is timed, counted by status and logged (one JSON line)."""

    def __init__(self, engine: Engine, metrics: Metrics):
        self.engine = engine
        self.metrics = metrics

    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        with self.counted(job) as answer:
            output = answer.output = await self.engine.run(job, arrived)
        return output

    def answer_now(self, job: QueryJob) -> QueryOutput | None:
        """:meth:`Engine.answer_now`, timed, counted and logged when it answers or fails (not when it leaves the
        job to :meth:`run`, which counts it)."""
        with self.counted(job, at_once=True) as answer:
            answer.output = self.engine.answer_now(job)
        return answer.output

    @contextmanager
    def counted(self, job: QueryJob, at_once: bool = False) -> Iterator[Answer]:
        """Time the answer to ``job`` made in the ``with`` block, count it by status and log it."""
        started = self.metrics.begin()
        answer = Answer()
        status = 500  # (also when the block is cancelled: the client left)
        try:
            yield answer
            status = 200
        except Exception as error:
            status = as_http(error).status
            raise
        finally:
            output = answer.output
            if status == 200 and output is None:
                self.metrics.left(started)
            else:
                rows, truncated, kind = (output.rows, output.truncated, output.kind) if output else (None, False, None)
                self.metrics.end(started, status, rows, truncated, kind, job.query, at_once and output is not None)

    def triple_count(self) -> int:
        return self.engine.triple_count()

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()

    def swap(self, store_path: Path, expected_triples: int | None = None) -> None:
        self.engine.swap(store_path, expected_triples)

    def close(self) -> None:
        self.engine.close()
