"""A small load generator: raw HTTP/1.1 keep-alive connections on asyncio.

It costs far less CPU per request than an HTTP library, so on two cores it takes as
little as possible from the servers it measures; its own CPU is reported with every
throughput figure. Every loop is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
"""SELECT and ASK answers as SPARQL JSON, CONSTRUCT answers (the catalog's argument map) as N-Triples."""


class Connection:
    """One keep-alive connection: POSTs SPARQL queries (form-encoded, the protocol's universal form) to the
    URL's path, or GETs any path of the same server (:meth:`get`). ``headers``: the last answer's, lower-cased."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.headers: dict[str, str] = {}

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def query(self, text: str) -> tuple[int, bytes]:
        body = urlencode({"query": text}).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: {ACCEPT}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return await self.exchange(head.encode() + body)

    async def get(self, path: str, accept: str = "*/*") -> tuple[int, bytes]:
        """``GET path`` (with its query string, already encoded), e.g. ``/queries/concepts.json?size=100``."""
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: {accept}\r\n\r\n"
        return await self.exchange(head.encode())

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request and read its answer: status and body (chunked, sized, or up to the close)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        self.headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            self.headers[name] = value
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            data = b"".join(parts)
        elif length is not None:
            data = await self.reader.readexactly(length)
        else:
            data = await self.reader.read()
            close = True
        if close:
            await self.close()
        return status, data


def count_rows(body: bytes) -> int | None:
    """Solutions in a SPARQL JSON result (1 for a boolean), triples in N-Triples or Turtle; ``None`` when it is
    none of these."""
    try:
        document = json.loads(body)
    except ValueError:
        try:  # N-Triples, or Turtle (a catalog CONSTRUCT at /queries/{name}.ttl): parsed to count
            return sum(1 for _ in ox.parse(body, format=ox.RdfFormat.TURTLE))
        except (SyntaxError, ValueError):
            return None
    if "boolean" in document:
        return 1
    return len(document.get("results", {}).get("bindings", []))


@dataclass
class Latency:
    rows: int | None
    status: int
    samples: list[float] = field(default_factory=list)
    error: str | None = None
    truncated: bool | None = None
    """The server's ``X-SDKG-Truncated``: the answer was cut (row or byte cap); ``None``: it did not say."""
    first: float | None = None
    """The warm-up's time (the first run, with colder caches than the samples')."""

    def p(self, q: float) -> float | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def p50(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def p95(self) -> float | None:
        return self.p(0.95)


Ask = Callable[[Connection], Awaitable[tuple[int, bytes]]]
"""One request on a connection: its status and body."""


async def measure_latency(url: str, text: str, runs: int, seconds: float, timeout: float) -> Latency:
    """The query ``text`` POSTed to ``url``: one warm-up (which gives the row count), then up to ``runs``
    sequential runs within ``seconds``."""
    return await measure(url, lambda connection: connection.query(text), runs, seconds, timeout)


async def measure_get_latency(url: str, path: str, runs: int, seconds: float, timeout: float) -> Latency:
    """``GET path`` on the server of ``url`` (e.g. ``/queries/concepts.json?size=100``), timed as
    :func:`measure_latency` times a query."""
    return await measure(url, lambda connection: connection.get(path), runs, seconds, timeout)


async def measure(url: str, ask: Ask, runs: int, seconds: float, timeout: float) -> Latency:
    """One warm-up (which gives the row count), then up to ``runs`` sequential runs within ``seconds``."""
    connection = Connection(url)
    try:
        started = time.perf_counter()
        status, body = await asyncio.wait_for(ask(connection), timeout)
        first = time.perf_counter() - started
        result = Latency(count_rows(body) if status == 200 else None, status, first=first)
        cut = connection.headers.get("x-sdkg-truncated")
        result.truncated = None if cut is None else cut == "true"
        if status != 200:
            result.error = body[:200].decode("utf-8", "replace")
            return result
        deadline = time.monotonic() + seconds
        if first > seconds:  # too slow to repeat within the budget: the warm-up is the one sample
            result.samples.append(first)
            return result
        for _ in range(runs):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            await asyncio.wait_for(ask(connection), timeout)
            result.samples.append(time.perf_counter() - started)
        return result
    except (TimeoutError, ConnectionError, OSError) as error:
        return Latency(None, 0, error=f"{type(error).__name__}: {error}")
    finally:
        await connection.close()


@dataclass
class Throughput:
    clients: int
    completed: int
    errors: int
    seconds: float
    client_cpu: float  # load generator CPU seconds per wall second (1.0 = one core)

    @property
    def qps(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


async def measure_throughput(url: str, queries: list[str], clients: int, seconds: float, grace: float) -> Throughput:
    """``clients`` connections loop over the catalog for ``seconds``; in-flight requests get ``grace`` more."""
    stop = time.monotonic() + seconds
    completed = errors = 0

    async def client(offset: int) -> None:
        nonlocal completed, errors
        connection = Connection(url)
        index = offset
        try:
            for _ in range(1_000_000):
                if time.monotonic() >= stop:
                    break
                try:
                    status, _ = await connection.query(queries[index % len(queries)])
                except (ConnectionError, OSError, asyncio.IncompleteReadError):
                    errors += 1
                    await connection.close()
                    continue
                if status == 200:
                    completed += 1
                else:
                    errors += 1
                index += 1
        finally:
            await connection.close()

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    done, pending = await asyncio.wait(tasks, timeout=seconds + grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return Throughput(clients, completed, errors, elapsed, used / elapsed if elapsed else 0.0)
