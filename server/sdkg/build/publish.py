"""The one publish step, shared by the build and by admin changes: a new build directory, sealed, then published.

Each build goes into a fresh directory under the layout's ``builds/``; :func:`seal` makes
its store final and writes its :class:`~sdkg.builds.BuildInfo`; only then does
:func:`publish` move the ``current`` link to it, in one atomic rename, and prune old
builds. A failed build is :func:`discard`-ed and never touches the store being served.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from ..builds import STORE, BuildInfo
from ..layout import ProjectLayout
from ..progress import SILENT, Progress

LOAD_BATCH = 200_000
KEEP = 3
"""Builds kept after a publication (the published one is never removed)."""


def new_build_dir(builds: Path) -> Path:
    """A fresh, private directory for one build under ``builds``."""
    builds.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = builds / f"{stamp}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    path.mkdir()
    return path


@contextmanager
def building(builds: Path) -> Iterator[Path]:
    """A new build directory that is discarded if the work inside fails (or is interrupted)."""
    build_dir = new_build_dir(builds)
    try:
        yield build_dir
    except BaseException:
        discard(build_dir)
        raise


def store_of(build_dir: Path) -> ox.Store:
    """The new build's on-disk store (writable: the directory is private until published)."""
    return ox.Store(str(build_dir / STORE))


def write_store(path: Path, quads: Sequence[ox.Quad], progress: Progress = SILENT) -> ox.Store:
    """Bulk-load quads into a new on-disk store, in batches so a large corpus shows progress.

    The build directory is private until published, so batches need not be one transaction.
    """
    store = ox.Store(str(path))
    for start in range(0, len(quads), LOAD_BATCH):
        store.bulk_extend(quads[start : start + LOAD_BATCH])
        progress.count("loading triples", min(start + LOAD_BATCH, len(quads)), len(quads))
    store.flush()
    store.optimize()
    return store


def seal(
    build_dir: Path,
    store: ox.Store,
    *,
    inferred: int,
    validated: bool,
    graphs: Sequence[str],
    files: Sequence[str] = (),
    changed_from: str | None = None,
) -> BuildInfo:
    """Flush and compact the store, count it and write its record: the build is complete (not yet published)."""
    store.flush()
    store.optimize()
    info = BuildInfo(
        version=build_dir.name,
        built=BuildInfo.now(),
        triples=len(store),
        inferred=inferred,
        validated=validated,
        files=tuple(files),
        graphs=tuple(graphs),
        changed_from=changed_from,
    )
    info.write(build_dir)
    return info


def publish(layout: ProjectLayout, build_dir: Path, keep: int = KEEP) -> None:
    """Point ``current`` at ``build_dir`` atomically, then prune old builds not in use."""
    link = layout.current
    temporary = link.with_name(f".{link.name}.{os.getpid()}")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(build_dir.resolve(), target_is_directory=True)
    os.replace(temporary, link)
    prune(layout, keep)


def discard(build_dir: Path) -> None:
    shutil.rmtree(build_dir, ignore_errors=True)


def prune(layout: ProjectLayout, keep: int) -> None:
    """Remove all but the newest ``keep`` builds; never the published one."""
    current = layout.current_build()
    builds = sorted(layout.builds.iterdir(), key=lambda p: p.name, reverse=True)
    for old in builds[keep:]:
        if old.resolve() != current:
            discard(old)
