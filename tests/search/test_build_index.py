"""The index is a step of every build: `sdkg build` (also of given files), admin changes; it goes with its build."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdkg.build.changes import commit, sparql_update
from sdkg.search.explore import Explorer
from sdkg.search.index import Budget, open_index
from sdkg.search.schema import INDEX_FILE
from sdkg.search.syntax import parse
from tests.web_project import make_web_project, store_of

NEW_CLAIM = """
PREFIX claim: <https://w3id.org/sdkg/id/claim/>
PREFIX ascription: <https://w3id.org/sdkg/id/ascription/>
PREFIX actor: <https://w3id.org/sdkg/id/actor/>
PREFIX source: <https://w3id.org/sdkg/id/source/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
INSERT DATA { GRAPH <https://w3id.org/sdkg/graph/data/added> {
    claim:fx-added a sdkg:Claim ; rdfs:label "Zanzibar deserves a fixture claim"@en .
    ascription:fx-added a sdkg:Ascription ; sdkg:ascribes claim:fx-added ; sdkg:heldBy actor:fixture-author ;
        sdkg:reportedBy actor:fixture-author ; sdkg:stance sdkg:Endorses .
} }
"""


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web_project(tmp_path_factory.mktemp("index-build"))


def budget() -> Budget:
    return Budget.of(10.0, None)


def test_a_build_of_given_files_has_its_index(web_root: Path) -> None:
    build_dir = store_of(web_root).parent
    index = open_index(build_dir)
    assert index.meta["build"] == build_dir.name
    assert {h.iri.rsplit("/", 1)[-1] for h in index.hits(parse("fixture state"), budget(), ("claim",))} >= {
        "fx-state-first"
    }
    assert Explorer(index).count == 2


def test_an_admin_change_makes_a_build_with_its_own_index(web_root: Path) -> None:
    served = store_of(web_root)
    before = open_index(served.parent)
    assert before.hits(parse("zanzibar"), budget()) == []
    changed = commit(served, sparql_update(NEW_CLAIM), None)
    assert changed.parent != served.parent and (changed.parent / INDEX_FILE).is_file()
    after = open_index(changed.parent)
    assert [h.iri for h in after.hits(parse("zanzibar"), budget())] == ["https://w3id.org/sdkg/id/claim/fx-added"]
    explorer = Explorer(after)
    assert explorer.count == 3
    cards = explorer.cards(list(explorer.rows_of[explorer.by_key[("stance", "endorses")].id]), budget())
    assert "Zanzibar deserves a fixture claim" in {c["label"] for c in cards}
    assert before.hits(parse("zanzibar"), budget()) == []  # the served build's index is untouched
