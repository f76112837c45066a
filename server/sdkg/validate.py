"""SHACL validation of a parsed project, with results an editor can act on.

Every result says where: the file (and line, when the focus node's block can be
found), the focus node with its label, the path, the offending value and the rule.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import RDFS, SH

from .project import ParsedProject, ProjectError

SEVERITY_NAMES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}


@dataclass(frozen=True)
class Result:
    """One SHACL validation result, located in the project."""

    severity: str
    focus_node: str
    focus_label: str | None
    path: str | None
    value: str | None
    message: str
    constraint: str
    shape: str
    file: str | None
    line: int | None

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "<unknown file>")
        label = f' "{self.focus_label}"' if self.focus_label else ""
        parts = [f"{where}: {self.severity}: {self.message}", f"  node: <{self.focus_node}>{label}"]
        if self.path:
            parts.append(f"  path: {self.path}")
        if self.value is not None:
            parts.append(f"  value: {self.value}")
        parts.append(f"  rule: {self.constraint} (shape {self.shape})")
        return "\n".join(parts)


@dataclass
class ValidationReport:
    """The outcome of validating a project: violations block a build, warnings do not."""

    results: list[Result]
    report_graph: rdflib.Graph

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def text(self) -> str:
        lines = [r.text() for r in self.results]
        lines.append(f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "results": [asdict(r) for r in self.results]}, indent=2, ensure_ascii=False
        )

    def turtle(self) -> str:
        return self.report_graph.serialize(format="turtle")


def to_rdflib(quads: list[ox.Quad]) -> rdflib.Graph:
    """Merge quads into one rdflib graph (pyshacl's input), through N-Triples."""
    graph = rdflib.Graph()
    data = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)
    if data:
        graph.parse(data=data, format="nt")
    return graph


def load_shapes(shapes_dir: Path) -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        try:
            shapes.parse(path, format="turtle")
        except Exception as error:  # rdflib raises many parser error types
            raise ProjectError(path, f"cannot parse shapes: {error}") from None
    return shapes


def validate_project(parsed: ParsedProject, shapes_dir: Path) -> ValidationReport:
    """Validate data and mappings against the shapes, with the ontology for class hierarchy."""
    data = to_rdflib(parsed.quads)
    shapes = load_shapes(shapes_dir)
    _conforms, report_graph, _text = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    assert isinstance(report_graph, rdflib.Graph)
    locator = Locator(parsed)
    results = [read_result(report_graph, node, data, locator) for node in report_graph.subjects(SH.resultSeverity, None)]
    results.sort(key=lambda r: (r.severity != "Violation", r.file or "", r.line or 0, r.focus_node))
    return ValidationReport(results, report_graph)


def read_result(report: rdflib.Graph, node: rdflib.term.Node, data: rdflib.Graph, locator: Locator) -> Result:
    def one(predicate: rdflib.URIRef) -> rdflib.term.Node | None:
        return next(iter(report.objects(node, predicate)), None)

    focus = one(SH.focusNode)
    path = one(SH.resultPath)
    value = one(SH.value)
    label = next(iter(data.objects(focus, RDFS.label)), None) if focus is not None else None
    file, line = locator.locate(str(focus)) if focus is not None else (None, None)
    return Result(
        severity=SEVERITY_NAMES.get(str(one(SH.resultSeverity)), str(one(SH.resultSeverity))),
        focus_node=str(focus),
        focus_label=str(label) if label is not None else None,
        path=data.namespace_manager.normalizeUri(path) if isinstance(path, rdflib.URIRef) else (str(path) if path else None),
        value=str(value) if value is not None else None,
        message=str(one(SH.resultMessage) or "constraint not met"),
        constraint=str(one(SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
        shape=str(one(SH.sourceShape)),
        file=file,
        line=line,
    )


class Locator:
    """Find the file, and the line, where a node is described."""

    def __init__(self, parsed: ParsedProject):
        self.file_of_graph = {f.graph: f.path for f in parsed.files}
        self.graph_of_subject: dict[str, str] = {}
        for quad in parsed.quads:
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.graph_name, ox.NamedNode):
                self.graph_of_subject.setdefault(quad.subject.value, quad.graph_name.value)
        self.lines: dict[Path, list[str]] = {}

    def locate(self, iri: str) -> tuple[str | None, int | None]:
        graph = self.graph_of_subject.get(iri)
        path = self.file_of_graph.get(graph) if graph else None
        if path is None:
            return None, None
        return str(path), self.line_of(path, iri)

    def line_of(self, path: Path, iri: str) -> int | None:
        if path not in self.lines:
            try:
                self.lines[path] = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self.lines[path] = []
        local = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        for number, text in enumerate(self.lines[path], start=1):
            if text.startswith(f"<{iri}>") or (not text.startswith((" ", "\t", "@", "#")) and f":{local} " in text):
                return number
        return None
