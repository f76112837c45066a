"""Read a SPARQL 1.1 Protocol request: the query, the dataset, the format override.

Each parameter is URL-decoded exactly once (by the form or query-string parser);
a direct POST body is taken as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox

from .execute import Dataset
from .tokens import code

QUERY_MEDIA_TYPE = "application/sparql-query"
UPDATE_MEDIA_TYPE = "application/sparql-update"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class ProtocolError(Exception):
    """A request the protocol does not allow; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


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
        raise ProtocolError(400, "more than one query given")
    if len(updates) > 1:
        raise ProtocolError(400, "more than one update given")
    if queries and updates:
        raise ProtocolError(400, "both a query and an update given")
    timeout_values = [v for k, v in pairs if k == "timeout"]
    timeout = None
    if timeout_values:
        try:
            timeout = float(timeout_values[-1])
        except ValueError:
            raise ProtocolError(400, f"timeout must be a number of seconds, not {timeout_values[-1]!r}") from None
        if timeout <= 0:
            raise ProtocolError(400, "timeout must be positive")
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


def parse_get(query_string: str) -> QueryRequest:
    return from_pairs(parse_qsl(query_string, keep_blank_values=True))


def parse_post(content_type: str | None, body: bytes, query_string: str) -> QueryRequest:
    """A POST is form-encoded, or a direct query (``application/sparql-query``) with the dataset in the URL."""
    media = media_type_of(content_type)
    url_pairs = parse_qsl(query_string, keep_blank_values=True)
    charset = charset_of(content_type)
    if charset not in (None, "utf-8", "utf8") and media != FORM_MEDIA_TYPE:
        raise ProtocolError(415, f"unsupported charset {charset}; SPARQL requests are UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the request body is not UTF-8") from None
    if media == FORM_MEDIA_TYPE:
        return from_pairs(url_pairs + parse_qsl(text, keep_blank_values=True))
    if media == QUERY_MEDIA_TYPE:
        if any(k in ("query", "update") for k, _ in url_pairs):
            raise ProtocolError(400, "a direct POST carries the query in the body, not in the URL")
        return from_pairs(url_pairs, body_query=text)
    if media == UPDATE_MEDIA_TYPE:
        if any(k in ("query", "update") for k, _ in url_pairs):
            raise ProtocolError(400, "a direct POST carries the update in the body, not in the URL")
        return from_pairs(url_pairs + [("update", text)])
    raise ProtocolError(
        415,
        f"unsupported Content-Type {media or '(none)'}; "
        f"use {FORM_MEDIA_TYPE}, {QUERY_MEDIA_TYPE} or {UPDATE_MEDIA_TYPE}",
    )


def with_using(update: str, dataset: Dataset) -> str:
    """Apply ``using-graph-uri``/``using-named-graph-uri`` by adding USING clauses before each WHERE.

    pyoxigraph's update API has no dataset option. An update that has its own USING or
    WITH conflicts with the protocol's dataset (400, as the protocol requires).
    """
    if not dataset.default_graphs and not dataset.named_graphs:
        return update
    clauses = " ".join(
        [f"USING <{ox.NamedNode(g).value}>" for g in dataset.default_graphs]
        + [f"USING NAMED <{ox.NamedNode(g).value}>" for g in dataset.named_graphs]
    )
    depth, last, inserts = 0, "", []
    for token in code(update):
        if token.kind == "brace":
            last = "" if depth == 0 and token.text == "{" else last
            depth += 1 if token.text == "{" else -1
            continue
        word = token.text.lower() if token.kind == "word" else ""
        if depth != 0 or not word:
            continue
        if word in ("using", "with"):
            raise ProtocolError(400, f"the update has {word.upper()} and the request a using-graph-uri dataset")
        if word == "where" and last != "delete":
            inserts.append(token.start)
        last = word
    for position in reversed(inserts):
        update = update[:position] + clauses + " " + update[position:]
    return update
