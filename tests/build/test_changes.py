"""The admin change pipeline (sdkg.build.changes) on its own, without HTTP: a change makes a new build from
the served one, validated and sealed like `sdkg build`, or nothing at all. The HTTP suite is
tests/web/test_safety.py (admin writes) and the W3C protocol tests."""

from __future__ import annotations

import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from sdkg.build.changes import (
    ChangeRefused,
    ChangeTooLarge,
    InvalidChange,
    NoSuchGraph,
    commit,
    drop_graph,
    replace_graph,
    sparql_update,
    too_large,
)
from sdkg.build.publish import publish
from sdkg.builds import BuildInfo, open_store
from sdkg.layout import ProjectLayout
from sdkg.namespaces import INFERRED_GRAPH
from sdkg.sparql.sandbox import child_environment
from sdkg.web.errors import as_http
from tests.endpoint_support import EX, RDF_TYPE, RDFS_LABEL, make_store, people

SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/shape/Person> a sh:NodeShape ;
    sh:targetClass <http://example.org/Person> ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "a person needs a label" ] .
"""
RULE = """# derives: every person is an agent, with the explanation every derived triple carries
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
CONSTRUCT {
    ?p a <http://example.org/Agent> .
    ?why a sdkg:Explanation ; sdkg:explainsSubject ?p ;
        sdkg:explainsProperty <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ;
        sdkg:explainsObject <http://example.org/Agent> .
} WHERE { ?p a <http://example.org/Person> BIND (IRI(CONCAT(STR(?p), "/why-agent")) AS ?why) }
"""
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"


@pytest.fixture
def layout(tmp_path: Path) -> ProjectLayout:
    """A project with one shape and one rule, whose state directory holds one build of three people."""
    root = tmp_path / "project"
    (root / "shapes").mkdir(parents=True)
    (root / "shapes" / "people.ttl").write_text(SHAPES, encoding="utf-8")
    (root / "ontology" / "rules").mkdir(parents=True)
    (root / "ontology" / "rules" / "agents.rq").write_text(RULE, encoding="utf-8")
    layout = ProjectLayout(root, root / "ontology", root / "ontology" / "rules", root / "data", root / "shapes",
                           root / "queries", tmp_path / "state")  # fmt: skip
    make_store(layout.state, people(3))
    return layout


def served(layout: ProjectLayout) -> Path:
    return layout.builds / "test-build-1" / "store"


def builds(layout: ProjectLayout) -> list[str]:
    return sorted(p.name for p in layout.builds.iterdir())


def test_a_valid_change_is_a_new_sealed_build_with_its_rules_applied(layout: ProjectLayout) -> None:
    update = f'INSERT DATA {{ GRAPH <{EX}graph/people> {{ <{EX}person/new> a <{EX}Person> ; {LABEL} "New" }} }}'
    new_store = commit(served(layout), sparql_update(update), layout)
    info = BuildInfo.read(new_store.parent)
    assert info is not None and info.changed_from == "test-build-1" and info.validated
    # four derived types, each with its explanation node of four triples
    assert info.inferred == 4 + 4 * 4 and info.graphs[:2] == (f"{EX}graph/docs", f"{EX}graph/people")
    store = open_store(new_store.parent)
    assert info.triples == len(store)
    agent = ox.Quad(ox.NamedNode(f"{EX}person/new"), RDF_TYPE, ox.NamedNode(f"{EX}Agent"), ox.NamedNode(INFERRED_GRAPH))
    assert agent in store  # the rules ran on the changed data
    assert len(open_store(served(layout).parent)) == 3 * 2 + 1  # the served build is untouched
    assert layout.current_build() is None  # it was not the published build, so nothing was published


def test_the_change_is_published_when_it_changes_the_published_build(layout: ProjectLayout) -> None:
    publish(layout, served(layout).parent)
    new_store = commit(served(layout), drop_graph(ox.NamedNode(f"{EX}graph/docs")), layout)
    assert layout.current_build() == new_store.parent.resolve()


def test_a_change_that_violates_the_shapes_changes_nothing(layout: ProjectLayout) -> None:
    unlabelled = [ox.Triple(ox.NamedNode(f"{EX}person/x"), RDF_TYPE, ox.NamedNode(f"{EX}Person"))]
    before = builds(layout)
    with pytest.raises(ChangeRefused) as caught:
        commit(served(layout), replace_graph(ox.NamedNode(f"{EX}graph/extra"), unlabelled, keep=False), layout)
    assert not caught.value.report.conforms
    assert [r.message for r in caught.value.report.violations] == ["a person needs a label"]
    assert builds(layout) == before


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (sparql_update("INSERT DATA { <a> }"), InvalidChange, "malformed update"),
        (drop_graph(ox.NamedNode(f"{EX}graph/none")), NoSuchGraph, "no graph"),
    ],
)
def test_a_change_that_cannot_be_made_changes_nothing(
    layout: ProjectLayout, change: object, error: type[Exception], message: str
) -> None:
    before = builds(layout)
    with pytest.raises(error, match=message):
        commit(served(layout), change, layout)  # type: ignore[arg-type]
    assert builds(layout) == before


def test_without_a_project_the_change_is_sealed_beside_the_served_build(tmp_path: Path) -> None:
    store = make_store(tmp_path / "state", people(2))
    labelled = [ox.Triple(ox.NamedNode(f"{EX}a"), RDFS_LABEL, ox.Literal("A"))]
    new_store = commit(store, replace_graph(None, labelled, keep=True), None)
    assert new_store.parent.parent == store.parent.parent
    info = BuildInfo.read(new_store.parent)
    assert info is not None and not info.validated and info.inferred == 0


def test_a_change_past_its_memory_cap_is_507_wherever_it_runs_out(layout: ProjectLayout) -> None:
    """In the child's Python (``MemoryError``) or in the store's allocator (an abort, seen by the server): one
    error, :class:`ChangeTooLarge`, answered 507, and nothing changed."""
    before = builds(layout)
    payload = pickle.dumps((served(layout), sparql_update(f'INSERT DATA {{ <{EX}a> {LABEL} "A" }}'), layout, 1))
    child = subprocess.run(
        [sys.executable, "-c", "from sdkg.build.changes import main; main()"],
        input=payload,
        capture_output=True,
        env=child_environment(),
        timeout=120,
    )
    if child.stdout:  # the child's own MemoryError
        tag, error = pickle.loads(child.stdout)
        assert tag == "error" and isinstance(error, ChangeTooLarge), error
    else:  # the allocator's abort: the server reads the signal and raises the same error (web/writes.py)
        assert child.returncode == -signal.SIGABRT, child.stderr[-500:]
        error = ChangeTooLarge(too_large(1))
    assert as_http(error).status == 507 and "1 MB a change may use" in str(error)
    assert builds(layout) == before
