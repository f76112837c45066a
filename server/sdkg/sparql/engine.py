"""Where queries run. The web layer talks only to an :class:`Engine`.

:class:`LocalEngine` evaluates in threads over a read-only store. Other engines
(worker processes with a hard timeout, a remote SPARQL store) offer the same
methods, so pages, the catalog and the endpoint do not care which one runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from .execute import Dataset, QueryOutput, run_query
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
        dataset: Dataset = Dataset(),
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        timeout: float | None = None,
    ) -> QueryOutput: ...

    def triple_count(self) -> int: ...


async def select(
    engine: Engine, query: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None
) -> list[Bindings]:
    """Run a SELECT and return its solutions as parsed SPARQL JSON bindings."""
    output = await engine.run(query, JSON_RESULTS, None, substitutions=substitutions)
    data: dict[str, Any] = json.loads(output.body or b"{}")
    return list(data.get("results", {}).get("bindings", []))


async def ask(engine: Engine, query: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> bool:
    output = await engine.run(query, JSON_RESULTS, None, substitutions=substitutions)
    return bool(json.loads(output.body).get("boolean"))


class LocalEngine:
    """Evaluate in the thread pool over a read-only on-disk store (no hard timeout)."""

    def __init__(self, store_path: Path):
        self.store_path = store_path
        self.store = ox.Store.read_only(str(store_path))

    async def run(
        self,
        query: str,
        results_format: Format | None,
        graph_format: Format | None,
        dataset: Dataset = Dataset(),
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        timeout: float | None = None,
    ) -> QueryOutput:
        return await run_in_threadpool(run_query, self.store, query, results_format, graph_format, dataset, substitutions)

    def triple_count(self) -> int:
        return len(self.store)
