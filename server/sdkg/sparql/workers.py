"""Run queries in worker processes so that a query can be stopped at its deadline.

pyoxigraph has no timeout and no cancel. Each worker is a persistent process with
its own ``Store.read_only(path)``; it receives a :class:`Job` over a pipe and sends
back the serialised :class:`QueryOutput`. A query that is still running at its
deadline is stopped by killing its worker; a fresh worker is started in the
background while the others keep answering.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from .execute import NO_DATASET, Dataset, QueryOutput, run_query
from .guard import WIKIDATA_SERVICES, admit
from .negotiation import Format, NotAcceptable

STARTUP_SECONDS = 60.0
MIN_TIMEOUT = 0.1
"""A request's ``timeout`` is not taken below this: each timeout costs a worker restart."""
log = logging.getLogger("sdkg.workers")


class QueryTimeout(Exception):
    """The query ran past its deadline and its worker was stopped."""

    def __init__(self, seconds: float):
        super().__init__(f"the query was stopped after {seconds:g} s (the time limit)")
        self.seconds = seconds


class EngineBusy(Exception):
    """Every worker stayed busy until the request's deadline."""


class WorkerFailed(Exception):
    """A worker died while answering (it is replaced)."""


@dataclass(frozen=True)
class Job:
    query: str
    results_format: Format | None
    graph_format: Format | None
    dataset: Dataset
    substitutions: dict[str, ox.NamedNode | ox.Literal] | None
    max_rows: int | None
    context_url: str | None
    base_iri: str | None = None


def main() -> None:
    """Worker process entry: ``python -c 'from sdkg.sparql.workers import main; main()' FD STORE PREFIXES``."""
    fd, store_path, prefixes = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    worker_main(store_path, prefixes, Connection(fd))


def worker_main(store_path: str, prefixes: dict[str, str] | None, conn: Connection) -> None:
    """The worker loop: one job in, one ``(tag, payload)`` answer out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    store = ox.Store.read_only(store_path)
    conn.send(("ready", len(store)))
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            output = run_query(
                store,
                job.query,
                job.results_format,
                job.graph_format,
                job.dataset,
                job.substitutions,
                job.max_rows,
                prefixes,
                job.context_url,
                job.base_iri,
            )
            answer: tuple[str, Any] = ("ok", output)
        except SyntaxError as exc:
            answer = ("syntax", str(exc))
        except NotAcceptable as exc:
            answer = ("not-acceptable", exc.offered)
        except Exception as exc:  # the parent maps it to a 400; the worker stays usable
            answer = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(answer)


class Worker:
    """One worker process and the parent's end of its socket.

    A plain subprocess (not ``multiprocessing``): spawning must not re-import the
    server's main module, and a killed worker must take nothing else with it.
    """

    def __init__(self, store_path: Path, prefixes: dict[str, str] | None, generation: int):
        self.generation = generation
        parent, child = socket.socketpair()
        command = [sys.executable, "-c", "from sdkg.sparql.workers import main; main()"]
        args = [str(child.fileno()), str(store_path), json.dumps(prefixes)]
        self.process = subprocess.Popen(command + args, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())
        self.triples: int | None = None

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> int:
        if self.triples is None:
            if not self.conn.poll(timeout):
                raise WorkerFailed("a query worker did not start in time")
            tag, count = self.conn.recv()
            if tag != "ready":
                raise WorkerFailed(f"unexpected worker greeting {tag!r}")
            self.triples = int(count)
        return self.triples

    def call(self, job: Job, timeout: float) -> tuple[str, Any]:
        """Send the job and wait at most ``timeout`` seconds; ``None``-free answer or :class:`QueryTimeout`."""
        self.conn.send(job)
        if not self.conn.poll(max(timeout, 0.0)):
            raise QueryTimeout(timeout)
        answer: tuple[str, Any] = self.conn.recv()
        return answer

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()


class WorkerEngine:
    """A small pool of query worker processes over a read-only store, with a hard timeout.

    ``timeout`` is the hard limit in seconds; a request may only lower it. ``max_rows``
    caps solutions or triples read per query (the answer says it was truncated).
    """

    def __init__(
        self,
        store_path: Path,
        size: int | None = None,
        timeout: float = 10.0,
        max_rows: int | None = None,
        prefixes: dict[str, str] | None = None,
        allowed_services: dict[str, float] | None = None,
    ):
        self.store_path = store_path
        self.allowed_services = WIKIDATA_SERVICES if allowed_services is None else allowed_services
        self.size = size or max(2, min(4, os.cpu_count() or 2))
        self.timeout = timeout
        self.max_rows = max_rows
        self.prefixes = prefixes
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._closed = False
        self._threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sdkg-query")
        self._triples: int | None = None
        self.timeouts = 0
        for _ in range(self.size):
            self._idle.put(Worker(store_path, prefixes, self._generation))

    # -- the Engine protocol -------------------------------------------------------

    async def run(
        self,
        query: str,
        results_format: Format | None,
        graph_format: Format | None,
        dataset: Dataset = NO_DATASET,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        timeout: float | None = None,
        max_rows: int | None = None,
        context_url: str | None = None,
        base_iri: str | None = None,
    ) -> QueryOutput:
        """Evaluate in a worker; raises ``SyntaxError``, ``NotAcceptable``, ``ValueError``, ``Refused``,
        :class:`QueryTimeout`, :class:`EngineBusy` or :class:`WorkerFailed`.

        A query using an allowed SERVICE gets that service's time limit if it is lower."""
        limit = self.timeout if timeout is None else min(max(timeout, MIN_TIMEOUT), self.timeout)
        service_limit = admit(query, self.allowed_services)  # raises Refused
        if service_limit is not None:
            limit = min(limit, service_limit)
        rows = (
            self.max_rows if max_rows is None else (max_rows if self.max_rows is None else min(max_rows, self.max_rows))
        )
        job = Job(query, results_format, graph_format, dataset, substitutions, rows, context_url, base_iri)
        tag, payload = await run_in_threadpool(self._run_blocking, job, limit)
        if tag == "ok":
            output: QueryOutput = payload
            return output
        if tag == "syntax":
            raise SyntaxError(payload)
        if tag == "not-acceptable":
            raise NotAcceptable(payload)
        raise ValueError(payload)

    def triple_count(self) -> int:
        """The store's size, known once a worker has started (waits for one at most)."""
        if self._triples is None:
            try:
                worker = self._idle.get(timeout=STARTUP_SECONDS)
            except queue.Empty:
                raise EngineBusy("no query worker is free to count the store") from None
            try:
                self._triples = worker.wait_ready()
            except (WorkerFailed, EOFError, OSError):
                self._replace(worker)
                raise EngineBusy("the query worker failed to start") from None
            self._release(worker)
        return self._triples

    # -- pool management -------------------------------------------------------------

    def _run_blocking(self, job: Job, limit: float) -> tuple[str, Any]:
        deadline = time.monotonic() + limit
        if self._closed:
            raise EngineBusy("the query engine is shut down")
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise EngineBusy(f"all {self.size} query workers stayed busy for {limit:g} s") from None
        try:
            self._triples = worker.wait_ready()
            answer = worker.call(job, deadline - time.monotonic())
        except QueryTimeout:
            self.timeouts += 1
            self._replace(worker)
            raise QueryTimeout(limit) from None
        except WorkerFailed:
            self._replace(worker)
            raise
        except BaseException as exc:  # a dead pipe, an unpicklable answer: never lose the worker slot
            self._replace(worker)
            raise WorkerFailed(f"the query worker failed ({type(exc).__name__}); it has been replaced") from None
        self._release(worker)
        return answer

    def _release(self, worker: Worker) -> None:
        if worker.generation != self._generation or self._closed:
            worker.kill()
            return
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` now; start its successor in the background and add it once it is ready."""
        worker.kill()
        if self._closed or worker.generation != self._generation:
            return
        self._threads.submit(self._spawn, self._generation)

    def _spawn(self, generation: int) -> None:
        """Start a replacement; retry a few times, so that the pool does not shrink for good."""
        for attempt in range(5):
            with self._lock:
                if self._closed or generation != self._generation:
                    return
                fresh = Worker(self.store_path, self.prefixes, generation)
            try:
                fresh.wait_ready()
            except (WorkerFailed, EOFError, OSError) as exc:
                log.warning("query worker did not start (%s), attempt %d", exc, attempt + 1)
                fresh.kill()
                time.sleep(0.5 * (attempt + 1))
                continue
            self._release(fresh)
            return

    def swap(self, store_path: Path) -> None:
        """Serve ``store_path`` from now on (after an admin write): new workers, old ones retire."""
        with self._lock:
            self._generation += 1
            self.store_path = store_path
            self._triples = None
            old: list[Worker] = []
            while True:
                try:
                    old.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            for _ in range(self.size):
                self._idle.put(Worker(store_path, self.prefixes, self._generation))
        for worker in old:
            worker.kill()

    def open(self) -> None:
        """Start the pool again after :meth:`close` (an app may be started and stopped more than once)."""
        with self._lock:
            if not self._closed:
                return
            self._closed = False
            self._generation += 1
            self._threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sdkg-query")
            for _ in range(self.size):
                self._idle.put(Worker(self.store_path, self.prefixes, self._generation))

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        self._threads.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    main()
