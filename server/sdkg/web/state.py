"""What a running server holds: :class:`ServerState`, one per app, reached from any route by :func:`state_of`.

The engine (metered, with its answer cache), the served build and its version, and what is
cached per served build: the query catalog (read once, not per request), the statistics for
the service description and VoID, the ontology's release files, and what routes keep with
:meth:`ServerState.per_build` (the reconciliation index), the build's search index. When an
admin change or ``sdkg build`` publishes a new build, :meth:`ServerState.switch` moves everything to it at
once (:meth:`ServerState.follow_builds` watches ``var/current``); queries under way finish
on the build they started on. The served build is pinned (:func:`sdkg.build.publish.pin`),
so no build run prunes it while it is served.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request

from ..build.publish import pin, unpin
from ..builds import BuildInfo, data_version
from ..catalog import CannedQuery, CatalogError, load_catalog
from ..namespaces import PREFIXES
from ..search.index import SearchIndex, open_index
from ..sparql.cache import CachingEngine
from ..sparql.engine import Engine, LocalEngine
from ..sparql.remote import RemoteEngine
from ..sparql.workers import WorkerEngine
from .metrics import MeteredEngine, Metrics
from .ontology_docs import OntologyFiles
from .service import Stats, gather_stats
from .settings import Settings

T = TypeVar("T")
log = logging.getLogger("sdkg.server")
WATCH_SECONDS = 1.0


def expected_triples(store_path: Path) -> int | None:
    """What the build recorded about its store's size (a store that counts otherwise is corrupt)."""
    info = BuildInfo.read(store_path.parent)
    return info.triples if info is not None and info.triples else None


def make_engine(settings: Settings) -> Engine:
    """The engine the settings ask for: a remote store, in-process threads, or worker processes (the default),
    behind the answer cache when it has a size."""
    engine: Engine
    if settings.store_url:
        engine = RemoteEngine(settings.store_url, settings.engine_config)
    elif settings.engine == "local":
        engine = LocalEngine(settings.store_path, settings.engine_config)
    else:
        engine = WorkerEngine(
            settings.store_path,
            settings.engine_config,
            settings.workers,
            settings.worker_memory_mb,
            expected_triples(settings.store_path),
            settings.in_memory_max_quads,
            settings.processes,
        )
    if settings.result_cache_mb > 0:
        engine = CachingEngine(engine, settings.result_cache_mb * 2**20)
    return engine


@dataclass
class ServerState:
    settings: Settings
    engine: Engine
    metrics: Metrics
    store_path: Path
    version: str
    modified: datetime
    ontology_files: OntologyFiles
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    modified_http: str = ""
    """``modified`` as an HTTP date (the ``Last-Modified`` of every answer), made once per build."""
    _catalog: tuple[str, dict[str, CannedQuery] | CatalogError] | None = None
    _stats: tuple[str, Stats] | None = None
    _per_build: dict[str, tuple[str, Any]] = field(default_factory=dict)
    _making: dict[str, asyncio.Lock] = field(default_factory=dict)
    _search: tuple[Path, SearchIndex] | None = None

    @classmethod
    def serving(cls, settings: Settings, metrics: Metrics | None = None) -> ServerState:
        metrics = metrics if metrics is not None else Metrics()
        version, modified = data_version(settings.store_path.parent)
        engine = MeteredEngine(make_engine(settings), metrics)
        return cls(settings, engine, metrics, settings.store_path, version, modified, OntologyFiles(settings.root))

    def __post_init__(self) -> None:
        self.modified_http = format_datetime(self.modified, usegmt=True)

    @property
    def prefixes(self) -> dict[str, str]:
        return self.settings.prefixes if self.settings.prefixes is not None else PREFIXES

    async def switch(self, store_path: Path) -> None:
        """Serve another build from now on (after an admin change, or a newer published build): its store,
        version and caches; the new build is pinned before the old one is let go."""
        layout = self.settings.layout
        if layout is not None and not self.settings.store_url:
            pin(layout, store_path.parent)
        self.engine.swap(store_path, expected_triples(store_path))
        self.store_path = store_path
        self.version, self.modified = data_version(store_path.parent)
        self.modified_http = format_datetime(self.modified, usegmt=True)
        log.warning("now serving %s", store_path.parent.name)

    def published(self) -> Path | None:
        """The store of the build ``var/current`` names now, when the server follows it and it is another."""
        layout = self.settings.layout
        if layout is None or self.settings.store_url or not self.settings.watch_builds:
            return None
        current = layout.current_build()
        if current is None or current == self.store_path.parent.resolve():
            return None
        if not (current / "store").is_dir():
            return None
        return current / "store"

    async def follow_builds(self) -> None:
        """Every second (and at once on SIGHUP), serve the build ``var/current`` names if it is a newer one."""
        woken = asyncio.Event()
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, woken.set)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread (tests): polling only
            pass
        while True:
            try:
                await asyncio.wait_for(woken.wait(), WATCH_SECONDS)
            except TimeoutError:
                pass
            woken.clear()
            newer = self.published()
            if newer is not None and not self.write_lock.locked():
                await self.switch(newer)

    def start_serving(self) -> None:
        layout = self.settings.layout
        if layout is not None and not self.settings.store_url and self.store_path.parent.parent == layout.builds:
            pin(layout, self.store_path.parent)

    def stop_serving(self) -> None:
        layout = self.settings.layout
        if layout is not None:
            unpin(layout)

    @property
    def worker_engine(self) -> WorkerEngine | None:
        """The worker pool under the cache and the metrics, when the server has one."""
        engine = self.engine
        while not isinstance(engine, WorkerEngine) and hasattr(engine, "engine"):
            engine = engine.engine
        return engine if isinstance(engine, WorkerEngine) else None

    @property
    def health(self) -> str | None:
        """Why the server cannot answer (``None`` when it can): workers that cannot start, a corrupt store."""
        engine = self.worker_engine
        if engine is not None:
            if engine.corrupt is not None:
                return "the store failed an integrity check"
            if engine.problem is not None and engine.ready_workers == 0:
                return "no query worker can start"
        return None

    def catalog(self) -> dict[str, CannedQuery]:
        """The query catalog of the served project, read once per served build; raises its :class:`CatalogError`."""
        if self._catalog is None or self._catalog[0] != self.version:
            self._catalog = (self.version, read_served_catalog(self.settings))
        found = self._catalog[1]
        if isinstance(found, CatalogError):
            raise found
        return found

    def readable_catalog(self) -> dict[str, CannedQuery]:
        """The catalog, or none when it cannot be read (the self-descriptions still answer then)."""
        try:
            return self.catalog()
        except CatalogError:
            return {}

    async def per_build(self, name: str, make: Callable[[], Awaitable[T]]) -> T:
        """What a route keeps for the served build (the reconciliation index, the mapping tables): made once
        per build version by ``make``, by one request while the others wait; made again after a switch."""
        kept = self._per_build.get(name)
        if kept is not None and kept[0] == self.version:
            return kept[1]  # type: ignore[no-any-return]
        async with self._making.setdefault(name, asyncio.Lock()):
            kept = self._per_build.get(name)
            if kept is None or kept[0] != self.version:
                version = self.version
                kept = (version, await make())
                self._per_build[name] = kept
            return kept[1]  # type: ignore[no-any-return]

    def search_index(self) -> SearchIndex:
        """The search index of the served build (opened once per build; raises ``IndexUnavailable``)."""
        build_dir = self.store_path.parent
        if self._search is None or self._search[0] != build_dir:
            self._search = (build_dir, open_index(build_dir))
        return self._search[1]

    async def stats(self) -> Stats:
        """Counts for the service description and VoID, gathered once per served build."""
        if self._stats is None or self._stats[0] != self.version:
            self._stats = (self.version, await gather_stats(self.engine))
        return self._stats[1]


def read_served_catalog(settings: Settings) -> dict[str, CannedQuery] | CatalogError:
    layout = settings.layout
    if layout is None or not layout.queries.is_dir():
        return {}
    try:
        return load_catalog(layout.queries)
    except CatalogError as error:
        return error
    except (OSError, ValueError) as error:
        return CatalogError(str(error))


def state_of(request: Request | FastAPI) -> ServerState:
    app = request if isinstance(request, FastAPI) else request.app
    server: ServerState = app.state.server
    return server
