"""Round trip: a source's Turtle, converted to an authoring file and compiled back, gives the same triples.

This is how the format proves it can express what the data holds (reported speech,
statistics, editorial links, claims on several passages): ``sdkg convert --check`` and the
round-trip test run it on every source folder of the repository. The comparison is of
triples, with each selector's blank node named after its passage and selector type (so
isomorphism is a set comparison), and passage IRIs named by the convention
``passage:{code}-{start}-{end}``: a passage whose IRI broke the convention is the one
allowed difference, reported as a rename.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..authoring import compile_project, make_context, text_finder
from ..authoring.anchoring import SourceText
from ..authoring.compile import Compiled
from ..authoring.format import LINKS, OA, PASSAGE
from ..authoring.vocabulary import RDF_TYPE, term_text
from ..namespaces import GRAPH
from ..passages import find_source_text
from ..project import LoadedProject
from .convert import Unit, convert

Triple = tuple[str, str, str]


@dataclass
class RoundTrip:
    """The authoring text of a unit, and how its compiled triples differ from the data's."""

    unit: Unit
    text: str
    missing: list[Triple] = field(default_factory=list)
    extra: list[Triple] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    misplaced: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not (self.missing or self.extra or self.misplaced)

    def report(self) -> str:
        lines = [f"{self.unit.folder.name}: {'the round trip holds' if self.holds else 'the round trip fails'}"]
        lines += [f"  missing after compiling: {' '.join(t)}" for t in self.missing[:20]]
        lines += [f"  extra after compiling:   {' '.join(t)}" for t in self.extra[:20]]
        lines += [f"  passage renamed by the convention: {a} -> {b}" for a, b in sorted(self.renamed.items())]
        lines += [f"  editorial link outside the editorial graph: {m}" for m in self.misplaced]
        return "\n".join(lines)


def context_store(project: LoadedProject, unit: Unit) -> ox.Store:
    """The project's graph without the unit: what its authoring file is compiled against."""
    graphs = {ox.NamedNode(file.graph) for file in unit.files}
    subjects = {quad.subject for quad in unit.quads}
    store = ox.Store()
    store.bulk_extend(q for q in project.store if q.graph_name not in graphs and q.subject not in subjects)
    return store


def round_trip(project: LoadedProject, unit: Unit, root: Path) -> RoundTrip:
    """Convert ``unit`` to an authoring file, compile it against the rest, and compare the triples."""
    store = context_store(project, unit)
    graph_files = {file.graph: file.path for file in project.files}
    find = text_finder(root)
    context = make_context(store, graph_files, find)
    text = source_text(project.store, unit.source, find)  # the record may be in the unit
    authored = convert(unit, context, text)
    with tempfile.TemporaryDirectory(prefix="sdkg-roundtrip-") as scratch:
        path = Path(scratch) / "data" / unit.folder.name / f"{unit.folder.name}.sdkg.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(authored, encoding="utf-8")
        overrides = {text.name: find_source_text(root, text.name)} if text is not None else {}
        compiled = compile_project(
            store,
            [(path, GRAPH + f"data/{unit.folder.name}/{unit.folder.name}")],
            graph_files,
            {k: v for k, v in overrides.items() if v is not None},
        )
    result = RoundTrip(unit, authored)
    compare(result, unit.quads, compiled[0])
    return result


def source_text(store: ox.Store, source: str, find: Callable[[str], Path | None]) -> SourceText | None:
    quad = next(
        store.quads_for_pattern(
            ox.NamedNode(source), ox.NamedNode("https://w3id.org/sdkg/ontology#sourceFileName"), None, None
        ),
        None,
    )
    if quad is None:
        return None
    path = find(term_text(quad.object))
    return SourceText.read(path) if path is not None else None


def compare(result: RoundTrip, original: list[ox.Quad], compiled: Compiled) -> None:
    renamed = passage_names(original)
    result.renamed = {a: b for a, b in renamed.items() if a != b}
    before = triples(original, renamed)
    after = triples(compiled.quads, {})
    result.missing = sorted(before - after)
    result.extra = sorted(after - before)
    editorial = ox.NamedNode(LINKS.editorial_graph)
    linked = {q.subject for q in original if q.predicate.value == LINKS.asserted_by}
    for quad in compiled.quads:
        if quad.subject in linked and quad.predicate.value == RDF_TYPE:
            asserted = [q for q in compiled.quads if q.subject == quad.subject and q.predicate.value == LINKS.made_in]
            if not asserted and quad.graph_name != editorial and is_editorial(original, quad.subject):
                result.misplaced.append(term_text(quad.subject))


def is_editorial(original: list[ox.Quad], link: object) -> bool:
    return any(q.subject == link and term_text(q.object) == LINKS.editors for q in original) and not any(
        q.subject == link and q.predicate.value == LINKS.made_in for q in original
    )


def passage_names(quads: list[ox.Quad]) -> dict[str, str]:
    """Each passage IRI of the data and the IRI the convention gives it (``passage:{code}-{start}-{end}``)."""
    selectors: dict[object, list[ox.Quad]] = {}
    for quad in quads:
        selectors.setdefault(quad.subject, []).append(quad)
    names = {}
    for quad in quads:
        if quad.predicate.value != OA + "hasSelector" or not isinstance(quad.subject, ox.NamedNode):
            continue
        offsets = {q.predicate.value: term_text(q.object) for q in selectors.get(quad.object, [])}
        if OA + "start" in offsets:
            code = quad.subject.value[len(PASSAGE) :].split("-", 1)[0]
            names[quad.subject.value] = PASSAGE + f"{code}-{offsets[OA + 'start']}-{offsets[OA + 'end']}"
    return names


def triples(quads: list[ox.Quad], renamed: dict[str, str]) -> set[Triple]:
    """The quads as comparable triples: graphs dropped, selectors named after their passage and type."""
    owner: dict[object, str] = {}
    kind: dict[object, str] = {}
    for quad in quads:
        if quad.predicate.value == OA + "hasSelector":
            owner[quad.object] = renamed.get(term_text(quad.subject), term_text(quad.subject))
        if isinstance(quad.subject, ox.BlankNode) and quad.predicate.value == RDF_TYPE:
            kind[quad.subject] = term_text(quad.object).rsplit("#", 1)[-1]

    def name(term: object) -> str:
        if isinstance(term, ox.BlankNode):
            return f"{owner.get(term, '?')}#{kind.get(term, '?')}"
        if isinstance(term, ox.NamedNode):
            return renamed.get(term.value, term.value)
        return str(term)

    return {(name(q.subject), name(q.predicate), name(q.object)) for q in quads}
