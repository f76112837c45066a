"""One validation, one report (sdkg.checks): shapes and quotes located by one Locator, sorted once, and the
SHACL report graph made only when someone asks for Turtle."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

import sdkg.checks
from sdkg.checks import validate_project
from sdkg.checks.report import sort_key
from sdkg.layout import ProjectLayout
from sdkg.project import load_project
from tests.checks.test_shapes import INVALID, make_small_project, target


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProjectLayout:
    """The small test project with a shape violation and a quote that is not the text at its offsets."""
    monkeypatch.setenv("SDKG_SOURCES", str(INVALID / "base" / "texts"))
    root = make_small_project(tmp_path / "project")
    for name in ("claim-without-ascription.ttl", "quote-not-verbatim.ttl"):
        target(root, name).write_bytes((INVALID / name).read_bytes())
    return ProjectLayout.at(root)


def test_the_report_graph_is_made_only_for_turtle(broken: ProjectLayout, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = sdkg.checks.report_graph

    def counting(*args: object) -> rdflib.Graph:
        made.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sdkg.checks, "report_graph", counting)
    report = validate_project(broken, load_project(broken))
    assert report.text() and report.json() and made == []
    turtle = rdflib.Graph().parse(data=report.turtle(), format="turtle")
    assert made == [1]
    shacl = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, shacl.conforms, rdflib.Literal(False)) in turtle
    constraints = {str(o) for o in turtle.objects(None, shacl.sourceConstraintComponent)}
    assert "https://w3id.org/sdkg/ontology#QuoteCheck" in constraints  # the quote check's results are in it too


def test_shape_and_quote_results_are_located_and_sorted_once(broken: ProjectLayout) -> None:
    report = validate_project(broken, load_project(broken))
    assert report.results == sorted(report.results, key=sort_key)
    rules = {r.rule for r in report.violations}
    assert "sdkg:QuoteCheck" in rules and any(rule.startswith("sdkgsh:") for rule in rules)
    for result in report.violations:
        assert result.file and result.file.startswith("data/") and result.line, result
