"""Build, publish and open the on-disk pyoxigraph store.

Each build goes into a fresh directory under ``var/builds/``; only when it has
been parsed, validated and loaded completely does the ``var/current`` link move to
it, in one atomic rename. A failed build therefore never touches the store that is
being served.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from .progress import SILENT, Progress

BUILDS = "builds"
CURRENT = "current"
LOAD_BATCH = 200_000


def state_dir(root: Path) -> Path:
    """Where builds live; ``$SDKG_STATE`` overrides ``<root>/var``."""
    return Path(os.environ.get("SDKG_STATE") or root / "var")


def current_store_path(root: Path) -> Path | None:
    """The published store's directory, or ``None`` before the first build."""
    link = state_dir(root) / CURRENT
    return link.resolve() if link.exists() else None


def new_build_dir(root: Path) -> Path:
    builds = state_dir(root) / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = builds / f"{stamp}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"
    path.mkdir()
    return path


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


def publish(root: Path, build: Path, keep: int = 3) -> None:
    """Point ``var/current`` at ``build`` atomically, then prune old builds not in use."""
    link = state_dir(root) / CURRENT
    temporary = link.with_name(f".{CURRENT}.{os.getpid()}")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(build.resolve(), target_is_directory=True)
    os.replace(temporary, link)
    prune(root, keep)


def discard(build: Path) -> None:
    shutil.rmtree(build, ignore_errors=True)


def prune(root: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` builds; never the published one."""
    current = current_store_path(root)
    builds = sorted((state_dir(root) / BUILDS).iterdir(), key=lambda p: p.name, reverse=True)
    for old in builds[keep:]:
        if old.resolve() != current:
            discard(old)


def open_read_only(path: Path) -> ox.Store:
    return ox.Store.read_only(str(path))
