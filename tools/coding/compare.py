#!/usr/bin/env python3
"""Compare a filled coding sheet with the encoding's key: agreement and Cohen's kappa per dimension.

    .venv/bin/python tools/coding/compare.py coding/filled-sheet.tsv [--key coding/key.tsv]
        [--actors coding/actors.tsv] [--out report.md]

Dimensions (one categorical value per unit and coder; a unit left blank on a dimension by the
coder is counted as a disagreement, not skipped):

- ``holder``: the set of holder actors of a claim unit (identifiers from actors.tsv; a label
  or alternative label is accepted and mapped to its identifier);
- ``stance``: ``endorses``, ``rejects`` or ``neutral`` (the reporter's attitude);
- ``discourse``: the pair (expresses, criticises), each a set of ``critical``, ``pluralist``,
  ``realist`` or ``none``; ``expresses`` and ``criticises`` are also reported on their own;
- ``link present``: ``yes``/``no`` for every pair unit;
- ``link type``: ``A supports B``, ``B supports A``, ``A attacks B`` or ``B attacks A``, on the
  pair units that both the coder and the encoding link;
- ``maker``: who makes the link, on the same units (reported, not one of the issue's targets).

Kappa is Cohen's: (p_o - p_e) / (1 - p_e), with p_e from the two coders' marginal
distributions over the categories either used. The report lists every disagreement with the
unit, the encoding's answer and the coder's.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

STANCE_WORDS = {
    "endorses": "endorses",
    "endorse": "endorses",
    "e": "endorses",
    "agrees": "endorses",
    "rejects": "rejects",
    "reject": "rejects",
    "r": "rejects",
    "disputes": "rejects",
    "neutral": "neutral",
    "reportsneutrally": "neutral",
    "reports neutrally": "neutral",
    "n": "neutral",
}
DISCOURSE_WORDS = {
    "critical": "critical",
    "c": "critical",
    "human security": "critical",
    "pluralist": "pluralist",
    "pluralism": "pluralist",
    "p": "pluralist",
    "international security": "pluralist",
    "realist": "realist",
    "realism": "realist",
    "national security": "realist",
}
NONE_WORDS = {"", "none", "-", "no", "n/a"}


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle, delimiter="\t")]


def _split(value: str, also: str = "") -> list[str]:
    return [part.strip() for part in re.split(r"[,;+]" + also, value or "") if part.strip()]


def actor_names(rows: Sequence[dict[str, str]]) -> dict[str, str]:
    """Every way of naming an actor (identifier, label, alternative labels) -> identifier."""
    names: dict[str, str] = {}
    for row in rows:
        ident = row["actor"]
        for name in [ident, row.get("label", ""), *(row.get("also_called", "") or "").split(";")]:
            if name.strip():
                names.setdefault(name.strip().lower(), ident)
    return names


def norm_actors(value: str, names: dict[str, str]) -> str:
    found = {names.get(part.lower(), part.lower()) for part in _split(value)}
    return ",".join(sorted(found)) or "(blank)"


def norm_stance(value: str) -> str:
    word = (value or "").strip().lower()
    return STANCE_WORDS.get(word, word or "(blank)")


def norm_discourses(value: str) -> str:
    if (value or "").strip().lower() in NONE_WORDS:
        return "none"
    found = {DISCOURSE_WORDS.get(part.lower(), part.lower()) for part in _split(value, "| and ")}
    found -= NONE_WORDS
    return ",".join(sorted(found)) or "none"


def norm_yes_no(value: str) -> str:
    word = (value or "").strip().lower()
    if word in {"yes", "y", "1", "true", "link"}:
        return "yes"
    if word in {"no", "n", "0", "false", "none"}:
        return "no"
    return word or "(blank)"


def norm_link_type(value: str) -> str:
    words = re.sub(r"[^a-z ]", " ", (value or "").lower()).split()
    sides = [w for w in words if w in {"a", "b"}]
    kind = "supports" if any(w.startswith("support") for w in words) else None
    kind = "attacks" if any(w.startswith("attack") for w in words) else kind
    if len(sides) == 2 and kind and sides[0] != sides[1]:
        return f"{sides[0].upper()} {kind} {sides[1].upper()}"
    return " ".join(words) or "(blank)"


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two coders' labels; None when it is undefined (no units, or p_e = 1)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


@dataclass
class Dimension:
    name: str
    pairs: list[tuple[str, str]] = field(default_factory=list)
    disagreements: list[tuple[str, str, str]] = field(default_factory=list)  # unit, encoding, coder

    def add(self, unit: str, encoded: str, coded: str) -> None:
        self.pairs.append((encoded, coded))
        if encoded != coded:
            self.disagreements.append((unit, encoded, coded))

    @property
    def agreement(self) -> float | None:
        if not self.pairs:
            return None
        return sum(1 for a, b in self.pairs if a == b) / len(self.pairs)

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.pairs)


def compare(
    key_rows: Sequence[dict[str, str]], sheet_rows: Sequence[dict[str, str]], names: dict[str, str]
) -> tuple[list[Dimension], list[str]]:
    """The dimensions with their pairs and disagreements, and the problems with the sheet."""
    sheet = {row["unit"]: row for row in sheet_rows}
    dims = {
        name: Dimension(name)
        for name in (
            "holder",
            "stance",
            "discourse",
            "expresses",
            "criticises",
            "link present",
            "link type",
            "maker",
        )
    }
    problems = [f"{unit}: not in the key" for unit in sheet if unit not in {r["unit"] for r in key_rows}]

    def add(dim: str, unit: str, key: str, coded: str, norm: Callable[[str], str]) -> None:
        dims[dim].add(unit, norm(key), norm(coded))

    for key in key_rows:
        unit = key["unit"]
        row = sheet.get(unit)
        if row is None:
            problems.append(f"{unit}: missing from the filled sheet")
            continue
        if key["kind"] == "claim":
            add("holder", unit, key["holder"], row.get("holder", ""), lambda v: norm_actors(v, names))
            add("stance", unit, key["stance"], row.get("stance", ""), norm_stance)
            enc_d = f"expresses {norm_discourses(key['expresses'])} / criticises {norm_discourses(key['criticises'])}"
            cod_d = (
                f"expresses {norm_discourses(row.get('expresses', ''))} / "
                f"criticises {norm_discourses(row.get('criticises', ''))}"
            )
            dims["discourse"].add(unit, enc_d, cod_d)
            add("expresses", unit, key["expresses"], row.get("expresses", ""), norm_discourses)
            add("criticises", unit, key["criticises"], row.get("criticises", ""), norm_discourses)
        else:
            encoded_link = norm_yes_no(key["link"])
            coded_link = norm_yes_no(row.get("link", ""))
            dims["link present"].add(unit, encoded_link, coded_link)
            if encoded_link == "yes" and coded_link == "yes":
                add("link type", unit, key["link_type"], row.get("link_type", ""), norm_link_type)
                add("maker", unit, key["maker"], row.get("maker", ""), lambda v: norm_actors(v, names))
    return list(dims.values()), problems


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def report(dims: Sequence[Dimension], problems: Sequence[str], key_rows: Sequence[dict[str, str]]) -> str:
    encoded = {row["unit"]: row["encoded"] for row in key_rows}
    lines = [
        "| dimension | units | agreement | Cohen's kappa | disagreements |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines.extend(
        f"| {dim.name} | {len(dim.pairs)} | {_fmt(dim.agreement)} | {_fmt(dim.kappa)} | {len(dim.disagreements)} |"
        for dim in dims
    )
    lines.append("")
    for dim in dims:
        if not dim.disagreements:
            continue
        lines.append(f"### {dim.name}")
        lines.append("")
        lines.append("| unit | encoded unit | encoding | second coder |")
        lines.append("| --- | --- | --- | --- |")
        for unit, enc, cod in dim.disagreements:
            lines.append(f"| {unit} | {encoded.get(unit, '')} | {enc} | {cod} |")
        lines.append("")
    if problems:
        lines.append("### problems with the sheet")
        lines.append("")
        lines.extend(f"- {p}" for p in problems)
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sheet", type=Path, help="the filled coding sheet (TSV)")
    parser.add_argument("--key", type=Path, default=ROOT / "coding" / "key.tsv")
    parser.add_argument("--actors", type=Path, default=ROOT / "coding" / "actors.tsv")
    parser.add_argument("--out", type=Path, help="write the report here (default: standard output)")
    args = parser.parse_args(argv)
    key_rows = read_tsv(args.key)
    names = actor_names(read_tsv(args.actors)) if args.actors.is_file() else {}
    dims, problems = compare(key_rows, read_tsv(args.sheet), names)
    text = report(dims, problems, key_rows)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
