"""Schemathesis against the published OpenAPI: no request makes the server fail with a 500.

504 (time limit) and 503 (busy) are deliberate answers, not failures. The run is
bounded: a few examples per operation.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from sdkg.web.app import Settings, create_app
from tests.endpoint_support import make_store, people


@schemathesis.serializer("application/sparql-query", "application/sparql-update")
def sparql_text(ctx: object, value: object) -> bytes:
    return str(value).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    store: Path = make_store(tmp_path_factory.mktemp("fuzz"), people(20))
    application = create_app(Settings(store_path=store, timeout=2.0, workers=2))
    with TestClient(application):
        yield application


def test_openapi_is_published(app: FastAPI) -> None:
    client = TestClient(app)  # no second lifespan: the fixture's is running
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn." not in docs.text and client.get("/static/vendor/swagger-ui/swagger-ui.css").status_code == 200
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns of an operation id used twice
        paths = client.get("/openapi.json").json()["paths"]
    assert {"/sparql", "/store", "/health", "/metrics", "/.well-known/void"} <= set(paths)
    identifiers = [operation["operationId"] for path in paths.values() for operation in path.values()]
    assert len(identifiers) == len(set(identifiers)), "OpenAPI: every operationId is unique"
    assert "head" not in paths["/compare"] and {"get", "post"} <= set(paths["/reconcile"])


@pytest.mark.slow
def test_no_request_makes_a_500(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: schemathesis.Case) -> None:
            response = case.call()
            if response.status_code == 500 or (response.status_code > 500 and response.status_code not in (503, 504)):
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query}: {response.status_code} {response.text[:300]}"
                )

        call()
    assert operations >= 8
    assert failures == []
