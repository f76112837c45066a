"""docs/adding-a-text.md, run: its worked example, command by command, from an empty folder to a served graph.

The test reads the guide's "Worked example" section and does what it says, in order: each
``sh`` block's commands are run (``sdkg`` as a real process in a copy of the repository,
``sdkg serve`` on a free port, ``curl`` as an HTTP request to that server); each ``text`` block
must appear in the output of the command before it; the YAML blocks are checked against what
``sdkg new-source`` wrote, or written as the authoring file; the error example is produced by
making the mistake it describes. So the guide cannot drift from what the commands do.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, copy_project
from tests.endpoint_support import free_port

from .authoring_support import TEXTS

GUIDE = REPO / "docs" / "adding-a-text.md"
AUTHORING = "data/harbour-lights/harbour-lights.sdkg.yaml"


@dataclass
class Block:
    language: str
    body: str
    marker: str


def worked_example() -> list[Block]:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## Worked example", 1)[1].split("\n## ", 1)[0]
    pattern = re.compile(r"(?:<!-- (?P<marker>.*?) -->\n)?```(?P<language>\w+)\n(?P<body>.*?)```", re.DOTALL)
    return [Block(m["language"], m["body"], m["marker"] or "") for m in pattern.finditer(section)]


def commands(body: str) -> Iterator[list[str]]:
    """The commands of a shell block: one per line, or several lines while a quote is open."""
    pending = ""
    for line in body.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:
            continue
        pending = ""
        if words:
            yield words


def curl(words: list[str], base: str) -> str:
    """The guide's ``curl -G URL -H ... --data-urlencode ...``, sent with httpx to the test's server."""
    url, headers, params = "", {}, {}
    items = iter(words[1:])
    for word in items:
        if word == "-G":
            continue
        if word == "-H":
            name, _, value = next(items).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "--data-urlencode":
            name, _, value = next(items).partition("=")
            params[name] = value
        else:
            url = word
    url = re.sub(r"^http://127\.0\.0\.1:\d+", base, url)
    response = httpx.get(url, params=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.text.replace("\r\n", "\n")


@pytest.mark.slow
def test_the_worked_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, require_sources: Path
) -> None:
    root = copy_project(tmp_path / "project")
    assert not (root / "data" / "harbour-lights").exists()
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    server: subprocess.Popen[bytes] | None = None
    base = ""
    output = ""
    ran: list[str] = []
    try:
        for block in worked_example():
            if block.language == "sh":
                for words in commands(block.body):
                    ran.append(words[0] if words[0] != "sdkg" else f"sdkg {words[1]}")
                    if words[0] == "export":
                        name, _, _value = words[1].partition("=")
                        env[name] = os.pathsep.join([str(TEXTS), str(require_sources)])
                    elif words[:2] == ["sdkg", "serve"]:
                        server, base = serve(root, env)
                    elif words[0] == "curl":
                        output = curl(words, base)
                    else:
                        assert words[0] == "sdkg", words
                        output = sdkg(root, env, words[1:])
            elif block.marker == "new-source writes":
                written = (root / AUTHORING).read_text(encoding="utf-8")
                assert written.startswith(block.body), "the guide shows what `sdkg new-source` writes"
            elif block.marker == "the authoring file":
                (root / AUTHORING).write_text(block.body, encoding="utf-8")
            elif block.marker.startswith("anchor error:"):
                check_error_example(root, env, block)
            elif block.language == "text":
                for line in block.body.splitlines():
                    assert line in output, f"{line!r} is not in the output:\n{output}"
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
    assert ran == [
        "export",
        "sdkg new-source",
        "sdkg anchor",
        "sdkg validate",
        "sdkg build",
        "sdkg serve",
        "curl",
        "sdkg stats",
    ]


def sdkg(root: Path, env: dict[str, str], args: list[str], expect: int = 0) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sdkg.cli", *args], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == expect, f"sdkg {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def serve(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``sdkg serve`` as the guide runs it, on a free port; returns once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sdkg.cli", "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/health", timeout=2)
            return process, base
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(process.stderr.read().decode() if process.stderr else "no server") from None
            time.sleep(0.2)


def check_error_example(root: Path, env: dict[str, str], block: Block) -> None:
    """Make the mistake the guide describes; `sdkg anchor` must say what the guide shows, and write nothing."""
    old, new = (part.strip() for part in block.marker.removeprefix("anchor error:").split("=>"))
    path = root / AUTHORING
    good = path.read_text(encoding="utf-8")
    assert good.count(old) == 1, old
    table = root / "data" / "mappings" / "harbour-lights.sssom.tsv"
    rows_before = table.read_text(encoding="utf-8")
    path.write_text(good.replace(old, new), encoding="utf-8")
    try:
        output = sdkg(root, env, ["anchor", AUTHORING], expect=1)
        assert table.read_text(encoding="utf-8") == rows_before, "a refused anchor writes nothing"
        for line in block.body.splitlines():
            assert line in output, f"{line!r} is not in the output:\n{output}"
    finally:
        path.write_text(good, encoding="utf-8")
