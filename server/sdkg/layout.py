"""Where a project keeps each kind of file: :class:`ProjectLayout`, the one place that knows.

A project directory holds ``ontology/`` (OWL in Turtle, with ``rules/`` for derived
relations), ``data/`` (RDF files and SSSOM mapping tables), ``shapes/`` (SHACL) and
``queries/`` (the SPARQL catalog); its builds go under the state directory (``var/``, or
``$SDKG_STATE``). Every module that needs one of these paths asks a layout, so moving a
folder, or adding a kind of file, is a change here and in :func:`sdkg.project.discover`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_VARIABLE = "SDKG_STATE"


@dataclass(frozen=True)
class ProjectLayout:
    root: Path
    ontology: Path
    rules: Path
    """SPARQL CONSTRUCT rules for the derived relations (the inferred graph)."""
    data: Path
    shapes: Path
    queries: Path
    state: Path
    """Where builds live; ``$SDKG_STATE`` overrides ``<root>/var``."""

    @classmethod
    def at(cls, root: Path) -> ProjectLayout:
        """The layout of the project at ``root`` (the state directory read from the environment now)."""
        ontology = root / "ontology"
        state = Path(os.environ.get(STATE_VARIABLE) or root / "var")
        return cls(root, ontology, ontology / "rules", root / "data", root / "shapes", root / "queries", state)

    @property
    def builds(self) -> Path:
        """One directory per build, each with its store and its record (:mod:`sdkg.builds`)."""
        return self.state / "builds"

    @property
    def current(self) -> Path:
        """The link to the published build, moved atomically by each publication."""
        return self.state / "current"

    def is_project(self) -> bool:
        return self.ontology.is_dir() or self.data.is_dir()

    def current_build(self) -> Path | None:
        """The published build's directory, or ``None`` before the first build."""
        return self.current.resolve() if self.current.exists() else None
