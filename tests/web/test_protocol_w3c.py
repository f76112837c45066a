"""The W3C SPARQL 1.1 Protocol tests, run from their manifest against the app.

Each test gets a fresh store holding its ``ut:graphData`` (one named graph per file,
named by its label) and an app with an admin token, since the update tests need a
writable endpoint; every request carries that token. ``/sparql/`` in the manifest is
this server's ``/sparql``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.collection import Collection

from sdkg.web.app import Settings, create_app
from tests.endpoint_support import make_store

SUITE = Path("/work/shared/reference/w3c-sparql11-protocol")
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
TOKEN = "w3c-admin-token"
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = BOOLEAN_TYPES + ("text/csv", "text/tab-separated-values")
RDF_TYPES = (
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/n-quads",
)


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]
    boolean: bool | None
    format: str | None


@dataclass
class ProtocolTest:
    name: str
    label: str
    graphs: list[tuple[Path, str]] = field(default_factory=list)
    requests: list[HttpRequest] = field(default_factory=list)


def read_manifest() -> list[ProtocolTest]:
    graph = rdflib.Graph()
    graph.parse(SUITE / "manifest.ttl", format="turtle", publicID=(SUITE / "manifest.ttl").as_uri())
    manifest = next(graph.subjects(rdflib.RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[-1], str(graph.value(entry, MF.name)))
        for data in graph.objects(entry, UT.graphData):
            path = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
            test.graphs.append((path, str(graph.value(data, rdflib.RDFS.label))))
        action = graph.value(entry, MF.action)
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers: dict[str, str] = {}
            header_list = graph.value(node, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
            body = None
            body_node = graph.value(node, HT.body)
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower())
            response = graph.value(node, HT.resp)
            statuses = {int(str(s).rsplit("StatusCode", 1)[-1][0]) for s in graph.objects(response, MF.expectedStatus)}
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            test.requests.append(
                HttpRequest(
                    method=str(graph.value(node, HT.methodName)),
                    path=str(graph.value(node, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
                    headers=headers,
                    body=body,
                    statuses=statuses,
                    boolean=None if boolean is None else bool(boolean.toPython()),
                    format=None if fmt is None else str(fmt),
                )
            )
        tests.append(test)
    return tests


TESTS = read_manifest() if SUITE.is_dir() else []


def test_the_manifest_was_read() -> None:
    assert len(TESTS) == 34
    assert sum(len(t.requests) for t in TESTS) >= 38


@pytest.fixture
def client_for(tmp_path: Path) -> Iterator[object]:
    clients: list[TestClient] = []

    def start(test: ProtocolTest, admin_token: str | None = TOKEN) -> TestClient:
        quads = []
        for path, label in test.graphs:
            parsed = ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)
            quads.extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(label)) for q in parsed)
        store = make_store(tmp_path / f"state-{len(clients)}", quads)
        client = TestClient(create_app(Settings(store_path=store, admin_token=admin_token, workers=1)))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def check_response(request: HttpRequest, response: object) -> None:
    assert hasattr(response, "status_code")
    status = response.status_code
    assert status // 100 in request.statuses, f"{request.method} {request.path}: {status} {response.text[:300]}"
    media = response.headers.get("content-type", "").split(";")[0]
    if request.format == "boolean":
        assert media in BOOLEAN_TYPES
    elif request.format == "tabular":
        assert media in TABULAR_TYPES
    elif request.format == "RDF":
        assert media in RDF_TYPES
    if request.boolean is not None:
        if media == "application/sparql-results+json":
            assert json.loads(response.content)["boolean"] is request.boolean
        else:
            ns = "{http://www.w3.org/2005/sparql-results#}"
            element = ElementTree.fromstring(response.content).find(f"{ns}boolean")
            assert element is not None and element.text == str(request.boolean).lower()


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(test: ProtocolTest, client_for: object) -> None:
    assert callable(client_for)
    client = client_for(test)
    for request in test.requests:
        headers = {**request.headers, "Authorization": f"Bearer {TOKEN}"}
        response = client.request(request.method, request.path, headers=headers, content=request.body)
        check_response(request, response)


UPDATE_TESTS = [t for t in TESTS if t.name.startswith("update_")]


@pytest.mark.parametrize("test", UPDATE_TESTS[:3], ids=[t.name for t in UPDATE_TESTS[:3]])
def test_w3c_updates_are_refused_without_an_admin_token(test: ProtocolTest, client_for: object) -> None:
    assert callable(client_for)
    client = client_for(test, admin_token=None)
    first = test.requests[0]
    response = client.request(first.method, first.path, headers=first.headers, content=first.body)
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]
