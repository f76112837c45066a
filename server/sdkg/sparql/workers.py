"""Run queries in worker processes, reached from the event loop without a thread: stopped at the deadline,
capped in memory, cut off from the network.

pyoxigraph has no timeout and no cancel, so a query runs in a worker process (its own
``Store.read_only(path)``) and is stopped by killing that process. The server's event loop
talks to each worker over a socket pair with length-prefixed pickles (:class:`Channel`, an
asyncio protocol: no thread hop, no thread pool). Each worker runs one query at a time, so a
query killed at its deadline, or a worker that dies, takes no other client's request with
it; a fresh worker is started at once, in the background.

Before it reads a query a worker caps its own address space (``memory_mb``: a query that
needs more makes it fail, answered 507, and the worker is replaced) and, unless it is one of
the few that may reach allowed SERVICE endpoints, forbids itself Internet sockets
(:mod:`.sandbox`). The deadline is a point in time the caller gives (the request's arrival
plus its time limit), so waiting for a free worker counts against it. A worker found dead
when its turn comes (killed while idle) is replaced and the query goes to another.

A small build is answered from memory: each worker copies the store when it starts (:func:`open_store`,
:func:`copies_fit`). The pool starts on disk and converts its workers one at a time; the successor of a
worker killed at its deadline reads the disk, and conversion waits until no worker has been killed for
:data:`CALM_SECONDS`, so hostile queries cannot keep the server copying the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import allocator, inline
from .errors import EngineBusy, MemoryCapExceeded, QueryError, QueryFailed, QueryTimeout, StoreCorrupted, WorkerFailed
from .execute import execute
from .job import Admission, EngineConfig, QueryJob, QueryOutput
from .sandbox import child_environment

STARTUP_SECONDS = 60.0
HEADER = 4
DEMOTE_AFTER = 0.25
"""Seconds after which a query's worker yields the CPU to the others (nice 19): light queries stay fast
beside queries that run to their deadline."""
log = logging.getLogger("sdkg.workers")

Answer = tuple[str, Any]  # ("ok", QueryOutput) or ("error", QueryError)


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker of a pool is started with (from the server's settings, never from a request)."""

    store_path: str
    prefixes: dict[str, str] | None
    base_iri: str | None
    memory_mb: int = 0
    """Address space a worker may add for its queries (0: no cap)."""
    network: bool = False
    """Whether this worker may open Internet sockets (only for queries that reach allowed endpoints)."""
    expected_triples: int | None = None
    """What the build recorded; a store that counts otherwise is corrupt."""
    allowed_services: dict[str, float] | None = None
    """The SERVICE/LOAD allow-list the worker reads each query's text against (:func:`~.guard.admit`)."""
    count: bool = True
    """Count the store at start (the integrity check, and the size ``/health`` shows): the first worker of a
    store does; its replacements start without reading the whole store again."""
    in_memory: bool = False
    """Answer from a copy of the store in this worker's memory, read from disk at start (:func:`copies_fit`)."""


# ------------------------------------------------------------------ the worker process


def main() -> None:
    """Worker process entry: ``python -c 'from sdkg.sparql.workers import main; main()' FD SETUP``."""
    fd, setup = int(sys.argv[1]), WorkerSetup(**json.loads(sys.argv[2]))
    try:
        worker_main(setup, socket.socket(fileno=fd))
    except (BrokenPipeError, ConnectionResetError):  # the server closed its end (it stopped, or replaced us)
        pass


def receive(reader: Any) -> Any:
    """One message from a buffered reader of the socket (one system call for a small message)."""
    header = reader.read(HEADER)
    if len(header) < HEADER:
        raise EOFError
    size = int.from_bytes(header, "big")
    data = reader.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(HEADER, "big") + data


def open_store(setup: WorkerSetup) -> ox.Store:
    """The store a worker answers from: the build's on disk, or a copy of it in memory (:func:`open_stores`)."""
    return open_stores(setup)[0]


def open_stores(setup: WorkerSetup) -> tuple[ox.Store, ox.Store]:
    """The store a worker answers from, and the build on disk (the same store when it answers from disk).

    The first is the build on disk or a copy of it in memory (its quads and its named graphs, empty ones too),
    which Oxigraph reads 1.2 to 12 times faster than RocksDB (2.4 times over the catalog: bench/README.md). Not
    every query: some run up to 2.4 times faster from disk (a different plan), so a worker keeps its handle on the
    disk too, for the jobs the server measured faster there (:class:`~.inline.FasterStore`)."""
    on_disk = ox.Store.read_only(setup.store_path)
    if not setup.in_memory:
        return on_disk, on_disk
    copy = ox.Store()
    copy.extend(on_disk.quads_for_pattern(None, None, None, None))
    for graph in on_disk.named_graphs():
        copy.add_graph(graph)
    return copy, on_disk


def worker_main(setup: WorkerSetup, sock: socket.socket) -> None:
    """The worker loop: one ``(job, admission)`` in, one answer out, until the socket closes."""
    from . import sandbox
    from .guard import admit, check_endpoints
    from .tokens import is_update

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    sandbox.die_with_parent()  # a query whose server is gone has no deadline and no reader
    if not setup.network:
        sandbox.no_network()
    try:
        store, disk = open_stores(setup)
        triples = len(store) if setup.count else None
    except (OSError, ValueError, RuntimeError) as error:
        sock.sendall(frame(("failed", f"{type(error).__name__}: {error}")))
        return
    if setup.expected_triples is not None and triples is not None and triples != setup.expected_triples:
        sock.sendall(
            frame(("failed", f"corrupt store: it counts {triples} quads, its build recorded {setup.expected_triples}"))
        )
        return
    sandbox.cap_memory(setup.memory_mb * 1024 * 1024)
    sock.sendall(frame(("ready", triples)))
    reader = sock.makefile("rb", buffering=65_536)
    while True:
        try:
            job, admission = receive(reader)
        except (EOFError, OSError):
            return
        started = time.thread_time()
        try:
            reach = admit(job.query, setup.allowed_services or {})  # the guard, here: under the deadline
            if reach is not None and not setup.network:
                sock.sendall(frame(("network", reach)))  # to be run where the network can be reached
                continue
            if admission.endpoints or reach is not None:
                check_endpoints(job.query, reach.endpoints if reach else admission.endpoints, is_update(job.query))
            source = disk if admission.on_disk else store
            output = execute(source, job, admission.max_rows, setup.prefixes, setup.base_iri, admission.max_bytes)
            output.cpu_seconds = time.thread_time() - started
            output.from_disk = source is disk
            answer: Answer = ("ok", output)
        except QueryError as exc:
            answer = ("error", exc)
        except MemoryError:
            answer = ("error", MemoryCapExceeded(setup.memory_mb))
        except Exception as exc:  # a bug, not the query's fault: say what it was; the worker stays usable
            answer = ("error", QueryFailed(f"{type(exc).__name__}: {exc}"))
        try:
            sock.sendall(frame(answer))
        except MemoryError:
            sock.sendall(frame(("error", MemoryCapExceeded(setup.memory_mb))))
        del answer


# ------------------------------------------------------------------ the server's side


class WorkerDied(Exception):
    """The worker's socket closed (the process ended)."""


class PoolRetired(Exception):
    """The server moved to another build while a caller waited for a worker: it waits in the new pool."""


class Channel(asyncio.Protocol):
    """The server's end of one worker's socket: frames in, one waiting future at a time."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[Any] | None = None
        self.transport: Any = None  # an asyncio (or uvloop) stream transport
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= HEADER:
            size = int.from_bytes(self.buffer[:HEADER], "big")
            if len(self.buffer) < HEADER + size:
                return
            message = pickle.loads(self.buffer[HEADER : HEADER + size])
            del self.buffer[: HEADER + size]
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(WorkerDied())

    def expect(self) -> asyncio.Future[Any]:
        self.waiter = asyncio.get_running_loop().create_future()
        if self.closed:
            self.waiter.set_exception(WorkerDied())
        return self.waiter

    def send(self, message: object) -> None:
        assert self.transport is not None
        self.transport.write(frame(message))


class Worker:
    """One worker process and the server's channel to it."""

    def __init__(self, setup: WorkerSetup, generation: int):
        self.generation = generation
        self.setup = setup
        parent, child = socket.socketpair()
        command = [sys.executable, "-c", "from sdkg.sparql.workers import main; main()"]
        env = allocator.environment(child_environment())
        self.process = subprocess.Popen(
            command + [str(child.fileno()), json.dumps(asdict(setup))],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
        )
        child.close()
        self.socket = parent
        self.channel = Channel()
        self.triples: int | None = None
        self.killed = False
        self.demoted = False

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.connect_accepted_socket(lambda: self.channel, sock=self.socket)

    async def ready(self, timeout: float = STARTUP_SECONDS) -> int:
        """Wait for the worker's greeting: its store's size (raises :class:`WorkerFailed` if it cannot start)."""
        if self.triples is not None:
            return self.triples
        try:
            tag, payload = await asyncio.wait_for(self.channel.expect(), timeout)
        except (TimeoutError, WorkerDied):
            self.kill()
            raise WorkerFailed("a query worker did not start") from None
        if tag != "ready":
            self.kill()
            raise WorkerFailed(f"a query worker could not open the store: {payload}")
        self.triples = int(payload) if payload is not None else -1
        return self.triples

    def demote(self) -> None:
        """Let other processes have the CPU first (the query has run long)."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 19)
            self.demoted = True
        except OSError:
            pass

    def restore(self) -> bool:
        """Back to normal priority after a long query; ``False`` when not allowed (then it is replaced)."""
        if not self.demoted:
            return True
        try:
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 0)
        except OSError:
            return False
        self.demoted = False
        return True

    @property
    def alive(self) -> bool:
        return self.connected and self.process.poll() is None

    @property
    def connected(self) -> bool:
        """Not killed and its socket open: what a worker that has just answered is checked for on release (the
        process is asked again, a system call, when it is next taken)."""
        return not self.killed and not self.channel.closed

    def kill(self) -> None:
        self.killed = True
        if self.process.poll() is None:
            self.process.kill()
        if self.channel.transport is not None:
            self.channel.transport.close()
        else:
            self.socket.close()

    async def exit_signal(self) -> int | None:
        """The signal that ended the process (after its socket closed), if it ended within half a second."""
        for _ in range(50):
            code = self.process.poll()
            if code is not None:
                return -code if code < 0 else None
            await asyncio.sleep(0.01)
        return None


class WorkerEngine:
    """A small pool of query worker processes over a read-only store, with a hard deadline and a memory cap.

    ``size`` sandboxed workers (default: :func:`default_workers`) answer queries; one more worker that may
    reach the network is started when a query uses an allowed SERVICE endpoint.
    """

    def __init__(
        self,
        store_path: Path,
        config: EngineConfig | None = None,
        size: int | None = None,
        memory_mb: int = 0,
        expected_triples: int | None = None,
        in_memory_max_quads: int = 0,
        processes: int = 1,
    ):
        config = config or EngineConfig()
        self.limits = config.limits
        allowed = dict(self.limits.allowed_services)
        self.size = size or default_workers()
        self.in_memory_max_quads = in_memory_max_quads
        self.processes = processes
        in_memory = copies_fit(expected_triples, self.size, in_memory_max_quads, processes)
        self.setup = WorkerSetup(
            str(store_path),
            config.prefixes,
            config.base_iri,
            memory_mb,
            False,
            expected_triples,
            allowed,
            in_memory=in_memory,
        )
        self.pools: dict[bool, Pool] = {}
        self.generation = 0
        self.closed = True
        self.timeouts = 0
        self.problem: str | None = None
        """Why workers cannot start (``None`` while they can): ``/health`` says so."""
        self.corrupt: str | None = None
        """What the store reported when it said it is corrupt; no answer comes from it after that."""
        self._triples: int | None = None
        self.counting = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.calm_seconds = CALM_SECONDS
        self._inline_store: ox.Store | None = None
        self.inline_copy: ox.Store | None = None
        """The server's own copy of a small build in memory, for inline answers (see :meth:`copy_for_inline`)."""
        self.inline_copy_started = False
        self.inline_answers = 0
        """Queries answered in the server's process (:mod:`.inline`) since it started."""
        self.cheap = inline.CheapJobs()
        """The jobs a worker answered cheaply from this build: answered inline when they come again."""
        self.known = inline.KnownAnswers()
        """The small answers of this build whose rows are known: Oxigraph writes them when they are read here."""
        self.long = inline.LongAnswers()
        """The one-pattern jobs whose answer is longer than the inline caps: a worker answers them at once."""
        self.faster = inline.FasterStore()
        """For a small build copied into memory: which of the copy and the disk answers each job faster."""
        self.threads = inline.QueryThreads()
        """Threads for the remembered jobs that cost more than the event loop should spend on one."""

    # -- the Engine protocol -------------------------------------------------------

    async def run(self, job: QueryJob, arrived: float | None = None) -> QueryOutput:
        """Evaluate in a worker, finished by the job's time limit after ``arrived`` (a ``time.monotonic()``
        instant; default: now); raises the engine-neutral errors of :mod:`.errors`."""
        loop = asyncio.get_running_loop()
        if self.loop is not None and loop is not self.loop:  # another thread's loop (a test client): go to ours
            future = asyncio.run_coroutine_threadsafe(self.run(job, arrived), self.loop)
            return await asyncio.wrap_future(future)
        admission = self.admitted(job)
        deadline = (time.monotonic() if arrived is None else arrived) + admission.seconds
        setup = self.setup  # the build this job is answered from (a swap may come while it waits)
        cost = self.remembered_cost(job)
        if self.answerable_now(job, cost):
            inline_output = self.answer_inline(job, admission)
            if inline_output is not None:
                return inline_output
        elif cost is not None and self.threads.take():
            inline_output = await self.answer_in_thread(job, admission)
            if inline_output is not None:
                return inline_output
        try:
            return await self.run_in_worker(job, admission, deadline, setup)
        except asyncio.CancelledError:  # the client left: nothing learnt
            raise
        except BaseException:
            if admission.on_disk and self.setup is setup:
                self.faster.failed_on_disk(job)  # a timeout, a failure: that job is read from the copy from now on
            raise

    def answer_now(self, job: QueryJob) -> QueryOutput | None:
        """The job's answer when the event loop may make it at once (:meth:`answerable_now`: a bounded cost, no
        thread, no worker), else ``None``; raises the query's own error. The HTTP protocol asks this first, to
        answer a light query without the framework's machinery (``sdkg.web.front.Front.answer_now``); :meth:`run`
        does the rest (a job whose answer was cut by the inline caps here is remembered in :attr:`long`, and
        :meth:`run` sends it to a worker)."""
        if self.loop is None or self.closed:
            return None
        cost = self.remembered_cost(job)
        if not self.answerable_now(job, cost):
            return None
        return self.answer_inline(job, self.admitted(job))

    def admitted(self, job: QueryJob) -> Admission:
        """The job's admission (its limits), read from the disk when that is faster; raises when the store is
        known to be corrupt."""
        admission = self.limits.admit(job, read_text=False)
        if self.corrupt is not None:
            raise StoreCorrupted(self.corrupt)
        if self.copies_wanted() and self.faster.on_disk(job, admission.seconds):
            admission = replace(admission, on_disk=True)
        return admission

    def answerable_now(self, job: QueryJob, cost: float | None) -> bool:
        """Whether ``job`` is answered in the event loop: one triple pattern (unless its answer is known to be
        longer than the inline caps), or remembered as cheap."""
        if cost is not None and cost <= inline.CHEAP_CPU_SECONDS:
            return True
        return inline.eligible(job) and job not in self.long

    async def run_in_worker(
        self, job: QueryJob, admission: Admission, deadline: float, setup: WorkerSetup
    ) -> QueryOutput:
        """The job's answer from a worker of the current pool, or its error; a worker killed from outside is
        replaced and the job sent once more, and so is a job whose answer from the disk was not the copy's."""
        attempt = 0
        asked_the_copy = False
        while True:
            pool = self.pool(network=bool(admission.endpoints))
            try:
                worker = await pool.acquire(deadline, admission.seconds)
            except PoolRetired:
                continue
            try:
                answer = await self.call(worker, job, admission, deadline)
            except WorkerDied:
                pool.replace(worker)
                signal_number = await worker.exit_signal()
                if signal_number in (signal.SIGABRT, signal.SIGSEGV) or attempt == 1:
                    if signal_number == signal.SIGABRT and self.setup.memory_mb:
                        raise MemoryCapExceeded(self.setup.memory_mb) from None
                    raise WorkerFailed("the query worker failed while answering; it has been replaced") from None
                attempt += 1
                continue  # it was killed from outside (while idle, or by an operator): once more on another
            except QueryTimeout:
                self.timeouts += 1
                pool.replace(worker)
                raise QueryTimeout(admission.seconds) from None
            except BaseException:
                pool.replace(worker)  # cancelled (the client left) or a bug: the worker's state is unknown
                raise
            pool.release(worker)
            tag, payload = answer
            if tag == "ok":
                output: QueryOutput = payload
                if self.setup is not setup or self.learn(job, output, admission) or asked_the_copy:
                    return output  # (after a swap, the old build's answer teaches nothing of the new one)
                admission = replace(admission, on_disk=False)  # the disk answered otherwise: ask the copy, once
                asked_the_copy = True
                continue
            if tag == "network":  # the worker read an allowed SERVICE/LOAD: once more, where it can be reached
                deadline = min(deadline, time.monotonic() + payload.timeout)
                admission = replace(
                    admission, seconds=min(admission.seconds, payload.timeout), endpoints=payload.endpoints
                )
                continue
            if isinstance(payload, StoreCorrupted) and self.setup is setup:
                self.report_corruption(str(payload))
            raise payload

    def answer_inline(self, job: QueryJob, admission: Admission) -> QueryOutput | None:
        """The answer of a one-pattern query or of a job a worker answered cheaply before (:mod:`.inline`), read
        here, in the event loop: at most :data:`.inline.ROWS` rows, so its cost is bounded; ``None`` when a worker
        must answer (a longer answer, a store not yet counted, or a failure that is not the query's)."""
        store = self.inline_store(admission.on_disk)
        if store is None:
            return None
        known_rows = self.known.known_rows(job)
        outcome = self.read_inline(store, job, admission, known_rows)
        output = self.judge_inline(admission, outcome)
        if output is None and isinstance(outcome, QueryOutput):  # cut by the inline caps
            self.long.remember(job)
        elif output is not None and known_rows is None:
            self.known.remember(job, output, admission)
        return output

    async def answer_in_thread(self, job: QueryJob, admission: Admission) -> QueryOutput | None:
        """:meth:`answer_inline` in one of :attr:`threads`, in the turn the caller took, for a remembered job that
        costs more than the event loop should spend on one."""
        setup = self.setup
        store = self.inline_store(admission.on_disk)
        if store is None:
            self.threads.turns.release()
            return None
        try:
            known_rows = self.known.known_rows(job)
            outcome = await self.threads.run(self.read_inline, store, job, admission, known_rows)
        except RuntimeError:  # the threads were shut down: the engine is stopping
            return None
        if self.setup is not setup and (isinstance(outcome, StoreCorrupted) or not isinstance(outcome, QueryOutput)):
            return None  # a swap came while it ran: the old store's trouble is not the new one's; a worker answers
        output = self.judge_inline(admission, outcome)
        if output is not None:
            self.threads.answers += 1
            if known_rows is None and self.setup is setup:  # (the build before a swap teaches nothing of the new)
                self.known.remember(job, output, admission)
        return output

    def read_inline(
        self, store: ox.Store, job: QueryJob, admission: Admission, known_rows: int | None = None
    ) -> QueryOutput | BaseException:
        """The job's answer from ``store`` within the inline caps, or what it raised (on whichever thread runs it:
        the event loop's judges it, :meth:`judge_inline`). ``known_rows``: its answer's rows, when
        :attr:`known` remembers them (looked up in the event loop, which alone changes that memory)."""
        rows, size = inline.caps(admission)
        try:
            return execute(store, job, rows, self.setup.prefixes, self.setup.base_iri, size, known_rows)
        except BaseException as error:  # noqa: BLE001 - a Rust panic (pyo3's PanicException) is no Exception
            return error.with_traceback(None)

    def judge_inline(self, admission: Admission, outcome: QueryOutput | BaseException) -> QueryOutput | None:
        """What an inline answer becomes: itself, the query's own error raised, or ``None`` when a worker must
        answer (cut by the inline caps, or a failure that is not the query's, which the worker path reports)."""
        if isinstance(outcome, StoreCorrupted):
            self.report_corruption(str(outcome))
            raise outcome
        if isinstance(outcome, QueryError):
            raise outcome
        if isinstance(outcome, Exception):
            log.warning("inline answer failed (%s: %s); a worker answers", type(outcome).__name__, outcome)
            return None
        if isinstance(outcome, BaseException):
            if type(outcome).__name__ != "PanicException":
                raise outcome
            log.warning("inline answer failed (a panic in the store: %s); a worker answers", outcome)
            self._inline_store = self.inline_copy = None
            return None
        if inline.cut_by_inline_caps(admission, outcome.rows, outcome.truncated):
            return None
        self.inline_answers += 1
        return outcome

    def learn(self, job: QueryJob, output: QueryOutput, admission: Admission) -> bool:
        """What a worker's answer teaches: which store answers the job faster, when there are two
        (:class:`~.inline.FasterStore`), and whether it is cheap enough to answer here next time, at its cost on
        the store it will be read from (so, with two stores, once both were measured). ``False``: the disk's
        answer is not the copy's, and must not be sent (the copy's answer is)."""
        if not self.copies_wanted():
            self.cheap.remember(job, output, admission)
            self.known.remember(job, output, admission)
            return True
        if not inline.FasterStore.worth_learning(job, admission):
            return True
        if not self.faster.record(job, output):
            return False
        best = self.faster.best(job, admission.seconds)
        if best is not None:
            self.cheap.remember(job, replace(output, cpu_seconds=best), admission)
        self.known.remember(job, output, admission)
        return True

    def copies_wanted(self) -> bool:
        """Whether the workers answer from copies of a small build in memory (not when their copies failed: they
        read the disk). Then a job may be read from either of two stores, and the server copies the build too."""
        pool = self.pools.get(False)
        return self.setup.in_memory and not (pool is not None and pool.copies_failed)

    def remembered_cost(self, job: QueryJob) -> float | None:
        """The CPU seconds a worker took for ``job`` from this build, when it is remembered and the server's inline
        store reads as the workers' did (:meth:`reads_like_the_workers`)."""
        cost = self.cheap.cost(job)
        return cost if cost is not None and self.reads_like_the_workers() else None

    def reads_like_the_workers(self) -> bool:
        """Whether the server's inline store is of the kind the workers measured cheap jobs on: the disk for a large
        build, its copy in memory for a small one (until it is made, a job a copy answered in 0.5 ms could take
        ten times longer here), or the disk again when the workers could not copy it."""
        return not self.copies_wanted() or self.inline_copy is not None

    def inline_store(self, on_disk: bool = False) -> ox.Store | None:
        """The server's own read-only handle on the store, once a worker has counted it (the integrity check); its
        copy in memory once made (:meth:`copy_for_inline`), unless the job is read ``on_disk``."""
        if self._triples is None or self.corrupt is not None:
            return None
        if self.inline_copy is not None and not on_disk:
            return self.inline_copy
        if self._inline_store is None:
            try:
                self._inline_store = ox.Store.read_only(self.setup.store_path)
            except (OSError, ValueError, RuntimeError) as error:
                log.warning("cannot open %s for inline answers: %s", self.setup.store_path, error)
                return None
        return self._inline_store

    async def call(self, worker: Worker, job: QueryJob, admission: Admission, deadline: float) -> Answer:
        """Send the job and wait for its answer until ``deadline``; past it the worker is killed."""
        waiter = worker.channel.expect()
        worker.channel.send((job, admission))
        loop = asyncio.get_running_loop()
        timer = loop.call_at(deadline + (loop.time() - time.monotonic()), expire, waiter, admission.seconds)
        demotion = loop.call_later(DEMOTE_AFTER, worker.demote)
        try:
            answer: Answer = await waiter
        finally:
            timer.cancel()
            demotion.cancel()
        return answer

    def report_corruption(self, detail: str) -> None:
        """From now on no answer comes from this store (until the server moves to another build)."""
        if self.corrupt is None:
            log.error("the store at %s reported corruption: %s", self.setup.store_path, detail)
        self.corrupt = detail
        for pool in self.pools.values():
            while pool.waiting:
                turn = pool.waiting.popleft()
                if not turn.done():
                    turn.set_exception(StoreCorrupted(detail))

    def copy_for_inline(self) -> None:
        """Copy a small build into the server's memory, in a thread, once the pool holds its copies (so no more than
        one core copies at a time): inline answers then cost what they cost in a worker, where
        :class:`~.inline.CheapJobs` measured them (RocksDB reads a point lookup twice as slowly as memory)."""
        if not self.setup.in_memory or self.inline_copy_started or self.closed:
            return
        self.inline_copy_started = True
        setup = self.setup
        threading.Thread(target=self._copy_for_inline, args=(setup,), name="sdkg-inline-copy", daemon=True).start()

    def _copy_for_inline(self, setup: WorkerSetup) -> None:
        try:
            copy = open_store(setup)
        except (OSError, ValueError, RuntimeError) as error:
            log.warning("cannot copy %s into memory for inline answers: %s", setup.store_path, error)
            return
        if self.loop is None:
            self._install_inline_copy(setup, copy)
            return
        try:  # on the event loop's thread, where a swap happens: no swap can come between the check and the install
            self.loop.call_soon_threadsafe(self._install_inline_copy, setup, copy)
        except RuntimeError:  # the loop has closed: the server has stopped
            pass

    def _install_inline_copy(self, setup: WorkerSetup, copy: ox.Store) -> None:
        if self.setup is setup and not self.closed:  # still the build it was made for
            self.inline_copy = copy

    def forget_inline_store(self) -> None:
        """Drop the inline handles and what was learnt of the build's jobs (the server moves to another build)."""
        self._inline_store = None
        self.inline_copy = None
        self.inline_copy_started = False
        self.cheap = inline.CheapJobs()
        self.known = inline.KnownAnswers()
        self.long = inline.LongAnswers()
        self.faster = inline.FasterStore()

    def triple_count(self) -> int:
        """The store's size, as the first worker counted it (``EngineBusy`` before one has started)."""
        if self._triples is None:
            raise EngineBusy("no query worker has started yet")
        return self._triples

    def pool(self, network: bool) -> Pool:
        pool = self.pools.get(network)
        if pool is None:
            if self.closed:
                raise EngineBusy("the query engine is shut down")
            setup = replace(self.setup, network=network)
            pool = self.pools[network] = Pool(self, setup, 1 if network else self.size)
            pool.fill()
        return pool

    async def start(self) -> None:
        """Start the workers and wait for the first (an app may be started and stopped more than once)."""
        if not self.closed:
            return
        self.closed = False
        self.loop = asyncio.get_running_loop()
        pool = self.pool(network=False)
        await pool.first_ready()

    async def stop(self) -> None:
        self.close()

    def swap(self, store_path: Path, expected_triples: int | None = None) -> None:
        """Serve ``store_path`` from now on: new workers start; the old ones finish their queries, then go."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self.loop is not None and running is not self.loop:
            self.loop.call_soon_threadsafe(self._swap, store_path, expected_triples)
        else:
            self._swap(store_path, expected_triples)

    def _swap(self, store_path: Path, expected_triples: int | None) -> None:
        in_memory = copies_fit(expected_triples, self.size, self.in_memory_max_quads, self.processes)
        self.setup = replace(
            self.setup, store_path=str(store_path), expected_triples=expected_triples, in_memory=in_memory
        )
        self.corrupt = None
        self.problem = None
        self._triples = None
        self.counting = False
        self.forget_inline_store()
        old, self.pools = self.pools, {}
        for pool in old.values():
            pool.retire()
        if not self.closed:
            self.pool(network=False)

    def close(self) -> None:
        self.closed = True
        self.forget_inline_store()
        self.threads.close()
        for pool in self.pools.values():
            pool.retire()
        self.pools = {}

    @property
    def ready_workers(self) -> int:
        return sum(len([w for w in p.idle if w.alive]) + p.busy for p in self.pools.values())

    def workers(self) -> dict[str, int | bool]:
        """What ``/health`` says of the sandboxed workers: how many run, how many answer from a copy of the store
        in memory, whether all of them are meant to (``copies_wanted``) once the pool is calm, whether the server
        holds its own copy (``inline_copy``), and whether the server is in its steady state (``settled``: every copy
        it wants is made; before, workers on disk and copies answer side by side)."""
        pool = self.pools.get(False)
        members = [worker for worker in pool.members if worker.connected] if pool is not None else []
        copies = sum(worker.setup.in_memory for worker in members)
        copies_wanted = self.copies_wanted()
        inline_copy = self.inline_copy is not None
        return {
            "running": len(members),
            "copies": copies,
            "copies_wanted": copies_wanted,
            "inline_copy": inline_copy,
            "settled": not copies_wanted or (copies == len(members) and inline_copy),
        }


CALM_SECONDS = 30.0
"""How long a pool of copies must have replaced no worker before a worker that reads the disk is replaced by one
with a copy (one at a time)."""
BYTES_PER_QUAD_IN_MEMORY = 1_200
"""The most a quad takes in a worker's copy of the store, with a margin: measured, 460 bytes in the synthetic
corpus (270,000 quads, terms shared between quads) and 950-1,130 when every quad brings new terms."""


def copies_fit(quads: int | None, workers: int, most_quads: int, processes: int = 1) -> bool:
    """Whether each worker answers from its own copy of the store in memory: when the build recorded its size,
    holds at most ``most_quads`` quads, and the copies of all the workers (the one that may reach the network
    too) and the server's own (for inline answers), in each of the ``processes`` serving HTTP, take at most a
    quarter of the machine's memory. Each copy is read at the worker's start (about 2 s of CPU at 270,000 quads),
    so it is for small builds: larger ones are read from disk."""
    if quads is None or most_quads <= 0 or quads > most_quads:
        return False
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return False
    return processes * (workers + 2) * quads * BYTES_PER_QUAD_IN_MEMORY <= memory // 4


def default_workers() -> int:
    """Two per core and six more (10 on 2 cores): five queries that run to their deadline leave five workers
    for the light ones, which the operating system then schedules first (a query past 0.25 s yields)."""
    return min(16, 2 * (os.cpu_count() or 2) + 6)


def expire(waiter: asyncio.Future[Any], seconds: float) -> None:
    if not waiter.done():
        waiter.set_exception(QueryTimeout(seconds))


class Pool:
    """Workers of one kind (sandboxed or not) for one store: idle ones, and callers waiting in turn."""

    def __init__(self, engine: WorkerEngine, setup: WorkerSetup, size: int):
        self.engine = engine
        self.setup = setup
        self.size = size
        self.idle: deque[Worker] = deque()
        self.waiting: deque[asyncio.Future[Worker]] = deque()
        self.busy = 0
        self.retired = False
        self.starting: set[asyncio.Task[None]] = set()
        self.failures = 0
        self.first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.troubled = -math.inf
        """When a worker was last replaced (its query past the deadline, or its priority not restored)."""
        self.copying = False
        """Whether a worker is being started to answer from a copy in place of one that reads the disk."""
        self.members: set[Worker] = set()
        """The workers started and not yet killed, idle or busy."""
        self.copies_failed = False
        """Whether a worker that was to copy the store did not start (then the pool stays on disk)."""

    def fill(self) -> None:
        """Start the pool's workers at once. In a pool of copies, one copies the store and the others read the
        disk (they start in a fraction of a second each); :meth:`upgrade` replaces them, one at a time, so that
        no more than one core copies the store while the server answers."""
        for _ in range(self.size - 1 if self.setup.in_memory else self.size):
            self.spawn(copy=False)  # the first of them counts the store (the integrity check), at once
        if self.setup.in_memory:
            self.start_copy()

    def start_copy(self) -> None:
        """Start a worker that copies the store (one at a time: :attr:`copying` until it is ready or failed)."""
        self.copying = True
        task = asyncio.get_running_loop().create_task(self.start_one(copy=True))
        self.starting.add(task)
        task.add_done_callback(self.starting.discard)
        task.add_done_callback(self.copied)

    def copied(self, _: object) -> None:
        self.copying = False
        self.upgrade()

    def spawn(self, copy: bool = True) -> None:
        """Start a worker in the background; ``copy=False``: one that reads the store on disk, even in a pool
        whose workers answer from a copy (it starts in a fraction of a second)."""
        task = asyncio.get_running_loop().create_task(self.start_one(copy))
        self.starting.add(task)
        task.add_done_callback(self.starting.discard)

    async def start_one(self, copy: bool = True) -> None:
        """Start a worker; retry with a growing pause so that the pool does not shrink for good."""
        for attempt in range(1_000_000):
            if self.retired:
                return
            counts = self.engine._triples is None and not self.engine.counting  # one worker checks the store
            self.engine.counting = self.engine.counting or counts
            worker = Worker(replace(self.setup, count=counts, in_memory=self.setup.in_memory and copy), 0)
            try:
                await worker.connect()
                triples = await worker.ready()
            except (WorkerFailed, OSError) as error:
                if counts:
                    self.engine.counting = False
                self.failures += 1
                self.engine.problem = str(error)
                if "corrupt" in str(error).lower():
                    self.engine.report_corruption(str(error))
                if not self.first.done():
                    self.first.set_result(None)
                log.warning("query worker did not start (%s), attempt %d", error, attempt + 1)
                if copy and self.setup.in_memory:  # the next ones read the disk, and no worker copies again
                    copy, self.copies_failed = False, True
                await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))
                continue
            self.engine.problem = None
            if counts:
                self.engine.counting = False
            if self.engine._triples is None and triples >= 0:
                self.engine._triples = triples
            if not self.first.done():
                self.first.set_result(None)
            self.members.add(worker)
            self.release(worker, started=True)
            return

    async def first_ready(self) -> None:
        await asyncio.wait_for(asyncio.shield(self.first), STARTUP_SECONDS)

    async def acquire(self, deadline: float, seconds: float) -> Worker:
        """An idle live worker, waiting in turn until ``deadline`` (then :class:`EngineBusy`)."""
        while self.idle:
            worker = self.idle.pop()  # the most recently used: its caches are warm (the others stay idle)
            if worker.alive:
                self.busy += 1
                return worker
            self.replace(worker, counted=False)
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[Worker] = loop.create_future()
        self.waiting.append(turn)
        timer = loop.call_at(deadline + (loop.time() - time.monotonic()), self.give_up, turn, seconds)
        try:
            worker = await turn
        finally:
            timer.cancel()
        return worker

    def give_up(self, turn: asyncio.Future[Worker], seconds: float) -> None:
        if not turn.done():
            if self.engine.corrupt is not None:
                turn.set_exception(StoreCorrupted(self.engine.corrupt))
            elif self.engine.problem is not None:  # the detail is in the log, not for clients
                turn.set_exception(EngineBusy("no query worker can start; the server's operator has been told"))
            else:
                turn.set_exception(EngineBusy(f"all {self.size} query workers stayed busy for {seconds:g} s"))

    def release(self, worker: Worker, started: bool = False) -> None:
        """Give ``worker`` to the next caller in turn, or back to the idle ones (or retire it)."""
        if not started:
            self.busy -= 1
        if self.retired or not worker.connected or not worker.restore():
            self.drop(worker)
            if not self.retired:
                self.troubled = time.monotonic()
                self.spawn(copy=False)
            return
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                self.busy += 1
                turn.set_result(worker)
                return
        self.idle.append(worker)
        self.upgrade()

    def replace(self, worker: Worker, counted: bool = True) -> None:
        """Kill ``worker`` now and start its successor in the background: one that reads the store on disk, so
        that a client sending queries that run to their deadline does not make the pool copy the store again
        and again (:meth:`upgrade` puts the copies back once the pool is calm)."""
        if counted:
            self.busy -= 1
        self.drop(worker)
        if not self.retired:
            self.troubled = time.monotonic()
            self.spawn(copy=False)

    def upgrade(self) -> None:
        """In a pool of copies, replace an idle worker that reads the disk by one that answers from a copy: one at
        a time (the next when this one is ready, so the pool converts itself in the background, a core at most),
        and only when no worker has been replaced for :data:`CALM_SECONDS` (queries that run to their deadline
        get successors that start at once, on disk) and no caller waits."""
        if not self.setup.in_memory or self.copying or self.copies_failed or self.waiting or self.retired:
            return
        if time.monotonic() - self.troubled < self.engine.calm_seconds:
            return
        on_disk = next((worker for worker in self.idle if not worker.setup.in_memory), None)
        if on_disk is not None:
            self.idle.remove(on_disk)
            self.drop(on_disk)
            self.start_copy()
        elif not self.engine.inline_copy_started and all(worker.setup.in_memory for worker in self.members):
            self.engine.copy_for_inline()  # the check above first: this runs on every release

    def drop(self, worker: Worker) -> None:
        self.members.discard(worker)
        worker.kill()

    def retire(self) -> None:
        """No new queries here: idle workers go now, busy ones when they finish (see :meth:`release`)."""
        self.retired = True
        while self.idle:
            self.drop(self.idle.popleft())
        for task in list(self.starting):
            task.cancel()
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_exception(PoolRetired())


if __name__ == "__main__":
    main()
