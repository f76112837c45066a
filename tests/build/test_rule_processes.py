"""The rules run each in its own process over the build's store: a failing rule stops the build loudly,
names the rule and publishes nothing; the explanation check that the rules' rows flag finds what
the whole-graph query finds."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build import BuildFailed, build
from sdkg.build.rules import derive, rule_files, streamed, unexplained
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


def test_a_derived_triple_a_file_states_is_not_inferred(tmp_path: Path) -> None:
    """A triple another graph states is not derived: the rows' lookups (:class:`rules.Asserted`) leave out what
    the ``DELETE`` after a whole-engine run leaves out, in memory and in the rules' own processes."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "ontology" / "rules", rules)
    inferred = ox.NamedNode(INFERRED_GRAPH)
    first = load_project(ProjectLayout.at(REPO)).store
    derive(first, rules)
    explanation = ox.NamedNode(SDKG + "Explanation")
    derived = next(q for q in first.quads_for_pattern(None, ox.NamedNode(SDKG + "criticOf"), None, inferred))
    kind = next(q for q in first.quads_for_pattern(None, None, explanation, inferred))
    stated = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("https://example.org/graph/stated"))
        for q in (derived, kind)
    ]

    def with_stated() -> ox.Store:
        store = load_project(ProjectLayout.at(REPO)).store
        store.bulk_extend(stated)
        store.remove_graph(inferred)
        return store

    memory = with_stated()
    count, _ = derive(memory, rules)
    on_disk = ox.Store(str(tmp_path / "store"))
    on_disk.bulk_extend(with_stated().quads_for_pattern(None, None, None, None))
    on_disk.flush()
    disk_count, _ = derive(on_disk, rules, store_path=tmp_path / "store")
    whole = with_stated()  # the rules run whole by the engine (a CONSTRUCT each), then the DELETE
    whole_rules = tmp_path / "whole"
    whole_rules.mkdir()
    for path in rule_files(rules):
        text = re.sub(r"^CONSTRUCT", " CONSTRUCT", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
        assert streamed(text) is None
        (whole_rules / path.name).write_text(text, encoding="utf-8")
    whole_count, _ = derive(whole, whole_rules)
    graphs = [set(s.quads_for_pattern(None, None, None, inferred)) for s in (memory, on_disk, whole)]
    assert graphs[0] == graphs[1] == graphs[2]
    assert count == disk_count == whole_count == len(list(first.quads_for_pattern(None, None, None, inferred))) - 2
    for quad in (derived, kind):
        assert not any(memory.quads_for_pattern(quad.subject, quad.predicate, quad.object, inferred))
