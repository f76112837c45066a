"""Drive ``wrk`` (Debian's package, written in C) for one query at a time and read its numbers.

``wrk`` keeps ``clients`` keep-alive connections busy in one thread (closed loop: each
connection sends its next request when the answer arrives) and costs a few microseconds of
CPU per request, far less than any Python generator; its own CPU time is read with
``wait4`` and reported beside every figure. A small Lua ``done`` hook prints the exact
numbers as JSON (requests, duration, p50/p99, errors by kind).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from . import loadgen

ACCEPT = loadgen.ACCEPT
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,"
    .. "\\"status\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"timeout\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout))
end
"""


@dataclass
class Run:
    clients: int
    requests: int
    seconds: float
    p50: float  # seconds
    p99: float
    errors: int  # non-2xx answers and socket errors
    generator_cpu: float  # wrk's CPU seconds per wall second

    @property
    def qps(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def url_for(endpoint: str, query: str) -> str:
    return f"{endpoint}?query={quote(query, safe='')}"


def run(endpoint: str, query: str, clients: int, seconds: float, timeout: float = 10.0) -> Run:
    """``clients`` connections GET ``endpoint?query=…`` for ``seconds``; bounded by ``seconds + timeout``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(REPORT)
    try:
        command = [
            "wrk",
            "-t1",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={max(1, round(timeout))}s",
            "-H",
            f"Accept: {ACCEPT}",
            "-s",
            script.name,
            url_for(endpoint, query),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped in between
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, _ = process.communicate(timeout=seconds + timeout + 10)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        Path(script.name).unlink()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line = next((ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        return Run(clients, 0, seconds, float("nan"), float("nan"), 1, 0.0)
    data = json.loads(line.removeprefix("WRKJSON "))
    wall = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("status", "connect", "read", "write", "timeout"))
    return Run(
        clients,
        data["requests"],
        wall,
        data["p50_us"] / 1e6,
        data["p99_us"] / 1e6,
        errors,
        cpu / wall if wall else 0.0,
    )
