"""Helpers for the authoring tests: a small project over texts written for the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "authoring"
TEXTS = FIXTURES / "texts"
HARBOUR = "data/harbour-lights/harbour-lights.sdkg.yaml"
RIVER = "data/river-keeper/river-keeper.sdkg.yaml"


def make_project(destination: Path, monkeypatch: pytest.MonkeyPatch, with_queries: bool = False) -> Path:
    """The repository's ontology and shapes with the fixture data (two authoring files); texts in SDKG_SOURCES."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("ontology", "shapes", *(["queries"] if with_queries else [])):
        shutil.copytree(REPO / name, destination / name)
    shutil.copytree(FIXTURES / "project" / "data", destination / "data")
    monkeypatch.setenv("SDKG_SOURCES", str(TEXTS))
    monkeypatch.setenv("SDKG_STATE", str(destination / "var"))
    return destination


def edit(root: Path, relative: str, old: str, new: str) -> int:
    """Replace ``old`` (once, it must be there) in a project file; return the 1-based line of the change."""
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {relative}"
    index = text.index(old)
    path.write_text(text[:index] + new + text[index + len(old) :], encoding="utf-8")
    return text[:index].count("\n") + 1


def line_of(root: Path, relative: str, fragment: str) -> int:
    text = (root / relative).read_text(encoding="utf-8")
    return text[: text.index(fragment)].count("\n") + 1
