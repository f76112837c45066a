"""The query page at ``/``: YASGUI with the query catalog as titled examples, and its static files.

Everything the page loads comes from ``/static/`` (vendored YASGUI, Chart.js and
Cytoscape.js, see static/VENDORED.md); nothing from a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from ..catalog import CannedQuery, CatalogError
from ..namespaces import PREFIXES
from ..sparql.bindings import insert_values
from .errors import NotFound
from .finish import respond_page
from .render import STATIC, render
from .search_routes import searched_example
from .state import state_of

router = APIRouter()

STATIC_MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
}


def example_text(query: CannedQuery) -> str:
    """The query as the editor shows it: parameters get their defaults in a ``VALUES`` block
    at the top of the WHERE clause, so the example runs as is and the value is easy to change."""
    if not query.parameters:
        return query.text
    lines = []
    for parameter in query.parameters:
        note = f"  # parameter: {parameter.description}" if parameter.description else "  # parameter"
        lines.append(f"\n    VALUES ?{parameter.name} {{ {parameter.term()} }}{note}")
    return insert_values(query.text, "".join(lines))


def catalog_examples(catalog: Iterable[CannedQuery]) -> list[dict[str, str]]:
    """The catalog as examples for the page."""
    return [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "question": q.question,
            "query": example_text(q),
        }
        for q in catalog
    ]


def script_json(data: object) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


@router.api_route("/", methods=["GET", "HEAD"], summary="The query page (YASGUI)")
async def home(request: Request) -> Response:
    async def page() -> Response:
        try:
            catalog = state_of(request).catalog()
            examples, catalog_error = catalog_examples(catalog.values()), None
        except CatalogError as error:
            examples, catalog_error = [], str(error)
        for example in examples:  # a search parameter's default, searched: the example runs as is
            example["query"] = await searched_example(request, catalog[example["name"]], example["query"])
        config = {"examples": examples, "prefixes": PREFIXES}
        return render(
            request,
            "query.html",
            title="Query",
            examples=examples,
            catalog_error=catalog_error,
            config_json=script_json(config),
        )

    return await respond_page(request, page)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def static(path: str) -> Response:
    """A file under ``static/``, and nothing outside it."""
    root = STATIC.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFound(f"no static file {path!r}")
    media_type = STATIC_MEDIA.get(target.suffix)
    if media_type and media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return FileResponse(target, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})
