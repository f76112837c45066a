"""Safety: the hard timeout, the SERVICE allow-list, the row cap, the size limit,
read-only by default, and SHACL-gated admin writes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdkg.web.app import Settings, create_app
from tests.endpoint_support import EX, make_store, people

JSON = {"Accept": "application/sparql-results+json"}
HOSTILE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SMALL = f"SELECT ?l WHERE {{ <{EX}person/1> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("safety"), people(200))


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    settings = Settings(store_path=store, timeout=2.0, max_rows=10, max_request_bytes=4000, workers=2)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def timed_get(client: TestClient, query: str, **params: str) -> tuple[int, float, dict[str, object]]:
    started = time.monotonic()
    response = client.get("/sparql", params={"query": query, **params}, headers=JSON)
    return response.status_code, time.monotonic() - started, response.json()


def test_hostile_query_times_out_while_small_queries_answer(client: TestClient) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        hostile = pool.submit(timed_get, client, HOSTILE)
        time.sleep(0.3)  # let the hostile query take its worker
        small = []
        while not hostile.done() and len(small) < 40:
            small.append(timed_get(client, SMALL))
        status, seconds, body = hostile.result(timeout=30)
    assert status == 504
    assert body["status"] == 504 and "timed out" in str(body["error"])
    assert 2.0 <= seconds < 8.0
    assert len(small) >= 3
    for small_status, small_seconds, _ in small:
        assert small_status == 200
        assert small_seconds < 1.0
    # the pool recovers: a fresh worker replaces the killed one
    assert timed_get(client, SMALL)[0] == 200
    assert "sdkg_query_timeouts_total 1" in client.get("/metrics").text


def test_timeout_parameter_only_lowers_the_limit(client: TestClient) -> None:
    status, seconds, _ = timed_get(client, HOSTILE, timeout="0.5")
    assert status == 504 and seconds < 2.0
    status, seconds, body = timed_get(client, HOSTILE, timeout="1000")
    assert status == 504 and body["timeout"] == 2.0


def test_row_cap_is_never_silent(client: TestClient) -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    data = client.get("/sparql", params={"query": query}, headers=JSON)
    assert data.json()["truncated"] is True
    assert len(data.json()["results"]["bindings"]) == 10
    assert data.headers["X-SDKG-Truncated"] == "true"
    csv = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert csv.headers["X-SDKG-Truncated"] == "true" and csv.headers["X-SDKG-Row-Limit"] == "10"
    assert len(csv.text.strip().splitlines()) == 11
    small = client.get("/sparql", params={"query": query + " LIMIT 4"}, headers={"Accept": "text/tab-separated-values"})
    assert small.headers["X-SDKG-Truncated"] == "false"
    assert client.get("/sparql", params={"query": query + " LIMIT 10"}, headers=JSON).json()["truncated"] is False
    graph = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/turtle"})
    assert graph.headers["X-SDKG-Truncated"] == "true"


def test_request_size_limit(client: TestClient) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    direct = client.post("/sparql", content=big.encode(), headers={"Content-Type": "application/sparql-query"})
    assert direct.status_code == 413 and "4000" in direct.json()["error"]
    assert client.get("/sparql", params={"query": big}).status_code == 413
    assert client.post("/sparql", data={"query": SMALL}, headers=JSON).status_code == 200


def test_read_only_by_default(client: TestClient) -> None:
    update = f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}"
    assert client.post("/sparql", data={"update": update}).status_code == 403
    direct = client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"})
    assert direct.status_code == 403
    assert (
        client.put(
            "/store?graph=http://example.org/g", content=b"", headers={"Content-Type": "text/turtle"}
        ).status_code
        == 403
    )
    assert client.delete("/store?graph=http://example.org/graph/people").status_code == 403
    assert client.get("/sparql", params={"query": f"ASK {{ <{EX}a> ?p ?o }}"}).json()["boolean"] is False


class Listener:
    """A TCP port that records every connection made to it (and never answers)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = int(self.socket.getsockname()[1])
        self.connections: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for connection in self.connections:
            connection.close()
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    port = Listener()
    yield port
    port.close()


def service_query(port: int) -> str:
    return f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"


def test_service_not_on_the_allow_list_is_refused_and_never_connects(client: TestClient, listener: Listener) -> None:
    for query in (
        service_query(listener.port),
        f"SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }}",
        f"PREFIX x: <http://127.0.0.1:{listener.port}/> SELECT * WHERE {{ SERVICE SILENT x:q {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    ):
        response = client.get("/sparql", params={"query": query}, headers=JSON)
        assert response.status_code == 403, query
        assert "not allowed" in response.json()["error"]
    time.sleep(0.5)
    assert listener.connections == []


def test_allowed_service_is_reached_and_has_its_own_timeout(store: Path, listener: Listener) -> None:
    endpoint = f"http://127.0.0.1:{listener.port}/sparql"
    settings = Settings(store_path=store, timeout=10.0, allowed_services={endpoint: 1.0}, workers=1)
    with TestClient(create_app(settings)) as client:
        status, seconds, body = timed_get(client, service_query(listener.port))
    assert status == 504 and body["timeout"] == 1.0
    assert seconds < 5.0
    assert len(listener.connections) == 1  # the allowed endpoint was contacted


SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/shape/Person> a sh:NodeShape ;
    sh:targetClass <http://example.org/Person> ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "a person needs a label" ] .
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    root = tmp_path / "project"
    (root / "shapes").mkdir(parents=True)
    (root / "shapes" / "test-shapes.ttl").write_text(SHAPES, encoding="utf-8")
    monkeypatch.setenv("SDKG_STATE", str(tmp_path / "state"))
    return root, make_store(tmp_path / "state", people(3))


def test_admin_writes_are_transactional_and_shacl_gated(project: tuple[Path, Path]) -> None:
    root, store = project
    settings = Settings(store_path=store, root=root, admin_token="s3cret", workers=1)
    auth = {"Authorization": "Bearer s3cret"}
    with TestClient(create_app(settings)) as client:
        bad = (
            f"INSERT DATA {{ GRAPH <{EX}graph/people> {{ <{EX}person/new> a <{EX}Person> }} }} ; "
            f"CLEAR GRAPH <{EX}graph/docs>"
        )
        assert client.post("/sparql", data={"update": bad}).status_code == 401
        assert client.post("/sparql", data={"update": bad}, headers={"Authorization": "Bearer nope"}).status_code == 403
        before = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        refused = client.post("/sparql", data={"update": bad}, headers=auth)
        assert refused.status_code == 422
        report = refused.json()["report"]
        assert report["conforms"] is False
        assert any("label" in r["message"] for r in report["results"])
        docs = client.get("/sparql", params={"query": f"ASK {{ <{EX}doc/1> ?p ?o }}"}, headers=JSON)
        assert docs.json()["boolean"] is True  # nothing of the refused change was applied

        label = "<http://www.w3.org/2000/01/rdf-schema#label>"
        good = f'INSERT DATA {{ GRAPH <{EX}graph/people> {{ <{EX}person/new> a <{EX}Person> ; {label} "New" }} }}'
        assert client.post("/sparql", data={"update": good}, headers=auth).status_code == 200
        found = client.get("/sparql", params={"query": f"ASK {{ <{EX}person/new> ?p ?o }}"}, headers=JSON)
        assert found.json()["boolean"] is True
        assert found.headers["ETag"] != before.headers["ETag"]

        turtle = f"<{EX}person/x> a <{EX}Person> .".encode()
        put = client.put(
            f"/store?graph={EX}graph/extra", content=turtle, headers={**auth, "Content-Type": "text/turtle"}
        )
        assert put.status_code == 422
        fixed = turtle[:-1] + b'; <http://www.w3.org/2000/01/rdf-schema#label> "X" .'
        put = client.put(
            f"/store?graph={EX}graph/extra", content=fixed, headers={**auth, "Content-Type": "text/turtle"}
        )
        assert put.status_code == 200
        read = client.get(f"/store?graph={EX}graph/extra", headers={"Accept": "application/n-triples"})
        assert read.status_code == 200 and '"X"' in read.text
        assert client.delete(f"/store?graph={EX}graph/extra", headers=auth).status_code == 200
        assert client.get(f"/store?graph={EX}graph/extra").status_code == 404
    assert (
        json.loads((store.parent / "sdkg-build.json").read_text())["version"] == "test-build-1"
    )  # old build untouched
