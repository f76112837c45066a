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
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..sparql.engine import Engine
from ..sparql.job import QueryJob, QueryOutput
from .errors import as_http

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class QueryLog:
    """One JSON line per query, kept in memory and written every ``every`` seconds by a thread (one write per
    batch: the request pays for a ``json.dumps`` and an append). At most ``limit`` lines wait; beyond that
    the oldest are dropped and the next batch says how many."""

    def __init__(self, out: TextIO | None = None, every: float = 0.5, limit: int = 100_000):
        self.out = out
        self.every = every
        self.lines: deque[str] = deque(maxlen=limit)
        self.written = self.dropped = 0
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def write(self, record: dict[str, object]) -> None:
        if self.out is None:
            return
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        self.lines.append(json.dumps(record, ensure_ascii=False))

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
            batch.append(self.lines.popleft())
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


@dataclass
class Metrics:
    """Counters for the query endpoint; safe to update from any thread."""

    started: float = field(default_factory=time.time)
    in_flight: int = 0
    timeouts: int = 0
    truncations: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    bucket_counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    duration_sum: float = 0.0
    duration_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: QueryLog = field(default_factory=QueryLog)

    def begin(self) -> float:
        with self.lock:
            self.in_flight += 1
        return time.monotonic()

    def end(self, started: float, status: int, rows: int | None, truncated: bool, kind: str | None, query: str) -> None:
        """Record one finished query and write its log line."""
        seconds = time.monotonic() - started
        with self.lock:
            self.in_flight -= 1
            self.by_status[status] += 1
            self.timeouts += status == 504
            self.truncations += truncated
            self.duration_sum += seconds
            self.duration_count += 1
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[index] += 1
        if self.log.out is not None:
            self.log.write(
                {
                    "event": "query",
                    "duration_ms": round(seconds * 1000, 2),
                    "status": status,
                    "rows": rows,
                    "truncated": truncated,
                    "kind": kind,
                    "query": query[:200],
                }
            )

    def render(self) -> str:
        with self.lock:
            lines = [
                "# HELP sdkg_query_duration_seconds Time to answer a SPARQL query.",
                "# TYPE sdkg_query_duration_seconds histogram",
            ]
            # the counts are cumulative already: a query counts in every bucket it fits
            for bound, count in zip(BUCKETS, self.bucket_counts, strict=True):
                lines.append(f'sdkg_query_duration_seconds_bucket{{le="{bound}"}} {count}')
            lines += [
                f'sdkg_query_duration_seconds_bucket{{le="+Inf"}} {self.duration_count}',
                f"sdkg_query_duration_seconds_sum {self.duration_sum:.6f}",
                f"sdkg_query_duration_seconds_count {self.duration_count}",
                "# HELP sdkg_queries_total Queries answered, by HTTP status.",
                "# TYPE sdkg_queries_total counter",
            ]
            lines += [f'sdkg_queries_total{{status="{s}"}} {n}' for s, n in sorted(self.by_status.items())]
            lines += [
                "# HELP sdkg_query_timeouts_total Queries stopped at the time limit.",
                "# TYPE sdkg_query_timeouts_total counter",
                f"sdkg_query_timeouts_total {self.timeouts}",
                "# HELP sdkg_query_truncations_total Answers cut at the row limit.",
                "# TYPE sdkg_query_truncations_total counter",
                f"sdkg_query_truncations_total {self.truncations}",
                "# HELP sdkg_queries_in_flight Queries being answered now.",
                "# TYPE sdkg_queries_in_flight gauge",
                f"sdkg_queries_in_flight {self.in_flight}",
                "# HELP sdkg_uptime_seconds Seconds since the server started.",
                "# TYPE sdkg_uptime_seconds gauge",
                f"sdkg_uptime_seconds {time.time() - self.started:.0f}",
            ]
        return "\n".join(lines) + "\n"


class MeteredEngine:
    """An engine whose every query is timed, counted by status and logged (one JSON line)."""

    def __init__(self, engine: Engine, metrics: Metrics):
        self.engine = engine
        self.metrics = metrics

    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        started = self.metrics.begin()
        status, output = 500, None
        try:
            output = await self.engine.run(job, arrived)
            status = 200
            return output
        except Exception as error:
            status = as_http(error).status
            raise
        finally:
            rows, truncated, kind = (output.rows, output.truncated, output.kind) if output else (None, False, None)
            self.metrics.end(started, status, rows, truncated, kind, job.query)

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
