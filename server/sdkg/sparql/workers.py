"""Run queries in worker processes so that a query can be stopped at its deadline.

pyoxigraph has no timeout and no cancel. Each worker is a persistent process with
its own ``Store.read_only(path)``; it receives a :class:`~.job.QueryJob` (and its row
cap) over a pipe and sends back the serialised :class:`~.job.QueryOutput`, or the
engine-neutral error it raised. A query that is still running at its deadline is
stopped by killing its worker; a fresh worker is started in the background while
the others keep answering. What a worker needs besides the job (the store, the
prefixes, the base IRI) it gets once, when it starts, from the server's settings.
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
from dataclasses import asdict, dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from .errors import EngineBusy, QueryError, QueryFailed, QueryTimeout, WorkerFailed
from .execute import execute
from .job import EngineConfig, QueryJob, QueryOutput

STARTUP_SECONDS = 60.0
log = logging.getLogger("sdkg.workers")

Answer = tuple[str, Any]  # ("ok", QueryOutput) or ("error", QueryError)


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker of a pool is started with (from the server's settings, never from a request)."""

    store_path: str
    prefixes: dict[str, str] | None
    base_iri: str | None


def main() -> None:
    """Worker process entry: ``python -c 'from sdkg.sparql.workers import main; main()' FD SETUP``."""
    fd, setup = int(sys.argv[1]), WorkerSetup(**json.loads(sys.argv[2]))
    worker_main(setup, Connection(fd))


def worker_main(setup: WorkerSetup, conn: Connection) -> None:
    """The worker loop: one ``(job, row cap)`` in, one answer out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    store = ox.Store.read_only(setup.store_path)
    conn.send(("ready", len(store)))
    while True:
        try:
            job, max_rows = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: Answer = ("ok", execute(store, job, max_rows, setup.prefixes, setup.base_iri))
        except QueryError as exc:
            answer = ("error", exc)
        except Exception as exc:  # a bug, not the query's fault: say what it was; the worker stays usable
            answer = ("error", QueryFailed(f"{type(exc).__name__}: {exc}"))
        conn.send(answer)


class Worker:
    """One worker process and the parent's end of its socket.

    A plain subprocess (not ``multiprocessing``): spawning must not re-import the
    server's main module, and a killed worker must take nothing else with it.
    """

    def __init__(self, setup: WorkerSetup, generation: int):
        self.generation = generation
        parent, child = socket.socketpair()
        command = [sys.executable, "-c", "from sdkg.sparql.workers import main; main()"]
        args = [str(child.fileno()), json.dumps(asdict(setup))]
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

    def call(self, job: QueryJob, max_rows: int | None, timeout: float) -> Answer:
        """Send the job and wait at most ``timeout`` seconds for its answer, else :class:`QueryTimeout`."""
        self.conn.send((job, max_rows))
        if not self.conn.poll(max(timeout, 0.0)):
            raise QueryTimeout(timeout)
        answer: Answer = self.conn.recv()
        return answer

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()


class WorkerEngine:
    """A small pool of query worker processes over a read-only store, with a hard timeout.

    ``config.limits.timeout`` is the hard limit in seconds, ``config.limits.max_rows`` caps the
    solutions or triples read per query (the answer says it was truncated); a job may only lower
    them. ``size`` worker processes (default: 2 to 4, by CPU count).
    """

    def __init__(self, store_path: Path, config: EngineConfig | None = None, size: int | None = None):
        config = config or EngineConfig()
        self.limits = config.limits
        self.setup = WorkerSetup(str(store_path), config.prefixes, config.base_iri)
        self.size = size or max(2, min(4, os.cpu_count() or 2))
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._closed = False
        self._threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sdkg-query")
        self._triples: int | None = None
        self.timeouts = 0
        for _ in range(self.size):
            self._idle.put(Worker(self.setup, self._generation))

    # -- the Engine protocol -------------------------------------------------------

    async def run(self, job: QueryJob) -> QueryOutput:
        """Evaluate in a worker within the limits; raises the engine-neutral errors of :mod:`.errors`."""
        seconds, rows = self.limits.admit(job)
        tag, payload = await run_in_threadpool(self._run_blocking, job, rows, seconds)
        if tag == "ok":
            output: QueryOutput = payload
            return output
        raise payload

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

    def _run_blocking(self, job: QueryJob, max_rows: int | None, limit: float) -> Answer:
        deadline = time.monotonic() + limit
        if self._closed:
            raise EngineBusy("the query engine is shut down")
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise EngineBusy(f"all {self.size} query workers stayed busy for {limit:g} s") from None
        try:
            self._triples = worker.wait_ready()
            answer = worker.call(job, max_rows, deadline - time.monotonic())
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
                fresh = Worker(self.setup, generation)
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
            self.setup = replace(self.setup, store_path=str(store_path))
            self._triples = None
            old: list[Worker] = []
            while True:
                try:
                    old.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            for _ in range(self.size):
                self._idle.put(Worker(self.setup, self._generation))
        for worker in old:
            worker.kill()

    async def start(self) -> None:
        """Start the pool again after :meth:`stop` (an app may be started and stopped more than once)."""
        with self._lock:
            if not self._closed:
                return
            self._closed = False
            self._generation += 1
            self._threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sdkg-query")
            for _ in range(self.size):
                self._idle.put(Worker(self.setup, self._generation))

    async def stop(self) -> None:
        self.close()

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
