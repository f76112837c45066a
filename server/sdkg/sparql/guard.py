"""Refuse SERVICE and LOAD to IRIs not on the allow-list, before pyoxigraph sees the text.

pyoxigraph fetches any URL a ``SERVICE`` or ``LOAD`` names (loopback included, with
no timeout). Parsing every query with rdflib costs ~15 ms, so the text is first
scanned cheaply for the two keywords outside strings, IRIs and comments; only a
query that mentions one is parsed (and the answer is cached by query text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from ..namespaces import WIKIDATA_MAIN, WIKIDATA_SCHOLARLY
from .errors import Refused, Unverifiable
from .tokens import matches, unescape

_KEYWORDS = {"service", "load"}

WIKIDATA_SERVICES: dict[str, float] = {WIKIDATA_MAIN: 10.0, WIKIDATA_SCHOLARLY: 10.0}
"""The default SERVICE/LOAD allow-list: endpoint IRI → its time limit in seconds."""


@dataclass(frozen=True)
class Remote:
    """What a request fetches: the SERVICE and LOAD IRIs (``None`` for ``SERVICE ?var``)."""

    services: tuple[str | None, ...] = ()
    loads: tuple[str | None, ...] = ()


def mentions_remote(text: str) -> bool:
    """Whether SERVICE or LOAD may appear as a keyword (not inside a string, an IRI or a comment).

    A quote the scan could not pair counts as a mention: when unsure, parse.
    """
    for match in matches(unescape(text)):
        kind = match.lastgroup
        if kind == "stray" or (kind == "word" and match.group().lower() in _KEYWORDS):
            return True
    return False


def walk(node: object, services: list[str | None], loads: list[str | None]) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            services.append(str(term) if isinstance(term, URIRef) else None)
        elif node.name == "Load":
            iri = node.get("iri")
            loads.append(str(iri) if isinstance(iri, URIRef) else None)
        for value in node.values():
            walk(value, services, loads)
    elif isinstance(node, dict):
        for value in node.values():
            walk(value, services, loads)
    elif isinstance(node, list | tuple):
        for value in node:
            walk(value, services, loads)


@lru_cache(maxsize=512)
def remote_iris(text: str, update: bool) -> Remote:
    """The SERVICE/LOAD IRIs of a query or update (full rdflib parse; cached by text)."""
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    services: list[str | None] = []
    loads: list[str | None] = []
    try:
        if update:
            walk(translateUpdate(parseUpdate(unescape(text))).algebra, services, loads)
        else:
            walk(translateQuery(parseQuery(unescape(text))).algebra, services, loads)
    except Exception as exc:  # rdflib raises many kinds; all mean "cannot check"
        raise Unverifiable(f"the request uses SERVICE or LOAD and could not be checked: {exc}") from None
    return Remote(tuple(services), tuple(loads))


def admit(text: str, allowed: Mapping[str, float], update: bool = False) -> float | None:
    """Raise :class:`~.errors.Refused` unless every SERVICE/LOAD IRI is allowed.

    Returns the smallest timeout of the remote endpoints used (``None`` when none is used).
    """
    if not mentions_remote(text):
        return None
    remote = remote_iris(text, update)
    timeouts: list[float] = []
    for keyword, iris in (("SERVICE", remote.services), ("LOAD", remote.loads)):
        for iri in iris:
            if iri is None:
                raise Refused(f"{keyword} with a variable endpoint is not allowed")
            if iri not in allowed:
                listed = ", ".join(sorted(allowed)) or "(none)"
                raise Refused(f"{keyword} <{iri}> is not allowed; allowed endpoints: {listed}")
            timeouts.append(allowed[iri])
    return min(timeouts) if timeouts else None
