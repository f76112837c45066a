"""Serving HTTP from several processes: ``count`` processes share one listening socket, each the whole
server (its app, its query workers, its caches), and a supervisor replaces any that dies.

Why: a Python process answers HTTP on one core at most (the GIL). On the 2-core bench machine one
serving process answered 9,000 light queries a second while its workers idled; two processes
sharing the port answered 15,700, and the geometric mean over the catalog and the light queries at
8 clients went from 0.73× to 1.0× ``oxigraph serve`` (bench/README.md).

What the processes share: the listening socket (the kernel gives each connection to one process that
is accepting), the build they serve (each follows ``var/current`` and pins it by its own process id)
and the counters behind ``/metrics`` (:class:`SharedCounters`: shared memory, a slot per process, so
``/metrics`` is the whole server's whichever process answers it, and a replaced process's counts
stay). What they do not share: answers cached, the store choice learnt per query, query workers (the
machine's workers and the result cache are divided between them).

The supervisor is the process ``sdkg serve`` started: it binds the socket, starts the serving
processes (``python -m sdkg.web.processes``, their settings on standard input), restarts one that
ends unasked (and stops, saying so, when one keeps failing at its start), kills and replaces one whose
event loop has stopped turning (each loop writes a heartbeat into the shared block about every second,
from uvicorn's main loop), and on SIGTERM or SIGINT
stops them all, each with the grace period for its requests. A serving process whose supervisor is
gone (even killed) is stopped by the kernel (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import logging.handlers
import mmap
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from types import FrameType
from typing import IO

from ..sparql import allocator
from .metrics import Metrics, beat_index, block_bytes, stderr_log
from .settings import Settings

QUICK_FAILURE_SECONDS = 10.0
"""A serving process that ends within this many seconds of its start failed at its start."""
QUICK_FAILURES = 3
"""After this many failures at the start in a row, the supervisor stops the server."""
STARTUP_FAILURE = 3
"""The exit status when the port cannot be had (uvicorn's, when it serves alone)."""
MAX_PROCESSES = 4
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Listen:
    """Where and how the HTTP server listens (uvicorn's options that are not the app's settings)."""

    host: str
    port: int
    grace_seconds: float
    frozen_after: float = 30.0
    """A serving process whose event loop has not turned for this many seconds is replaced."""


class SharedCounters:
    """The ``/metrics`` counters of every serving process, in an anonymous shared memory file
    (``memfd``): passed to each serving process as an open descriptor, gone with the last process."""

    def __init__(self, processes: int):
        self.processes = processes
        self.size = block_bytes(processes)
        self.fd = os.memfd_create("sdkg-metrics", 0)
        os.ftruncate(self.fd, self.size)
        self.block = self.view(self.fd, self.size)
        """The supervisor's view: when the server started, and each process's heartbeat."""
        self.block[0] = time.time()

    @staticmethod
    def view(fd: int, size: int) -> memoryview[float]:
        return memoryview(mmap.mmap(fd, size)).cast("d")


@dataclass(frozen=True)
class Assignment:
    """What one serving process is told on its standard input."""

    settings: Settings
    listen: Listen
    slot: int
    socket_fd: int
    counters_fd: int
    counters_size: int
    supervisor: int


def default_processes(writes: bool) -> int:
    """One per core, at most four; one when the server takes writes (an admin change holds a lock of its
    process's, so two processes could make two at once)."""
    return 1 if writes else max(1, min(MAX_PROCESSES, os.cpu_count() or 1))


def divided(settings: Settings, processes: int) -> Settings:
    """Each serving process's share of the machine: its query workers and its result cache."""
    from ..sparql.workers import default_workers

    workers = settings.workers or default_workers()
    return replace(
        settings,
        processes=processes,
        workers=max(1, -(-workers // processes)),
        result_cache_mb=-(-settings.result_cache_mb // processes),
    )


def serve(settings: Settings, listen: Listen) -> int:
    """Serve ``settings`` on ``listen`` with ``settings.processes`` processes (one: in this process)."""
    if settings.processes <= 1:
        serve_here(settings, listen, Metrics())
        return 0
    return Supervisor(settings, listen).run()


def serve_here(settings: Settings, listen: Listen, metrics: Metrics, sock: socket.socket | None = None) -> None:
    """Run the whole server in this process, on ``sock`` (a socket shared with others) or its own."""
    import uvicorn

    from .app import create_app
    from .http import http_protocol

    # the server's warnings on stderr, written by a thread of their own (never in a request's path)
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    for name, level in (("sdkg.server", logging.INFO), ("sdkg.workers", logging.INFO), ("uvicorn", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(logging.handlers.QueueHandler(lines))  # type: ignore[arg-type]
    listener = logging.handlers.QueueListener(lines, logging.StreamHandler(sys.stderr))  # type: ignore[arg-type]
    listener.start()
    app = create_app(settings, metrics)
    query_log = stderr_log()  # one JSON line per query on stderr, in batches
    metrics.log = query_log
    query_log.start()
    config = uvicorn.Config(
        app,
        host=listen.host,
        port=listen.port,
        log_level="warning",
        log_config=None,  # uvicorn's messages go through the queue above, as the server's own do
        http=http_protocol(settings.max_url_bytes, metrics if sock is not None else None, app.answer_now),
        loop="uvloop",
        proxy_headers=False,  # X-Forwarded-* are not trusted: the public URL is configured
        server_header=False,
        access_log=False,  # the server's query log is its own; uvicorn's formats a line per request to drop it
        timeout_graceful_shutdown=int(max(1, listen.grace_seconds)),
        callback_notify=heartbeat(metrics) if sock is not None else None,  # for the supervisor's watchdog
        timeout_notify=1,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
    finally:
        query_log.close()
        listener.stop()


def hand_over(pipe: IO[bytes], assignment: bytes) -> None:
    """Write a serving process's assignment to its standard input and close it. A process that ended before
    reading it (killed, or failing at its start) breaks the pipe: that is no error of the supervisor's, whose
    :meth:`Supervisor.watch` sees the process end and counts it like any other death at its start."""
    with contextlib.suppress(BrokenPipeError):
        pipe.write(assignment)
    with contextlib.suppress(BrokenPipeError):  # (a failed flush still closes the pipe)
        pipe.close()


def heartbeat(metrics: Metrics) -> Callable[[], Awaitable[None]]:
    """What uvicorn's main loop calls about every second, from the event loop: a frozen loop stops calling it."""

    async def beat() -> None:
        metrics.beat()

    return beat


def listening_socket(listen: Listen) -> socket.socket:
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((listen.host, listen.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """Starts the serving processes, replaces one that ends, stops them all on SIGTERM or SIGINT."""

    def __init__(self, settings: Settings, listen: Listen):
        self.settings = settings
        self.listen = listen
        self.count = settings.processes
        self.stopping = False
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.started: dict[int, float] = {}
        self.failures: dict[int, int] = {}

    def run(self) -> int:
        try:
            self.socket = listening_socket(self.listen)
        except OSError as error:
            say(f"cannot listen on {self.listen.host}:{self.listen.port}: {error.strerror or error}")
            return STARTUP_FAILURE
        self.counters = SharedCounters(self.count)
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in range(self.count):
                self.start(slot)
            return self.watch()
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.socket.close()
            os.close(self.counters.fd)

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def start(self, slot: int) -> None:
        self.counters.block[beat_index(slot)] = 0  # (the one it replaces may have left a stale beat)
        assignment = Assignment(
            settings=self.settings,
            listen=self.listen,
            slot=slot,
            socket_fd=self.socket.fileno(),
            counters_fd=self.counters.fd,
            counters_size=self.counters.size,
            supervisor=os.getpid(),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            pass_fds=(self.socket.fileno(), self.counters.fd),
            env=allocator.environment(dict(os.environ)),
        )
        assert process.stdin is not None
        hand_over(process.stdin, pickle.dumps(assignment))
        self.processes[slot] = process
        self.started[slot] = time.monotonic()

    def watch(self) -> int:
        """Replace each serving process that ends until asked to stop; 1 when one keeps failing at its start."""
        while not self.stopping:
            for slot, process in list(self.processes.items()):
                status = process.poll()
                if status is None:
                    self.replace_if_frozen(slot, process)
                if status is None or self.stopping:
                    continue
                quick = time.monotonic() - self.started[slot] < QUICK_FAILURE_SECONDS
                self.failures[slot] = self.failures.get(slot, 0) + 1 if quick else 0
                if self.failures[slot] >= QUICK_FAILURES:
                    last = ended(status)
                    say(f"serving process {slot} ended {QUICK_FAILURES} times at its start (last: {last}): stopping")
                    return 1
                say(f"serving process {slot} (pid {process.pid}) ended ({ended(status)}): starting another")
                self.start(slot)
            time.sleep(0.2)
        return 0

    def replace_if_frozen(self, slot: int, process: subprocess.Popen[bytes]) -> None:
        """Kill a serving process whose event loop has stopped turning (the loop then replaces it): a request
        that froze it must not take its share of the connections down with it."""
        beat = self.counters.block[beat_index(slot)]
        if beat and time.monotonic() - beat > self.listen.frozen_after:
            say(
                f"serving process {slot} (pid {process.pid}): its event loop has not turned for "
                f"{time.monotonic() - beat:.0f} s; replacing it"
            )
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        """SIGTERM to each serving process (uvicorn then finishes its requests within the grace period)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.listen.grace_seconds + 10
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def say(message: str) -> None:
    """A line on stderr from the supervisor (which has none of the serving processes' log set-up)."""
    print(message, file=sys.stderr, flush=True)


def ended(status: int) -> str:
    return f"signal {-status}" if status < 0 else f"exit status {status}"


def die_with(supervisor: int) -> None:
    """Ask the kernel for SIGTERM when the supervisor ends; and end now if it already has."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != supervisor:
        sys.exit(0)


def main() -> None:
    """A serving process: its assignment from standard input, then the whole server on the shared socket."""
    assignment: Assignment = pickle.loads(sys.stdin.buffer.read())
    die_with(assignment.supervisor)
    sock = socket.socket(fileno=assignment.socket_fd)
    block = SharedCounters.view(assignment.counters_fd, assignment.counters_size)
    settings = replace(assignment.settings, process_slot=assignment.slot)
    serve_here(settings, assignment.listen, Metrics(block=block, slot=assignment.slot), sock)


if __name__ == "__main__":
    main()
