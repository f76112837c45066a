"""Shared fixtures: the repository, a copy of it to break, a built store, the app."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdkg.build import BuildResult, build
from sdkg.layout import ProjectLayout
from sdkg.passages import source_directories

REPO = Path(__file__).resolve().parent.parent
SEEDS_FILES = ("003_c690b089232222d4.txt", "000_6a7cb3ae511276d2.txt")


def seeds_dir() -> Path | None:
    for directory in source_directories(REPO):
        if all((directory / name).is_file() for name in SEEDS_FILES):
            return directory
    return None


@pytest.fixture(scope="session", autouse=True)
def sources_env() -> Iterator[None]:
    """Point copies of the project at the real source texts."""
    directory = seeds_dir()
    old = os.environ.get("SDKG_SOURCES")
    if directory is not None:
        os.environ["SDKG_SOURCES"] = str(directory)
    yield
    if old is None:
        os.environ.pop("SDKG_SOURCES", None)
    else:
        os.environ["SDKG_SOURCES"] = old


@pytest.fixture
def require_sources() -> Path:
    """The seed texts; missing is a skip locally and a failure under CI."""
    directory = seeds_dir()
    if directory is None:
        message = "source texts not found: set SDKG_SOURCES or put them in ../shared/seeds/"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return directory


def copy_project(destination: Path) -> Path:
    for name in ("ontology", "data", "shapes", "queries"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, destination / name)
    return destination


@pytest.fixture
def project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the project, with its own var/ state."""
    monkeypatch.delenv("SDKG_STATE", raising=False)
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The repository's own data, built once into a private state directory."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    return build(ProjectLayout.at(root))


@pytest.fixture(scope="session")
def built_root(built: BuildResult) -> Path:
    """The project directory of the session build (its store is published)."""
    return built.path.parent.parent.parent


@pytest.fixture(scope="session")
def store_path(built: BuildResult) -> Path:
    return built.path / "store"
