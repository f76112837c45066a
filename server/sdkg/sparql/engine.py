"""Where queries run. Everything above this package talks only to an :class:`Engine`.

An engine takes one :class:`~.job.QueryJob` and returns one :class:`~.job.QueryOutput`,
or raises one of the engine-neutral errors of :mod:`.errors`. It fits each job within its
:class:`~.job.Limits` (time limit, row cap, SERVICE allow-list). Three engines offer the
same surface, so pages, the catalog and the endpoint do not care which one runs:

- :class:`LocalEngine` (here): threads over a read-only store, no hard time limit
  (in-process use and tests);
- :class:`~.workers.WorkerEngine`: worker processes killed at the deadline (the server's);
- :class:`~.remote.RemoteEngine`: any SPARQL 1.1 store, through the protocol.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from .dataset import NO_DATASET, Dataset
from .execute import execute
from .job import EngineConfig, QueryJob, QueryOutput, Term

Bindings = dict[str, dict[str, str]]
"""One solution in the SPARQL 1.1 JSON results form: variable → {type, value, datatype?, xml:lang?}."""


class Engine(Protocol):
    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        """Answer the job within the engine's limits (the one call that owns time limit and row cap); the time
        limit counts from ``arrived`` (the request's ``time.monotonic()`` arrival, so waiting counts) when given."""
        ...

    def answer_now(self, job: QueryJob) -> QueryOutput | None:
        """The job's answer when it can be made at once in the event loop, at a bounded cost (a point lookup);
        ``None`` when it must wait for :meth:`run`. Raises what :meth:`run` would for the query's own errors."""
        ...

    def triple_count(self) -> int:
        """How many quads the served store holds (may block: call it from a thread)."""
        ...

    async def start(self) -> None:
        """Get ready to answer (again, after :meth:`stop`)."""
        ...

    async def stop(self) -> None:
        """Release processes, connections and files."""
        ...

    def swap(self, store_path: Path, expected_triples: int | None = None) -> None:
        """Answer from another published build's store from now on (which its build says holds
        ``expected_triples`` quads, when it says)."""
        ...

    def close(self) -> None:
        """Release at once, without an event loop (at interpreter exit, when :meth:`stop` may not have run)."""
        ...


async def select(engine: Engine, query: str, substitutions: Mapping[str, Term] | None = None) -> list[Bindings]:
    """Run a SELECT and return its solutions as parsed SPARQL JSON bindings."""
    output = await engine.run(QueryJob.select(query, substitutions))
    data: dict[str, Any] = json.loads(output.body or b"{}")
    return list(data.get("results", {}).get("bindings", []))


async def ask(
    engine: Engine,
    query: str,
    substitutions: Mapping[str, Term] | None = None,
    dataset: Dataset = NO_DATASET,
    timeout: float | None = None,
) -> bool:
    """Run an ASK and return its answer."""
    job = QueryJob.select(query, substitutions, dataset)
    if timeout is not None:
        job = QueryJob(job.query, job.results_format, dataset=dataset, substitutions=job.substitutions, timeout=timeout)
    output = await engine.run(job)
    return bool(json.loads(output.body).get("boolean"))


class LocalEngine:
    """Evaluate in the thread pool over a read-only on-disk store (no hard timeout: in-process use only).

    SERVICE and LOAD are still checked against the allow-list, and answers capped at the row cap.
    """

    def __init__(self, store_path: Path, config: EngineConfig | None = None):
        self.config = config or EngineConfig()
        self.store = ox.Store.read_only(str(store_path))

    def answer_now(self, job: QueryJob) -> QueryOutput | None:
        return None  # (every query goes to the thread pool)

    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        admission = self.config.limits.admit(job)
        return await run_in_threadpool(
            execute,
            self.store,
            job,
            admission.max_rows,
            self.config.prefixes,
            self.config.base_iri,
            admission.max_bytes,
        )

    def triple_count(self) -> int:
        return len(self.store)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def swap(self, store_path: Path, expected_triples: int | None = None) -> None:
        self.store = ox.Store.read_only(str(store_path))

    def close(self) -> None:
        pass
