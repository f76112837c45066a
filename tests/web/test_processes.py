"""Several processes serving one port (:mod:`sdkg.web.processes`), tried against a real ``sdkg serve``: they
share the port and the metrics, a killed one is replaced, and stopping (or killing) the supervisor leaves
no process behind. Builds while serving with two processes: ``test_reliability.py``."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.servers import process_tree
from sdkg.web.metrics import Metrics, QueryLog, counter_block
from sdkg.web.processes import hand_over
from tests.endpoint_support import EX, children, free_port, people, published_project, running, sdkg_server

SMALL = f"SELECT ?l WHERE {{ <{EX}person/1> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_project(tmp_path_factory.mktemp("processes"), people(200))


def slots_seen(base: str, tries: int = 200) -> set[int]:
    """The serving processes that answered ``/health`` (each request on a new connection)."""
    seen: set[int] = set()
    for _ in range(tries):
        health = httpx.get(base + "/health", timeout=10).json()
        assert health["process"]["of"] == 2
        seen.add(health["process"]["slot"])
        if len(seen) == 2:
            break
    return seen


def query_count(text: str) -> int:
    match = re.search(r"^sdkg_query_duration_seconds_count (\d+)$", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def test_counters_of_every_slot_are_summed_and_a_new_process_is_not_in_flight() -> None:
    block = counter_block(2)
    first, second = Metrics(block=block, slot=0), Metrics(block=block, slot=1)
    for metrics, status in ((first, 200), (second, 200), (second, 504), (second, 418)):
        metrics.end(metrics.begin(), status, 1, False, "solutions", "ASK {}")
    second.begin()
    text = first.render()
    assert 'sdkg_queries_total{status="200"} 2' in text
    assert 'sdkg_queries_total{status="504"} 1' in text and "sdkg_query_timeouts_total 1" in text
    assert 'sdkg_queries_total{status="other"} 1' in text
    assert "sdkg_queries_in_flight 1" in text and "sdkg_serving_processes 2" in text
    assert query_count(text) == 4
    first.end(first.begin() - 0.3, 200, 1, False, "solutions", "ASK {}")  # 0.3 s: in le=0.5 and above only
    first.end(first.begin() - 40, 200, 1, False, "solutions", "ASK {}")  # past every bound: +Inf only
    text = first.render()
    assert 'bucket{le="0.005"} 4' in text and 'bucket{le="0.25"} 4' in text and 'bucket{le="0.5"} 5' in text
    assert 'bucket{le="30.0"} 5' in text and 'bucket{le="+Inf"} 6' in text and query_count(text) == 6
    replaced = Metrics(block=block, slot=1)  # a new process in slot 1 keeps the counts, not the old one's in flight
    assert query_count(replaced.render()) == 6 and "sdkg_queries_in_flight 0" in replaced.render()


def test_a_process_holds_too_many_connections_only_past_its_share_of_them_all() -> None:
    block = counter_block(2)
    first, second = Metrics(block=block, slot=0), Metrics(block=block, slot=1)
    for _ in range(3):
        first.connection_opened()
    second.connection_opened()
    assert first.holds_more_than_its_share() and not second.holds_more_than_its_share()  # 3 of 4: share 2
    first.connection_closed()
    assert not first.holds_more_than_its_share()  # 2 of 3: the share rounds up
    first.connection_opened()
    first.connection_opened()
    assert first.holds_more_than_its_share()  # 4 of 5: share 3
    assert not Metrics(block=block, slot=1).holds_more_than_its_share()  # a replaced process holds none yet
    alone = Metrics()
    for _ in range(100):
        alone.connection_opened()
    assert not alone.holds_more_than_its_share()  # a process serving alone has every connection to itself


@pytest.mark.parametrize("size", [10, 1_000_000], ids=["buffered", "written at once"])
def test_an_assignment_to_a_process_that_already_ended_is_no_error(size: int) -> None:
    """A serving process killed before it read its assignment breaks the pipe (at the write, or at the close that
    flushes it): the supervisor goes on, and counts the death when it sees the process end."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the process is gone
    pipe = os.fdopen(write_end, "wb")
    hand_over(pipe, b"x" * size)
    assert pipe.closed
    with pytest.raises(OSError):
        os.fstat(write_end)  # its descriptor closed too


def test_each_query_is_one_json_line_of_the_log_and_a_flood_is_dropped_and_counted() -> None:
    """The query log keeps what a request ends with and writes the lines in its thread: a JSON object per query
    with its text's first 200 characters; past its limit the oldest go, and the next batch says how many."""
    out = io.StringIO()
    metrics = Metrics()
    metrics.log = QueryLog(out, limit=3)
    long_text = "SELECT ?é WHERE { ?s ?p ?o } # " + "x" * 300
    for status in (200, 504, 200, 400):
        metrics.end(metrics.begin() - 0.01234, status, 5 if status == 200 else None, False, "solutions", long_text)
    metrics.log.flush()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line.get("status") for line in lines] == [504, 200, 400, None]
    assert lines[-1] == {"event": "log-dropped", "lines": 1}
    first = lines[0]
    assert first["event"] == "query" and first["query"] == long_text[:200] and first["rows"] is None
    assert first["kind"] == "solutions" and first["truncated"] is False and 12.3 <= first["duration_ms"] < 100
    assert "SELECT ?é WHERE" in out.getvalue()  # written as it is, not escaped
    metrics.log.flush()
    assert len(out.getvalue().splitlines()) == 4  # nothing written twice


@pytest.mark.slow
def test_two_processes_share_the_port_and_metrics_count_every_query(root: Path) -> None:
    with sdkg_server(root, "--processes", "2", "--result-cache", "0") as (base, server):
        assert slots_seen(base) == {0, 1}
        serving = children(server.pid)
        assert len(serving) == 2, serving
        for _ in range(60):  # a new connection each: the kernel gives them to either process
            answer = httpx.get(base + "/sparql", params={"query": SMALL}, headers=JSON, timeout=10)
            assert answer.status_code == 200 and "Person 1" in answer.text
        counts = {query_count(httpx.get(base + "/metrics", timeout=10).text) for _ in range(10)}
        assert counts == {60}, counts  # whichever process answers /metrics, it counts the other's queries too
        assert "sdkg_serving_processes 2" in httpx.get(base + "/metrics").text


@pytest.mark.slow
def test_connections_opened_in_a_burst_end_up_shared_between_the_processes(root: Path) -> None:
    """A client that opens 8 keep-alive connections at once (as a load generator or a harvester does) has them
    in both processes, 4 each, after a few requests: the kernel may give them all to one (one core busy, the
    other idle), which then closes the ones over its share after an answer, and the client's new ones go to
    the other. Every request is answered."""
    with sdkg_server(root, "--processes", "2", "--result-cache", "0") as (base, _):
        port = int(base.rsplit(":", 1)[1])
        for burst in range(3):
            connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(8)]
            for connection in connections:
                connection.connect()
            slots: list[int] = []
            closed = 0
            for _ in range(20):
                slots = []
                for connection in connections:  # (http.client opens a new one after a "Connection: close")
                    connection.request("GET", "/health")
                    response = connection.getresponse()
                    assert response.status == 200, burst
                    slots.append(json.loads(response.read())["process"]["slot"])
                    closed += response.getheader("connection") == "close"
            assert sorted(slots) == [0] * 4 + [1] * 4, (burst, slots, closed)
            for connection in connections:
                connection.close()
            time.sleep(0.2)  # (the closes counted before the next burst)


@pytest.mark.slow
def test_a_killed_serving_process_is_replaced_and_its_counts_stay(root: Path) -> None:
    with sdkg_server(root, "--processes", "2", "--result-cache", "0") as (base, server):
        for _ in range(20):
            assert httpx.get(base + "/sparql", params={"query": SMALL}, headers=JSON).status_code == 200
        before = query_count(httpx.get(base + "/metrics").text)
        victim = children(server.pid)[0]
        its_workers = process_tree(victim)[1:]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            serving = children(server.pid)
            if len(serving) == 2 and victim not in serving:
                break
            assert time.monotonic() < deadline, "the killed serving process was not replaced"
            time.sleep(0.2)
        assert slots_seen(base) == {0, 1}
        for _ in range(20):
            assert httpx.get(base + "/sparql", params={"query": SMALL}, headers=JSON).status_code == 200
        assert query_count(httpx.get(base + "/metrics").text) == before + 20
        deadline = time.monotonic() + 20
        while any(running(pid) for pid in its_workers):  # the killed process's workers follow it
            assert time.monotonic() < deadline, [pid for pid in its_workers if running(pid)]
            time.sleep(0.2)


@pytest.mark.slow
def test_sigterm_stops_every_process_and_sigkill_leaves_none_serving(root: Path) -> None:
    for how in (signal.SIGTERM, signal.SIGKILL):
        with sdkg_server(root, "--processes", "2") as (base, server):
            assert slots_seen(base) == {0, 1}
            tree = process_tree(server.pid)[1:]
            assert len(tree) >= 4, tree  # two serving processes and their workers
            server.send_signal(how)
            status = server.wait(timeout=30)
            if how == signal.SIGTERM:
                assert status == 0
            deadline = time.monotonic() + 20
            while any(running(pid) for pid in tree):
                assert time.monotonic() < deadline, f"left after {how.name}: {[p for p in tree if running(p)]}"
                time.sleep(0.2)
            with pytest.raises(httpx.TransportError):
                httpx.get(base + "/health", timeout=2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--processes", "0"], "--processes: at least 1"),
        (["--processes", "2", "--admin-token", "secret"], "1 with an admin token"),
        (["--frozen-after", "0"], "--frozen-after: a number of seconds, at least 1"),
        (["--frozen-after", "nan"], "--frozen-after: a number of seconds, at least 1"),
    ],
)
def test_a_wrong_process_count_is_a_usage_error(root: Path, options: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sdkg.cli", "--root", str(root), "serve", "--port", str(free_port()), *options],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_process_that_keeps_dying_at_its_start_stops_the_server_with_a_clear_error(
    root: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with sdkg_server(root, "--processes", "2", log=log) as (_, server):
        killed: set[int] = set()
        deadline = time.monotonic() + 60
        while server.poll() is None:  # each replacement is killed as soon as it is seen (within 10 s of its start)
            for pid in children(server.pid):
                if pid not in killed and len(killed) < 5:  # five over two slots: one dies three times
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                    break
            assert time.monotonic() < deadline, "the supervisor went on replacing a process that keeps dying"
            time.sleep(0.05)
        assert server.returncode == 1
    text = log.read_text(errors="replace")
    assert "ended 3 times at its start (last: signal 9): stopping" in text, text[-2000:]
    assert "Traceback" not in text


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_port_in_use_is_a_clear_error(root: Path, processes: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "sdkg.cli", "--root", str(root), "serve", "--port", str(port)]
            + ["--processes", processes],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 3, done.stderr  # uvicorn's start-up failure, with one process or several
    assert "address already in use" in done.stderr.lower() and "Traceback" not in done.stderr, done.stderr


@pytest.mark.slow
def test_a_frozen_serving_process_is_replaced_and_the_other_serves_meanwhile(root: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with sdkg_server(root, "--processes", "2", "--frozen-after", "3", log=log) as (base, server):
        frozen = children(server.pid)[0]
        os.kill(frozen, signal.SIGSTOP)  # its event loop stops turning, as under a request that never yields
        try:
            deadline = time.monotonic() + 30
            while frozen in children(server.pid) or len(children(server.pid)) < 2:
                assert time.monotonic() < deadline, "the frozen serving process was not replaced"
                time.sleep(0.2)
        finally:
            if running(frozen):
                os.kill(frozen, signal.SIGCONT)
        assert slots_seen(base) == {0, 1}
        answer = httpx.get(base + "/sparql", params={"query": SMALL}, headers=JSON, timeout=10)
        assert answer.status_code == 200
    assert "its event loop has not turned for" in log.read_text(errors="replace")
