"""Check every passage against its source text: verbatim at its offsets.

The texts are copyrighted and not in the repository; each source record names its
file (``sdkg:sourceFileName``) and the SHA-256 of its normalised text, and the
texts are read from ``$SDKG_SOURCES`` or ``../shared/seeds/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .namespaces import SDKG
from .passages import check, find_source_text, read_normalised, sha256_of
from .project import ParsedProject
from .validate import Locator, Result

OA = "http://www.w3.org/ns/oa#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass(frozen=True)
class PassageRecord:
    passage: str
    source: str | None
    exact: str | None
    start: int | None
    end: int | None


def passages_of(parsed: ParsedProject) -> list[PassageRecord]:
    """Read passages from the quads: source, exact, start, end (through the selectors)."""
    store = ox.Store()
    store.bulk_extend(parsed.quads)
    query = f"""
        SELECT ?p ?src ?exact ?start ?end WHERE {{
          ?p a <{SDKG}Passage> .
          OPTIONAL {{ ?p <{OA}hasSource> ?src }}
          OPTIONAL {{ ?p <{OA}hasSelector> ?q . ?q <{OA}exact> ?exact }}
          OPTIONAL {{ ?p <{OA}hasSelector> ?s . ?s <{OA}start> ?start ; <{OA}end> ?end }}
        }}"""
    records = []
    for row in store.query(query, use_default_graph_as_union=True):
        records.append(
            PassageRecord(
                passage=row["p"].value,
                source=row["src"].value if row["src"] else None,
                exact=row["exact"].value if row["exact"] else None,
                start=int(row["start"].value) if row["start"] else None,
                end=int(row["end"].value) if row["end"] else None,
            )
        )
    return records


def source_files(parsed: ParsedProject) -> dict[str, tuple[str, str | None]]:
    """Map each source IRI to its file name and recorded SHA-256."""
    names: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for q in parsed.quads:
        if q.predicate.value == SDKG + "sourceFileName":
            names[q.subject.value] = q.object.value
        elif q.predicate.value == SDKG + "normalisedTextSha256":
            hashes[q.subject.value] = q.object.value
    return {iri: (name, hashes.get(iri)) for iri, name in names.items()}


def check_quotes(root: Path, parsed: ParsedProject) -> list[Result]:
    """A violation per passage that is not verbatim at its offsets; a warning per missing text."""
    locator = Locator(parsed)
    texts: dict[str, str | None] = {}
    results: list[Result] = []
    files = source_files(parsed)

    def result(severity: str, node: str, message: str, value: str | None = None) -> Result:
        file, line = locator.locate(node)
        return Result(severity, node, None, "oa:hasSelector", value, message, "sdkg:QuoteCheck", "sdkg:QuoteCheck", file, line)

    for source, (name, digest) in files.items():
        path = find_source_text(root, name)
        if path is None:
            texts[source] = None
            results.append(result("Warning", source, f"source text {name} not found; set SDKG_SOURCES to check quotes"))
            continue
        text = read_normalised(path)
        if digest and sha256_of(text) != digest:
            results.append(result("Violation", source, f"{path} does not match the recorded SHA-256 of the normalised text"))
            texts[source] = None
            continue
        texts[source] = text
    for record in passages_of(parsed):
        if record.source not in texts:
            if record.source is not None:
                results.append(result("Violation", record.passage, f"passage source <{record.source}> has no sdkg:sourceFileName"))
            continue
        text = texts[record.source]
        if text is None or record.exact is None or record.start is None or record.end is None:
            continue
        problem = check(text, record.exact, record.start, record.end)
        if problem:
            results.append(result("Violation", record.passage, f"quote not verbatim at its offsets: {problem}", record.exact[:80]))
    return results
