"""What a running server holds: :class:`ServerState`, one per app, reached from any route by :func:`state_of`.

The engine (metered), the served build and its version, and what is cached per served
build: the query catalog (read once, not per request), the statistics for the service
description and VoID, the ontology's release files, the build's search index. When an admin change publishes a new
build, :meth:`ServerState.switch` moves everything to it at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ..builds import data_version
from ..catalog import CannedQuery, CatalogError, load_catalog
from ..namespaces import PREFIXES
from ..search.index import SearchIndex, open_index
from ..sparql.engine import Engine, LocalEngine
from ..sparql.remote import RemoteEngine
from ..sparql.workers import WorkerEngine
from .metrics import MeteredEngine, Metrics
from .ontology_docs import OntologyFiles
from .service import Stats, gather_stats
from .settings import Settings


def make_engine(settings: Settings) -> Engine:
    """The engine the settings ask for: a remote store, in-process threads, or worker processes (the default)."""
    if settings.store_url:
        return RemoteEngine(settings.store_url, settings.engine_config)
    if settings.engine == "local":
        return LocalEngine(settings.store_path, settings.engine_config)
    return WorkerEngine(settings.store_path, settings.engine_config, settings.workers)


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
    _catalog: tuple[str, dict[str, CannedQuery] | CatalogError] | None = None
    _stats: tuple[str, Stats] | None = None
    _search: tuple[Path, SearchIndex] | None = None

    @classmethod
    def serving(cls, settings: Settings) -> ServerState:
        metrics = Metrics()
        version, modified = data_version(settings.store_path.parent)
        engine = MeteredEngine(make_engine(settings), metrics)
        return cls(settings, engine, metrics, settings.store_path, version, modified, OntologyFiles(settings.root))

    @property
    def prefixes(self) -> dict[str, str]:
        return self.settings.prefixes if self.settings.prefixes is not None else PREFIXES

    async def switch(self, store_path: Path) -> None:
        """Serve another build from now on (after an admin change): its store, version and caches."""
        await run_in_threadpool(self.engine.swap, store_path)
        self.store_path = store_path
        self.version, self.modified = data_version(store_path.parent)

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
