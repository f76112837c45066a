"""A harness for testing pages in a real headless Chromium against a real ``sdkg serve``: reusable by any
browser test (import the helpers, or the fixtures through ``pytest_plugins``-free imports as below).

- :func:`serving` starts ``sdkg serve`` on a free port over a project (its log in a file, so that a
  server that logs every query never blocks on a full pipe) and yields the base URL;
- :func:`chromium` launches Debian's Chromium through Playwright (skipped with a message when either is
  missing, a failure under ``CI``);
- :class:`Tab` is a page that records script errors, console errors, failed requests and any request to
  another host, for a test to assert that there were none;
- :func:`axe_violations` runs axe-core (vendored from npm under ``tests/vendor/axe-core``) on the page and
  returns the violations of the given impacts;
- :func:`screenshot` writes a named PNG under the session's screenshot directory (``$SDKG_SCREENSHOTS``,
  else ``<pytest basetemp>/screenshots``) for a person to look at;
- :func:`internal_links` and :func:`broken_links` crawl the links a page offers on its own site.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.endpoint_support import sdkg_server

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (1400, 390)
"""A wide screen and a phone."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing(message: str) -> None:
    """Skip locally; under CI a missing browser is a failure, never a skip."""
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


@contextmanager
def serving(root: Path, log: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``sdkg serve`` over the project at ``root`` (its own ``var/``, whatever ``SDKG_STATE`` says) on a free
    port, with ``env`` added to the environment and its log in ``log``; yields the base URL once healthy."""
    env = {**{k: v for k, v in os.environ.items() if k != "SDKG_STATE"}, **(env or {})}
    with sdkg_server(root, *options, env=env, log=log) as (base, _):
        deadline = time.monotonic() + 60
        while httpx.get(base + "/health", timeout=2).status_code != 200:
            if time.monotonic() > deadline:
                pytest.fail(f"server not healthy within 60 s: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield base


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``)."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the Python package `playwright` is not installed (pip install -e '.[test]')")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """A page in a fresh context of ``width`` pixels that records what went wrong while it was used."""

    def __init__(self, browser: Any, base: str, width: int, height: int = 900):
        self.base = base
        self.width = width
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        self.foreign: list[str] = []
        self.failed: list[str] = []
        host = urlsplit(base).netloc
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console", lambda message: self.console_errors.append(message.text) if message.type == "error" else None
        )

        def check_request(request: Any) -> None:
            parts = urlsplit(request.url)
            if parts.scheme in ("http", "https") and parts.netloc != host:
                self.foreign.append(request.url)

        def check_response(response: Any) -> None:
            if response.status >= 400:
                self.failed.append(f"{response.status} {response.url}")

        self.page.on("request", check_request)
        self.page.on("response", check_response)

    def goto(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def problems(self, expected_failures: Iterable[str] = ()) -> list[str]:
        """Everything that went wrong, less the failed responses a test provoked on purpose (by URL part)."""
        allowed = list(expected_failures)
        failed = [f for f in self.failed if not any(part in f for part in allowed)]
        console = [c for c in self.console_errors if not (allowed and "status of 4" in c)]
        return [*self.errors, *console, *(f"foreign request {u}" for u in self.foreign), *failed]

    def overflow(self) -> int:
        """How many pixels the page is wider than the window (0: nothing scrolls sideways)."""
        return int(self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))

    def close(self) -> None:
        self.context.close()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts on the page as it is now, each as 'rule: target (impact)'."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))  # by the DevTools protocol: the page's CSP stays on
    result = page.evaluate(
        "async () => { const r = await axe.run(document, { resultTypes: ['violations'] });"
        " return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')) })); }"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in result if v["impact"] in impacts
    ]


def screenshot_dir(request: pytest.FixtureRequest) -> Path:
    configured = os.environ.get("SDKG_SCREENSHOTS")
    directory = Path(configured) if configured else request.config._tmp_path_factory.getbasetemp() / "screenshots"  # type: ignore[attr-defined]
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def screenshot(page: Any, directory: Path, name: str, full_page: bool = True) -> Path:
    """A named PNG of the page; returns its path (the test output lists it)."""
    target = directory / f"{name}.png"
    page.screenshot(path=str(target), full_page=full_page)
    return target


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "script": "src", "img": "src"}
        if tag in wanted:
            value = dict(attrs).get(wanted[tag])
            if value:
                self.links.append(value)


def internal_links(base: str, path: str, html: str) -> set[str]:
    """The same-site paths a page links to (fragments dropped; other hosts left out)."""
    parser = _Links()
    parser.feed(html)
    found = set()
    for link in parser.links:
        absolute = urljoin(base + path, link)
        parts = urlsplit(absolute)
        if parts.netloc != urlsplit(base).netloc or parts.scheme not in ("http", "https"):
            continue
        found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def broken_links(base: str, pages: Iterable[str], timeout: float = 30.0) -> tuple[int, list[str]]:
    """Fetch each page, then every same-site link on it (once each); the number checked and those not 200."""
    checked: set[str] = set()
    broken: list[str] = []
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # as a browser asks
    with httpx.Client(base_url=base, headers={"Accept": browser_accept}, timeout=timeout) as client:
        targets: set[str] = set()
        for page in pages:
            response = client.get(page)
            checked.add(page)
            if response.status_code != 200:
                broken.append(f"{response.status_code} {page}")
                continue
            targets |= internal_links(base, page, response.text)
        for target in sorted(targets - checked):
            response = client.get(target)
            checked.add(target)
            if response.status_code != 200:
                broken.append(f"{response.status_code} {target}")
    return len(checked), broken
