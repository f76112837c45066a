"""The one error path: every failure becomes an :class:`HttpError` in :func:`as_http`, and one handler
renders it, as JSON for programs or as an HTML page for browsers (by ``Accept``).

Routes do not catch errors to answer them: they raise. Engine-neutral query errors
(:mod:`sdkg.sparql.errors`), admin change errors (:mod:`sdkg.build.changes`), unreadable
project files and catalog files, reconciliation requests the protocol does not allow
(:class:`sdkg.reconcile.InvalidRequest`) are mapped to a status here and nowhere else. A route that
wants another status for a known error translates its meaning first (a malformed *catalog*
query is the server's fault: :mod:`.canned` raises a 500 for it).
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from ..build.changes import ChangeError, ChangeRefused, ChangeTooLarge, InvalidChange, NoSuchGraph
from ..catalog import CatalogError
from ..catalog.parameters import ParameterError
from ..project import ProjectError
from ..reconcile import InvalidRequest
from ..search.explore import SelectionError
from ..search.index import IndexUnavailable
from ..search.syntax import SearchSyntaxError
from ..sparql.dataset import DatasetError
from ..sparql.errors import (
    AnswerTooLarge,
    EngineBusy,
    MalformedQuery,
    MemoryCapExceeded,
    NotAcceptable,
    QueryError,
    QueryFailed,
    QueryTimeout,
    Refused,
    StoreCorrupted,
    Unverifiable,
    UpstreamFailed,
    WorkerFailed,
)
from ..sparql.negotiation import matches, parse_accept, specificity
from .render import render

log = logging.getLogger("sdkg.server")


class HttpError(Exception):
    """An answer other than success: a status, a message a client can act on, headers and extra JSON fields."""

    status = 500

    def __init__(self, message: str, status: int | None = None, headers: dict[str, str] | None = None, **extra: object):
        super().__init__(message)
        self.message = message
        self.status = status if status is not None else type(self).status
        self.headers = headers or {}
        self.extra = extra


class BadRequest(HttpError):
    status = 400


class Unauthorized(HttpError):
    status = 401


class Forbidden(HttpError):
    status = 403


class NotFound(HttpError):
    status = 404


class RequestTooLarge(HttpError):
    status = 413


class UrlTooLong(HttpError):
    status = 414


FAMILIES: tuple[type[Exception], ...] = (
    HttpError,
    QueryError,
    ChangeError,
    ProjectError,
    CatalogError,
    ParameterError,
    InvalidRequest,
    SearchSyntaxError,
    SelectionError,
    IndexUnavailable,
)
"""The exception classes the handler answers; anything else is a bug (a 500 with no detail)."""


def as_http(error: Exception) -> HttpError:
    """The HTTP answer to an error: the one place where a status is chosen."""
    match error:
        case HttpError():
            return error
        case Unverifiable():  # before Refused, which it is a kind of
            return BadRequest(str(error))
        case Refused():
            return Forbidden(str(error))
        case MalformedQuery():
            return BadRequest(f"malformed query: {error}")
        case NotAcceptable():
            return HttpError(str(error), 406, supported=list(error.offered))
        case QueryTimeout():
            return HttpError(f"query timed out: {error}", 504, timeout=error.seconds)
        case EngineBusy():
            return HttpError(str(error), 503, {"Retry-After": "1"})
        case WorkerFailed():
            return HttpError(str(error), 503)
        case UpstreamFailed():
            return HttpError(error.public, 502)
        case MemoryCapExceeded() | AnswerTooLarge() | ChangeTooLarge():
            return HttpError(str(error), 507)
        case StoreCorrupted():
            return HttpError("the store failed an integrity check; the server's operator has been told", 500)
        case QueryFailed():
            return BadRequest(f"query failed: {error}")
        case DatasetError() | InvalidChange() | InvalidRequest():
            return BadRequest(str(error))
        case ChangeRefused():
            return HttpError(str(error), 422, report=json.loads(error.report.json()))
        case NoSuchGraph():
            return NotFound(str(error))
        case ParameterError():
            return BadRequest(str(error))
        case ProjectError():
            return HttpError(f"cannot read the project: {error}", 500)
        case CatalogError():
            return HttpError(f"the query catalog cannot be read: {error}", 500)
        case SearchSyntaxError():
            return BadRequest(f"cannot search for that: {error}")
        case SelectionError():
            return BadRequest(str(error))
        case IndexUnavailable():
            return HttpError(str(error), 503)
    return HttpError("internal error", 500)


def prefers_html(accept: str | None) -> bool:
    """Whether the client ranks HTML above JSON (browsers do; curl, YASGUI and API clients do not)."""
    ranges = parse_accept(accept)

    def quality(media_type: str) -> float:
        fitting = [(specificity(r), -order, q) for r, q, order in ranges if matches(r, media_type)]
        return max(fitting)[2] if fitting else 0.0

    return quality("text/html") > quality("application/sparql-results+json")  # application/json is an alias


def error_response(request: Request, error: HttpError) -> Response:
    """The error as an HTML page or as ``{"error": message, "status": status, ...}``."""
    if prefers_html(request.headers.get("accept")):
        title = {404: "Not found", 503: "Unavailable", 504: "Too slow"}.get(error.status, f"Error {error.status}")
        return render(
            request, "error.html", status_code=error.status, headers=error.headers, title=title, message=error.message
        )
    body = {"error": error.message, "status": error.status, **error.extra}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


async def handle(request: Request, error: Exception) -> Response:
    """The one exception handler, registered for every family of :data:`FAMILIES`; a server-side failure is
    logged with its detail (the client gets a message without it)."""
    return handled(request, error)


def handled(request: Request, error: Exception) -> Response:
    """:func:`handle`'s answer, made without an event loop turn (the light queries' path,
    :meth:`.front.Front.answer_now`, uses it)."""
    answer = as_http(error)
    if answer.status >= 500 and answer is not error:
        log.warning(
            "%d for %s %s: %s: %s", answer.status, request.method, request.url.path, type(error).__name__, error
        )
    return error_response(request, answer)


def install(app: FastAPI) -> None:
    for family in FAMILIES:
        app.add_exception_handler(family, handle)
