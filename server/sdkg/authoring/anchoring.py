"""Locate quotes in a normalised source text: exactly and uniquely, or say precisely why not.

"No quote, no claim": every passage of the graph is located here, in the one normalisation
of :mod:`sdkg.passages`. A quote that occurs once is anchored (offsets, and 32 characters of
context each side, as :func:`sdkg.passages.anchor` computes them). A quote that occurs more
than once is never guessed: the problem shows each place and asks for more words, or for
``before:``/``after:`` context. A quote that does not occur shows the closest passage of the
text and the first character where the two differ, since that is nearly always a typo, a
hyphenation or a changed word the scholar can fix in seconds.

Speed matters (a 300k-character text with a thousand quotes anchors in well under a
second): each quote costs one or two ``str.find`` scans; the slower search for the closest
passage runs only for quotes that are not found.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..passages import CONTEXT_LENGTH, Anchor, normalise, sha256_of

EXCERPT = 40
"""Characters of context shown each side of a place in a message."""

SHOWN_PLACES = 5
"""At most this many places of an ambiguous quote are listed."""


@dataclass(frozen=True)
class Quote:
    """A quote as written, with optional context that must stand right before or after it."""

    text: str
    before: str | None = None
    after: str | None = None


class QuoteProblem(ValueError):
    """A quote cannot be anchored; the message says where it was looked for and what to do.

    ``kind`` is ``empty``, ``missing`` (not in the text), ``ambiguous`` (more than one place)
    or ``context`` (its ``before``/``after`` words never stand next to it).
    """

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


class SourceText:
    """One source text, normalised once, with what anchoring and its messages need."""

    def __init__(self, name: str, original: str):
        self.name = name
        self.original = original
        self.text = normalise(original)
        self._lines: list[tuple[int, int]] | None = None

    @classmethod
    def read(cls, path: Path) -> SourceText:
        return cls(path.name, path.read_text(encoding="utf-8"))

    @property
    def sha256(self) -> str:
        return sha256_of(self.text)

    def anchor(self, quote: Quote) -> Anchor:
        """Anchor ``quote`` exactly and uniquely, or raise :class:`QuoteProblem`."""
        exact = normalise(quote.text)
        if not exact:
            raise QuoteProblem("the quote is empty: write the exact words of the passage", "empty")
        first = self.text.find(exact)
        if first < 0:
            raise QuoteProblem(self.not_found(exact), "missing")
        if quote.before is None and quote.after is None:
            if self.text.find(exact, first + 1) < 0:
                return self.anchor_at(first, exact)
            raise QuoteProblem(self.ambiguous(exact, self.occurrences(exact, first)), "ambiguous")
        starts = self.occurrences(exact, first)
        fitting = [s for s in starts if self.fits(s, exact, quote)]
        if len(fitting) == 1:
            return self.anchor_at(fitting[0], exact)
        if not fitting:
            raise QuoteProblem(self.context_mismatch(exact, starts, quote), "context")
        raise QuoteProblem(self.ambiguous(exact, fitting, with_context=True), "ambiguous")

    def anchor_at(self, start: int, exact: str) -> Anchor:
        end = start + len(exact)
        return Anchor(
            exact=exact,
            start=start,
            end=end,
            prefix=self.text[max(0, start - CONTEXT_LENGTH) : start],
            suffix=self.text[end : end + CONTEXT_LENGTH],
        )

    def occurrences(self, exact: str, first: int | None = None) -> list[int]:
        starts = []
        position = self.text.find(exact) if first is None else first
        while position >= 0:
            starts.append(position)
            position = self.text.find(exact, position + 1)
        return starts

    def fits(self, start: int, exact: str, quote: Quote) -> bool:
        """Whether the ``before``/``after`` context stands next to the occurrence at ``start``."""
        if quote.before is not None:
            before = normalise(quote.before)
            preceding = self.text[:start]
            if not (preceding.endswith(before) or preceding.rstrip(" ").endswith(before)):
                return False
        if quote.after is not None:
            after = normalise(quote.after)
            following = self.text[start + len(exact) :]
            if not (following.startswith(after) or following.lstrip(" ").startswith(after)):
                return False
        return True

    # ------------------------------------------------------------------ messages

    def place(self, start: int, length: int) -> str:
        """``line 12 of x.txt, characters 340-380: '...before [quote] after...'``."""
        end = start + length
        shown = self.text[start:end]
        if len(shown) > 80:
            shown = shown[:38] + " ... " + shown[-38:]
        before = self.text[max(0, start - EXCERPT) : start]
        after = self.text[end : end + EXCERPT]
        return f"line {self.line_at(start)} of {self.name}, characters {start}-{end}: '...{before}[{shown}]{after}...'"

    def ambiguous(self, exact: str, starts: list[int], with_context: bool = False) -> str:
        places = "\n    ".join(self.place(s, len(exact)) for s in starts[:SHOWN_PLACES])
        more = f"\n    (and {len(starts) - SHOWN_PLACES} more)" if len(starts) > SHOWN_PLACES else ""
        still = " even with its before/after context" if with_context else ""
        return (
            f"the quote occurs {len(starts)} times in {self.name}{still}, so it cannot be anchored:\n"
            f"    {places}{more}\n"
            "  Make it unique: quote a few more words, or write the quote as a mapping with"
            " `text:` and `before:` (the words just before it) or `after:` (the words just after it)."
        )

    def context_mismatch(self, exact: str, starts: list[int], quote: Quote) -> str:
        context = " and ".join(
            f"{name} {normalise(value)!r}"
            for name, value in (("before", quote.before), ("after", quote.after))
            if value
        )
        places = "\n    ".join(self.place(s, len(exact)) for s in starts[:SHOWN_PLACES])
        return (
            f"the quote occurs {len(starts)} time(s) in {self.name} but never with {context} next to it:\n"
            f"    {places}\n"
            "  Copy the context words exactly from the text (they must touch the quote), or remove them."
        )

    def not_found(self, exact: str) -> str:
        shown = exact if len(exact) <= 120 else exact[:117] + "..."
        found = self.closest(exact)
        if found is None:
            return (
                f"the quote {shown!r} is not in {self.name}, and no passage of it comes close."
                " Is the quote from another text? Copy the words exactly from the text."
            )
        start, index = found
        length = min(len(exact), len(self.text) - start)
        at = self.text_index(start, exact, index)
        lead = min(15, index, at)
        quote_has = exact[index - lead : index + 15]
        text_has = self.text[at - lead : at + 15]
        return (
            f"the quote is not in {self.name} (quote marks and spaces are normalised before comparing)."
            f"\n  Closest passage: {self.place(start, length)}"
            f"\n  First difference at character {index + 1} of the quote: the quote has {quote_has!r},"
            f" the text has {text_has!r}."
            "\n  Copy the words exactly from the text."
        )

    def closest(self, exact: str) -> tuple[int, int] | None:
        """Where the text comes closest to ``exact``: (start of that passage, first differing index in the quote).

        A region of the text is found by the longest prefix of the quote that occurs, else the
        longest suffix, else a vote of the quote's word trigrams; ``None`` when nothing of twelve
        characters or more matches. The quote is then aligned with the region character by
        character (``difflib``), so an inserted or dropped letter is found where it is.
        """
        text = self.text
        needed = min(12, len(exact))
        prefix = longest(lambda n: exact[:n] in text, len(exact))
        suffix = longest(lambda n: exact[len(exact) - n :] in text, len(exact))
        if prefix >= needed and prefix >= suffix:
            return text.find(exact[:prefix]), prefix
        if suffix >= needed:
            return self.aligned(text.find(exact[len(exact) - suffix :]) + suffix - len(exact), exact)
        votes: Counter[int] = Counter()
        tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", exact)]
        for i in range(len(tokens) - 2):
            offset = tokens[i][0]
            gram = exact[offset : tokens[i + 2][0] + len(tokens[i + 2][1])]
            if len(gram) < needed:
                continue
            position = text.find(gram)
            if position >= 0:
                votes[position - offset] += 1
        if not votes:
            return None
        return self.aligned(votes.most_common(1)[0][0], exact)

    def aligned(self, estimate: int, exact: str) -> tuple[int, int]:
        """Align ``exact`` with the text near ``estimate``: (passage start, first differing index in the quote)."""
        slack = 20
        region_start = max(0, estimate - slack)
        region = self.text[region_start : max(0, estimate) + len(exact) + slack]
        matcher = difflib.SequenceMatcher(None, exact, region, autojunk=False)
        block = max(matcher.get_matching_blocks(), key=lambda b: b.size)
        start = max(0, region_start + block.b - block.a if block.size else estimate)
        region = self.text[start : start + len(exact) + slack]
        opcodes = difflib.SequenceMatcher(None, exact, region, autojunk=False).get_opcodes()
        for tag, i1, _i2, _j1, _j2 in opcodes:
            leading = tag == "insert" and i1 == 0
            trailing = tag == "insert" and i1 == len(exact)
            if tag != "equal" and not leading and not trailing:
                return start, i1
        return start, len(exact)

    def text_index(self, start: int, exact: str, index: int) -> int:
        """Where in the text the quote's character ``index`` would be, after the equal run before it."""
        region = self.text[start : start + len(exact) + 20]
        matcher = difflib.SequenceMatcher(None, exact, region, autojunk=False)
        for tag, i1, i2, j1, _j2 in matcher.get_opcodes():
            if tag == "equal" and i1 <= index <= i2:
                return start + j1 + (index - i1)
        return start + index

    def line_at(self, offset: int) -> int:
        """The 1-based line of the original file that holds normalised character ``offset``."""
        if self._lines is None:
            self._lines = self.line_table()
        line = 1
        for start, number in self._lines:
            if start > offset:
                break
            line = number
        return line

    def line_table(self) -> list[tuple[int, int]]:
        """(normalised offset, original line) at each token: the normalisation, replayed with line counts."""
        folded = unicodedata.normalize("NFC", self.original)  # quote marks map one to one: offsets unchanged
        table: list[tuple[int, int]] = []
        offset, line, started = 0, 1, False
        for match in re.finditer(r"\s+|\S+", folded):
            token = match.group()
            if token[0].isspace():
                if started:
                    offset += 1
                line += token.count("\n")
                continue
            started = True
            table.append((offset, line))
            offset += len(token)
        return table


def longest(occurs: Callable[[int], bool], limit: int) -> int:
    """The largest ``n <= limit`` with ``occurs(n)`` true, for a predicate that holds for every smaller n."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if occurs(middle):
            low = middle
        else:
            high = middle - 1
    return low
