"""A build directory, as the build writes it and the servers read it: its store and its :class:`BuildInfo`.

``<state>/builds/<version>/store`` is the pyoxigraph store, ``sdkg-build.json`` beside it the
record of how it was made. Both pipelines that write builds (``sdkg build`` and an admin
change) write the same record through :func:`sdkg.build.publish.seal`; the server reads its
data version from it, ``sdkg push`` the graphs to copy and whether the build was validated.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

BUILD_INFO = "sdkg-build.json"
STORE = "store"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class BuildInfo:
    """The record of one build."""

    version: str
    """The build's name (its directory's): what ETags and ``/health`` call the data version."""
    built: str
    """When it was made, UTC (``2024-01-02T03:04:05Z``)."""
    triples: int = 0
    inferred: int = 0
    validated: bool = False
    """Whether the shapes and the quote check passed (``sdkg push`` copies only validated builds)."""
    files: tuple[str, ...] = ()
    graphs: tuple[str, ...] = ()
    """The named graphs, in the order the project's files give them."""
    changed_from: str | None = None
    """For a build made by an admin change: the version it was changed from."""

    @staticmethod
    def now() -> str:
        return time.strftime(TIME_FORMAT, time.gmtime())

    def write(self, build_dir: Path) -> None:
        record = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v is not None}
        (build_dir / BUILD_INFO).write_text(json.dumps(record, indent=2), encoding="utf-8")

    @classmethod
    def read(cls, build_dir: Path) -> BuildInfo | None:
        """The record of ``build_dir``, or ``None`` when it has none (or one that cannot be read)."""
        try:
            record = json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8"))
            return cls(
                version=str(record.get("version") or build_dir.name),
                built=str(record.get("built") or ""),
                triples=int(record.get("triples") or 0),
                inferred=int(record.get("inferred") or 0),
                validated=bool(record.get("validated", True)),  # records of early admin changes lack it
                files=tuple(str(f) for f in record.get("files") or ()),
                graphs=tuple(str(g) for g in record.get("graphs") or ()),
                changed_from=record.get("changed_from"),
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return None


def data_version(build_dir: Path) -> tuple[str, datetime]:
    """The build's version and when it was made (the directory's time when its record does not say)."""
    info = BuildInfo.read(build_dir)
    try:
        when = datetime.strptime(info.built if info else "", TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        when = datetime.fromtimestamp(int(build_dir.stat().st_mtime), tz=UTC)
    return (info.version if info else build_dir.name), when


def open_store(build_dir: Path) -> ox.Store:
    """A build's store, read-only (what ``sdkg query``, ``stats`` and ``push`` read)."""
    return ox.Store.read_only(str(build_dir / STORE))
