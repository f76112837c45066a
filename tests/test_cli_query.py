"""`sdkg query`: catalog queries by name with --param, files, text; errors a person can act on; --root anywhere."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sdkg.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_catalog_query_by_name_with_a_parameter_by_label(
    built_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(built_root)
    code, out, err = run(
        capsys, "query", "case-claims", "--param", "case=Rwandan genocide", "--format", "csv", "--root", root
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["case"] for r in rows} == {"https://w3id.org/sdkg/id/case/rwandan-genocide"}
    assert "No action was taken to stop the third genocide of the 20th century" in {r["claimLabel"] for r in rows}
    code, prefixed, _ = run(
        capsys, "--root", root, "query", "case-claims", "--param", "case=case:rwandan-genocide", "--format", "csv"
    )
    assert code == 0 and prefixed == out


def test_a_parameter_that_names_nothing_says_which_and_what_comes_close(
    built_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--root", str(built_root), "query", "case-claims", "--param", "case=Rwanda")
    assert code == 2 and out == ""
    assert "case=Rwanda matched nothing: no case is named 'Rwanda'" in err
    assert "Did you mean: Rwandan genocide (case:rwandan-genocide)?" in err
    code, _, err = run(capsys, "--root", str(built_root), "query", "statistics", "--param", "x=1")
    assert code == 2 and "declares no parameters" in err
    code, _, err = run(capsys, "--root", str(built_root), "query", "case-claims", "--param", "case")
    assert code == 2 and "write --param name=value" in err


def test_a_missing_file_or_query_name_is_said_so(built_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--root", str(built_root), "query", "queries/nope.rq")
    assert code == 2 and "no such file: queries/nope.rq (the file does not exist)" in err
    assert "CONSTRUCT" not in err
    code, _, err = run(capsys, "--root", str(built_root), "query", "nope")
    assert code == 2 and "no catalog query named 'nope'" in err and "case-claims" in err


def test_a_file_runs_with_its_parameters(built_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    why = built_root / "queries" / "why.rq"
    code, out, err = run(
        capsys,
        "--root",
        str(built_root),
        "query",
        str(why),
        "--param",
        "subject=actor:realists",
        "--param",
        "property=sdkg:proponentOf",
        "--format",
        "csv",
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["subject"] for r in rows} == {"https://w3id.org/sdkg/id/actor/realists"}


def test_a_syntax_error_shows_the_line_a_caret_and_a_hint(built_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "query", "SELECT ?o WHERE { ?s rdfs:label ?o } LIMIT 1", "--root", str(built_root))
    assert code == 2
    lines = err.splitlines()
    assert "line 1, column 22: prefix 'rdfs:' is not declared" in lines
    assert "  SELECT ?o WHERE { ?s rdfs:label ?o } LIMIT 1" in lines
    assert "  " + " " * 21 + "^" in lines
    assert "hint: add  PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>  before SELECT" in lines
    assert "\\u{" not in err


def test_root_is_accepted_after_the_command(built_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats", "--root", str(built_root), "--format", "json")
    assert code == 0 and "source/kaldor-cosmopolitan-rejoinder" in out
    code, _, err = run(capsys, "validate", "--root", str(built_root / "nowhere"))
    assert code == 2 and "not an SDKG project" in err
