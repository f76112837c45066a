"""The query page at ``/``: YASGUI with the query catalog as titled examples, its static files, and
the API documentation at ``/docs`` (Swagger UI over ``/openapi.json``).

Everything these pages load comes from ``/static/`` (vendored YASGUI, Chart.js, Cytoscape.js and
Swagger UI, see static/VENDORED.md); nothing from a CDN, so they work offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from ..catalog import CannedQuery, CatalogError
from ..catalog.parameters import curie, kind_of
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


def catalog_examples(catalog: Iterable[CannedQuery]) -> list[dict[str, object]]:
    """The catalog as examples for the page; each parameter with what its form field needs (the term the
    example's ``VALUES`` line holds, so that the form can put another one in its place)."""
    return [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "question": q.question,
            "query": example_text(q),
            "parameters": [
                {
                    "name": p.name,
                    "description": p.description,
                    "kind": kind_of(p).name,
                    "noun": kind_of(p).noun,
                    "term": str(p.term()),
                    "default": curie(p.term().value) if kind_of(p).name == "entity" else p.term().value,
                    "resolve": f"/queries/{q.name}/parameters/{p.name}",
                }
                for p in q.parameters
            ],
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
            query = catalog[str(example["name"])]
            example["query"] = await searched_example(request, query, str(example["query"]))
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


@router.get("/docs", include_in_schema=False)
async def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from the vendored copy; no validator badge (it would call validator.swagger.io)."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title}: API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    )
