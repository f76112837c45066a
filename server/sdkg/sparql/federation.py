"""Federated catalog queries: their Wikidata SERVICE clauses made ready to run.

Catalog queries name Wikidata's two endpoints by their canonical IRIs
(:data:`~sdkg.namespaces.WIKIDATA_MAIN`, :data:`~sdkg.namespaces.WIKIDATA_SCHOLARLY`).
Before such a query runs, :func:`prepare` does two things:

- maps each canonical IRI to the configured endpoint (environment variables
  ``SDKG_WIKIDATA_ENDPOINT`` and ``SDKG_WIKIDATA_SCHOLARLY_ENDPOINT``; unset means
  Wikidata itself), so tests and mirrors can stand in for Wikidata;
- binds ``?item`` inside each Wikidata SERVICE block to the QIDs our graph maps
  (``skos:exactMatch``). Oxigraph sends a SERVICE pattern without the solutions found so
  far, so an unbound ``?item wdt:P569 ?born`` would ask Wikidata for every birth date;
  the VALUES block makes it a bind join. It changes no answer of a query that joins
  ``?item`` with ``skos:exactMatch`` outside the SERVICE block, the catalog's convention.

The injected IRIs come from our own store and are checked to be Wikidata item IRIs; user
parameters are never written into query text (:mod:`.bindings` binds them as terms).
The SERVICE clauses are found with the one tokeniser (:mod:`.tokens`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping

from ..namespaces import WIKIDATA_ENTITY, WIKIDATA_MAIN, WIKIDATA_SCHOLARLY
from .engine import Engine, select
from .tokens import Token, code

ENDPOINT_SETTINGS: dict[str, str] = {
    WIKIDATA_MAIN: "SDKG_WIKIDATA_ENDPOINT",
    WIKIDATA_SCHOLARLY: "SDKG_WIKIDATA_SCHOLARLY_ENDPOINT",
}
"""Each canonical Wikidata endpoint and the environment variable that may replace it."""
ITEM_VARIABLE = "item"
QID = re.compile(r"^Q[1-9][0-9]*$")
_ENDPOINT = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")

MAPPED_ITEMS = (
    "SELECT DISTINCT ?item WHERE { ?entity <http://www.w3.org/2004/02/skos/core#exactMatch> ?item "
    f'FILTER(STRSTARTS(STR(?item), "{WIKIDATA_ENTITY}Q")) }} ORDER BY ?item'
)
"""The Wikidata items our graph maps: the values :func:`federate` binds ``?item`` to."""


def configured_endpoints(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Canonical Wikidata endpoint → the endpoint to use (itself unless configured)."""
    environ = os.environ if environ is None else environ
    endpoints: dict[str, str] = {}
    for canonical, setting in ENDPOINT_SETTINGS.items():
        value = (environ.get(setting) or "").strip() or canonical
        if not _ENDPOINT.match(value):
            raise ValueError(f"{setting}={value!r} is not an http(s) URL")
        endpoints[canonical] = value
    return endpoints


def service_clauses(query: str) -> Iterator[tuple[Token, Token]]:
    """Each ``SERVICE [SILENT] <iri> {`` of the query: its endpoint IRI and the brace opening its group."""
    significant = list(code(query))
    for index, token in enumerate(significant):
        if token.kind != "word" or token.text.upper() != "SERVICE":
            continue
        rest = significant[index + 1 : index + 4]
        if rest and rest[0].kind == "word" and rest[0].text.upper() == "SILENT":
            rest = rest[1:]
        if len(rest) >= 2 and rest[0].kind == "iri" and rest[1].text == "{":
            yield rest[0], rest[1]


def wikidata_services(query: str) -> list[str]:
    """The canonical Wikidata endpoints a query's SERVICE clauses name."""
    return sorted({iri.text[1:-1] for iri, _ in service_clauses(query) if iri.text[1:-1] in ENDPOINT_SETTINGS})


def is_federated(query: str) -> bool:
    return bool(wikidata_services(query))


def item_iris(items: Iterable[str]) -> list[str]:
    """Keep Wikidata item IRIs only (the values written into SERVICE blocks), sorted and unique."""
    kept = {i for i in items if i.startswith(WIKIDATA_ENTITY) and QID.match(i[len(WIKIDATA_ENTITY) :])}
    return sorted(kept, key=lambda i: int(i[len(WIKIDATA_ENTITY) + 1 :]))


def federate(query: str, items: Iterable[str], endpoints: Mapping[str, str] | None = None) -> str:
    """Point Wikidata SERVICE clauses at the configured endpoints and bind ``?item`` in them to ``items``."""
    endpoints = configured_endpoints() if endpoints is None else endpoints
    values = ""
    if any(t.kind == "var" and t.text[1:] == ITEM_VARIABLE for t in code(query)):
        values = f" VALUES ?{ITEM_VARIABLE} {{ " + " ".join(f"<{i}>" for i in item_iris(items)) + " }"
    edits: list[tuple[int, int, str]] = []
    for iri, brace in service_clauses(query):
        canonical = iri.text[1:-1]
        if canonical in ENDPOINT_SETTINGS:
            edits.append((iri.start, iri.end, f"<{endpoints.get(canonical, canonical)}>"))
            edits.append((brace.end, brace.end, values))
    for start, end, text in reversed(edits):
        query = query[:start] + text + query[end:]
    return query


async def prepare(engine: Engine, query: str, endpoints: Mapping[str, str] | None = None) -> str:
    """The query text to run on ``engine``: unchanged unless federated, else :func:`federate`-d with the
    items the engine's store maps."""
    if not is_federated(query):
        return query
    items = [row["item"]["value"] for row in await select(engine, MAPPED_ITEMS)]
    return federate(query, items, configured_endpoints() if endpoints is None else endpoints)
