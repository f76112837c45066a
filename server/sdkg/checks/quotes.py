"""Check every passage against its source text: verbatim at its offsets.

The texts are copyrighted and not in the repository; each source record names its
file (``sdkg:sourceFileName``) and the SHA-256 of its normalised text, and the
texts are read from ``$SDKG_SOURCES`` or ``../shared/seeds/``.
"""

from __future__ import annotations

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


def passages_of(store: ox.Store) -> list[PassageRecord]:
    """Read passages from the store: source, exact, start, end (through the selectors)."""
    query = f"""
        SELECT ?p ?src ?exact ?start ?end WHERE {{
          ?p a <{SDKG}Passage> .
          OPTIONAL {{ ?p <{OA}hasSource> ?src }}
          OPTIONAL {{ ?p <{OA}hasSelector> ?q . ?q <{OA}exact> ?exact }}
          OPTIONAL {{ ?p <{OA}hasSelector> ?s . ?s <{OA}start> ?start ; <{OA}end> ?end }}
        }}"""
    solutions = store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    records = [
        PassageRecord(
            passage=text_of(row["p"]),
            source=text_of(row["src"]) if row["src"] else None,
            exact=text_of(row["exact"]) if row["exact"] else None,
            start=int(text_of(row["start"])) if row["start"] else None,
            end=int(text_of(row["end"])) if row["end"] else None,
        )
        for row in solutions
    ]
    return records


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
    without needing the text.
    """
    texts: dict[str, str | None] = {}
    results: list[Result] = []
    files = source_files(project.store)

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

    for source, (name, digest) in files.items():
        path = find_source_text(root, name)
        if path is None:
            texts[source] = None
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
            texts[source] = None
            continue
        texts[source] = text
    for record in passages_of(project.store):
        if record.source not in texts:
            if record.source is not None:
                unnamed = f"the passage's source <{record.source}> names no text file (sdkg:sourceFileName)"
                results.append(result("Violation", record.passage, unnamed + ", so the quote cannot be checked"))
            continue
        source_text = texts[record.source]
        if source_text is None or record.exact is None or record.start is None or record.end is None:
            continue
        if (
            record.start >= record.end
            or record.end - record.start != len(record.exact)
            or record.end > len(source_text)
        ):
            continue
        problem = quote_problem(source_text, record.exact, record.start, record.end)
        if problem:
            results.append(
                result(
                    "Violation",
                    record.passage,
                    f"The quote is not verbatim in the source text at its offsets: {problem}.",
                    record.exact[:80],
                )
            )
    return results
