"""The claim explorer over the repository's build: facets and counts against the store, text with facets,
keyset paging, citations."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildResult
from sdkg.search import cite
from sdkg.search.explore import Explorer, SelectionError, explorer_of
from sdkg.search.index import Budget, open_index
from sdkg.search.schema import FACET_NAMES
from sdkg.search.syntax import parse

ID = "https://w3id.org/sdkg/id/"
SDKG = "https://w3id.org/sdkg/ontology#"
KALDOR = "actor/mary-kaldor"
PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
"""


@pytest.fixture(scope="module")
def explorer(built: BuildResult) -> Explorer:
    return explorer_of(open_index(built.path))


@pytest.fixture(scope="module")
def store(store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(store_path))


def budget() -> Budget:
    return Budget.of(10.0, 10_000)


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]  # type: ignore[union-attr]


def every_card(explorer: Explorer, pairs: list[tuple[str, str]], words: str | None = None) -> list[dict]:
    selection = explorer.select(pairs, parse(words) if words else None)
    rows, cut, total = explorer.all_rows(selection, budget())
    assert not cut and total == len(rows)
    return explorer.cards(rows, budget())


def test_one_card_per_ascription_in_reading_order(explorer: Explorer, store: ox.Store) -> None:
    ascriptions = select(store, "SELECT ?a WHERE { ?a sdkg:ascribes ?c }")
    cards = every_card(explorer, [])
    assert sorted(c["ascription"] for c in cards) == sorted(r["a"] for r in ascriptions)
    order = [(c["source"]["value"], min((p["start"] for p in c["passages"]), default=-1)) for c in cards]
    assert order == sorted(order)  # by source, then the position of the first passage


def test_facet_totals_are_the_graphs_counts(explorer: Explorer, store: ox.Store) -> None:
    stances = Counter(r["s"] for r in select(store, "SELECT ?a ?s WHERE { ?a sdkg:ascribes ?c ; sdkg:stance ?s }"))
    for stance, n in stances.items():
        assert explorer.by_key[("stance", stance[len(SDKG) :].lower())].total == n
    holders = Counter(
        r["h"] for r in select(store, "SELECT DISTINCT ?a ?h WHERE { ?a sdkg:ascribes ?c ; sdkg:heldBy ?h }")
    )
    for holder, n in holders.items():
        assert explorer.by_key[("holder", holder[len(ID) :])].total == n
    cases = select(
        store, "SELECT ?k (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a sdkg:ascribes ?c . ?c sdkg:aboutCase ?k } GROUP BY ?k"
    )
    for row in cases:
        assert explorer.by_key[("case", row["k"][len(ID) :])].total == int(row["n"])
    expresses = select(
        store,
        """SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a sdkg:ascribes ?c .
           ?c sdkg:expressesDiscourse <https://w3id.org/sdkg/id/discourse/critical> }""",
    )
    assert explorer.by_key[("discourse", "expresses:discourse/critical")].total == int(expresses[0]["n"])


def test_editorial_or_source_links_come_from_the_links_type(explorer: Explorer, store: ox.Store) -> None:
    editorial = {
        r["c"]
        for r in select(
            store,
            """SELECT DISTINCT ?c WHERE {
                ?l a sdkg:EditorialLink ; sdkg:premise|sdkg:conclusion ?c . ?a sdkg:ascribes ?c }""",
        )
    }
    assert editorial  # the re-coded data has editorial links between the two texts
    cards = every_card(explorer, [("link", "editorial")])
    assert {c["claim"] for c in cards} == editorial
    assert all("editorial" in c["links"] for c in cards)
    none = every_card(explorer, [("link", "none")])
    assert none and all(c["links"] == [] for c in none)
    total = explorer.count
    both = explorer.by_key[("link", "source")].total + explorer.by_key[("link", "none")].total
    assert both <= total <= both + explorer.by_key[("link", "editorial")].total


def test_the_claims_kaldor_endorses(explorer: Explorer, store: ox.Store) -> None:
    expected = select(
        store,
        """SELECT DISTINCT ?a WHERE { ?a sdkg:ascribes ?c ; sdkg:heldBy <https://w3id.org/sdkg/id/actor/mary-kaldor> ;
           sdkg:stance sdkg:Endorses }""",
    )
    cards = every_card(explorer, [("holder", KALDOR), ("stance", "endorses")])
    assert sorted(c["ascription"] for c in cards) == sorted(r["a"] for r in expected)
    assert all(c["holders"][0]["label"] == "Mary Kaldor" and c["stance"]["label"] == "endorses" for c in cards)
    # alternatives within a facet, with words
    about_libya = every_card(explorer, [("holder", KALDOR), ("stance", "endorses")], "libya")
    assert 0 < len(about_libya) < len(cards)
    either = every_card(explorer, [("stance", "endorses"), ("stance", "rejects"), ("holder", KALDOR)])
    kaldor = every_card(explorer, [("holder", KALDOR)])
    assert [c["row"] for c in either] == [c["row"] for c in kaldor if c["stance"]["label"] in ("endorses", "rejects")]


def test_counts_show_what_each_value_would_give(explorer: Explorer) -> None:
    selection = explorer.select([("holder", KALDOR), ("stance", "endorses")])
    page = explorer.explore(selection, budget(), size=5)
    facets = {f.facet.name: f for f in page.facets}
    assert [name for name in FACET_NAMES] == [f.facet.name for f in page.facets]
    # a facet with a selection counts over what the others allow: the stances of Kaldor's claims
    kaldor_all = every_card(explorer, [("holder", KALDOR)])
    stance_counts = {v.key: n for v, n, _ in facets["stance"].values}
    assert stance_counts == dict(Counter(c["stance"]["value"][len(SDKG) :].lower() for c in kaldor_all))
    # a facet without one counts over the selected cards
    selected = every_card(explorer, [("holder", KALDOR), ("stance", "endorses")])
    source_counts = {v.key: n for v, n, _ in facets["source"].values}
    assert source_counts == dict(Counter(c["source"]["value"][len(ID) :] for c in selected))
    assert page.total == len(selected)
    assert [v.key for v in facets["holder"].selected] == [KALDOR]


def test_keyset_pages_walk_the_selection_once_in_order(explorer: Explorer) -> None:
    selection = explorer.select([("source", "source/kaldor-cosmopolitan-rejoinder")])
    everything = [c["row"] for c in every_card(explorer, [("source", "source/kaldor-cosmopolitan-rejoinder")])]
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = explorer.explore(selection, budget(), after=after, size=7)
        seen += page.rows
        pages += 1
        if not page.has_next:
            break
        after = page.rows[-1]
    assert seen == everything and pages == -(-len(everything) // 7)
    # and backwards from the end, with 'before'
    back: list[int] = []
    before = everything[-1] + 1
    while True:
        page = explorer.explore(selection, budget(), before=before, size=7)
        back = page.rows + back
        if not page.has_previous:
            break
        before = page.rows[0]
    assert back == everything


def test_unknown_facets_and_values_are_refused(explorer: Explorer) -> None:
    with pytest.raises(SelectionError, match="no facet 'colour'"):
        explorer.select([("colour", "red")])
    with pytest.raises(SelectionError, match="no holder 'actor/nobody'"):
        explorer.select([("holder", "actor/nobody")])


def test_a_card_cites_its_source_passage_and_offsets(explorer: Explorer) -> None:
    card = explorer.card_of(ID + "ascription/dw-critical-conception-shows-limits", budget())
    assert card is not None
    source = explorer.sources[card["source"]["value"]]
    assert source["authors"] == ["Tim Dunne", "Nicholas J. Wheeler"]  # by surname: the graph has no order
    text = cite.text(card, source)
    passage = card["passages"][0]
    assert f"characters {passage['start']}–{passage['end']}" in text and card["claim"] in text
    assert passage["exact"] in text
    bibtex = cite.bibtex(card, source)
    assert bibtex.startswith("@article{dunne-wheeler-we-the-peoples,\n")
    assert "author = {Tim Dunne and Nicholas J. Wheeler}" in bibtex
    assert "year" not in bibtex and "journal" not in bibtex  # the text names neither: none is made up
    assert passage["passage"] in bibtex
    item = json.loads(cite.csl_json(card, source))[0]
    assert item["type"] == "article-journal" and item["author"] == [
        {"literal": "Tim Dunne"},
        {"literal": "Nicholas J. Wheeler"},
    ]
    assert "issued" not in item and "container-title" not in item and passage["passage"] in item["note"]
    interview = explorer.card_of(ID + "ascription/kr-libya-r2p-given-to-nato", budget())
    assert interview is not None
    rejoinder = explorer.sources[interview["source"]["value"]]
    assert "Interview with Mary Kaldor" in cite.bibtex(interview, rejoinder)
    assert json.loads(cite.csl_json(interview, rejoinder))[0]["interviewer"] == [
        {"literal": "George Morris"},
        {"literal": "James Stafford"},
    ]


def test_bibtex_values_are_escaped() -> None:
    assert (
        cite.bibtex_value("50% of {x} & y_z #1 $ \\ ~ ^") == r"50\% of \{x\} \& y\_z \#1 \$ \textbackslash{} \~{} \^{}"
    )
    card = {"claim": ID + "claim/x", "passages": []}
    source = {"iri": ID + "source/s", "title": "A {braced} title", "type": "Book", "authors": ["A & B"], "year": "1999"}
    entry = cite.bibtex(card, source)
    assert entry.startswith("@book{s,") and "title = {A \\{braced\\} title}" in entry and "year = {1999}" in entry
    assert entry.count("{") - entry.count("\\{") == entry.count("}") - entry.count("\\}")
