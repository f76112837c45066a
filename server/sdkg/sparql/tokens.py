"""The one tokeniser for SPARQL text: every scan and every edit of query text reads it.

Comments, strings and IRIs come out as single tokens, so a keyword or a brace inside them
never counts; a backslash escape outside a string is a token of its own (``ex:a\\'`` is a
prefixed name, not the start of a string), and a quote that opens no string comes out as
``stray``. Everything else that no rule needs (white space, numbers, punctuation) is
skipped by the scanner, which keeps a scan of a large query cheap.

Users: :mod:`.bindings` (where the ``VALUES`` block goes), :mod:`.guard` (does SERVICE or
LOAD appear), :mod:`.federation` (the SERVICE endpoints), :func:`with_using` (the update
dataset of the protocol), :func:`is_update`, the catalog (prefix declarations) and the
compiled SHACL checks (the WHERE group of a SPARQL constraint).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

_TOKEN = re.compile(
    r"""
      (?P<escape>\\.)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<stray>['"])
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<brace>[{}])
    """,
    re.VERBOSE | re.DOTALL,
)
_STRUCTURE = re.compile(
    _TOKEN.pattern.replace("| (?P<brace>[{}])", r"| (?P<open>[{([]) | (?P<close>[})\]]) | (?P<operand>[0-9.]+)"),
    re.VERBOSE | re.DOTALL,
)
_STRUCTURE_NO_IRI = re.compile(
    _STRUCTURE.pattern.replace('| (?P<iri><[^<>"{}|^`\\\\\\x00-\\x20]*>)', ""), re.VERBOSE | re.DOTALL
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_OPERATIONS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})


class Token(NamedTuple):
    kind: str  # escape, comment, string, stray, iri, var, word or brace
    text: str
    start: int
    end: int


def matches(text: str, start: int = 0) -> Iterator[re.Match[str]]:
    """The tokens as regular-expression matches (``lastgroup`` is the kind): for scans on every request."""
    return _TOKEN.finditer(text, start)


def structure(iris: bool = True) -> re.Pattern[str]:
    """The tokeniser for scans that need the nesting (``open``/``close`` for all three brackets) and the
    operands (numbers, as ``operand``) as well; ``iris=False``: one that never reads ``<…>`` as an IRI,
    so that every ``<`` is punctuation (the reading of ``?a<1`` in an expression)."""
    return _STRUCTURE if iris else _STRUCTURE_NO_IRI


def tokens(text: str, start: int = 0) -> Iterator[Token]:
    """The tokens of ``text`` from offset ``start``, comments included."""
    for match in _TOKEN.finditer(text, start):
        kind = match.lastgroup
        assert kind is not None
        yield Token(kind, match.group(), match.start(), match.end())


def code(text: str, start: int = 0) -> Iterator[Token]:
    """The tokens that mean something to the parser: no comments."""
    return (t for t in tokens(text, start) if t.kind != "comment")


def unescape(text: str) -> str:
    """SPARQL applies ``\\uXXXX`` escapes to the whole text before parsing; a scan that decides must too."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def prologue(text: str) -> tuple[dict[str, str], int]:
    """The ``PREFIX`` declarations at the head of a query or update, and the offset of what follows
    the prologue (its ``PREFIX`` and ``BASE`` declarations)."""
    declared: dict[str, str] = {}
    name_from: int | None = None  # inside ``PREFIX name:``, after the keyword, until the IRI
    in_base = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        if name_from is not None:
            if kind == "iri":
                declared[text[name_from : match.start()].strip().removesuffix(":").strip()] = match.group()[1:-1]
                name_from = None
            continue
        if in_base:
            in_base = kind != "iri"
            continue
        keyword = match.group().upper() if kind == "word" else ""
        if keyword == "PREFIX":
            name_from = match.end()
        elif keyword == "BASE":
            in_base = True
        else:
            return declared, match.start()
    return declared, len(text)


def operation(text: str) -> str | None:
    """The first keyword after the prologue (``SELECT``, ``INSERT``, ...), upper-cased; ``None`` if there is none."""
    _, offset = prologue(text)
    first = next(code(text, offset), None)
    return first.text.upper() if first is not None and first.kind == "word" else None


def mentions(text: str, words: Iterable[str]) -> bool:
    """Whether any of ``words`` (lower-case) appears anywhere in ``text``, in any case: the cheap test before a
    scan, so that a text without them is not tokenised. The text is lowered once (a case-blind regular
    expression took 10-40 µs a query)."""
    lowered = text.lower()
    return any(word in lowered for word in words)


UPDATE_WORDS = tuple(sorted(word.lower() for word in UPDATE_OPERATIONS))
"""A text without any of these words (anywhere, in any case) is no update, and is not tokenised to know."""


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL update (by its first operation keyword), not a query."""
    return mentions(text, UPDATE_WORDS) and operation(text) in UPDATE_OPERATIONS


def where_group(query: str) -> tuple[str | None, int | None]:
    """The query form (SELECT, ASK, CONSTRUCT, DESCRIBE) and the offset just inside its WHERE group.

    The offset is ``None`` when the WHERE group cannot be found, or when it holds only a
    sub-select (where nothing may precede the ``SELECT``).
    """
    form: str | None = None
    skip_template = False
    depth = 0
    opened_at: int | None = None
    _, offset = prologue(query)
    for token in code(query, offset):
        if token.kind == "word" and depth == 0 and form is None and token.text.upper() in FORMS:
            form = token.text.upper()
            skip_template = form == "CONSTRUCT"
        elif token.kind == "word" and form == "CONSTRUCT" and depth == 0 and token.text.upper() == "WHERE":
            skip_template = False  # the short form ``CONSTRUCT WHERE { … }`` has no template
        elif token.kind == "brace" and token.text == "{":
            if depth == 0 and form is not None and not skip_template:
                opened_at = token.end
                break
            depth += 1
        elif token.kind == "brace":
            depth -= 1
            if depth == 0 and skip_template:
                skip_template = False
    if opened_at is None:
        return form, None
    first = next(code(query, opened_at), None)
    if first is not None and first.kind == "word" and first.text.upper() == "SELECT":
        return form, None
    return form, opened_at


def closing_brace(text: str, opened_at: int) -> int | None:
    """The offset of the ``}`` that closes the group opened just before ``opened_at``."""
    depth = 1
    for token in code(text, opened_at):
        if token.kind == "brace":
            depth += 1 if token.text == "{" else -1
            if depth == 0:
                return token.start
    return None
