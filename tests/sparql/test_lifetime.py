"""Child processes die with their parent: a server or a build killed outright (SIGKILL, as the out-of-memory
killer does) leaves no query, rule or change running on without a deadline or a reader."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from sdkg.sparql.sandbox import PARENT_VARIABLE, child_environment
from tests.endpoint_support import children, make_store, people, published_project, running, sdkg_server

SLOW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SLOW_RULE = f"CONSTRUCT {{ <http://example.org/a> <http://example.org/n> ?n }} WHERE {{ {{ {SLOW_COUNT} }} }}"


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def kill_all(pids: list[int]) -> None:
    """Leave nothing behind when a test fails."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def busy_children(pid: int, seconds: float = 30) -> list[int]:
    """The children of ``pid`` once one of them has used a second of CPU (it is inside its query or rule)."""

    def cpu_seconds(child: int) -> float:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = children(pid)
        if any(cpu_seconds(child) >= 1.0 for child in found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"no child of {pid} became busy in {seconds} s")


def test_a_build_killed_outright_takes_its_rule_processes_with_it(tmp_path: Path) -> None:
    store = make_store(tmp_path, people(300))
    rule = tmp_path / "slow.rq"
    rule.write_text(SLOW_RULE, encoding="utf-8")
    build = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from sdkg.build.rules import run_in_children; "
            "run_in_children(Path(sys.argv[1]), [(Path(sys.argv[2]), Path(sys.argv[3]))], 1)",
            str(store),
            str(rule),
            str(tmp_path / "slow.nt"),
        ]
    )
    rule_processes: list[int] = []
    try:
        rule_processes = busy_children(build.pid)
        build.kill()
        build.wait(timeout=10)
        assert wait_until(lambda: not any(running(pid) for pid in rule_processes), 5), rule_processes
    finally:
        build.kill()
        build.wait(timeout=10)
        kill_all(rule_processes)


def test_a_server_killed_outright_takes_its_busy_query_workers_with_it(tmp_path: Path) -> None:
    root = published_project(tmp_path, people(300))
    with sdkg_server(root, "--timeout", "120", "--result-cache", "0") as (base, server):
        client = httpx.Client(timeout=130)
        asking = threading.Thread(target=lambda: _ask(client, base), daemon=True)
        asking.start()
        workers = children(server.pid)
        try:
            workers = busy_children(server.pid)
            server.kill()
            server.wait(timeout=10)
            assert wait_until(lambda: not any(running(pid) for pid in workers), 5), workers
        finally:
            client.close()
            kill_all(workers)


def _ask(client: httpx.Client, base: str) -> None:
    try:
        client.get(base + "/sparql", params={"query": SLOW_COUNT})
    except httpx.HTTPError:
        pass  # the server was killed under it


def test_a_child_whose_parent_is_already_gone_exits_at_once() -> None:
    """The tie is made by the child: if its parent died before that, it exits instead of running orphaned."""
    code = "from sdkg.sparql.sandbox import die_with_parent; die_with_parent(); print('ran')"
    environment = {**os.environ, PARENT_VARIABLE: "1"}  # not this child's parent
    child = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, timeout=30)
    assert child.returncode == 1 and child.stdout == b""
    untied = {k: v for k, v in os.environ.items() if k != PARENT_VARIABLE}
    child = subprocess.run([sys.executable, "-c", code], env=untied, capture_output=True, timeout=30)
    assert child.returncode == 0 and child.stdout == b"ran\n"


def test_only_children_started_from_the_main_thread_are_tied() -> None:
    """Linux kills a tied child when the thread that started it ends: a child started from another thread
    (a test client's event loop) must not be tied, or it would die with that thread."""
    assert child_environment()[PARENT_VARIABLE] == str(os.getpid())
    assert child_environment()["MALLOC_ARENA_MAX"] == "2"
    seen: list[dict[str, str]] = []
    thread = threading.Thread(target=lambda: seen.append(child_environment()))
    thread.start()
    thread.join()
    assert PARENT_VARIABLE not in seen[0]


def test_a_tied_child_is_killed_with_its_parent_but_not_before(tmp_path: Path) -> None:
    """A parent that starts a tied sleeper and is then killed: the sleeper dies too; while the parent
    lives, it lives."""
    marker = tmp_path / "pid"
    parent_code = (
        "import subprocess, sys, time; from sdkg.sparql.sandbox import child_environment; "
        "child = subprocess.Popen([sys.executable, '-c', "
        "'from sdkg.sparql.sandbox import die_with_parent; import time; die_with_parent(); time.sleep(300)'], "
        "env=child_environment()); "
        f"open({str(marker)!r}, 'w').write(str(child.pid)); time.sleep(300)"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    sleepers: list[int] = []
    try:
        assert wait_until(lambda: marker.exists() and marker.read_text().isdigit(), 30)
        sleeper = int(marker.read_text())
        sleepers.append(sleeper)
        time.sleep(1.0)
        assert running(sleeper)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert wait_until(lambda: not running(sleeper), 5)
    finally:
        parent.kill()
        parent.wait(timeout=10)
        kill_all(sleepers)
