"""Full-text search and type-ahead over the served build's search index (:mod:`sdkg.search`).

- ``/search?q=`` (HTML for browsers; JSON at ``/search.json`` or with ``format=json`` or an
  ``Accept`` that prefers JSON): ranked results with highlighted snippets, filtered by ``kind``,
  paged with ``page``;
- ``/search/suggest?q=``: type-ahead for the search box on every page: named entities (actors,
  cases, concepts, places, discourses, sources) whose names start with the typed words.

Every index call runs off the event loop within the server's time limit and row cap
(:func:`index_call`: a :class:`~sdkg.search.index.Budget`), is counted in ``/metrics`` like a
query, and fails by raising: a search that cannot be parsed is a 400 with a message, a build
without an index a 503 (:mod:`.errors`). Every query-string value is checked (:class:`Params`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..catalog import CannedQuery, CatalogError
from ..search.index import Budget, IndexUnavailable, SearchIndex, SearchPage
from ..search.schema import KIND_LABELS, KINDS
from ..search.syntax import MAX_LENGTH, SearchSyntaxError, parse
from ..search.values import MAX_HITS, bind_search
from .errors import BadRequest, as_http, prefers_html
from .finish import finish, get_and_head, respond_page, validators
from .render import local_href, render
from .state import state_of

router = APIRouter()
T = TypeVar("T")

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 500
SUGGESTIONS = 8
EXAMPLES = ("Libya", '"human security"', "intervention*", "Kosovo OR Rwanda", "humanitarian -Bosnia")


class Params:
    """The query string, checked: only known names, each at most ``repeat`` times, values within bounds."""

    def __init__(self, request: Request, known: dict[str, int]):
        self.items: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            if name not in known:
                raise BadRequest(f"unknown parameter {name!r} (parameters: {', '.join(known)})")
            values = self.items.setdefault(name, [])
            values.append(value)
            if len(values) > known[name]:
                raise BadRequest(f"parameter {name!r} is given more than {known[name]} time(s)")

    def text(self, name: str, max_length: int = MAX_LENGTH) -> str:
        value = self.items.get(name, [""])[0]
        if len(value) > max_length:
            raise BadRequest(f"parameter {name!r} is {len(value)} characters long; at most {max_length} are allowed")
        return value

    def all(self, name: str) -> list[str]:
        return self.items.get(name, [])

    def integer(self, name: str, default: int | None, lowest: int, highest: int) -> int | None:
        raw = self.items.get(name)
        if not raw or raw[0] == "":
            return default
        try:
            value = int(raw[0])
        except ValueError:
            raise BadRequest(f"parameter {name!r} must be a whole number, not {raw[0][:40]!r}") from None
        if not lowest <= value <= highest:
            raise BadRequest(f"parameter {name!r} must be between {lowest} and {highest}, not {value}")
        return value

    def choice(self, name: str, choices: Sequence[str], default: str | None = None) -> str | None:
        value = self.items.get(name, [default])[0]
        if value is not None and value not in choices:
            raise BadRequest(f"parameter {name!r} must be one of {', '.join(choices)}, not {value[:40]!r}")
        return value


def wants_json(request: Request, forced: bool, params: Params) -> bool:
    """JSON for ``.json`` paths, ``format=json`` and clients that rank JSON above HTML."""
    fmt = params.choice("format", ("html", "json"))
    if forced or fmt == "json":
        return True
    if fmt == "html":
        return False
    accept = request.headers.get("accept")
    return bool(accept) and not prefers_html(accept) and "json" in (accept or "")


async def index_call(request: Request, what: str, call: Callable[[SearchIndex, Budget], T]) -> T:
    """Run ``call`` on the served build's index in a thread, within the time limit and row cap, metered."""
    state = state_of(request)
    budget = Budget.of(state.settings.timeout, state.settings.max_rows)
    started = state.metrics.begin()
    status = 500
    try:
        index = state.search_index()
        result = await run_in_threadpool(call, index, budget)
        status = 200
        return result
    except Exception as error:
        status = as_http(error).status
        raise
    finally:
        state.metrics.end(started, status, None, False, "search", what)


async def json_answer(request: Request, make: Callable[[], Any], *key: object) -> Response:
    """A JSON answer with the served build's validators (304 when the client has it)."""
    cached, headers = validators(request, "json", request.url.path, request.url.query, *key)
    if cached is not None:
        return cached
    body = json.dumps(await make(), ensure_ascii=False).encode("utf-8")
    return finish(request, body, "application/json", headers)


SEARCH_PARAMETERS = {"q": 1, "kind": len(KINDS), "page": 1, "size": 1, "format": 1}


def documented(name: str, kind: str = "string", many: bool = False, **extra: Any) -> dict[str, Any]:
    """An OpenAPI query parameter."""
    schema: dict[str, Any] = {"type": kind, **extra}
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "schema": schema}


SEARCH_DOCS = [
    documented("q", maxLength=MAX_LENGTH),
    documented("kind", many=True, enum=list(KINDS)),
    documented("page", "integer", minimum=1, maximum=MAX_PAGE),
    documented("size", "integer", minimum=1, maximum=MAX_PAGE_SIZE),
    documented("format", enum=["html", "json"]),
]


@get_and_head(router, "/search", "Full-text search (HTML, or JSON by Accept or format=json)", SEARCH_DOCS)
async def search_page(request: Request) -> Response:
    return await search(request, False)


@get_and_head(router, "/search.json", "Full-text search as JSON", SEARCH_DOCS)
async def search_json(request: Request) -> Response:
    return await search(request, True)


async def search(request: Request, forced_json: bool) -> Response:
    params = Params(request, SEARCH_PARAMETERS)
    as_json = wants_json(request, forced_json, params)
    text = params.text("q").strip()
    kinds = params.all("kind")
    for kind in kinds:
        if kind not in KINDS:
            raise BadRequest(f"parameter 'kind' must be one of {', '.join(KINDS)}, not {kind[:40]!r}")
    chosen = tuple(k for k in KINDS if k in kinds) or KINDS
    size = params.integer("size", PAGE_SIZE, 1, MAX_PAGE_SIZE) or PAGE_SIZE
    page = params.integer("page", 1, 1, MAX_PAGE) or 1
    if as_json:
        if not text:
            raise BadRequest("give the words to search for: /search.json?q=words")

        async def answer() -> dict[str, Any]:
            found = await run_search(request, text, chosen, size, page)
            return {
                "query": text,
                "kinds": list(found.kinds),
                "total": found.total,
                "counts": found.counts,
                "page": page,
                "size": size,
                "results": [hit.as_json() for hit in found.hits],
            }

        return await json_answer(request, answer)

    async def html_page() -> Response:
        found, error = None, None
        if text:
            try:
                found = await run_search(request, text, chosen, size, page)
            except SearchSyntaxError as problem:
                error = f"Cannot search for that: {problem}."
        pages = math.ceil(found.total / size) if found else 0
        return render(
            request,
            "search.html",
            status_code=400 if error else 200,
            title=f"Search: {text}" if text else "Search",
            search_text=text,
            found=found,
            error=error,
            kinds=chosen if kinds else (),
            kind_labels=KIND_LABELS,
            all_kinds=KINDS,
            page=page,
            pages=pages,
            size=size,
            examples=EXAMPLES,
            href=lambda **changes: search_href(text, kinds, page, size, **changes),
        )

    return await respond_page(request, html_page)


async def run_search(request: Request, text: str, kinds: Sequence[str], size: int, page: int) -> SearchPage:
    search = parse(text)
    offset = (page - 1) * size
    return await index_call(
        request, f"search: {text}", lambda index, budget: index.search(search, budget, kinds, size, offset)
    )


def search_href(text: str, current_kinds: Sequence[str], current_page: int, size: int, **changes: Any) -> str:
    """A link to another page (``page=``) or kind (``kinds=``, back to page 1) of the same search."""
    kinds = changes.get("kinds", current_kinds)
    page = changes.get("page", 1 if "kinds" in changes else current_page)
    pairs: list[tuple[str, str]] = [("q", text)] + [("kind", k) for k in kinds]
    if page != 1:
        pairs.append(("page", str(page)))
    if size != PAGE_SIZE:
        pairs.append(("size", str(size)))
    return "/search?" + urlencode(pairs)


SUGGEST_PARAMETERS = {"q": 1, "limit": 1}


@get_and_head(
    router,
    "/search/suggest",
    "Type-ahead: entities whose names start so",
    [documented("q", maxLength=200), documented("limit", "integer", minimum=1, maximum=20)],
)
async def suggest(request: Request) -> Response:
    params = Params(request, SUGGEST_PARAMETERS)
    text = params.text("q", 200)
    limit = params.integer("limit", SUGGESTIONS, 1, 20) or SUGGESTIONS

    async def answer() -> dict[str, Any]:
        found = await index_call(request, f"suggest: {text}", lambda index, budget: index.suggest(text, budget, limit))
        return {
            "query": text,
            "suggestions": [{**s.as_json(), "href": local_href(s.iri), "label_html": s.label_html} for s in found],
        }

    return await json_answer(request, answer)


async def searched(
    request: Request,
    query: CannedQuery,
    bound: dict[str, Any],
    text: str,
    most: int = MAX_HITS,
    rows: int | None = None,
) -> tuple[str, bool]:
    """A catalog query's text with its search parameter run on the index (a ``VALUES`` block of the
    matching documents, :mod:`sdkg.search.values`), and whether the matches were cut; unchanged without one.
    ``rows``: how many of the answer's first rows a page needs (the best matches are then enough)."""
    parameter = next((p for p in query.parameters if p.kind == "search"), None)
    if parameter is None:
        return text, False
    if parameter.scope and parameter.scope not in KINDS:
        raise CatalogError(f"{query.path}: search scope {parameter.scope!r} is not one of {', '.join(KINDS)}")
    words = str(bound[parameter.name].value)
    return await index_call(
        request,
        f"search for {query.name}: {words}",
        lambda index, budget: bind_search(
            index, text, words, parameter.scope, parameter.hit_variable, budget, most, rows
        ),
    )


EXAMPLE_HITS = 50


async def searched_example(request: Request, query: CannedQuery, text: str) -> str:
    """An example for the query page: a search parameter's default searched (the first matches, marked so);
    without an index, the query's own fallback stays."""
    parameter = next((p for p in query.parameters if p.kind == "search"), None)
    if parameter is None:
        return text
    try:
        expanded, cut = await searched(request, query, {parameter.name: parameter.term()}, text, EXAMPLE_HITS)
    except (IndexUnavailable, SearchSyntaxError):  # no index, or a default that is no search: the fallback
        return text
    note = f"first {EXAMPLE_HITS} " if cut else ""
    comment = (
        f"# ?{parameter.hit_variable} and ?score: the {note}matches of the search index for {parameter.default}"
        f" (other words: /queries/{query.name}.json?{parameter.name}=...)\n"
    )
    return comment + expanded
