#!/usr/bin/env python3
"""Draw the reproducibility sample and write the blinded coding sheet and its key.

    .venv/bin/python tools/coding/sample.py [--seed 14] [--fraction 0.2] [--out coding]

Writes into ``--out``:

- ``blinded-sheet.tsv``: what the second coder fills in. A unit names its source, the passage
  offsets, the verbatim quote and a neutral wording of the claim; never the holder, the
  stance, the discourse or whether two claims are linked.
- ``actors.tsv``: the actor identifiers a coder may write as holder or maker (every actor the
  data knows, with its labels and the sources that mention it; a coder may add a new name).
- ``key.tsv``: the encoding's answers for each unit, frozen at sampling time. Never give it
  to the coder; ``compare.py`` reads it.

The sample (seeded, so the same data and seed give the same sheet):

- claim units: a ``fraction`` of all claims, drawn per source; one unit per ascription of a
  drawn claim (an ascription is one reporter's report of the claim on its own passages);
- link units: a ``fraction`` of the source links (editorial links are not coded from the
  texts), plus as many distractor pairs from the same sources that no link joins: for a
  claim-claim link, two claims of the same source whose passages lie near each other; for a
  case link, a case and a claim of the same source (half of them claims about that case, the
  illustrations that guide rule K4 says are not links). The two sides of every pair are put in
  a random order, so the order never tells the direction.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from encoding import Ascription, Claim, Encoding, Link, load, local, neutral_wording  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NEAR = 2500  # characters: distractor claims lie within this distance of each other

SHEET_COLUMNS = [
    "unit",
    "kind",
    "source",
    "a_ref",
    "a_quote",
    "a_wording",
    "b_ref",
    "b_quote",
    "b_wording",
    # filled by the coder:
    "holder",
    "stance",
    "expresses",
    "criticises",
    "link",
    "link_type",
    "maker",
    "coder_note",
]
CODER_COLUMNS = SHEET_COLUMNS[SHEET_COLUMNS.index("holder") :]
KEY_COLUMNS = [
    "unit",
    "kind",
    "encoded",
    "holder",
    "stance",
    "expresses",
    "criticises",
    "link",
    "link_type",
    "maker",
]


def _refs(passages: Iterable[object]) -> tuple[str, str]:
    items = list(passages)
    ref = "; ".join(f"{p.start}-{p.end}" for p in items)  # type: ignore[attr-defined]
    quote = " [...] ".join(p.exact for p in items)  # type: ignore[attr-defined]
    return ref, quote


def _claim_side(claim: Claim, source: str) -> tuple[str, str, str]:
    passages = sorted(
        {p for a in claim.ascriptions if a.source == source for p in a.passages},
        key=lambda p: p.start,
    )
    ref, quote = _refs(passages)
    return ref, quote, neutral_wording(claim.label)


def _case_side(enc: Encoding, case: str) -> tuple[str, str, str]:
    return "case", "", f"The case: {enc.cases[case]}"


def _side(enc: Encoding, node: str, source: str) -> tuple[str, str, str]:
    if node in enc.claims:
        return _claim_side(enc.claims[node], source)
    return _case_side(enc, node)


def _code(enc: Encoding, source: str) -> str:
    for code, iri in enc.source_codes.items():
        if iri == source:
            return code
    return local(source)


def _linked_pairs(enc: Encoding) -> set[frozenset[str]]:
    return {frozenset((link.premise, link.conclusion)) for link in enc.links}


def _claims_in(enc: Encoding, source: str) -> list[Claim]:
    return sorted((c for c in enc.claims.values() if source in c.sources()), key=lambda c: c.iri)


def draw(enc: Encoding, seed: int, fraction: float) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The sheet rows and the key rows, in the same (shuffled) order."""
    rng = random.Random(seed)
    units: list[tuple[dict[str, str], dict[str, str]]] = []
    sources = sorted(enc.source_codes.values())

    # Claim units.
    for source in sources:
        claims = _claims_in(enc, source)
        drawn = rng.sample(claims, round(len(claims) * fraction))
        for claim in sorted(drawn, key=lambda c: c.iri):
            ascriptions: list[Ascription] = [a for a in claim.ascriptions if a.source == source]
            for ascription in ascriptions:
                ref, quote = _refs(ascription.passages)
                sheet = {
                    "kind": "claim",
                    "source": _code(enc, source),
                    "a_ref": ref,
                    "a_quote": quote,
                    "a_wording": neutral_wording(claim.label),
                }
                key = {
                    "kind": "claim",
                    "encoded": local(ascription.iri),
                    "holder": ",".join(ascription.holders),
                    "stance": ascription.stance,
                    "expresses": ",".join(claim.expresses) or "none",
                    "criticises": ",".join(claim.criticises) or "none",
                }
                units.append((sheet, key))

    # Link units and distractors.
    linked = _linked_pairs(enc)
    for source in sources:
        source_links = [link for link in enc.links if link.source == source]
        drawn_links: list[Link] = sorted(
            rng.sample(source_links, round(len(source_links) * fraction)), key=lambda link: link.iri
        )
        units.extend(_pair_unit(enc, rng, source, link.premise, link.conclusion, link) for link in drawn_links)
        claims = _claims_in(enc, source)
        offsets = {c.iri: c.first_offset(source) for c in claims}
        n_case = sum(1 for link in drawn_links if link.premise in enc.cases)
        n_claim = len(drawn_links) - n_case
        chosen: set[frozenset[str]] = set()
        candidates = [
            frozenset((a.iri, b.iri))
            for i, a in enumerate(claims)
            for b in claims[i + 1 :]
            if abs(offsets[a.iri] - offsets[b.iri]) <= NEAR
        ]
        candidates = sorted((pair for pair in candidates if pair not in linked), key=lambda pair: sorted(pair))
        for pair in rng.sample(candidates, min(n_claim, len(candidates))):
            chosen.add(pair)
            first, second = sorted(pair)
            units.append(_pair_unit(enc, rng, source, first, second, None))
        cases = sorted(c for c, mentioned in enc.case_sources.items() if source in mentioned)
        for i in range(n_case):
            for _ in range(1000):
                case = rng.choice(cases)
                about = [c for c in claims if case in c.cases]
                pool = about if (i % 2 == 0 and about) else claims
                claim = rng.choice(pool)
                pair = frozenset((case, claim.iri))
                if pair not in linked and pair not in chosen:
                    chosen.add(pair)
                    units.append(_pair_unit(enc, rng, source, case, claim.iri, None))
                    break

    rng.shuffle(units)
    sheet_rows, key_rows = [], []
    for number, (sheet, key) in enumerate(units, start=1):
        unit = f"U{number:03d}"
        sheet_rows.append({"unit": unit, **{c: sheet.get(c, "") for c in SHEET_COLUMNS[1:]}})
        key_rows.append({"unit": unit, **{c: key.get(c, "") for c in KEY_COLUMNS[1:]}})
    return sheet_rows, key_rows


def _pair_unit(
    enc: Encoding, rng: random.Random, source: str, x: str, y: str, link: Link | None
) -> tuple[dict[str, str], dict[str, str]]:
    a, b = (x, y) if rng.random() < 0.5 else (y, x)
    a_ref, a_quote, a_wording = _side(enc, a, source)
    b_ref, b_quote, b_wording = _side(enc, b, source)
    sheet = {
        "kind": "pair",
        "source": _code(enc, source),
        "a_ref": a_ref,
        "a_quote": a_quote,
        "a_wording": a_wording,
        "b_ref": b_ref,
        "b_quote": b_quote,
        "b_wording": b_wording,
    }
    if link is None:
        key = {"kind": "pair", "encoded": f"distractor:{local(a)}|{local(b)}", "link": "no"}
    else:
        direction = "A-B" if link.premise == a else "B-A"
        first, second = direction.split("-")
        key = {
            "kind": "pair",
            "encoded": local(link.iri),
            "link": "yes",
            "link_type": f"{first} {link.kind} {second}",
            "maker": ",".join(link.asserters),
        }
    return sheet, key


def write_tsv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def actor_rows(enc: Encoding) -> list[dict[str, str]]:
    code = {iri: c for c, iri in enc.source_codes.items()}
    rows = []
    for iri, (label, alt, sources) in sorted(enc.actors.items(), key=lambda item: local(item[0])):
        rows.append(
            {
                "actor": local(iri),
                "label": label,
                "also_called": "; ".join(alt),
                "sources": ",".join(sorted(code.get(s, local(s)) for s in sources)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="the project (default: this checkout)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=ROOT / "coding")
    args = parser.parse_args(argv)
    enc = load(args.root)
    sheet, key = draw(enc, args.seed, args.fraction)
    args.out.mkdir(parents=True, exist_ok=True)
    write_tsv(args.out / "blinded-sheet.tsv", SHEET_COLUMNS, sheet)
    write_tsv(args.out / "key.tsv", KEY_COLUMNS, key)
    write_tsv(args.out / "actors.tsv", ["actor", "label", "also_called", "sources"], actor_rows(enc))
    claims = sum(1 for row in key if row["kind"] == "claim")
    links = sum(1 for row in key if row["kind"] == "pair" and row["link"] == "yes")
    distractors = sum(1 for row in key if row["kind"] == "pair" and row["link"] == "no")
    print(
        f"seed {args.seed}: {claims} claim units, {links} linked pairs, {distractors} distractor pairs "
        f"-> {args.out}/blinded-sheet.tsv (key: {args.out}/key.tsv)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
