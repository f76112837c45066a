"""Wikidata mappings: check the SSSOM tables' QIDs against Wikidata, suggest QIDs for unmapped entities,
and export what Wikidata's editors need.

``sdkg wikidata check|suggest``. Both ask a Wikidata SPARQL endpoint (the configured one, see
:func:`sdkg.sparql.federation.configured_endpoints`) and never write a QID that a person has
not reviewed: suggestions are appended as unreviewed rows, which the build does not publish.

``sdkg wikidata export`` (also run by ``sdkg release``) writes, offline, a Mix'n'match catalogue of
every linkable entity (:func:`mixnmatch_rows`) and a QuickStatements batch of the verified exact
matches (:func:`quickstatements_lines`), in the formats data/mappings/README.md cites.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .layout import ProjectLayout
from .namespaces import ID, SDKG, WIKIDATA_ENTITY
from .output import format_table
from .project import NO_TERM_FOUND, SSSOM_SUFFIX, is_suggestion, load_project, read_sssom, verdict_of
from .reconcile import QUERIES, Entity, Index, build_index, normalise
from .sparql.federation import QID

USER_AGENT = f"sdkg/{__version__} (Security Discourse Knowledge Graph; mapping checks)"
DEFAULT_TIMEOUT = 30.0
BATCH = 50
EXIT_OFFLINE = 3
"""``sdkg wikidata`` exit code when the endpoint cannot be consulted (0 ok, 1 problems found, 2 usage)."""

PREFIXES = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wikibase: <http://wikiba.se/ontology#>
"""


class WikidataUnavailable(Exception):
    """The endpoint could not be consulted; ``offline`` when it could not even be reached."""

    def __init__(self, endpoint: str, reason: str, offline: bool):
        self.endpoint = endpoint
        self.reason = reason
        self.offline = offline
        super().__init__(f"{'offline' if offline else 'unavailable'}: {endpoint}: {reason}")


# ---------------------------------------------------------------- remote SPARQL


def remote_select(endpoint: str, query: str, timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, dict[str, str]]]:
    """POST a SELECT to a SPARQL endpoint and return its JSON bindings."""
    body = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(
        endpoint,
        data=body,
        headers={
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise WikidataUnavailable(endpoint, f"HTTP {error.code} {error.reason}", offline=False) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WikidataUnavailable(endpoint, str(reason), offline=True) from None
    except ValueError as error:
        raise WikidataUnavailable(endpoint, f"not SPARQL JSON results: {error}", offline=False) from None
    return list(data.get("results", {}).get("bindings", []))


# ---------------------------------------------------------------- the mapping tables


CANDIDATE = re.compile(r"\bwikidata:(Q[1-9][0-9]*)\b")
EVIDENCE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class MappingRow:
    """One row of an SSSOM table, with the entity IRI expanded, and what its comment says
    (the vocabulary of data/mappings/README.md: ``verified:``, ``unverified:``, ``not linkable:``)."""

    table: Path
    subject_id: str
    subject_iri: str
    subject_label: str
    object_id: str
    object_label: str
    status: str  # "accepted", "suggestion" or "unmapped"
    predicate_id: str = "skos:exactMatch"
    confidence: str = ""
    comment: str = ""
    line: int = 0
    mapping_date: str = ""

    @property
    def qid(self) -> str | None:
        local = self.object_id.partition(":")[2]
        return local if self.object_id.startswith("wikidata:") and QID.match(local) else None

    @property
    def verdict(self) -> str:
        """``verified``, ``unverified``, ``not linkable``, ``unreviewed`` or ``""`` (the comment's prefix)."""
        return verdict_of({"comment": self.comment})

    @property
    def candidates(self) -> list[str]:
        """The candidate QIDs an ``unverified:`` row names (one document each, so not yet a link)."""
        if self.verdict != "unverified":
            return []
        return list(dict.fromkeys(CANDIDATE.findall(self.comment)))

    @property
    def documents(self) -> int:
        """How many documents the comment cites as evidence (``[1] …; [2] …``)."""
        return len(set(EVIDENCE.findall(self.comment.split("note:", 1)[0])))

    @property
    def reason(self) -> str:
        """The comment after its prefix: the evidence, the candidate, or why no item could match."""
        return self.comment.split(":", 1)[1].strip() if self.verdict and ":" in self.comment else self.comment

    def weakness(self, documents: int | None = None) -> str:
        """Why a published link's evidence is weak, or ``""``: not ``verified:``, fewer than two documents
        (``documents`` when the QID's evidence is on another row), an exact match whose confidence is below
        0.95 (the README's mark of documents that misuse the QID), or a ``note:`` about such documents."""
        if self.status != "accepted":
            return ""
        cited = self.documents if documents is None else documents
        problems = []
        if self.verdict != "verified":
            problems.append("its comment does not start with 'verified:'")
        if cited < 2:
            problems.append(f"{cited} document(s) cited, the rule asks for two")
        if self.predicate_id == "skos:exactMatch" and self.confidence and float(self.confidence) < 0.95:
            problems.append(f"confidence {self.confidence}")
        if "note:" in self.comment:
            problems.append("note: " + self.comment.split("note:", 1)[1].strip())
        return "; ".join(problems)


def weak_links(rows: Iterable[MappingRow]) -> list[tuple[MappingRow, str]]:
    """The published links whose evidence is weak, with why. A broad match to the item another row
    verifies (an article of the Charter, the Charter) has that row's documents."""
    rows = list(rows)
    best: dict[str, int] = {}
    for row in rows:
        if row.qid and row.status == "accepted" and row.verdict == "verified":
            best[row.qid] = max(best.get(row.qid, 0), row.documents)
    found = []
    for row in rows:
        documents = max(row.documents, best.get(row.qid or "", 0)) if row.predicate_id == "skos:broadMatch" else None
        why = row.weakness(documents)
        if why:
            found.append((row, why))
    return found


def mapping_tables(layout: ProjectLayout) -> list[Path]:
    return sorted(layout.data.rglob("*" + SSSOM_SUFFIX))


def read_mappings(layout: ProjectLayout) -> list[MappingRow]:
    """Every row of every SSSOM table under ``data/``."""
    rows: list[MappingRow] = []
    for table in mapping_tables(layout):
        curie_map, records = read_sssom(table)
        first = 2 + sum(1 for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
        for index, record in enumerate(records):
            subject_id = (record.get("subject_id") or "").strip()
            object_id = (record.get("object_id") or "").strip()
            prefix, _, local = subject_id.partition(":")
            status = "unmapped" if object_id == NO_TERM_FOUND else "suggestion" if is_suggestion(record) else "accepted"
            rows.append(
                MappingRow(
                    table=table,
                    subject_id=subject_id,
                    subject_iri=curie_map.get(prefix, "") + local if prefix in curie_map else subject_id,
                    subject_label=(record.get("subject_label") or "").strip(),
                    object_id=object_id,
                    object_label=(record.get("object_label") or "").strip(),
                    status=status,
                    predicate_id=(record.get("predicate_id") or "").strip(),
                    confidence=(record.get("confidence") or "").strip(),
                    comment=(record.get("comment") or "").strip(),
                    line=first + index,
                    mapping_date=(record.get("mapping_date") or "").strip(),
                )
            )
    return rows


# ---------------------------------------------------------------- check


@dataclass(frozen=True)
class ItemCheck:
    row: MappingRow
    status: str  # "ok", "missing", "redirect" or "label-mismatch"
    wikidata_label: str
    detail: str


def normalise_label(label: str) -> str:
    """Compare labels without case, accents, punctuation or a leading article (as reconciliation does)."""
    return normalise(label)


def labels_match(ours: Iterable[str], theirs: Iterable[str]) -> bool:
    wanted = {normalise_label(label) for label in ours if label}
    return any(normalise_label(label) in wanted for label in theirs if label)


def check_query(qids: Iterable[str]) -> str:
    values = " ".join(f"<{WIKIDATA_ENTITY}{q}>" for q in qids if QID.match(q))
    return (
        PREFIXES
        + "SELECT ?item ?exists ?target ?label ?alias WHERE {\n"
        + f"  VALUES ?item {{ {values} }}\n"
        + "  BIND(EXISTS { ?item ?p ?o } AS ?exists)\n"
        + "  OPTIONAL { ?item owl:sameAs ?target }\n"
        + '  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = "en") }\n'
        + '  OPTIONAL { ?item skos:altLabel ?alias FILTER(LANG(?alias) = "en") }\n'
        + "}"
    )


def check_mappings(
    rows: Iterable[MappingRow], endpoint: str, timeout: float = DEFAULT_TIMEOUT, include_suggestions: bool = False
) -> list[ItemCheck]:
    """Ask the endpoint, for each mapped QID, that the item exists, is no redirect and has our label."""
    wanted = [
        r for r in rows if r.qid and (r.status == "accepted" or (include_suggestions and r.status == "suggestion"))
    ]
    found: dict[str, dict[str, set[str]]] = {}
    qids = sorted({r.qid for r in wanted if r.qid})
    for start in range(0, len(qids), BATCH):
        for binding in remote_select(endpoint, check_query(qids[start : start + BATCH]), timeout):
            qid = binding["item"]["value"].rpartition("/")[2]
            entry = found.setdefault(qid, {"exists": set(), "target": set(), "label": set(), "alias": set()})
            for key in entry:
                if key in binding:
                    entry[key].add(binding[key]["value"])
    return [judge(row, found.get(row.qid or "", {})) for row in wanted]


def judge(row: MappingRow, entry: dict[str, set[str]]) -> ItemCheck:
    labels = sorted(entry.get("label", set()))
    label = labels[0] if labels else ""
    if "true" not in entry.get("exists", set()):
        return ItemCheck(row, "missing", "", f"{row.qid} does not exist (deleted or never created)")
    if entry.get("target"):
        target = sorted(entry["target"])[0].rpartition("/")[2]
        return ItemCheck(row, "redirect", label, f"{row.qid} redirects to {target}; map {target} instead")
    if not labels_match([row.subject_label], labels + sorted(entry.get("alias", set()))):
        return ItemCheck(
            row, "label-mismatch", label, f"ours {row.subject_label!r}, Wikidata {label or '(no English label)'!r}"
        )
    return ItemCheck(row, "ok", label, "")


# ---------------------------------------------------------------- suggest


@dataclass(frozen=True)
class Suggestion:
    row: MappingRow
    qid: str
    label: str
    description: str


def label_variants(label: str) -> list[str]:
    variants = [label, label[:1].upper() + label[1:], label.lower()]
    if label.lower().startswith("the "):
        variants.append(label[4:])
    return list(dict.fromkeys(v for v in variants if v))


def suggest_query(rows: Iterable[MappingRow]) -> str:
    """Items whose English label or alias equals one of our labels; literals and IRIs serialised by pyoxigraph."""
    pairs = [
        f"({ox.NamedNode(r.subject_iri)} {ox.Literal(v, language='en')})"
        for r in rows
        for v in label_variants(r.subject_label)
    ]
    return (
        PREFIXES
        + "SELECT ?entity ?item ?label ?description ?links WHERE {\n"
        + "  VALUES (?entity ?name) { "
        + " ".join(pairs)
        + " }\n"
        + "  { ?item rdfs:label ?name } UNION { ?item skos:altLabel ?name }\n"
        + '  ?item rdfs:label ?label FILTER(LANG(?label) = "en")\n'
        + '  OPTIONAL { ?item schema:description ?description FILTER(LANG(?description) = "en") }\n'
        + "  OPTIONAL { ?item wikibase:sitelinks ?links }\n"
        + "}"
    )


def suggest_mappings(
    rows: Iterable[MappingRow], endpoint: str, per_entity: int = 3, timeout: float = DEFAULT_TIMEOUT
) -> list[Suggestion]:
    """Candidates for unmapped entities that have no suggestion or mapping yet, best known first."""
    rows = list(rows)
    handled = {r.subject_iri for r in rows if r.status != "unmapped"}
    todo = [r for r in rows if r.status == "unmapped" and r.subject_iri not in handled and r.subject_label]
    by_subject = {r.subject_iri: r for r in todo}
    found: dict[str, dict[str, tuple[int, str, str]]] = {}
    for start in range(0, len(todo), BATCH):
        for binding in remote_select(endpoint, suggest_query(todo[start : start + BATCH]), timeout):
            qid = binding["item"]["value"].rpartition("/")[2]
            if not binding["item"]["value"].startswith(WIKIDATA_ENTITY) or not QID.match(qid):
                continue
            links = int(float(binding.get("links", {}).get("value", "0") or 0))
            described = binding.get("description", {}).get("value", "")
            found.setdefault(binding["entity"]["value"], {})[qid] = (links, binding["label"]["value"], described)
    suggestions: list[Suggestion] = []
    for subject, candidates in sorted(found.items()):
        ranked = sorted(candidates.items(), key=lambda c: (-c[1][0], int(c[0][1:])))[:per_entity]
        suggestions.extend(Suggestion(by_subject[subject], qid, label, desc) for qid, (_n, label, desc) in ranked)
    return suggestions


SUGGESTION_CONFIDENCE = "0.3"


def suggestion_record(suggestion: Suggestion, endpoint: str, header: list[str], today: date) -> list[str]:
    """An SSSOM row for a candidate: unreviewed and below 0.5, so the build never publishes it."""
    description = f" ({suggestion.description})" if suggestion.description else ""
    values = {
        "subject_id": suggestion.row.subject_id,
        "subject_label": suggestion.row.subject_label,
        "predicate_id": "skos:exactMatch",
        "object_id": f"wikidata:{suggestion.qid}",
        "object_label": suggestion.label,
        "mapping_justification": "semapv:LexicalMatching",
        "author_id": "",
        "author_label": "sdkg wikidata suggest",
        "mapping_date": today.isoformat(),
        "confidence": SUGGESTION_CONFIDENCE,
        "comment": f"unreviewed: English label or alias matches, from {endpoint}{description}; "
        "check the item, then set confidence and comment to accept",
    }
    return [values.get(column, "") for column in header]


def write_suggestions(suggestions: Iterable[Suggestion], endpoint: str, today: date | None = None) -> dict[Path, int]:
    """Append the candidates to the table each entity is listed in; existing lines stay as they are."""
    today = today or date.today()
    written: dict[Path, int] = {}
    by_table: dict[Path, list[Suggestion]] = {}
    for suggestion in suggestions:
        by_table.setdefault(suggestion.row.table, []).append(suggestion)
    for table, items in by_table.items():
        text = table.read_text(encoding="utf-8")
        header_line = next(line for line in text.splitlines() if line and not line.startswith("#"))
        header = header_line.split("\t")
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        for suggestion in items:
            writer.writerow(suggestion_record(suggestion, endpoint, header, today))
        table.write_text(text + ("" if text.endswith("\n") else "\n") + out.getvalue(), encoding="utf-8")
        written[table] = len(items)
    return written


def format_checks(checks: Iterable[ItemCheck], fmt: str = "text") -> str:
    """The check report: a table for people, JSON for scripts."""
    checks = list(checks)
    if fmt == "json":
        return json.dumps(
            [
                {
                    "subject": c.row.subject_id,
                    "label": c.row.subject_label,
                    "qid": c.row.qid,
                    "status": c.status,
                    "wikidata_label": c.wikidata_label,
                    "detail": c.detail,
                    "table": str(c.row.table),
                }
                for c in checks
            ],
            indent=2,
        )
    rows = [[c.status, c.row.qid or "", c.row.subject_label, c.wikidata_label, c.detail] for c in checks]
    return format_table(["status", "qid", "our label", "Wikidata label", "detail"], rows)


# ---------------------------------------------------------------- export

MIXNMATCH_FILE = "sdkg-mixnmatch.tsv"
QUICKSTATEMENTS_FILE = "sdkg-quickstatements.txt"
MIXNMATCH_COLUMNS = ["id", "name", "desc", "type", "url"]
"""The header of the catalogue: Mix'n'match's import reads these labels (``id`` and ``name`` required,
``desc``, ``type`` a QID, ``url``), one entry per row, tab-separated."""
QUICKSTATEMENTS_PROPERTIES = {"P973": "described at URL", "P854": "reference URL", "P813": "retrieved"}
"""The Wikidata properties the batch uses, each verified in data/mappings/README.md."""
EXPORTED_TOPS = ("Actor", "Case", "Concept", "Place", "Source")
"""The entities the catalogue lists: actors, cases, concepts, places and works (when linkable)."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLASS_ITEMS = f"""SELECT ?class ?item WHERE {{
  VALUES ?link {{ <http://www.w3.org/2004/02/skos/core#exactMatch> <http://www.w3.org/2004/02/skos/core#closeMatch> }}
  ?class ?link ?item FILTER(STRSTARTS(STR(?class), "{SDKG}") && STRSTARTS(STR(?item), "{WIKIDATA_ENTITY}Q"))
}}"""
"""The Wikidata item of each ontology class (exact or close match): a catalogue entry's ``type``."""


def solutions(store: ox.Store, query: str) -> list[dict[str, str]]:
    found = store.query(query, use_default_graph_as_union=True)
    assert isinstance(found, ox.QuerySolutions)
    names = [v.value for v in found.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in found]  # type: ignore[union-attr]


def cell(text: str, limit: int = 0) -> str:
    """A value as one TSV cell: no tab or line break; cut to ``limit`` characters (0: no cut)."""
    text = " ".join(text.split())
    return text if not limit or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mixnmatch_rows(store: ox.Store) -> list[list[str]]:
    """One catalogue entry per linkable actor, case, concept, place and work of ``store``: its SDKG id,
    name, a description (kind, definition, sources) to tell namesakes apart, the Wikidata item of its
    class (from the ontology's mappings; empty when the class has none) and the URL of its page."""
    index = build_index({name: solutions(store, query) for name, query in QUERIES.items()})
    class_item: dict[str, str] = {}
    for row in solutions(store, CLASS_ITEMS):
        qid = row["item"][len(WIKIDATA_ENTITY) :]
        if QID.match(qid):
            class_item.setdefault(row["class"][len(SDKG) :], qid)
    rows = []
    for entity in index.entities.values():
        kinds = index.kinds_of(entity)
        if not entity.linkable or not kinds & set(EXPORTED_TOPS):
            continue
        rows.append(
            [entity.id, cell(entity.name), description(index, entity), type_item(index, entity, class_item), entity.iri]
        )
    return rows


def description(index: Index, entity: Entity) -> str:
    """What tells namesakes apart: the kind, the definition, the sources that name the entity."""
    kind = ", ".join(index.types[t].name for t in entity.types if t in index.types)
    parts = [kind[:1].upper() + kind[1:]] if kind else []
    if entity.description:
        parts.append(entity.description)
    sources = [v.name for v in entity.values.get("mentionedIn", [])]
    if sources:
        parts.append("Named in " + "; ".join(sources))
    return cell(". ".join(p.rstrip(".") for p in parts) + ".", 400) if parts else ""


def type_item(index: Index, entity: Entity, class_item: dict[str, str]) -> str:
    """The Wikidata item of the entity's most specific class that has one (walking up its superclasses)."""
    todo = list(entity.types)
    seen: set[str] = set()
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if current in class_item:
            return class_item[current]
        todo.extend(index.types[current].parents if current in index.types else ())
    return ""


def quickstatements_lines(rows: Iterable[MappingRow]) -> list[str]:
    """One QuickStatements (V1) command per verified exact match: the item is ``described at URL`` (P973)
    the entity's SDKG IRI, referenced by that URL (S854) and the date the link was verified (S813)."""
    lines = []
    for row in sorted(rows, key=lambda r: (r.subject_iri, r.qid or "")):
        if row.status != "accepted" or row.verdict != "verified" or row.predicate_id != "skos:exactMatch":
            continue
        if not row.qid or not row.subject_iri.startswith(ID) or '"' in row.subject_iri:
            continue
        when = row.mapping_date if _DATE.match(row.mapping_date) else date.today().isoformat()
        url = f'"{row.subject_iri}"'
        lines.append("\t".join([row.qid, "P973", url, "S854", url, "S813", f"+{when}T00:00:00Z/11"]))
    return lines


def write_exports(layout: ProjectLayout, out_dir: Path) -> list[Path]:
    """Write the Mix'n'match catalogue and the QuickStatements batch into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    project = load_project(layout)
    catalogue = io.StringIO()
    writer = csv.writer(catalogue, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(MIXNMATCH_COLUMNS)
    writer.writerows(mixnmatch_rows(project.store))
    mixnmatch = out_dir / MIXNMATCH_FILE
    mixnmatch.write_text(catalogue.getvalue(), encoding="utf-8")
    batch = out_dir / QUICKSTATEMENTS_FILE
    lines = quickstatements_lines(read_mappings(layout))
    batch.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return [mixnmatch, batch]
