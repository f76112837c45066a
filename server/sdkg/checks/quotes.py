"""Check every passage against its source text: verbatim at its offsets.

The texts are copyrighted and not in the repository; each source record names its
file (``sdkg:sourceFileName``) and the SHA-256 of its normalised text, and the
texts are read from ``$SDKG_SOURCES`` or ``../shared/seeds/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import SDKG
from ..passages import find_source_text, quote_problem, read_normalised, sha256_of
from ..project import LoadedProject
from .locate import Locator
from .report import Result

OA = "http://www.w3.org/ns/oa#"
SOURCE_FILE_NAME = ox.NamedNode(SDKG + "sourceFileName")
TEXT_SHA256 = ox.NamedNode(SDKG + "normalisedTextSha256")
QUOTE_CHECK = "sdkg:QuoteCheck"


@dataclass(frozen=True)
class PassageRecord:
    passage: str
    source: str | None
    exact: str | None
    start: int | None
    end: int | None


PASSAGE_SELECTORS = f"""
    SELECT ?p ?src ?exact ?start ?end WHERE {{
      ?p a <{SDKG}Passage> .
      OPTIONAL {{ ?p <{OA}hasSource> ?src }}
      OPTIONAL {{ ?p <{OA}hasSelector> ?q . ?q <{OA}exact> ?exact }}
      OPTIONAL {{ ?p <{OA}hasSelector> ?s . ?s <{OA}start> ?start ; <{OA}end> ?end }}
    }}"""
"""Every passage with its source and selectors, one row per combination (missing ones unbound)."""

QUOTES_OF_SOURCE = f"""
    SELECT ?p ?src ?exact ?start ?end WHERE {{
      ?p <{OA}hasSource> ?src ;
         a <{SDKG}Passage> ;
         <{OA}hasSelector> ?q, ?s .
      ?q <{OA}exact> ?exact .
      ?s <{OA}start> ?start ;
         <{OA}end> ?end .
    }}"""
"""The passages of one source (``?src`` bound) that have a quote and both offsets: those the check reads.

Required joins, not OPTIONALs: Oxigraph evaluates an OPTIONAL of several patterns by hashing
every selector of the store first, which, once per source, would make the check quadratic."""

UNNAMED_SOURCES = f"""
    SELECT DISTINCT ?p ?src WHERE {{
      ?p a <{SDKG}Passage> ; <{OA}hasSource> ?src .
      FILTER NOT EXISTS {{ ?src <{SDKG}sourceFileName> ?name }}
    }}"""
"""Passages and their sources that name no text file (their quotes cannot be checked)."""


def record_of(row: ox.QuerySolution) -> PassageRecord:
    return PassageRecord(
        passage=text_of(row["p"]),
        source=text_of(row["src"]) if row["src"] else None,
        exact=text_of(row["exact"]) if row["exact"] else None,
        start=int(text_of(row["start"])) if row["start"] else None,
        end=int(text_of(row["end"])) if row["end"] else None,
    )


def passages_of(store: ox.Store) -> list[PassageRecord]:
    """Read passages from the store: source, exact, start, end (through the selectors)."""
    solutions = store.query(PASSAGE_SELECTORS, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    return [record_of(row) for row in solutions]


def quotes_of_source(store: ox.Store, source: str) -> Iterator[PassageRecord]:
    """The passages of ``source`` with a quote and offsets, streamed."""
    bound = QUOTES_OF_SOURCE.replace("WHERE {", f"WHERE {{ VALUES ?src {{ <{source}> }}", 1)
    solutions = store.query(bound, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        yield record_of(row)


def unnamed_passages(store: ox.Store) -> list[PassageRecord]:
    """The rows of :data:`PASSAGE_SELECTORS` for passages whose source names no text file (usually none)."""
    solutions = store.query(UNNAMED_SOURCES, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    unnamed = {(text_of(row["p"]), text_of(row["src"])) for row in solutions}
    if not unnamed:
        return []
    values = " ".join(f"<{p}>" for p in sorted({p for p, _ in unnamed}))
    bound = PASSAGE_SELECTORS.replace("WHERE {", f"WHERE {{ VALUES ?p {{ {values} }}", 1)
    rows = store.query(bound, use_default_graph_as_union=True)
    assert isinstance(rows, ox.QuerySolutions)
    return [record for record in (record_of(row) for row in rows) if (record.passage, record.source) in unnamed]


def text_of(term: object) -> str:
    """The IRI or lexical form of a term (quoted triples do not occur here)."""
    return str(getattr(term, "value", term))


def source_files(store: ox.Store) -> dict[str, tuple[str, str | None]]:
    """Map each source IRI to its file name and recorded SHA-256."""
    names = {text_of(q.subject): text_of(q.object) for q in store.quads_for_pattern(None, SOURCE_FILE_NAME, None)}
    hashes = {text_of(q.subject): text_of(q.object) for q in store.quads_for_pattern(None, TEXT_SHA256, None)}
    return {iri: (name, hashes.get(iri)) for iri, name in names.items()}


def check_quotes(root: Path, project: LoadedProject, locator: Locator) -> list[Result]:
    """A violation per passage that is not verbatim at its offsets; a warning per missing text.

    Offsets that are wrong on their face (start not before end, end - start not the quote's
    length, end beyond the recorded text length) are left to the shapes, which report them
    without needing the text. The check goes source by source: one text in memory at a time,
    its passages streamed from the store (a corpus of a million claims has a thousand texts).
    """
    results: list[Result] = []
    store = project.store

    def result(severity: str, node: str, message: str, value: str | None = None) -> Result:
        file, line = locator.locate(node, OA + "hasSelector" if value is not None else None)
        path = "oa:hasSelector/oa:exact" if value is not None else None
        return Result(
            severity,
            node,
            locator.label_of(node),
            path,
            value,
            message,
            QUOTE_CHECK,
            QUOTE_CHECK,
            file,
            line,
            QUOTE_CHECK,
        )

    for source, (name, digest) in source_files(store).items():
        path = find_source_text(root, name)
        if path is None:
            results.append(
                result("Warning", source, f"source text {name} not found; set SDKG_SOURCES to check its quotes")
            )
            continue
        text = read_normalised(path)
        if digest and sha256_of(text) != digest:
            message = (
                f"{path.name} does not match the recorded SHA-256 of the normalised text (another version of the text?)"
            )
            results.append(result("Violation", source, message))
            continue
        for record in quotes_of_source(store, source):
            assert record.exact is not None and record.start is not None and record.end is not None
            if record.start >= record.end or record.end - record.start != len(record.exact) or record.end > len(text):
                continue
            problem = quote_problem(text, record.exact, record.start, record.end)
            if problem:
                results.append(
                    result(
                        "Violation",
                        record.passage,
                        f"The quote is not verbatim in the source text at its offsets: {problem}.",
                        record.exact[:80],
                    )
                )
    for record in unnamed_passages(store):
        unnamed = f"the passage's source <{record.source}> names no text file (sdkg:sourceFileName)"
        results.append(result("Violation", record.passage, unnamed + ", so the quote cannot be checked"))
    return results
