"""The claim explorer at ``/explore``: facets, text search, cards, keyset pages, downloads and citations.

- ``/explore``: claim cards (a claim as one source ascribes it: label, paraphrase, holder,
  reporter, stance, source, the quote in context) filtered by any of the facets (``source``,
  ``discourse``, ``stance``, ``holder``, ``reporter``, ``case``, ``actor``, ``concept``, ``link``;
  repeat a facet for alternatives) and by text (``q``, the search syntax of ``/search``), in
  reading order, paged with ``after`` / ``before`` (a card's number: keyset paging) and ``size``;
  ``more=FACET`` lists all of a facet's values. The URL is the whole state: a permalink.
- ``/explore.json`` and ``/explore.csv``: the whole selection (up to the row cap, and saying so).
- ``/cite/ascription/{slug}.txt``, ``.bib``, ``.json``: a card's citation as text, and its source as
  BibTeX and CSL-JSON, with the passage and its offsets.

Everything is read from the served build's search index (:mod:`sdkg.search.explore`) through
:func:`.search_routes.index_call`: in a thread, within the time limit and row cap, metered.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..namespaces import ID
from ..search import cite
from ..search.explore import MAX_PAGE, MAX_VALUES_PER_FACET, ExplorePage, Explorer, Selection, explorer_of
from ..search.index import Budget, SearchIndex
from ..search.schema import FACET_NAMES, FACETS
from ..search.syntax import SearchSyntaxError, parse
from .errors import BadRequest, NotFound
from .finish import ROW_LIMIT, TRUNCATED, finish, get_and_head, respond_page, validators
from .render import render
from .search_routes import Params, documented, index_call
from .state import state_of

router = APIRouter()

PAGE_SIZE = 20
MAX_CURSOR = 2**31
EXPLORE_PARAMETERS = {
    "q": 1,
    "after": 1,
    "before": 1,
    "size": 1,
    "more": len(FACETS),
    **{name: MAX_VALUES_PER_FACET for name in FACET_NAMES},
}
DOWNLOAD_PARAMETERS = {"q": 1, **{name: MAX_VALUES_PER_FACET for name in FACET_NAMES}}
FACET_DOCS = [documented("q", maxLength=500)] + [documented(name, many=True, maxLength=300) for name in FACET_NAMES]
EXPLORE_DOCS = FACET_DOCS + [
    documented("after", "integer", minimum=0),
    documented("before", "integer", minimum=1),
    documented("size", "integer", minimum=1, maximum=MAX_PAGE),
    documented("more", many=True, enum=list(FACET_NAMES)),
]
CSV_COLUMNS = (
    "claim",
    "label",
    "paraphrase",
    "ascription",
    "holder",
    "holder_label",
    "reporter",
    "reporter_label",
    "stance",
    "source",
    "source_label",
    "passages",
    "offsets",
    "quote",
    "cases",
    "discourses",
    "links",
)


@dataclass(frozen=True)
class ExploreState:
    """What an explorer URL says: the text, the facet values (in the order given), the cursor and size."""

    text: str = ""
    pairs: tuple[tuple[str, str], ...] = ()
    after: int | None = None
    before: int | None = None
    size: int = PAGE_SIZE
    more: tuple[str, ...] = ()

    @classmethod
    def read(cls, params: Params, paging: bool = True) -> ExploreState:
        pairs: list[tuple[str, str]] = []
        for name in FACET_NAMES:
            for key in params.all(name):
                if len(key) > 300:
                    raise BadRequest(f"the value of {name!r} is {len(key)} characters long; at most 300 are allowed")
                if (name, key) not in pairs:
                    pairs.append((name, key))
        text = params.text("q").strip()
        if not paging:
            return cls(text, tuple(pairs))
        after = params.integer("after", None, 0, MAX_CURSOR)
        before = params.integer("before", None, 1, MAX_CURSOR)
        if after is not None and before is not None:
            raise BadRequest("give 'after' or 'before', not both")
        more = params.all("more")
        for name in more:
            if name not in FACET_NAMES:
                raise BadRequest(f"parameter 'more' must name a facet ({', '.join(FACET_NAMES)}), not {name[:40]!r}")
        size = params.integer("size", PAGE_SIZE, 1, MAX_PAGE) or PAGE_SIZE
        return cls(text, tuple(pairs), after, before, size, tuple(dict.fromkeys(more)))

    def query(self, paging: bool = True) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = [("q", self.text)] if self.text else []
        items += [(name, key) for name in FACET_NAMES for facet, key in self.pairs if facet == name]
        if paging:
            items += [("more", name) for name in self.more]
            if self.size != PAGE_SIZE:
                items.append(("size", str(self.size)))
            if self.after is not None:
                items.append(("after", str(self.after)))
            if self.before is not None:
                items.append(("before", str(self.before)))
        return items

    def url(self, path: str = "/explore", paging: bool = True) -> str:
        query = urlencode(self.query(paging), safe="/:")
        return path + ("?" + query if query else "")

    def first_page(self) -> ExploreState:
        return replace(self, after=None, before=None)

    def toggled(self, facet: str, key: str) -> str:
        pairs = tuple(p for p in self.pairs if p != (facet, key))
        if len(pairs) == len(self.pairs):
            pairs += ((facet, key),)
        return replace(self.first_page(), pairs=pairs).url()

    def expanded(self, facet: str) -> str:
        more = tuple(m for m in self.more if m != facet) if facet in self.more else (*self.more, facet)
        return replace(self, more=more).url()

    def without_text(self) -> str:
        return replace(self.first_page(), text="").url()

    def cleared(self) -> str:
        return ExploreState(size=self.size).url()

    def after_row(self, row: int) -> str:
        return replace(self, after=row, before=None).url()

    def before_row(self, row: int) -> str:
        return replace(self, before=row, after=None).url()


def selection_of(explorer: Explorer, state: ExploreState) -> Selection:
    search = parse(state.text) if state.text else None
    return explorer.select(state.pairs, search)


def cite_links(card: dict[str, Any]) -> dict[str, str]:
    path = cite.ascription_path(card["ascription"])
    if path is None:
        return {}
    return {ext: f"/cite/{path}.{ext}" for ext in ("txt", "bib", "json")}


def with_citation(card: dict[str, Any], explorer: Explorer) -> dict[str, Any]:
    """The card with its citation text and links, as the page and the JSON download show it."""
    source = explorer.sources.get((card.get("source") or {}).get("value", ""))
    return {**card, "citation": cite.text(card, source), "cite": cite_links(card)}


@get_and_head(router, "/explore", "The claim explorer: facets, text search, cards", EXPLORE_DOCS)
async def explore(request: Request) -> Response:
    params = Params(request, EXPLORE_PARAMETERS)
    state = ExploreState.read(params)

    # the page is built in one thread: the selection, the counts, the page of cards
    def work(index: SearchIndex, budget: Budget) -> tuple[ExplorePage | None, str | None, Explorer]:
        explorer = explorer_of(index)
        try:
            selection = selection_of(explorer, state)
        except SearchSyntaxError as problem:
            return None, f"Cannot search for that: {problem}.", explorer
        page = explorer.explore(selection, budget, state.after, state.before, state.size, state.more)
        page.cards = [with_citation(card, explorer) for card in page.cards]
        return page, None, explorer

    async def html_page() -> Response:
        page, error, explorer = await index_call(request, f"explore: {state.url()}", work)
        chips = [
            (facet, explorer.by_key[(facet, key)].label, state.toggled(facet, key))
            for facet, key in state.pairs
            if (facet, key) in explorer.by_key
        ]
        headings = {f.name: f.heading for f in FACETS}
        return render(
            request,
            "explore.html",
            status_code=400 if error else 200,
            title="Explore the claims",
            explore=state,
            page=page,
            error=error,
            chips=chips,
            headings=headings,
            explore_text=state.text,
            downloads={ext: state.url(f"/explore.{ext}", paging=False) for ext in ("csv", "json")},
        )

    return await respond_page(request, html_page)


async def whole_selection(request: Request, state: ExploreState) -> tuple[list[dict[str, Any]], bool, Explorer, int]:
    """Every card of the selection up to the row cap (with citations), whether it was cut, and the total."""

    def work(index: SearchIndex, budget: Budget) -> tuple[list[dict[str, Any]], bool, Explorer, int]:
        explorer = explorer_of(index)
        selection = selection_of(explorer, state)
        rows, cut, total = explorer.all_rows(selection, budget)
        cards = [with_citation(card, explorer) for card in explorer.cards(rows, budget)]
        return cards, cut, explorer, total

    return await index_call(request, f"explore download: {state.url()}", work)


def download_headers(request: Request, cut: bool, name: str) -> dict[str, str]:
    max_rows = state_of(request).settings.max_rows
    headers = {TRUNCATED: "true" if cut else "false", "Content-Disposition": f'inline; filename="{name}"'}
    if max_rows is not None:
        headers[ROW_LIMIT] = str(max_rows)
    return headers


@get_and_head(router, "/explore.json", "The explorer's selection as JSON", FACET_DOCS)
async def explore_json(request: Request) -> Response:
    state = ExploreState.read(Params(request, DOWNLOAD_PARAMETERS), paging=False)
    cached, headers = validators(request, "explore.json", request.url.query)
    if cached is not None:
        return cached
    cards, cut, _explorer, total = await whole_selection(request, state)
    body = {
        "selection": {"q": state.text, **{name: [k for f, k in state.pairs if f == name] for name in FACET_NAMES}},
        "total": total,
        "truncated": cut,
        "permalink": state.url(),
        "claims": cards,
    }
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return finish(request, data, "application/json", {**headers, **download_headers(request, cut, "claims.json")})


def csv_row(card: dict[str, Any]) -> list[str]:
    holders = card.get("holders") or []
    reporters = card.get("reporters") or []
    source = card.get("source") or {}
    stance = card.get("stance") or {}
    passages = card.get("passages") or []
    return [
        card["claim"],
        card.get("label") or "",
        card.get("paraphrase") or "",
        card["ascription"],
        " | ".join(h["value"] for h in holders),
        " | ".join(h.get("label") or "" for h in holders),
        " | ".join(r["value"] for r in reporters),
        " | ".join(r.get("label") or "" for r in reporters),
        stance.get("label") or "",
        source.get("value") or "",
        source.get("label") or "",
        " | ".join(p["passage"] for p in passages),
        " | ".join(f"{p['start']}-{p['end']}" for p in passages if p.get("start") is not None),
        " | ".join(p["exact"] for p in passages),
        " | ".join(c.get("label") or c["value"] for c in card.get("cases") or []),
        " | ".join(f"{d['relation']} {d.get('label') or d['value']}" for d in card.get("discourses") or []),
        " | ".join(card.get("links") or []),
    ]


@get_and_head(router, "/explore.csv", "The explorer's selection as CSV", FACET_DOCS)
async def explore_csv(request: Request) -> Response:
    state = ExploreState.read(Params(request, DOWNLOAD_PARAMETERS), paging=False)
    cached, headers = validators(request, "explore.csv", request.url.query)
    if cached is not None:
        return cached
    cards, cut, _explorer, _total = await whole_selection(request, state)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(card) for card in cards)
    data = out.getvalue().encode("utf-8")
    return finish(request, data, "text/csv; charset=utf-8", {**headers, **download_headers(request, cut, "claims.csv")})


CITE_FORMATS = {
    "txt": "text/plain; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json",
}


@router.get("/cite/ascription/{file}", summary="Cite a claim card: .txt, .bib (BibTeX), .json (CSL-JSON)")
@router.head("/cite/ascription/{file}", include_in_schema=False)
async def cite_card(request: Request, file: str) -> Response:
    name, _, extension = file.rpartition(".")
    if not name or extension not in CITE_FORMATS:
        raise NotFound(f"no such citation {file!r}: use /cite/ascription/{{slug}}.txt, .bib or .json")
    if request.query_params:
        raise BadRequest("a citation takes no parameters")
    iri = ID + "ascription/" + name
    cached, headers = validators(request, "cite", iri, extension)
    if cached is not None:
        return cached

    def work(index: SearchIndex, budget: Budget) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        explorer = explorer_of(index)
        card = explorer.card_of(iri, budget)
        source = explorer.sources.get((card.get("source") or {}).get("value", "")) if card else None
        return card, source

    card, source = await index_call(request, f"cite: {iri}", work)
    if card is None:
        raise NotFound(f"no claim card for {iri}")
    if extension == "txt":
        body = cite.text(card, source) + "\n"
    elif source is None:
        raise NotFound(f"{iri} names no source to cite")
    elif extension == "bib":
        body = cite.bibtex(card, source)
    else:
        body = cite.csl_json(card, source)
    disposition = {"Content-Disposition": f'inline; filename="{name}.{extension}"'}
    return finish(request, body.encode("utf-8"), CITE_FORMATS[extension], {**headers, **disposition})
