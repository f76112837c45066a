"""Query metrics in the Prometheus text format, and one structured log line per query.

Every query the server runs goes through :class:`MeteredEngine`, so the endpoint, the canned
queries, the pages and the statistics are all counted, each with the status its outcome maps
to (:func:`.errors.as_http`). Hand-written rather than ``prometheus_client``: five series do
not justify a dependency, and the format is plain text.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..sparql.engine import Engine
from ..sparql.job import QueryJob, QueryOutput
from .errors import as_http

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
log = logging.getLogger("sdkg.query")


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
        record = {
            "event": "query",
            "duration_ms": round(seconds * 1000, 2),
            "status": status,
            "rows": rows,
            "truncated": truncated,
            "kind": kind,
            "query": query[:200],
        }
        log.info(json.dumps(record, ensure_ascii=False))

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

    async def run(self, job: QueryJob) -> QueryOutput:
        started = self.metrics.begin()
        status, output = 500, None
        try:
            output = await self.engine.run(job)
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

    def swap(self, store_path: Path) -> None:
        self.engine.swap(store_path)

    def close(self) -> None:
        self.engine.close()
