"""SSSOM rows for the entities an authoring file declares: listed as unmapped until a QID is verified.

Every actor, case, place and concept of SDKG is in a mapping table, mapped to a verified
Wikidata QID or listed as ``sssom:NoTermFound`` (the content test holds the repository to it,
and ``sdkg wikidata suggest`` works from these rows). A text's new entities get their rows
in the text's own table, ``data/mappings/<folder>.sssom.tsv``; rows are only ever added,
never changed, so an editor's verified QID is never overwritten.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path

from ..namespaces import ID
from ..project import SSSOM_SUFFIX, ProjectError, expand_curie, read_sssom

COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "author_id",
    "author_label",
    "mapping_date",
    "confidence",
    "comment",
]


def table_path(root: Path, folder: str) -> Path:
    """A text's mapping table: ``data/mappings/<folder>.sssom.tsv``."""
    return root / "data" / "mappings" / f"{folder}{SSSOM_SUFFIX}"


def header(folder: str) -> str:
    """The comment header and column line of a new table (the layout of the repository's tables)."""
    return (
        "# curie_map:\n"
        "#   sdkg_id: https://w3id.org/sdkg/id/\n"
        "#   semapv: https://w3id.org/semapv/vocab/\n"
        "#   skos: http://www.w3.org/2004/02/skos/core#\n"
        "#   sssom: https://w3id.org/sssom/\n"
        "#   wikidata: http://www.wikidata.org/entity/\n"
        f"# mapping_set_id: https://w3id.org/sdkg/mappings/{folder}\n"
        "# mapping_set_description: Wikidata items for the actors, cases, places and concepts"
        f" defined in data/{folder}/.\n"
        "# license: https://creativecommons.org/licenses/by/4.0/\n" + "\t".join(COLUMNS) + "\n"
    )


def mapped_subjects(root: Path) -> set[str]:
    """Every subject IRI that some table of the project lists (mapped or not)."""
    found: set[str] = set()
    for table in sorted((root / "data").rglob(f"*{SSSOM_SUFFIX}")):
        curie_map, rows = read_sssom(table)
        for number, row in enumerate(rows, start=1):
            try:
                found.add(expand_curie((row.get("subject_id") or "").strip(), curie_map, table, number))
            except ProjectError:
                continue
    return found


def unmapped_rows(entities: list[tuple[str, str]], today: date | None = None) -> list[list[str]]:
    """Rows that list ``(IRI, label)`` entities as having no verified Wikidata item yet."""
    day = (today or date.today()).isoformat()
    return [
        [
            "sdkg_id:" + iri[len(ID) :],
            label,
            "skos:exactMatch",
            "sssom:NoTermFound",
            "",
            "semapv:ManualMappingCuration",
            "sdkg_id:actor/sdkg-editors",
            "SDKG editors",
            day,
            "",
            "unverified: no candidate QID searched yet (a new entity)",
        ]
        for iri, label in entities
    ]


def rows_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


def add_rows(table: Path, folder: str, rows: list[list[str]]) -> None:
    """Append rows to ``table`` (created with its header when missing), atomically."""
    text = table.read_text(encoding="utf-8") if table.exists() else header(folder)
    if text and not text.endswith("\n"):
        text += "\n"
    write_atomically(table, text + rows_text(rows))


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a temporary file beside it, then one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
