"""What a server publishes and how: one :class:`Settings` value, made by ``sdkg serve`` (or a test).

Everything a query engine needs besides the query comes from here (time limit, row cap,
SERVICE allow-list, prefixes, base IRI), never from a request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..layout import ProjectLayout
from ..namespaces import PREFIXES
from ..sparql.guard import WIKIDATA_SERVICES
from ..sparql.job import EngineConfig, Limits


@dataclass
class Settings:
    """A built store to serve and, when serving a project, its root (for the query catalog, the ontology
    documentation and the shapes that gate admin writes)."""

    store_path: Path
    root: Path | None = None
    title: str = "SDKG: the Security Discourse Knowledge Graph"
    timeout: float = 10.0
    """Hard query time limit in seconds; a request's ``timeout`` parameter may only lower it."""
    max_rows: int | None = 10_000
    """Most solutions (or triples) in one answer; more are cut and the answer says so."""
    admin_token: str | None = None
    """When set, SPARQL Update and Graph Store writes are allowed with ``Authorization: Bearer <token>``."""
    allowed_services: dict[str, float] = field(default_factory=lambda: dict(WIKIDATA_SERVICES))
    """SERVICE/LOAD endpoints that may be reached, with each one's time limit in seconds."""
    max_request_bytes: int = 1_000_000
    max_url_bytes: int = 65_536
    """Longest request target (path and query string) taken; longer ones answer 414 (send long queries by POST)."""
    max_answer_bytes: int | None = 50_000_000
    """Most bytes in one answer (SPARQL JSON results: as written; other formats: their terms as N-Triples); longer
    answers are cut and say so, like the row cap."""
    workers: int | None = None
    """Query worker processes (default: two per core and six more), of one serving process."""
    processes: int = 1
    """Processes serving HTTP on the port (:mod:`.processes`), each with its own workers."""
    process_slot: int = 0
    """Which of them this one is (``/health`` says it; its counters are this slot of ``/metrics``)."""
    worker_memory_mb: int = field(default_factory=lambda: default_worker_memory_mb())
    """Memory a query worker may add for its queries (0: no cap); past it the query answers 507."""
    in_memory_max_quads: int = 500_000
    """Each query worker answers from its own copy of the store in memory when the build holds at most this many
    quads and the copies fit in a quarter of the machine's memory (0: always from disk)."""
    result_cache_mb: int = 64
    """Answers kept for repeated queries on the served build (0: no cache)."""
    write_timeout: float = 120.0
    """Seconds an admin change (a copy of the store, the change, validation, rules, a new build) may take."""
    grace_seconds: float = 15.0
    """On SIGTERM, how long in-flight requests may take before the server stops anyway."""
    watch_builds: bool = True
    """Follow ``var/current``: serve a newer published build without a restart (when serving a project)."""
    engine: str = "workers"
    """``workers`` (hard timeout) or ``local`` (in-process threads, no hard timeout)."""
    prefixes: dict[str, str] | None = None
    """Prefixes for Turtle and JSON-LD answers (default: the project's)."""
    store_url: str | None = None
    """Query this SPARQL 1.1 endpoint instead of the local store (``store_path`` still names the
    local build that was pushed there, for the data version)."""
    public_url: str = "http://127.0.0.1:8000/"
    """Where the server answers, as clients reach it (``sdkg serve --public-url``, default from ``--host`` and
    ``--port``): the base of the service description, VoID, the catalog and the JSON-LD context, never the
    request's ``Host`` header; queries and updates resolve relative IRIs against ``{public_url}sparql``."""

    @property
    def base_iri(self) -> str:
        return self.public_url + "sparql"

    @property
    def engine_config(self) -> EngineConfig:
        """What the query engine is set up with (the prefixes default to the project's)."""
        limits = Limits(self.timeout, self.max_rows, self.allowed_services, self.max_answer_bytes)
        return EngineConfig(limits, self.prefixes if self.prefixes is not None else PREFIXES, self.base_iri)

    @property
    def layout(self) -> ProjectLayout | None:
        return ProjectLayout.at(self.root) if self.root is not None else None


def default_worker_memory_mb(workers: int | None = None) -> int:
    """Half the machine's memory shared by the workers (and the one that may reach the network), between
    256 MB and 4 GB each: 24 GB and 10 workers give 1.1 GB each."""
    from ..sparql.workers import default_workers

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 2048
    return max(256, min(4096, total // 2 // ((workers or default_workers()) + 1) // 2**20))
