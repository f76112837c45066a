"""Importing web annotations: Hypothesis's export and W3C JSON-LD become draft claims, never a silent guess."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.authoring.anchoring import SourceText
from sdkg.authoring.errors import AuthoringError
from sdkg.authoring.yamltree import Map, Scalar, read_tree
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.project import load_project
from sdkg.texts.annotations import ImportProblem, import_annotations, read_export, read_mapping

from .authoring_support import FIXTURES, HARBOUR, TEXTS, line_of, make_project

EXPORT = FIXTURES / "hypothesis-export.json"
W3C = FIXTURES / "w3c-annotations.jsonld"
MAPPING = FIXTURES / "tag-mapping.yaml"
HELD_BY = "https://w3id.org/sdkg/ontology#heldBy"


@pytest.fixture(scope="module")
def harbour() -> SourceText:
    return SourceText.read(TEXTS / "harbour-report.txt")


def drafted(text: str) -> Map:
    tree = read_tree(text)
    assert isinstance(tree, Map)
    claims = tree.get("claims")
    assert isinstance(claims, Map)
    return claims


def field(claims: Map, name: str, key: str) -> object:
    entry = claims.get(name)
    assert isinstance(entry, Map), name
    node = entry.get(key)
    if isinstance(node, Scalar):
        return node.text
    if isinstance(node, Map):
        return {k.text: v.text for k, v in node.entries if isinstance(v, Scalar)}
    return node


def test_the_hypothesis_export_is_read_in_full() -> None:
    found = read_export(EXPORT)
    assert len(found) == 6
    first = found[0]
    assert first.exact == "The closure did not reduce smuggling." and first.tags == ["smuggling", "critical"]
    assert first.uri == "https://example.org/harbour-lights.html" and first.user == "Ada Quill"
    assert found[4].exact is None and found[5].reply


def test_hypothesis_highlights_become_drafts_anchored_exactly_or_left_unconfirmed(harbour: SourceText) -> None:
    result = import_annotations(read_export(EXPORT), harbour, read_mapping(MAPPING), {"boats-lost"})
    statuses = [o.status for o in result.outcomes]
    assert statuses == ["exact", "exact", "context", "unconfirmed", "skipped", "skipped"]
    claims = drafted(result.drafts)
    names = [key.text for key, _ in claims.entries]
    assert len(names) == 4
    assert field(claims, names[0], "quote") == "The closure did not reduce smuggling."
    assert field(claims, names[0], "expresses") == "critical"
    assert field(claims, names[0], "cases") == "closure of the northern harbour of Eastmark"
    assert field(claims, names[1], "quote") == (
        "Fishing families, dock workers and migrants who arrive by sea are safe only when their rights are respected."
    )
    assert field(claims, names[2], "quote") == {"text": "the closure made the coast safer", "before": "that"}
    assert field(claims, names[2], "holder") == "Eastmark Port Authority"
    assert field(claims, names[2], "stance") == "rejects"
    assert field(claims, names[3], "quote") is None
    assert field(claims, names[3], "unconfirmed quote") == "where three boats were lost in the first winters"
    fuzzy = result.outcomes[3].detail
    assert "Closest passage: line 19 of harbour-report.txt" in fuzzy
    assert "First difference at character 48" in fuzzy and "'he first winters'" in fuzzy
    assert "UNCONFIRMED" in result.drafts and "tags not mapped: statistics" in result.drafts
    report = result.report()
    assert "2 exact, 1 context, 1 unconfirmed, 2 skipped" in report and "a reply" in report and "page note" in report


def test_w3c_annotations_in_a_collection(harbour: SourceText) -> None:
    found = read_export(W3C)
    assert [a.exact for a in found] == [
        "Security is not one thing; it depends on who is to be secured.",
        "Fishing families and dock workers should sit on the harbour board",
    ]
    assert found[0].tags == ["critical"] and found[0].text.startswith("Who is secured") and found[0].user == "Ada Quill"
    result = import_annotations(found, harbour, read_mapping(MAPPING), set())
    assert [o.status for o in result.outcomes] == ["exact", "exact"]
    claims = drafted(result.drafts)
    assert field(claims, claims.entries[0][0].text, "expresses") == "critical"


def test_other_containers_of_annotations(tmp_path: Path) -> None:
    annotation = json.loads(EXPORT.read_text(encoding="utf-8"))["annotations"][0]
    for content in ({"total": 1, "rows": [annotation]}, annotation, [annotation]):
        path = tmp_path / "export.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        assert [a.id for a in read_export(path)] == ["Fh3kQmLpEe-aAbCdEfGhIj"]


def test_an_export_of_several_documents_needs_a_choice(tmp_path: Path, harbour: SourceText) -> None:
    data = json.loads(EXPORT.read_text(encoding="utf-8"))
    data["annotations"][1]["uri"] = "https://example.org/another.html"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportProblem) as raised:
        import_annotations(read_export(path), harbour, {}, set())
    assert "annotates 2 documents" in str(raised.value) and "https://example.org/another.html" in str(raised.value)
    chosen = import_annotations(read_export(path), harbour, {}, set(), uri="https://example.org/another.html")
    assert [o.annotation.id for o in chosen.outcomes] == ["Gk8zR2LqEe-bBcDeFgHiJk"]


@pytest.mark.parametrize(
    ("content", "words"),
    [('{\n  "annotations": [\n}', "3: not JSON"), ('{"nothing": 1}', "no annotations found")],
)
def test_an_unreadable_export_is_refused(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportProblem) as raised:
        read_export(path)
    assert words in str(raised.value)


def test_a_mapping_with_an_unknown_section_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("expresses:\n  a: critical\nfeelings:\n  b: happy\n", encoding="utf-8")
    with pytest.raises(ImportProblem) as raised:
        read_mapping(path)
    assert f"{path}:3: unknown section 'feelings'" in str(raised.value)


def test_drafts_merged_into_the_file_compile_once_the_unconfirmed_quote_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project", monkeypatch)
    drafts = tmp_path / "drafts.yaml"
    args = ["--root", str(root), "import-annotations", str(EXPORT), "--into", HARBOUR, "--mapping", str(MAPPING)]
    assert main([*args, "--out", str(drafts)]) == 0
    assert "2 exact, 1 context, 1 unconfirmed, 2 skipped" in capsys.readouterr().err
    entries = drafts.read_text(encoding="utf-8").split("claims:\n", 1)[1]
    authoring = root / HARBOUR
    authoring.write_text(authoring.read_text(encoding="utf-8").replace("claims:\n", "claims:\n" + entries + "\n"))
    with pytest.raises(AuthoringError) as raised:
        load_project(ProjectLayout.at(root))
    (problem,) = raised.value.problems
    assert problem.line == line_of(root, HARBOUR, "    unconfirmed quote:")
    assert "rename the field to `quote`" in problem.message
    text = authoring.read_text(encoding="utf-8")
    authoring.write_text(
        text.replace(
            "unconfirmed quote: where three boats were lost in the first winters",
            "quote: where three boats were lost in the first winter",
        )
    )
    store = load_project(ProjectLayout.at(root)).store
    held = "https://w3id.org/sdkg/id/ascription/hl-the-officials-view-which-the-report"
    holders = [q.object.value for q in store.quads_for_pattern(ox.NamedNode(held), ox.NamedNode(HELD_BY), None, None)]
    assert holders == ["https://w3id.org/sdkg/id/actor/eastmark-port-authority"]


def test_import_writes_nothing_when_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project", monkeypatch)
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2", encoding="utf-8")
    out = tmp_path / "drafts.yaml"
    assert main(["--root", str(root), "import-annotations", str(broken), "--into", HARBOUR, "--out", str(out)]) == 2
    assert "not JSON" in capsys.readouterr().err and not out.exists()
