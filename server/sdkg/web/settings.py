"""What a server publishes and how: one :class:`Settings` value, made by ``sdkg serve`` (or a test).

Everything a query engine needs besides the query comes from here (time limit, row cap,
SERVICE allow-list, prefixes, base IRI), never from a request.
"""

from __future__ import annotations

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
    workers: int | None = None
    """Query worker processes (default: 2 to 4, by CPU count)."""
    engine: str = "workers"
    """``workers`` (hard timeout) or ``local`` (in-process threads, no hard timeout)."""
    prefixes: dict[str, str] | None = None
    """Prefixes for Turtle and JSON-LD answers (default: the project's)."""
    store_url: str | None = None
    """Query this SPARQL 1.1 endpoint instead of the local store (``store_path`` still names the
    local build that was pushed there, for the data version)."""
    public_url: str = "http://127.0.0.1:8000/"
    """Where the server answers (``sdkg serve`` sets it from ``--host`` and ``--port``); queries and updates
    resolve relative IRIs against ``{public_url}sparql``, the service's IRI."""

    @property
    def base_iri(self) -> str:
        return self.public_url + "sparql"

    @property
    def engine_config(self) -> EngineConfig:
        """What the query engine is set up with (the prefixes default to the project's)."""
        limits = Limits(self.timeout, self.max_rows, self.allowed_services)
        return EngineConfig(limits, self.prefixes if self.prefixes is not None else PREFIXES, self.base_iri)

    @property
    def layout(self) -> ProjectLayout | None:
        return ProjectLayout.at(self.root) if self.root is not None else None
