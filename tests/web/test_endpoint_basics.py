"""Protocol basics, against the ASGI app and against a real uvicorn process."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from fastapi.testclient import TestClient

from sdkg.web.app import Settings, create_app

KALDOR_LABEL = (
    "SELECT ?label WHERE { <https://w3id.org/sdkg/id/actor/mary-kaldor> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)
CONSTRUCT = (
    "CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { "
    "?s a <https://w3id.org/sdkg/ontology#Person> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
)


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store_path=store_path))) as test_client:
        yield test_client


def labels_from_json(body: bytes) -> list[str]:
    return [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]]


def test_get_json(client: TestClient) -> None:
    response = client.get(
        "/sparql", params={"query": KALDOR_LABEL}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert labels_from_json(response.content) == ["Mary Kaldor"]


def test_post_form_and_direct(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": KALDOR_LABEL}, headers={"Accept": "application/sparql-results+json"})
    direct = client.post(
        "/sparql",
        content=KALDOR_LABEL.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert labels_from_json(form.content) == labels_from_json(direct.content) == ["Mary Kaldor"]


def test_result_formats(client: TestClient) -> None:
    xml = client.get("/sparql", params={"query": KALDOR_LABEL}, headers={"Accept": "application/sparql-results+xml"})
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    literals = [e.text for e in ElementTree.fromstring(xml.content).iterfind(".//r:literal", ns)]
    assert literals == ["Mary Kaldor"]
    csv_response = client.get("/sparql", params={"query": KALDOR_LABEL}, headers={"Accept": "text/csv"})
    assert list(csv.reader(io.StringIO(csv_response.text))) == [["label"], ["Mary Kaldor"]]
    tsv = client.get("/sparql", params={"query": KALDOR_LABEL}, headers={"Accept": "text/tab-separated-values"})
    assert tsv.text.splitlines() == ["?label", '"Mary Kaldor"@en']


def test_ask(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "ASK { ?s a <https://w3id.org/sdkg/ontology#Discourse> }"})
    assert json.loads(response.content) == {"head": {}, "boolean": True}


def test_construct_formats(client: TestClient) -> None:
    turtle = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "Mary Kaldor" in turtle.text and "@prefix" in turtle.text
    for media in ("application/n-triples", "application/rdf+xml", "application/ld+json"):
        response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": media})
        assert response.status_code == 200, media
        assert response.headers["content-type"].startswith(media)
        assert "Mary Kaldor" in response.text, media


def test_malformed_query_is_400_with_parser_message(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith("malformed query:") and "1:26" in message


def test_update_is_403(client: TestClient) -> None:
    update = "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }"
    assert client.get("/sparql", params={"query": update}).status_code == 403
    assert client.post("/sparql", data={"update": update}).status_code == 403
    direct = client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"})
    assert direct.status_code == 403
    ask = client.get("/sparql", params={"query": "ASK { <http://example.org/a> ?p ?o }"})
    assert json.loads(ask.content)["boolean"] is False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_real_server_answers_curl_style_request(built_root: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sdkg.cli", "--root", str(built_root), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/sparql",
                    params={"query": KALDOR_LABEL},
                    headers={"Accept": "application/sparql-results+json"},
                )
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode() if process.stderr else "no server") from None
                time.sleep(0.2)
        assert response.status_code == 200
        assert labels_from_json(response.content) == ["Mary Kaldor"]
    finally:
        process.terminate()
        process.wait(timeout=10)
