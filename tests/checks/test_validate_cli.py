"""`sdkg validate`: located results in text, JSON and the SHACL report in Turtle; documented exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from sdkg.cli import main, parser
from tests.checks.test_shapes import INVALID, make_small_project

HOLDER = "https://w3id.org/sdkg/id/ascription/bad-missing-holder"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SDKG_STATE", raising=False)
    monkeypatch.setenv("SDKG_SOURCES", str(INVALID / "base" / "texts"))
    return make_small_project(tmp_path / "project")


def run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--root", str(project), "validate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_conforming_project_exits_0_and_reports_warnings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(project, capsys)
    assert code == 0
    assert out.splitlines()[-1].startswith("0 violation(s), ")
    assert "warning: This entity has no Wikidata link" in out


def test_text_result_says_file_line_node_path_and_message(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(INVALID / "missing-holder.ttl", project / "data")
    code, out, _ = run(project, capsys)
    assert code == 1
    block = out.split("\n\n")[0] if "\n\n" in out else out
    assert (
        "data/missing-holder.ttl:23: violation: A claim needs a holder (sdkg:heldBy, an actor) on its ascription."
        in block
    )
    assert f'node:  "Test Author: claim whose ascription has no holder" <{HOLDER}>' in block
    assert "path:  sdkg:heldBy" in block
    assert "rule:  sdkgsh:AscriptionShape-heldBy (MinCountConstraintComponent)" in block
    assert "1 violation(s)" in out


def test_text_result_shows_the_offending_value(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(INVALID / "year-as-string.ttl", project / "data")
    code, out, _ = run(project, capsys)
    assert code == 1
    assert "data/year-as-string.ttl:22: violation:" in out
    assert 'value: "1994"' in out


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(INVALID / "misspelt-property.ttl", project / "data")
    code, out, _ = run(project, capsys, "--format", "json")
    assert code == 1
    body = json.loads(out)
    assert body["conforms"] is False and body["violations"] == 2
    [closed] = [r for r in body["results"] if r["constraint"] == "ClosedConstraintComponent"]
    assert closed["rule"] == "sdkgsh:AscriptionShape"
    assert closed["path"] == "sdkg:heldby"
    assert closed["value"] == "actor:test-author"
    assert closed["file"] == "data/misspelt-property.ttl" and closed["line"] == 27
    assert closed["focus_label"] == "Test Author: claim whose holder property is misspelt"


def test_turtle_format_is_the_shacl_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(INVALID / "quote-not-verbatim.ttl", project / "data")
    shutil.copy(INVALID / "self-held-rejected.ttl", project / "data")
    code, out, _ = run(project, capsys, "--format", "turtle")
    assert code == 1
    report = rdflib.Graph().parse(data=out, format="turtle")
    [root] = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(root, SH.conforms) == rdflib.Literal(False)
    foci = {str(report.value(r, SH.focusNode)) for r in report.objects(root, SH.result)}
    assert "https://w3id.org/sdkg/id/ascription/bad-self-rejected" in foci
    assert "https://w3id.org/sdkg/id/passage/test-329-363" in foci


def test_syntax_error_exits_2_with_file_line_and_column(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(INVALID / "syntax-error.ttl", project / "data")
    code, out, err = run(project, capsys)
    assert code == 2
    assert out == ""
    assert "syntax-error.ttl:20:16:" in err


def test_broken_shapes_file_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "shapes" / "zz-broken.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> sh:path .\n")
    code, _, err = run(project, capsys)
    assert code == 2
    assert "zz-broken.ttl:2:" in err


def test_help_documents_exit_codes() -> None:
    validate_parser = parser()._subparsers._group_actions[0].choices["validate"]  # type: ignore[union-attr]
    text = validate_parser.format_help()
    assert "0  the project conforms" in text
    assert "1  at least one violation" in text
    assert "2  unreadable input" in text


def test_the_reference_engine_finds_the_same_violations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--engine pyshacl`` (node by node, on the files as written) agrees with the compiled default."""
    shutil.copy(INVALID / "missing-holder.ttl", project / "data")
    shutil.copy(INVALID / "offsets-swapped.ttl", project / "data")
    reports = {}
    for engine in ("compiled", "pyshacl"):
        code, out, _ = run(project, capsys, "--format", "json", "--engine", engine)
        assert code == 1, engine
        reports[engine] = {
            (r["rule"], r["focus_node"], r["file"], r["line"])
            for r in json.loads(out)["results"]
            if r["severity"] == "Violation"
        }
    assert reports["compiled"] == reports["pyshacl"]
    assert any(rule == "sdkgsh:AscriptionShape-heldBy" for rule, *_ in reports["compiled"])
    assert len(reports["compiled"]) >= 2


def test_an_unknown_engine_is_a_usage_error(project: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--root", str(project), "validate", "--engine", "rudof"])
    assert caught.value.code == 2
