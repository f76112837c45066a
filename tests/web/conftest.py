"""Fixtures the browser tests share: one screenshot directory and one ``sdkg serve`` over the repository's
own build for the whole session (the pages are read-only, so the tests cannot disturb each other), and a
Chromium per test module (Playwright's synchronous API holds an event loop while it runs, which later
tests calling ``asyncio.run`` must not find)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium, screenshot_dir, serving


@pytest.fixture(scope="session")
def repository_site(built_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of ``sdkg serve`` over the session build of the repository's data."""
    with serving(built_root, tmp_path_factory.mktemp("site") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def shots(request: pytest.FixtureRequest) -> Path:
    return screenshot_dir(request)
