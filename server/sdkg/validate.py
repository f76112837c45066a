"""SHACL validation of a loaded project, with results an editor can act on.

Every result says where: the file and line (the line of the offending property
when it can be found, else of the node's block; the row of an SSSOM table for a
generated Wikidata link), the focus node with its label, the path, the
offending value, the plain-words message and the rule (the named shape or
SPARQL constraint in ``shapes/``, documented in ``docs/shapes.md``).
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql import processor
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from .namespaces import PREFIXES
from .project import LoadedProject, ProjectError, ProjectFile, expand_curie, read_files, read_sssom
from .shacl_compiled import UnsupportedShape, to_rdflib, validate_store

RDFS_LABEL = ox.NamedNode(str(RDFS.label))
NAMESPACES = rdflib.Graph().namespace_manager
SEVERITY_NAMES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}
SHAPES_NS = "https://w3id.org/sdkg/shapes#"
DISPLAY_PREFIXES = {**PREFIXES, "sdkgsh": SHAPES_NS, "wikidata": PREFIXES["wd"]}


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


@dataclass
class ValidationReport:
    """The outcome of validating a project: violations block a build, warnings do not."""

    results: list[Result]
    report_graph: rdflib.Graph = field(default_factory=rdflib.Graph)

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
        graph += self.report_graph
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


def expand(name: str) -> str:
    prefix, _, local = name.partition(":")
    return DISPLAY_PREFIXES[prefix] + local if prefix in DISPLAY_PREFIXES else name


def compact(iri: str) -> str:
    """``sdkg:heldBy`` for a known namespace, ``<iri>`` otherwise."""
    best = ""
    for prefix, namespace in DISPLAY_PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(DISPLAY_PREFIXES.get(best, "")):
            local = iri[len(namespace) :]
            if re.fullmatch(r"[A-Za-z0-9_.\-]*", local) and not local.endswith("."):
                best = prefix
    return f"{best}:{iri[len(DISPLAY_PREFIXES[best]) :]}" if best else f"<{iri}>"


def display_term(term: rdflib.term.Node | None) -> str:
    """A term as an editor reads it in a message: ``actor:mary-kaldor``, or a literal's text."""
    if term is None:
        return "?"
    return compact(str(term)) if isinstance(term, rdflib.URIRef) else str(term)


def store_term(text: str) -> ox.NamedNode | ox.BlankNode:
    """The store term a report names: IRIs always have a colon, oxigraph's blank node ids never."""
    return ox.NamedNode(text) if ":" in text else ox.BlankNode(text)


def files_graph(files: Iterable[ProjectFile]) -> rdflib.Graph:
    """The files' triples in one rdflib graph, literals as written: the reference engine's input."""
    graph = rdflib.Graph()
    for quad in read_files(list(files)):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def load_shapes(shapes_dir: Path) -> rdflib.Graph:
    """All ``shapes/*.ttl`` in one graph; a syntax error names the file, line and column."""
    shapes = rdflib.Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        try:
            triples = ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
            data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as error:
            raise ProjectError(path, f"cannot parse shapes: {error.msg}", error.lineno, error.offset) from None
        except (OSError, ValueError) as error:
            raise ProjectError(path, f"cannot read shapes: {error}") from None
        if data:
            shapes.parse(data=data, format="nt")
    return shapes


_PREPARE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=512)
def _prepared_query(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Any:
    return translateQuery(parseQuery(text), base, dict(namespaces) or None)


@contextmanager
def prepared_sparql() -> Iterator[None]:
    """Parse each SHACL-SPARQL query once, not once per focus node.

    pyshacl hands rdflib the query text for every focus node, and rdflib's parser
    takes ~0.1 s per parse: hours at 100k nodes. Within this block rdflib reuses the
    parsed and translated query (rdflib's prepared-query path, same results).
    """
    original = processor.SPARQLProcessor.query

    def query(
        self: processor.SPARQLProcessor,
        strOrQuery: Any,
        initBindings: Mapping[str, Any] | None = None,
        initNs: Mapping[str, Any] | None = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Any:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((str(k), str(v)) for k, v in (initNs or {}).items()))
            strOrQuery = _prepared_query(strOrQuery, base, namespaces)
        return original(self, strOrQuery, initBindings, None, base, DEBUG)

    with _PREPARE_LOCK:
        processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
        try:
            yield
        finally:
            processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


ENGINES = ("compiled", "pyshacl")


def validate_project(
    project: LoadedProject,
    shapes_dir: Path,
    engine: str = "compiled",
    on_query: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Validate data and mappings against the shapes, with the ontology for the class hierarchy.

    ``compiled`` runs each constraint as one SPARQL query over all focus nodes, on the
    store itself (seconds at millions of triples); ``pyshacl`` is the reference engine,
    node by node in Python, for cross-checking on small projects.
    """
    shapes = load_shapes(shapes_dir)
    if engine == "pyshacl":
        data = files_graph(project.files)
        report_graph = pyshacl_report(data, shapes)
        owner_of: OwnerOf = graph_owner(data)
    elif engine == "compiled":
        try:
            report_graph = validate_store(project.store, shapes, display_term, on_query)
        except UnsupportedShape as error:
            raise ProjectError(shapes_dir, f"the shapes cannot be compiled: {error}") from None
        owner_of = store_owner(project.store)
    else:
        raise ValueError(f"unknown SHACL engine {engine!r}; use one of {', '.join(ENGINES)}")
    reader = ResultReader(report_graph, project.store, owner_of, Locator(project, shapes_dir.parent))
    results = [reader.read(node) for node in report_graph.subjects(SH.resultSeverity, None)]
    results.sort(key=sort_key)
    return ValidationReport(results, report_graph)


OwnerOf = Callable[[str], tuple[str, str] | None]


def store_owner(store: ox.Store) -> OwnerOf:
    """The subject and predicate that point at a blank node (a selector's passage)."""

    def owner_of(node: str) -> tuple[str, str] | None:
        use = next(store.quads_for_pattern(None, None, ox.BlankNode(node), None), None)
        return (str(getattr(use.subject, "value", use.subject)), use.predicate.value) if use is not None else None

    return owner_of


def graph_owner(graph: rdflib.Graph) -> OwnerOf:
    def owner_of(node: str) -> tuple[str, str] | None:
        use = next(iter(graph.subject_predicates(rdflib.BNode(node))), None)
        return (str(use[0]), str(use[1])) if use is not None else None

    return owner_of


def pyshacl_report(data: rdflib.Graph, shapes: rdflib.Graph) -> rdflib.Graph:
    with prepared_sparql():
        _conforms, report_graph, _text = pyshacl_validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
        )
    if not isinstance(report_graph, rdflib.Graph):
        raise ValueError(f"the shapes cannot be used: {report_graph}")
    return report_graph


def sort_key(result: Result) -> tuple[bool, str, int, str, str]:
    return (result.severity != "Violation", result.file or "", result.line or 0, result.focus_node, result.rule)


class ResultReader:
    """Turn one sh:ValidationResult into a located :class:`Result`."""

    def __init__(self, report: rdflib.Graph, store: ox.Store, owner_of: OwnerOf, locator: Locator):
        self.report = report
        self.store = store
        self.owner_of = owner_of
        self.locator = locator

    def one(self, node: rdflib.term.Node, predicate: rdflib.URIRef) -> rdflib.term.Node | None:
        return next(iter(self.report.objects(node, predicate)), None)

    def read(self, node: rdflib.term.Node) -> Result:
        focus = self.one(node, SH.focusNode)
        path = self.one(node, SH.resultPath)
        value = self.one(node, SH.value)
        shape = self.one(node, SH.sourceShape)
        constraint = self.one(node, SH.sourceConstraint)
        path_text = self.path_text(path, self.report) if path is not None else None
        owner = str(focus)
        if isinstance(focus, rdflib.BNode):  # a selector: report its passage
            use = self.owner_of(str(focus))
            if use is not None:
                owner, link = use[0], compact(use[1])
                path_text = f"{link}/{path_text}" if path_text else link
        label = next(self.store.quads_for_pattern(store_term(owner), RDFS_LABEL, None, None), None)
        predicate = str(path) if isinstance(path, rdflib.URIRef) else None
        value_iri = str(value) if isinstance(value, rdflib.URIRef) else None
        file, line = self.locator.locate(owner, predicate, value_iri, inside=owner != str(focus))
        return Result(
            severity=SEVERITY_NAMES.get(str(self.one(node, SH.resultSeverity)), "Violation"),
            focus_node=owner,
            focus_label=str(getattr(label.object, "value", label.object)) if label is not None else None,
            path=path_text,
            value=self.value_text(value) if value is not None else None,
            message=str(self.one(node, SH.resultMessage) or "constraint not met"),
            constraint=str(self.one(node, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            shape=compact(str(shape)) if isinstance(shape, rdflib.URIRef) else str(shape),
            file=file,
            line=line,
            rule=self.rule(shape, constraint),
        )

    def rule(self, shape: rdflib.term.Node | None, constraint: rdflib.term.Node | None) -> str:
        if isinstance(constraint, rdflib.URIRef) and str(constraint).startswith(SHAPES_NS):
            return compact(str(constraint))
        return compact(str(shape)) if isinstance(shape, rdflib.URIRef) else ""

    def path_text(self, path: rdflib.term.Node, graph: rdflib.Graph) -> str:
        """A SHACL path in SPARQL property-path syntax: ``^sdkg:ascribes``, ``oa:hasSelector/oa:start``."""
        if isinstance(path, rdflib.URIRef):
            return compact(str(path))
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + self.path_text(inverse, graph)
        if graph.value(path, RDF.first) is not None:
            return "/".join(self.path_text(step, graph) for step in rdflib.collection.Collection(graph, path))
        return str(path)

    def value_text(self, value: rdflib.term.Node) -> str:
        if isinstance(value, rdflib.URIRef):
            return compact(str(value))
        if isinstance(value, rdflib.Literal):
            return value.n3(NAMESPACES)
        return str(value)


class Locator:
    """Find the file and line where a node, or one of its properties, is written.

    The store says which graph (so which file) holds a triple; when several do, the
    first file in the project's order wins. Only the few reported nodes are looked up.
    """

    def __init__(self, project: LoadedProject, root: Path | None = None):
        self.root = root.resolve() if root is not None else None
        self.store = project.store
        self.files = {f.graph: f for f in project.files}
        self.order = {f.graph: index for index, f in enumerate(project.files)}
        self.lines: dict[Path, list[str]] = {}
        self.blocks: dict[Path, dict[str, int]] = {}
        self.authored = project.authored

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
