"""What a person types in a search box, parsed safely into an SQLite FTS5 query.

The syntax is small and forgiving, like a library catalogue's:

- words: ``humanitarian intervention`` finds documents with both words; every word of three or
  more letters also matches longer words that start with it (``libya`` finds "Libyan");
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
import unicodedata
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
            return quoted + " *"
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


_TOKEN = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ies", "es", "ed", "ly", "s")


def fold(text: str) -> str:
    """Case and diacritics folded, as the index's tokenizer folds them (``unicode61 remove_diacritics 2``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light English suffix strip, to mark the forms the index's Porter stemmer matched (display only)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class Marker:
    """Marks the words of a text that a search matched, for display: what FTS5's ``highlight()`` and
    ``snippet()`` would show, computed only for the documents shown (not for every match)."""

    def __init__(self, search: Search, open_mark: str, close_mark: str):
        self.open, self.close = open_mark, close_mark
        self.rules: list[tuple[str, bool]] = []
        for group in search.groups:
            for term in group:
                words = [fold(w) for w in _TOKEN.findall(term.text)]
                for index, word in enumerate(words):
                    last = index == len(words) - 1
                    if term.prefix and last:
                        self.rules.append((word, True))
                    elif not term.phrase and len(word) >= PREFIX_FROM:
                        self.rules.append((stem(word), True))  # the index stems the word, then takes it as a prefix
                    else:
                        self.rules.append((stem(word), False))

    def matches(self, token: str) -> bool:
        folded = fold(token)
        return any(folded.startswith(word) if prefix else stem(folded) == word for word, prefix in self.rules)

    def mark(self, text: str) -> str:
        """The text with every matching word between the marks."""
        out, at = [], 0
        for found in _TOKEN.finditer(text):
            if self.matches(found.group()):
                out += [text[at : found.start()], self.open, found.group(), self.close]
                at = found.end()
        return "".join(out) + text[at:]

    def count(self, text: str) -> int:
        return sum(1 for found in _TOKEN.finditer(text) if self.matches(found.group()))

    def snippet(self, texts: list[str], size: int = 24) -> str:
        """The window of ``size`` words with the most matches among ``texts``, marked, with ``…`` where cut."""
        best: tuple[int, str, int, int] | None = None
        for text in texts:
            tokens = list(_TOKEN.finditer(text))
            hits = [1 if self.matches(t.group()) else 0 for t in tokens]
            for start in range(max(1, len(tokens) - size + 1)):
                score = sum(hits[start : start + size])
                if score and (best is None or score > best[0]):
                    best = (score, text, start, min(len(tokens), start + size))
        if best is None:
            return ""
        _score, text, start, end = best
        tokens = list(_TOKEN.finditer(text))
        begin = 0 if start == 0 else tokens[start].start()
        finish = len(text) if end >= len(tokens) else tokens[end - 1].end()
        return ("…" if begin else "") + self.mark(text[begin:finish]) + ("…" if finish < len(text) else "")
