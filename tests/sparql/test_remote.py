"""The remote engine and ``sdkg push`` against a real ``oxigraph serve`` process on 127.0.0.1.

The build is pushed through the Graph Store Protocol, then the same queries run through
:class:`RemoteEngine` and the local engine must give the same answers.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from sdkg.build import BuildResult
from sdkg.cli import main as sdkg_main
from sdkg.layout import ProjectLayout
from sdkg.push import PushFailed, push
from sdkg.sparql.engine import LocalEngine
from sdkg.sparql.errors import QueryTimeout
from sdkg.sparql.job import Dataset, EngineConfig, Limits, QueryJob, QueryOutput
from sdkg.sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS
from sdkg.sparql.remote import RemoteEngine, RemoteStoreError
from tests.conftest import REPO
from tests.endpoint_support import free_port, sdkg_serving

JSON = RESULT_FORMATS[0]
TURTLE = GRAPH_FORMATS[0]
SDKG = "https://w3id.org/sdkg/ontology#"
REPO_QUERIES = REPO / "queries"
PREFIX = f"PREFIX sdkg: <{SDKG}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


# ------------------------------------------------------------------ a real Oxigraph server


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).is_file():
        message = "the oxigraph server is not installed: pip install -e '.[test]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def start_oxigraph(*options: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("oxigraph serve did not start within 20 s")


@pytest.fixture(scope="module")
def oxigraph(built: BuildResult, built_root: Path) -> Iterator[str]:
    """An in-memory ``oxigraph serve --union-default-graph`` holding the pushed build."""
    process, url = start_oxigraph("--union-default-graph")
    try:
        push(ProjectLayout.at(built_root), url + "/store")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def rows(output: QueryOutput) -> list[tuple[tuple[str, str], ...]]:
    """Solutions as sorted, comparable tuples (blank node labels differ between stores, so they are masked)."""
    bindings = json.loads(output.body)["results"]["bindings"]
    masked = [
        tuple(sorted((k, "_:b" if v["type"] == "bnode" else json.dumps(v, sort_keys=True)) for k, v in b.items()))
        for b in bindings
    ]
    return sorted(masked)


QUERIES = [
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?c ?d WHERE { ?c sdkg:relatedDiscourse ?d OPTIONAL { ?c rdfs:comment ?x } }",
]


@pytest.mark.slow
def test_push_copies_every_graph(oxigraph: str, store_path: Path) -> None:
    engine = RemoteEngine(oxigraph + "/query")
    local = ox.Store.read_only(str(store_path))
    assert engine.triple_count() == len(local)
    remote_graphs = asyncio.run(one(engine, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))
    assert {r[0][1] for r in rows(remote_graphs)} == {
        json.dumps({"type": "uri", "value": g.value}) for g in local.named_graphs()
    }


def assert_same_graphs(local: ox.Store, url: str) -> None:
    """Every named graph of ``local`` is on the ``oxigraph serve`` at ``url`` exactly (blank nodes up to renaming)."""
    remote = ox.Store()
    dumped = httpx.get(url + "/store", headers={"Accept": "application/n-quads"}, timeout=60)
    remote.load(dumped.content, format=ox.RdfFormat.N_QUADS)
    for graph in local.named_graphs():
        mine = ox.Dataset(local.quads_for_pattern(None, None, None, graph))
        theirs = ox.Dataset(remote.quads_for_pattern(None, None, None, graph))
        mine.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        theirs.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        assert mine == theirs, graph


@pytest.mark.slow
def test_a_push_in_parts_copies_every_graph_exactly(built: BuildResult, built_root: Path, store_path: Path) -> None:
    """Graphs larger than a part go as a PUT and POSTs; a graph with blank nodes goes whole (their labels
    name one node per request only), so the store holds each graph as the build does, blank nodes included."""
    process, url = start_oxigraph()
    try:
        pushed = push(ProjectLayout.at(built_root), url + "/store", chunk=100)
        local = ox.Store.read_only(str(store_path))
        assert pushed.triples == len(local)
        assert_same_graphs(local, url)
        blank = [
            g for g in local.named_graphs() if local.query(f"ASK {{ GRAPH {g} {{ ?s ?p ?o FILTER isBlank(?s) }} }}")
        ]
        assert blank and max(len(ox.Dataset(local.quads_for_pattern(None, None, None, g))) for g in blank) > 100
    finally:
        process.terminate()
        process.wait(timeout=10)


async def one(engine: RemoteEngine, query: str) -> QueryOutput:
    try:
        return await engine.run(QueryJob(query, JSON))
    finally:
        await engine.stop()


@pytest.mark.slow
def test_remote_answers_match_the_local_store(oxigraph: str, store_path: Path) -> None:
    async def compare() -> None:
        remote, local = RemoteEngine(oxigraph + "/query"), LocalEngine(store_path)
        try:
            for query in QUERIES:
                mine, theirs = (
                    await local.run(QueryJob(PREFIX + query, JSON)),
                    await remote.run(QueryJob(PREFIX + query, JSON)),
                )
                assert rows(theirs) == rows(mine), query
                assert rows(mine), f"no rows at all for {query}: the comparison would prove nothing"
            discourse = {"d": ox.NamedNode("https://w3id.org/sdkg/id/discourse/realist")}
            query = PREFIX + "SELECT ?c ?d WHERE { ?c sdkg:relatedDiscourse ?d }"
            mine = await local.run(QueryJob(query, JSON, substitutions=tuple(discourse.items())))
            theirs = await remote.run(QueryJob(query, JSON, substitutions=tuple(discourse.items())))
            assert rows(theirs) == rows(mine) and rows(mine)
            ask = PREFIX + "ASK { ?d a sdkg:Discourse }"
            assert (
                json.loads((await remote.run(QueryJob(ask, JSON, substitutions=tuple(discourse.items())))).body)[
                    "boolean"
                ]
                is True
            )
            construct = PREFIX + "CONSTRUCT { ?d rdfs:label ?l } WHERE { ?d a sdkg:Discourse ; rdfs:label ?l }"
            mine, theirs = (
                await local.run(QueryJob(construct, graph_format=TURTLE)),
                await remote.run(QueryJob(construct, graph_format=TURTLE)),
            )
            assert theirs.media_type == "text/turtle"
            parsed = [set(ox.parse(o.body, format=ox.RdfFormat.TURTLE)) for o in (mine, theirs)]
            assert parsed[0] == parsed[1] and parsed[0]
            where = await local.run(
                QueryJob(PREFIX + "SELECT ?g WHERE { GRAPH ?g { ?d a sdkg:Discourse } } LIMIT 1", JSON)
            )
            graph = json.loads(where.body)["results"]["bindings"][0]["g"]["value"]
            count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
            one_graph = Dataset(default_graphs=(graph,))
            mine = await local.run(QueryJob(count, JSON, dataset=one_graph))
            theirs = await remote.run(QueryJob(count, JSON, dataset=one_graph))
            assert rows(theirs) == rows(mine)
            capped = await remote.run(QueryJob(PREFIX + QUERIES[1], JSON, max_rows=3))
            assert capped.rows == 3 and capped.truncated
        finally:
            await remote.stop()

    asyncio.run(compare())


@pytest.mark.slow
def test_store_errors_map_to_the_local_engine_exceptions(oxigraph: str) -> None:
    async def errors() -> None:
        engine = RemoteEngine(oxigraph + "/query", EngineConfig(Limits(timeout=5)))
        try:
            with pytest.raises(SyntaxError):
                await engine.run(QueryJob("SELECT ?s WHERE { ?s ", JSON))
            assert await engine.check_union_default_graph() is True
        finally:
            await engine.stop()
        nobody = RemoteEngine(f"http://127.0.0.1:{free_port()}/query", EngineConfig(Limits(timeout=2)))
        try:
            with pytest.raises(RemoteStoreError):
                await nobody.run(QueryJob("ASK {}", JSON))
        finally:
            await nobody.stop()

    asyncio.run(errors())


@pytest.mark.slow
def test_a_slow_store_raises_query_timeout() -> None:
    """A listener that never answers stands in for a store stuck in a long query."""

    async def stuck() -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            engine = RemoteEngine(
                f"http://127.0.0.1:{listener.getsockname()[1]}/query", EngineConfig(Limits(timeout=0.5))
            )
            try:
                with pytest.raises(QueryTimeout):
                    await engine.run(QueryJob("ASK {}", JSON))
            finally:
                await engine.stop()

    asyncio.run(stuck())


@pytest.mark.slow
def test_without_union_default_graph_the_check_says_so(built: BuildResult, built_root: Path) -> None:
    process, url = start_oxigraph()
    try:
        push(ProjectLayout.at(built_root), url + "/store")

        async def check() -> bool:
            engine = RemoteEngine(url + "/query")
            try:
                return await engine.check_union_default_graph()
            finally:
                await engine.stop()

        assert asyncio.run(check()) is False
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_push_command_is_idempotent_and_needs_a_build(
    oxigraph: str, built_root: Path, project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = RemoteEngine(oxigraph + "/query").triple_count()
    assert sdkg_main(["--root", str(built_root), "push", "--to", oxigraph + "/store"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["triples"] == before
    assert RemoteEngine(oxigraph + "/query").triple_count() == before
    with pytest.raises(PushFailed):
        push(ProjectLayout.at(project_copy), oxigraph + "/store")
    assert sdkg_main(["--root", str(project_copy), "push", "--to", oxigraph + "/store"]) == 2


@pytest.mark.slow
def test_the_whole_server_runs_over_a_remote_store(oxigraph: str, built_root: Path) -> None:
    """``sdkg serve --store-url``: endpoint, pages and canned queries answer from the remote store."""
    with sdkg_serving(built_root, "--store-url", oxigraph + "/query") as base:
        answer = httpx.get(
            base + "/sparql",
            params={"query": PREFIX + "SELECT ?l WHERE { ?d a sdkg:Discourse ; rdfs:label ?l } ORDER BY ?l"},
            headers={"Accept": "application/sparql-results+json"},
        )
        labels = [b["l"]["value"] for b in answer.json()["results"]["bindings"]]
        assert labels == [
            "critical discourse of security",
            "pluralist discourse of security",
            "realist discourse of security",
        ]
        page = httpx.get(base + "/id/actor/mary-kaldor", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Mary Kaldor" in page.text
        refused = httpx.get(
            base + "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}
        )
        assert refused.status_code == 403


@pytest.mark.slow
def test_a_federated_query_is_prepared_and_fails_as_locally(
    oxigraph: str, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the remote engine, ``?item`` is bound to the store's mapped items and an unreachable Wikidata
    (here a local port where nothing listens, which the remote store then fails to reach) is the same 502
    error as on the local engine."""
    from sdkg.sparql import federation
    from sdkg.sparql.errors import UpstreamFailed

    monkeypatch.setenv("SDKG_WIKIDATA_ENDPOINT", f"http://127.0.0.1:{free_port()}/sparql")
    query = (REPO_QUERIES / "wikidata-person-lives.rq").read_text(encoding="utf-8")
    for engine in (RemoteEngine(oxigraph + "/query"), LocalEngine(store_path)):
        with pytest.raises(UpstreamFailed, match=r"^Wikidata could not be queried \(offline or unavailable\): "):
            asyncio.run(one_job(engine, QueryJob(query, JSON)))
    items = asyncio.run(mapped_items_of(RemoteEngine(oxigraph + "/query")))
    assert items and items == sorted(items) and all(federation.QID.match(i.rsplit("/", 1)[1]) for i in items)


async def one_job(engine: RemoteEngine | LocalEngine, job: QueryJob) -> QueryOutput:
    try:
        return await engine.run(job)
    finally:
        await engine.stop()


async def mapped_items_of(engine: RemoteEngine) -> list[str]:
    try:
        return await engine.mapped_items(10.0)
    finally:
        await engine.stop()


class StallingProxy(http.server.ThreadingHTTPServer):
    """A proxy in front of a real store that leaves the requests numbered in ``stall`` unanswered, and the first
    POST too when ``stall_a_post`` (it reads them, then holds the connection open and says nothing), as
    Virtuoso was seen to do now and then. ``stalled`` records the methods it left unanswered."""

    daemon_threads = True

    def __init__(self, target: str, stall: set[int], stall_a_post: bool = False):
        self.target, self.stall, self.seen, self.stall_a_post = target, stall, 0, stall_a_post
        self.stalled: list[str] = []
        self.lock, self.released = threading.Lock(), threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                self.forward()

            do_POST = do_PUT
            do_GET = do_PUT

            def forward(self) -> None:
                server: StallingProxy = self.server  # type: ignore[assignment]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.seen += 1
                    stall = server.seen in server.stall or (server.stall_a_post and self.command == "POST")
                    if stall:
                        server.stalled.append(self.command)
                        server.stall_a_post = server.stall_a_post and self.command != "POST"
                if stall:
                    server.released.wait(60)
                    return
                response = httpx.request(
                    self.command,
                    server.target + self.path,
                    content=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
                    timeout=60,
                )
                self.send_response(response.status_code)
                for name in ("content-type",):
                    if name in response.headers:
                        self.send_header(name, response.headers[name])
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.mark.slow
def test_a_request_left_unanswered_is_sent_again_and_the_graphs_come_out_exact(
    built_root: Path, store_path: Path
) -> None:
    """The first PUT and a POST in the middle of a graph get no answer: each is sent again on a new connection
    and the store ends up holding every graph exactly; with no retries left, the push fails and says so."""
    process, url = start_oxigraph()
    proxy = StallingProxy(url, stall={1}, stall_a_post=True)
    serving = threading.Thread(target=proxy.serve_forever, daemon=True)
    serving.start()
    said: list[str] = []
    try:
        address = f"http://127.0.0.1:{proxy.server_address[1]}/store"
        pushed = push(ProjectLayout.at(built_root), address, progress=said.append, timeout=1.0, chunk=2000)
        local = ox.Store.read_only(str(store_path))
        assert pushed.triples == len(local)
        assert sum("no answer in 1 s" in line for line in said) == 2, said
        assert proxy.stalled == ["PUT", "POST"]
        assert_same_graphs(local, url)
        proxy.stall, proxy.seen = {1, 2, 3}, 0
        with pytest.raises(PushFailed, match="gave no answer to the PUT of graph"):
            push(ProjectLayout.at(built_root), address, timeout=1.0, retries=2)
    finally:
        proxy.released.set()
        proxy.shutdown()
        process.terminate()
        process.wait(timeout=10)
