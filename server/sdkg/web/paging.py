"""Pages of a canned query's solutions: ``/queries/{name}.json?page=2&size=100`` (and the HTML page).

A page is the query with ``LIMIT size+1 OFFSET (page-1)*size`` appended, answered with a row cap
of ``size``: the engine stops after the first row past the page, so an unordered query (no
``ORDER BY``, no ``GROUP BY``) reads no more of the store than the pages up to this one, and an
ordered one sorts once per request (Oxigraph must see every row before the first one it sorts).
Whether that extra row existed is what the answer's ``truncated`` says: the page then links to
the next one (``Link: <…>; rel="next"``) and its ``X-SDKG-Truncated`` header is ``false``,
because the page boundary, not the row cap, ended it. A page cut by the byte cap, or a search
parameter that matched more documents than the cap lets through, still says ``true``.

A listing whose rows the build numbers (``# page-by: rowNumber``, :class:`sdkg.catalog.CannedQuery`)
is paged by those numbers instead: page N of size S binds ``?rowNumber`` to N·S-S+1 … N·S+1 with a
``VALUES`` block at the top of the WHERE group, so the engine starts from the rows of the page and
joins the rest of each row to them; nothing is sorted but the page (keyset paging: a page is the
same rows however many pages came before it). At 19M triples the first page of
``reported-positions`` went from over 20 s to about 20 ms (bench/README.md). A page of
:data:`MOST_LOOKED_UP` numbers or more (and a whole answer, read up to the row cap) filters its
numbers instead of binding them: Oxigraph plans a longer ``VALUES`` block badly.

The order is the query's: its ``ORDER BY``, or, without one, the order Oxigraph evaluates it in,
which is the same on every request to one build (the ETag is the build's); a new build may
order an unordered query differently. ``page`` and ``size`` are reserved: no catalog query may
declare a parameter of either name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import Request

from ..sparql.bindings import insert_values, values_rows
from ..sparql.job import QueryOutput
from ..sparql.tokens import code
from .errors import BadRequest
from .finish import TRUNCATED

PAGE, SIZE = "page", "size"
RESERVED = (PAGE, SIZE)
DEFAULT_SIZE = 100
LAST_PAGE = 1_000_000
"""No page past this (an OFFSET of up to a billion rows is not a listing anyone reads)."""
MOST_LOOKED_UP = 1000
"""The most row numbers a page binds in a ``VALUES`` block (a longer page filters the numbers instead)."""
SOLUTION_MODIFIERS = frozenset({"LIMIT", "OFFSET", "VALUES"})
"""Words after the WHERE group that leave no place for the page's ``LIMIT``."""


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    by: str = ""
    """The variable that numbers the query's rows (``rowNumber``), or empty: cut with ``OFFSET``."""

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        """The number of the last row this page reads: the row after its own last, which tells whether a next
        page exists (so also how many of the answer's first rows it needs)."""
        return self.number * self.size + 1

    def query(self, text: str, binds: Mapping[str, ox.NamedNode | ox.Literal] | None = None) -> str:
        """The query cut to this page, and one row more, which tells whether a next page exists.

        A page by row numbers binds the numbers in one ``VALUES`` block with the query's parameters
        (``binds``, which the caller then leaves out of the job): Oxigraph plans two blocks side by side
        badly (2 s instead of 80 ms for a page of ``discourse-critics`` at 19M triples). Past
        :data:`MOST_LOOKED_UP` numbers it plans the block badly too (a page of 1,000 rows of
        ``reported-positions`` at 19M triples: 44 s, against 0.24 s for 990), so a longer page keeps
        its numbers with a ``FILTER`` instead, which reads every row of the listing (3 s for 10,000
        rows there, 8 ms on the repository's build)."""
        if not self.by:
            return f"{text.rstrip()}\nLIMIT {self.size + 1} OFFSET {self.offset}\n"
        given = dict(binds or {})
        first, last = self.offset + 1, self.last
        if last - first < MOST_LOOKED_UP:
            block = values_rows([self.by, *given], ([ox.Literal(n), *given.values()] for n in range(first, last + 1)))
        else:
            block = values_rows(list(given), [list(given.values())]) if given else ""
            block += f" FILTER(?{self.by} >= {first} && ?{self.by} <= {last}) "
        return f"{insert_values(text, block).rstrip()}\nLIMIT {self.size + 1}\n"

    def bind(
        self, text: str, binds: Mapping[str, ox.NamedNode | ox.Literal]
    ) -> tuple[str, dict[str, ox.NamedNode | ox.Literal]]:
        """The page's query and the parameters left for the caller to bind: none for a page by row numbers,
        which binds them with its numbers (:meth:`query`), all of them otherwise."""
        if self.by:
            return self.query(text, binds), {}
        return self.query(text), dict(binds)


def split(params: list[tuple[str, str]]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The paging values, and the query's own parameters (each paging name at most once)."""
    paging: dict[str, str] = {}
    rest = []
    for key, value in params:
        if key in RESERVED:
            if key in paging:
                raise BadRequest(f"{key} is given more than once")
            paging[key] = value
        else:
            rest.append((key, value))
    return paging, rest


def whole_number(value: str, name: str, most: int) -> int:
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise BadRequest(f"{name} must be a whole number from 1 to {most}, not {value[:40]!r}")
    return int(value)


def page_of(paging: dict[str, str], text: str, max_rows: int | None, always: bool = False, by: str = "") -> Page | None:
    """The page asked for (``None``: the whole answer, when neither ``page`` nor ``size`` is given and not
    ``always``); a page size is at most the server's row cap, so that only the page boundary cuts a page.
    ``by``: the variable that numbers the query's rows (its ``# page-by:``)."""
    if not paging and not always:
        return None
    largest = max_rows or 10_000
    size = whole_number(paging.get(SIZE, str(min(DEFAULT_SIZE, largest))), SIZE, largest)
    number = whole_number(paging.get(PAGE, "1"), PAGE, LAST_PAGE)
    if not pageable(text):
        raise BadRequest("this query sets its own LIMIT, OFFSET or VALUES after its WHERE clause: it is answered whole")
    return Page(number, size, by)


def pageable(text: str) -> bool:
    """Whether a ``LIMIT … OFFSET …`` may be appended: nothing but ``GROUP BY``/``HAVING``/``ORDER BY`` after
    the WHERE group."""
    depth = 0
    for token in code(text):
        if token.kind == "brace":
            depth += 1 if token.text == "{" else -1
        elif token.kind == "word" and depth == 0 and token.text.upper() in SOLUTION_MODIFIERS:
            return False
    return True


def link(request: Request, number: int) -> str:
    """This request's address (path and query, never the ``Host``) with another page number."""
    url = request.url.include_query_params(page=number)
    return f"{url.path}?{url.query}"


def page_headers(request: Request, page: Page, output: QueryOutput, searched_cut: bool) -> dict[str, str]:
    """``Link`` (first, previous, next), the page and its size; ``X-SDKG-Truncated: false`` when only the
    page boundary ended the answer."""
    more = has_next(page, output)
    links = []
    if page.number > 1:
        links += [f'<{link(request, 1)}>; rel="first"', f'<{link(request, page.number - 1)}>; rel="prev"']
    if more:
        links.append(f'<{link(request, page.number + 1)}>; rel="next"')
    headers = {"X-SDKG-Page": str(page.number), "X-SDKG-Page-Size": str(page.size)}
    if links:
        headers["Link"] = ", ".join(links)
    if more and not searched_cut:
        headers[TRUNCATED] = "false"
    return headers


def has_next(page: Page, output: QueryOutput) -> bool:
    """A full page that the row cap (of ``size``) cut: the query had the row after it."""
    return output.truncated and output.rows == page.size
