"""Linkability in the model: the ``not linkable:`` rows of the mapping tables become
``sdkg:NotLinkableToWikidata``, the link warning is only for linkable entities, the build summarises
its warnings per rule, and ``sdkg stats`` (and data/mappings/README.md) report coverage per kind."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildResult
from sdkg.builds import open_store
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.namespaces import NOT_LINKABLE
from sdkg.project import NO_TERM_FOUND, ProjectError, ProjectFile, parse_sssom_file, verdict_of
from sdkg.stats import KINDS, link_coverage, linkage
from sdkg.wikidata import read_mappings
from tests.conftest import REPO
from tests.test_wikidata import SSSOM_HEADER, sssom_row

MAPPINGS_README = REPO / "data" / "mappings" / "README.md"
ID = "https://w3id.org/sdkg/id/"


@pytest.fixture(scope="module")
def store(built: BuildResult) -> ox.Store:
    return open_store(built.path)


def not_linkable_rows() -> set[str]:
    return {r.subject_iri for r in read_mappings(ProjectLayout.at(REPO)) if r.verdict == "not linkable"}


def test_not_linkable_rows_are_a_class_in_the_model(store: ox.Store) -> None:
    typed = {q.subject.value for q in store.quads_for_pattern(None, None, ox.NamedNode(NOT_LINKABLE), None)}
    assert typed == not_linkable_rows()
    assert {ID + "actor/young-unemployed-men", ID + "actor/big-companies"} <= typed
    assert ID + "concept/human-security" not in typed  # a standard concept: linkable, not yet linked


def test_the_build_warns_only_for_linkable_entities_and_summarises_per_rule(
    built: BuildResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert built.report is not None
    unlinked = {r.focus_node for r in built.report.warnings if r.rule == "sdkgsh:LinkableEntityShape-wikidata"}
    assert unlinked and not unlinked & not_linkable_rows()
    assert ID + "concept/human-security" in unlinked and ID + "actor/tim-dunne" in unlinked
    linkable_unlinked = {e for e, link in linkage(open_store(built.path)).items() if link.linkable and not link.link}
    assert unlinked == {e for e in linkable_unlinked if not e.startswith(ID + "source/")}  # works have no rows
    summary = built.report.summary()
    assert summary[0] == (
        f"{len(unlinked)} warning(s) sdkgsh:LinkableEntityShape-wikidata: This entity has no Wikidata link; "
        "add a verified QID to its SSSOM row, or mark the row 'not linkable:' if no item could match."
    )
    assert len(summary) == len({(r.severity, r.rule) for r in built.report.results})


def test_sdkg_build_prints_one_line_per_rule_and_the_list_when_verbose(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(project_copy), "build"]) == 0
    quiet = capsys.readouterr()
    lines = [line for line in quiet.err.splitlines() if re.match(r"^\d+ warning\(s\) sdkgsh:", line)]
    assert len(lines) == 1 and "sdkgsh:LinkableEntityShape-wikidata" in lines[0]
    assert "young unemployed men" not in quiet.err + quiet.out and "node:" not in quiet.out
    assert main(["--root", str(project_copy), "build", "--verbose"]) == 0
    verbose = capsys.readouterr().out
    assert verbose.count("rule:  sdkgsh:LinkableEntityShape-wikidata") == int(lines[0].split()[0])
    assert '"human security" <https://w3id.org/sdkg/id/concept/human-security>' in verbose
    assert "path:  skos:exactMatch|skos:closeMatch|skos:broadMatch" in verbose
    assert "young unemployed men" not in verbose and "big companies" not in verbose


def test_a_row_that_says_no_link_names_no_item(tmp_path: Path) -> None:
    """``unverified:`` or ``not linkable:`` with a QID contradicts itself: a clear error at its line."""
    table = tmp_path / "test.sssom.tsv"
    for verdict in ("not linkable: descriptive collective, not a named group or organisation", "unverified: x"):
        row = sssom_row("actor/young-unemployed-men", "young unemployed men", "wikidata:Q1065", comment=verdict)
        table.write_text(SSSOM_HEADER + row, encoding="utf-8")
        with pytest.raises(ProjectError, match=r"test\.sssom\.tsv:9: the comment says '.*' but the row names"):
            parse_sssom_file(ProjectFile(table, "https://w3id.org/sdkg/graph/test", "mapping"))
    ok = sssom_row("actor/young-unemployed-men", "young unemployed men", NO_TERM_FOUND, confidence="")
    table.write_text(SSSOM_HEADER + ok.replace("\t\n", "\tnot linkable: descriptive collective\n"), encoding="utf-8")
    quads = parse_sssom_file(ProjectFile(table, "https://w3id.org/sdkg/graph/test", "mapping"))
    assert [(q.subject.value, q.object.value) for q in quads] == [(ID + "actor/young-unemployed-men", NOT_LINKABLE)]


def test_verdicts() -> None:
    assert verdict_of({"comment": "verified: [1] a; [2] b"}) == "verified"
    assert verdict_of({"comment": "unverified: candidate wikidata:Q1"}) == "unverified"
    assert verdict_of({"comment": "Not linkable: descriptive collective"}) == "not linkable"
    assert verdict_of({"comment": "unreviewed: English label matches"}) == "unreviewed"
    assert verdict_of({"comment": "test row"}) == verdict_of({}) == ""


def mappings_readme_table() -> list[list[str]]:
    text = MAPPINGS_README.read_text(encoding="utf-8").split("## Coverage", 1)[1]
    lines = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    rows = [line.strip().strip("|").split("|") for line in lines]
    return [[cell.strip().strip("*") for cell in row] for row in rows[1:]]


def expected_mappings_table(store: ox.Store) -> list[list[str]]:
    """The mapping README's coverage table: ``sdkg stats``' columns, and the unverified rows split by whether
    their comment names a candidate QID."""
    _header, coverage = link_coverage(store)
    kinds = linkage(store)
    rows = {r.subject_iri: r for r in read_mappings(ProjectLayout.at(REPO))}
    with_candidate = {name: 0 for name, _class in KINDS}
    without = {name: 0 for name, _class in KINDS}
    for entity, link in kinds.items():
        row = rows.get(entity)
        if link.linkable and not link.link:
            (with_candidate if row is not None and row.candidates else without)[link.kind] += 1
    table = []
    for cells in coverage:
        name = cells[0]
        extra = (
            [str(sum(with_candidate.values())), str(sum(without.values()))]
            if name == "all"
            else [str(with_candidate[name]), str(without[name])]
        )
        table.append([*cells[:6], *extra, cells[6]])
    return table


def test_the_mapping_readme_coverage_table_is_true(store: ox.Store) -> None:
    expected = expected_mappings_table(store)
    assert mappings_readme_table() == expected, "\n".join("| " + " | ".join(r) + " |" for r in expected)


def test_stats_reports_link_coverage(built_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(built_root), "stats"]) == 0
    out = capsys.readouterr().out
    section = out.split("## Wikidata links per kind", 1)[1]
    assert re.search(r"^collective\s+\d+\s+0\s+0\s+0\s+0 / \d+\s+\d+$", section, re.MULTILINE)
    assert re.search(r"^all\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+ / \d+\s+\d+$", section, re.MULTILINE)


def test_a_project_without_tables_has_everything_linkable(project_copy: Path) -> None:
    """No ``not linkable:`` row, no statement: linkability comes only from the tables."""
    for table in (project_copy / "data" / "mappings").glob("*.sssom.tsv"):
        text = table.read_text(encoding="utf-8")
        table.write_text(re.sub(r"\tnot linkable: [^\n]*", "\tunverified: test", text), encoding="utf-8")
    shutil.rmtree(project_copy / "data" / "mappings" / "README.md", ignore_errors=True)
    from sdkg.build import build

    result = build(ProjectLayout.at(project_copy))
    entities = linkage(open_store(result.path))
    assert all(link.linkable for link in entities.values())
    assert result.report is not None
    warned = {r.focus_node for r in result.report.warnings}
    assert ID + "actor/young-unemployed-men" in warned
