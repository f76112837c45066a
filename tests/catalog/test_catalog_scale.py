"""``bench.catalog_scale`` times a search query as the server answers it, with the server's own binding."""

from __future__ import annotations

import argparse
from pathlib import Path

from fastapi.testclient import TestClient

from bench.catalog_scale import bound_term, search_index, time_catalog
from sdkg.catalog import load_catalog
from sdkg.search.schema import INDEX_FILE
from sdkg.web.app import Settings, create_app
from tests.conftest import REPO


def timing_args(**given: object) -> argparse.Namespace:
    values: dict[str, object] = dict(
        only=["passage-search"], runs=1, seconds=0.0, limit=60.0, bind="values", page_size=None, page=1, index=None
    )
    values.update(given)
    return argparse.Namespace(**values)


def test_passage_search_is_timed_as_served(store_path: Path, built_root: Path) -> None:
    words = str(bound_term("text", load_catalog(REPO / "queries")["passage-search"].parameters[0].term()).value)
    with TestClient(create_app(Settings(store_path=store_path, root=built_root, engine="local"))) as client:
        response = client.get("/queries/passage-search.json", params={"text": words})
        assert response.status_code == 200, response.text
        served = len(response.json()["results"]["bindings"])
    assert served > 0
    (timed,) = time_catalog(store_path, REPO / "queries", timing_args())  # the index beside the store
    assert timed["searched"] is True and timed["rows"] == served and timed["p50_ms"] is not None


def test_the_index_is_the_one_beside_the_store_or_none(store_path: Path, tmp_path: Path) -> None:
    assert search_index(store_path, None) == store_path.parent / INDEX_FILE
    assert search_index(tmp_path / "store", None) is None  # no index: the raw query is timed, and says so
    assert search_index(tmp_path / "store", tmp_path / "given.sqlite") == tmp_path / "given.sqlite"
