"""Content negotiation for SPARQL results and RDF graphs (RFC 9110 q-values)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    media_type: str
    name: str  # short name for the ``format`` override
    extension: str


RESULT_FORMATS: list[Format] = [
    Format("application/sparql-results+json", "json", "srj"),
    Format("application/sparql-results+xml", "xml", "srx"),
    Format("text/csv", "csv", "csv"),
    Format("text/tab-separated-values", "tsv", "tsv"),
]
GRAPH_FORMATS: list[Format] = [
    Format("text/turtle", "turtle", "ttl"),
    Format("application/n-triples", "ntriples", "nt"),
    Format("application/rdf+xml", "rdfxml", "rdf"),
    Format("application/ld+json", "jsonld", "jsonld"),
    Format("application/n-quads", "nquads", "nq"),
    Format("application/trig", "trig", "trig"),
]
ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
}
SHORT_NAMES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "rdf": "rdfxml",
    "rdf/xml": "rdfxml",
    "json-ld": "jsonld",
    "n-triples": "ntriples",
}

RESULTS_FORMAT_OF = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_FORMAT_OF = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}


def media_types(formats: list[Format]) -> list[str]:
    return [f.media_type for f in formats]


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """Media ranges with their q-values and their order, best first."""
    if not header or not header.strip():
        return [("*/*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((ALIASES.get(media, media), q, order))
    return ranges


def specificity(media_range: str) -> int:
    if media_range == "*/*":
        return 0
    return 1 if media_range.endswith("/*") else 2


def matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.startswith(media_range[:-1])
    return media_range == media_type


def negotiate(accept: str | None, offered: list[Format], override: str | None = None) -> Format:
    """Pick the offered format the client prefers; the first offered one wins ties and ``*/*``."""
    if override:
        wanted = SHORT_NAMES.get(override.lower(), override.lower())
        wanted = ALIASES.get(wanted, wanted)
        for fmt in offered:
            if wanted in (fmt.name, fmt.media_type, fmt.extension):
                return fmt
        raise NotAcceptable(media_types(offered))
    ranges = parse_accept(accept)
    best: tuple[float, int, int, int] | None = None
    chosen: Format | None = None
    for index, fmt in enumerate(offered):
        # the most specific range matching this format decides its q-value
        candidates = [(specificity(r), q, order) for r, q, order in ranges if matches(r, fmt.media_type)]
        if not candidates:
            continue
        spec, q, order = max(candidates, key=lambda c: (c[0], -c[2]))
        if q <= 0:
            continue
        key = (q, spec, -order, -index)
        if best is None or key > best:
            best, chosen = key, fmt
    if chosen is None:
        raise NotAcceptable(media_types(offered))
    return chosen
