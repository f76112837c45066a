"""Light queries answered at once, in the HTTP protocol (:meth:`sdkg.web.front.Front.answer_now`), tried against a
real ``sdkg serve``: the answer is the one the ASGI path gives, byte for byte but the date; it is counted and
logged like any query; and requests pipelined behind it, a client's ``Connection: close`` and the answer cache
are honoured.

The ASGI path is asked the same request with ``Content-Length: 0``, which the protocol's path leaves to it."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.endpoint_support import EX, people, published_project, sdkg_server

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
POINT = f"SELECT ?l WHERE {{ <{EX}person/1> <{LABEL}> ?l }}"
LABELS = f"SELECT ?s ?l WHERE {{ ?s <{LABEL}> ?l }}"  # one pattern, 60 rows: over 1 kB, within the inline caps
ASK = f"ASK {{ <{EX}person/2> <{LABEL}> ?l }}"
JOIN = f"SELECT ?s WHERE {{ ?s a <{EX}Person> ; <{LABEL}> ?l }} ORDER BY ?s LIMIT 3"  # (two patterns: a worker's)
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_project(tmp_path_factory.mktemp("at-once"), people(60))


@pytest.fixture(scope="module")
def base(root: Path) -> Iterator[str]:
    with sdkg_server(root, "--result-cache", "0") as (url, _):
        yield url


def at_once(base: str) -> int:
    text = httpx.get(base + "/metrics").text
    match = re.search(r"^sdkg_queries_answered_at_once_total (\d+)$", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def exchange(base: str, target: str, headers: dict[str, str]) -> bytes:
    """One request on a connection of its own; the whole answer as it came (the connection closes after it)."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return read_to_end(sock)


def read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def without_date(answer: bytes) -> bytes:
    return re.sub(rb"\r\ndate: [^\r]*", b"", answer, count=1)


CASES = [
    ("a point lookup", POINT, {"Accept": JSON}),
    ("XML results", POINT, {"Accept": "application/sparql-results+xml"}),
    ("CSV", POINT, {"Accept": "text/csv"}),
    ("an ASK", ASK, {"Accept": JSON}),
    ("60 rows, gzip", LABELS, {"Accept": JSON, "Accept-Encoding": "gzip"}),
    ("60 rows, plain", LABELS, {"Accept": JSON}),
]


@pytest.mark.parametrize(("name", "query", "headers"), CASES, ids=[c[0] for c in CASES])
def test_an_answer_made_at_once_is_the_asgi_paths_answer(
    base: str, name: str, query: str, headers: dict[str, str]
) -> None:
    target = "/sparql?query=" + quote(query)
    exchange(base, target, headers)  # (the first time of a job may be a worker's: both paths answer it inline after)
    before = at_once(base)
    quick = exchange(base, target, headers)
    assert at_once(base) == before + 1, name
    framework = exchange(base, target, {**headers, "Content-Length": "0"})
    assert at_once(base) == before + 1, "the ASGI path answered at once too"
    assert quick.startswith(b"HTTP/1.1 200 OK\r\n")
    assert without_date(quick) == without_date(framework)
    assert b"\r\nconnection: close\r\n" in quick  # (as the client asked)
    if "gzip" in headers.get("Accept-Encoding", ""):
        assert b"\r\ncontent-encoding: gzip\r\n" in quick


REFUSALS = [
    ("two queries", "/sparql?query=" + quote(POINT) + "&query=" + quote(ASK), {"Accept": JSON}, 400),
    ("no acceptable format", "/sparql?query=" + quote(POINT), {"Accept": "image/png"}, 406),
    ("an HTML error page", "/sparql?query=" + quote(POINT) + "&query=x", {"Accept": "text/html"}, 400),
]


@pytest.mark.parametrize(("name", "target", "headers", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refusal_made_at_once_is_the_asgi_paths_refusal(
    base: str, name: str, target: str, headers: dict[str, str], status: int
) -> None:
    quick = exchange(base, target, headers)
    framework = exchange(base, target, {**headers, "Content-Length": "0"})
    assert quick.startswith(f"HTTP/1.1 {status} ".encode()), quick[:200]
    assert without_date(quick) == without_date(framework)
    if "html" in headers["Accept"]:
        assert b"\r\ncontent-security-policy: " in quick


def test_a_client_with_the_answer_gets_304_at_once(base: str) -> None:
    target = "/sparql?query=" + quote(POINT)
    first = httpx.get(base + target, headers={"Accept": JSON})
    tag = first.headers["etag"]
    quick = exchange(base, target, {"Accept": JSON, "If-None-Match": tag})
    framework = exchange(base, target, {"Accept": JSON, "If-None-Match": tag, "Content-Length": "0"})
    assert quick.startswith(b"HTTP/1.1 304 Not Modified\r\n")
    assert without_date(quick) == without_date(framework)


def test_answers_at_once_are_counted_and_logged_like_any_query(root: Path, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with sdkg_server(root, "--result-cache", "0", log=log) as (url, _):
        httpx.get(url + "/sparql", params={"query": POINT}, headers={"Accept": JSON})
        before = httpx.get(url + "/metrics").text
        for _ in range(5):
            assert httpx.get(url + "/sparql", params={"query": POINT}, headers={"Accept": JSON}).status_code == 200
        after = httpx.get(url + "/metrics").text
        time.sleep(1.5)  # (the query log is written in batches)
    for name in (r'sdkg_queries_total\{status="200"\}', "sdkg_queries_answered_at_once_total"):
        counted = [re.search(rf"^{name} (\d+)$", text, re.MULTILINE) for text in (before, after)]
        assert counted[0] and counted[1] and int(counted[1].group(1)) == int(counted[0].group(1)) + 5, name
    assert log.read_text().count('"rows": 1') >= 6


def test_pipelined_requests_are_answered_in_order_on_one_connection(base: str) -> None:
    """A light query answered at once, a query a worker answers, a light one again, sent in one write: three
    answers, in order; the connection stays open for a fourth."""
    host, port = base.removeprefix("http://").split(":")

    def request(query: str) -> bytes:
        return f"GET /sparql?query={quote(query)} HTTP/1.1\r\nHost: {host}\r\nAccept: {JSON}\r\n\r\n".encode()

    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request(POINT) + request(JOIN + " # pipelined") + request(ASK))
        reader = sock.makefile("rb")
        bodies = [read_answer(reader) for _ in range(3)]
        assert b'"Person 1"' in bodies[0]
        assert bodies[1].count(b'"uri"') == 3
        assert b'"boolean":true' in bodies[2]
        sock.sendall(request(POINT))
        assert b'"Person 1"' in read_answer(reader)


def test_a_slow_request_behind_an_answer_made_at_once_is_not_cut_by_the_keep_alive_timer(base: str) -> None:
    """An answer made at once arms the connection's keep-alive timer (5 s) while the parser still reads the request
    behind it in the same packet; that request must disarm it, or a slow answer is cut when the timer fires."""
    host, port = base.removeprefix("http://").split(":")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    requests = [f"/sparql?query={quote(POINT)}", f"/sparql?query={quote(slow)}&timeout=7"]
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"".join(f"GET {t} HTTP/1.1\r\nHost: {host}\r\nAccept: {JSON}\r\n\r\n".encode() for t in requests))
        reader = sock.makefile("rb")
        assert b'"Person 1"' in read_answer(reader)
        started = time.monotonic()
        assert b"timed out" in read_answer(reader, 504)
        assert time.monotonic() - started > 5


def read_answer(reader: object, status: int = 200) -> bytes:
    """One HTTP/1.1 answer with a Content-Length from ``reader`` (a socket's file): its body."""
    assert hasattr(reader, "readline") and hasattr(reader, "read")
    line = reader.readline()
    assert line.startswith(f"HTTP/1.1 {status} ".encode()), line
    length = None
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    assert length is not None
    body: bytes = reader.read(length)
    return body


def test_a_cached_answer_is_answered_at_once(root: Path) -> None:
    """With the answer cache on, a query a worker answered once is answered at once from then on."""
    with sdkg_server(root) as (url, _):
        params = {"query": JOIN + " # cached"}
        first = httpx.get(url + "/sparql", params=params, headers={"Accept": JSON})
        before = at_once(url)
        second = httpx.get(url + "/sparql", params=params, headers={"Accept": JSON})
        assert at_once(url) == before + 1
        assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
