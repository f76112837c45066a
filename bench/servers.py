"""Start and stop the three servers under test, all on 127.0.0.1, and read their CPU and memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
CLOCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tool(name: str) -> str:
    path = BIN / name
    if not path.is_file():
        raise SystemExit(f"{name} is not installed in {BIN}: pip install -e '.[bench]'")
    return str(path)


@dataclass
class Server:
    name: str
    url: str  # the SPARQL query endpoint
    process: subprocess.Popen[bytes]
    started_s: float = 0.0
    log: Path | None = None
    notes: dict[str, object] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def cpu_seconds(self) -> float:
        return tree_cpu(self.process.pid)

    def peak_rss_mb(self) -> float:
        return sum(peak_rss_kb(pid) for pid in process_tree(self.process.pid)) / 1024


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (from /proc)."""
    found, todo = [], [pid]
    for _ in range(10_000):
        if not todo:
            break
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def tree_cpu(pid: int) -> float:
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_ready(server: Server, probe: str, limit: float) -> Server:
    """Poll ``probe`` until it answers 200; bounded by ``limit`` seconds."""
    started = time.monotonic()
    deadline = started + limit
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {server.log}")
        try:
            if httpx.get(probe, timeout=5).status_code == 200:
                server.started_s = time.monotonic() - started
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} was not ready within {limit:g} s; see {server.log}")


def spawn(
    name: str, command: list[str], logs: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    return process, log


def start_sdkg(
    root: Path,
    logs: Path,
    timeout: float,
    options: list[str] | None = None,
    sdkg: str | None = None,
    name: str = "sdkg",
) -> Server:
    """``sdkg serve`` on the published build of ``root``: by default no row cap and the same time limit as the
    others; ``options`` replace those (``[]``: the server's defaults, every guard on). ``sdkg`` is another
    installation's command (the code before a change, with its own dependencies)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    command = [sdkg or tool("sdkg"), "--root", str(root), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--max-rows", "0", "--timeout", str(timeout)] if options is None else options
    process, log = spawn(name.replace(" ", "-").replace(",", ""), command, logs, env)
    server = Server(name, f"http://127.0.0.1:{port}/sparql", process, log=log)
    wait_ready(server, f"http://127.0.0.1:{port}/health", 120)
    return wait_settled(server, f"http://127.0.0.1:{port}/health", 300)


def wait_settled(server: Server, health: str, limit: float) -> Server:
    """Wait until the server says it is settled (``/health``'s ``workers``): every worker that is to answer from a
    copy of the store does, and the server holds its own copy for inline answers. The server answers at once from
    the disk, and copies the store into its workers one at a time meanwhile, then into itself; a measurement that
    starts before would be of a mix. With several serving processes, each of them must say so."""
    started = time.monotonic()
    settled: set[int] = set()
    while time.monotonic() - started < limit:
        if every_process_settled(httpx.get(health, timeout=30).json(), settled):
            server.started_s += time.monotonic() - started
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name}: its workers did not all copy the store within {limit:g} s; see {server.log}")


def every_process_settled(health: dict[str, Any], settled: set[int]) -> bool:
    """Note in ``settled`` the serving process that answered ``/health`` when it says it is settled; whether every
    one of them has now (a server without ``process`` or ``workers`` in its health is one, settled)."""
    process = health.get("process") or {"slot": 0, "of": 1}
    if (health.get("workers") or {}).get("settled", True):
        settled.add(process["slot"])
    return len(settled) >= process["of"]


def start_naive(where: Path, logs: Path, memory: bool) -> Server:
    """The naive reference app (:mod:`bench.naive`): ``where`` is an N-Quads file (in memory) or a store directory."""
    port = free_port()
    command = [sys.executable, "-m", "bench.naive", "--port", str(port)]
    command += ["--memory", str(where)] if memory else ["--location", str(where)]
    name = "naive-memory" if memory else "naive-disk"
    process, log = spawn(name, command, logs, {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    server = Server(name, f"http://127.0.0.1:{port}/sparql", process, log=log)
    return wait_ready(server, f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", 300)


def start_oxigraph(location: Path, logs: Path, timeout: float | None) -> Server:
    """``oxigraph serve``; ``timeout=None`` runs it without ``--timeout-s``, which starts a thread per query that
    sleeps until the time limit: at thousands of light queries per second those threads exhaust the memory maps
    and the server panics ("failed to set up alternative stack guard page")."""
    port = free_port()
    command = [tool("oxigraph"), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    command += ["--union-default-graph"] + ([] if timeout is None else ["--timeout-s", str(int(timeout))])
    process, log = spawn("oxigraph", command, logs)
    server = Server("oxigraph", f"http://127.0.0.1:{port}/query", process, log=log)
    return wait_ready(server, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", 120)


def start_oxigraph_memory(nquads: Path, logs: Path) -> Server:
    """``oxigraph serve`` with no ``--location`` (its store in memory), the N-Quads file posted to its Graph Store
    endpoint before it is measured: Oxigraph's own server over the in-memory engine our workers copy into."""
    port = free_port()
    command = [tool("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    process, log = spawn("oxigraph-memory", command, logs)
    server = Server("oxigraph-memory", f"http://127.0.0.1:{port}/query", process, log=log)
    wait_ready(server, f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", 120)
    with nquads.open("rb") as data:
        answer = httpx.post(
            f"http://127.0.0.1:{port}/store",
            content=data.read(),
            headers={"Content-Type": "application/n-quads"},
            timeout=600,
        )
    if answer.status_code not in (200, 201, 204):
        server.stop()
        raise RuntimeError(f"oxigraph-memory did not take the data ({answer.status_code}); see {log}")
    return server


def start_rdflib(nquads: Path, logs: Path, limit: float) -> Server:
    """rdflib-endpoint parses the whole file into memory before it listens: that wait is bounded by ``limit``."""
    port = free_port()
    command = [tool("rdflib-endpoint"), "serve", str(nquads), "--host", "127.0.0.1", "--port", str(port)]
    process, log = spawn("rdflib-endpoint", command, logs)
    server = Server("rdflib-endpoint", f"http://127.0.0.1:{port}/", process, log=log)
    return wait_ready(server, f"http://127.0.0.1:{port}/?query=ASK%7B%7D", limit)


def rdf_files(root: Path) -> list[Path]:
    """The Turtle files of a synthetic project, as ``oxigraph load`` gets them."""
    return sorted((root / "ontology").glob("*.ttl")) + sorted((root / "data").rglob("*.ttl"))


def oxigraph_load(location: Path, files: list[Path], logs: Path) -> dict[str, float]:
    """``oxigraph load`` into a fresh directory: wall time and peak memory (from wait4)."""
    command = [tool("oxigraph"), "load", "--location", str(location), "--file", *map(str, files)]
    started = time.monotonic()
    process, log = spawn("oxigraph-load", command, logs)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"oxigraph load failed; see {log}")
    return {"seconds": time.monotonic() - started, "peak_mb": usage.ru_maxrss / 1024, "size_mb": size_mb(location)}


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
