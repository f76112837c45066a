"""A harness for UI tests in a real headless Chromium (Debian's) against a real ``sdkg serve`` process.

Reusable by any UI test module:

- :func:`serving` starts ``sdkg serve`` over a built project on a free port and stops it;
- :func:`launch` opens a persistent headless Chromium (skips with a message when Chromium or the
  ``playwright`` driver is missing, and fails instead under CI);
- :func:`watch` makes a tab record script errors, console errors and requests to other hosts;
- :func:`axe_violations` runs axe-core (vendored in ``tests/vendor/axe-core``) on the page;
- :func:`screenshot` writes a named PNG under the screenshot directory (``$SDKG_SCREENSHOTS``, else
  the test session's temporary directory), for a person to look at;
- :func:`internal_links` and :func:`broken_links` crawl a page's links on the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
"""What Chromium sends when a link is followed."""
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def missing(message: str) -> None:
    """Skip, or fail under CI, where nothing may skip."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    missing("Chromium not found: run `sh scripts/install-chromium.sh` (Debian package `chromium`)")
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(root: Path, *options: str) -> Iterator[str]:
    """``sdkg serve`` over the project at ``root`` (already built and published); yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    log_path = root / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sdkg.cli", "--root", str(root), "serve", "--port", str(port), *options],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"server exited: {log_path.read_text(errors='replace')}")
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("server did not start within 60 s")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium context (a fresh profile, removed afterwards)."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package `playwright` is not installed (pip install -e '.[test]')")
        raise
    profile = tempfile.mkdtemp(prefix="sdkg-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS, viewport=WIDE
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def watch(tab: Any, base: str) -> Any:
    """Record on ``tab``: ``errors`` (uncaught script errors and console errors) and ``foreign`` requests."""
    tab.set_default_timeout(20_000)
    tab.errors = []
    tab.foreign = []
    host = urlsplit(base).netloc
    tab.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    tab.on(
        "console", lambda message: tab.errors.append(f"console: {message.text}") if message.type == "error" else None
    )

    def check_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.netloc != host:
            tab.foreign.append(request.url)

    tab.on("request", check_request)
    return tab


def axe_violations(tab: Any, impacts: Iterable[str] = ("serious", "critical")) -> list[str]:
    """The page's axe-core violations of the given impacts, one line each (rule, impact, where)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is not vendored at {AXE}")
    if not tab.evaluate("typeof window.axe !== 'undefined'"):
        tab.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = tab.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    wanted = set(impacts)
    found = []
    for violation in result["violations"]:
        if violation.get("impact") in wanted:
            targets = ", ".join(str(n["target"]) for n in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SDKG_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def screenshot(tab: Any, directory: Path, name: str, full_page: bool = True) -> Path:
    """A named PNG of the page (the whole page by default); returns its path."""
    path = directory / f"{name}.png"
    tab.screenshot(path=str(path), full_page=full_page)
    return path


def internal_links(tab: Any, base: str) -> set[str]:
    """Every link of the page to the server itself (fragments dropped)."""
    hrefs = tab.eval_on_selector_all("a[href]", "nodes => nodes.map(n => n.getAttribute('href'))")
    host = urlsplit(base).netloc
    found = set()
    for href in hrefs:
        url = urldefrag(urljoin(tab.url, href)).url
        if urlsplit(url).netloc == host and urlsplit(url).scheme in ("http", "https"):
            found.add(url)
    return found


def broken_links(urls: Iterable[str]) -> list[str]:
    """The links that do not answer 200 (with what they answered)."""
    broken = []
    with httpx.Client(timeout=20, follow_redirects=False) as client:
        for url in sorted(urls):
            status = client.get(url, headers={"Accept": BROWSER_ACCEPT}).status_code
            if status != 200:
                broken.append(f"{url}: {status}")
    return broken
