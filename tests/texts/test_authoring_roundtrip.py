"""Round trip: each source's Turtle, converted to an authoring file and compiled back, gives the same triples.

Generic on purpose: it converts whatever source folders the repository holds (the data is
re-coded elsewhere), and the fixture project shows every feature of the format going round
(reported speech, statistics, several ascriptions, several passages, context for repeated
words, case premises, editorial links across texts).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.authoring.compile import Compiled
from sdkg.authoring.format import LINKS
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.namespaces import SDKG
from sdkg.project import load_project
from sdkg.texts.convert import units_of
from sdkg.texts.roundtrip import compare, round_trip
from tests.conftest import REPO

from .authoring_support import make_project


def test_every_source_of_the_repository_round_trips(require_sources: Path) -> None:
    project = load_project(ProjectLayout.at(REPO))
    units = units_of(project, REPO / "data")
    assert units, "no data folder encodes a source"
    for unit in units:
        result = round_trip(project, unit, REPO)
        assert result.holds, result.report()
        assert "https://w3id.org/sdkg/" not in result.text, "an authoring file holds no IRIs of ours"
        for old, new in result.renamed.items():  # the one allowed difference, reported
            print(f"{unit.folder.name}: passage {old} is {new} by the naming convention")


@pytest.fixture
def turtle_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture project with its authoring files compiled to Turtle files, as hand-written data would be."""
    root = make_project(tmp_path / "project", monkeypatch)
    loaded = load_project(ProjectLayout.at(root))
    editorial: list[ox.Triple] = []
    for compiled in loaded.authored.values():
        own = [
            ox.Triple(q.subject, q.predicate, q.object) for q in compiled.quads if q.graph_name.value == compiled.graph
        ]
        editorial += [
            ox.Triple(q.subject, q.predicate, q.object) for q in compiled.quads if q.graph_name.value != compiled.graph
        ]
        folder = compiled.path.parent
        ox.serialize(own, folder / f"{folder.name}.ttl", ox.RdfFormat.TURTLE)
        compiled.path.unlink()
    (root / "data" / "cross").mkdir()
    ox.serialize(editorial, root / "data" / "cross" / "editorial.ttl", ox.RdfFormat.TURTLE)
    return root


def test_every_feature_of_the_format_round_trips(turtle_project: Path) -> None:
    project = load_project(ProjectLayout.at(turtle_project))
    units = {unit.folder.name: unit for unit in units_of(project, turtle_project / "data")}
    assert set(units) == {"harbour-lights", "river-keeper"}
    texts = {}
    for name, unit in units.items():
        result = round_trip(project, unit, turtle_project)
        assert result.holds, result.report()
        texts[name] = result.text
    harbour, river = texts["harbour-lights"], texts["river-keeper"]
    for feature in ("statistic:", "ascriptions:", "holder: Eastmark Port Authority", "stance: rejects", "before:"):
        assert feature in harbour, feature
    assert "premise: closure of the northern harbour of Eastmark" in harbour
    assert "shows failure of: realist" in harbour
    assert "editorial: yes" in river and "supports: hl-people-on-the-harbour-board" in river
    assert "reporter: Lena Ostrova" in river


def test_a_changed_triple_is_a_difference(turtle_project: Path) -> None:
    """The comparison can fail: the data with one stance changed is not what the authoring file compiles to."""
    project = load_project(ProjectLayout.at(turtle_project))
    unit = next(u for u in units_of(project, turtle_project / "data") if u.folder.name == "river-keeper")
    result = round_trip(project, unit, turtle_project)
    assert result.holds
    stance = next(q for q in unit.quads if q.predicate.value.endswith("#stance"))
    changed = [q for q in unit.quads if q != stance]
    changed.append(ox.Quad(stance.subject, stance.predicate, ox.NamedNode(SDKG + "Rejects"), stance.graph_name))
    compiled = Compiled(turtle_project, "g", unit.source, unit.code, "river-interview.txt", quads=unit.quads)
    compare(result, changed, compiled)
    assert result.missing and result.extra and not result.holds
    assert "missing after compiling" in result.report()


def test_editorial_links_compile_into_the_editorial_graph(turtle_project: Path) -> None:
    project = load_project(ProjectLayout.at(turtle_project))
    unit = next(u for u in units_of(project, turtle_project / "data") if u.folder.name == "river-keeper")
    result = round_trip(project, unit, turtle_project)
    assert not result.misplaced
    assert any(q.graph_name.value == "https://w3id.org/sdkg/graph/data/cross/editorial" for q in unit.quads)
    assert LINKS.editorial_graph.endswith("/graph/editorial")


def test_sdkg_convert_writes_the_file_and_checks_it(
    turtle_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "river.sdkg.yaml"
    assert main(["--root", str(turtle_project), "convert", "data/river-keeper", "--check", "--out", str(out)]) == 0
    assert "river-keeper: the round trip holds" in capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# river-keeper: converted from river-keeper/") and "claims:" in text
    shutil.rmtree(turtle_project / "data" / "river-keeper")
    assert main(["--root", str(turtle_project), "convert", "data/river-keeper"]) == 2
