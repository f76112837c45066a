"""The rules run each in its own process over the build's store: a failing rule stops the build loudly,
names the rule and publishes nothing; the explanation check that the rules' rows flag finds what
the whole-graph query finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildFailed, build
from sdkg.build.rules import derive, rule_files, unexplained
from sdkg.layout import ProjectLayout
from sdkg.namespaces import INFERRED_GRAPH, SDKG
from sdkg.project import load_project
from tests.conftest import REPO

BARE = (
    "# Rule: bare (derives a property no other rule derives, with no explanation)\n"
    f"CONSTRUCT {{ ?a <{SDKG}bareCriticOf> ?d }} WHERE {{ ?c <{SDKG}criticisesDiscourse> ?d . "
    f"?x <{SDKG}ascribes> ?c ; <{SDKG}heldBy> ?a }}"
)

HALF = f"""# Rule: half (explains only the rows with a label)
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{
    ?a <{SDKG}halfCriticOf> ?d .
    ?e a <{SDKG}Explanation> ;
        <{SDKG}explainsSubject> ?a ; <{SDKG}explainsProperty> <{SDKG}halfCriticOf> ; <{SDKG}explainsObject> ?d .
}}
WHERE {{
    ?c <{SDKG}criticisesDiscourse> ?d . ?x <{SDKG}ascribes> ?c ; <{SDKG}heldBy> ?a .
    OPTIONAL {{ ?a rdfs:label ?label FILTER (CONTAINS(STR(?label), "Dunne")) }}
    BIND (IF(BOUND(?label), IRI(CONCAT(STR(?a), "/why/", MD5(STR(?d)))), ?unbound) AS ?e)
}}
"""


def project_with_rule(project_copy: Path, name: str, text: str) -> ProjectLayout:
    layout = ProjectLayout.at(project_copy)
    (layout.rules / name).write_text(text, encoding="utf-8")
    return layout


def assert_nothing_published(layout: ProjectLayout) -> None:
    assert layout.current_build() is None
    assert not layout.builds.exists() or list(layout.builds.iterdir()) == []


def test_a_rule_without_explanations_fails_the_build(project_copy: Path) -> None:
    layout = project_with_rule(project_copy, "zz-bare.rq", BARE)
    with pytest.raises(BuildFailed, match="without an sdkg:Explanation.*bareCriticOf"):
        build(layout)
    assert_nothing_published(layout)


def test_a_rule_that_fails_in_its_process_names_the_rule(project_copy: Path) -> None:
    """A rule that parses but fails as it runs (here: a SERVICE nobody answers) stops the build."""
    service = f"CONSTRUCT {{ ?s <{SDKG}criticOf> ?o }} WHERE {{ SERVICE <http://127.0.0.1:9/sparql> {{ ?s ?p ?o }} }}"
    layout = project_with_rule(project_copy, "broken.rq", f"# Rule: broken\n{service}\n")
    with pytest.raises(BuildFailed, match=r"rule broken\.rq failed in its own process \(exit status 1\): \w+"):
        build(layout)
    assert_nothing_published(layout)


def test_a_rule_that_is_not_sparql_names_its_file(project_copy: Path) -> None:
    layout = project_with_rule(project_copy, "garbled.rq", "# Rule: garbled\nCONSTRUCT { ?s ?p } WHERE {\n")
    with pytest.raises(SyntaxError, match="garbled.rq"):
        build(layout)
    assert_nothing_published(layout)


@pytest.mark.parametrize("extra", [None, BARE, HALF], ids=["rules", "bare", "half-explained"])
def test_flagged_rows_find_what_the_whole_graph_query_finds(extra: str | None, tmp_path: Path) -> None:
    """``derive`` looks up only the triples the rules' rows flagged; the answer is :func:`unexplained`'s,
    in memory and with each rule in its own process over an on-disk store."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "ontology" / "rules", rules)
    if extra is not None:
        (rules / "zz-extra.rq").write_text(extra, encoding="utf-8")
    memory = load_project(ProjectLayout.at(REPO)).store
    count, flagged = derive(memory, rules, limit=1000)
    everything = set(unexplained(memory, limit=1000))
    assert set(flagged) == everything
    assert (len(everything) > 0) == (extra is not None)
    on_disk = ox.Store(str(tmp_path / "store"))
    on_disk.bulk_extend(memory.quads_for_pattern(None, None, None, None))
    on_disk.remove_graph(ox.NamedNode(INFERRED_GRAPH))
    on_disk.flush()
    disk_count, disk_flagged = derive(on_disk, rules, store_path=tmp_path / "store", limit=1000)
    assert (disk_count, set(disk_flagged)) == (count, everything)
    inferred = ox.NamedNode(INFERRED_GRAPH)
    assert set(on_disk.quads_for_pattern(None, None, None, inferred)) == set(
        memory.quads_for_pattern(None, None, None, inferred)
    )
    assert len(rule_files(rules)) == len(rule_files(REPO / "ontology" / "rules")) + (extra is not None)
