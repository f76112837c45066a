"""The reproducibility tooling (tools/coding): the blinded sample and the comparison."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "coding"))

import compare  # noqa: E402
import encoding  # noqa: E402
import sample  # noqa: E402

ACTORS = [
    {"actor": "dunne-and-wheeler", "label": "Dunne and Wheeler", "also_called": "", "sources": "dw"},
    {"actor": "realists", "label": "realists", "also_called": "realist scholars", "sources": "dw"},
    {"actor": "hedley-bull", "label": "Hedley Bull", "also_called": "Bull", "sources": "dw"},
]
KEY = [
    {
        "unit": "U001",
        "kind": "claim",
        "encoded": "a1",
        "holder": "dunne-and-wheeler",
        "stance": "endorses",
        "expresses": "critical",
        "criticises": "none",
        "link": "",
        "link_type": "",
        "maker": "",
    },
    {
        "unit": "U002",
        "kind": "claim",
        "encoded": "a2",
        "holder": "realists",
        "stance": "endorses",
        "expresses": "realist",
        "criticises": "none",
        "link": "",
        "link_type": "",
        "maker": "",
    },
    {
        "unit": "U003",
        "kind": "claim",
        "encoded": "a3",
        "holder": "hedley-bull",
        "stance": "rejects",
        "expresses": "pluralist",
        "criticises": "none",
        "link": "",
        "link_type": "",
        "maker": "",
    },
    {
        "unit": "U004",
        "kind": "claim",
        "encoded": "a4",
        "holder": "realists",
        "stance": "neutral",
        "expresses": "none",
        "criticises": "realist",
        "link": "",
        "link_type": "",
        "maker": "",
    },
    {
        "unit": "U005",
        "kind": "pair",
        "encoded": "l1",
        "holder": "",
        "stance": "",
        "expresses": "",
        "criticises": "",
        "link": "yes",
        "link_type": "A supports B",
        "maker": "dunne-and-wheeler",
    },
    {
        "unit": "U006",
        "kind": "pair",
        "encoded": "l2",
        "holder": "",
        "stance": "",
        "expresses": "",
        "criticises": "",
        "link": "yes",
        "link_type": "B attacks A",
        "maker": "realists",
    },
    {
        "unit": "U007",
        "kind": "pair",
        "encoded": "distractor:x|y",
        "holder": "",
        "stance": "",
        "expresses": "",
        "criticises": "",
        "link": "no",
        "link_type": "",
        "maker": "",
    },
    {
        "unit": "U008",
        "kind": "pair",
        "encoded": "distractor:y|z",
        "holder": "",
        "stance": "",
        "expresses": "",
        "criticises": "",
        "link": "no",
        "link_type": "",
        "maker": "",
    },
]
# A hand-filled sheet: labels instead of identifiers, loose spellings, one blank.
SHEET = [
    {"unit": "U001", "holder": "Dunne and Wheeler", "stance": "Endorses", "expresses": "Critical", "criticises": ""},
    {"unit": "U002", "holder": "realist scholars", "stance": "rejects", "expresses": "realism", "criticises": "none"},
    {"unit": "U003", "holder": "Bull", "stance": "R", "expresses": "pluralist", "criticises": "-"},
    {"unit": "U004", "holder": "realists", "stance": "neutral", "expresses": "", "criticises": "pluralist"},
    {"unit": "U005", "link": "yes", "link_type": "A -> B, supports", "maker": "Dunne and Wheeler"},
    {"unit": "U006", "link": "no"},
    {"unit": "U007", "link": "no"},
    {"unit": "U008", "link": "Yes", "link_type": "A supports B", "maker": "realists"},
]


def _dims() -> dict[str, compare.Dimension]:
    dims, problems = compare.compare(KEY, SHEET, compare.actor_names(ACTORS))
    assert problems == []
    return {d.name: d for d in dims}


def test_kappa_by_hand() -> None:
    # Two coders, four units: E E R N against E R R N. p_o = 3/4;
    # p_e = (2*1 + 1*2 + 1*1) / 16 = 5/16; kappa = (12/16 - 5/16) / (11/16) = 7/11.
    pairs = [("e", "e"), ("e", "r"), ("r", "r"), ("n", "n")]
    assert compare.cohen_kappa(pairs) == pytest.approx(7 / 11)
    assert compare.cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    assert compare.cohen_kappa([("a", "a"), ("a", "a")]) is None  # p_e = 1: undefined
    assert compare.cohen_kappa([]) is None


def test_compare_hand_made_sheet() -> None:
    dims = _dims()
    holder = dims["holder"]
    assert holder.agreement == 1.0  # labels and alternative labels map to identifiers
    stance = dims["stance"]
    assert stance.disagreements == [("U002", "endorses", "rejects")]
    assert stance.kappa == pytest.approx(7 / 11)
    assert [u for u, _, _ in dims["discourse"].disagreements] == ["U004"]
    assert dims["criticises"].disagreements == [("U004", "realist", "pluralist")]
    present = dims["link present"]
    # yes yes no no against yes no no yes: p_o = 1/2, p_e = 1/2, kappa 0.
    assert present.agreement == 0.5
    assert present.kappa == pytest.approx(0.0)
    assert {u for u, _, _ in present.disagreements} == {"U006", "U008"}
    # Link type and maker only where both link: U005, which agrees.
    assert dims["link type"].pairs == [("A supports B", "A supports B")]
    assert dims["maker"].agreement == 1.0


def test_report_lists_every_disagreement() -> None:
    dims, problems = compare.compare(KEY, SHEET[:-1], compare.actor_names(ACTORS))
    assert problems == ["U008: missing from the filled sheet"]
    text = compare.report(dims, problems, KEY)
    assert "| stance | 4 | 0.75 | 0.64 | 1 |" in text
    assert "| U002 | a2 | endorses | rejects |" in text
    assert "| U006 | l2 | yes | no |" in text


def test_compare_command(tmp_path: Path) -> None:
    def write(path: Path, rows: list[dict[str, str]]) -> Path:
        columns = list(dict.fromkeys(c for row in rows for c in row))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, delimiter="\t")
            writer.writeheader()
            writer.writerows(rows)
        return path

    key = write(tmp_path / "key.tsv", KEY)
    actors = write(tmp_path / "actors.tsv", ACTORS)
    sheet = write(tmp_path / "sheet.tsv", SHEET)
    out = tmp_path / "report.md"
    assert compare.main([str(sheet), "--key", str(key), "--actors", str(actors), "--out", str(out)]) == 0
    assert "| link present | 4 | 0.50 | 0.00 | 2 |" in out.read_text(encoding="utf-8")


def test_neutral_wording_hides_holder_and_discourse() -> None:
    assert encoding.neutral_wording("The Soviet Union at least promised a new and more equal society (Carr)") == (
        "The Soviet Union at least promised a new and more equal society"
    )
    assert encoding.neutral_wording("Critical security: security and human rights are indivisible") == (
        "Security and human rights are indivisible"
    )


def test_sample_is_seeded_blinded_and_balanced() -> None:
    enc = encoding.load(REPO)
    sheet, key = sample.draw(enc, seed=14, fraction=0.2)
    again, _ = sample.draw(enc, seed=14, fraction=0.2)
    assert sheet == again
    assert len(sheet) == len(key)

    claim_units = [k for k in key if k["kind"] == "claim"]
    claims = {k["encoded"] for k in claim_units}
    assert len(claims) >= 0.18 * len(enc.claims)
    linked = [k for k in key if k["kind"] == "pair" and k["link"] == "yes"]
    distractors = [k for k in key if k["kind"] == "pair" and k["link"] == "no"]
    source_links = [link for link in enc.links if link.source is not None]
    assert len(linked) == round(0.2 * sum(1 for link in source_links if "dunne" in str(link.source))) + round(
        0.2 * sum(1 for link in source_links if "kaldor" in str(link.source))
    )
    assert len(distractors) == len(linked)

    # No link (of any graph) joins a distractor pair.
    pairs = {frozenset((encoding.local(link.premise), encoding.local(link.conclusion))) for link in enc.links}
    for row in distractors:
        a, b = row["encoded"].removeprefix("distractor:").split("|")
        assert frozenset((a, b)) not in pairs

    # Blinded: the coder's columns are empty, and no column names an answer.
    for row in sheet:
        assert all(row[c] == "" for c in sample.CODER_COLUMNS)
        for column in ("a_wording", "b_wording"):
            assert "sdkg" not in row[column] and "actor:" not in row[column]
        assert not row["a_wording"].endswith(")")


def test_sheet_quotes_are_verbatim(require_sources: Path) -> None:
    from sdkg.passages import read_normalised

    enc = encoding.load(REPO)
    sheet, _ = sample.draw(enc, seed=14, fraction=0.2)
    texts = {code: read_normalised(require_sources / enc.source_files[iri]) for code, iri in enc.source_codes.items()}
    for row in sheet:
        for side in ("a", "b"):
            ref, quote = row[f"{side}_ref"], row[f"{side}_quote"]
            if ref in ("", "case"):
                continue
            spans = [tuple(int(x) for x in part.split("-")) for part in ref.split("; ")]
            assert " [...] ".join(texts[row["source"]][s:e] for s, e in spans) == quote
