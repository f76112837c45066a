"""The authoring commands: what they write when all is well, and that they write nothing when it is not."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.builds import open_store
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.passages import normalise, sha256_of
from sdkg.project import NO_TERM_FOUND, read_sssom

from .authoring_support import HARBOUR, TEXTS, edit, line_of, make_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path / "project", monkeypatch)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the project and a digest of its content (to prove nothing was written)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "var" not in p.relative_to(root).parts
    }


def sdkg(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def table_subjects(path: Path) -> dict[str, str]:
    _curies, rows = read_sssom(path)
    return {row["subject_id"]: row["object_id"] for row in rows}


def test_anchor_lists_the_claims_and_adds_unmapped_rows_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sdkg(project, "anchor") == 0
    err = capsys.readouterr().err
    assert f"{HARBOUR}: 6 claims, 7 ascriptions, 8 passages, 2 links, anchored in harbour-report.txt" in err
    harbour = table_subjects(project / "data/mappings/harbour-lights.sssom.tsv")
    assert harbour == {
        "sdkg_id:actor/ada-quill": NO_TERM_FOUND,
        "sdkg_id:actor/eastmark-port-authority": NO_TERM_FOUND,
        "sdkg_id:case/northern-harbour-closure": NO_TERM_FOUND,
    }
    assert set(table_subjects(project / "data/mappings/river-keeper.sssom.tsv")) == {
        "sdkg_id:actor/tomas-weir",
        "sdkg_id:actor/lena-ostrova",
    }
    before = snapshot(project)
    assert sdkg(project, "anchor") == 0
    assert snapshot(project) == before, "a second run must add no rows"


def test_anchor_prints_and_writes_the_compiled_graph(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = project.parent / "river.ttl"
    assert sdkg(project, "anchor", "data/river-keeper/river-keeper.sdkg.yaml", "--print", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "<https://w3id.org/sdkg/graph/editorial> {" in printed and "argument:editorial-boards-agree" in printed
    triples = list(ox.parse(path=out, format=ox.RdfFormat.TURTLE))
    assert any(t.subject.value.endswith("argument/rk-grid-answers-dam") for t in triples)


ERRORS = {
    "missing quote": (
        "quote: The closure did not reduce smuggling.",
        "quote: The closure did reduce smuggling.",
        ["is not in harbour-report.txt", "Closest passage", "First difference at character", "Copy the words"],
    ),
    "ambiguous quote": (
        "quote: The closure did not reduce smuggling.",
        "quote: the closure made the coast safer",
        ["occurs 2 times", "line 21 of harbour-report.txt", "Make it unique"],
    ),
    "unknown actor": (
        "holder: Eastmark Port Authority",
        "holder: Eastmark Harbour Board",
        ["unknown actor 'Eastmark Harbour Board'", "declare it under `actors:`"],
    ),
    "unknown stance": ("stance: rejects", "stance: doubts", ["unknown stance 'doubts'", "use one of: endorses"]),
    "duplicate short name": (
        "  coast-safer:",
        "  boats-lost:",
        ["'boats-lost' is written twice", "rename or merge one of them"],
    ),
    "link to a missing claim": (
        "attacks: closure-protects-the-state",
        "attacks: closure-protects-everyone",
        ["unknown claim 'closure-protects-everyone'", "Did you mean"],
    ),
    "bad YAML": ("    expresses: critical\n", "    expresses: [critical\n", ["not valid YAML", "brackets"]),
}


@pytest.mark.parametrize("error", list(ERRORS))
def test_anchor_with_a_problem_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str], error: str) -> None:
    old, new, words = ERRORS[error]
    line = edit(project, HARBOUR, old, new)
    before = snapshot(project)
    out = project.parent / "never.ttl"
    assert sdkg(project, "anchor", "--out", str(out)) == 1
    err = capsys.readouterr().err
    located = [text for text in err.splitlines() if text.startswith(f"{HARBOUR}:")]
    assert located, err
    if error != "bad YAML":  # a parser reports where it noticed: this line or a later one
        assert any(text.startswith(f"{HARBOUR}:{line}:") for text in located), err
    for word in words:
        assert word in err, (word, err)
    assert "nothing was written" in err
    assert snapshot(project) == before and not out.exists()


def test_anchor_refuses_what_is_not_an_authoring_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sdkg(project, "anchor", "data/common/context.ttl") == 2
    assert "not an authoring file" in capsys.readouterr().err


def test_a_build_with_a_broken_authoring_file_publishes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = edit(
        project, HARBOUR, "quote: The closure did not reduce smuggling.", "quote: The closure reduced smuggling."
    )
    assert sdkg(project, "build") == 1
    err = capsys.readouterr().err
    assert f"{HARBOUR}:{line}:" in err and "Closest passage" in err and "published store is unchanged" in err
    assert ProjectLayout.at(project).current_build() is None


def test_the_fixture_project_builds(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sdkg(project, "build") == 0
    current = ProjectLayout.at(project).current_build()
    assert current is not None
    store = open_store(current)
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    assert "https://w3id.org/sdkg/graph/data/harbour-lights/harbour-lights" in graphs
    assert "https://w3id.org/sdkg/graph/editorial" in graphs


# ---------------------------------------------------------------------- new-source


def test_new_source_writes_the_record_the_folder_and_the_table(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = sdkg(
        project, "new-source", "second-harbour", "--title", "A Second Look", "--kind", "Report", "--code", "sh",
        "--text", "harbour-report.txt", "--author", "Ada Quill", "--author", "Jane Roe", "--year", "2024",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    authoring = project / "data/second-harbour/second-harbour.sdkg.yaml"
    text = authoring.read_text(encoding="utf-8")
    digest = sha256_of(normalise((TEXTS / "harbour-report.txt").read_text(encoding="utf-8")))
    assert f"sha256: {digest}" in text and "length: 2058" in text and "text: harbour-report.txt" in text
    assert "authors: [Ada Quill, Jane Roe]" in text
    assert "jane-roe:" not in text, "a known actor is referred to, not declared again"
    assert "reporter:" not in text.split("# Add the text")[0].split("actors:")[0].replace("# reporter:", "")
    rows = table_subjects(project / "data/mappings/second-harbour.sssom.tsv")
    assert rows == {}, "Ada Quill is declared in another authoring file, Jane Roe in the graph: no new rows"


def test_new_source_declares_a_new_author(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--title",
        "Tide",
        "--kind",
        "scholarly article",
        "--code",
        "td",
        "--text",
        str(TEXTS / "river-interview.txt"),
    ]
    assert sdkg(project, "new-source", "tide", *args, "--author", "Émile Tidewater") == 0
    text = (project / "data/tide/tide.sdkg.yaml").read_text(encoding="utf-8")
    assert "  emile-tidewater:\n    kind: Person\n    label: Émile Tidewater\n    roles: author" in text
    assert "reporter: Émile Tidewater" in text and "kind: ScholarlyArticle" in text
    assert table_subjects(project / "data/mappings/tide.sssom.tsv") == {"sdkg_id:actor/emile-tidewater": NO_TERM_FOUND}
    assert sdkg(project, "anchor", "data/tide/tide.sdkg.yaml") == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["harbour-lights", "--code", "zz"], "already exists and is not empty"),
        (["third", "--code", "hl"], "the code 'hl' is already used"),
        (["third", "--code", "th", "--kind", "Pamphlet"], "unknown kind 'Pamphlet'"),
        (["third", "--code", "th", "--text", "missing.txt"], "the text 'missing.txt' is not a file"),
        (["Third Text", "--code", "th"], "must be lowercase words joined by '-'"),
        (["third", "--code", "th", "--year", "soon"], "must be a year"),
        (["third", "--code", "th", "--author", "Roe"], "could name 2 actors"),
    ],
)
def test_new_source_refuses_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    defaults = {"--title": "Third", "--kind": "Report", "--text": "harbour-report.txt"}
    for option, value in defaults.items():
        if option not in args:
            args = [*args, option, value]
    before = snapshot(project)
    assert sdkg(project, "new-source", *args) == 2
    err = capsys.readouterr().err
    assert words in err and "nothing was written" in err
    assert snapshot(project) == before


def test_new_source_says_where_the_text_must_be_found(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "note.txt").write_text("A short text for a test of new-source.\n", encoding="utf-8")
    args = ["--title", "Note", "--kind", "Report", "--code", "nt", "--text", str(elsewhere / "note.txt")]
    assert sdkg(project, "new-source", "note", *args) == 0
    assert f"SDKG_SOURCES={elsewhere}" in capsys.readouterr().err
    assert line_of(project, "data/note/note.sdkg.yaml", "  text: note.txt") > 0
