"""The shapes catch every documented editing mistake, say where, and keep it off the endpoint.

Each file of tests/invalid/ is added to a small valid project (the ontology, the shapes,
data/common and tests/invalid/base/); tests/invalid/manifest.tsv lists the violations it
must cause, exactly: rule, constraint, focus node and line.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from sdkg.build import BuildFailed, build
from sdkg.checks import validate_project
from sdkg.checks.shapes import load_shapes
from sdkg.layout import ProjectLayout
from sdkg.project import ProjectError, load_project
from sdkg.shapes_doc import shapes_markdown
from tests.conftest import REPO

INVALID = REPO / "tests" / "invalid"
ID = "https://w3id.org/sdkg/id/"


def manifest() -> dict[str, list[dict[str, str]]]:
    with (INVALID / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    cases: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        cases.setdefault(row["file"], []).append(row)
    return cases


CASES = manifest()


def make_small_project(root: Path) -> Path:
    """The ontology, the shapes, data/common and the valid base of tests/invalid/."""
    for name in ("ontology", "shapes"):
        shutil.copytree(REPO / name, root / name)
    shutil.copytree(REPO / "data" / "common", root / "data" / "common")
    (root / "data" / "mappings").mkdir()
    shutil.copy(REPO / "data" / "mappings" / "common.sssom.tsv", root / "data" / "mappings")
    shutil.copy(INVALID / "base" / "base.ttl", root / "data" / "base.ttl")
    return root


def target(root: Path, name: str) -> Path:
    """Where a broken file goes: tables to data/mappings/, ``editorial/...`` to data/editorial/, the rest to data/."""
    path = root / "data" / ("mappings" if name.endswith(".sssom.tsv") else "") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One small project, built and published once; each test adds one broken file and removes it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SDKG_STATE", raising=False)
        patch.setenv("SDKG_SOURCES", str(INVALID / "base" / "texts"))
        root = make_small_project(tmp_path_factory.mktemp("invalid") / "project")
        build(ProjectLayout.at(root))
        yield root


def test_the_corpus_is_documented() -> None:
    files = sorted(
        p.relative_to(INVALID).as_posix()
        for p in [*INVALID.iterdir(), *(INVALID / "editorial").iterdir()]
        if p.is_file() and p.name.endswith((".ttl", ".sssom.tsv"))
    )
    assert len(files) >= 30
    assert files == sorted(CASES), "every file in tests/invalid/ has rows in manifest.tsv, and only those"
    for rows in CASES.values():
        assert all(row["mistake"] and row["rule"] and row["focus"] for row in rows)


def test_the_base_conforms(small_project: Path) -> None:
    report = validate_project(ProjectLayout.at(small_project), load_project(ProjectLayout.at(small_project)))
    assert report.conforms, report.text()


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][0]["rule"] != "parse"))
def test_each_mistake_is_reported_and_blocks_the_build(small_project: Path, name: str) -> None:
    before = ProjectLayout.at(small_project).current_build()
    builds = sorted(ProjectLayout.at(small_project).builds.iterdir())
    broken = target(small_project, name)
    shutil.copy(INVALID / name, broken)
    try:
        with pytest.raises(BuildFailed) as caught:
            build(ProjectLayout.at(small_project))
    finally:
        broken.unlink()
    report = caught.value.report
    assert report is not None
    expected = {(row["rule"], row["constraint"], row["focus"]): row["line"] for row in CASES[name]}
    found = {
        (r.rule, r.constraint.removesuffix("ConstraintComponent"), r.focus_node.removeprefix(ID)): str(r.line)
        for r in report.violations
    }
    assert found.keys() == expected.keys(), report.text()
    for key, line in expected.items():
        if line != "-":
            assert found[key] == line, f"{key} reported at line {found[key]}, expected {line}"
    for result in report.violations:
        assert result.message and result.file, result
        if result.file.endswith(name):
            assert result.line is not None
    assert ProjectLayout.at(small_project).current_build() == before
    assert sorted(ProjectLayout.at(small_project).builds.iterdir()) == builds


def test_a_syntax_error_names_file_line_and_column(small_project: Path) -> None:
    [row] = CASES["syntax-error.ttl"]
    before = ProjectLayout.at(small_project).current_build()
    broken = target(small_project, "syntax-error.ttl")
    shutil.copy(INVALID / "syntax-error.ttl", broken)
    try:
        with pytest.raises(ProjectError) as caught:
            load_project(ProjectLayout.at(small_project))
        with pytest.raises(BuildFailed, match=rf"syntax-error\.ttl:{row['line']}"):
            build(ProjectLayout.at(small_project))
    finally:
        broken.unlink()
    assert caught.value.path.name == "syntax-error.ttl"
    assert f"{caught.value.line}:{caught.value.column}" == row["line"]
    assert ProjectLayout.at(small_project).current_build() == before


def shapes_graph() -> rdflib.Graph:
    return load_shapes(REPO / "shapes")


def test_every_shape_says_what_and_why() -> None:
    shapes = shapes_graph()
    named = {s for s in shapes.subjects(RDF.type, SH.NodeShape)} | {
        s for s in shapes.subjects(RDF.type, SH.PropertyShape)
    }
    named |= set(shapes.subjects(RDF.type, SH.SPARQLConstraint))
    assert len(named) > 80
    for shape in named:
        assert isinstance(shape, rdflib.URIRef), f"anonymous shape {shape}"
        assert shapes.value(shape, RDFS.label) is not None, f"{shape} has no rdfs:label"
        assert shapes.value(shape, RDFS.comment) is not None, f"{shape} has no rdfs:comment"
    for shape in shapes.subjects(SH.path, None):
        if isinstance(shape, rdflib.URIRef):
            assert shapes.value(shape, SH.message) is not None, f"{shape} has no sh:message"


def test_shape_files_have_sorted_prefixes() -> None:
    for path in sorted((REPO / "shapes").glob("*.ttl")):
        prefixes = re.findall(r"^@prefix (\w*):", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert prefixes == sorted(prefixes), path.name


def test_every_class_and_property_the_data_uses_has_a_shape() -> None:
    """A new term in the data needs a shape (closed shapes would refuse it anyway)."""
    shapes = shapes_graph()
    parsed = load_project(ProjectLayout.at(REPO))
    data = {q.predicate.value for q in parsed.quads_in("data") + parsed.quads_in("mapping")}
    classes = {q.object.value for q in parsed.quads_in("data") if q.predicate.value == str(RDF.type)}
    paths = {str(p) for p in shapes.objects(None, SH.path) if isinstance(p, rdflib.URIRef)}
    paths |= {str(p) for p in shapes.objects(None, SH.inversePath)}
    ignored = {str(RDF.type), str(RDFS.label)}
    assert data - paths - ignored == set()
    ontology = rdflib.Graph()
    ontology.parse(REPO / "ontology" / "sdkg.ttl")
    targeted = {str(c) for c in shapes.objects(None, SH.targetClass)}
    for cls in classes:
        ancestors = {str(a) for a in ontology.transitive_objects(rdflib.URIRef(cls), RDFS.subClassOf)}
        assert ancestors & targeted, f"no shape targets {cls} or a superclass"


def test_docs_shapes_md_is_up_to_date() -> None:
    assert (REPO / "docs" / "shapes.md").read_text(encoding="utf-8") == shapes_markdown(REPO / "shapes"), (
        "docs/shapes.md is stale: run `python -m sdkg.shapes_doc > docs/shapes.md`"
    )
