"""What a validation finds, located in the project: :class:`Result` and the :class:`Report` of them.

Every result says where: the file and line (the line of the offending property when it can
be found, else of the node's block; the row of an SSSOM table for a generated Wikidata
link), the focus node with its label, the path, the offending value, the plain-words
message and the rule (the named shape or SPARQL constraint in ``shapes/``, documented in
``docs/shapes.md``). Violations block a build; warnings do not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import rdflib
from rdflib.namespace import RDF, SH

from .terms import DISPLAY_PREFIXES, SHAPES_NS, expand


@dataclass(frozen=True)
class Result:
    """One validation result, located in the project."""

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
    rule: str = ""
    """The named rule that failed: a property shape, node shape or SPARQL constraint (``sdkgsh:...``)."""

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "<unknown file>")
        label = f'"{self.focus_label}" ' if self.focus_label else ""
        parts = [f"{where}: {self.severity.lower()}: {self.message}", f"  node:  {label}<{self.focus_node}>"]
        if self.path:
            parts.append(f"  path:  {self.path}")
        if self.value is not None:
            parts.append(f"  value: {self.value}")
        parts.append(f"  rule:  {self.rule or self.shape} ({self.constraint})")
        return "\n".join(parts)


def sort_key(result: Result) -> tuple[bool, str, int, str, str, str, str, str, str]:
    """The one order of a report: violations first, then by file, line, node and rule.

    Ties are broken by every other field, so the order does not depend on the order in which
    the checks found the results (the shape queries run several at once).
    """
    return (
        result.severity != "Violation",
        result.file or "",
        result.line or 0,
        result.focus_node,
        result.rule,
        result.path or "",
        result.value or "",
        result.message,
        result.shape,
    )


@dataclass
class Report:
    """The outcome of validating a project, in the order of :func:`sort_key`."""

    results: list[Result]
    shacl_report: Callable[[], rdflib.Graph] = field(default=rdflib.Graph, repr=False)
    """The SHACL engine's own report graph, made only when asked for (``--format turtle``)."""

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def summary(self) -> list[str]:
        """One line per rule: how many results it gave, their severity and its message (violations first,
        then the most frequent). What a build prints; :meth:`text` lists every result."""
        groups: dict[tuple[str, str], list[Result]] = {}
        for result in self.results:
            groups.setdefault((result.severity, result.rule or result.shape), []).append(result)
        ordered = sorted(groups.items(), key=lambda item: (item[0][0] != "Violation", -len(item[1]), item[0][1]))
        return [f"{len(found)} {severity.lower()}(s) {rule}: {found[0].message}" for (severity, rule), found in ordered]

    def text(self) -> str:
        lines = [r.text() for r in self.results]
        lines.append(f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)

    def json(self) -> str:
        body = {
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "results": [asdict(r) for r in self.results],
        }
        return json.dumps(body, indent=2, ensure_ascii=False)

    def turtle(self) -> str:
        """The SHACL validation report, with the quote check's results added as sh:ValidationResult."""
        graph = rdflib.Graph()
        for prefix in ("rdf", "rdfs", "sdkg", "sh", "xsd"):
            graph.bind(prefix, DISPLAY_PREFIXES[prefix])
        graph.bind("sdkgsh", SHAPES_NS)
        graph += self.shacl_report()
        reports = list(graph.subjects(RDF.type, SH.ValidationReport)) or [rdflib.BNode()]
        report = reports[0]
        graph.set((report, RDF.type, SH.ValidationReport))
        graph.set((report, SH.conforms, rdflib.Literal(self.conforms)))
        for result in self.results:
            if result.constraint.startswith("sdkg:"):
                graph.add((report, SH.result, extra_result(graph, result)))
        return graph.serialize(format="turtle")


def extra_result(graph: rdflib.Graph, result: Result) -> rdflib.BNode:
    """A non-SHACL check's result (the quote check) in the vocabulary of the SHACL report."""
    node = rdflib.BNode()
    graph.add((node, RDF.type, SH.ValidationResult))
    graph.add((node, SH.resultSeverity, SH[result.severity]))
    graph.add((node, SH.focusNode, rdflib.URIRef(result.focus_node)))
    graph.add((node, SH.resultMessage, rdflib.Literal(result.message)))
    graph.add((node, SH.sourceConstraintComponent, rdflib.URIRef(expand(result.constraint))))
    if result.value is not None:
        graph.add((node, SH.value, rdflib.Literal(result.value)))
    return node
