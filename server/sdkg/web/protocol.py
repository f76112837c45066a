"""Read a SPARQL 1.1 Protocol request: the query, the dataset, the format override, and the one
:class:`~sdkg.sparql.job.QueryJob` made from them.

Each parameter is URL-decoded exactly once (by the form or query-string parser);
a direct POST body is taken as it is.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from ..sparql.dataset import Dataset
from ..sparql.errors import NotAcceptable
from ..sparql.inline import REMEMBERED_TEXT
from ..sparql.job import QueryJob
from ..sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format, media_types, negotiate
from .errors import HttpError

QUERY_MEDIA_TYPE = "application/sparql-query"
UPDATE_MEDIA_TYPE = "application/sparql-update"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
BODY_TYPES = [FORM_MEDIA_TYPE, QUERY_MEDIA_TYPE, UPDATE_MEDIA_TYPE]


class ProtocolError(HttpError):
    """A request the protocol does not allow (400 unless said otherwise)."""

    status = 400


@dataclass(frozen=True)
class QueryRequest:
    query: str | None
    update: str | None
    dataset: Dataset
    format: str | None
    timeout: float | None


def media_type_of(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def from_pairs(pairs: list[tuple[str, str]], body_query: str | None = None) -> QueryRequest:
    queries = [v for k, v in pairs if k == "query"]
    updates = [v for k, v in pairs if k == "update"]
    if body_query is not None:
        queries.append(body_query)
    if len(queries) > 1:
        raise ProtocolError("more than one query given")
    if len(updates) > 1:
        raise ProtocolError("more than one update given")
    if queries and updates:
        raise ProtocolError("both a query and an update given")
    graphs = [k for k, _ in pairs if k in ("default-graph-uri", "named-graph-uri")]
    if graphs and not queries and not updates:
        raise ProtocolError(f"{graphs[0]} given without a query")
    timeout_values = [v for k, v in pairs if k == "timeout"]
    timeout = None
    if timeout_values:
        try:
            timeout = float(timeout_values[-1])
        except ValueError:
            raise ProtocolError(f"timeout must be a number of seconds, not {timeout_values[-1][:40]!r}") from None
        if not math.isfinite(timeout) or timeout <= 0:
            raise ProtocolError("timeout must be a positive, finite number of seconds")
    formats = [v for k, v in pairs if k == "format"]
    return QueryRequest(
        query=queries[0] if queries else None,
        update=updates[0] if updates else None,
        dataset=Dataset(
            default_graphs=tuple(v for k, v in pairs if k in ("default-graph-uri", "using-graph-uri")),
            named_graphs=tuple(v for k, v in pairs if k in ("named-graph-uri", "using-named-graph-uri")),
        ),
        format=formats[-1] if formats else None,
        timeout=timeout,
    )


def pairs_of(encoded: bytes | str, where: str = "the query string") -> list[tuple[str, str]]:
    """Form-encoded pairs, every byte and every percent-escape read as UTF-8 (else a 400, however it came)."""
    raw = encoded if isinstance(encoded, bytes) else encoded.encode("utf-8")
    try:
        try:
            return [(unquoted(name), unquoted(value)) for name, value in fields_of(raw)]
        except UnicodeDecodeError:
            raise
        except ValueError:  # a '%' without two hex digits after it: read as parse_qsl reads it (left as it is)
            return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(f"{where} is not UTF-8") from None


ESCAPE_DECODE: Callable[[bytes], tuple[bytes, int]] | None = getattr(codecs, "escape_decode", None)


def fields_of(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The ``name=value`` fields of a form, as ``parse_qsl`` splits them (a field without ``=`` has an empty value,
    empty fields are skipped)."""
    for field in raw.split(b"&"):
        if field:
            name, _, value = field.partition(b"=")
            yield name, value


def unquoted(encoded: bytes) -> str:
    """A form-encoded name or value, read as UTF-8 (strictly). Every ``%XX`` is made a ``\\xXX`` escape and the
    whole decoded by CPython's ``escape_decode`` codec (in C, not in the documented API: the property test in
    tests/web/test_protocol.py holds it to ``parse_qsl``): ten times ``parse_qsl``'s Python loop over each
    escape, which was a sixth of a GET's time in the server. A ``%`` not followed by two hex digits raises
    ``ValueError``."""
    if ESCAPE_DECODE is None:  # a Python without it: parse_qsl reads the form
        raise ValueError("no escape_decode codec")
    escaped = encoded.replace(b"+", b" ").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    decoded: bytes = ESCAPE_DECODE(escaped)[0]
    return decoded.decode("utf-8")


def parse_get(query_string: bytes | str) -> QueryRequest:
    if len(query_string) <= REMEMBERED_TEXT:  # (as long as the texts the engine remembers)
        return remembered_get(query_string)
    return from_pairs(pairs_of(query_string))


@lru_cache(maxsize=256)
def remembered_get(query_string: bytes | str) -> QueryRequest:
    """A short query string's request, read once: a client, a page or a canned query asks the same one again and
    again, and reading it costs a tenth of a point lookup's time in the server (at most 4 MB kept)."""
    return from_pairs(pairs_of(query_string))


def parse_post(content_type: str | None, body: bytes, query_string: bytes | str) -> QueryRequest:
    """A POST is form-encoded, or a direct query (``application/sparql-query``) with the dataset in the URL."""
    media = media_type_of(content_type)
    url_pairs = pairs_of(query_string)
    charset = charset_of(content_type)
    if charset not in (None, "utf-8", "utf8") and media != FORM_MEDIA_TYPE:
        raise ProtocolError(f"unsupported charset {charset}; SPARQL requests are UTF-8", 415, supported=BODY_TYPES)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("the request body is not UTF-8") from None
    if media == FORM_MEDIA_TYPE:
        return from_pairs(url_pairs + pairs_of(text, "the request body"))
    if media == QUERY_MEDIA_TYPE:
        if any(k in ("query", "update") for k, _ in url_pairs):
            raise ProtocolError("a direct POST carries the query in the body, not in the URL")
        return from_pairs(url_pairs, body_query=text)
    if media == UPDATE_MEDIA_TYPE:
        if any(k in ("query", "update") for k, _ in url_pairs):
            raise ProtocolError("a direct POST carries the update in the body, not in the URL")
        return from_pairs(url_pairs + [("update", text)])
    raise ProtocolError(
        f"unsupported Content-Type {media or '(none)'}; "
        f"use {FORM_MEDIA_TYPE}, {QUERY_MEDIA_TYPE} or {UPDATE_MEDIA_TYPE}",
        415,
        supported=BODY_TYPES,
    )


@lru_cache(maxsize=512)
def formats(accept: str | None, override: str | None) -> tuple[Format | None, Format | None]:
    """The results format and the graph format the client accepts (``None`` where it accepts none)."""
    results: Format | None
    graph: Format | None
    try:
        results = negotiate(accept, RESULT_FORMATS, override)
    except NotAcceptable:
        results = None
    try:
        graph = negotiate(accept, GRAPH_FORMATS, override)
    except NotAcceptable:
        graph = None
    return results, graph


def job_for(query: str, accept: str | None, parsed: QueryRequest) -> QueryJob:
    """The job a protocol request asks for; :class:`~sdkg.sparql.errors.NotAcceptable` when no format fits."""
    results, graph = formats(accept, parsed.format)
    if results is None and graph is None:
        raise NotAcceptable(media_types(RESULT_FORMATS + GRAPH_FORMATS))
    return QueryJob(query, results, graph, parsed.dataset, timeout=parsed.timeout)
