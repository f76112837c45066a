"""The catalog queries that read the build's summaries answer as their direct aggregates do.

Each rewritten catalog query (``queries/NAME.rq``) reads the tallies the build writes into the
summaries graph; ``queries/direct/NAME.rq`` asks the same question as one aggregate over every
ascription. The two must give the same rows and values, in the same order where the query
orders, on the repository's build, on a small synthetic corpus, on unbuilt data served with
``sdkg serve --data`` (the summaries are computed there too) and after an admin change.
A ``GROUP_CONCAT`` is compared as the set of its items: SPARQL leaves the order inside it open.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from bench.synthetic import generate
from sdkg.build import build
from sdkg.build.changes import commit, sparql_update
from sdkg.build.summaries import FINGERPRINT, FINGERPRINT_PROPERTY, LISTING, LISTINGS, SUMMARIES, summarise
from sdkg.builds import open_store
from sdkg.catalog import CannedQuery, load_catalog, read_query
from sdkg.layout import ProjectLayout
from sdkg.namespaces import RDF, SDKG, SUMMARIES_GRAPH
from sdkg.web.app import Settings, create_app
from tests.answers import Value, rows_of
from tests.conftest import REPO
from tests.endpoint_support import sdkg_server

CATALOG = load_catalog(REPO / "queries")
DIRECT = {path.stem: read_query(path) for path in sorted((REPO / "queries" / "direct").glob("*.rq"))}
SUMMARISED = sorted(DIRECT)


def concatenated(query: CannedQuery) -> dict[str, str]:
    """The variables a query binds with GROUP_CONCAT (their order inside is open), each with its separator."""
    found = re.findall(r"GROUP_CONCAT\(([^)]*)\)\s+AS\s+\?(\w+)", query.text, flags=re.IGNORECASE)
    return {name: separator(arguments) for arguments, name in found}


def separator(arguments: str) -> str:
    """The separator of a GROUP_CONCAT's arguments (a space when none is given)."""
    given = re.search(r'separator\s*=\s*"([^"]*)"', arguments, flags=re.IGNORECASE)
    return given.group(1) if given else " "


def order_keys(query: CannedQuery) -> list[str]:
    """The variables of the query's ORDER BY, in order."""
    clause = re.search(r"^ORDER BY (.*)$", query.text, flags=re.MULTILINE)
    return re.findall(r"\?(\w+)", clause.group(1)) if clause else []


def list_columns(query: CannedQuery) -> dict[str, str]:
    """The GROUP_CONCAT columns of a query or of its direct form (a tally may hold the concatenation), each
    with its separator."""
    direct = DIRECT.get(query.name)
    return concatenated(query) | (concatenated(direct) if direct is not None else {})


def answer(store: ox.Store, query: CannedQuery) -> tuple[list[str], list[dict[str, Value]]]:
    result = store.query(query.text, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return rows_of(result, list_columns(query))


def assert_same_answers(store: ox.Store, name: str) -> int:
    """The summarised query and its direct form agree on ``store``; return the number of rows."""
    direct_names, direct = answer(store, DIRECT[name])
    names, summarised = answer(store, CATALOG[name])
    assert names == direct_names, name
    key = sorted(direct_names)
    assert Counter(tuple(r[n] for n in key) for r in summarised) == Counter(tuple(r[n] for n in key) for r in direct), (
        name
    )
    if CATALOG[name].page_by:  # ordered by the build's row numbers: the same rows in the same order
        assert summarised == direct, name
        return len(direct)
    ordered = order_keys(CATALOG[name])
    assert ordered == order_keys(DIRECT[name]), name
    assert [tuple(r[n] for n in ordered) for r in summarised] == [tuple(r[n] for n in ordered) for r in direct], name
    return len(direct)


def test_every_direct_form_is_a_catalog_query_that_reads_the_summaries() -> None:
    assert SUMMARISED == [
        "argument-chains",
        "attacks",
        "claims-per-discourse",
        "critics-by-discourse",
        "discourse-concepts",
        "discourse-critics",
        "kaldor-dunne-wheeler",
        "most-invoked-cases",
        "rejected-claims",
        "reported-positions",
        "reported-positions-by-holder",
        "source-overview",
        "stance-summary",
    ]
    assert sorted(n for n, q in CATALOG.items() if q.page_by) == sorted(listing.name for listing in LISTINGS)
    for name in SUMMARISED:
        assert "sdkg:tally" not in DIRECT[name].text and "sdkg:across" not in DIRECT[name].text, name
        assert any(term in CATALOG[name].text for term in ("sdkg:tally", "sdkg:acrossLink", "sdkg:rowNumber")), name
        assert f"queries/direct/{name}.rq" in CATALOG[name].text, name


@pytest.fixture(scope="module")
def repository_store(store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(store_path))


@pytest.mark.parametrize("name", SUMMARISED)
def test_the_repository_build_answers_as_the_direct_aggregate(repository_store: ox.Store, name: str) -> None:
    assert assert_same_answers(repository_store, name) > 0  # the repository's data has rows for each


def test_the_build_writes_one_tally_per_group_into_its_own_graph(repository_store: ox.Store) -> None:
    graph = ox.NamedNode(SUMMARIES_GRAPH)
    assert graph in set(repository_store.named_graphs())
    a = ox.NamedNode(RDF + "type")
    tallies: set[ox.NamedNode | ox.BlankNode | ox.Triple] = set()
    for kind in ("Tally", "LinkAcrossSources"):
        records = {q.subject for q in repository_store.quads_for_pattern(None, a, ox.NamedNode(SDKG + kind), graph)}
        everywhere = {q.subject for q in repository_store.quads_for_pattern(None, a, ox.NamedNode(SDKG + kind), None)}
        assert records and records == everywhere, kind  # none outside the summaries graph
        tallies |= records
    kinds = Counter(t.value.rsplit("/", 1)[1].rsplit("-", 1)[0] for t in tallies)  # type: ignore[union-attr]
    assert set(kinds) == {s.name for s in SUMMARIES}
    rows = {q.subject for q in repository_store.quads_for_pattern(None, a, ox.NamedNode(SDKG + "ListingRow"), None)}
    listed = Counter(str(q.object.value) for q in repository_store.quads_for_pattern(None, LISTING, None, graph))
    assert set(listed) == {listing.name for listing in LISTINGS} and sum(listed.values()) == len(rows)
    # nothing but tallies, the index, the listings' rows and its fingerprint in the graph: counts and order
    assert {q.subject for q in repository_store.quads_for_pattern(None, None, None, graph)} == tallies | rows | {graph}
    said = list(repository_store.quads_for_pattern(graph, None, None, graph))
    assert [(q.predicate, q.object) for q in said] == [(FINGERPRINT_PROPERTY, ox.Literal(FINGERPRINT))]


def test_each_listing_is_numbered_from_one_without_gaps(repository_store: ox.Store) -> None:
    """Row numbers are what a page binds: 1, 2, … in each listing (and each value of its partition)."""
    for listing in LISTINGS:
        numbers: dict[str, list[int]] = {}
        result = repository_store.query(
            "PREFIX sdkg: <https://w3id.org/sdkg/ontology#>\n"
            f"SELECT ?part ?n WHERE {{ ?row sdkg:listing {ox.Literal(listing.name)} ; "
            "sdkg:rowNumber ?n . OPTIONAL { ?row sdkg:rowDiscourse ?part } }",
            use_default_graph_as_union=True,
        )
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            part = str(row["part"]) if listing.partition else ""
            numbers.setdefault(part, []).append(int(row["n"].value))  # type: ignore[union-attr]
        assert numbers, listing.name
        for part, found in numbers.items():
            assert sorted(found) == list(range(1, len(found) + 1)), (listing.name, part)


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ox.Store]:
    root = generate(tmp_path_factory.mktemp("synthetic") / "project", 600)
    result = build(ProjectLayout.at(root), publish=False)
    yield open_store(result.path)


@pytest.mark.parametrize("name", SUMMARISED)
def test_a_synthetic_corpus_answers_as_the_direct_aggregate(synthetic_store: ox.Store, name: str) -> None:
    rows = assert_same_answers(synthetic_store, name)
    assert rows > 0 or name in (
        "kaldor-dunne-wheeler",
        "argument-chains",
    )  # it links no two sources, chains no supports


DATA = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sdkg: <https://w3id.org/sdkg/ontology#> .
@prefix id: <https://w3id.org/sdkg/id/> .
id:discourse\\/realist a sdkg:Discourse ; rdfs:label "realism"@en .
id:source\\/s a sdkg:Source ; rdfs:label "S"@en ; sdkg:sourceFileName "s.txt" .
id:actor\\/a rdfs:label "A"@en .
id:actor\\/b rdfs:label "B"@en .
sdkg:Endorses rdfs:label "endorses"@en .
id:claim\\/c1 sdkg:expressesDiscourse id:discourse\\/realist .
id:claim\\/c2 sdkg:criticisesDiscourse id:discourse\\/realist .
id:ascription\\/1 a sdkg:Ascription ; sdkg:ascribes id:claim\\/c1 ; sdkg:inSource id:source\\/s ;
    sdkg:heldBy id:actor\\/a ; sdkg:reportedBy id:actor\\/a ; sdkg:stance sdkg:Endorses .
id:ascription\\/2 a sdkg:Ascription ; sdkg:ascribes id:claim\\/c2 ; sdkg:inSource id:source\\/s ;
    sdkg:heldBy id:actor\\/b ; sdkg:reportedBy id:actor\\/a ; sdkg:stance sdkg:Endorses .
id:source\\/t a sdkg:Source ; rdfs:label "T"@en ; sdkg:sourceFileName "t.txt" .
id:claim\\/c1 a sdkg:Claim ; rdfs:label "one"@en .
id:claim\\/c3 a sdkg:Claim ; rdfs:label "three"@en .
id:ascription\\/3 a sdkg:Ascription ; sdkg:ascribes id:claim\\/c3 ; sdkg:inSource id:source\\/t ;
    sdkg:heldBy id:actor\\/b ; sdkg:reportedBy id:actor\\/b ; sdkg:stance sdkg:Endorses .
id:argument\\/l a sdkg:Support ; sdkg:premise id:claim\\/c1 ; sdkg:conclusion id:claim\\/c3 ;
    sdkg:linkSource id:source\\/t .
id:argument\\/m a sdkg:Support ; sdkg:premise id:claim\\/c2 ; sdkg:conclusion id:claim\\/c1 ;
    sdkg:linkSource id:source\\/s .
"""
"""Unbuilt data for ``sdkg serve --data``: two sources, a discourse, two supports (one between the sources)."""


def test_unbuilt_data_gets_its_summaries_too(tmp_path: Path) -> None:
    """``sdkg serve --data FILE`` builds the files without validation or rules: the summaries are made
    all the same, so the catalog's aggregates answer from them."""
    data = tmp_path / "data.ttl"
    data.write_text(DATA, encoding="utf-8")
    result = build(ProjectLayout.at(tmp_path), data_paths=[data], publish=False)
    store = open_store(result.path)
    for name in SUMMARISED:
        assert_same_answers(store, name)
    _, rows = answer(store, CATALOG["claims-per-discourse"])
    assert [(r["stating"], r["against"]) for r in rows] == [
        (("Literal", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'),) * 2
    ]
    _, rows = answer(store, CATALOG["kaldor-dunne-wheeler"])
    assert [(r["link"], r["premiseSource"]) for r in rows] == [
        (("NamedNode", "<https://w3id.org/sdkg/id/argument/l>"), ("NamedNode", "<https://w3id.org/sdkg/id/source/s>"))
    ]  # m links two claims of the same source
    _, rows = answer(store, CATALOG["argument-chains"])
    assert [(r["conclusion"], r["chains"], r["longest"]) for r in rows] == [
        (
            ("NamedNode", "<https://w3id.org/sdkg/id/claim/c3>"),
            ("Literal", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'),
            ("Literal", '"2"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        )
    ]
    _, rows = answer(store, CATALOG["reported-positions-by-holder"])
    assert [(r["holder"], r["reporters"]) for r in rows] == [
        (("NamedNode", "<https://w3id.org/sdkg/id/actor/b>"), frozenset({"A"}))
    ]


def test_an_admin_change_recomputes_the_summaries(store_path: Path, tmp_path: Path) -> None:
    """A change is a new build made from the served one: its tallies count the changed data."""
    copy = tmp_path / "build"
    (copy).mkdir()
    before = ox.Store.read_only(str(store_path))
    store = ox.Store(str(copy / "store"))
    store.bulk_extend(before)
    store.flush()
    del store
    change = sparql_update(
        """PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
DELETE WHERE { GRAPH ?g { ?a sdkg:inSource <https://w3id.org/sdkg/id/source/kaldor-cosmopolitan-rejoinder> } }"""
    )
    changed = ox.Store.read_only(str(commit(copy / "store", change, None)))
    for name in SUMMARISED:
        assert_same_answers(changed, name)
    _, old = answer(before, CATALOG["stance-summary"])
    _, new = answer(changed, CATALOG["stance-summary"])
    kaldor = ("NamedNode", "<https://w3id.org/sdkg/id/source/kaldor-cosmopolitan-rejoinder>")
    assert any(row["source"] == kaldor for row in old) and not any(row["source"] == kaldor for row in new)


def test_summarise_replaces_the_graph_and_is_repeatable() -> None:
    store = ox.Store()
    store.load(
        b"""<https://w3id.org/sdkg/id/case/k> a <https://w3id.org/sdkg/ontology#Case> ;
  <http://www.w3.org/2000/01/rdf-schema#label> "K" .
<https://w3id.org/sdkg/id/claim/c> <https://w3id.org/sdkg/ontology#aboutCase> <https://w3id.org/sdkg/id/case/k> .
""",
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("https://w3id.org/sdkg/graph/data/x"),
    )
    first = summarise(store)
    quads = set(store)
    assert first > 0 and summarise(store) == first and set(store) == quads
    _, rows = answer(store, CATALOG["most-invoked-cases"])
    assert len(rows) == 1 and rows[0]["invocations"] == ("Literal", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>')
    assert_same_answers(store, "most-invoked-cases")


def test_small_chunks_write_the_same_summaries(repository_store: ox.Store) -> None:
    """Written a few quads at a time while the aggregates are read, the graph is the build's."""
    graph = ox.NamedNode(SUMMARIES_GRAPH)
    copy = ox.Store()
    copy.bulk_extend(q for q in repository_store if q.graph_name != graph)
    written = summarise(copy, chunk=3)
    built = comparable(repository_store.quads_for_pattern(None, None, None, graph))
    assert written == len(built) and comparable(copy.quads_for_pattern(None, None, None, graph)) == built


def comparable(quads: Iterable[ox.Quad]) -> set[tuple[object, ...]]:
    """The quads, a list of reporters' labels as the set of its items (their order is left open)."""
    labels = ox.NamedNode(SDKG + "reporterLabels")
    return {
        (q.subject, q.predicate, frozenset(q.object.value.split(", ")) if q.predicate == labels else q.object)
        for q in quads
    }


def test_sdkg_serve_data_answers_the_catalog_over_http(tmp_path: Path) -> None:
    """A real ``sdkg serve --data FILE``: each summarised query, sent to /sparql, answers as its direct form."""
    data = tmp_path / "data.ttl"
    data.write_text(DATA, encoding="utf-8")
    accept = {"Accept": "application/sparql-results+json"}
    with sdkg_server(tmp_path, "--data", str(data)) as (base, _), httpx.Client(base_url=base, timeout=60) as http:
        for name in SUMMARISED:
            answers = []
            for query in (CATALOG[name], DIRECT[name]):
                response = http.post("/sparql", data={"query": query.text}, headers=accept)
                assert response.status_code == 200, response.text
                lists = list_columns(query)
                answers.append(
                    [
                        {k: frozenset(v["value"].split(lists[k])) if k in lists else v for k, v in b.items()}
                        for b in response.json()["results"]["bindings"]
                    ]
                )
            assert answers[0] == answers[1], name
            if name in ("claims-per-discourse", "kaldor-dunne-wheeler", "argument-chains"):
                assert answers[0], name


@pytest.mark.parametrize("summaries", ["none", "older"])
def test_a_store_without_these_summaries_is_answered_with_the_direct_forms(
    store_path: Path, built_root: Path, tmp_path: Path, summaries: str
) -> None:
    """A store filled by other means than a build (no summaries graph), or built by another version of the
    summaries step (here: rows without their premises' labels, and another fingerprint): the canned endpoints
    answer each summarised query with its direct form, so the answers stay those of the build."""
    copy = tmp_path / "build" / "store"
    copy.parent.mkdir()
    graph = ox.NamedNode(SUMMARIES_GRAPH)
    premise_label = ox.NamedNode(SDKG + "rowPremiseLabel")
    target = ox.Store(str(copy))
    if summaries == "none":
        target.bulk_extend(q for q in ox.Store.read_only(str(store_path)) if q.graph_name != graph)
    else:
        kept = (
            q for q in ox.Store.read_only(str(store_path)) if q.predicate not in (premise_label, FINGERPRINT_PROPERTY)
        )
        target.bulk_extend(kept)
        target.add(ox.Quad(graph, FINGERPRINT_PROPERTY, ox.Literal("0123456789abcdef"), graph))
        with pytest.raises(AssertionError, match="discourse-critics"):  # read as they are, the rows lack premises
            assert_same_answers(target, "discourse-critics")
    target.flush()
    del target

    def answers(client: TestClient, name: str, **params: str) -> list[dict[str, object]]:
        response = client.get(f"/queries/{name}.json", params=params)
        assert response.status_code == 200, response.text
        lists = list_columns(CATALOG[name])
        return [
            {k: frozenset(v["value"].split(lists[k])) if k in lists else v for k, v in b.items()}
            for b in response.json()["results"]["bindings"]
        ]

    built = TestClient(create_app(Settings(store_path=store_path, root=built_root, engine="local")))
    bare = TestClient(create_app(Settings(store_path=copy, root=built_root, engine="local")))
    with built, bare:
        for name in SUMMARISED:
            expected = answers(built, name)
            assert expected and answers(bare, name) == expected, name
        pluralism = {"discourse": "https://w3id.org/sdkg/id/discourse/pluralist"}  # its critics' claims have premises
        expected = answers(built, "discourse-critics", **pluralism)
        assert any(row.get("supportedBy") for row in expected)
        assert answers(bare, "discourse-critics", **pluralism) == expected
        page = bare.get("/queries/stance-summary", params={"size": 2})
        assert page.status_code == 200 and page.text.count("<tr>") == 3
