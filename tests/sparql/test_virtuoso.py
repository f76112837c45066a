"""``sdkg push`` and ``sdkg serve --store-url`` against a real Virtuoso 7 (Debian's virtuoso-opensource-7-bin).

Virtuoso starts on 127.0.0.1 with a private database and ini (scripts/install-virtuoso.sh
installs it); the build is pushed through its authenticated Graph Store Protocol endpoint
(HTTP Digest), and the catalog and the pages are compared with the local store's answers.
Where Virtuoso 7.2.5 answers wrongly, the test says so by name (strict ``xfail``): when a
Virtuoso or a rewritten query fixes it, the test fails and the list must shrink.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from bench.remote import VIRTUOSO_INI
from sdkg.build import BuildResult
from sdkg.catalog import load_catalog
from sdkg.cli import main as sdkg_main
from sdkg.layout import ProjectLayout
from sdkg.push import ChallengeAuth, credentials, push
from sdkg.sparql import federation
from sdkg.sparql.engine import LocalEngine
from sdkg.sparql.job import EngineConfig, Limits, QueryJob
from sdkg.sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS
from sdkg.sparql.remote import STORE_GRAPHS, RemoteEngine
from sdkg.web.app import Settings, create_app
from tests.conftest import REPO
from tests.endpoint_support import free_port, sdkg_serving

JSON = RESULT_FORMATS[0]
NTRIPLES = next(f for f in GRAPH_FORMATS if f.name == "ntriples")
QUERIES = REPO / "queries"
SDKG = "PREFIX sdkg: <https://w3id.org/sdkg/ontology#>\n"
DBA = ("dba", "dba")  # a fresh database's administrator; the server listens on 127.0.0.1 only, and lives for the test
"""Virtuoso's own default caps answers at 10,000 rows without saying so; this raises the cap."""

VIRTUOSO_BUGS = {
    "case-timeline": "SAMPLE() over a group joined with a transitive path (rdfs:subClassOf*) collapses the groups",
}
"""Catalog queries Virtuoso 7.2.5 answers wrongly (checked by hand against the local store)."""
VIRTUOSO_LOSES_ROWS = {
    "discourse-cases": "a property bound by VALUES joined with a transitive path (a/rdfs:subClassOf*) loses solutions",
}
"""Catalog queries for which Virtuoso 7.2.5 sometimes (not on every run: it depends on how the pushed graphs
were stored) drops solutions; it must never add one."""


def virtuoso_binary() -> str:
    found = shutil.which("virtuoso-t")
    if found is None:
        message = "Virtuoso is not installed: sh scripts/install-virtuoso.sh (as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def start_virtuoso(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A new Virtuoso with a private database in ``directory``, on free ports of 127.0.0.1."""
    http = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(dir=directory, http=http, isql=free_port(), buffers=10_000, dirty=6_000, limit=60)
    )
    process = subprocess.Popen(
        [virtuoso_binary(), "+configfile", str(ini), "+foreground"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{http}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    log = directory / "virtuoso.log"
    raise RuntimeError("Virtuoso did not start within 60 s: " + (log.read_text()[-2000:] if log.exists() else ""))


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def virtuoso(built: BuildResult, built_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Virtuoso holding the pushed build; yields its base URL."""
    process, url = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        push(ProjectLayout.at(built_root), url + "/sparql-graph-crud-auth", auth=ChallengeAuth(*DBA))
        yield url
    finally:
        stop(process)


def normalised(body: bytes) -> list[tuple[tuple[str, str], ...]]:
    """Rows by their IRIs, numbers and truth values only: Virtuoso drops GROUP_CONCAT's language tag and
    orders it differently, and answers an EXISTS bound to a variable as the integer 1 or 0."""
    rows = json.loads(body)["results"]["bindings"]
    truth = {"true": "1", "false": "0"}
    return sorted(
        tuple(
            sorted(
                (
                    name,
                    truth.get(term["value"], term["value"])
                    if term.get("datatype", "").endswith("#boolean")
                    else term["value"],
                )
                for name, term in row.items()
                if term["type"] == "uri" or term.get("datatype", "").endswith(("#integer", "#decimal", "#boolean"))
            )
        )
        for row in rows
    )


def catalog_cases() -> list[object]:
    cases: list[object] = []
    for name, query in load_catalog(QUERIES).items():
        if federation.is_federated(query.text):
            continue  # needs Wikidata, which tests do not reach
        marks = [pytest.mark.xfail(strict=True, reason=VIRTUOSO_BUGS[name])] if name in VIRTUOSO_BUGS else []
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


@pytest.mark.slow
def test_push_copies_every_graph_and_the_count_leaves_out_virtuosos_own(virtuoso: str, store_path: Path) -> None:
    local = ox.Store.read_only(str(store_path))
    engine = RemoteEngine(virtuoso + "/sparql")
    assert engine.triple_count() == len(local)

    async def graphs() -> set[str]:
        try:
            # GROUP BY, not DISTINCT: Virtuoso 7.2.5 takes 35 s over SELECT DISTINCT ?g on 18,000 quads
            output = await engine.run(QueryJob("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", JSON))
        finally:
            await engine.stop()
        return {b["g"]["value"] for b in json.loads(output.body)["results"]["bindings"]}

    assert asyncio.run(graphs()) - set(STORE_GRAPHS) == {g.value for g in local.named_graphs()}


def triples(body: bytes) -> set[tuple[str, str, str]]:
    """A graph answer (N-Triples) as its statements, literals by their lexical form (Virtuoso drops tags)."""
    found = set()
    for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
        obj = triple.object
        found.add((str(triple.subject), str(triple.predicate), obj.value if isinstance(obj, ox.Literal) else str(obj)))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", catalog_cases())
def test_catalog_answers_match_the_local_store(virtuoso: str, store_path: Path, name: str) -> None:
    query = load_catalog(QUERIES)[name]
    substitutions = {p.name: p.term() for p in query.parameters}
    graph = "CONSTRUCT" in query.text.split("WHERE")[0]

    def job() -> QueryJob:
        if graph:
            return QueryJob(query.text, graph_format=NTRIPLES, substitutions=tuple(substitutions.items()))
        return QueryJob(query.text, JSON, substitutions=tuple(substitutions.items()))

    async def both() -> tuple[bytes, bytes]:
        remote = RemoteEngine(virtuoso + "/sparql", EngineConfig(Limits(timeout=60)))
        try:
            mine = await LocalEngine(store_path).run(job())
            theirs = await remote.run(job())
        finally:
            await remote.stop()
        return mine.body, theirs.body

    mine, theirs = asyncio.run(both())
    if graph:
        assert triples(theirs) == triples(mine)
        return
    if name in VIRTUOSO_LOSES_ROWS:
        assert set(normalised(theirs)) <= set(normalised(mine)), VIRTUOSO_LOSES_ROWS[name]
        return
    assert len(normalised(theirs)) == len(normalised(mine))
    assert normalised(theirs) == normalised(mine)


@pytest.mark.slow
def test_ask_blank_nodes_and_the_union_default_graph(virtuoso: str) -> None:
    async def check() -> None:
        engine = RemoteEngine(virtuoso + "/sparql")
        try:
            assert await engine.check_union_default_graph() is True
            yes = await engine.run(QueryJob(SDKG + "ASK { ?d a sdkg:Discourse }", JSON))
            no = await engine.run(QueryJob(SDKG + "ASK { ?d a sdkg:NoSuchClass }", JSON))
            assert (json.loads(yes.body)["boolean"], json.loads(no.body)["boolean"]) == (True, False)
            selectors = "SELECT ?p ?q WHERE { ?p <http://www.w3.org/ns/oa#hasSelector> ?q } LIMIT 5"
            rows = json.loads((await engine.run(QueryJob(selectors, JSON))).body)["results"]["bindings"]
            assert rows and all(r["q"]["type"] == "bnode" for r in rows)  # Virtuoso's nodeID:// labels, renamed
        finally:
            await engine.stop()

    asyncio.run(check())


@pytest.mark.slow
def test_push_takes_the_login_from_the_environment_or_netrc(
    virtuoso: str, built_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gsp = virtuoso + "/sparql-graph-crud-auth"
    before = RemoteEngine(virtuoso + "/sparql").triple_count()
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.delenv("SDKG_PUSH_PASSWORD", raising=False)
    assert sdkg_main(["--root", str(built_root), "push", "--to", gsp]) == 2  # no login: 401
    assert "401" in capsys.readouterr().err
    assert sdkg_main(["--root", str(built_root), "push", "--to", gsp, "--user", "dba"]) == 2  # no password
    monkeypatch.setenv("SDKG_PUSH_PASSWORD", "wrong")
    assert sdkg_main(["--root", str(built_root), "push", "--to", gsp, "--user", "dba"]) == 2
    monkeypatch.setenv("SDKG_PUSH_PASSWORD", DBA[1])
    assert sdkg_main(["--root", str(built_root), "push", "--to", gsp, "--user", DBA[0]]) == 0
    capsys.readouterr()
    monkeypatch.delenv("SDKG_PUSH_PASSWORD")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {DBA[0]} password {DBA[1]}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert isinstance(credentials(gsp, None), ChallengeAuth)
    assert sdkg_main(["--root", str(built_root), "push", "--to", gsp]) == 0
    assert json.loads(capsys.readouterr().out)["triples"] == before
    assert RemoteEngine(virtuoso + "/sparql").triple_count() == before  # pushing again replaces, never adds
    assert sdkg_main(["--root", str(built_root), "push", "--to", virtuoso + "/sparql-graph-crud"]) == 2  # read-only


def links(html: str) -> set[str]:
    return set(re.findall(r'href="(/id/[^"#?]*)"', html))


@pytest.mark.slow
def test_pages_over_virtuoso(virtuoso: str, store_path: Path, built_root: Path) -> None:
    """Pages that Virtuoso's bugs leave alone are the same; the ones it breaks are named, so a fix shows."""
    local = create_app(Settings(store_path=store_path, root=built_root))
    remote = create_app(Settings(store_path=store_path, root=built_root, store_url=virtuoso + "/sparql"))
    html = {"Accept": "text/html"}
    with TestClient(local) as mine, TestClient(remote, raise_server_exceptions=False) as theirs:
        same = ["/id/", "/id/actor/", "/id/passage/", "/id/passage/kr-8363-8526", "/id/place/syria"]
        same.append("/id/source/kaldor-cosmopolitan-rejoinder")
        for path in same:
            a, b = mine.get(path, headers=html), theirs.get(path, headers=html)
            assert (b.status_code, links(b.text)) == (a.status_code, links(a.text)), path
        turtle = {"Accept": "text/turtle"}
        graphs = [
            set(ox.parse(c.get("/id/passage/kr-8363-8526", headers=turtle).content, format=ox.RdfFormat.TURTLE))
            for c in (mine, theirs)
        ]
        assert len(graphs[0]) == len(graphs[1]) > 0
        # Virtuoso 7.2.5 loses the ascriptions of the claims a page shows (describe.CLAIMS: UNION + BIND joined
        # with a/rdfs:subClassOf*). (The kind lists, once a 500 for an ORDER BY on an aggregate, SP031, now page
        # by IRI and are among the pages above.)
        a, b = mine.get("/id/actor/mary-kaldor", headers=html), theirs.get("/id/actor/mary-kaldor", headers=html)
        assert b.status_code == 200 and "Mary Kaldor" in b.text
        assert links(b.text) < links(a.text), "the ascription links are back: update the report and this test"


@pytest.mark.slow
def test_sdkg_serve_over_virtuoso(virtuoso: str, built_root: Path, store_path: Path) -> None:
    with sdkg_serving(built_root, "--store-url", virtuoso + "/sparql") as base:
        health = httpx.get(base + "/health", timeout=10)
        assert health.json()["triples"] == len(ox.Store.read_only(str(store_path)))
        canned = httpx.get(base + "/queries/claims-per-discourse.json", timeout=30)
        assert canned.status_code == 200 and len(canned.json()["results"]["bindings"]) > 0
        refused = httpx.get(
            base + "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}
        )
        assert refused.status_code == 403
