"""HTML rendering for the human-facing pages: one Jinja2 environment, autoescaped.

Every page shares the layout in ``templates/base.html``; IRIs in the project's
namespaces are shown as links to this server, so browsing works on a local copy
as well as behind https://w3id.org/sdkg/.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..namespaces import ID, ONTOLOGY_IRI, PREFIXES, SDKG, WIKIDATA_ENTITY

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


LINKABLE = ("http://", "https://")


def local_href(iri: str) -> str:
    """Where an IRI is browsed: our entities and ontology terms here, other http(s) IRIs as themselves, and
    nothing (``""``: not a link) for any other scheme (``javascript:``, ``data:``, ``file:`` …)."""
    if iri.startswith(ID):
        return "/id/" + iri[len(ID) :]
    if iri.startswith(SDKG):
        return "/ontology#" + iri[len(SDKG) :]
    if iri == ONTOLOGY_IRI or iri.startswith(ONTOLOGY_IRI + "/"):
        return "/ontology"
    return iri if iri.lower().startswith(LINKABLE) else ""


def wikidata_page(iri: str) -> str:
    """The human page of a Wikidata entity IRI (``/entity/Q1`` → ``/wiki/Q1``)."""
    if iri.startswith(WIKIDATA_ENTITY):
        return "https://www.wikidata.org/wiki/" + iri[len(WIKIDATA_ENTITY) :]
    return local_href(iri)


def curie(iri: str) -> str:
    """A prefixed name when a known prefix fits, else the IRI."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = local_href
    env.filters["curie"] = curie
    env.filters["wikidata"] = wikidata_page
    return env


_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)


def with_site_bar(html: str) -> str:
    """Put the site's navigation at the top of a page made elsewhere (the pyLODE documentation)."""
    bar = environment().get_template("sitebar.html").render()
    match = _BODY.search(html)
    return html[: match.end()] + bar + html[match.end() :] if match else html


def render(
    request: Request, template: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """Render ``template`` inside the site layout."""
    title = request.app.state.server.settings.title  # the app's ServerState (not imported: it imports this module)
    html = environment().get_template(template).render(request_path=request.url.path, site_title=title, **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)
