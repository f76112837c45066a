"""Import web annotations (Hypothesis, or any W3C Web Annotation JSON-LD) as draft claims.

Scholars already highlight texts in Hypothesis, Recogito or INCEpTION; their exports carry
the quote of each highlight (a W3C ``TextQuoteSelector``), the note and the tags. This module
turns each highlight into a draft claim in the authoring format, to be reviewed and moved into
the text's authoring file. What it never does is guess: a highlight's quote becomes the
claim's ``quote:`` only when it occurs exactly once in the normalised text, or when the
highlight's own prefix and suffix pick one of several places. Anything else (a quote the text
does not contain, because the annotated page rendered it differently; a quote that stays
ambiguous) is written as ``unconfirmed quote:``, which ``sdkg anchor`` refuses until a person
has checked it, under a comment that says where the closest passage is and how it differs.

Read: Hypothesis's client export (``{"export_date", "annotations": [...]}``), its API search
results (``{"total", "rows": [...]}``), a single annotation or a list; W3C annotations as
compacted JSON-LD (``type: Annotation``, ``body``, ``target.selector``), alone, in a list, or in
an ``AnnotationCollection``/``AnnotationPage``. Tags become discourses, cases, concepts,
mentioned actors, a holder or a stance through a small YAML mapping file, when one is given.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..authoring.anchoring import Quote, QuoteProblem, SourceText
from ..authoring.emit import Commented, dump
from ..authoring.names import SHORT_NAME
from ..authoring.yamltree import Map, Scalar, Seq, YamlError, read_tree
from ..passages import normalise
from .sources import slug

MAPPED_FIELDS = ("expresses", "criticises", "cases", "concepts", "mentions", "holder", "stance")
"""Claim fields a tag can be mapped to (the mapping file's sections)."""

MAX_BYTES = 50_000_000
"""An export larger than this is refused rather than read into memory."""


class ImportProblem(ValueError):
    """The export or the mapping cannot be used; nothing is written."""


@dataclass
class WebAnnotation:
    """What a draft claim needs from one annotation, whatever tool wrote it."""

    id: str
    uri: str | None = None
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    text: str = ""
    tags: list[str] = field(default_factory=list)
    user: str | None = None
    created: str | None = None
    reply: bool = False


@dataclass
class Outcome:
    """How one annotation was anchored: ``exact``, ``context`` (exact, one place picked by its context),
    ``unconfirmed`` (not found exactly, or still ambiguous) or ``skipped`` (no quote, or a reply)."""

    annotation: WebAnnotation
    status: str
    detail: str = ""
    before: str | None = None


@dataclass
class ImportResult:
    drafts: str
    outcomes: list[Outcome]

    def report(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        lines = [
            "annotations: "
            + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("exact", "context", "unconfirmed", "skipped"))
        ]
        lines += [
            f"  {o.annotation.id}: {o.status}: {o.detail}"
            for o in self.outcomes
            if o.status in ("unconfirmed", "skipped")
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------------- reading exports


def read_export(path: Path) -> list[WebAnnotation]:
    """Every annotation in a Hypothesis or W3C export file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ImportProblem(f"{path} is larger than {MAX_BYTES // 1_000_000} MB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ImportProblem(f"{path}:{error.lineno}: not JSON: {error.msg}") from None
    found = [annotation(item, index) for index, item in enumerate(items_of(data))]
    if not found:
        raise ImportProblem(f"{path}: no annotations found (expected a Hypothesis export or W3C annotations)")
    return found


def items_of(data: object) -> list[dict[str, object]]:
    """The annotation objects of any of the accepted containers."""
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    if not isinstance(data, dict):
        return []
    for key in ("annotations", "rows", "items"):
        if isinstance(data.get(key), list):
            return items_of(data[key])
    first = data.get("first")
    if isinstance(first, dict):
        return items_of(first)
    if "target" in data:
        return [data]
    return []


def annotation(item: dict[str, object], index: int) -> WebAnnotation:
    ident = str(item.get("id") or item.get("@id") or f"#{index + 1}")
    found = WebAnnotation(ident)
    info = item.get("user_info")
    shown_name = text_value(info.get("display_name")) if isinstance(info, dict) else None
    found.user = shown_name or text_value(item.get("user")) or creator(item.get("creator"))
    found.created = text_value(item.get("created"))
    found.reply = bool(item.get("references"))
    found.uri = text_value(item.get("uri"))
    if isinstance(item.get("text"), str):
        found.text = str(item["text"])
    tags = item.get("tags")
    if isinstance(tags, list):
        found.tags = [str(t) for t in tags if isinstance(t, str)]
    for body in as_list(item.get("body")):
        if isinstance(body, str):
            found.text = found.text or body
        elif isinstance(body, dict):
            value = text_value(body.get("value"))
            if value is None:
                continue
            if body.get("purpose") == "tagging":
                found.tags.append(value)
            elif not found.text:
                found.text = value
    for target in as_list(item.get("target")):
        if isinstance(target, str):
            found.uri = found.uri or target
            continue
        if not isinstance(target, dict):
            continue
        found.uri = found.uri or text_value(target.get("source")) or text_value(target.get("id"))
        for selector in selectors(target.get("selector")):
            kind = selector.get("type")
            if kind == "TextQuoteSelector" and found.exact is None:
                found.exact = text_value(selector.get("exact"))
                found.prefix = text_value(selector.get("prefix"))
                found.suffix = text_value(selector.get("suffix"))
    return found


def selectors(value: object) -> list[dict[str, object]]:
    """Selectors, including those a selector is ``refinedBy`` (W3C) or that a RangeSelector wraps."""
    found: list[dict[str, object]] = []
    for selector in as_list(value):
        if isinstance(selector, dict):
            found.append(selector)
            found.extend(selectors(selector.get("refinedBy")))
    return found


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def text_value(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return None


def creator(value: object) -> str | None:
    if isinstance(value, dict):
        return text_value(value.get("name")) or text_value(value.get("nickname")) or text_value(value.get("id"))
    return text_value(value)


# ---------------------------------------------------------------------- tag mapping


def read_mapping(path: Path) -> dict[str, dict[str, list[str]]]:
    """``field -> tag (folded) -> values`` from a YAML file whose sections are claim fields."""
    try:
        tree = read_tree(path.read_text(encoding="utf-8"))
    except YamlError as error:
        raise ImportProblem(f"{path}:{error.line}: {error.message}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(f"cannot read {path}: {error}") from None
    mapping: dict[str, dict[str, list[str]]] = {}
    if tree is None:
        return mapping
    if not isinstance(tree, Map):
        raise ImportProblem(f"{path}:1: a mapping file has sections {', '.join(MAPPED_FIELDS)}, each `tag: value`")
    for key, node in tree.entries:
        if key.text not in MAPPED_FIELDS:
            raise ImportProblem(f"{path}:{key.line}: unknown section {key.text!r}; use {', '.join(MAPPED_FIELDS)}")
        if not isinstance(node, Map):
            raise ImportProblem(f"{path}:{node.line}: under `{key.text}:` write `tag: value` lines")
        section = mapping.setdefault(key.text, {})
        for tag, value in node.entries:
            values = [value.text] if isinstance(value, Scalar) else []
            if isinstance(value, Seq):
                values = [v.text for v in value.items if isinstance(v, Scalar)]
            if not values:
                raise ImportProblem(f"{path}:{tag.line}: the tag {tag.text!r} needs a value")
            section[fold(tag.text)] = values
    return mapping


def fold(tag: str) -> str:
    return " ".join(tag.split()).casefold()


# ---------------------------------------------------------------------- drafts


def import_annotations(
    annotations: list[WebAnnotation],
    text: SourceText,
    mapping: dict[str, dict[str, list[str]]],
    taken: set[str],
    uri: str | None = None,
) -> ImportResult:
    """Draft claims for the annotations of one document, each quote anchored exactly or left unconfirmed."""
    uris = sorted({a.uri for a in annotations if a.uri and not a.reply})
    if uri is None and len(uris) > 1:
        listed = "\n  ".join(uris)
        raise ImportProblem(f"the export annotates {len(uris)} documents; choose one with --uri:\n  {listed}")
    claims: dict[str, object] = {}
    outcomes = []
    for item in annotations:
        if uri is not None and item.uri != uri:
            continue
        if item.reply:
            outcomes.append(Outcome(item, "skipped", "a reply to another annotation"))
            continue
        if not item.exact:
            outcomes.append(Outcome(item, "skipped", "no quote (a page note): no quote, no claim"))
            continue
        outcome = anchor(item, text)
        outcomes.append(outcome)
        name = unique_name(item, taken)
        taken.add(name)
        claims[name] = Commented(draft(item, outcome, mapping), comment(item, outcome, mapping))
    header = (
        "Draft claims imported by `sdkg import-annotations`: review each one (label, paraphrase, holder,\n"
        "stance), then move it under `claims:` in the text's authoring file and run `sdkg anchor`.\n"
        "An `unconfirmed quote` did not match the text exactly: correct it and rename it `quote`."
    )
    return ImportResult(dump({"claims": claims}, header=header) if claims else "", outcomes)


def anchor(item: WebAnnotation, text: SourceText) -> Outcome:
    """Exact and unique, or picked by the annotation's own context, or unconfirmed with the reason."""
    assert item.exact is not None
    exact = normalise(item.exact)
    try:
        text.anchor(Quote(exact))
        return Outcome(item, "exact")
    except QuoteProblem as problem:
        if problem.kind != "ambiguous":
            return Outcome(item, "unconfirmed", str(problem))
        ambiguous = str(problem)
    starts = text.occurrences(exact)
    prefix, suffix = normalise(item.prefix or ""), normalise(item.suffix or "")
    fitting = [s for s in starts if context_fits(text, s, exact, prefix, suffix)]
    if len(fitting) == 1:
        before = shortest_before(text, exact, fitting[0])
        if before is not None:
            return Outcome(item, "context", f"one of {len(starts)} places, picked by the annotation's context", before)
    return Outcome(item, "unconfirmed", ambiguous)


def context_fits(text: SourceText, start: int, exact: str, prefix: str, suffix: str) -> bool:
    before = text.text[:start].rstrip(" ")
    after = text.text[start + len(exact) :].lstrip(" ")
    tail = prefix[-20:].strip()
    head = suffix[:20].strip()
    return (not tail or before.endswith(tail)) and (not head or after.startswith(head)) and bool(tail or head)


def shortest_before(text: SourceText, exact: str, start: int) -> str | None:
    """The fewest words before the quote that make it unique (what ``before:`` needs)."""
    words = text.text[max(0, start - 200) : start].split(" ")
    for count in range(1, len(words) + 1):
        before = " ".join(words[-count:]).strip()
        if not before:
            continue
        try:
            if text.anchor(Quote(exact, before=before)).start == start:
                return before
        except QuoteProblem:
            continue
    return None


def unique_name(item: WebAnnotation, taken: set[str]) -> str:
    words = (item.text or item.exact or "annotation").split()
    base = slug(" ".join(words[:6]))[:50].strip("-") or "annotation"
    if not re.fullmatch(SHORT_NAME, base):
        base = "annotation"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name


def draft(item: WebAnnotation, outcome: Outcome, mapping: dict[str, dict[str, list[str]]]) -> dict[str, object]:
    assert item.exact is not None
    exact = normalise(item.exact)
    source = item.text.strip() or exact
    first = re.split(r"(?<=[.!?])\s", " ".join(source.split()), maxsplit=1)[0].rstrip(".")
    entry: dict[str, object] = {"label": first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + "..."}
    if item.text.strip():
        entry["paraphrase"] = " ".join(item.text.split())
    if outcome.status == "exact":
        entry["quote"] = exact
    elif outcome.status == "context":
        entry["quote"] = {"text": exact, "before": outcome.before}
    else:
        entry["unconfirmed quote"] = exact
    for name in MAPPED_FIELDS:
        values = [v for tag in item.tags for v in mapping.get(name, {}).get(fold(tag), [])]
        if values:
            entry[name] = values[0] if len(values) == 1 or name in ("holder", "stance") else values
    return entry


def comment(item: WebAnnotation, outcome: Outcome, mapping: dict[str, dict[str, list[str]]]) -> str:
    who = f" by {item.user}" if item.user else ""
    when = f" ({item.created})" if item.created else ""
    lines = [f"draft from annotation {item.id}{who}{when}: review the label, paraphrase, holder and stance"]
    if outcome.status == "context":
        lines.append(f"the quote occurs more than once: {outcome.detail}")
    elif outcome.status == "unconfirmed":
        lines.append("UNCONFIRMED: the quote is not anchored exactly; check it against the text:")
        lines.extend(line.strip() for line in outcome.detail.splitlines() if line.strip())
    unmapped = [t for t in item.tags if not any(fold(t) in mapping.get(name, {}) for name in MAPPED_FIELDS)]
    if unmapped:
        lines.append(f"tags not mapped: {', '.join(unmapped)}")
    return "\n".join(lines)
