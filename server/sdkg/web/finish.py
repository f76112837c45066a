"""Response finishing, the same for every route: validators, truncation headers, JSON-LD context, HEAD.

- :func:`respond` is the one path from a :class:`~sdkg.sparql.job.QueryJob` to a response:
  ETag and Last-Modified (304 when the client has the answer), the engine (metered, see
  :mod:`.metrics`), then :func:`finish`. The endpoint, the Graph Store reads, the canned
  queries and the pages' RDF all use it. :func:`respond_now` is the same path without awaiting
  anything, for the light queries the HTTP protocol answers at once (:meth:`.front.Front.answer_now`):
  both are :func:`prepared`, the engine, then :func:`answered`.
- :func:`respond_graph` does the same for triples the server makes itself (the service
  description, VoID, the catalog); :func:`respond_page` for HTML pages.

The ETag is tied to the served build's version (and this code's), so a client's cached
answer stays valid until the published store changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..sparql import jsonld
from ..sparql.errors import MalformedQuery
from ..sparql.execute import serialise_graph
from ..sparql.inline import REMEMBERED_TEXT
from ..sparql.job import QueryJob, QueryOutput
from ..sparql.negotiation import Format
from .errors import HttpError
from .state import state_of

TRUNCATED = "X-SDKG-Truncated"
ROW_LIMIT = "X-SDKG-Row-Limit"
BYTE_LIMIT = "X-SDKG-Byte-Limit"
JSON_LD = "application/ld+json"


def etag(version: str, *parts: object) -> str:
    """The entity tag of an answer: the served build's version and a digest of what tells answers apart."""
    if any(isinstance(part, str) and len(part) > REMEMBERED_TEXT for part in parts):
        return made_etag(version, parts)  # (a long query's text is not kept: at most 16 MB are)
    try:
        return remembered_etag(version, parts)
    except TypeError:  # a part that cannot key the memory
        return made_etag(version, parts)


def made_etag(version: str, parts: tuple[object, ...]) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in (__version__, *parts)).encode("utf-8")).hexdigest()[:24]
    return f'"{version}-{digest}"'


@lru_cache(maxsize=1024)
def remembered_etag(version: str, parts: tuple[object, ...]) -> str:
    """:func:`made_etag`, remembered for the answers asked again (hashing a job's text costs more than finding it)."""
    return made_etag(version, parts)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def not_modified(headers: dict[str, str], tag: str, modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        candidates = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in candidates or tag in candidates
    since = headers.get("if-modified-since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


CONDITIONS = (b"if-none-match", b"if-modified-since")


def validators(request: Request, *key: object) -> tuple[Response | None, dict[str, str]]:
    """The answer's validators (ETag of the served version and ``key``), and a 304 when the client has it."""
    state = state_of(request)
    tag = etag(state.version, *key)
    headers = {"ETag": tag, "Last-Modified": state.modified_http, "Cache-Control": "no-cache"}
    conditional = any(name in CONDITIONS for name, _ in request.scope["headers"])  # (ASGI: names in lower case)
    cached = (
        conditional and request.method in ("GET", "HEAD") and not_modified(dict(request.headers), tag, state.modified)
    )
    return (Response(status_code=304, headers=headers) if cached else None), headers


def context_url(request: Request) -> str:
    """The published JSON-LD context: under the configured public URL, never under the request's ``Host``."""
    return state_of(request).settings.public_url + "context.jsonld"


def truncation_headers(output: QueryOutput, max_rows: int | None, max_bytes: int | None = None) -> dict[str, str]:
    """Whether the answer was cut at the row cap or the byte cap, and the caps: said on every answer with rows."""
    if output.kind == "boolean":
        return {}
    extra = {TRUNCATED: "true" if output.truncated else "false"}
    if max_rows is not None:
        extra[ROW_LIMIT] = str(max_rows)
    if max_bytes is not None:
        extra[BYTE_LIMIT] = str(max_bytes)
    return extra


Route = Callable[[Request], Awaitable[Response]]


def get_and_head(
    router: APIRouter, path: str, summary: str, parameters: list[dict[str, Any]]
) -> Callable[[Route], Route]:
    """Register a read route for GET (documented in OpenAPI) and for HEAD (answered the same, without a body)."""

    def register(route: Route) -> Route:
        router.add_api_route(path, route, methods=["GET"], summary=summary, openapi_extra={"parameters": parameters})
        router.add_api_route(path, route, methods=["HEAD"], include_in_schema=False)
        return route

    return register


def finish(request: Request, body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    """The response itself: ``Vary: Accept``, and no body for HEAD (with the length it would have)."""
    headers = {"Vary": "Accept, Accept-Encoding" if "Content-Encoding" in headers else "Accept", **headers}
    if request.method == "HEAD":
        return Response(b"", media_type=media_type, headers={**headers, "Content-Length": str(len(body))})
    return Response(body, media_type=media_type, headers=headers)


@contextmanager
def server_made(what: str) -> Iterator[None]:
    """Around queries the server wrote itself (a page's, a catalog's): one the engine calls malformed is the
    server's fault, a 500, where a client's malformed query is a 400."""
    try:
        yield
    except MalformedQuery as error:
        raise HttpError(f"{what} is malformed: {error}", 500) from None


async def respond(
    request: Request,
    job: QueryJob,
    headers: dict[str, str] | None = None,
    inline_context: bool = False,
    made_by_server: str | None = None,
    about_output: Callable[[QueryOutput], dict[str, str]] | None = None,
) -> Response:
    """Answer ``job`` on the served engine, finished: validators (or 304), truncation headers, JSON-LD context.

    JSON-LD refers to the published ``/context.jsonld`` unless ``inline_context`` (the linked-data pages
    keep the context in the document, so that it stands alone). ``made_by_server`` names a query the
    server wrote (see :func:`server_made`). ``about_output`` adds headers that depend on the answer
    (a page of a canned query: its links to the next and previous pages), last.
    """
    cached, validation, job = prepared(request, job, inline_context)
    if cached is not None:
        return cached
    engine = state_of(request).engine
    arrived = request.scope.get("sdkg.arrived")
    if made_by_server is None:
        output = await engine.run(job, arrived)
    else:
        with server_made(made_by_server):
            output = await engine.run(job, arrived)
    return answered(request, output, validation, headers, inline_context, about_output)


def respond_now(request: Request, job: QueryJob) -> Response | None:
    """:func:`respond`, when the engine can answer at once (:meth:`~sdkg.sparql.engine.Engine.answer_now`), without
    awaiting anything: the light queries' path (:meth:`.front.Front.answer_now`); ``None`` when :func:`respond`
    must answer."""
    cached, validation, job = prepared(request, job)
    if cached is not None:
        return cached
    output = state_of(request).engine.answer_now(job)
    return None if output is None else answered(request, output, validation)


def prepared(
    request: Request, job: QueryJob, inline_context: bool = False
) -> tuple[Response | None, dict[str, str], QueryJob]:
    """Before the engine: the answer's validators (and the 304 when the client has it), and the job compressed
    in the engine when the client accepts gzip (not JSON-LD whose context is put in after)."""
    cached, validation = validators(request, job.key(), context_url(request), inline_context)
    if (
        cached is None
        and not job.gzip
        and "gzip" in request.headers.get("accept-encoding", "")
        and not (job.graph_format is not None and job.graph_format.media_type == JSON_LD and not inline_context)
    ):
        job = replace(job, gzip=True)
    return cached, validation, job


def answered(
    request: Request,
    output: QueryOutput,
    validation: dict[str, str],
    headers: dict[str, str] | None = None,
    inline_context: bool = False,
    about_output: Callable[[QueryOutput], dict[str, str]] | None = None,
) -> Response:
    """After the engine: the response, with validators, truncation headers and the JSON-LD context."""
    state = state_of(request)
    body = output.body
    if output.media_type == JSON_LD and not inline_context:
        body = jsonld.with_context_url(body, state.prefixes, context_url(request))
    settings = state.settings
    extra = {
        **validation,
        **truncation_headers(output, settings.max_rows, settings.max_answer_bytes),
        **(headers or {}),
        **(about_output(output) if about_output is not None else {}),
    }
    if output.encoding:
        extra["Content-Encoding"] = output.encoding
    return finish(request, body, output.media_type, extra)


async def respond_graph(
    request: Request, triples: list[ox.Triple], fmt: Format, prefixes: dict[str, str], *key: object
) -> Response:
    """Answer with triples the server made (service description, VoID, catalog), finished like a query's."""
    cached, validation = validators(request, fmt, context_url(request), *key)
    if cached is not None:
        return cached
    body = await run_in_threadpool(serialise_graph, triples, fmt, prefixes)
    if fmt.media_type == JSON_LD:
        body = jsonld.with_context_url(body, prefixes, context_url(request))
    return finish(request, body, fmt.media_type, validation)


async def respond_page(request: Request, page: Callable[[], Awaitable[Response]], *key: object) -> Response:
    """Answer with an HTML page made by ``page`` (which may raise), with the validators of the served build."""
    cached, validation = validators(request, "page", request.url.path, request.url.query, *key)
    if cached is not None:
        return cached
    with server_made("a query of this page"):
        response = await page()
    response.headers.update(validation)
    return response
