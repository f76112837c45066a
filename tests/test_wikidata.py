"""Wikidata: `sdkg wikidata check|suggest` and the federated catalog queries.

Wikidata itself is out of reach here, so a real `oxigraph serve` (PyPI package `oxigraph`)
holding a small Wikidata-shaped fixture stands in for each endpoint, configured through
SDKG_WIKIDATA_ENDPOINT / SDKG_WIKIDATA_SCHOLARLY_ENDPOINT or --endpoint.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg import wikidata as wd
from sdkg.catalog import load_catalog
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.namespaces import WIKIDATA_MAIN, WIKIDATA_SCHOLARLY
from sdkg.project import ProjectError, ProjectFile, parse_sssom_file
from sdkg.sparql import federation
from sdkg.sparql.engine import LocalEngine
from sdkg.sparql.execute import mapped_items
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "wikidata"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
SSSOM_HEADER = """# curie_map:
#   sdkg_id: https://w3id.org/sdkg/id/
#   semapv: https://w3id.org/semapv/vocab/
#   skos: http://www.w3.org/2004/02/skos/core#
#   sssom: https://w3id.org/sssom/
#   wikidata: http://www.wikidata.org/entity/
# mapping_set_id: https://w3id.org/sdkg/mappings/test
subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\tauthor_id\tauthor_label\tmapping_date\tconfidence\tcomment
"""


def sssom_row(
    subject: str, label: str, obj: str, object_label: str = "", confidence: str = "0.95", comment: str = ""
) -> str:
    cells = [f"sdkg_id:{subject}", label, "skos:exactMatch", obj, object_label, "semapv:ManualMappingCuration"]
    return "\t".join([*cells, "", "", "2025-01-01", confidence, comment]) + "\n"


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.skip("the `oxigraph` server binary is missing: pip install oxigraph")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_fixture(tmp: Path, fixture: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Load a fixture into a fresh Oxigraph database and serve it on 127.0.0.1."""
    binary = oxigraph_binary()
    location = tmp / fixture.stem
    subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(fixture)], check=True, capture_output=True
    )
    port = free_port()
    process = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}/query"
    for _ in range(100):  # at most ~10 s
        try:
            urllib.request.urlopen(f"{endpoint}?query=ASK%7B%7D", timeout=1).read()
            return process, endpoint
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"oxigraph serve did not start on port {port}")


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The two Wikidata endpoints, played by two local Oxigraph servers."""
    tmp = tmp_path_factory.mktemp("wikidata")
    main_server, main_endpoint = serve_fixture(tmp, FIXTURES / "main.ttl")
    scholarly_server, scholarly_endpoint = serve_fixture(tmp, FIXTURES / "scholarly.ttl")
    try:
        yield {WIKIDATA_MAIN: main_endpoint, WIKIDATA_SCHOLARLY: scholarly_endpoint}
    finally:
        for process in (main_server, scholarly_server):
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def environ(endpoints: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    settings = {setting: endpoints[canonical] for canonical, setting in federation.ENDPOINT_SETTINGS.items()}
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture(scope="module")
def fixture_graph() -> ox.Store:
    store = ox.Store()
    for name in ("main", "scholarly"):
        store.bulk_load(path=FIXTURES / f"{name}.ttl", format=ox.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def graph(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The built repository data plus one test-only mapping to reach the scholarly fixture (on disk, for an engine)."""
    built = ox.Store.read_only(str(store_path))
    store = ox.Store(str(tmp_path_factory.mktemp("federated") / "store"))
    store.bulk_extend(built.quads_for_pattern(None, None, None, None))
    test_graph = ox.NamedNode("https://w3id.org/sdkg/graph/test")
    person = ox.NamedNode("https://w3id.org/sdkg/id/actor/test-scholar")
    store.add(
        ox.Quad(person, ox.NamedNode(str(RDF_TYPE)), ox.NamedNode("https://w3id.org/sdkg/ontology#Person"), test_graph)
    )
    store.add(ox.Quad(person, ox.NamedNode(LABEL), ox.Literal("Test Scholar", language="en"), test_graph))
    store.add(ox.Quad(person, ox.NamedNode(EXACT_MATCH), ox.NamedNode(WD + "Q9049"), test_graph))
    store.flush()
    return store


@pytest.fixture(scope="module")
def engine(graph: ox.Store, tmp_path_factory: pytest.TempPathFactory) -> LocalEngine:
    """The engine the server would use over ``graph`` (a read-only copy: pyoxigraph locks a store once open)."""
    copy = tmp_path_factory.mktemp("federated-copy") / "store"
    graph.backup(str(copy))
    return LocalEngine(copy)


def prepared(engine: LocalEngine, name: str) -> str:
    """A catalog query as every engine prepares it before evaluating it (:func:`sdkg.sparql.federation.prepare`)."""
    return federation.prepare(catalog_query(name), lambda: mapped_items(engine.store))


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"


def run(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]  # type: ignore[union-attr]


def catalog_query(name: str) -> str:
    return load_catalog(REPO / "queries")[name].text


# ---------------------------------------------------------------- federation, offline


def test_federate_maps_endpoints_and_binds_items() -> None:
    query = catalog_query("wikidata-scholarly-works")
    endpoints = {WIKIDATA_MAIN: "http://127.0.0.1:1/query", WIKIDATA_SCHOLARLY: "http://127.0.0.1:2/query"}
    items = [WD + "Q9049", WD + "Q76430", "http://example.org/not-wikidata", WD + "Q1> } ?x ?y ?z { "]
    text = federation.federate(query, items, endpoints)
    assert "query.wikidata.org" not in text.split("PREFIX")[-1] and "query-scholarly" not in text.split("PREFIX")[-1]
    assert text.count("SERVICE <http://127.0.0.1:2/query> { VALUES ?item { <" + WD + "Q9049> <" + WD + "Q76430> }") == 1
    assert text.count("SERVICE <http://127.0.0.1:1/query> { VALUES ?item {") == 1
    assert "example.org" not in text and "?x ?y ?z" not in text
    ox.Store().query(text.replace("SERVICE", "SERVICE SILENT"))  # still a well-formed query


def test_endpoint_settings() -> None:
    assert federation.configured_endpoints({}) == {
        WIKIDATA_MAIN: WIKIDATA_MAIN,
        WIKIDATA_SCHOLARLY: WIKIDATA_SCHOLARLY,
    }
    env = {"SDKG_WIKIDATA_ENDPOINT": "http://127.0.0.1:9/query"}
    assert federation.configured_endpoints(env)[WIKIDATA_MAIN] == "http://127.0.0.1:9/query"
    with pytest.raises(ValueError):
        federation.configured_endpoints({"SDKG_WIKIDATA_SCHOLARLY_ENDPOINT": "http://x/> } INSERT"})


def test_non_wikidata_services_are_left_alone() -> None:
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?item ?p ?o } }"
    assert not federation.is_federated(query)
    assert federation.federate(query, [WD + "Q1"], {}) == query


def test_check_offline_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreachable endpoint is said plainly and gets its own exit code (3), not 0, 1 or 2."""
    port = free_port()  # nothing listens there
    code = main(
        ["--root", str(REPO), "wikidata", "check", "--endpoint", f"http://127.0.0.1:{port}/sparql", "--timeout", "5"]
    )
    assert code == wd.EXIT_OFFLINE == 3
    err = capsys.readouterr().err
    assert err.startswith("offline:") and "nothing was checked" in err


def test_check_real_wikidata_is_offline_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a network (as in CI here), checking against Wikidata itself takes the offline path."""
    monkeypatch.delenv("SDKG_WIKIDATA_ENDPOINT", raising=False)
    try:
        socket.getaddrinfo("query.wikidata.org", 443)
    except OSError:
        assert main(["--root", str(REPO), "wikidata", "check", "--timeout", "10"]) == wd.EXIT_OFFLINE
        assert "offline" in capsys.readouterr().err
    else:
        pytest.skip("query.wikidata.org resolves: this machine is online")


def test_label_matching() -> None:
    assert wd.labels_match(["War in Afghanistan (2001-2021)"], ["War in Afghanistan (2001–2021)"])
    assert wd.labels_match(["North Atlantic Treaty Organization"], ["NATO", "North Atlantic Treaty Organization"])
    assert wd.labels_match(["the Left"], ["Left"])
    assert not wd.labels_match(["Rwanda"], ["United Nations", "UN"])


# ---------------------------------------------------------------- SSSOM mapping predicates


def test_close_and_broad_matches_load_and_other_predicates_are_refused(tmp_path: Path) -> None:
    """A row may say exactMatch, closeMatch or broadMatch; any other predicate is a clear error."""
    rows = (
        sssom_row("actor/united-nations", "United Nations", "wikidata:Q1065", "United Nations")
        + sssom_row("actor/red-cross", "Red Cross", "wikidata:Q5987345").replace("skos:exactMatch", "skos:closeMatch")
        + sssom_row("case/article-3", "Article 3", "wikidata:Q7813").replace("skos:exactMatch", "skos:broadMatch")
    )
    table = tmp_path / "test.sssom.tsv"
    table.write_text(SSSOM_HEADER + rows, encoding="utf-8")
    quads = parse_sssom_file(ProjectFile(table, "https://w3id.org/sdkg/graph/test", "mapping"))
    skos = "http://www.w3.org/2004/02/skos/core#"
    assert [(q.subject.value.rsplit("/", 1)[-1], q.predicate.value, q.object.value) for q in quads] == [
        ("united-nations", skos + "exactMatch", WD + "Q1065"),
        ("red-cross", skos + "closeMatch", WD + "Q5987345"),
        ("article-3", skos + "broadMatch", WD + "Q7813"),
    ]
    table.write_text(SSSOM_HEADER + rows.replace("skos:broadMatch", "skos:relatedMatch"), encoding="utf-8")
    with pytest.raises(ProjectError, match=r"test\.sssom\.tsv:11: predicate must be skos:exactMatch, "):
        parse_sssom_file(ProjectFile(table, "https://w3id.org/sdkg/graph/test", "mapping"))


# ---------------------------------------------------------------- check and suggest, against oxigraph serve


def small_project(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "data" / "mappings").mkdir(parents=True)
    (tmp_path / "data" / "mappings" / "test.sssom.tsv").write_text(SSSOM_HEADER + rows, encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_check_online(tmp_path: Path, endpoints: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    root = small_project(
        tmp_path,
        sssom_row("actor/united-nations", "United Nations", "wikidata:Q1065", "United Nations")
        + sssom_row("actor/nato", "North Atlantic Treaty Organization", "wikidata:Q7184", "NATO")
        + sssom_row("actor/rwanda", "Rwanda", "wikidata:Q1065", "United Nations")
        + sssom_row("actor/merged", "United Nations", "wikidata:Q900000002")
        + sssom_row("actor/gone", "Gone", "wikidata:Q900000003")
        + sssom_row("place/europe", "Europe", "sssom:NoTermFound", confidence="")
        + sssom_row("actor/suggested", "Nowhere", "wikidata:Q900000003", confidence="0.3", comment="unreviewed: x"),
    )
    code = main(["--root", str(root), "wikidata", "check", "--endpoint", endpoints[WIKIDATA_MAIN], "--format", "json"])
    report = {r["subject"]: r for r in json.loads(capsys.readouterr().out)}
    assert code == 1
    assert {s: r["status"] for s, r in report.items()} == {
        "sdkg_id:actor/united-nations": "ok",
        "sdkg_id:actor/nato": "ok",
        "sdkg_id:actor/rwanda": "label-mismatch",
        "sdkg_id:actor/merged": "redirect",
        "sdkg_id:actor/gone": "missing",
    }
    assert "Q1065" in report["sdkg_id:actor/merged"]["detail"]
    clean = small_project(tmp_path / "clean", sssom_row("actor/united-nations", "United Nations", "wikidata:Q1065"))
    assert main(["--root", str(clean), "wikidata", "check", "--endpoint", endpoints[WIKIDATA_MAIN]]) == 0


@pytest.mark.slow
def test_check_repository_mappings(environ: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """The environment setting replaces Wikidata; every accepted QID of the repo is checked."""
    code = main(["--root", str(REPO), "wikidata", "check", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    accepted = {r.qid for r in wd.read_mappings(ProjectLayout.at(REPO)) if r.status == "accepted"}
    assert {r["qid"] for r in report} == accepted
    assert code in (0, 1)  # QIDs the fixture lacks are reported as missing, not as an error
    by_qid = {r["qid"]: r["status"] for r in report}
    assert by_qid.get("Q1065") == "ok"


@pytest.mark.slow
def test_suggest_writes_unreviewed_rows(tmp_path: Path, endpoints: dict[str, str]) -> None:
    rows = (
        sssom_row("place/europe", "Europe", "sssom:NoTermFound", confidence="")
        + sssom_row("actor/rwanda", "Rwanda", "sssom:NoTermFound", confidence="")
        + sssom_row("actor/nobody", "Nobody Known", "sssom:NoTermFound", confidence="")
        + sssom_row("actor/united-nations", "United Nations", "wikidata:Q1065", "United Nations")
    )
    root = small_project(tmp_path, rows)
    table = root / "data" / "mappings" / "test.sssom.tsv"
    before = table.read_text(encoding="utf-8")
    endpoint = endpoints[WIKIDATA_MAIN]
    assert main(["--root", str(root), "wikidata", "suggest", "--endpoint", endpoint, "--dry-run"]) == 0
    assert table.read_text(encoding="utf-8") == before
    assert main(["--root", str(root), "wikidata", "suggest", "--endpoint", endpoint]) == 0
    after = table.read_text(encoding="utf-8")
    assert after.startswith(before)
    added = [line.split("\t") for line in after[len(before) :].splitlines()]
    assert [(r[0], r[3]) for r in added] == [
        ("sdkg_id:actor/rwanda", "wikidata:Q1037"),
        ("sdkg_id:place/europe", "wikidata:Q46"),  # the better-known item first
        ("sdkg_id:place/europe", "wikidata:Q900000001"),
    ]
    for row in added:
        assert row[-1].startswith("unreviewed") and float(row[-2]) < 0.5
    statuses = {(r.subject_id, r.object_id): r.status for r in wd.read_mappings(ProjectLayout.at(root))}
    assert statuses[("sdkg_id:place/europe", "wikidata:Q46")] == "suggestion"
    published = parse_sssom_file(ProjectFile(table, "https://w3id.org/sdkg/graph/test", "mapping"))
    assert [q.object.value for q in published] == [WD + "Q1065"]  # suggestions are never published
    # A second run proposes nothing new for entities that already have suggestions.
    assert main(["--root", str(root), "wikidata", "suggest", "--endpoint", endpoint]) == 0
    assert table.read_text(encoding="utf-8") == after


# ---------------------------------------------------------------- federated catalog queries


def expected_values(fixture: ox.Store, items: set[str], prop: str) -> dict[str, str]:
    rows = run(fixture, f"SELECT ?item ?v WHERE {{ ?item <{WDT}{prop}> ?v }}")
    return {r["item"]: r["v"] for r in rows if r["item"] in items}


@pytest.mark.slow
def test_person_lives(graph: ox.Store, engine: LocalEngine, fixture_graph: ox.Store, environ: dict[str, str]) -> None:
    rows = run(graph, prepared(engine, "wikidata-person-lives"))
    persons = {
        r["item"]
        for r in run(
            graph, "SELECT ?item WHERE { ?p a <https://w3id.org/sdkg/ontology#Person> ; <" + EXACT_MATCH + "> ?item }"
        )
    }
    born = expected_values(fixture_graph, persons, "P569")
    died = expected_values(fixture_graph, persons, "P570")
    assert born and {r["item"]: r["born"] for r in rows} == born
    assert {r["item"]: r["died"] for r in rows if "died" in r} == died
    assert rows[0]["born"] == min(born.values())  # ordered by birth


@pytest.mark.slow
def test_place_coordinates(
    graph: ox.Store, engine: LocalEngine, fixture_graph: ox.Store, environ: dict[str, str]
) -> None:
    rows = run(graph, prepared(engine, "wikidata-place-coordinates"))
    by_label = {r["label"]: r for r in rows}
    assert by_label["Iraq"]["coordinates"] == "Point(44.0 33.0)" and by_label["Iraq"]["kind"] == "state"
    assert int(by_label["Iraq"]["sources"]) == 2
    mapped = {r["item"] for r in run(graph, "SELECT ?item WHERE { ?s <" + EXACT_MATCH + "> ?item }")}
    assert {r["item"] for r in rows} <= set(expected_values(fixture_graph, mapped, "P625"))


@pytest.mark.slow
def test_case_map_and_dates(graph: ox.Store, engine: LocalEngine, environ: dict[str, str]) -> None:
    located = run(graph, prepared(engine, "wikidata-case-map"))
    assert {"caseLabel": "Iraq War", "locationLabel": "Iraq", "coordinates": "Point(44.0 33.0)"}.items() <= next(
        r for r in located if r["caseLabel"] == "Iraq War"
    ).items()
    dates = {r["label"]: r for r in run(graph, prepared(engine, "wikidata-case-dates"))}
    assert dates["Iraq War"]["wikidataStart"].startswith("2003-03-20")
    assert dates["Iraq War"]["startYear"] == "2003" and dates["Iraq War"]["note"] == ""
    assert dates["War in Afghanistan (2001-2021)"]["wikidataEnd"].startswith("2021-08-30")


@pytest.mark.slow
def test_scholarly_works_use_both_endpoints(graph: ox.Store, engine: LocalEngine, environ: dict[str, str]) -> None:
    rows = run(graph, prepared(engine, "wikidata-scholarly-works"))
    chomsky = [r for r in rows if r["person"].endswith("/test-scholar")]
    assert [r["title"] for r in chomsky] == [
        "Three models for the description of language",
        "On certain formal properties of grammars",
    ]
    assert {r["born"] for r in chomsky} == {"1928-12-07T00:00:00Z"}  # from the main graph
    assert all("fixture article by an author the graph does not map" not in r["title"] for r in rows)
