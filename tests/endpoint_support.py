"""Small stores and apps for the endpoint tests (independent of the repository's data)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox

from bench.servers import every_process_settled
from sdkg.build.publish import write_store
from sdkg.builds import BUILD_INFO

EX = "http://example.org/"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def make_store(directory: Path, quads: Iterable[ox.Quad], version: str = "test-build-1") -> Path:
    """A build directory like ``sdkg build`` writes: ``<dir>/<version>/store`` plus its build info."""
    build_dir = directory / "builds" / version
    build_dir.mkdir(parents=True)
    store = write_store(build_dir / "store", quads)
    triples = len(store)
    del store
    info = {"version": version, "built": "2024-01-02T03:04:05Z", "triples": triples}
    (build_dir / BUILD_INFO).write_text(json.dumps(info), encoding="utf-8")
    return build_dir / "store"


def people(count: int = 30) -> list[ox.Quad]:
    """``count`` people with labels in one named graph, and a few documents in another."""
    graph = ox.NamedNode(EX + "graph/people")
    person = ox.NamedNode(EX + "Person")
    quads = []
    for index in range(count):
        subject = ox.NamedNode(f"{EX}person/{index}")
        quads.append(ox.Quad(subject, RDF_TYPE, person, graph))
        quads.append(ox.Quad(subject, RDFS_LABEL, ox.Literal(f"Person {index}", language="en"), graph))
    docs = ox.NamedNode(EX + "graph/docs")
    quads.append(ox.Quad(ox.NamedNode(EX + "doc/1"), RDF_TYPE, ox.NamedNode(EX + "Document"), docs))
    return quads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sdkg_serving(root: Path, *options: str) -> Iterator[str]:
    """A real ``sdkg serve`` process on a free port (with ``options``); yields its base URL once healthy."""
    with sdkg_server(root, *options) as (base, _):
        yield base


@contextmanager
def sdkg_server(
    root: Path, *options: str, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real ``sdkg serve`` process on a free port (with ``options``); yields its base URL once it answers
    ``/health`` (healthy or not) and the process. Stopped with SIGTERM at the end (killed if it lingers).
    Its error output (and, with ``log``, its query log too) goes to a file, never a pipe: a pipe nobody
    reads fills up and stops the server's writes.

    One serving process unless ``options`` say ``--processes``: the tests that look at the server's workers
    (``children``) or its memory look at one process's; ``tests/web/test_processes.py`` serves with several."""
    port = free_port()
    if "--processes" not in options:
        options = ("--processes", "1", *options)
    output = log.open("w+b") if log is not None else tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "sdkg.cli", "--root", str(root), "serve", "--port", str(port), *options],
        stdout=output if log is not None else subprocess.DEVNULL,
        stderr=output,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/health", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    raise AssertionError(output.read().decode(errors="replace")[-5000:] or "no server") from None
                time.sleep(0.2)
        settle(base, deadline)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        output.close()


def settle(base: str, deadline: float) -> None:
    """Wait until the server says it is settled (``/health``'s ``workers``): the workers that are to answer from a
    copy of the store do, and the server holds its own copy for inline answers. While it copies, workers on disk
    and copies answer together, and they may order what SPARQL leaves unordered (a ``GROUP_CONCAT``, rows without
    ``ORDER BY``) differently. With several serving processes, each of them must say so."""
    settled: set[int] = set()
    while time.monotonic() < deadline:
        health = httpx.get(base + "/health", timeout=5)
        if every_process_settled(health.json() if health.status_code == 200 else {}, settled):
            return  # (an unhealthy server has nothing to settle: its tests look at the failure)
        time.sleep(0.1)


def published_project(directory: Path, quads: Iterable[ox.Quad], version: str = "test-build-1") -> Path:
    """A project directory whose ``var/current`` is a build of ``quads`` (what ``sdkg serve`` serves)."""
    root = directory / "project"
    store = make_store(root / "var", quads, version)
    (root / "var" / "current").symlink_to(store.parent, target_is_directory=True)
    return root


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the server's query workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped by its new parent, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
