"""Generate docs/shapes.md: what each shape requires of the data, and why, for editors.

Run ``python -m sdkg.shapes_doc [shapes-dir] > docs/shapes.md``; a test keeps the file
up to date. Everything comes from the shapes themselves (rdfs:label, rdfs:comment,
sh:message and the constraint parameters), so the table cannot drift from the rules.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, RDFS, SH

from .checks.shapes import load_shapes
from .checks.terms import compact

SUBJECT = re.compile(r"^(sdkgsh:[A-Za-z0-9_\-]+) a sh:(NodeShape|PropertyShape|SPARQLConstraint)\b", re.MULTILINE)


def as_written(graph: rdflib.Graph, node: rdflib.term.Node | None) -> str:
    """A term as written in the shapes: prefixed name, literal text, or a path in SPARQL syntax."""
    if node is None:
        return ""
    if isinstance(node, rdflib.URIRef):
        return compact(str(node))
    if isinstance(node, rdflib.Literal):
        return str(node) if isinstance(node.value, int) else f'"{node}"'
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return "^" + as_written(graph, inverse)
    if graph.value(node, RDF.first) is not None:
        return " ".join(as_written(graph, item) for item in rdflib.collection.Collection(graph, node))
    return requirements_of(graph, node)


def cardinality(graph: rdflib.Graph, shape: rdflib.term.Node) -> list[str]:
    low, high = graph.value(shape, SH.minCount), graph.value(shape, SH.maxCount)
    if low is not None and high is not None:
        return [f"exactly {low}" if low == high else f"{low} to {high}"]
    if low is not None:
        return [f"at least {low}"]
    if high is not None:
        return [f"at most {high}"]
    return []


PARAMETERS = [
    (SH.datatype, "datatype {}"),
    (SH["class"], "instance of {}"),
    (SH.nodeKind, "node kind {}"),
    (SH["in"], "one of {}"),
    (SH.hasValue, "has value {}"),
    (SH.languageIn, "language {}"),
    (SH.pattern, "matches {}"),
    (SH.minLength, "at least {} character(s)"),
    (SH.maxLength, "at most {} character(s)"),
    (SH.lessThan, "less than {}"),
    (SH.lessThanOrEquals, "not more than {}"),
    (SH.disjoint, "never equal to a value of {}"),
    (SH["or"], "any of: {}"),
    (SH.qualifiedValueShape, "exactly one value that is {}"),
]


def requirements_of(graph: rdflib.Graph, shape: rdflib.term.Node) -> str:
    """The requirements of a shape in words: ``exactly 1; instance of sdkg:Actor``."""
    parts = cardinality(graph, shape)
    for predicate, text in PARAMETERS:
        for value in graph.objects(shape, predicate):
            if predicate == SH["or"]:
                options = [requirements_of(graph, o) for o in rdflib.collection.Collection(graph, value)]
                parts.append(text.format(" / ".join(options)))
            elif predicate == SH.qualifiedValueShape:
                parts.append(text.format(requirements_of(graph, value)))
            elif isinstance(value, rdflib.Literal) and isinstance(value.value, int):
                parts.append(text.format(value))
            else:
                parts.append(text.format(f"`{as_written(graph, value)}`"))
    path = graph.value(shape, SH.path)
    if path is not None and graph.value(shape, RDFS.label) is None:
        parts.insert(0, f"`{as_written(graph, path)}`")
    if (shape, SH.closed, rdflib.Literal(True)) in graph:
        parts.append("closed: no other properties")
    return "; ".join(parts) or "see the query"


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def severity(graph: rdflib.Graph, *shapes: rdflib.term.Node) -> str:
    for shape in shapes:
        value = graph.value(shape, SH.severity)
        if value is not None:
            return compact(str(value)).removeprefix("sh:")
    return "Violation"


def targets(graph: rdflib.Graph, shape: rdflib.term.Node) -> str:
    found = [f"instances of `{as_written(graph, c)}`" for c in graph.objects(shape, SH.targetClass)]
    found += [f"subjects of `{as_written(graph, p)}`" for p in graph.objects(shape, SH.targetSubjectsOf)]
    found += [f"objects of `{as_written(graph, p)}`" for p in graph.objects(shape, SH.targetObjectsOf)]
    found += ["the nodes a SPARQL query selects" for _ in graph.objects(shape, SH.target)]
    return ", ".join(found) or "nodes that other shapes refer to"


def rows(graph: rdflib.Graph, node_shape: rdflib.term.Node) -> list[str]:
    """One table row per rule of a node shape: its own constraints, property shapes, SPARQL constraints."""
    out = []
    own = requirements_of(graph, node_shape)
    if own != "see the query":
        message = graph.value(node_shape, SH.message) or ""
        level = severity(graph, node_shape)
        out.append(f"| `{compact(str(node_shape))}` | (the node) | {cell(own)} | {level} | {cell(message)} |")
    properties = sorted(graph.objects(node_shape, SH.property), key=str)
    for prop in properties:
        why = graph.value(prop, RDFS.comment) or ""
        message = graph.value(prop, SH.message) or ""
        path = as_written(graph, graph.value(prop, SH.path))
        requirement = requirements_of(graph, prop)
        out.append(
            f"| `{compact(str(prop))}` | `{cell(path)}` | {cell(requirement)} | {severity(graph, prop)} "
            f"| {cell(message)} {cell(why)} |"
        )
    for constraint in sorted(graph.objects(node_shape, SH.sparql), key=str):
        why = graph.value(constraint, RDFS.comment) or ""
        label = graph.value(constraint, RDFS.label) or ""
        out.append(
            f"| `{compact(str(constraint))}` | (SPARQL) | {cell(label)} | {severity(graph, node_shape)} | {cell(why)} |"
        )
    return out


def shapes_markdown(shapes_dir: Path) -> str:
    graph = load_shapes(shapes_dir)
    lines = [
        "# SDKG shapes: what the data must satisfy, and why",
        "",
        "Generated from `shapes/*.ttl` by `python -m sdkg.shapes_doc > docs/shapes.md`; do not edit by hand.",
        "`sdkg validate` names the rule (first column) of every result. A **Violation** blocks `sdkg build`;",
        "a **Warning** is reported and does not. The quote check (`sdkg:QuoteCheck`, not a shape) also",
        "compares every passage with its source text when the text is available. The graph check",
        "(`sdkg:GraphCheck`, not a shape) reports an editorial statement (`sdkg:EditorialLink`,",
        "`sdkg:EditorialAlignment`, made by no source) outside the editorial graph (`data/editorial/`), and",
        "any other node inside it: which named graph holds a triple is invisible to a SHACL engine that reads",
        "one merged graph. When `sdkg build` applies the rules, every triple they derive must come with an",
        "`sdkg:Explanation`, or the build fails.",
        "",
    ]
    for path in sorted(shapes_dir.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        intro = [line[2:] for line in text.splitlines() if line.startswith("# ")]
        lines += [f"## {path.name}", "", " ".join(intro), ""]
        for name, kind in SUBJECT.findall(text):
            if kind != "NodeShape":
                continue
            shape = rdflib.URIRef(name.replace("sdkgsh:", "https://w3id.org/sdkg/shapes#"))
            label = graph.value(shape, RDFS.label)
            lines += [
                f"### {label} (`{name}`)",
                "",
                f"Applies to {targets(graph, shape)}. {graph.value(shape, RDFS.comment) or ''}",
                "",
                "| Rule | Path | Requires | Severity | Message and why |",
                "|---|---|---|---|---|",
                *rows(graph, shape),
                "",
            ]
        standalone = [n for n, kind in SUBJECT.findall(text) if kind == "PropertyShape"]
        shared = [
            n
            for n in standalone
            if not any(
                True
                for _ in graph.subjects(
                    SH.property, rdflib.URIRef(n.replace("sdkgsh:", "https://w3id.org/sdkg/shapes#"))
                )
            )
        ]
        if shared:
            lines += [f"Unused property shapes: {', '.join(shared)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shapes_dir = Path(args[0]) if args else Path("shapes")
    sys.stdout.write(shapes_markdown(shapes_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
