"""Citations of a claim card: where it stands (source, passage, offsets) as text, and its source as BibTeX and CSL-JSON.

Only what the graph states is written: a source's title, authors, interviewee and interviewers,
periodical, publisher and year when the graph has them, never a made-up date or journal (the
seed texts name neither, and the data says so). The graph does not record the order of a
source's authors; they are listed by surname. Offsets are Unicode code points in the
normalised text (see the README's "Quotes and their anchors"), end exclusive.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..namespaces import ID

BIBTEX_TYPES = {"ScholarlyArticle": "article", "InterviewArticle": "article", "Book": "book", "Report": "techreport"}
CSL_TYPES = {
    "ScholarlyArticle": "article-journal",
    "InterviewArticle": "article",
    "Book": "book",
    "Report": "report",
    "Periodical": "periodical",
}


def slug(iri: str) -> str:
    """The last path segment of an entity IRI (a citation key)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def names(people: list[str]) -> str:
    if len(people) <= 2:
        return " and ".join(people)
    return ", ".join(people[:-1]) + " and " + people[-1]


def passages_text(card: dict[str, Any]) -> str:
    spans = [f"characters {p['start']}–{p['end']}" for p in card.get("passages", []) if p.get("start") is not None]
    return "; ".join(spans)


def locator(card: dict[str, Any]) -> str:
    """Where the claim stands: its passages (IRI and offsets) and the claim's IRI."""
    parts = []
    for p in card.get("passages", []):
        where = f"passage {p['passage']}"
        if p.get("start") is not None:
            where += f", characters {p['start']}–{p['end']} of the normalised text"
        parts.append(where)
    return "; ".join(parts + [f"SDKG claim {card['claim']}"])


def text(card: dict[str, Any], source: dict[str, Any] | None) -> str:
    """A citation to paste: the source, the passage quoted with its offsets, the claim's IRI."""
    bits = []
    if source:
        authors = source.get("authors") or []
        head = f"{names(authors)}, " if authors else ""
        title = f"\u201c{source['title']}\u201d" if source.get("type") != "Book" else source["title"]
        bits.append(head + title)
        if source.get("interviewees"):
            bits[-1] += f" (interview with {names(source['interviewees'])})"
        extra = [x for x in (source.get("periodical"), source.get("publisher"), source.get("year")) if x]
        if extra:
            bits[-1] += ", " + ", ".join(str(x) for x in extra)
    quotes = [p for p in card.get("passages", [])]
    if quotes:
        first = quotes[0]
        quote = f"\u201c{first['exact']}\u201d"
        where = passages_text(card)
        bits.append(f"{quote} ({where} of the normalised text)" if where else quote)
    bits.append(f"SDKG claim \u201c{card.get('label') or slug(card['claim'])}\u201d, {card['claim']}")
    return ". ".join(bits) + "."


_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")


def bibtex_value(value: str) -> str:
    """A value safe inside BibTeX braces: the special characters escaped."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(1)
        return {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}.get(char, "\\" + char)

    return _BIBTEX_SPECIAL.sub(escape, value)


def bibtex(card: dict[str, Any], source: dict[str, Any]) -> str:
    """The card's source as a BibTeX entry; the passage and the claim go in ``note``."""
    kind = BIBTEX_TYPES.get(source.get("type", ""), "misc")
    fields: list[tuple[str, str]] = [("title", source["title"])]
    if source.get("authors"):
        fields.append(("author", " and ".join(source["authors"])))
    if source.get("periodical"):
        fields.append(("journal", source["periodical"]))
    if source.get("publisher"):
        fields.append(("publisher" if kind != "techreport" else "institution", source["publisher"]))
    if source.get("year"):
        fields.append(("year", str(source["year"])))
    note = locator(card)
    if source.get("interviewees"):
        note = f"Interview with {names(source['interviewees'])}. " + note
    fields.append(("note", note))
    fields.append(("url", source["iri"]))
    body = ",\n".join(f"  {name} = {{{bibtex_value(value)}}}" for name, value in fields)
    return f"@{kind}{{{slug(source['iri'])},\n{body}\n}}\n"


def csl(card: dict[str, Any], source: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's source as CSL-JSON (one item), names as literals (the graph has no given/family split)."""
    item: dict[str, Any] = {
        "id": slug(source["iri"]),
        "type": CSL_TYPES.get(source.get("type", ""), "document"),
        "title": source["title"],
        "URL": source["iri"],
    }
    if source.get("authors"):
        item["author"] = [{"literal": name} for name in source["authors"]]
    if source.get("interviewers"):
        item["interviewer"] = [{"literal": name} for name in source["interviewers"]]
    if source.get("periodical"):
        item["container-title"] = source["periodical"]
    if source.get("publisher"):
        item["publisher"] = source["publisher"]
    if source.get("year"):
        item["issued"] = (
            {"date-parts": [[int(source["year"])]]} if str(source["year"]).isdigit() else {"raw": source["year"]}
        )
    note = locator(card)
    if source.get("interviewees"):
        note = f"Interview with {names(source['interviewees'])}. " + note
    item["note"] = note
    return [item]


def csl_json(card: dict[str, Any], source: dict[str, Any]) -> str:
    return json.dumps(csl(card, source), ensure_ascii=False, indent=2) + "\n"


def ascription_path(iri: str) -> str | None:
    """``…/id/ascription/x`` → ``ascription/x`` (the card's citation URL ends so)."""
    return iri[len(ID) :] if iri.startswith(ID + "ascription/") else None
