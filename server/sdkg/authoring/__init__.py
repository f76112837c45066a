"""Authoring: add a text to SDKG by writing its claims as quotes, in one YAML file per text.

A scholar writes ``data/<folder>/<folder>.sdkg.yaml``: the source, its claims (each with the
exact words it rests on, a label, a paraphrase, who holds and reports it, with what stance),
the links between claims, and any new actors, cases or concepts, all referred to by label or
short name. No offsets, no IRIs, no prefixes. The build compiles each file at parse time,
into its own named graph like any data file (:func:`compile_project`), so the file is the one
source of truth; ``sdkg anchor FILE`` checks it and can show the compiled Turtle.

The package is one pipeline, each module one step: :mod:`.yamltree` (YAML with lines),
:mod:`.format` (the field names), :mod:`.vocabulary` (what the ontology allows),
:mod:`.names` (labels to IRIs), :mod:`.anchoring` (quotes to offsets), :mod:`.compile`
(quads), and beside it :mod:`.convert` (Turtle back to an authoring file), :mod:`.annotations`
(Hypothesis and W3C Web Annotation import), :mod:`.sources` (``sdkg new-source``) and
:mod:`.sssom` (rows for new entities).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from ..passages import find_source_text
from .compile import Compiled, Context, compile_files
from .errors import AuthoringError
from .format import AUTHORING_SUFFIX
from .names import Names
from .vocabulary import load_vocabulary

__all__ = [
    "AUTHORING_SUFFIX",
    "AuthoringError",
    "Compiled",
    "compile_project",
    "make_context",
    "project_root_of",
]


def project_root_of(path: Path) -> Path:
    """The project directory of a file under its ``data/`` folder (where ``../shared/seeds`` is looked for)."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if parent.name == "data":
            return parent.parent
    return resolved.parent


def text_finder(root: Path, overrides: dict[str, Path] | None = None) -> Callable[[str], Path | None]:
    """Find a source text by file name: ``--text`` paths first, then ``$SDKG_SOURCES``, then ``../shared/seeds``."""

    def find(name: str) -> Path | None:
        if overrides and name in overrides:
            return overrides[name]
        return find_source_text(root, name)

    return find


def make_context(store: ox.Store, graph_files: dict[str, Path], find_text: Callable[[str], Path | None]) -> Context:
    """What authoring files compile against: ``store`` holds the ontology and the other data files."""
    vocabulary = load_vocabulary(store)
    return Context(store, vocabulary, Names(store, vocabulary, graph_files), find_text)


def compile_project(
    store: ox.Store,
    files: list[tuple[Path, str]],
    graph_files: dict[str, Path],
    overrides: dict[str, Path] | None = None,
    only: Path | None = None,
) -> list[Compiled]:
    """Compile the ``(path, graph)`` authoring files of one project against ``store`` (nothing is added to it).

    Raises :class:`AuthoringError` (a :class:`~sdkg.project.ProjectError`) naming the file,
    the line and every problem.
    """
    if not files:
        return []
    root = project_root_of(files[0][0])
    shown_files = {graph: display(path, root) for graph, path in graph_files.items()}
    context = make_context(store, shown_files, text_finder(root, overrides))
    shown = [(path, graph, display(path, root)) for path, graph in files]
    return compile_files(shown, context, only)


def display(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path
