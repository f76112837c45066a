"""``/reconcile``: the Reconciliation Service API 0.2, through a real ``sdkg serve``, every answer validated
against the specification's JSON schemas (``../shared/reference/reconciliation-api-0.2/``, read where the
tests read the seed texts: missing is a skip locally and a failure under CI).

tests/fixtures/reconcile/names.csv is what a user with a spreadsheet sends: names as written, with
misspellings, alternative labels and ambiguous names, and what the service must answer for each.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sdkg.web.app import Settings, create_app
from sdkg.web.state import state_of
from tests.conftest import REPO
from tests.endpoint_support import sdkg_serving

SPEC = REPO.parent / "shared" / "reference" / "reconciliation-api-0.2"
NAMES = REPO / "tests" / "fixtures" / "reconcile" / "names.csv"
KINDS = {
    "manifest": "manifest.json",
    "query batch": "reconciliation-query-batch.json",
    "result batch": "reconciliation-result-batch.json",
    "suggest entities": "suggest-entities-response.json",
    "suggest types": "suggest-types-response.json",
    "suggest properties": "suggest-properties-response.json",
    "extension query": "data-extension-query.json",
    "extension": "data-extension-response.json",
    "property proposal": "data-extension-property-proposal.json",
}
EXAMPLES = {  # the specification's example folders, by the schema that judges them
    "manifest": "manifest",
    "query batch": "reconciliation-query-batch",
    "result batch": "reconciliation-result-batch",
    "suggest entities": "suggest-entities-response",
    "suggest types": "suggest-types-response",
    "suggest properties": "suggest-properties-response",
    "extension query": "data-extension-query",
    "extension": "data-extension-response",
    "property proposal": "data-extension-property-proposal",
}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    """A Draft 7 validator per kind of document, every schema of the folder registered by its ``$id``."""
    if not (SPEC / "schemas").is_dir():
        message = f"the Reconciliation API 0.2 schemas are not at {SPEC} (../shared/reference beside the clone)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from jsonschema import Draft7Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    documents = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (SPEC / "schemas").glob("*.json")}
    registry: Registry[Any] = Registry()
    for document in documents.values():
        registry = registry.with_resource(document["$id"].rstrip("#"), DRAFT7.create_resource(document))
    return {kind: Draft7Validator(documents[name], registry=registry) for kind, name in KINDS.items()}


def valid(schemas: dict[str, Any], kind: str, document: object) -> object:
    errors = sorted(schemas[kind].iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"{kind}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return document


def test_the_schemas_judge_the_specification_examples(schemas: dict[str, Any]) -> None:
    """The validators are set up right: each accepts its valid examples and rejects its invalid ones."""
    checked = 0
    for kind, folder in EXAMPLES.items():
        for verdict in ("valid", "invalid"):
            for example in sorted((SPEC / "examples" / folder / verdict).glob("*.json")):
                document = json.loads(example.read_text(encoding="utf-8"))
                assert schemas[kind].is_valid(document) == (verdict == "valid"), example
                checked += 1
    assert checked >= 30


@pytest.fixture(scope="module")
def service(built_root: Path) -> Iterator[str]:
    """``sdkg serve`` on the repository's build; yields the service URL."""
    with sdkg_serving(built_root) as base:
        yield base + "/reconcile"


def rows() -> list[dict[str, str]]:
    with NAMES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_manifest_is_what_openrefine_reads(service: str, schemas: dict[str, Any]) -> None:
    manifest = valid(schemas, "manifest", httpx.get(service, timeout=30).json())
    assert isinstance(manifest, dict)
    assert manifest["versions"] == ["0.2"] and manifest["identifierSpace"] == "https://w3id.org/sdkg/id/"
    assert manifest["schemaSpace"] == "https://w3id.org/sdkg/ontology#"
    base = service.removesuffix("reconcile")
    assert manifest["view"]["url"] == base + "id/{{id}}"
    types = {t["id"] for t in manifest["defaultTypes"]}
    assert {"Person", "Organisation", "State", "Collective", "Concept", "Place", "Discourse"} <= types
    assert {"ArmedConflict", "LegalInstrument", "Intervention", "Policy"} <= types  # the case kinds
    view = httpx.get(manifest["view"]["url"].replace("{{id}}", "actor/mary-kaldor"), timeout=30)
    assert view.status_code == 200 and "Mary Kaldor" in view.text
    preview = httpx.get(manifest["preview"]["url"].replace("{{id}}", "actor/mary-kaldor"), timeout=30)
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")
    assert "<h1>" in preview.text and "Mary Kaldor" in preview.text
    for kind in ("entity", "type", "property"):
        settings = manifest["suggest"][kind]
        assert settings["service_url"] == service and settings["service_path"] == f"/suggest/{kind}"


def test_a_spreadsheet_of_names_is_reconciled(service: str, schemas: dict[str, Any]) -> None:
    """The CSV of names as one batch (the way OpenRefine sends a column), POST form-encoded."""
    names = rows()
    batch = {f"q{i}": {"query": r["name"], **({"type": r["type"]} if r["type"] else {})} for i, r in enumerate(names)}
    valid(schemas, "query batch", batch)
    response = httpx.post(service, data={"queries": json.dumps(batch)}, timeout=30)
    assert response.status_code == 200, response.text
    answer = valid(schemas, "result batch", response.json())
    assert isinstance(answer, dict) and set(answer) == set(batch)
    for i, row in enumerate(names):
        found = answer[f"q{i}"]["result"]
        label = f"{row['name']!r} ({row['why']})"
        matched = [c["id"] for c in found if c["match"]]
        assert matched == ([row["match"]] if row["match"] else []), (label, found[:3])
        if row["top"]:
            assert found and found[0]["id"] == row["top"], (label, found[:3])
        for expected in row["among"].split():
            assert expected in [c["id"] for c in found], (label, expected, found)
        scores = [c["score"] for c in found]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores), label
        if row["match"]:
            assert found[0]["score"] >= 98 and found[0]["type"], label
    # the same batch by GET, as older clients send it
    again = httpx.get(service, params={"queries": json.dumps(batch)}, timeout=30)
    assert again.json() == answer


def test_type_and_property_constraints(service: str, schemas: dict[str, Any]) -> None:
    batch = {
        "year": {"query": "Iraq War", "properties": [{"pid": "startYear", "v": 2003}]},
        "wrong year": {"query": "Iraq War", "properties": [{"pid": "startYear", "v": 1991}]},
        "by qid": {"properties": [{"pid": "wikidata", "v": "Q1065"}]},
        "by qid iri": {"properties": [{"pid": "wikidata", "v": "http://www.wikidata.org/entity/Q1065"}]},
        "source": {
            "query": "Kaldor",
            "properties": [{"pid": "mentionedIn", "v": {"id": "source/kaldor-cosmopolitan-rejoinder"}}],
        },
        "all types": {"query": "Vietnam", "type": ["Actor", "State"], "type_strict": "all"},
        "should": {"query": "Vietnam War", "type": "State", "type_strict": "should", "limit": 2},
    }
    valid(schemas, "query batch", batch)
    answer = httpx.post(service, data={"queries": json.dumps(batch)}, timeout=30).json()
    valid(schemas, "result batch", answer)
    year = answer["year"]["result"][0]
    assert year["id"] == "case/iraq-war" and year["match"] and year["score"] == 100
    assert {"id": "properties_met", "value": 1} in year["features"]
    wrong = answer["wrong year"]["result"][0]
    assert wrong["id"] == "case/iraq-war" and not wrong["match"] and wrong["score"] == 80
    assert [(c["id"], c["match"]) for c in answer["by qid"]["result"]] == [("actor/united-nations", True)]
    assert answer["by qid iri"] == answer["by qid"]
    assert answer["source"]["result"][0]["id"] == "actor/mary-kaldor"
    assert [c["id"] for c in answer["all types"]["result"]] == ["actor/vietnam"]
    should = answer["should"]["result"]
    assert len(should) == 2 and should[0]["id"] == "case/vietnam-war" and should[0]["score"] == 90  # 100 - 10


def test_suggest_flyout_and_data_extension(service: str, schemas: dict[str, Any]) -> None:
    kal = httpx.get(service + "/suggest/entity", params={"prefix": "kal"}).json()
    entities = valid(schemas, "suggest entities", kal)
    assert isinstance(entities, dict) and entities["result"][0]["id"] == "actor/mary-kaldor"
    states = httpx.get(service + "/suggest/entity", params={"prefix": "i", "type": "State"}).json()
    assert states["result"] and all(c["notable"][0]["id"] == "State" for c in states["result"])
    types = valid(schemas, "suggest types", httpx.get(service + "/suggest/type", params={"prefix": "legal"}).json())
    assert isinstance(types, dict) and types["result"][0]["id"] == "LegalInstrument"
    assert [(b["id"], b["name"]) for b in types["result"][0]["broader"]] == [("Case", "case")]
    properties = valid(
        schemas, "suggest properties", httpx.get(service + "/suggest/property", params={"prefix": "wiki"}).json()
    )
    assert isinstance(properties, dict) and properties["result"][0]["id"] == "wikidata"
    flyout = httpx.get(service + "/flyout/entity", params={"id": "actor/mary-kaldor"}).json()
    assert flyout["id"] == "actor/mary-kaldor" and "Mary Kaldor" in flyout["html"]
    proposal = valid(schemas, "property proposal", httpx.get(service + "/properties", params={"type": "Case"}).json())
    assert isinstance(proposal, dict)
    proposed = [p["id"] for p in proposal["properties"]]
    assert {"type", "wikidata", "mentionedIn", "startYear", "endYear"} <= set(proposed)
    assert "proponentOf" not in proposed and proposal["type"] == "Case"
    request = {
        "ids": ["case/iraq-war", "actor/united-nations", "actor/mary-kaldor", "actor/no-such-actor"],
        "properties": [
            {"id": "type"},
            {"id": "wikidata"},
            {"id": "mentionedIn", "settings": {"limit": 1}},
            {"id": "startYear"},
            {"id": "altLabel"},
        ],
    }
    valid(schemas, "extension query", request)
    extension = httpx.post(service, data={"extend": json.dumps(request)}).json()
    valid(schemas, "extension", extension)
    assert [m["id"] for m in extension["meta"]] == ["type", "wikidata", "mentionedIn", "startYear", "altLabel"]
    iraq = extension["rows"]["case/iraq-war"]
    assert iraq["wikidata"] == [{"str": "Q545449"}] and iraq["startYear"] == [{"int": 2003}]
    assert iraq["type"] == [{"str": "intervention"}] and len(iraq["mentionedIn"]) == 1
    assert iraq["mentionedIn"][0]["id"].startswith("source/")
    assert extension["rows"]["actor/united-nations"]["altLabel"] == [{"str": "UN"}]
    assert extension["rows"]["actor/no-such-actor"] == {p["id"]: [] for p in request["properties"]}


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        ({"queries": "{not json"}, "'queries' is not JSON"),
        ({"queries": "[1, 2]"}, "must be a JSON object"),
        ({"queries": json.dumps({"q0": {"query": "x", "typo": 1}})}, "unknown field(s) typo"),
        ({"queries": json.dumps({"q0": {"type": "Person"}})}, "needs 'query' or a non-empty 'properties'"),
        ({"queries": json.dumps({"q0": {"query": "x", "properties": [{"pid": "nope", "v": 1}]}})}, "unknown property"),
        ({"queries": json.dumps({"q0": {"query": "x", "type_strict": "some"}})}, "'type_strict' must be"),
        ({"queries": json.dumps({f"q{i}": {"query": "x"} for i in range(201)})}, "at most 200 queries"),
        ({"extend": json.dumps({"ids": ["actor/x"], "properties": [{"id": "nope"}]})}, "unknown property 'nope'"),
        ({"extend": json.dumps({"ids": "actor/x"})}, "'extend' must be"),
        ({"queries": "{}", "extend": "{}"}, "not both"),
    ],
)
def test_what_the_protocol_does_not_allow_is_a_400_saying_why(
    service: str, parameters: dict[str, str], says: str
) -> None:
    response = httpx.post(service, data=parameters, timeout=30)
    assert response.status_code == 400, response.text
    assert says in response.json()["error"] and "Traceback" not in response.text


def test_unknown_ids_and_missing_parameters(service: str) -> None:
    assert httpx.get(service + "/preview", params={"id": "actor/nobody"}).status_code == 404
    assert httpx.get(service + "/flyout/entity", params={"id": "actor/nobody"}).status_code == 404
    assert httpx.get(service + "/suggest/entity").status_code == 400
    assert httpx.get(service + "/suggest/entity", params={"prefix": "k", "type": "Nope"}).status_code == 400
    assert httpx.get(service + "/properties", params={"type": "Nope"}).status_code == 400


def test_the_index_is_made_once_per_build_version(store_path: Path) -> None:
    """Reconciling reads the index, not the store: the engine answers the index's four queries once, and again
    only after the server moves to another build."""
    with TestClient(create_app(Settings(store_path=store_path, root=REPO, engine="local"))) as client:
        state = state_of(client.app)
        made = []
        original = state.per_build

        async def counting(name: str, make: Any) -> Any:
            async def counted() -> Any:
                made.append(name)
                return await make()

            return await original(name, counted)

        state.per_build = counting  # type: ignore[method-assign]
        batch = json.dumps({f"q{i}": {"query": name} for i, name in enumerate(["Kaldor"] * 50)})
        queries_before = metric(client, "sdkg_queries_total")
        for _ in range(3):
            assert client.post("/reconcile", data={"queries": batch}).status_code == 200
        assert client.get("/reconcile/suggest/entity", params={"prefix": "k"}).status_code == 200
        assert made == ["reconcile"]
        assert metric(client, "sdkg_queries_total") - queries_before == 4  # the index's queries, once
        state.version = "another-build"  # what ServerState.switch does when a new build is served
        assert client.post("/reconcile", data={"queries": batch}).status_code == 200
        assert made == ["reconcile", "reconcile"]


def metric(client: TestClient, name: str) -> float:
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_the_index_is_whole_under_a_small_row_cap(store_path: Path) -> None:
    """A server capped at a few rows per answer still indexes every entity: the index reads page by page."""
    import asyncio

    from sdkg.sparql.engine import LocalEngine
    from sdkg.sparql.job import EngineConfig, Limits
    from sdkg.web.reconcile_routes import make_index

    whole = asyncio.run(make_index(LocalEngine(store_path)))
    capped_engine = LocalEngine(store_path, EngineConfig(Limits(max_rows=37)))
    paged = asyncio.run(make_index(capped_engine, page=37))
    assert len(whole.entities) > 300 and paged.entities == whole.entities and paged.types == whole.types
    with TestClient(create_app(Settings(store_path=store_path, root=REPO, engine="local", max_rows=37))) as client:
        batch = json.dumps({"q": {"query": "Mary Kaldor"}})
        found = client.post("/reconcile", data={"queries": batch}).json()["q"]["result"]
        assert found[0]["id"] == "actor/mary-kaldor" and found[0]["match"]
