"""``/curation``: what a Wikidata curator should do next, for the served build.

Three lists: link coverage per kind (linked / linkable, as ``sdkg stats`` counts it), the linkable
entities without a Wikidata link with the candidate QIDs and notes their mapping-table rows give,
and the published links whose evidence is weak (:func:`sdkg.wikidata.weak_links`). The entities,
their kinds, labels, links and linkability come from the served store through the engine (the
query of :data:`sdkg.stats.ENTITY_KINDS`); the candidates and evidence come from the project's SSSOM
tables, read once per served build (:meth:`.state.ServerState.per_build`). HTML for browsers, JSON otherwise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..layout import ProjectLayout
from ..namespaces import WIKIDATA_ENTITY
from ..project import ProjectError
from ..sparql.engine import select
from ..stats import ENTITY_KINDS, KINDS, Linkage, coverage_table, linkage_of
from ..wikidata import MappingRow, read_mappings, weak_links
from .errors import prefers_html
from .finish import respond_page, server_made, validators
from .render import render
from .state import state_of

router = APIRouter()


@dataclass
class Unlinked:
    """A linkable entity without a Wikidata link, and what its mapping row says."""

    iri: str
    label: str
    kind: str
    candidates: list[str]
    note: str
    row: str
    """``table:line`` of its SSSOM row, or ``""`` when no table lists it (works)."""


@dataclass
class WeakLink:
    iri: str
    label: str
    kind: str
    item: str
    predicate: str
    why: str
    row: str


@dataclass
class Curation:
    coverage: list[list[str]]
    unlinked: list[Unlinked]
    weak: list[WeakLink]
    tables: bool
    """Whether the server has the project's mapping tables (not when it serves ``--data`` files)."""
    header: list[str] = field(default_factory=list)


def mapping_rows(root: Path) -> tuple[MappingRow, ...]:
    """The project's SSSOM rows (none when they cannot be read: the page then shows no candidates)."""
    try:
        return tuple(read_mappings(ProjectLayout.at(root)))
    except (OSError, ProjectError, ValueError):
        return ()


def qid_of(item: str) -> str:
    return item[len(WIKIDATA_ENTITY) :] if item.startswith(WIKIDATA_ENTITY) else item


def gather(entities: dict[str, Linkage], rows: tuple[MappingRow, ...], root: Path | None) -> Curation:
    """The three lists, from the store's entities and the tables' rows."""
    header, coverage = coverage_table(entities.values())
    by_subject = {row.subject_iri: row for row in rows if row.status != "suggestion"}

    def place(row: MappingRow) -> str:
        table = row.table.relative_to(root).as_posix() if root is not None and row.table.is_relative_to(root) else ""
        return f"{table or row.table.name}:{row.line}"

    order = {kind: index for index, (kind, _name) in enumerate(KINDS)}
    unlinked = []
    for iri, entity in entities.items():
        if entity.linkable and not entity.link:
            row = by_subject.get(iri)
            unlinked.append(
                Unlinked(
                    iri,
                    entity.label,
                    entity.kind,
                    row.candidates if row is not None else [],
                    row.reason if row is not None else "no row in the mapping tables",
                    place(row) if row is not None else "",
                )
            )
    unlinked.sort(key=lambda u: (order[u.kind], not u.candidates, u.label.casefold()))
    weak = []
    for row, why in weak_links(rows):
        linked = entities.get(row.subject_iri)
        if linked is None or not linked.link:
            continue  # a row of an entity the served build does not have
        weak.append(
            WeakLink(row.subject_iri, linked.label, linked.kind, qid_of(linked.item), linked.link, why, place(row))
        )
    weak.sort(key=lambda w: (order[w.kind], w.label.casefold()))
    return Curation(coverage, unlinked, weak, bool(rows), header)


@router.api_route(
    "/curation",
    methods=["GET", "HEAD"],
    summary="Wikidata curation: link coverage per kind, unlinked linkable entities with their candidates, weak links",
)
async def curation(request: Request) -> Response:
    state = state_of(request)

    async def made() -> Curation:
        with server_made("the curation query"):
            solutions = await select(state.engine, ENTITY_KINDS)
        entities = linkage_of({k: v["value"] for k, v in b.items()} for b in solutions)
        root = state.settings.root
        rows: tuple[MappingRow, ...] = ()
        if root is not None:
            rows = await state.per_build("mapping tables", lambda: run_in_threadpool(mapping_rows, root))
        return gather(entities, rows, root)

    if not prefers_html(request.headers.get("accept")):
        cached, headers = validators(request, "curation.json")
        if cached is not None:
            return cached
        found = await made()
        return JSONResponse(
            {
                "coverage": [dict(zip(found.header, row, strict=True)) for row in found.coverage],
                "unlinked": [asdict(u) for u in found.unlinked],
                "weak": [asdict(w) for w in found.weak],
            },
            headers={"Vary": "Accept", **headers},
        )

    async def page() -> Response:
        found = await made()
        return render(request, "curation.html", headers={"Vary": "Accept"}, title="Wikidata curation", c=found)

    return await respond_page(request, page)
