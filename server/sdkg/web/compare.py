"""Side by side: what each source says about a case, an actor, a concept or a place (``/compare``), and the
three discourses of security, question by question (``/compare/discourses``).

The entity is named the way a catalog parameter is (:mod:`sdkg.catalog.parameters`): a path
(``case/rwandan-genocide``), a prefixed name, an IRI or an exact label; one that names nothing is a
400 that says so and what comes close. The pages are read-only and run their queries on the served
engine (the same deadline and row cap as ``/sparql``), finished by :func:`.finish.respond_page`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..catalog.parameters import Kind, ParameterError, curie, name_entity
from ..namespaces import ID
from ..sparql.engine import Engine, select
from .describe import ENTITY_PATH, PREFIX_HEADER, Term, shown_term
from .errors import BadRequest
from .finish import respond_page
from .profiles import (
    DiscourseRelation,
    ProfileAspect,
    ShowsLink,
    adherents,
    claims_by_source,
    discourse_profile,
    shows,
)
from .reasons import reasons_about
from .render import render
from .state import state_of

router = APIRouter()

COMPARABLE = ("case", "actor", "concept", "place")
ANY_ENTITY = Kind("entity", ID, "case, actor, concept or place")

SHARED = (
    PREFIX_HEADER
    + """SELECT ?entity (SAMPLE(?label_) AS ?label) (COUNT(DISTINCT ?source) AS ?sources) WHERE {
    ?claim sdkg:aboutCase|sdkg:mentionsActor|sdkg:usesConcept ?entity .
    ?asc sdkg:ascribes ?claim ; sdkg:inSource ?source .
    ?entity rdfs:label ?label_ .
} GROUP BY ?entity HAVING (COUNT(DISTINCT ?source) > 1) ORDER BY LCASE(STR(?label))"""
)

CHOICES = (
    PREFIX_HEADER
    + """SELECT ?entity (SAMPLE(?label_) AS ?label) WHERE {
    ?claim sdkg:aboutCase|sdkg:mentionsActor|sdkg:usesConcept ?entity .
    ?entity rdfs:label ?label_ .
} GROUP BY ?entity ORDER BY LCASE(STR(?label)) LIMIT 5000"""
)

DISCOURSES = (
    PREFIX_HEADER
    + """SELECT ?discourse (SAMPLE(?label_) AS ?label) WHERE {
    ?discourse a sdkg:Discourse ; rdfs:label ?label_ .
} GROUP BY ?discourse ORDER BY ?discourse"""
)


def only(request: Request, *allowed: str) -> dict[str, str]:
    """The query string's values, each once; anything else is a 400 naming it."""
    values: dict[str, str] = {}
    for name, given in request.query_params.multi_items():
        if name not in allowed:
            expected = ", ".join(allowed) or "none"
            raise BadRequest(f"unknown parameter {name!r} (this page takes: {expected})")
        if name in values:
            raise BadRequest(f"parameter {name!r} is given twice")
        values[name] = given
    return values


async def entity_named(engine: Engine, given: str) -> str:
    """The IRI of the case, actor, concept or place that ``given`` names (a path, prefixed name, IRI or label)."""
    text = given.strip()
    if ENTITY_PATH.fullmatch(text.strip("/")):
        text = ID + text.strip("/")
    try:
        node = await name_entity(engine, text, ANY_ENTITY, "entity", "case:rwandan-genocide")
    except ParameterError as error:
        raise BadRequest(str(error)) from None
    kind = node.value[len(ID) :].split("/", 1)[0] if node.value.startswith(ID) else ""
    if kind not in COMPARABLE:
        raise BadRequest(
            f"entity={given}: {curie(node.value)} is not a case, an actor, a concept or a place;"
            " the comparison shows what each source says about one of those"
        )
    return node.value


@router.api_route("/compare", methods=["GET", "HEAD"], summary="What each source says about a case, actor or concept")
async def compare(request: Request) -> Response:
    params = only(request, "entity")
    engine = state_of(request).engine

    async def page() -> Response:
        choices = [shown_term(r, "entity", "label") for r in await select(engine, CHOICES)]
        shared = [shown_term(r, "entity", "label") for r in await select(engine, SHARED)]
        given = params.get("entity")
        if given is None:
            return render(request, "compare.html", title="Compare the sources", choices=choices, shared=shared)
        iri = await entity_named(engine, given)
        label_rows = await select(
            engine, PREFIX_HEADER + "SELECT ?label WHERE { ?e rdfs:label ?label } LIMIT 1", {"e": ox.NamedNode(iri)}
        )
        label = label_rows[0]["label"]["value"] if label_rows else curie(iri)
        comparison = await claims_by_source(engine, iri)
        return render(
            request,
            "compare.html",
            title=f"Compare: {label}",
            choices=choices,
            shared=shared,
            entity=Term("uri", iri, label),
            path=iri[len(ID) :],
            given=given,
            comparison=comparison,
        )

    return await respond_page(request, page)


TEXT_ORDER = ["realist", "pluralist", "critical"]
"""The order in which Dunne and Wheeler set out the discourses."""


def text_order(iri: str) -> tuple[int, str]:
    name = iri.rsplit("/", 1)[-1]
    return (TEXT_ORDER.index(name) if name in TEXT_ORDER else len(TEXT_ORDER), name)


@dataclass
class DiscourseColumn:
    discourse: Term
    aspects: dict[str, ProfileAspect] = field(default_factory=dict)
    proponents: list[DiscourseRelation] = field(default_factory=list)
    critics: list[DiscourseRelation] = field(default_factory=list)
    shows: list[ShowsLink] = field(default_factory=list)


@router.api_route(
    "/compare/discourses", methods=["GET", "HEAD"], summary="The three discourses of security side by side"
)
async def compare_discourses(request: Request) -> Response:
    only(request)
    engine = state_of(request).engine

    async def page() -> Response:
        columns: list[DiscourseColumn] = []
        aspect_order: list[Term] = []
        for row in sorted(await select(engine, DISCOURSES), key=lambda r: text_order(r["discourse"]["value"])):
            discourse = shown_term(row, "discourse", "label")
            assert discourse is not None
            column = DiscourseColumn(discourse)
            for aspect in await discourse_profile(engine, discourse.value):
                column.aspects[aspect.aspect.value] = aspect
                if all(a.value != aspect.aspect.value for a in aspect_order):
                    aspect_order.append(aspect.aspect)
            reasons = await reasons_about(engine, discourse.value)
            sides = adherents(reasons, discourse.value)
            column.proponents, column.critics = sides["proponents"], sides["critics"]
            column.shows = [
                s
                for s in await shows(engine, discourse.value)
                if s.discourse == discourse or (s.discourse is not None and s.discourse.value == discourse.value)
            ]
            columns.append(column)
        return render(
            request,
            "compare_discourses.html",
            title="The three discourses of security",
            columns=columns,
            aspects=aspect_order,
        )

    return await respond_page(request, page)
