"""The search index of the repository's build: what it holds, what a search finds, type-ahead, and its guards.

Every expectation is checked against the store itself (the same build), not against numbers
copied from a run: the index must hold every claim, passage and named entity of the graph, and a
word search must find every passage whose quote has the word.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildResult
from sdkg.search.index import Budget, IndexUnavailable, SearchIndex, open_index
from sdkg.search.schema import INDEX_FILE, KINDS, NAMED_KINDS
from sdkg.search.syntax import parse
from sdkg.sparql.errors import QueryTimeout

ID = "https://w3id.org/sdkg/id/"
PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
"""


@pytest.fixture(scope="module")
def index(built: BuildResult) -> SearchIndex:
    return open_index(built.path)


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(store_path))


def budget(max_rows: int | None = 10_000) -> Budget:
    return Budget.of(10.0, max_rows)


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]  # type: ignore[union-attr]


def test_the_index_belongs_to_its_build(built: BuildResult, index: SearchIndex) -> None:
    assert (built.path / INDEX_FILE).is_file()
    assert index.meta["build"] == built.path.name == built.info.version
    assert not list(built.path.glob(".search*"))  # the staging file and the temporary name are gone


def test_every_claim_passage_and_named_entity_is_a_document(index: SearchIndex, store: ox.Store) -> None:
    counts = index.entity_counts(budget())
    for kind in KINDS:
        rows = select(
            store,
            f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
                {{ ?s rdfs:label ?l }} UNION {{ ?s a ?t }}
                FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}{kind}/")) }}""",
        )
        assert counts.get(kind, 0) == int(rows[0]["n"]), kind
    assert counts["claim"] >= 300 and counts["passage"] >= 380


def test_a_word_finds_every_passage_that_has_it(index: SearchIndex, store: ox.Store) -> None:
    quoted = {
        r["p"]
        for r in select(
            store,
            """SELECT ?p WHERE { ?p a sdkg:Passage ; oa:hasSelector/oa:exact ?e .
               FILTER(CONTAINS(LCASE(?e), "libya")) }""",
        )
    }
    assert len(quoted) >= 6
    hits = index.hits(parse("libya"), budget(), ("passage",), limit=500)
    found = {h.iri for h in hits}
    assert quoted <= found
    # the others are about Libya: a claim resting on them is about a case located in Libya, or names it
    for iri in found - quoted:
        about = select(
            store,
            f"""SELECT ?label WHERE {{ ?a sdkg:restsOn <{iri}> ; sdkg:ascribes ?c .
                {{ ?c rdfs:label ?label }} UNION {{ ?c sdkg:aboutCase|sdkg:mentionsActor|sdkg:usesConcept ?x .
                ?x rdfs:label ?label }} UNION {{ ?c sdkg:aboutCase/sdkg:location/rdfs:label ?label }} }}""",
        )
        assert any("libya" in r["label"].lower() for r in about), iri
    # quotes that say it rank above passages that are only about it, on the whole
    says = [i for i, h in enumerate(hits) if h.iri in quoted]
    only_about = [i for i, h in enumerate(hits) if h.iri not in quoted]
    assert hits[0].iri in quoted
    assert not only_about or sum(says) / len(says) < sum(only_about) / len(only_about)
    marked = [h for h in hits if h.iri in quoted]
    assert all("<mark>Libya" in h.body_html for h in marked)


def test_phrases_stems_prefixes_and_ranking(index: SearchIndex) -> None:
    phrase = index.hits(parse('"human security"'), budget(), ("passage",), limit=200)
    assert phrase and all("human security" in (h.description or "").lower() for h in phrase[:5])
    stems = {h.iri for h in index.hits(parse('"interventions"'), budget(), ("passage",), limit=200)}
    singular = {h.iri for h in index.hits(parse('"intervention"'), budget(), ("passage",), limit=200)}
    assert stems == singular and stems
    prefixed = index.hits(parse("humanitar*"), budget(), ("claim",), limit=200)
    assert prefixed and all("humanitar" in (h.label + " " + (h.description or "")).lower() for h in prefixed[:5])
    best = index.hits(parse("Mary Kaldor"), budget(), limit=3)
    assert best[0].iri == ID + "actor/mary-kaldor"  # a label match ranks first
    scores = [h.score for h in index.hits(parse("security"), budget(), limit=50)]
    assert scores == sorted(scores, reverse=True)


def test_counts_per_kind_and_exclusions(index: SearchIndex) -> None:
    page = index.search(parse("libya"), budget(), ("passage", "claim"), limit=5)
    assert page.total == page.counts["passage"] + page.counts["claim"]
    assert len(page.hits) == 5 and {h.kind for h in page.hits} <= {"passage", "claim"}
    without = index.counts(parse("libya -syria"), budget())
    assert sum(without.values()) < sum(page.counts.values())


def test_type_ahead_offers_named_entities_by_the_start_of_their_names(index: SearchIndex) -> None:
    kaldor = index.suggest("kald", budget())
    assert kaldor and kaldor[0].label == "Mary Kaldor" and kaldor[0].type_label == "person"
    libya = index.suggest("lib", budget())
    assert libya[0].label == "Libya"  # a name that starts with the words comes first
    assert all(s.kind in NAMED_KINDS for s in index.suggest("s", budget(), limit=20))
    assert index.suggest("new war", budget())[0].iri.startswith(ID + "concept/")
    assert index.suggest('"" ...', budget()) == []
    assert len(index.suggest("a", budget(), limit=5)) <= 5


def test_the_row_cap_and_the_deadline_hold(index: SearchIndex) -> None:
    assert len(index.hits(parse("security"), budget(max_rows=3), limit=50)) == 3
    with pytest.raises(QueryTimeout):
        index.hits(parse("security"), Budget(time.monotonic() - 1, None, 0.5))
    # a statement that runs past the deadline is stopped by SQLite's progress handler
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    started = time.monotonic()
    with pytest.raises(QueryTimeout), index.reading(Budget.of(0.3, None)) as connection:
        connection.execute(endless).fetchone()
    assert time.monotonic() - started < 3
    assert index.hits(parse("security"), budget(), limit=1)  # the connection still answers


def test_a_build_without_an_index_or_with_another_format_says_so(tmp_path: Path, built: BuildResult) -> None:
    with pytest.raises(IndexUnavailable, match="run `sdkg build` again"):
        open_index(tmp_path)
    copy = tmp_path / INDEX_FILE
    copy.write_bytes((built.path / INDEX_FILE).read_bytes())
    with sqlite3.connect(copy) as connection:
        connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    with pytest.raises(IndexUnavailable, match="format '0'"):
        open_index(tmp_path)
    copy.write_bytes(b"not a database")
    with pytest.raises(IndexUnavailable, match="cannot be read"):
        open_index(tmp_path)


def test_an_index_that_goes_away_or_is_damaged_is_unavailable_not_a_crash(tmp_path: Path, built: BuildResult) -> None:
    """A thread that opens the index after its file was removed (a pruned build) or damaged gets IndexUnavailable."""
    import threading

    (tmp_path / INDEX_FILE).write_bytes((built.path / INDEX_FILE).read_bytes())
    index = open_index(tmp_path)
    assert index.hits(parse("libya"), budget())  # this thread's connection is open
    (tmp_path / INDEX_FILE).unlink()
    assert index.hits(parse("libya"), budget())  # an open file stays readable
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            index.hits(parse("libya"), budget())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], IndexUnavailable), errors
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    data = bytearray((built.path / INDEX_FILE).read_bytes())
    data[len(data) // 2 : len(data) // 2 + 65536] = b"\xff" * 65536
    (damaged / INDEX_FILE).write_bytes(bytes(data))
    try:
        broken = open_index(damaged)
    except IndexUnavailable:
        return  # the damage reached the meta table: refused at opening
    with pytest.raises(IndexUnavailable):
        for words in ("libya", "security", "human", "kosovo", "rwanda", "war", "state"):
            broken.hits(parse(words), budget(), limit=100)
            broken.counts(parse(words), budget())
