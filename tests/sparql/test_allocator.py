"""The query workers, ``sdkg serve`` (each of its serving processes) and ``sdkg build`` run with jemalloc when
the machine has it (:mod:`sdkg.sparql.allocator`), and with glibc's allocator when asked to
(``SDKG_ALLOCATOR=system``)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sdkg.sparql import allocator
from sdkg.sparql.job import JSON_RESULTS, EngineConfig, Limits, QueryJob
from sdkg.sparql.workers import WorkerEngine
from tests.endpoint_support import children, people, published_project, sdkg_server


def jemalloc() -> str:
    """The machine's jemalloc (``scripts/install-jemalloc.sh`` installs it; CI must have it)."""
    path = allocator.library({})
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("libjemalloc2 is not installed: scripts/install-jemalloc.sh should have installed it")
        pytest.skip("libjemalloc2 is not installed (sh scripts/install-jemalloc.sh, as root)")
    return path


def test_the_library_goes_first_in_ld_preload_once(tmp_path: Path) -> None:
    library = tmp_path / "libjemalloc.so.2"
    library.write_bytes(b"")
    other = "/opt/other/libtrace.so"
    environ = {allocator.VARIABLE: str(library), "LD_PRELOAD": f"{other}:{library}"}
    assert allocator.environment(environ)["LD_PRELOAD"] == f"{library}:{other}"
    assert environ["LD_PRELOAD"] == f"{other}:{library}"  # a copy: the caller's environment is left as it was


@pytest.mark.parametrize("wanted", [allocator.SYSTEM, "/nowhere/libjemalloc.so.2"])
def test_asked_for_the_system_allocator_or_a_missing_library_nothing_is_preloaded(wanted: str) -> None:
    environ = {allocator.VARIABLE: wanted, "PATH": "/usr/bin"}
    assert allocator.library(environ) is None
    assert allocator.environment(environ) == environ


def worker_pids(engine: WorkerEngine) -> list[int]:
    return [worker.process.pid for pool in engine.pools.values() for worker in pool.members]


@pytest.mark.parametrize("system", [False, True])
def test_query_workers_run_with_jemalloc_unless_asked_not_to(
    store_path: Path, system: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = jemalloc()
    if system:
        monkeypatch.setenv(allocator.VARIABLE, allocator.SYSTEM)
    engine = WorkerEngine(store_path, EngineConfig(Limits(timeout=10.0)), size=1)

    async def go() -> tuple[bytes, list[bool]]:
        await engine.start()
        try:
            output = await engine.run(QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?s a ?t }", JSON_RESULTS))
            return output.body, [allocator.loaded(path, pid) for pid in worker_pids(engine)]
        finally:
            await engine.stop()

    body, loaded = asyncio.run(go())
    assert b'"n"' in body and loaded == [not system]


@pytest.mark.parametrize("system", [False, True])
def test_sdkg_serve_restarts_itself_with_jemalloc_in_the_same_process(tmp_path: Path, system: bool) -> None:
    path = jemalloc()
    root = published_project(tmp_path, people())
    env = {**os.environ, allocator.VARIABLE: allocator.SYSTEM} if system else dict(os.environ)
    env.pop(allocator.RESTARTED, None)
    log = tmp_path / "serve.log"
    with sdkg_server(root, env=env, log=log) as (base, process):
        answer = httpx.get(
            base + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"}
        )
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert allocator.loaded(path, process.pid) is not system  # the same process id: it replaced itself
    said = log.read_text(encoding="utf-8")
    assert (f"queries allocate with {path}" in said) is not system
    assert ("queries allocate with glibc's malloc" in said) is system


@pytest.mark.parametrize("system", [False, True])
def test_sdkg_build_restarts_itself_with_jemalloc_and_says_so(project_copy: Path, system: bool) -> None:
    jemalloc()
    root = project_copy
    env = {k: v for k, v in os.environ.items() if k not in ("SDKG_STATE", allocator.RESTARTED)}
    if system:
        env[allocator.VARIABLE] = allocator.SYSTEM
    done = subprocess.run(
        [sys.executable, "-m", "sdkg.cli", "--root", str(root), "build"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    said = "allocated with glibc malloc" if system else "allocated with jemalloc"
    assert said in done.stderr, done.stderr[-2000:]


def test_serving_processes_run_with_jemalloc(tmp_path: Path) -> None:
    path = jemalloc()
    root = published_project(tmp_path, people())
    env = {k: v for k, v in os.environ.items() if k != allocator.RESTARTED}
    with sdkg_server(root, "--processes", "2", env=env) as (_, process):
        serving = children(process.pid)
        assert len(serving) == 2 and all(allocator.loaded(path, pid) for pid in serving)
