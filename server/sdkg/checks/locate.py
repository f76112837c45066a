"""Where a finding is written: the file and line an editor goes to, and the result that says so.

The store says which graph (so which file) holds a triple; when several do, the first file
in the project's order wins. Only the few reported nodes are looked up, each file's subject
blocks indexed once. One :class:`Locator` serves a whole validation (shapes and quotes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH

from ..project import LoadedProject, ProjectError, ProjectFile, expand_curie, read_sssom
from .findings import Finding
from .report import Result
from .terms import SHAPES_NS, compact, store_term, value_text

RDFS_LABEL = ox.NamedNode(str(RDFS.label))
SEVERITY_NAMES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}

OwnerOf = Callable[[str], tuple[str, str] | None]
"""The subject and predicate that point at a blank node (a selector's passage), if any."""


class Locator:
    """Find the file and line where a node, or one of its properties, is written."""

    def __init__(self, project: LoadedProject, root: Path | None = None):
        self.root = root.resolve() if root is not None else None
        self.store = project.store
        self.files = {f.graph: f for f in project.files}
        self.order = {f.graph: index for index, f in enumerate(project.files)}
        self.lines: dict[Path, list[str]] = {}
        self.blocks: dict[Path, dict[str, int]] = {}
        self.authored = project.authored

    def label_of(self, node: str) -> str | None:
        """The node's label; of several (a mistake the shapes report), the first in sorted order,
        so that the report does not depend on the order in which a store returns them."""
        labels = (q.object for q in self.store.quads_for_pattern(store_term(node), RDFS_LABEL, None, None))
        return min((str(getattr(label, "value", label)) for label in labels), default=None)

    def first_graph(self, quads: Iterable[ox.Quad]) -> ox.Quad | None:
        """The quad in the earliest file (graphs no file owns come last)."""
        best, rank = None, len(self.order) + 1
        for quad in quads:
            graph = quad.graph_name
            place = self.order.get(graph.value, len(self.order)) if isinstance(graph, ox.NamedNode) else rank
            if place < rank:
                best, rank = quad, place
        return best

    def graph_of(
        self, subject: str | None, predicate: str | None = None, value: str | None = None
    ) -> tuple[str, ox.Quad] | None:
        quad = self.first_graph(
            self.store.quads_for_pattern(
                store_term(subject) if subject is not None else None,
                ox.NamedNode(predicate) if predicate else None,
                ox.NamedNode(value) if value else None,
                None,
            )
        )
        if quad is None or not isinstance(quad.graph_name, ox.NamedNode):
            return None
        return quad.graph_name.value, quad

    def display(self, path: Path) -> str:
        if self.root is not None:
            try:
                return path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(path)

    def locate(
        self, iri: str, predicate: str | None = None, value: str | None = None, inside: bool = False
    ) -> tuple[str | None, int | None]:
        """The file and line of ``iri``'s block, or of its ``predicate`` (with ``value``) in it."""
        found = None
        if predicate and value:
            found = self.graph_of(iri, predicate, value)
        if predicate and found is None and predicate != str(RDF.type):
            found = self.graph_of(iri, predicate)
        found = found or self.graph_of(iri, str(RDF.type)) or self.graph_of(iri)
        if found is None and ":" in iri:  # never described: point at its first use
            use = self.graph_of(None, None, iri)
            if use is not None:
                quad = use[1]
                iri, predicate = str(getattr(quad.subject, "value", quad.subject)), quad.predicate.value
                found, value, inside = use, None, True
        graph = found[0] if found else None
        file = self.files.get(graph) if graph else None
        if file is None or file.kind == "authoring":
            return self.authored_place(iri, predicate, file)
        if file.kind == "mapping":
            return self.display(file.path), self.row_of(file.path, iri, value)
        return self.display(file.path), self.line_of(file.path, iri, predicate if (predicate or inside) else None)

    def authored_place(
        self, iri: str, predicate: str | None, file: ProjectFile | None
    ) -> tuple[str | None, int | None]:
        """The authoring file and line where ``iri`` was written (also for its links in the editorial graph)."""
        candidates = [self.authored[file.graph]] if file is not None and file.graph in self.authored else []
        candidates += [c for c in self.authored.values() if iri in c.lines]
        for compiled in candidates:
            line = compiled.line_of(iri, predicate)
            if line is not None or compiled is candidates[-1]:
                return self.display(compiled.path), line
        return (self.display(file.path), None) if file is not None else (None, None)

    def text_of(self, path: Path) -> list[str]:
        if path not in self.lines:
            try:
                self.lines[path] = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self.lines[path] = []
        return self.lines[path]

    def line_of(self, path: Path, iri: str, predicate: str | None = None) -> int | None:
        lines = self.text_of(path)
        names = written_names(lines)
        blocks = self.blocks_of(path)
        start = min((blocks[form] for form in names(iri) if form in blocks), default=None)
        if start is None or predicate is None:
            return start
        predicate_forms = names(predicate)
        for number in range(start, len(lines) + 1):
            text = lines[number - 1]
            if number > start and text.strip() and not text[:1].isspace():
                break
            if any(re.search(rf"(^|[\s\[;,(]){re.escape(form)}(?=[\s;,\]\)])", text) for form in predicate_forms):
                return number
        return start

    def blocks_of(self, path: Path) -> dict[str, int]:
        """The first line of each subject block, by the subject as written (indexed once per file)."""
        if path not in self.blocks:
            index: dict[str, int] = {}
            for number, text in enumerate(self.text_of(path), start=1):
                if text and not text[:1].isspace():
                    index.setdefault(text.split(" ", 1)[0], number)
            self.blocks[path] = index
        return self.blocks[path]

    def row_of(self, path: Path, iri: str, value: str | None) -> int | None:
        """The line of the SSSOM row mapping ``iri`` (to ``value`` when given)."""
        try:
            curie_map, _ = read_sssom(path)
        except (OSError, UnicodeDecodeError):
            return None
        fallback = None
        for number, text in enumerate(self.text_of(path), start=1):
            columns = text.split("\t")
            if text.startswith("#") or len(columns) < 4:
                continue
            try:
                subject = expand_curie(columns[0].strip(), curie_map, path, number)
                obj = expand_curie(columns[3].strip(), curie_map, path, number)
            except ProjectError:
                continue
            if subject == iri:
                if value is None or obj == value:
                    return number
                fallback = fallback or number
        return fallback


def written_names(lines: list[str]) -> Any:
    """A function giving the ways an IRI can be written in a Turtle file, from its @prefix lines."""
    declared: dict[str, str] = {}
    for text in lines:
        match = re.match(r"\s*@?prefix\s+([A-Za-z][\w\-.]*)?:\s*<([^>]*)>", text, re.IGNORECASE)
        if match:
            declared[match.group(1) or ""] = match.group(2)
        elif text.strip() and not text.lstrip().startswith(("#", "@", "PREFIX", "prefix")):
            break

    def names(iri: str) -> list[str]:
        forms = [f"<{iri}>"]
        for prefix, namespace in declared.items():
            if iri.startswith(namespace) and iri != namespace:
                forms.append(f"{prefix}:{iri[len(namespace) :]}")
        if iri == str(RDF.type):
            forms.append("a")
        return forms

    return names


def store_owner(store: ox.Store) -> OwnerOf:
    """Owners looked up in the store (the compiled engine's blank nodes are the store's)."""

    def owner_of(node: str) -> tuple[str, str] | None:
        use = next(store.quads_for_pattern(None, None, ox.BlankNode(node), None), None)
        return (str(getattr(use.subject, "value", use.subject)), use.predicate.value) if use is not None else None

    return owner_of


def graph_owner(graph: rdflib.Graph) -> OwnerOf:
    """Owners looked up in the rdflib graph the reference engine validated."""

    def owner_of(node: str) -> tuple[str, str] | None:
        use = next(iter(graph.subject_predicates(rdflib.BNode(node))), None)
        return (str(use[0]), str(use[1])) if use is not None else None

    return owner_of


class FindingReader:
    """Turn findings into located :class:`Result` s; ``paths`` holds the structure of blank-node paths."""

    def __init__(self, locator: Locator, owner_of: OwnerOf, paths: rdflib.Graph):
        self.locator = locator
        self.owner_of = owner_of
        self.paths = paths

    def read(self, finding: Finding) -> Result:
        focus, path, value, shape = finding.focus, finding.path, finding.value, finding.shape
        path_text = self.path_text(path) if path is not None else None
        owner = str(focus)
        if isinstance(focus, rdflib.BNode):  # a selector: report its passage
            use = self.owner_of(str(focus))
            if use is not None:
                owner, link = use[0], compact(use[1])
                path_text = f"{link}/{path_text}" if path_text else link
        predicate = str(path) if isinstance(path, rdflib.URIRef) else None
        value_iri = str(value) if isinstance(value, rdflib.URIRef) else None
        file, line = self.locator.locate(owner, predicate, value_iri, inside=owner != str(focus))
        return Result(
            severity=SEVERITY_NAMES.get(str(finding.severity), "Violation"),
            focus_node=owner,
            focus_label=self.locator.label_of(owner),
            path=path_text,
            value=value_text(value) if value is not None else None,
            message=next((m for m in finding.messages[:1] if m), "constraint not met"),
            constraint=str(finding.component).rsplit("#", 1)[-1],
            shape=compact(str(shape)) if isinstance(shape, rdflib.URIRef) else str(shape),
            file=file,
            line=line,
            rule=rule_of(shape, finding.constraint),
        )

    def path_text(self, path: rdflib.term.Node) -> str:
        """A SHACL path in SPARQL property-path syntax: ``^sdkg:ascribes``, ``oa:hasSelector/oa:start``."""
        if isinstance(path, rdflib.URIRef):
            return compact(str(path))
        inverse = self.paths.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + self.path_text(inverse)
        alternatives = self.paths.value(path, SH.alternativePath)
        if alternatives is not None:
            return "|".join(self.path_text(step) for step in rdflib.collection.Collection(self.paths, alternatives))
        if self.paths.value(path, RDF.first) is not None:
            return "/".join(self.path_text(step) for step in rdflib.collection.Collection(self.paths, path))
        return str(path)


def rule_of(shape: rdflib.term.Node | None, constraint: rdflib.term.Node | None) -> str:
    """The named rule a result cites: its SPARQL constraint when named in ``shapes/``, else its shape."""
    if isinstance(constraint, rdflib.URIRef) and str(constraint).startswith(SHAPES_NS):
        return compact(str(constraint))
    return compact(str(shape)) if isinstance(shape, rdflib.URIRef) else ""
