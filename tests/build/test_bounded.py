"""The on-disk build gives the report and the inferred graph of the in-memory reference.

``sdkg build`` validates and applies the rules on the new build's on-disk store, with the
rules' triples streamed through files (bounded memory). The reference is what the build did
before: every file loaded into an in-memory store, the same validation there, and each rule's
CONSTRUCT collected in Python, less what another graph states. The two must agree exactly, on
the repository's data, on every broken file of ``tests/invalid/`` and on a small synthetic
corpus (with broken quotes and a broken claim added, so that the comparison is not only of
empty reports).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.buildrun import reference
from bench.synthetic import generate
from sdkg.build import BuildFailed, build
from sdkg.build.rules import load_in_chunks, run_rule, streamed
from sdkg.builds import open_store
from sdkg.checks import Report, Result
from sdkg.layout import ProjectLayout
from sdkg.namespaces import INFERRED_GRAPH
from tests.build.test_build import BROKEN_CLAIM
from tests.checks.test_shapes import CASES, INVALID, make_small_project, target
from tests.conftest import copy_project

INFERRED = ox.NamedNode(INFERRED_GRAPH)


def built_report_and_inferred(root: Path) -> tuple[Report, set[ox.Triple] | None]:
    """The on-disk build's report, and its inferred graph when the build went through."""
    try:
        result = build(ProjectLayout.at(root), publish=False)
    except BuildFailed as failed:
        assert failed.report is not None, str(failed)
        return failed.report, None
    assert result.report is not None
    store = open_store(result.path)
    inferred = {
        ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, INFERRED)
    }
    return result.report, inferred


BLANK_PATH = re.compile(r"^N[0-9a-f]{32}$")


def comparable(report: Report) -> list[Result]:
    """The results, every field, in the report's order; a path written as a blank node (rdflib names
    those afresh for each shapes graph it reads) as ``_:path``."""
    return [replace(r, path="_:path") if r.path and BLANK_PATH.match(r.path) else r for r in report.results]


def assert_same_as_reference(root: Path) -> tuple[Report, set[ox.Triple] | None]:
    report, inferred = built_report_and_inferred(root)
    expected_report, expected_inferred, _ = reference(root)
    assert comparable(report) == comparable(expected_report)
    if inferred is not None:
        assert inferred == expected_inferred
    return report, inferred


@pytest.fixture
def private_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SDKG_STATE", raising=False)


def test_the_repository(tmp_path: Path, private_state: None) -> None:
    report, inferred = assert_same_as_reference(copy_project(tmp_path / "project"))
    assert report.conforms, report.text()
    assert inferred, "the repository's rules derive triples, so the comparison is not vacuous"


@pytest.fixture(scope="module")
def small_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SDKG_STATE", raising=False)
        patch.setenv("SDKG_SOURCES", str(INVALID / "base" / "texts"))
        yield make_small_project(tmp_path_factory.mktemp("bounded") / "project")


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][0]["rule"] != "parse"))
def test_each_broken_file(small_root: Path, name: str) -> None:
    broken = target(small_root, name)
    shutil.copy(INVALID / name, broken)
    try:
        report, _ = assert_same_as_reference(small_root)
    finally:
        broken.unlink()
    assert report.violations


@pytest.fixture(scope="module")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = generate(tmp_path_factory.mktemp("synthetic") / "project", 600)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SDKG_STATE", raising=False)
        patch.setenv("SDKG_SOURCES", str(root / "sources"))
        yield root


def test_a_synthetic_corpus(synthetic_root: Path) -> None:
    report, inferred = assert_same_as_reference(synthetic_root)
    assert report.conforms, report.text()
    assert report.warnings
    assert inferred is not None and len(inferred) > 10_000


def test_a_synthetic_corpus_with_broken_quotes_and_a_broken_claim(synthetic_root: Path) -> None:
    """Forty characters of a source text changed (the quotes over them fail), and a claim no ascription
    ascribes: the same report both ways."""
    text = sorted((synthetic_root / "sources").iterdir())[0]
    original = text.read_text(encoding="utf-8")
    broken = synthetic_root / "data" / "broken.ttl"
    try:
        # the same length, so the recorded length still holds; the recorded SHA-256 is of the
        # normalised text, so write the digest of the changed text into the data as well
        changed = original[:200] + original[200:240].upper() + original[240:]
        text.write_text(changed, encoding="utf-8")
        rewrite_digest(synthetic_root, original, changed)
        broken.write_text(BROKEN_CLAIM, encoding="utf-8")
        report, inferred = assert_same_as_reference(synthetic_root)
    finally:
        text.write_text(original, encoding="utf-8")
        rewrite_digest(synthetic_root, changed, original)
        broken.unlink(missing_ok=True)
    assert inferred is None
    rules = {r.rule for r in report.violations}
    assert "sdkg:QuoteCheck" in rules, report.text()
    assert any(r.focus_node.endswith("/claim/orphan") for r in report.violations)


def rewrite_digest(root: Path, before: str, after: str) -> None:
    old = hashlib.sha256(before.encode("utf-8")).hexdigest()
    new = hashlib.sha256(after.encode("utf-8")).hexdigest()
    for path in (root / "data").rglob("*.ttl"):
        content = path.read_text(encoding="utf-8")
        if old in content:
            path.write_text(content.replace(old, new), encoding="utf-8")


UNNAMED_SOURCE = """@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix passage: <https://w3id.org/sdkg/id/passage/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sdkg: <https://w3id.org/sdkg/ontology#> .
@prefix source: <https://w3id.org/sdkg/id/source/> .

source:unnamed-text a sdkg:ScholarlyArticle ;
    rdfs:label "A source that names no text file"@en .

passage:test-120-211 oa:hasSource source:unnamed-text .
"""


def test_a_passage_with_a_second_source_that_names_no_text(small_root: Path) -> None:
    """The quote check reports the passage for the unnamed source only (its named source checks out)."""
    extra = small_root / "data" / "unnamed-source.ttl"
    extra.write_text(UNNAMED_SOURCE, encoding="utf-8")
    try:
        report, _ = assert_same_as_reference(small_root)
    finally:
        extra.unlink()
    quotes = [r for r in report.violations if r.rule == "sdkg:QuoteCheck"]
    assert [(r.focus_node.rsplit("/", 1)[-1], "unnamed-text" in r.message) for r in quotes] == [
        ("test-120-211", True)
    ], report.text()


TINY = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b , "text"@en , 5 .
ex:b ex:p ex:c .
ex:c ex:q ex:a .
"""

TEMPLATE_RULE = """PREFIX ex: <http://example.org/>
CONSTRUCT {
    ?o ex:back ?s .
    ?s ex:maybe ?m ;
        ?q "constant"@en , 7 .
    ?s ex:p ?s .
}
WHERE {
    ?s ex:p ?o .
    OPTIONAL { ?o ex:q ?m }
    BIND (ex:r AS ?q)
}
"""


def test_a_rule_filled_row_by_row_writes_what_the_engine_constructs(tmp_path: Path) -> None:
    """Literal subjects, unbound variables and constants of every kind, as Oxigraph's CONSTRUCT has them."""
    store = ox.Store()
    store.load(TINY.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://example.org/g"))
    assert streamed(TEMPLATE_RULE) is not None, "the rule is in the form that is filled row by row"
    one_line = TEMPLATE_RULE.replace("CONSTRUCT {\n", "CONSTRUCT { ").replace("\nWHERE {", " WHERE {")
    assert streamed(one_line) is None, "any other form is left to the engine"
    written = []
    for query in (TEMPLATE_RULE, one_line):
        path = tmp_path / "out.nt"
        with path.open("wb") as handle:
            run_rule(store, query, handle)
        written.append(
            {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)}
        )
    assert written[0] == written[1]
    assert (
        ox.Triple(
            ox.NamedNode("http://example.org/c"),
            ox.NamedNode("http://example.org/back"),
            ox.NamedNode("http://example.org/b"),
        )
        in written[0]
    )
    assert not any(isinstance(t.subject, ox.Literal) for t in written[0])
    # back: a→b and b→c (the literal objects cannot be subjects); maybe: only b (its object c has
    # ex:q); the two constants and the self-link, for a and for b
    assert len(written[0]) == 2 + 1 + 2 * 2 + 2


def test_derived_triples_load_in_chunks(tmp_path: Path) -> None:
    """Loaded a few lines at a time (the last chunk short), the graph holds every triple once."""
    path = tmp_path / "derived.nt"
    lines = [f'<http://example.org/s{i % 4}> <http://example.org/p> "line\\n{i}"@en .\n' for i in range(11)]
    path.write_text("".join(lines + lines[:3]), encoding="utf-8")
    graph = ox.NamedNode("http://example.org/inferred")
    store = ox.Store()
    load_in_chunks(store, path, graph, chunk=3)
    assert len(list(store.quads_for_pattern(None, None, None, graph))) == 11
