"""The build: the repo's data builds and validates; broken input is refused and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildFailed, BuildResult, build
from sdkg.builds import open_store
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.project import ProjectError, discover, files_for_paths, load_files, load_project
from tests.conftest import REPO

BROKEN_CLAIM = """@prefix claim: <https://w3id.org/sdkg/id/claim/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sdkg: <https://w3id.org/sdkg/ontology#> .

claim:orphan a sdkg:Claim ;
    rdfs:label "A claim with no ascription"@en ;
    sdkg:paraphrase "Nobody reports this."@en .
"""


def test_repository_builds_and_validates(built: BuildResult) -> None:
    assert built.report is not None
    assert built.report.conforms, built.report.text()
    assert built.triples > 500
    store = open_store(built.path)
    graphs = {g.value for g in store.named_graphs()}
    assert "https://w3id.org/sdkg/graph/ontology/sdkg" in graphs
    assert "https://w3id.org/sdkg/graph/data/common/sources" in graphs


def test_each_file_in_its_own_named_graph(built: BuildResult) -> None:
    store = open_store(built.path)
    graph = ox.NamedNode("https://w3id.org/sdkg/graph/data/common/sources")
    kaldor = ox.NamedNode("https://w3id.org/sdkg/id/actor/mary-kaldor")
    assert list(store.quads_for_pattern(kaldor, None, None, graph))
    # the default graph is the union of all graphs
    ask = store.query(f"ASK {{ <{kaldor.value}> a ?t }}", use_default_graph_as_union=True)
    assert bool(ask)


def test_broken_data_is_refused_naming_file_and_node(project_copy: Path) -> None:
    first = build(ProjectLayout.at(project_copy))
    before = ProjectLayout.at(project_copy).current_build()
    assert before == first.path.resolve()
    broken = project_copy / "data" / "broken.ttl"
    broken.write_text(BROKEN_CLAIM, encoding="utf-8")
    with pytest.raises(BuildFailed) as caught:
        build(ProjectLayout.at(project_copy))
    report = caught.value.report
    assert report is not None
    [violation] = [v for v in report.violations if v.focus_node.endswith("/claim/orphan")]
    assert violation.file is not None and violation.file.endswith("data/broken.ttl")
    assert violation.line == 5
    assert "ascription" in violation.message
    assert ProjectLayout.at(project_copy).current_build() == before
    assert len(list(ProjectLayout.at(project_copy).builds.iterdir())) == 1


def test_syntax_error_names_file_line_and_column(project_copy: Path) -> None:
    build(ProjectLayout.at(project_copy))
    before = ProjectLayout.at(project_copy).current_build()
    (project_copy / "data" / "typo.ttl").write_text('@prefix a: <http://a/> .\na:b a:c "open ;\n', encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        load_project(ProjectLayout.at(project_copy))
    assert caught.value.path.name == "typo.ttl"
    assert caught.value.line == 2
    assert caught.value.column is not None
    with pytest.raises(BuildFailed, match=r"typo\.ttl:2"):
        build(ProjectLayout.at(project_copy))
    assert ProjectLayout.at(project_copy).current_build() == before


LOAD_A_BROKEN_PROJECT = """
import sys
from pathlib import Path
from sdkg.layout import ProjectLayout
from sdkg.project import ProjectError, load_project
def load() -> None:
    try:
        load_project(ProjectLayout.at(Path(sys.argv[1])))
    except ProjectError:
        pass
for _ in range(200):
    load()
"""


def test_a_broken_file_beside_a_mapping_table_never_hangs_the_load(project_copy: Path) -> None:
    """The parallel load once ran an SSSOM table's bulk_extend beside the bulk_loads; after a
    parse error that could deadlock holding the GIL (a CI run hung; 200 loads hit it about one
    run in two), so the loads run in a child process with a time limit."""
    assert any(file.kind == "mapping" for file in discover(ProjectLayout.at(project_copy)))
    (project_copy / "data" / "typo.ttl").write_text('@prefix a: <http://a/> .\na:b a:c "open ;\n', encoding="utf-8")
    child = subprocess.run(
        [sys.executable, "-c", LOAD_A_BROKEN_PROJECT, str(project_copy)], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, child.stderr


def test_cli_build_failure_exit_code_and_message(project_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(project_copy), "build"]) == 0
    (project_copy / "data" / "broken.ttl").write_text(BROKEN_CLAIM, encoding="utf-8")
    assert main(["--root", str(project_copy), "build"]) == 1
    captured = capsys.readouterr()
    assert "broken.ttl:5" in captured.out
    assert "claim/orphan" in captured.out
    assert "published store is unchanged" in captured.err
    assert main(["--root", str(project_copy), "validate"]) == 1


def test_cli_query_and_stats(project_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(project_copy), "build"]) == 0
    capsys.readouterr()
    query = (
        "SELECT ?name WHERE { <https://w3id.org/sdkg/id/actor/mary-kaldor> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?name }"
    )
    assert main(["--root", str(project_copy), "query", query, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["name", "Mary Kaldor"]
    assert main(["--root", str(project_copy), "query", "SELEC nonsense"]) == 2
    assert main(["--root", str(project_copy), "stats"]) == 0
    out = capsys.readouterr().out
    assert "sdkg:Person" in out and "source/kaldor-cosmopolitan-rejoinder" in out


def test_cli_acts_on_root_not_cwd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "validate"]) == 2
    assert "not an SDKG project" in capsys.readouterr().err


def test_catalog_is_queryable_in_its_own_graph(built: BuildResult) -> None:
    """The query catalog is in the store as sh:SPARQLExecutables, so agents can discover it by SPARQL."""
    store = open_store(built.path)
    query = """
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?q ?title ?prefix WHERE {
          GRAPH <https://w3id.org/sdkg/graph/catalog> {
            ?q a sh:SPARQLSelectExecutable ; rdfs:label ?title ; sh:select ?text ;
               sh:prefixes/sh:declare/sh:prefix ?prefix .
          }
        }"""
    solutions = store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    rows = {(r["q"].value, r["prefix"].value) for r in solutions}
    names = {q.rsplit("/", 1)[-1] for q, _ in rows}
    expected = {p.stem for p in (REPO / "queries").glob("*.rq")}
    assert "statistics" in names and names <= expected and len(names) >= 30
    assert ("https://w3id.org/sdkg/catalog/statistics", "sdkg") in rows


def test_blank_node_labels_are_local_to_their_file(tmp_path: Path) -> None:
    """Two files that both say ``_:b`` describe two different nodes, as RDF requires."""
    for name in ("one", "two"):
        (tmp_path / f"{name}.ttl").write_text(f'_:b <http://example.org/name> "{name}" .\n', encoding="utf-8")
    project = load_files(files_for_paths(tmp_path, [tmp_path / "one.ttl", tmp_path / "two.ttl"]))
    subjects = {q.subject for q in project.store}
    assert len(subjects) == 2


def test_a_broken_file_among_many_stops_the_load_with_its_name(tmp_path: Path) -> None:
    """Files wait for a loading thread; a broken one cancels the rest and is the error raised."""
    paths = [tmp_path / f"f{i}.ttl" for i in range(8)]
    paths[0].write_text("<https://w3id.org/sdkg/id/a> <https://w3id.org/sdkg/id/p> .\n", encoding="utf-8")
    for path in paths[1:]:
        path.write_text("<https://w3id.org/sdkg/id/a> <https://w3id.org/sdkg/id/p> <https://w3id.org/sdkg/id/b> .\n")
    with pytest.raises(ProjectError) as raised:
        load_files(files_for_paths(tmp_path, paths))
    assert "f0.ttl" in str(raised.value)
