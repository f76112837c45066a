"""Catalog queries reshaped for Oxigraph's planner answer as their plain forms do.

Oxigraph's optimiser is simple: it hashes every match in the store of an OPTIONAL whose group it
cannot evaluate once per row, and plans a join from estimates that do not know a parameter's
value. Some catalog queries are therefore written in a shape it evaluates from the bound
parameter outwards (a required join as an OPTIONAL kept by ``FILTER(BOUND())``, a lookup as a
``FILTER EXISTS`` of one pattern). ``queries/plain/NAME.rq`` keeps each query as first written,
the plain join a reader would expect; the two must give the same rows and values, in the same
order where the query orders, for every value of their parameters that the data gives, on the
repository's build and on a synthetic corpus. A ``GROUP_CONCAT`` is compared as the set of its
items (SPARQL leaves the order inside it open).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.synthetic import generate
from sdkg.build import build
from sdkg.builds import open_store
from sdkg.catalog import CannedQuery, load_catalog, read_query
from sdkg.layout import ProjectLayout
from sdkg.search.index import Budget, SearchIndex
from sdkg.search.schema import INDEX_FILE
from sdkg.search.values import bind_search
from sdkg.sparql.bindings import substitute
from tests.answers import Value, rows_of
from tests.conftest import REPO

CATALOG = load_catalog(REPO / "queries")
PLAIN = {path.stem: read_query(path) for path in sorted((REPO / "queries" / "plain").glob("*.rq"))}
Bindings = dict[str, ox.NamedNode | ox.Literal]

PARAMETER_VALUES = {
    # every parameter value the data gives: the query is asked once for each
    # (variables that are not parameters order the values, so that the sample takes some of each rule)
    "why": """SELECT DISTINCT ?rule ?subject ?property ?object WHERE { ?explanation sdkg:byRule ?rule ;
        sdkg:explainsSubject ?subject ; sdkg:explainsProperty ?property ; sdkg:explainsObject ?object }""",
    "support-chains": "SELECT DISTINCT ?conclusion WHERE { ?link a sdkg:Support ; sdkg:conclusion ?conclusion }",
    "discourse-cases": "SELECT * WHERE {}",  # no parameter: asked once
    # words searched in the build's index, as /queries/passage-search binds them, and without the index
    "passage-search": """SELECT ?text WHERE { VALUES ?text { "human security" "Libya" "state" "security state"
        "\\"human rights\\"" "sovereign*" "violence OR justice" "security -state" "no-such-word" } }""",
}
MOST = {"why": 120}
"""Parameter values asked at most per query and store (spread over the data, in a stable order; 400 unless
given: the plain ``why`` hashes every triple of the store on each request)."""


def separators(query: CannedQuery) -> dict[str, str]:
    """The GROUP_CONCAT variables of a query and the separator of each."""
    found = re.findall(
        r'GROUP_CONCAT\((?:DISTINCT\s+)?\?\w+(?:\s*;\s*separator\s*=\s*"([^"]*)")?\)\s+AS\s+\?(\w+)',
        query.text,
        flags=re.IGNORECASE,
    )
    return {name: separator or " " for separator, name in found}


def order_keys(query: CannedQuery) -> list[str]:
    clause = re.search(r"^ORDER BY (.*)$", query.text, flags=re.MULTILINE)
    return re.findall(r"\?(\w+)", clause.group(1)) if clause else []


def answer(
    store: ox.Store, query: CannedQuery, binds: Bindings, index: SearchIndex | None = None
) -> tuple[list[str], list[dict[str, Value]]]:
    """The query's rows with its parameters bound as the endpoint binds them (a VALUES block; a search
    parameter's words searched in ``index`` and the matches bound, as ``/queries/{name}`` does)."""
    text = query.text
    for parameter in query.parameters:
        if parameter.kind == "search" and index is not None:
            words = str(binds[parameter.name].value)
            text, _ = bind_search(index, text, words, parameter.scope, parameter.hit_variable, Budget.of(60, None))
    result = store.query(substitute(text, binds) if binds else text, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return rows_of(result, separators(query))


def assert_same_answers(
    store: ox.Store, name: str, binds: Bindings, index: SearchIndex | None = None
) -> list[dict[str, Value]]:
    """The catalog query and its plain form agree on ``store`` for ``binds``; return the rows."""
    plain_names, plain = answer(store, PLAIN[name], binds, index)
    names, planned = answer(store, CATALOG[name], binds, index)
    assert names == plain_names, name
    key = sorted(names)
    assert Counter(tuple(r[n] for n in key) for r in planned) == Counter(tuple(r[n] for n in key) for r in plain), (
        name,
        binds,
    )
    ordered = order_keys(CATALOG[name])
    assert ordered == order_keys(PLAIN[name]), name
    assert [tuple(r[n] for n in ordered) for r in planned] == [tuple(r[n] for n in ordered) for r in plain], name
    return planned


def parameter_values(store: ox.Store, name: str) -> list[Bindings]:
    """Up to :data:`MOST` bindings of the query's parameters that the data gives, spread over all of them."""
    result = store.query(
        "PREFIX sdkg: <https://w3id.org/sdkg/ontology#>\n" + PARAMETER_VALUES[name], use_default_graph_as_union=True
    )
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    parameters = [p.name for p in CATALOG[name].parameters]
    every = sorted((tuple(row[n] for n in names) for row in result), key=lambda row: [str(term) for term in row])
    most = MOST.get(name, 400)
    step = max(1, len(every) // most)
    return [
        {n: term for n, term in zip(names, row, strict=True) if n in parameters}  # type: ignore[misc]
        for row in every[::step][:most]
    ]


def compare_everywhere(store: ox.Store, name: str, index: SearchIndex | None = None) -> list[dict[str, Value]]:
    """Compare the two forms for each parameter value; return every row of the catalog form."""
    rows: list[dict[str, Value]] = []
    values = parameter_values(store, name)
    assert values, name
    for binds in values:
        rows += assert_same_answers(store, name, binds, index)
    return rows


def test_every_plain_form_is_a_catalog_query_that_names_it() -> None:
    assert sorted(PLAIN) == sorted(PARAMETER_VALUES)
    for name in PLAIN:
        assert f"queries/plain/{name}.rq" in CATALOG[name].text, name
        assert [p.name for p in PLAIN[name].parameters] == [p.name for p in CATALOG[name].parameters], name
        assert PLAIN[name].text != CATALOG[name].text, name


@pytest.fixture(scope="module")
def repository_store(store_path: Path) -> ox.Store:
    return ox.Store.read_only(str(store_path))


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("synthetic") / "project", 600)
    return build(ProjectLayout.at(root), publish=False).path


@pytest.fixture(scope="module")
def synthetic_store(synthetic_build: Path) -> Iterator[ox.Store]:
    yield open_store(synthetic_build)


def test_discourse_cases_on_the_repository_build(repository_store: ox.Store) -> None:
    assert compare_everywhere(repository_store, "discourse-cases")
    for premise in ("?premise a/rdfs:subClassOf+ sdkg:Case", "?premise sdkg:aboutCase []"):  # both branches compared
        asked = repository_store.query(
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nPREFIX sdkg: <https://w3id.org/sdkg/ontology#>\n"
            f"ASK {{ [] sdkg:showsFailureOf|sdkg:showsSuccessOf [] ; sdkg:premise ?premise . {premise} }}",
            use_default_graph_as_union=True,
        )
        assert isinstance(asked, ox.QueryBoolean) and bool(asked), premise


def test_why_on_the_repository_build(repository_store: ox.Store) -> None:
    rows = compare_everywhere(repository_store, "why")
    assert any(r["restates"] is not None for r in rows)  # an inverse or symmetric restatement was compared
    assert any(r["restates"] is None and r["quotes"] for r in rows)  # and a derivation grounded in passages


def test_support_chains_on_the_repository_build(repository_store: ox.Store) -> None:
    rows = compare_everywhere(repository_store, "support-chains")
    depths = {r["depth"] for r in rows}
    assert ("Literal", '"1"^^<http://www.w3.org/2001/XMLSchema#integer>') in depths
    assert ("Literal", '"2"^^<http://www.w3.org/2001/XMLSchema#integer>') in depths  # chains, not only links


@pytest.mark.parametrize("name", sorted(PARAMETER_VALUES))
def test_a_synthetic_corpus_answers_as_the_plain_form(synthetic_store: ox.Store, name: str) -> None:
    assert compare_everywhere(synthetic_store, name)


def test_passage_search_on_the_repository_build(repository_store: ox.Store, store_path: Path) -> None:
    searched = compare_everywhere(repository_store, "passage-search", SearchIndex(store_path.parent / INDEX_FILE))
    assert len({r["text"] for r in searched}) > 4 and any(r["claims"] for r in searched)
    raw = compare_everywhere(repository_store, "passage-search")  # no index: the fallback, CONTAINS
    assert raw and all(r["score"] is None for r in raw)


def test_passage_search_on_a_synthetic_corpus(synthetic_store: ox.Store, synthetic_build: Path) -> None:
    assert compare_everywhere(synthetic_store, "passage-search", SearchIndex(synthetic_build / INDEX_FILE))


def test_the_parameter_is_bound_as_the_endpoint_binds_it(repository_store: ox.Store) -> None:
    """The comparison binds with the endpoint's VALUES block: an unknown value answers nothing in either form."""
    nowhere = ox.NamedNode("https://w3id.org/sdkg/id/claim/no-such-claim")
    assert assert_same_answers(repository_store, "support-chains", {"conclusion": nowhere}) == []
