"""jemalloc for the processes that evaluate queries, when the machine has it (Debian's ``libjemalloc2``).

pyoxigraph is Rust built with the system allocator, glibc's ``malloc``, and a query allocates and frees a
great many small objects: in a profile of a query worker under load, a fifth to a quarter of its CPU was in
``malloc`` and ``free``. With jemalloc preloaded, the catalog and light queries on a copy of the bench's
corpus take 27 % less time (geometric mean; ``python -m bench.stores``). Nothing in the code changes: the
library replaces ``malloc`` for the whole process when it is named in ``LD_PRELOAD`` at the process's start.

- Query workers and the processes serving HTTP (:mod:`sdkg.web.processes`) are started with it
  (:func:`environment`).
- ``sdkg serve`` starts itself again with it (:func:`restart_with_it`), since the server answers point
  lookups and cheap jobs in its own process; so does ``sdkg build``, whose processes parse, load and
  query the new store (its load phase at 21.3M triples: 23.1-24.5 s with glibc's, 20.8-21.7 s with jemalloc,
  and its peak 10 % lower).
- ``SDKG_ALLOCATOR=system`` keeps glibc's allocator everywhere; ``SDKG_ALLOCATOR=/path/libjemalloc.so.2``
  names another copy of the library. Without the library nothing changes (the server says so once).

The workers' memory cap (``RLIMIT_AS``, :func:`.sandbox.cap_memory`) holds as before: jemalloc maps memory
on demand, and a query past the cap fails its allocation and aborts the worker, which the engine reports.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VARIABLE = "SDKG_ALLOCATOR"
"""``system`` (glibc's allocator), a path to a jemalloc library, or unset (jemalloc when found)."""
SYSTEM = "system"
CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
    "/usr/lib64/libjemalloc.so.2",
    "/usr/lib/libjemalloc.so.2",
    "/usr/local/lib/libjemalloc.so.2",
)
RESTARTED = "SDKG_ALLOCATOR_RESTARTED"
"""Set on the restarted server, so that it never restarts twice (if the loader ignored the library)."""
tried = False
"""Whether this process has asked :func:`restart_with_it` already."""


def library(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The jemalloc library to preload, or ``None`` (asked for the system's, or not on this machine)."""
    wanted = environ.get(VARIABLE, "").strip()
    if wanted == SYSTEM:
        return None
    if wanted:
        return wanted if Path(wanted).is_file() else None
    return next((path for path in CANDIDATES if Path(path).is_file()), None)


def environment(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with jemalloc first in ``LD_PRELOAD`` when there is one to preload (a copy; unchanged else)."""
    path = library(environ)
    if path is None:
        return environ
    preloaded = [entry for entry in environ.get("LD_PRELOAD", "").split(":") if entry and entry != path]
    return {**environ, "LD_PRELOAD": ":".join([path, *preloaded])}


def loaded(path: str, pid: int | str = "self") -> bool:
    """Whether the process ``pid`` has ``path`` mapped (it runs with that allocator)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    real = os.path.realpath(path)
    return any(line.rstrip().endswith((path, real)) for line in maps.splitlines())


def in_use() -> str | None:
    """The jemalloc library this process runs with (``None``: glibc's allocator)."""
    path = library()
    return path if path is not None and loaded(path) else None


def restart_with_it() -> str | None:
    """Start this process again with jemalloc preloaded, when there is one and it is not loaded yet; returns
    only when it does not restart: the library in use (``None``: glibc's allocator). Tried once per process
    (``sdkg serve`` may build first, and the build asks too)."""
    global tried
    if tried:
        return in_use()
    tried = True
    restarted = os.environ.pop(RESTARTED, None)  # (not passed on to this process's children)
    path = library()
    if path is None:
        return None
    if loaded(path):
        return path
    if restarted:
        return None  # the loader did not take it: go on with glibc's
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, argv, {**environment(dict(os.environ)), RESTARTED: "1"})
    except OSError:
        return None
    return None  # not reached: execve replaces the process
