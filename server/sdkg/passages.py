"""Source-text normalisation and quote checks.

Passages are anchored in a *normalised* copy of each source text, so that an
editor can copy a quote from any rendering of the text (PDF, HTML, plain text)
and the offsets stay stable. The normalisation is one fixed function:

1. Unicode NFC.
2. Every quotation mark, single or double, straight or curly, including the
   low-9 and high-reversed-9 marks that the seed texts use as mis-encoded
   single quotes (U+201E, U+201F), becomes the ASCII apostrophe ``'``.
3. Every run of white space (including no-break spaces and line breaks)
   becomes one space; leading and trailing white space is removed.

Offsets (``oa:start``/``oa:end``) count Unicode code points (Python ``str``
indices) in the normalised text; ``oa:end`` is exclusive.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

QUOTE_CHARACTERS = (
    "\"'`\u00b4\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u2035\u2036\u00ab\u00bb\u2039\u203a"
)
_QUOTE_TABLE = str.maketrans({ch: "'" for ch in QUOTE_CHARACTERS})
_WHITESPACE = re.compile(r"\s+", re.UNICODE)

CONTEXT_LENGTH = 32
"""Characters kept on each side of a quote as ``oa:prefix``/``oa:suffix``."""


def normalise(text: str) -> str:
    """Apply the one documented normalisation (see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").translate(_QUOTE_TABLE)
    return _WHITESPACE.sub(" ", text).strip()


def sha256_of(normalised_text: str) -> str:
    """Fingerprint a normalised text, so a record can name its text without copying it."""
    return hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in a normalised text: a TextQuote plus a TextPosition selector."""

    exact: str
    start: int
    end: int
    prefix: str
    suffix: str


class QuoteNotFound(ValueError):
    """The quote does not occur (once) in the normalised text."""


def anchor(text: str, exact: str, occurrence: int = 1) -> Anchor:
    """Anchor ``exact`` in the normalised ``text``.

    ``exact`` is normalised first. A quote that occurs more than once must be
    disambiguated with ``occurrence`` (1-based), so that an anchor is never a
    silent guess.
    """
    quote = normalise(exact)
    if not quote:
        raise QuoteNotFound("empty quote")
    starts = [m.start() for m in re.finditer(re.escape(quote), text)]
    if not starts:
        raise QuoteNotFound(f"not in the source text: {quote[:80]!r}")
    if occurrence > len(starts):
        raise QuoteNotFound(f"occurs {len(starts)} times, not {occurrence}: {quote[:80]!r}")
    start = starts[occurrence - 1]
    end = start + len(quote)
    return Anchor(
        exact=quote,
        start=start,
        end=end,
        prefix=text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=text[end : end + CONTEXT_LENGTH],
    )


def quote_problem(text: str, exact: str, start: int, end: int) -> str | None:
    """Say what is wrong with a passage's selectors, or ``None`` when it is verbatim at its offsets."""
    if exact != normalise(exact):
        return "oa:exact is not in normalised form (quotes as ', single spaces)"
    if not 0 <= start < end <= len(text):
        return f"offsets {start}..{end} are outside the text (length {len(text)})"
    if end - start != len(exact):
        return f"end - start = {end - start} but the quote has {len(exact)} characters"
    found = text[start:end]
    if found != exact:
        return f"text at {start}..{end} is {found[:60]!r}, not the quote"
    return None


def source_directories(root: Path) -> list[Path]:
    """Where source texts are looked for: ``$SDKG_SOURCES``, then ``../shared/seeds``."""
    dirs: list[Path] = []
    env = os.environ.get("SDKG_SOURCES")
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    dirs.append(root.resolve().parent / "shared" / "seeds")
    return dirs


def find_source_text(root: Path, file_name: str) -> Path | None:
    """Locate a copyrighted source text outside the repository, or ``None``."""
    for directory in source_directories(root):
        candidate = directory / file_name
        if candidate.is_file():
            return candidate
    return None


def read_normalised(path: Path) -> str:
    return normalise(path.read_text(encoding="utf-8"))
