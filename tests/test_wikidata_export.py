"""``sdkg wikidata export`` and ``sdkg release``: the Mix'n'match catalogue and the QuickStatements batch,
checked against the formats the tools read (cited in data/mappings/README.md):

- Mix'n'match's importer (``magnusmanske/mixnmatch_rs:src/update_catalog.rs``): a header row of known
  labels (``id`` and ``name`` required; ``desc``, ``url``, ``type``, ``born``, ``died``, ``P<n>``,
  ``A<lang>``, ``D<lang>``), a ``type`` that is a QID (``^(Q\\d+)$``), tab-separated rows;
- QuickStatements' V1 commands (its ``importDataFromV1`` and ``parseValueV1``): ``Q<n> TAB P<n> TAB value``
  then ``S<n> TAB value`` pairs for one reference; a string in double quotes; a time
  ``+YYYY-MM-DDT00:00:00Z/11`` (precision 11, the day).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildResult
from sdkg.builds import open_store
from sdkg.cli import main
from sdkg.layout import ProjectLayout
from sdkg.stats import linkage
from sdkg.wikidata import (
    MIXNMATCH_FILE,
    QUICKSTATEMENTS_FILE,
    QUICKSTATEMENTS_PROPERTIES,
    read_mappings,
    write_exports,
)
from tests.conftest import REPO

ID = "https://w3id.org/sdkg/id/"
MIXNMATCH_LABEL = re.compile(r"^(id|name|desc|url|type|born|died|P\d+|A[a-z]+|D[a-z]+)$")
QID = re.compile(r"^Q[1-9][0-9]*$")
STRING = re.compile(r'^"[^"\t]*"$')
DAY = re.compile(r"^\+\d{4}-\d\d-\d\dT00:00:00Z/11$")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    assert main(["--root", str(REPO), "wikidata", "export", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def store(built: BuildResult) -> ox.Store:
    return open_store(built.path)


def catalogue(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    header = rows[0]
    assert all(MIXNMATCH_LABEL.match(label) for label in header), header
    assert {"id", "name"} <= set(header) and len(set(header)) == len(header)
    assert all(len(row) == len(header) for row in rows[1:])
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_the_catalogue_lists_every_linkable_entity_in_mixnmatch_format(exported: Path, store: ox.Store) -> None:
    entries = catalogue(exported / MIXNMATCH_FILE)
    assert list(entries[0]) == ["id", "name", "desc", "type", "url"]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    linkable = {iri[len(ID) :] for iri, entity in linkage(store).items() if entity.linkable}
    assert set(ids) == linkable
    assert "actor/young-unemployed-men" not in ids and "actor/mary-kaldor" in ids
    for entry in entries:
        assert entry["name"] and entry["url"] == ID + entry["id"], entry
        assert entry["type"] == "" or QID.match(entry["type"]), entry
        assert "\t" not in "".join(entry.values()) and "\n" not in "".join(entry.values())
    by_id = {e["id"]: e for e in entries}
    assert by_id["actor/mary-kaldor"]["type"] == "Q5"  # sdkg:Person skos:exactMatch wd:Q5 in the ontology
    assert by_id["actor/united-kingdom"]["type"] == "Q3624078"  # sdkg:State skos:closeMatch wd:Q3624078
    assert by_id["concept/human-security"]["type"] == ""  # sdkg:Concept has no Wikidata item
    assert by_id["actor/mary-kaldor"]["desc"].startswith("Person. Named in ")


def test_the_batch_states_the_verified_exact_matches_in_quickstatements_v1(exported: Path) -> None:
    lines = (exported / QUICKSTATEMENTS_FILE).read_text(encoding="utf-8").splitlines()
    commands = set()
    for line in lines:
        cells = line.split("\t")
        assert QID.match(cells[0]) and len(cells) % 2 == 1, line
        pairs = list(zip(cells[1::2], cells[2::2], strict=True))
        assert pairs[0][0].startswith("P") and all(key.startswith("S") for key, _ in pairs[1:]), line
        for key, value in pairs:
            assert "P" + key[1:] in QUICKSTATEMENTS_PROPERTIES, (key, line)
            assert STRING.match(value) or DAY.match(value), (value, line)
        assert [key for key, _ in pairs] == ["P973", "S854", "S813"]
        url = pairs[0][1].strip('"')
        assert url.startswith(ID) and pairs[1][1] == pairs[0][1]
        commands.add((cells[0], url))
    verified = {
        (r.qid, r.subject_iri)
        for r in read_mappings(ProjectLayout.at(REPO))
        if r.status == "accepted" and r.verdict == "verified" and r.predicate_id == "skos:exactMatch"
    }
    assert commands == verified and len(lines) == len(verified)
    closes = {r.subject_iri for r in read_mappings(ProjectLayout.at(REPO)) if r.predicate_id != "skos:exactMatch"}
    assert not {url for _q, url in commands} & closes  # close and broad matches are not "described at"


def test_the_batch_uses_only_properties_the_mapping_readme_verifies() -> None:
    readme = (REPO / "data" / "mappings" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Wikidata properties for the QuickStatements export", 1)[1].split("\n## ", 1)[0]
    verified = set(re.findall(r"^\| (P\d+) \|", section, re.MULTILINE))
    assert set(QUICKSTATEMENTS_PROPERTIES) <= verified


def test_the_release_regenerates_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / MIXNMATCH_FILE).write_text("stale\n", encoding="utf-8")
    assert main(["--root", str(REPO), "release", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert str(tmp_path / MIXNMATCH_FILE) in printed and str(tmp_path / QUICKSTATEMENTS_FILE) in printed
    assert (tmp_path / MIXNMATCH_FILE).read_text(encoding="utf-8").startswith("id\tname\tdesc\ttype\turl\n")
    assert (tmp_path / QUICKSTATEMENTS_FILE).stat().st_size > 0


def test_an_unlinkable_entity_leaves_the_catalogue(project_copy: Path, tmp_path: Path) -> None:
    """The catalogue follows the tables: a row marked not linkable takes its entity out."""
    table = project_copy / "data" / "mappings" / "common.sssom.tsv"
    text = table.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("sdkg_id:actor/tim-dunne\t"))
    cells = row.split("\t")
    cells[-1] = "not linkable: the project's own editors, an internal agent"
    table.write_text(text.replace(row, "\t".join(cells)), encoding="utf-8")
    mixnmatch, _batch = write_exports(ProjectLayout.at(project_copy), tmp_path)
    assert "actor/tim-dunne" not in {e["id"] for e in catalogue(mixnmatch)}
