"""``python -m bench``'s scale step asks ``/queries`` for each catalog query as a person does (``bench.__main__``
``served_catalog``) with its own HTTP client (``bench.loadgen``): against a real ``sdkg serve`` of the
repository's build, every path it asks for answers 200, and its client reads the same rows as httpx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from bench.__main__ import SERVED_OPTIONS, served_catalog
from bench.loadgen import Connection, count_rows, measure_get_latency
from tests.conftest import REPO
from tests.endpoint_support import sdkg_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(built_root: Path) -> Iterator[str]:
    with sdkg_server(built_root, *SERVED_OPTIONS) as (url, _):
        yield url


def httpx_rows(base: str, path: str) -> int:
    """The rows (or triples) of ``GET path``, read by another client."""
    response = httpx.get(base + path, timeout=60)
    assert response.status_code == 200, response.text
    if path.split("?")[0].endswith(".ttl"):
        return len(list(ox.parse(response.content, format=ox.RdfFormat.TURTLE)))
    return len(json.loads(response.content)["results"]["bindings"])


def test_every_catalog_query_answers_through_queries_as_the_bench_asks(base: str) -> None:
    queries = served_catalog(REPO / "queries", lambda parameter: parameter.term())  # the defaults: real entities
    names = {q.name for q in queries}
    assert {"argument-map", "passage-search", "reported-positions", "why"} <= names
    assert not any(name.startswith("wikidata-") for name in names)  # SERVICE queries are left out
    construct = next(q for q in queries if q.name == "argument-map")
    assert construct.page.startswith("/queries/argument-map.ttl?discourse=") and construct.whole is None
    search = next(q for q in queries if q.name == "passage-search")
    assert search.page == "/queries/passage-search.json?size=100&text=%22human+security%22"  # a phrase

    async def read_all() -> dict[str, tuple[int, int | None, str | None]]:
        connection = Connection(base + "/sparql")  # one keep-alive connection, as the bench's
        read: dict[str, tuple[int, int | None, str | None]] = {}
        try:
            for query in queries:
                for path in (query.page, query.whole):
                    if path is not None:
                        status, body = await connection.get(path)
                        read[path] = (status, count_rows(body), connection.headers.get("x-sdkg-truncated"))
        finally:
            await connection.close()
        return read

    read = asyncio.run(read_all())
    assert len(read) == 2 * len(queries) - 1
    for path, (status, rows, truncated) in read.items():
        assert status == 200, path
        assert rows == httpx_rows(base, path), path
        if "size=100" in path:
            assert rows is not None and rows <= 100 and truncated is not None, path
    assert any(rows for _, rows, _ in read.values())


def test_a_path_is_timed_with_its_rows_and_the_servers_truncation(base: str) -> None:
    path = "/queries/reported-positions.json?size=3"
    timed = asyncio.run(measure_get_latency(base + "/sparql", path, runs=3, seconds=10, timeout=30))
    assert timed.status == 200 and timed.error is None
    assert timed.rows == 3 == httpx_rows(base, path)
    assert timed.truncated is False  # the page boundary, not the row cap, ended it
    assert timed.first is not None and 1 <= len(timed.samples) <= 3 and timed.p50 is not None
    missing = asyncio.run(measure_get_latency(base + "/sparql", "/queries/no-such-query.json", 3, 10, 30))
    assert missing.status == 404 and missing.rows is None and not missing.samples and missing.error
