"""Federated queries: Wikidata SERVICE clauses made ready to run, the same way on every path.

Queries name Wikidata's two endpoints by their canonical IRIs
(:data:`~sdkg.namespaces.WIKIDATA_MAIN`, :data:`~sdkg.namespaces.WIKIDATA_SCHOLARLY`).
Before such a query is evaluated, :func:`prepare` does two things, whoever sent it (``/sparql``
and the query page, a canned query, ``sdkg query``): it is called by
:func:`sdkg.sparql.execute.execute`, the one call that evaluates a job on a local store, and
by the remote engine.

- It maps each canonical IRI to the configured endpoint (environment variables
  ``SDKG_WIKIDATA_ENDPOINT`` and ``SDKG_WIKIDATA_SCHOLARLY_ENDPOINT``; unset means
  Wikidata itself), so tests and mirrors can stand in for Wikidata. The allow-list
  (:mod:`.guard`) is checked on the query as sent, with the canonical IRIs.
- It binds ``?item`` inside each Wikidata SERVICE block that uses ``?item`` to the items our
  graph maps (``skos:exactMatch``). Oxigraph sends a SERVICE pattern without the solutions
  found so far, so an unbound ``?item wdt:P569 ?born`` would ask Wikidata for every birth
  date; the VALUES block makes it a bind join. It changes no answer of a query that joins
  ``?item`` with ``skos:exactMatch`` outside the SERVICE block (the catalog's convention); a
  query that wants Wikidata unrestricted names its variable otherwise.

When the remote endpoint cannot be reached or answers with an error, :func:`upstream_failure`
says so in the one message every path gives (HTTP 502, exit 3 in the CLI).

The injected IRIs come from our own store and are checked to be Wikidata item IRIs; user
parameters are never written into query text (:mod:`.bindings` binds them as terms).
The SERVICE clauses are found with the one tokeniser (:mod:`.tokens`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from ..namespaces import WIKIDATA_ENTITY, WIKIDATA_MAIN, WIKIDATA_SCHOLARLY
from .errors import UpstreamFailed
from .tokens import Token, closing_brace, code, mentions

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

UNREACHABLE = "Wikidata could not be queried (offline or unavailable)"
"""How every path begins the message for a federated query whose Wikidata endpoint failed."""


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


def service_endpoints(query: str) -> list[str]:
    """Every endpoint IRI the query's SERVICE clauses name, in order of first mention."""
    return list(dict.fromkeys(iri.text[1:-1] for iri, _ in service_clauses(query)))


def wikidata_services(query: str) -> list[str]:
    """The canonical Wikidata endpoints a query's SERVICE clauses name."""
    return sorted({iri for iri in service_endpoints(query) if iri in ENDPOINT_SETTINGS})


def is_federated(query: str) -> bool:
    return bool(wikidata_services(query))


def item_iris(items: Iterable[str]) -> list[str]:
    """Keep Wikidata item IRIs only (the values written into SERVICE blocks), sorted and unique."""
    kept = {i for i in items if i.startswith(WIKIDATA_ENTITY) and QID.match(i[len(WIKIDATA_ENTITY) :])}
    return sorted(kept, key=lambda i: int(i[len(WIKIDATA_ENTITY) + 1 :]))


def uses_item(query: str, opened_at: int) -> bool:
    """Whether ``?item`` (or ``$item``) appears in the group that opens just before ``opened_at``."""
    end = closing_brace(query, opened_at)
    for token in code(query[: len(query) if end is None else end], opened_at):
        if token.kind == "var" and token.text[1:] == ITEM_VARIABLE:
            return True
    return False


def federate(query: str, items: Iterable[str], endpoints: Mapping[str, str] | None = None) -> str:
    """Point Wikidata SERVICE clauses at the configured endpoints and bind ``?item`` in those that use it
    to ``items``."""
    endpoints = configured_endpoints() if endpoints is None else endpoints
    values = f" VALUES ?{ITEM_VARIABLE} {{ " + " ".join(f"<{i}>" for i in item_iris(items)) + " }"
    edits: list[tuple[int, int, str]] = []
    for iri, brace in service_clauses(query):
        canonical = iri.text[1:-1]
        if canonical in ENDPOINT_SETTINGS:
            edits.append((iri.start, iri.end, f"<{endpoints.get(canonical, canonical)}>"))
            if uses_item(query, brace.end):
                edits.append((brace.end, brace.end, values))
    for start, end, text in reversed(edits):
        query = query[:start] + text + query[end:]
    return query


SERVICE_WORDS = ("service",)
"""Every SERVICE clause has this word (in any case, :func:`.tokens.mentions`); a query without it is not
federated, and is not tokenised to know."""


def prepare(query: str, mapped_items: Callable[[], Iterable[str]]) -> str:
    """The query text to evaluate: unchanged unless federated, else :func:`federate`-d with the items
    ``mapped_items()`` gives (called only for a federated query). An endpoint setting that is not a URL
    is reported as :class:`~.errors.UpstreamFailed`."""
    if not mentions(query, SERVICE_WORDS) or not is_federated(query):  # the word first: no tokens for most queries
        return query
    try:
        endpoints = configured_endpoints()
    except ValueError as error:
        raise UpstreamFailed(f"{UNREACHABLE}: {error}", public=UNREACHABLE) from None
    return federate(query, mapped_items(), endpoints)


def upstream_failure(query: str, error: BaseException) -> UpstreamFailed | None:
    """The error to give when evaluating ``query`` failed with ``error`` (pyoxigraph raises ``OSError``
    for a host it cannot reach or an HTTP error status, ``RuntimeError`` for an answer it cannot read),
    or ``None`` when the query names no SERVICE endpoint, so the failure was not a remote one."""
    endpoints = service_endpoints(query)
    if not endpoints:
        return None
    reason = str(error).strip() or type(error).__name__
    if any(iri in ENDPOINT_SETTINGS for iri in endpoints):
        return UpstreamFailed(f"{UNREACHABLE}: {reason}", public=UNREACHABLE)
    listed = ", ".join(f"<{iri}>" for iri in endpoints)
    public = f"the SERVICE endpoint could not be queried ({listed})"
    return UpstreamFailed(f"{public}: {reason}", public=public)
