"""Where queries run. The web layer talks only to an :class:`Engine`.

:class:`LocalEngine` evaluates in threads over a read-only store. Other engines
(worker processes with a hard timeout, a remote SPARQL store) offer the same
methods, so pages, the catalog and the endpoint do not care which one runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from .execute import NO_DATASET, Dataset, QueryOutput, run_query
from .guard import WIKIDATA_SERVICES, admit
from .negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format

JSON_RESULTS = RESULT_FORMATS[0]
TURTLE = GRAPH_FORMATS[0]

Bindings = dict[str, dict[str, str]]
"""One solution in the SPARQL 1.1 JSON results form: variable → {type, value, datatype?, xml:lang?}."""


class Engine(Protocol):
    async def run(
        self,
        query: str,
        results_format: Format | None,
        graph_format: Format | None,
        dataset: Dataset = NO_DATASET,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        timeout: float | None = None,
        max_rows: int | None = None,
        context_url: str | None = None,
        base_iri: str | None = None,
    ) -> QueryOutput: ...

    def triple_count(self) -> int: ...


async def select(
    engine: Engine, query: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None
) -> list[Bindings]:
    """Run a SELECT and return its solutions as parsed SPARQL JSON bindings."""
    output = await engine.run(query, JSON_RESULTS, None, substitutions=dict(substitutions) if substitutions else None)
    data: dict[str, Any] = json.loads(output.body or b"{}")
    return list(data.get("results", {}).get("bindings", []))


async def ask(engine: Engine, query: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal] | None = None) -> bool:
    output = await engine.run(query, JSON_RESULTS, None, substitutions=dict(substitutions) if substitutions else None)
    return bool(json.loads(output.body).get("boolean"))


class LocalEngine:
    """Evaluate in the thread pool over a read-only on-disk store (no hard timeout: in-process use only).

    SERVICE and LOAD are still checked against the allow-list.
    """

    def __init__(
        self,
        store_path: Path,
        max_rows: int | None = None,
        prefixes: dict[str, str] | None = None,
        allowed_services: dict[str, float] | None = None,
    ):
        self.store_path = store_path
        self.store = ox.Store.read_only(str(store_path))
        self.max_rows = max_rows
        self.prefixes = prefixes
        self.allowed_services = WIKIDATA_SERVICES if allowed_services is None else allowed_services

    async def run(
        self,
        query: str,
        results_format: Format | None,
        graph_format: Format | None,
        dataset: Dataset = NO_DATASET,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        timeout: float | None = None,
        max_rows: int | None = None,
        context_url: str | None = None,
        base_iri: str | None = None,
    ) -> QueryOutput:
        admit(query, self.allowed_services)
        rows = max_rows if max_rows is not None else self.max_rows
        return await run_in_threadpool(
            run_query,
            self.store,
            query,
            results_format,
            graph_format,
            dataset,
            substitutions,
            rows,
            self.prefixes,
            context_url,
        )

    def triple_count(self) -> int:
        return len(self.store)
