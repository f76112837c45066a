"""What a person types in a search box, parsed safely into an SQLite FTS5 query.

The syntax is small and forgiving, like a library catalogue's:

- words: ``humanitarian intervention`` finds documents with both words; every word also matches
  longer words that start with it (``libya`` finds "Libyan"), exact words ranking higher;
- ``"a phrase"`` (straight or curly quotation marks): the words next to each other, in order;
- ``word*`` or ``"a phr"*``: an explicit prefix (also for short words, which are otherwise exact);
- ``OR`` between two terms: either; ``-word`` or ``NOT word``: leave out documents with it.

Words are stemmed by the index (Porter: "interventions" finds "intervention"). Nothing the user
types reaches FTS5 as syntax: every term is written as an FTS5 string (``"..."`` with ``"``
doubled), so operators, column filters and stray characters cannot change the query. What cannot
be parsed (an unclosed quotation mark, only exclusions, no word at all) raises
:class:`SearchSyntaxError` with a message that says what and where, for a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 500
"""Characters a search may have."""
MAX_TERMS = 32
"""Terms a search may have (words and phrases)."""
PREFIX_FROM = 3
"""Bare words of at least this many characters also match as prefixes."""

QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201d", "\u00ab": "\u00bb"}
"""Opening quotation marks and the mark that closes each (a straight one closes any)."""
_WORD = re.compile(r"\w", re.UNICODE)
_BETWEEN_WORDS = re.compile(r"[^\w'\u2019-]+", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SearchSyntaxError(ValueError):
    """A search that cannot be run; ``str()`` says what is wrong and where, in words for the person who typed it."""


@dataclass(frozen=True)
class Term:
    """One word or phrase of a search."""

    text: str
    phrase: bool = False
    prefix: bool = False
    negated: bool = False

    def fts(self, prefix_words: bool) -> str:
        """The term as an FTS5 expression: a quoted string (``"`` doubled), maybe a prefix."""
        quoted = '"' + self.text.replace('"', '""') + '"'
        if self.prefix:
            return quoted + " *"
        if prefix_words and not self.phrase and len(self.text) >= PREFIX_FROM:
            return f"({quoted} OR {quoted} *)"  # the exact word scores twice: it ranks first
        return quoted


@dataclass(frozen=True)
class Search:
    """A parsed search: groups of alternatives (``a OR b``), all required, and terms to leave out."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def fts(self, prefix_words: bool = True) -> str:
        """The FTS5 MATCH expression."""
        required = " AND ".join(
            "(" + " OR ".join(t.fts(prefix_words) for t in group) + ")"
            if len(group) > 1
            else group[0].fts(prefix_words)
            for group in self.groups
        )
        if not self.excluded:
            return required
        left_out = " OR ".join(t.fts(False) for t in self.excluded)
        return f"({required}) NOT ({left_out})"

    @property
    def words(self) -> list[str]:
        """The terms looked for, as typed (for 'results for …')."""
        return [t.text for group in self.groups for t in group]


def tokens(text: str) -> list[tuple[str, bool, bool, int]]:
    """(text, quoted, prefix, position) for each whitespace-separated word or quoted phrase."""
    found: list[tuple[str, bool, bool, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] in QUOTES:
            closing = {QUOTES[text[i]], '"'}
            j = i + 1
            while j < n and text[j] not in closing:
                j += 1
            if j >= n:
                raise SearchSyntaxError(
                    f"the quotation mark at character {i + 1} is not closed: close it, or leave it out"
                )
            inner = text[i + 1 : j]
            j += 1
            prefix = j < n and text[j] == "*"
            if prefix:
                j += 1
            found.append((("-" if negated else "") + inner, True, prefix, start))
            i = j
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in QUOTES:
            j += 1
        word = text[i:j]
        prefix = word.endswith("*")
        found.append((("-" if negated else "") + word.rstrip("*"), False, prefix, start))
        i = j
    return found


def parse(text: str, max_length: int = MAX_LENGTH, max_terms: int = MAX_TERMS) -> Search:
    """Parse a search box's text; raises :class:`SearchSyntaxError` saying what is wrong."""
    if len(text) > max_length:
        raise SearchSyntaxError(f"the search is {len(text)} characters long; at most {max_length} are allowed")
    if _CONTROL.search(text):
        raise SearchSyntaxError("the search contains control characters")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = pending_not = False
    for raw, quoted, prefix, position in tokens(text):
        if not quoted and raw in ("OR", "AND", "NOT"):
            if raw == "OR":
                if not groups or pending_or:
                    raise SearchSyntaxError(f"OR at character {position + 1} needs a word on each side")
                pending_or = True
            pending_not = pending_not or raw == "NOT"
            continue
        negated = raw.startswith("-") or pending_not
        words = raw[1:] if raw.startswith("-") else raw
        # a quoted phrase stays whole; a bare word is split at punctuation (not at - or ', which join words)
        pieces = [words] if quoted else [p for p in _BETWEEN_WORDS.split(words) if p]
        pieces = [p for p in pieces if _WORD.search(p)]  # punctuation alone: nothing to look for
        for index, piece in enumerate(pieces):
            term = Term(" ".join(piece.split()), quoted, prefix and index == len(pieces) - 1, negated)
            if negated:
                excluded.append(term)
            elif pending_or:
                groups[-1].append(term)
                pending_or = False
            else:
                groups.append([term])
        if pieces:
            pending_or = pending_not = False
    if pending_or:
        raise SearchSyntaxError("the search ends with OR: add a word after it")
    if len(excluded) + sum(len(g) for g in groups) > max_terms:
        raise SearchSyntaxError(f"the search has more than {max_terms} words and phrases")
    if not groups:
        if excluded:
            raise SearchSyntaxError("the search only says what to leave out: add a word to look for")
        raise SearchSyntaxError("give at least one word to search for")
    return Search(text, tuple(tuple(g) for g in groups), tuple(excluded))


def prefix_words(text: str, max_length: int = MAX_LENGTH) -> str | None:
    """For type-ahead: every word of ``text`` as a prefix, all required (``None`` when there is no word).

    Quotation marks and operators are ignored: what is typed so far is only the start of a name.
    """
    if len(text) > max_length:
        raise SearchSyntaxError(f"the text is {len(text)} characters long; at most {max_length} are allowed")
    words = [w for w in re.findall(r"\w+", text, re.UNICODE)][:MAX_TERMS]
    if not words:
        return None
    return " AND ".join('"' + w.replace('"', '""') + '" *' for w in words)
