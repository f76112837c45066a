"""The one publish step, shared by the build and by admin changes: a new build directory, sealed, then published.

Each build goes into a fresh directory under the layout's ``builds/``, marked as under way by
the building process (``building.pid``); :func:`seal` makes its store final and writes its
:class:`~sdkg.builds.BuildInfo`; only then does :func:`publish` move the ``current`` link to
it, in one atomic rename, and prune old builds. A failed build is :func:`discard`-ed and
never touches the store being served. Pruning keeps the newest complete builds, never the
published one nor one a running server has pinned (:func:`pin`: ``<state>/pins/<pid>``),
and removes the partial builds whose building process is gone (a killed build), which never
count among those kept.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from ..builds import BUILD_INFO, STORE, BuildInfo
from ..layout import ProjectLayout
from ..progress import SILENT, Progress

LOAD_BATCH = 200_000
KEEP = 3
"""Builds kept after a publication (the published one is never removed)."""


BUILDING = "building.pid"
PINS = "pins"


class StateNotWritable(OSError):
    """The state directory (``var/``) cannot be written: no build can be made there."""


def new_build_dir(builds: Path) -> Path:
    """A fresh, private directory for one build under ``builds``, marked as under way by this process.

    Names sort in the order builds began (:func:`prune` keeps the newest by name): the time to the
    microsecond, zero-padded, then the process id to keep two processes' names apart."""
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000))
    path = builds / f"{stamp}.{now // 1_000 % 1_000_000:06d}-{os.getpid()}"
    try:
        builds.mkdir(parents=True, exist_ok=True)
        path.mkdir()
        (path / BUILDING).write_text(str(os.getpid()), encoding="ascii")
    except OSError as error:
        raise StateNotWritable(f"cannot write a build under {builds}: {error.strerror or error}") from None
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
    (build_dir / BUILDING).unlink(missing_ok=True)
    return info


def publish(layout: ProjectLayout, build_dir: Path, keep: int = KEEP) -> None:
    """Point ``current`` at ``build_dir`` atomically, then prune old builds not in use."""
    link = layout.current
    temporary = link.with_name(f".{link.name}.{os.getpid()}")
    try:
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        temporary.symlink_to(build_dir.resolve(), target_is_directory=True)
        os.replace(temporary, link)
    except OSError as error:
        raise StateNotWritable(f"cannot publish the build in {layout.state}: {error.strerror or error}") from None
    prune(layout, keep)


def discard(build_dir: Path) -> None:
    shutil.rmtree(build_dir, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def pin(layout: ProjectLayout, build_dir: Path) -> Path:
    """Mark ``build_dir`` as served by this process: :func:`prune` leaves it while the process lives."""
    pins = layout.state / PINS
    pins.mkdir(parents=True, exist_ok=True)
    mark = pins / str(os.getpid())
    temporary = mark.with_suffix(".new")
    temporary.write_text(f"{os.getpid()} {build_dir.resolve().name}\n", encoding="utf-8")
    os.replace(temporary, mark)
    return mark


def unpin(layout: ProjectLayout) -> None:
    (layout.state / PINS / str(os.getpid())).unlink(missing_ok=True)


def pinned(layout: ProjectLayout) -> set[str]:
    """The builds that running servers serve (pins of processes that are gone are removed)."""
    names: set[str] = set()
    pins = layout.state / PINS
    if not pins.is_dir():
        return names
    for mark in pins.iterdir():
        try:
            pid, name = mark.read_text(encoding="utf-8").split()
        except (OSError, ValueError):
            continue
        if pid.isdigit() and alive(int(pid)):
            names.add(name)
        elif not mark.name.endswith(".new"):
            mark.unlink(missing_ok=True)
    return names


def complete(build_dir: Path) -> bool:
    return (build_dir / BUILD_INFO).is_file() and not (build_dir / BUILDING).exists()


def prune(layout: ProjectLayout, keep: int) -> None:
    """Keep the newest ``keep`` complete builds and every build in use (published, pinned, under way);
    remove the rest, and partial builds whose building process is gone."""
    current = layout.current_build()
    in_use = pinned(layout)
    builds = sorted((p for p in layout.builds.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    kept = 0
    for build_dir in builds:
        if not complete(build_dir):
            pid = read_pid(build_dir / BUILDING)
            if pid is None or not alive(pid):
                discard(build_dir)
            continue
        kept += 1
        if kept > keep and build_dir.resolve() != current and build_dir.name not in in_use:
            discard(build_dir)
