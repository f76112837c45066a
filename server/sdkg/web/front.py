"""The one layer every HTTP request crosses first, in plain ASGI: limits, CORS, compression, the security
headers of pages, and the one error answer for what fails before or outside a route.

- the request's arrival time (``scope["sdkg.arrived"]``): a query's deadline counts from it,
  so time spent waiting for a worker counts too;
- 414 for a request target over ``max_url_bytes``, 413 for a body over ``max_request_bytes``
  (by its ``Content-Length`` before it is read, and by counting what arrives);
- CORS: open on every route (``*``), preflights answered here;
- compression: answers the engine made are compressed in the worker, within the deadline
  (:attr:`~sdkg.sparql.job.QueryJob.gzip`); here only small ones (1 kB to 256 kB), whose
  cost is bounded (a millisecond or two), never a large body in the event loop;
- HTML pages get a Content-Security-Policy (everything from this origin, nothing inline but
  styles);
- ``/sparql`` goes straight to its endpoint (:func:`.sparql_routes.endpoint`), without the
  framework's routing and per-request machinery. Everything else goes to the FastAPI app.
- :meth:`Front.answer_now` is this layer for a request the HTTP protocol answers at once, before
  any ASGI task (:mod:`.http`): a ``GET /sparql`` the engine can answer without waiting (a light
  query, a cached answer), through :func:`.sparql_routes.endpoint_now`, with the same limits, CORS,
  compression and error answer as :meth:`Front.__call__`.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI, Request, Response
from starlette.types import Message, Receive, Scope, Send

from .errors import HttpError, RequestTooLarge, UrlTooLong, as_http, error_response, handle, handled

GZIP_MIN = 1024
GZIP_MAX = 256 * 1024
COMPRESSIBLE = (b"text/", b"application/json", b"application/ld+json", b"application/sparql", b"application/n-")
CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    b"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
NO_CSP = ("/docs",)  # the API page: FastAPI starts the vendored Swagger UI with an inline script
CORS = [
    (b"access-control-allow-origin", b"*"),
    (
        b"access-control-expose-headers",
        b"ETag, Last-Modified, Content-Length, X-SDKG-Truncated, X-SDKG-Row-Limit, X-SDKG-Byte-Limit",
    ),
]
PREFLIGHT = CORS + [
    (b"access-control-allow-methods", b"GET, HEAD, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, Content-Type, If-None-Match, If-Modified-Since"),
    (b"access-control-max-age", b"600"),
    (b"vary", b"Origin"),
]

Endpoint = Callable[[Scope, Receive, Send], Awaitable[None]]
AtOnce = Callable[[Scope], Response | None]
"""An endpoint that answers some requests without awaiting anything, and returns ``None`` for the others."""
Whole = tuple[int, list[tuple[bytes, bytes]], bytes]
"""A whole answer: its status, headers and body."""


class TooLarge(Exception):
    pass


class Front:
    """Wrap ``app``; ``endpoints`` are paths answered directly by a plain ASGI callable, ``at_once`` paths whose
    light requests are answered in the HTTP protocol (:meth:`answer_now`)."""

    def __init__(
        self,
        app: FastAPI,
        endpoints: Mapping[str, Endpoint],
        max_request_bytes: int,
        max_url_bytes: int,
        at_once: Mapping[str, AtOnce] | None = None,
    ) -> None:
        self.app = app
        self.endpoints = endpoints
        self.at_once = at_once or {}
        self.max_request_bytes = max_request_bytes
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["sdkg.arrived"] = time.monotonic()
        scope["app"] = self.app
        headers = scope["headers"]
        origin = accept_encoding = length = asked = None
        for name, value in headers:
            if name == b"content-length":
                length = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                asked = value
        if len(scope["query_string"]) > self.max_request_bytes:
            await self.refuse(scope, receive, send, self.too_large())
            return
        if len(scope.get("raw_path") or b"") + len(scope["query_string"]) > self.max_url_bytes:
            limit = self.max_url_bytes
            await self.refuse(scope, receive, send, UrlTooLong(f"request target too long: the limit is {limit} bytes"))
            return
        if length is not None and (not length.isdigit() or int(length) > self.max_request_bytes):
            await self.refuse(scope, receive, send, self.too_large())
            return
        if scope["method"] == "OPTIONS" and origin is not None and asked is not None:
            allowed = asked.upper() in (b"GET", b"HEAD", b"POST", b"OPTIONS")  # cross-origin writes: not offered
            body = b"OK" if allowed else b"Disallowed CORS method"
            headers = PREFLIGHT + [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200 if allowed else 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        received = 0
        started = False
        gzip_ok = accept_encoding is not None and b"gzip" in accept_encoding and scope["method"] != "HEAD"
        csp = not scope["path"].startswith(NO_CSP)
        held: Message | None = None

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_request_bytes:
                raise TooLarge()
            return message

        async def finished(message: Message) -> None:
            nonlocal started, held
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = decorate(list(message.get("headers", [])), csp)
                if gzip_ok and worth_compressing(message["headers"]):
                    held = message
                    return
            elif held is not None:
                start, held = held, None
                if not message.get("more_body"):
                    start["headers"], body = gzipped(start["headers"], message.get("body", b""))
                    message = {**message, "body": body}
                await send(start)
            await send(message)

        endpoint = self.endpoints.get(scope["path"])
        try:
            if endpoint is not None:
                await endpoint(scope, counted, finished)
            else:
                await self.app(scope, counted, finished)
        except TooLarge:
            if not started:
                await self.refuse(scope, receive, send, self.too_large())
        except Exception as error:
            if started:
                raise
            response = await handle(Request(scope, receive), error)
            await response(scope, receive, finished)

    def answer_now(self, scope: Scope) -> Whole | None:
        """The whole answer to a request that an endpoint of :attr:`at_once` answers without awaiting anything (a
        light query), with what :meth:`__call__` adds (CORS, compression, the one error answer); ``None``: the
        request goes the ASGI way (a request with a body, one to refuse, or one the endpoint leaves to it).
        The HTTP protocol calls it before it starts an ASGI task (:func:`.http.http_protocol`)."""
        endpoint = self.at_once.get(scope["path"])
        if endpoint is None or scope["method"] != "GET" or len(scope["query_string"]) > self.max_request_bytes:
            return None
        accept_encoding = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                return None
            if name == b"accept-encoding":
                accept_encoding = value
        scope["sdkg.arrived"] = time.monotonic()
        scope["app"] = self.app
        try:
            response = endpoint(scope)
        except Exception as error:
            response = handled(Request(scope), error)
        if response is None:
            return None
        headers, body = decorate(list(response.raw_headers), True), bytes(response.body)
        if accept_encoding is not None and b"gzip" in accept_encoding and worth_compressing(headers):
            headers, body = gzipped(headers, body)
        return response.status_code, headers, body

    def too_large(self) -> HttpError:
        return RequestTooLarge(f"request too large: the limit is {self.max_request_bytes} bytes")

    async def refuse(self, scope: Scope, receive: Receive, send: Send, error: HttpError) -> None:
        response = error_response(Request(scope, receive), as_http(error))
        response.headers["Connection"] = "close"
        response.raw_headers.extend(CORS)
        await response(scope, receive, send)


def decorate(headers: list[tuple[bytes, bytes]], csp: bool) -> list[tuple[bytes, bytes]]:
    """CORS on every answer; a Content-Security-Policy on HTML pages."""
    headers.extend(CORS)
    if csp:
        for name, value in headers:
            if name == b"content-type" and value.startswith(b"text/html"):
                headers.append((b"content-security-policy", CSP))
                break
    return headers


def gzipped(headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A whole body compressed, and its headers saying so."""
    body = gzip.compress(body, compresslevel=5, mtime=0)
    headers = [(k, v) for k, v in headers if k != b"content-length"] + [
        (b"content-length", str(len(body)).encode()),
        (b"content-encoding", b"gzip"),
        (b"vary", b"Accept-Encoding"),
    ]
    return headers, body


def worth_compressing(headers: list[tuple[bytes, bytes]]) -> bool:
    """A complete body of a compressible type between :data:`GZIP_MIN` and :data:`GZIP_MAX` bytes."""
    length = kind = None
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"content-type":
            kind = value
        elif name == b"content-encoding":
            return False
    return length is not None and GZIP_MIN <= length <= GZIP_MAX and kind is not None and kind.startswith(COMPRESSIBLE)
