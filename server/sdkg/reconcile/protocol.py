"""The documents of the Reconciliation Service API 0.2: what a client sends, read strictly, and what the
service answers, written to validate against the specification's JSON schemas (the tests check each
answer against them).

Reading: :func:`read_batch` (the ``queries`` parameter), :func:`read_extension` (``extend``); anything
the schemas do not allow is a :class:`InvalidRequest` saying which query and which field. Writing:
:func:`manifest`, :func:`results`, :func:`suggested_entities`, :func:`suggested_types`,
:func:`suggested_properties`, :func:`extension`, :func:`proposed_properties`, :func:`preview`,
:func:`flyout`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .. import __version__
from ..namespaces import ID, SDKG
from .index import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PROPERTIES,
    PROPERTY_BY_ID,
    TOPS,
    Candidate,
    Entity,
    Index,
    Query,
    Value,
    ancestors_of,
)

MAX_QUERIES = 200
"""Queries in one batch (OpenRefine sends ten at a time by default)."""
MAX_IDS = 500
"""Entities in one data extension request."""
NAME = "SDKG: the Security Discourse Knowledge Graph"
DEFAULT_TYPES = [
    "Person",
    "Organisation",
    "State",
    "Collective",
    "Case",
    "ArmedConflict",
    "Atrocity",
    "DiplomaticProcess",
    "Incident",
    "Intervention",
    "LegalInstrument",
    "Movement",
    "Policy",
    "Concept",
    "Place",
    "Discourse",
]
"""The manifest's default types: the actor kinds, the case kinds, concept, place, discourse."""
QUERY_KEYS = {"query", "type", "limit", "properties", "type_strict"}


class InvalidRequest(ValueError):
    """A request the protocol does not allow; the message says what and where."""


def parse_json(text: str, parameter: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidRequest(f"{parameter!r} is not JSON: {error}") from None


# ---------------------------------------------------------------------- reading


def read_batch(text: str) -> dict[str, Query]:
    """The ``queries`` parameter: an object of queries by key, each with ``query`` and/or ``properties``."""
    batch = parse_json(text, "queries")
    if not isinstance(batch, dict):
        raise InvalidRequest('\'queries\' must be a JSON object of queries by key, such as {"q0": {"query": "Kaldor"}}')
    if len(batch) > MAX_QUERIES:
        raise InvalidRequest(f"at most {MAX_QUERIES} queries in one batch, not {len(batch)}")
    return {key: read_query(key, value) for key, value in batch.items()}


def read_query(key: str, value: object) -> Query:
    where = f"query {key!r}"
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where} must be an object")
    unknown = sorted(set(value) - QUERY_KEYS)
    if unknown:
        allowed = ", ".join(sorted(QUERY_KEYS))
        raise InvalidRequest(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {allowed})")
    text = value.get("query", "")
    if not isinstance(text, str):
        raise InvalidRequest(f"{where}: 'query' must be a string")
    raw_types = value.get("type", [])
    types = [raw_types] if isinstance(raw_types, str) else raw_types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InvalidRequest(f"{where}: 'type' must be a type id or a list of them")
    strict = value.get("type_strict", "any")
    if strict not in ("any", "should", "all"):
        raise InvalidRequest(f"{where}: 'type_strict' must be 'any', 'should' or 'all'")
    limit = value.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
        raise InvalidRequest(f"{where}: 'limit' must be a number of candidates")
    properties = read_properties(where, value.get("properties", []))
    if "query" not in value and not properties:
        raise InvalidRequest(f"{where} needs 'query' or a non-empty 'properties'")
    return Query(text, tuple(types), strict, min(int(limit), MAX_LIMIT) or DEFAULT_LIMIT, properties)


def read_properties(where: str, given: object) -> tuple[tuple[str, tuple[object, ...]], ...]:
    if not isinstance(given, list):
        raise InvalidRequest(f'{where}: \'properties\' must be a list of {{"pid": ..., "v": ...}}')
    found = []
    for item in given:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item or not isinstance(item["pid"], str):
            raise InvalidRequest(f'{where}: each property is {{"pid": "<property id>", "v": <value or values>}}')
        if item["pid"] not in PROPERTY_BY_ID:
            known = ", ".join(p.id for p in PROPERTIES)
            raise InvalidRequest(f"{where}: unknown property {item['pid']!r} (properties: {known})")
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        for v in values:
            entity = isinstance(v, dict) and isinstance(v.get("id"), str)
            if not isinstance(v, str | int | float | bool) and not entity:
                raise InvalidRequest(f'{where}: a property value is a string, a number, a boolean or {{"id": ...}}')
        found.append((item["pid"], tuple(values)))
    return tuple(found)


def read_extension(text: str) -> tuple[list[str], list[tuple[str, int]]]:
    """The ``extend`` parameter: the entity ids and the properties (with their ``limit`` setting)."""
    request = parse_json(text, "extend")
    if not isinstance(request, dict) or not isinstance(request.get("ids"), list):
        raise InvalidRequest('\'extend\' must be {"ids": [...], "properties": [{"id": ...}]}')
    ids = request["ids"]
    if not all(isinstance(i, str) for i in ids):
        raise InvalidRequest("'extend': every id is a string")
    if len(ids) > MAX_IDS:
        raise InvalidRequest(f"'extend': at most {MAX_IDS} ids in one request, not {len(ids)}")
    properties = request.get("properties")
    if not isinstance(properties, list):
        raise InvalidRequest("'extend': 'properties' must be a list of {\"id\": ...}")
    wanted: list[tuple[str, int]] = []
    for prop in properties:
        if not isinstance(prop, dict) or not isinstance(prop.get("id"), str):
            raise InvalidRequest('\'extend\': each property is {"id": "<property id>"}')
        if prop["id"] not in PROPERTY_BY_ID:
            known = ", ".join(p.id for p in PROPERTIES)
            raise InvalidRequest(f"'extend': unknown property {prop['id']!r} (properties: {known})")
        settings = prop.get("settings") or {}
        if not isinstance(settings, dict):
            raise InvalidRequest("'extend': a property's 'settings' is an object")
        try:
            limit = int(settings.get("limit", 0) or 0)
        except (TypeError, ValueError):
            raise InvalidRequest("'extend': the 'limit' setting is a number") from None
        wanted.append((prop["id"], max(limit, 0)))
    return ids, wanted


def entity_id(given: str) -> str:
    """An entity id as a client may give it: ``actor/x``, its IRI, or its page's path (``/id/actor/x``)."""
    given = given.strip()
    for prefix in (ID, "/id/"):
        if given.startswith(prefix):
            return given[len(prefix) :]
    return given


# ---------------------------------------------------------------------- writing


def manifest(base: str, index: Index) -> dict[str, Any]:
    """The service manifest (``GET /reconcile``); ``base`` is the server's URL, ending in ``/``."""
    service = base + "reconcile"
    return {
        "versions": ["0.2"],
        "name": NAME,
        "identifierSpace": ID,
        "schemaSpace": SDKG,
        "documentation": base + "docs",
        "serviceVersion": __version__,
        "view": {"url": base + "id/{{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": 430, "height": 160},
        "defaultTypes": [type_entry(index, t) for t in DEFAULT_TYPES if t in index.types],
        "suggest": {
            kind: {
                "service_url": service,
                "service_path": f"/suggest/{kind}",
                "flyout_service_path": f"/flyout/{kind}?id=${{id}}",
            }
            for kind in ("entity", "type", "property")
        },
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/properties"},
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": "Maximum number of values to return per row (0 for no limit)",
                }
            ],
        },
    }


def type_entry(index: Index, type_id: str) -> dict[str, Any]:
    known = index.types[type_id]
    entry: dict[str, Any] = {"id": known.id, "name": known.name}
    if known.description:
        entry["description"] = known.description
    return entry


def types_of(index: Index, entity: Entity) -> list[dict[str, str]]:
    return [{"id": t, "name": index.types[t].name} for t in entity.types if t in index.types]


def results(index: Index, batch: Mapping[str, Query]) -> dict[str, Any]:
    """The answer to a batch: for each key, its candidates with score, match flag, types and features."""
    return {key: {"result": [candidate(index, c) for c in index.reconcile(query)]} for key, query in batch.items()}


def candidate(index: Index, found: Candidate) -> dict[str, Any]:
    entity = found.entity
    entry: dict[str, Any] = {
        "id": entity.id,
        "name": entity.name,
        "score": found.score,
        "match": found.match,
        "type": types_of(index, entity),
        "features": [
            {"id": "name_exact", "value": found.exact == "label"},
            {"id": "alternative_name_exact", "value": found.exact == "alternative"},
            {"id": "name_similarity", "value": found.similarity},
            {"id": "properties_met", "value": found.met},
            {"id": "properties_contradicted", "value": found.contradicted},
        ],
    }
    if entity.description:
        entry["description"] = entity.description
    return entry


def suggested_entities(index: Index, found: Sequence[Entity]) -> dict[str, Any]:
    return {"result": [suggestion(index, e) for e in found]}


def suggestion(index: Index, entity: Entity) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": entity.id, "name": entity.name, "notable": types_of(index, entity)}
    if entity.description:
        entry["description"] = entity.description
    return entry


def suggested_types(index: Index, prefix: str, limit: int = 10, cursor: int = 0) -> dict[str, Any]:
    """Types whose id or name starts with ``prefix`` (or has a word that does)."""
    wanted = prefix.strip().casefold()
    found = [
        t
        for t in index.types.values()
        if t.id.casefold().startswith(wanted) or any(w.startswith(wanted) for w in t.name.casefold().split())
    ]
    found.sort(key=lambda t: (not t.name.casefold().startswith(wanted), t.name.casefold()))
    entries = []
    for known in found[cursor : cursor + limit]:
        entry = type_entry(index, known.id)
        parents = [type_entry(index, p) for p in known.parents if p in index.types]
        if parents:
            entry["broader"] = parents
        entries.append(entry)
    return {"result": entries}


def suggested_properties(prefix: str, limit: int = 10, cursor: int = 0) -> dict[str, Any]:
    wanted = prefix.strip().casefold()
    found = [
        p
        for p in PROPERTIES
        if p.id.casefold().startswith(wanted) or any(w.startswith(wanted) for w in p.name.casefold().split())
    ]
    return {
        "result": [{"id": p.id, "name": p.name, "description": p.description} for p in found[cursor : cursor + limit]]
    }


def proposed_properties(index: Index, type_id: str | None, limit: int | None) -> dict[str, Any]:
    """The properties worth fetching for entities of ``type_id`` (all of them without a type)."""
    kinds = index_kinds(index, type_id)
    found = [p for p in PROPERTIES if not kinds or set(p.applies_to) & kinds or set(p.applies_to) == set(TOPS)]
    if limit:
        found = found[:limit]
    answer: dict[str, Any] = {"properties": [{"id": p.id, "name": p.name, "description": p.description} for p in found]}
    if type_id:
        answer["type"] = type_id
    if limit:
        answer["limit"] = limit
    return answer


def index_kinds(index: Index, type_id: str | None) -> set[str]:
    if not type_id:
        return set()
    if type_id not in index.types:
        raise InvalidRequest(f"unknown type {type_id!r}; /reconcile/suggest/type?prefix= lists them")
    return ancestors_of(type_id, index.types)


def extension(index: Index, ids: Sequence[str], wanted: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """The data extension answer: ``meta`` names each property, ``rows`` gives each entity's values."""
    meta = []
    for pid, _limit in wanted:
        prop = PROPERTY_BY_ID[pid]
        entry: dict[str, Any] = {"id": prop.id, "name": prop.name}
        meta.append(entry)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for given in ids:
        entity = index.entities.get(entity_id(given))
        row: dict[str, list[dict[str, Any]]] = {}
        for pid, limit in wanted:
            cells = [] if entity is None else cells_of(index, entity, pid)
            row[pid] = cells[:limit] if limit else cells
        rows[given] = row
    return {"meta": meta, "rows": rows}


def cells_of(index: Index, entity: Entity, pid: str) -> list[dict[str, Any]]:
    if pid == "type":
        return [{"str": index.types[t].name} for t in entity.types if t in index.types]
    if pid == "altLabel":
        return [{"str": a} for a in entity.alternatives]
    if pid == "description":
        return [{"str": entity.description}] if entity.description else []
    return [cell(v) for v in entity.values.get(pid, [])]


def cell(value: Value) -> dict[str, Any]:
    if value.kind == "entity":
        return {"id": value.value, "name": value.name}
    if value.kind == "int":
        return {"int": int(value.value)}
    return {"str": value.value}


def preview(base: str, index: Index, entity: Entity) -> str:
    """A small HTML page for the client's preview frame: name, kinds, definition, Wikidata link."""
    kinds = ", ".join(index.types[t].name for t in entity.types if t in index.types)
    qids = [v.value for v in entity.values.get("wikidata", [])]
    wikidata = (
        f'<p>Wikidata: <a href="https://www.wikidata.org/wiki/{html.escape(qids[0])}" target="_blank">'
        f"{html.escape(qids[0])}</a></p>"
        if qids
        else ""
    )
    also = f"<p>Also: {html.escape('; '.join(entity.alternatives))}</p>" if entity.alternatives else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        + html.escape(entity.name)
        + "</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:0.5rem;color:#1d2433}"
        "h1{font-size:1.1rem;margin:0 0 0.2rem}p{margin:0.2rem 0}.kind{color:#5b6476}</style></head><body>"
        f'<h1><a href="{html.escape(base)}id/{html.escape(entity.id)}" target="_blank">'
        f"{html.escape(entity.name)}</a></h1>"
        f'<p class="kind">{html.escape(kinds)}</p>'
        + (f"<p>{html.escape(entity.description)}</p>" if entity.description else "")
        + also
        + wikidata
        + "</body></html>"
    )


def flyout(index: Index, entity: Entity) -> dict[str, str]:
    """The suggest flyout: the entity's id and a short HTML description."""
    kinds = ", ".join(index.types[t].name for t in entity.types if t in index.types)
    text = html.escape(entity.description[:200] + ("…" if len(entity.description) > 200 else ""))
    return {
        "id": entity.id,
        "html": f'<p style="font-size:0.8em;color:black"><strong>{html.escape(entity.name)}</strong> '
        f"({html.escape(kinds)})<br>{text}</p>",
    }
