"""The compiled SHACL engine finds what pyshacl (the W3C-compliant reference) finds.

Parity is the multiset of (severity, focus node, path, value, source shape, constraint
component) on the repository, the small test project and each broken file of
tests/invalid/. Blank focus nodes are compared by the IRI that points at them; values
by how the store writes them (it canonicalises ``"5"^^xsd:nonNegativeInteger`` to
``"5"^^xsd:integer``), which is also the one known difference: a plain integer offset.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import SH

from sdkg.checks.compiled import UnsupportedShape, compile_shapes
from sdkg.checks.compiled import validate_store as findings_of_store
from sdkg.checks.findings import report_graph
from sdkg.checks.reference import files_graph, pyshacl_report
from sdkg.checks.shapes import load_shapes
from sdkg.checks.terms import display_term, to_rdflib
from sdkg.layout import ProjectLayout
from sdkg.project import load_project
from tests.checks.test_shapes import CASES, INVALID, make_small_project, target
from tests.conftest import REPO

Key = tuple[object, ...]


def validate_store(store: ox.Store, shapes: rdflib.Graph, display: Callable[[rdflib.term.Node], str]) -> rdflib.Graph:
    """The compiled engine's report graph (its findings as `sdkg validate --format turtle` writes them)."""
    return report_graph(findings_of_store(store, shapes, display), shapes)


PASSAGE = "https://w3id.org/sdkg/id/passage/"


def canonical(term: rdflib.term.Node) -> rdflib.term.Node:
    """A literal as the store writes it."""
    if not isinstance(term, rdflib.Literal):
        return term
    if term.language:
        literal = ox.Literal(str(term), language=term.language)
    else:
        literal = ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or rdflib.XSD.string)))
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), literal, ox.NamedNode("urn:g")))
    return to_rdflib(next(iter(store)).object)


def results(report: rdflib.Graph, owner: Callable[[rdflib.BNode], str]) -> Counter[Key]:
    found: Counter[Key] = Counter()
    for node in report.subjects(SH.resultSeverity, None):

        def one(predicate: rdflib.URIRef, node: rdflib.term.Node = node) -> rdflib.term.Node | None:
            return next(iter(report.objects(node, predicate)), None)

        focus, path, value, shape = one(SH.focusNode), one(SH.resultPath), one(SH.value), one(SH.sourceShape)
        written: object = str(path) if path is not None else None
        if isinstance(path, rdflib.BNode):
            inverse = report.value(path, SH.inversePath)
            written = ("^", str(inverse)) if inverse is not None else tuple(map(str, Collection(report, path)))
        found[
            (
                one(SH.resultSeverity),
                owner(focus) if isinstance(focus, rdflib.BNode) else str(focus),
                written,
                "_:blank" if isinstance(value, rdflib.BNode) else canonical(value) if value is not None else None,
                shape if isinstance(shape, rdflib.URIRef) else "_:shape",
                one(SH.sourceConstraintComponent),
            )
        ] += 1
    return found


def both(root: Path) -> tuple[Counter[Key], Counter[Key]]:
    """(compiled, pyshacl) results on the same files."""
    project = load_project(ProjectLayout.at(root))
    store = project.store
    ours = validate_store(store, load_shapes(root / "shapes"), display_term)
    data = files_graph(project.files)
    theirs = pyshacl_report(data, load_shapes(root / "shapes"))  # pyshacl, as `sdkg validate --engine pyshacl`

    def store_owner(node: rdflib.BNode) -> str:
        use = next(store.quads_for_pattern(None, None, ox.BlankNode(str(node)), None))
        return str(getattr(use.subject, "value", use.subject))

    def graph_owner(node: rdflib.BNode) -> str:
        return str(next(iter(data.subjects(None, node))))

    return results(ours, store_owner), results(theirs, graph_owner)


@pytest.fixture(scope="module")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_project(tmp_path_factory.mktemp("compiled") / "project")


@pytest.fixture
def broken_root(small_root: Path) -> Iterator[Callable[[str], Path]]:
    added: list[Path] = []

    def add(name: str) -> Path:
        added.append(target(small_root, name))
        shutil.copy(INVALID / name, added[-1])
        return small_root

    yield add
    for path in added:
        path.unlink()


def test_the_small_project_matches_pyshacl(small_root: Path) -> None:
    ours, theirs = both(small_root)
    assert ours == theirs
    assert ours, "the small project has warnings (actors without Wikidata links), so parity is not vacuous"


@pytest.mark.parametrize("name", ["claim-without-ascription.ttl", "support-and-attack.ttl", "passage-one-selector.ttl"])
def test_a_few_broken_files_match_pyshacl(broken_root: Callable[[str], Path], name: str) -> None:
    ours, theirs = both(broken_root(name))
    assert ours == theirs
    assert any(key[0] == SH.Violation for key in ours)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][0]["rule"] != "parse"))
def test_every_broken_file_matches_pyshacl(broken_root: Callable[[str], Path], name: str) -> None:
    ours, theirs = both(broken_root(name))
    checked_by_shapes = any(not row["rule"].startswith("sdkg:") for row in CASES[name])
    assert any(key[0] == SH.Violation for key in theirs) or not checked_by_shapes
    assert ours == theirs


@pytest.mark.slow
def test_the_repository_matches_pyshacl() -> None:
    ours, theirs = both(REPO)
    assert ours == theirs


# --- unit tests on tiny graphs ------------------------------------------------------------

PREFIXES = """@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def shapes_of(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + text, format="turtle")


def store_of(text: str) -> ox.Store:
    store = ox.Store()
    store.load(input=(PREFIXES + text).encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:graph"))
    return store


def values_of(report: rdflib.Graph) -> set[tuple[str, str]]:
    return {
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.sourceConstraintComponent)).split("#")[1])
        for r in report.subjects(SH.resultSeverity, None)
    }


def test_an_unsupported_feature_names_the_shape_and_the_feature() -> None:
    shapes = shapes_of(
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P . ex:P sh:path ex:p ; sh:uniqueLang true ."
    )
    with pytest.raises(UnsupportedShape, match=r"http://example.org/P.*uniqueLang") as caught:
        validate_store(store_of(""), shapes, str)
    assert isinstance(caught.value, ValueError)
    shapes = shapes_of('ex:S sh:targetClass ex:C ; sh:sparql [ sh:select "SELECT $this WHERE { $this $PATH ?v }" ] .')
    with pytest.raises(UnsupportedShape, match=r"\$PATH"):
        compile_shapes(shapes)
    with pytest.raises(UnsupportedShape, match="recursive"):
        compile_shapes(shapes_of("ex:S sh:targetClass ex:C ; sh:node ex:T . ex:T sh:not ex:S ."))


def test_non_negative_integers_as_the_store_keeps_them() -> None:
    shapes = shapes_of(
        "ex:S sh:targetSubjectsOf ex:start ; sh:property [ sh:path ex:start ; sh:datatype xsd:nonNegativeInteger ] ."
    )
    data = """ex:good ex:start "12"^^xsd:nonNegativeInteger .
        ex:zero ex:start "0"^^xsd:nonNegativeInteger .
        ex:negative ex:start "-3"^^xsd:nonNegativeInteger .
        ex:word ex:start "twelve"^^xsd:nonNegativeInteger .
        ex:decimal ex:start 1.5 .
        ex:text ex:start "12" .
        ex:plain ex:start 12 ."""
    report = validate_store(store_of(data), shapes, str)
    failing = {
        focus.rsplit("/", 1)[1] for focus, component in values_of(report) if component == "DatatypeConstraintComponent"
    }
    # ``12`` is xsd:integer as written; the store keeps both as xsd:integer, so it is judged by value
    # (pyshacl on the file would report it: the one place where the engines differ).
    assert failing == {"negative", "word", "decimal", "text"}
    assert (None, SH.conforms, rdflib.Literal(False)) in report


def test_messages_paths_and_blank_nodes_in_the_report() -> None:
    shapes = shapes_of(
        """ex:S sh:targetClass ex:C ;
            sh:property [ sh:path [ sh:inversePath ex:points ] ; sh:minCount 1 ; sh:severity sh:Warning ] ;
            sh:property [ sh:path ex:label ; sh:minCount 1 ; sh:message "Needs a label." ] ;
            sh:sparql ex:NoSelf .
        ex:NoSelf sh:message "{$this} links to itself via {?value}, unbound {?nothing}." ;
            sh:select "SELECT $this ?value WHERE { $this <http://example.org/link> ?value FILTER (?value = $this) }" .
        ex:B sh:targetClass ex:Selector ; sh:property [ sh:path ex:at ; sh:datatype xsd:integer ] ."""
    )
    data = """ex:a a ex:C ; ex:link ex:a .
        ex:b a ex:C ; ex:label "b" .
        ex:x ex:points ex:b ; ex:has [ a ex:Selector ; ex:at "no" ] ."""
    store = store_of(data)
    report = validate_store(store, shapes, lambda term: f"<{term}>")
    assert len(list(report.subjects(rdflib.RDF.type, SH.ValidationReport))) == 1
    by_component: dict[str, list[rdflib.term.Node]] = {}
    for node in report.subjects(SH.resultSeverity, None):
        by_component.setdefault(str(report.value(node, SH.sourceConstraintComponent)).split("#")[1], []).append(node)
    messages = {str(report.value(r, SH.resultMessage)) for r in by_component["MinCountConstraintComponent"]}
    assert "Needs a label." in messages
    assert any("Less than 1 values on <http://example.org/a>" in m for m in messages)
    [inverse] = [
        r for r in by_component["MinCountConstraintComponent"] if report.value(r, SH.resultSeverity) == SH.Warning
    ]
    path = report.value(inverse, SH.resultPath)
    assert isinstance(path, rdflib.BNode) and report.value(path, SH.inversePath) == rdflib.URIRef(
        "http://example.org/points"
    )
    [sparql] = by_component["SPARQLConstraintComponent"]
    assert str(report.value(sparql, SH.resultMessage)) == (
        "<http://example.org/a> links to itself via <http://example.org/a>, unbound ?."
    )
    assert report.value(sparql, SH.sourceConstraint) == rdflib.URIRef("http://example.org/NoSelf")
    assert report.value(sparql, SH.sourceShape) == rdflib.URIRef("http://example.org/S")
    [datatype] = by_component["DatatypeConstraintComponent"]
    selector = report.value(datatype, SH.focusNode)
    assert isinstance(selector, rdflib.BNode)
    owner = next(store.quads_for_pattern(None, None, ox.BlankNode(str(selector)), None)).subject
    assert owner == ox.NamedNode("http://example.org/x")
    assert "datatype" in str(report.value(datatype, SH.resultMessage))


def test_deactivated_shapes_and_target_nodes() -> None:
    shapes = shapes_of(
        """ex:On sh:targetNode ex:a, ex:b ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
        ex:Off sh:targetNode ex:a ; sh:deactivated true ; sh:property [ sh:path ex:q ; sh:minCount 1 ] ."""
    )
    report = validate_store(store_of("ex:a ex:p 1 ."), shapes, str)
    assert values_of(report) == {("http://example.org/b", "MinCountConstraintComponent")}
