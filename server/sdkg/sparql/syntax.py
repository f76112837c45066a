"""A syntax error in query text, said so that a person can fix it: the line, a caret under the column, a hint.

pyoxigraph reports ``error at LINE:COLUMN: expected one of …`` and, for an undeclared prefix,
a list of Unicode ranges. :func:`explain` turns that into::

    line 1, column 21: prefix 'rdfs:' is not declared
      SELECT * WHERE { ?s rdfs:label ?o }
                          ^
    hint: add  PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>  before SELECT

Undeclared prefixes are found with the one tokeniser (:mod:`.tokens`), not guessed from the
parser's column, which points past the name (or, after a valid prefix, somewhere else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..namespaces import PREFIXES
from .tokens import FORMS as QUERY_FORMS
from .tokens import Token, code, prologue

_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
_CHARACTER_CLASS = re.compile(r"\[[^\[\]]*(?:\.\.=|\\u\{)[^\[\]]*\]")
_PREFIXED_NAME = re.compile(r"(?<![\w?$:/#<])([A-Za-z][\w.-]*)?:(?=[\w%\\]|$|[\s;,.)}])")


@dataclass(frozen=True)
class SyntaxReport:
    """Where the text goes wrong and what to do about it."""

    line: int
    column: int
    problem: str
    source_line: str
    hint: str | None = None

    def text(self) -> str:
        caret = " " * (max(self.column, 1) - 1) + "^"
        lines = [f"line {self.line}, column {self.column}: {self.problem}", "  " + self.source_line, "  " + caret]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def explain(query: str, message: str) -> SyntaxReport:
    """The report for pyoxigraph's ``message`` about ``query``."""
    undeclared = undeclared_prefix(query)
    if undeclared is not None:
        name, offset = undeclared
        line, column = position_of(query, offset)
        known = PREFIXES.get(name)
        declaration = f"PREFIX {name}: <{known}>" if known else f"PREFIX {name}: <the namespace IRI>"
        keyword = query_keyword(query)
        where = f" before {keyword}" if keyword else " at the top"
        return SyntaxReport(
            line,
            column,
            f"prefix '{name}:' is not declared",
            source_line(query, line),
            f"add  {declaration}  {where.strip()}" + ("" if known else " (this server knows no such prefix)"),
        )
    first = first_token(query)
    if first is not None and first.text.upper() not in QUERY_FORMS:
        line, column = position_of(query, first.start)
        return SyntaxReport(
            line,
            column,
            f"{first.text!r} does not start a query",
            source_line(query, line),
            "a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after its PREFIX lines)",
        )
    match = _POSITION.match(message.strip())
    if match is None:
        return SyntaxReport(1, 1, message.strip() or "not SPARQL", source_line(query, 1))
    line, column = int(match.group(1)), int(match.group(2))
    expected = readable_expectation(match.group(3))
    return SyntaxReport(line, column, expected, source_line(query, line), hint_for(query, expected))


def undeclared_prefix(query: str) -> tuple[str, int] | None:
    """The first prefixed name whose prefix the prologue does not declare: (prefix, offset)."""
    declared, body = prologue(query)
    gaps = _code_gaps(query, body)
    for start, end in gaps:
        for match in _PREFIXED_NAME.finditer(query, start, end):
            name = match.group(1) or ""
            if name not in declared and not name.lower().startswith(("http", "urn", "mailto")):
                return name, match.start()
    return None


def _code_gaps(query: str, start: int) -> list[tuple[int, int]]:
    """Spans of ``query`` after ``start`` outside comments, strings, IRIs and variables."""
    gaps = []
    position = start
    for token in code(query, start):
        if token.kind in ("string", "iri", "var", "escape"):
            gaps.append((position, token.start))
            position = token.end
    gaps.append((position, len(query)))
    # comments are dropped by ``code``: cut them out of the gaps as well
    cleaned = []
    for gap_start, gap_end in gaps:
        segment = query[gap_start:gap_end]
        offset = gap_start
        for piece in re.split(r"(#[^\n\r]*)", segment):
            if piece and not piece.startswith("#"):
                cleaned.append((offset, offset + len(piece)))
            offset += len(piece)
    return cleaned


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def source_line(text: str, line: int) -> str:
    lines = text.splitlines() or [""]
    return lines[min(max(line, 1), len(lines)) - 1].replace("\t", " ")


def first_token(query: str) -> Token | None:
    """The first token after the prologue."""
    _, offset = prologue(query)
    return next(code(query, offset), None)


def query_keyword(query: str) -> str | None:
    first = first_token(query)
    return first.text.upper() if first is not None and first.kind == "word" else None


def readable_expectation(expected: str) -> str:
    """pyoxigraph's list of what it expected, without the Unicode ranges of name characters."""
    text = " ".join(expected.split())
    text = _CHARACTER_CLASS.sub("a name character", text)
    parts = [p.strip() for p in text.removeprefix("expected one of").removeprefix("expected").split(", ")]
    kept: list[str] = []
    for part in parts:
        if part and part not in kept and part != "[_]":
            kept.append(part)
    if len(kept) > 8:
        kept = kept[:8] + ["…"]
    return "expected " + (kept[0] if len(kept) == 1 else "one of " + ", ".join(kept)) if kept else "unexpected text"


def hint_for(query: str, problem: str) -> str | None:
    """A likely cause, from the shape of the text."""
    opened = sum(1 for t in code(query) if t.kind == "brace" and t.text == "{")
    closed = sum(1 for t in code(query) if t.kind == "brace" and t.text == "}")
    if opened > closed:
        return f"{opened - closed} '{{' not closed: add '}}' at the end of the group"
    if closed > opened:
        return f"{closed - opened} '}}' more than '{{'"
    if any(t.kind == "stray" for t in code(query)):
        return "a quotation mark opens a string that is not closed on the same line"
    return None
