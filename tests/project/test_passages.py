"""The one normalisation, anchoring, and every passage verbatim at its offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdkg.checks.quotes import passages_of, source_files
from sdkg.layout import ProjectLayout
from sdkg.passages import QuoteNotFound, anchor, normalise, quote_problem, read_normalised, sha256_of
from sdkg.project import load_project
from tests.conftest import REPO


def test_normalise_folds_whitespace_and_quotes() -> None:
    assert normalise("  \u201eWe the\n\n peoples\u201f\u00a0said ") == "'We the peoples' said"
    assert normalise("\u201cdouble\u201d and \u2018single\u2019") == "'double' and 'single'"


def test_normalise_is_idempotent() -> None:
    text = "A\u2003b \u201cc\u201d\t\n d\u2019e"
    assert normalise(normalise(text)) == normalise(text)


def test_offsets_count_code_points() -> None:
    text = normalise("na\u00efve \U0001f600 emoji then the quote")
    found = anchor(text, "the quote")
    assert text[found.start : found.end] == "the quote"
    assert found.end == len(text)


def test_anchor_requires_disambiguation_for_repeats() -> None:
    text = "a b a b"
    assert anchor(text, "a b").start == 0
    assert anchor(text, "a b", occurrence=2).start == 4
    with pytest.raises(QuoteNotFound):
        anchor(text, "a b", occurrence=3)
    with pytest.raises(QuoteNotFound):
        anchor(text, "c")


def test_check_reports_each_mistake() -> None:
    text = "abcdef"
    assert quote_problem(text, "cd", 2, 4) is None
    assert "outside" in (quote_problem(text, "cd", 4, 2) or "")
    assert "characters" in (quote_problem(text, "cd", 2, 5) or "")
    assert "not the quote" in (quote_problem(text, "cd", 1, 3) or "")


def test_source_records_match_the_texts(require_sources: Path) -> None:
    records = source_files(load_project(ProjectLayout.at(REPO)).store)
    assert len(records) >= 2
    for name, digest in records.values():
        text = read_normalised(require_sources / name)
        assert sha256_of(text) == digest, name


def test_every_passage_is_verbatim_at_its_offsets(require_sources: Path) -> None:
    store = load_project(ProjectLayout.at(REPO)).store
    texts = {iri: read_normalised(require_sources / name) for iri, (name, _) in source_files(store).items()}
    passages = passages_of(store)
    assert passages, "the data has no passages"
    for record in passages:
        assert record.source in texts, record.passage
        assert record.exact is not None and record.start is not None and record.end is not None, record.passage
        assert quote_problem(texts[record.source], record.exact, record.start, record.end) is None, record.passage
