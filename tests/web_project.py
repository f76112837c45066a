"""A small project for the web tests: the real ontology, an invented data file with claims,
ascriptions, passages and a Wikidata link (tests/fixtures/web/data), and a query catalog
(tests/fixtures/web/queries), built and published under its own var/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sdkg.build import build
from sdkg.layout import ProjectLayout

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "web"


def make_web_project(destination: Path) -> Path:
    """Copy, build (unvalidated: the passages are invented) and publish; returns the project root."""
    root = destination / "project"
    shutil.copytree(REPO / "ontology", root / "ontology")
    shutil.copytree(FIXTURE / "data", root / "data")
    shutil.copytree(FIXTURE / "queries", root / "queries")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SDKG_STATE", raising=False)
        build(ProjectLayout.at(root), data_paths=[root / "ontology", root / "data"], publish=True)
    return root


def store_of(root: Path) -> Path:
    return (root / "var" / "current").resolve() / "store"
