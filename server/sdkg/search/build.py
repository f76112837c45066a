"""Write a build's search index (:mod:`.schema`) from its store: one step of the build, before the seal.

The store is read with a few streaming SELECT queries (no ``ORDER BY``, no ``GROUP BY``: each
solution goes straight into a staging table), and everything else (best labels, the documents,
the cards in reading order, the facets) is SQL over the staging tables, which SQLite sorts and
groups on disk: memory stays bounded by SQLite's page cache whatever the size of the corpus.
The staging tables live in a file of their own in the build directory and are removed at the end;
the index is written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import ID, PREFIXES, SDKG
from ..progress import SILENT, Progress
from .schema import DDL, INDEX_FILE, KINDS, LINK_VALUES, NAMED_KINDS, SCHEMA_VERSION, WEIGHTS
from .syntax import fold

STAGE_FILE = ".search-stage.sqlite"
RANK = "bm25(" + ", ".join(str(w) for w in WEIGHTS) + ")"
BATCH = 10_000
HEADER = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())

LABELS = HEADER + "SELECT ?s ?label WHERE { ?s rdfs:label ?label . FILTER(isIRI(?s)) }"
ALT_LABELS = HEADER + "SELECT ?s ?alt WHERE { ?s skos:altLabel ?alt . FILTER(isIRI(?s)) }"
TEXTS = (
    HEADER
    + """SELECT ?s ?field ?text WHERE {
    VALUES (?p ?field) { (skos:definition "definition") (sdkg:paraphrase "paraphrase") }
    ?s ?p ?text . FILTER(isIRI(?s))
}"""
)
TYPES = HEADER + f'SELECT ?s ?type WHERE {{ ?s a ?type . FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}'
CLASS_DEPTHS = (
    HEADER
    + """SELECT ?type (COUNT(DISTINCT ?super) AS ?depth) WHERE {
    ?type a owl:Class . FILTER(isIRI(?type))
    ?type rdfs:subClassOf* ?super .
} GROUP BY ?type"""
)
QUOTES = (
    HEADER
    + """SELECT ?p ?source ?exact ?prefix ?suffix WHERE {
    ?p a sdkg:Passage ; oa:hasSelector ?quote . ?quote oa:exact ?exact .
    OPTIONAL { ?p oa:hasSource ?source }
    OPTIONAL { ?quote oa:prefix ?prefix } OPTIONAL { ?quote oa:suffix ?suffix }
}"""
)
POSITIONS = (
    HEADER + "SELECT ?p ?start ?end WHERE { ?p a sdkg:Passage ; oa:hasSelector ?s . ?s oa:start ?start ; oa:end ?end }"
)
"""Apart from the quotes: one query with both selectors as OPTIONALs takes twice as long."""
ASCRIPTIONS = (
    HEADER
    + """SELECT ?asc ?claim ?holder ?reporter ?stance ?source WHERE {
    ?asc sdkg:ascribes ?claim .
    OPTIONAL { ?asc sdkg:heldBy ?holder } OPTIONAL { ?asc sdkg:reportedBy ?reporter }
    OPTIONAL { ?asc sdkg:stance ?stance } OPTIONAL { ?asc sdkg:inSource ?source }
}"""
)
RESTS_ON = HEADER + "SELECT ?asc ?passage WHERE { ?asc sdkg:ascribes ?claim ; sdkg:restsOn ?passage }"
CLAIM_VALUES = (
    HEADER
    + """SELECT ?claim ?facet ?value WHERE {
    { ?claim sdkg:expressesDiscourse ?value . BIND("expresses" AS ?facet) }
    UNION { ?claim sdkg:criticisesDiscourse ?value . BIND("criticises" AS ?facet) }
    UNION { ?claim sdkg:aboutCase ?value . BIND("case" AS ?facet) }
    UNION { ?claim sdkg:mentionsActor ?value . BIND("actor" AS ?facet) }
    UNION { ?claim sdkg:usesConcept ?value . BIND("concept" AS ?facet) }
    UNION {
        ?link sdkg:premise|sdkg:conclusion ?claim .
        BIND("link" AS ?facet)
        BIND(IF(EXISTS { ?link a sdkg:EditorialLink }, "editorial", "source") AS ?value)
    }
}"""
)
LOCATIONS = HEADER + "SELECT ?case ?place WHERE { ?case sdkg:location ?place }"
SOURCE_FACTS = (
    HEADER
    + """SELECT ?s ?p ?o WHERE {
    ?s a/rdfs:subClassOf* sdkg:Source .
    VALUES ?p { rdf:type sdkg:author sdkg:interviewee sdkg:interviewer sdkg:publishedIn sdkg:publisher
                sdkg:publicationYear }
    ?s ?p ?o .
}"""
)

STAGE_DDL = """
CREATE TABLE stage.label(s TEXT, label TEXT, rank INTEGER);
CREATE TABLE stage.alt(s TEXT, alt TEXT);
CREATE TABLE stage.text(s TEXT, field TEXT, text TEXT);
CREATE TABLE stage.type(s TEXT, type TEXT);
CREATE TABLE stage.depth(type TEXT PRIMARY KEY, depth INTEGER) WITHOUT ROWID;
CREATE TABLE stage.passage(p TEXT, source TEXT, exact TEXT, prefix TEXT, suffix TEXT, start INTEGER, "end" INTEGER);
CREATE TABLE stage.position(p TEXT, start INTEGER, "end" INTEGER);
CREATE TABLE stage.asc(asc TEXT, claim TEXT, holder TEXT, reporter TEXT, stance TEXT, source TEXT);
CREATE TABLE stage.rests(asc TEXT, passage TEXT);
CREATE TABLE stage.claim_value(claim TEXT, facet TEXT, value TEXT);
CREATE TABLE stage.location(s TEXT, place TEXT);
"""

STAGE_INDEXES = """
CREATE INDEX stage.label_s ON label(s, rank, label);
CREATE INDEX stage.alt_s ON alt(s);
CREATE INDEX stage.text_s ON text(s, field);
CREATE INDEX stage.type_s ON type(s);
CREATE INDEX stage.passage_p ON passage(p);
CREATE INDEX stage.position_p ON position(p);
UPDATE stage.passage SET (start, "end") = (
    SELECT start, "end" FROM stage.position WHERE position.p = passage.p LIMIT 1
);
CREATE INDEX stage.asc_asc ON asc(asc);
CREATE INDEX stage.asc_claim ON asc(claim);
CREATE INDEX stage.rests_asc ON rests(asc);
CREATE INDEX stage.rests_passage ON rests(passage);
CREATE INDEX stage.claim_value_claim ON claim_value(claim, facet);
CREATE INDEX stage.location_s ON location(s);
CREATE TABLE stage.best_label(s TEXT PRIMARY KEY, label TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO stage.best_label SELECT s, label FROM stage.label ORDER BY s, rank, label;
CREATE TABLE stage.best_type(s TEXT PRIMARY KEY, type TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO stage.best_type
    SELECT t.s, t.type FROM stage.type t LEFT JOIN stage.depth d ON d.type = t.type
    ORDER BY t.s, COALESCE(d.depth, 0) DESC, t.type;
CREATE TABLE stage.subject(s TEXT PRIMARY KEY, kind TEXT) WITHOUT ROWID;
INSERT OR IGNORE INTO stage.subject
    SELECT s, kind_of(s) FROM (SELECT s FROM stage.best_label UNION SELECT s FROM stage.best_type)
    WHERE kind_of(s) IS NOT NULL;
CREATE TABLE stage.claim_about(claim TEXT PRIMARY KEY, about TEXT) WITHOUT ROWID;
INSERT INTO stage.claim_about
    SELECT claim, group_concat(label, ' · ') FROM (
        SELECT DISTINCT claim, l.label FROM (
            SELECT claim, value AS v FROM stage.claim_value WHERE facet IN ('case', 'actor', 'concept')
            UNION SELECT cv.claim, loc.place FROM stage.claim_value cv JOIN stage.location loc ON loc.s = cv.value
                WHERE cv.facet = 'case'
        ) JOIN stage.best_label l ON l.s = v
    ) GROUP BY claim;
"""

ENTITIES = """
INSERT INTO entity(iri, kind, label, type_label, description)
SELECT s.s, s.kind, COALESCE(l.label, ''), tl.label,
    CASE s.kind
        WHEN 'claim' THEN (SELECT text FROM stage.text WHERE text.s = s.s AND field = 'paraphrase' LIMIT 1)
        WHEN 'passage' THEN (SELECT exact FROM stage.passage WHERE p = s.s LIMIT 1)
        ELSE (SELECT text FROM stage.text WHERE text.s = s.s AND field = 'definition' LIMIT 1)
    END
FROM stage.subject s
LEFT JOIN stage.best_label l ON l.s = s.s
LEFT JOIN stage.best_type bt ON bt.s = s.s
LEFT JOIN stage.best_label tl ON tl.s = bt.type
ORDER BY s.kind, s.s;
"""

PASSAGE_DATA = """
UPDATE entity SET data = (
    SELECT json_object(
        'source', p.source, 'source_label', (SELECT label FROM stage.best_label WHERE s = p.source),
        'start', p.start, 'end', p."end", 'prefix', p.prefix, 'suffix', p.suffix,
        'claims', json((SELECT json_group_array(json_array(claim, label)) FROM (
            SELECT DISTINCT a.claim, l.label FROM stage.rests r JOIN stage.asc a ON a.asc = r.asc
            LEFT JOIN stage.best_label l ON l.s = a.claim WHERE r.passage = entity.iri ORDER BY l.label
        )))
    ) FROM stage.passage p WHERE p.p = entity.iri LIMIT 1
) WHERE kind = 'passage';
"""

CLAIM_DATA = """
UPDATE entity SET data = json_object('ascriptions', json((
    SELECT json_group_array(json_object(
        'holder', (SELECT label FROM stage.best_label WHERE s = a.holder),
        'reporter', (SELECT label FROM stage.best_label WHERE s = a.reporter),
        'stance', (SELECT label FROM stage.best_label WHERE s = a.stance),
        'source', (SELECT label FROM stage.best_label WHERE s = a.source)
    )) FROM (SELECT * FROM stage.asc WHERE claim = entity.iri GROUP BY asc) a
))) WHERE kind = 'claim';
"""

DOCS = """
INSERT INTO docs(rowid, title, alt, body, about)
SELECT e.id,
    CASE e.kind WHEN 'passage' THEN '' ELSE e.label END,
    (SELECT group_concat(alt, ' · ') FROM stage.alt WHERE alt.s = e.iri),
    COALESCE(e.description, ''),
    CASE e.kind
        WHEN 'claim' THEN (SELECT about FROM stage.claim_about WHERE claim = e.iri)
        WHEN 'passage' THEN (
            SELECT group_concat(text, ' · ') FROM (
                SELECT DISTINCT COALESCE(l.label, '') || ' · ' || COALESCE(ca.about, '') AS text
                FROM stage.rests r JOIN stage.asc a ON a.asc = r.asc
                LEFT JOIN stage.best_label l ON l.s = a.claim
                LEFT JOIN stage.claim_about ca ON ca.claim = a.claim
                WHERE r.passage = e.iri
            )
        )
        ELSE e.type_label
    END
FROM entity e;
"""

NAMES = """
INSERT INTO names(rowid, label, alt)
SELECT e.id, e.label, (SELECT group_concat(alt, ' · ') FROM stage.alt WHERE alt.s = e.iri)
FROM entity e WHERE e.kind IN ({kinds}) AND e.label != '';
UPDATE entity SET name = fold(label) WHERE kind IN ({kinds}) AND label != '';
CREATE INDEX entity_name ON entity(name) WHERE name IS NOT NULL;
"""

ROWS = """
INSERT INTO row(ascription, claim)
SELECT a.asc, min(a.claim) FROM stage.asc a
LEFT JOIN stage.rests r ON r.asc = a.asc
LEFT JOIN stage.passage p ON p.p = r.passage
GROUP BY a.asc
ORDER BY min(a.source), min(p.start), a.asc;
"""

FACET_ROWS = """
CREATE TABLE stage.fv(facet TEXT, key TEXT, iri TEXT, label TEXT, row INTEGER);
INSERT INTO stage.fv
    SELECT 'source', key_of(a.source), a.source, NULL, r.id FROM row r JOIN stage.asc a ON a.asc = r.ascription
        WHERE a.source IS NOT NULL
    UNION SELECT 'stance', key_of(a.stance), a.stance, NULL, r.id FROM row r JOIN stage.asc a ON a.asc = r.ascription
        WHERE a.stance IS NOT NULL
    UNION SELECT 'holder', key_of(a.holder), a.holder, NULL, r.id FROM row r JOIN stage.asc a ON a.asc = r.ascription
        WHERE a.holder IS NOT NULL
    UNION SELECT 'reporter', key_of(a.reporter), a.reporter, NULL, r.id FROM row r
        JOIN stage.asc a ON a.asc = r.ascription WHERE a.reporter IS NOT NULL
    UNION SELECT 'discourse', cv.facet || ':' || key_of(cv.value), cv.value, cv.facet, r.id FROM row r
        JOIN stage.claim_value cv ON cv.claim = r.claim WHERE cv.facet IN ('expresses', 'criticises')
    UNION SELECT cv.facet, key_of(cv.value), cv.value, NULL, r.id FROM row r
        JOIN stage.claim_value cv ON cv.claim = r.claim WHERE cv.facet IN ('case', 'actor', 'concept')
    UNION SELECT 'link', cv.value, NULL, NULL, r.id FROM row r
        JOIN stage.claim_value cv ON cv.claim = r.claim WHERE cv.facet = 'link'
    UNION SELECT 'link', 'none', NULL, NULL, r.id FROM row r
        WHERE NOT EXISTS (SELECT 1 FROM stage.claim_value cv WHERE cv.claim = r.claim AND cv.facet = 'link');
CREATE INDEX stage.fv_value ON fv(facet, key, row);
"""

FACET_GROUPS = """
SELECT g.facet, g.key, g.iri, g.relation, l.label, g.row FROM (
    SELECT facet, key, min(iri) AS iri, min(label) AS relation, row FROM stage.fv GROUP BY facet, key, row
) g LEFT JOIN stage.best_label l ON l.s = g.iri ORDER BY g.facet, g.key, g.row
"""

ROW_VALUES = """
SELECT fv.row, v.id FROM stage.fv fv JOIN facet_value v ON v.facet = fv.facet AND v.key = fv.key
GROUP BY fv.row, v.id ORDER BY fv.row, v.id
"""

CARDS = """
UPDATE row SET card = json_object(
    'ascription', ascription,
    'claim', claim,
    'label', (SELECT label FROM stage.best_label WHERE s = row.claim),
    'paraphrase', (SELECT text FROM stage.text WHERE s = row.claim AND field = 'paraphrase' LIMIT 1),
    'holders', json((SELECT json_group_array(json_object('kind', 'uri', 'value', v, 'label', l.label)) FROM (
        SELECT DISTINCT holder AS v FROM stage.asc WHERE asc = row.ascription AND holder IS NOT NULL
    ) LEFT JOIN stage.best_label l ON l.s = v)),
    'reporters', json((SELECT json_group_array(json_object('kind', 'uri', 'value', v, 'label', l.label)) FROM (
        SELECT DISTINCT reporter AS v FROM stage.asc WHERE asc = row.ascription AND reporter IS NOT NULL
    ) LEFT JOIN stage.best_label l ON l.s = v)),
    'stance', json((SELECT json_object('kind', 'uri', 'value', a.stance, 'label', l.label) FROM stage.asc a
        LEFT JOIN stage.best_label l ON l.s = a.stance WHERE a.asc = row.ascription AND a.stance IS NOT NULL LIMIT 1)),
    'source', json((SELECT json_object('kind', 'uri', 'value', a.source, 'label', l.label) FROM stage.asc a
        LEFT JOIN stage.best_label l ON l.s = a.source WHERE a.asc = row.ascription AND a.source IS NOT NULL LIMIT 1)),
    'passages', json((SELECT json_group_array(json_object(
        'passage', p, 'exact', exact, 'prefix', COALESCE(prefix, ''), 'suffix', COALESCE(suffix, ''),
        'start', start, 'end', "end"
    )) FROM (
        SELECT DISTINCT p.p, p.exact, p.prefix, p.suffix, p.start, p."end" FROM stage.rests r
        JOIN stage.passage p ON p.p = r.passage WHERE r.asc = row.ascription ORDER BY p.start, p.p
    ))),
    'cases', json((SELECT json_group_array(json_object('kind', 'uri', 'value', v, 'label', l.label)) FROM (
        SELECT DISTINCT value AS v FROM stage.claim_value WHERE claim = row.claim AND facet = 'case'
    ) LEFT JOIN stage.best_label l ON l.s = v)),
    'discourses', json((SELECT json_group_array(json_object('relation', f, 'kind', 'uri', 'value', v, 'label', l.label))
        FROM (
            SELECT DISTINCT facet AS f, value AS v FROM stage.claim_value
            WHERE claim = row.claim AND facet IN ('expresses', 'criticises')
        ) LEFT JOIN stage.best_label l ON l.s = v)),
    'links', json((SELECT json_group_array(value) FROM (
        SELECT DISTINCT value FROM stage.claim_value WHERE claim = row.claim AND facet = 'link' ORDER BY value
    )))
);
"""

DOC_ROWS = """
INSERT OR IGNORE INTO doc_row(doc, row)
    SELECT e.id, r.id FROM row r JOIN entity e ON e.iri = r.claim
    UNION SELECT e.id, r.id FROM row r JOIN stage.rests x ON x.asc = r.ascription JOIN entity e ON e.iri = x.passage;
"""


@dataclass(frozen=True)
class IndexSummary:
    """What one index holds (also in its ``meta`` table)."""

    path: Path
    documents: int
    cards: int
    facet_values: int
    seconds: float


def kind_of(iri: str | None) -> str | None:
    """The document kind of an entity IRI (``…/id/claim/x`` → ``claim``), or ``None`` when it is not one."""
    if not iri or not iri.startswith(ID):
        return None
    kind = iri[len(ID) :].split("/", 1)[0]
    return kind if kind in KINDS else None


def key_of(iri: str | None) -> str | None:
    """The short key of a facet value in URLs: an entity's path (``actor/mary-kaldor``), a term's local name."""
    if iri is None:
        return None
    if iri.startswith(ID):
        return iri[len(ID) :]
    if iri.startswith(SDKG):
        return iri[len(SDKG) :].lower()
    return iri


def cell(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    if term is None or isinstance(term, ox.BlankNode):
        return None
    return term.value


def solutions(store: ox.Store, query: str, names: tuple[str, ...]) -> Iterator[tuple[str | None, ...]]:
    """The solutions of a SELECT as tuples of values, one at a time (never the whole answer in memory)."""
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    for solution in result:
        yield tuple(cell(solution[name]) for name in names)  # type: ignore[arg-type]


def labels(store: ox.Store) -> Iterator[tuple[str, str, int]]:
    """Every label of an IRI, with its rank: English or untagged first."""
    result = store.query(LABELS, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    for solution in result:
        label = solution["label"]
        if isinstance(label, ox.Literal):
            language = (label.language or "").lower()
            yield solution["s"].value, label.value, 0 if language in ("", "en") or language.startswith("en-") else 1  # type: ignore[union-attr]


def integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def positions(store: ox.Store) -> Iterator[tuple[object, ...]]:
    for p, start, end in solutions(store, POSITIONS, ("p", "start", "end")):
        yield p, integer(start), integer(end)


def stage(connection: sqlite3.Connection, store: ox.Store, progress: Progress) -> None:
    """Copy what the index needs from the store into the staging tables."""
    steps: list[tuple[str, str, Iterable[tuple[object, ...]]]] = [
        ("labels", "INSERT INTO stage.label VALUES (?, ?, ?)", labels(store)),
        ("alternative labels", "INSERT INTO stage.alt VALUES (?, ?)", solutions(store, ALT_LABELS, ("s", "alt"))),
        ("texts", "INSERT INTO stage.text VALUES (?, ?, ?)", solutions(store, TEXTS, ("s", "field", "text"))),
        ("types", "INSERT INTO stage.type VALUES (?, ?)", solutions(store, TYPES, ("s", "type"))),
        (
            "classes",
            "INSERT OR IGNORE INTO stage.depth VALUES (?, ?)",
            solutions(store, CLASS_DEPTHS, ("type", "depth")),
        ),
        (
            "passages",
            "INSERT INTO stage.passage VALUES (?, ?, ?, ?, ?, NULL, NULL)",
            solutions(store, QUOTES, ("p", "source", "exact", "prefix", "suffix")),
        ),
        ("passages' positions", "INSERT INTO stage.position VALUES (?, ?, ?)", positions(store)),
        (
            "ascriptions",
            "INSERT INTO stage.asc VALUES (?, ?, ?, ?, ?, ?)",
            solutions(store, ASCRIPTIONS, ("asc", "claim", "holder", "reporter", "stance", "source")),
        ),
        (
            "passages of ascriptions",
            "INSERT INTO stage.rests VALUES (?, ?)",
            solutions(store, RESTS_ON, ("asc", "passage")),
        ),
        (
            "claims' links",
            "INSERT INTO stage.claim_value VALUES (?, ?, ?)",
            solutions(store, CLAIM_VALUES, ("claim", "facet", "value")),
        ),
        ("case locations", "INSERT INTO stage.location VALUES (?, ?)", solutions(store, LOCATIONS, ("case", "place"))),
    ]
    for what, statement, rows in steps:
        progress.step(f"search index: reading {what}")
        connection.executemany(statement, rows)


def write_facets(connection: sqlite3.Connection) -> int:
    """Every facet value with its sorted rows (packed), then each card's value ids (packed)."""
    connection.executescript(FACET_ROWS)
    count = 0
    current: tuple[str, str] | None = None
    iri = label = name = None
    rows = array("I")

    def flush() -> None:
        nonlocal count
        if current is None:
            return
        facet, key = current
        shown = facet_label(facet, key, name, label)
        connection.execute(
            "INSERT INTO facet_value(facet, key, label, iri, total, rows) VALUES (?, ?, ?, ?, ?, ?)",
            (facet, key, shown, iri, len(rows), rows.tobytes()),
        )
        count += 1

    for facet, key, value_iri, relation, value_label, row in connection.execute(FACET_GROUPS):
        if (facet, key) != current:
            flush()
            current, iri, name, label, rows = (facet, key), value_iri, relation, value_label, array("I")
        rows.append(row)
    flush()
    updates: list[tuple[bytes, int]] = []
    row_id, values = None, array("I")
    for row, value in connection.execute(ROW_VALUES):
        if row != row_id:
            if row_id is not None:
                updates.append((values.tobytes(), row_id))
            row_id, values = row, array("I")
        values.append(value)
        if len(updates) >= BATCH:
            connection.executemany("UPDATE row SET vals = ? WHERE id = ?", updates)
            updates.clear()
    if row_id is not None:
        updates.append((values.tobytes(), row_id))
    connection.executemany("UPDATE row SET vals = ? WHERE id = ?", updates)
    connection.execute("UPDATE row SET vals = x'' WHERE vals IS NULL")
    return count


def facet_label(facet: str, key: str, relation: str | None, label: str | None) -> str:
    """How a facet value is shown: its label, a discourse with the relation, a link kind in words."""
    if facet == "link":
        return LINK_VALUES.get(key, key)
    shown = label or key
    if facet == "discourse" and relation:
        return f"{relation} {shown}"
    return shown


def by_surname(names: Iterable[str]) -> list[str]:
    """Names in the order of their last word: the graph does not record the order of a source's authors."""
    return sorted(set(names), key=lambda name: (name.split()[-1].lower() if name.split() else "", name))


def write_sources(connection: sqlite3.Connection, store: ox.Store) -> None:
    """What a citation of each source may say: only what the graph states (no year or journal made up)."""
    facts: dict[str, dict[str, list[str]]] = {}
    for s, p, o in solutions(store, SOURCE_FACTS, ("s", "p", "o")):
        if s is None or p is None or o is None:
            continue
        facts.setdefault(s, {}).setdefault(p, []).append(o)

    def label(iri: str) -> str:
        found = connection.execute("SELECT label FROM stage.best_label WHERE s = ?", (iri,)).fetchone()
        return str(found[0]) if found else iri

    depth = dict(connection.execute("SELECT type, depth FROM stage.depth").fetchall())
    for iri, props in sorted(facts.items()):
        types = sorted(props.get(PREFIXES["rdf"] + "type", []), key=lambda t: -int(depth.get(t, 0) or 0))
        record = {
            "iri": iri,
            "title": label(iri),
            "type": types[0][len(SDKG) :] if types and types[0].startswith(SDKG) else "Source",
            "authors": by_surname(label(a) for a in props.get(SDKG + "author", [])),
            "interviewees": by_surname(label(a) for a in props.get(SDKG + "interviewee", [])),
            "interviewers": by_surname(label(a) for a in props.get(SDKG + "interviewer", [])),
            "periodical": next((label(a) for a in props.get(SDKG + "publishedIn", [])), None),
            "publisher": next((label(a) for a in props.get(SDKG + "publisher", [])), None),
            "year": next(iter(props.get(SDKG + "publicationYear", [])), None),
        }
        connection.execute("INSERT INTO source(iri, data) VALUES (?, ?)", (iri, json.dumps(record, ensure_ascii=False)))


def write_index(store: ox.Store, build_dir: Path, progress: Progress = SILENT) -> IndexSummary:
    """Write ``build_dir/search.sqlite`` from ``store`` (the build's, complete but not yet sealed)."""
    started = time.monotonic()
    target = build_dir / INDEX_FILE
    temporary = build_dir / f".{INDEX_FILE}.tmp"
    stage_file = build_dir / STAGE_FILE
    for leftover in (temporary, stage_file):
        leftover.unlink(missing_ok=True)
    connection = sqlite3.connect(str(temporary))
    try:
        connection.create_function("kind_of", 1, kind_of, deterministic=True)
        connection.create_function("key_of", 1, key_of, deterministic=True)
        connection.create_function("fold", 1, fold, deterministic=True)
        connection.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;")
        connection.execute("ATTACH DATABASE ? AS stage", (str(stage_file),))
        connection.executescript("PRAGMA stage.journal_mode = OFF; PRAGMA stage.synchronous = OFF;")
        connection.executescript(DDL + STAGE_DDL)
        stage(connection, store, progress)
        progress.step("search index: documents")
        connection.executescript(STAGE_INDEXES + ENTITIES + PASSAGE_DATA + CLAIM_DATA + DOCS)
        connection.executescript(NAMES.format(kinds=", ".join(f"'{k}'" for k in NAMED_KINDS)))
        progress.step("search index: cards and facets")
        connection.executescript(ROWS + CARDS)
        facet_values = write_facets(connection)
        connection.executescript(DOC_ROWS)
        write_sources(connection, store)
        connection.execute("INSERT INTO docs(docs, rank) VALUES ('rank', ?)", (RANK,))  # for ORDER BY rank in SQL
        connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        connection.execute("INSERT INTO names(names) VALUES ('optimize')")
        documents = connection.execute("SELECT count(*) FROM entity").fetchone()[0]
        ranges = connection.execute("SELECT kind, min(id), max(id), count(*) FROM entity GROUP BY kind").fetchall()
        assert all(last - first + 1 == n for _kind, first, last, n in ranges), "documents are numbered kind by kind"
        cards = connection.execute("SELECT count(*) FROM row").fetchone()[0]
        meta = {
            "schema": SCHEMA_VERSION,
            "build": build_dir.name,
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "documents": str(documents),
            "cards": str(cards),
            "facet_values": str(facet_values),
            "kinds": json.dumps({kind: [first, last] for kind, first, last, _n in ranges}),
        }
        connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        connection.commit()
        connection.execute("DETACH DATABASE stage")
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
        stage_file.unlink(missing_ok=True)
    os.replace(temporary, target)
    seconds = time.monotonic() - started
    progress.step(f"search index: {documents:,} documents, {cards:,} claim cards, {facet_values:,} facet values")
    return IndexSummary(target, documents, cards, facet_values, seconds)
