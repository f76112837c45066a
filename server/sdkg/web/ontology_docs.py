"""The ontology at its IRI path: release files when the release step can make them, else the store.

``sdkg.release.write_release`` (pyLODE documentation, RDF/XML, Turtle, JSON-LD) runs
once, lazily, into a cache directory under the state directory, keyed by the
ontology files' contents. When it is missing or fails, the RDF forms come from a
CONSTRUCT of the graph that declares the ontology and the HTML from
:func:`ontology_terms`, so ``/ontology`` always answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..layout import ProjectLayout
from ..namespaces import ONTOLOGY_IRI, PREFIXES, SDKG
from ..sparql.engine import Bindings, Engine, select
from .describe import PREFIX_HEADER
from .render import curie

log = logging.getLogger(__name__)

OWL = PREFIXES["owl"]
RELEASE_SUFFIXES = {
    "text/html": (".html",),
    "text/turtle": (".ttl",),
    "application/rdf+xml": (".owl", ".rdf"),
    "application/ld+json": (".jsonld",),
}

ONTOLOGY_GRAPH = (
    PREFIX_HEADER
    + f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
    GRAPH ?g {{ <{ONTOLOGY_IRI}> a owl:Ontology . ?s ?p ?o }}
}}"""
)

TERMS = (
    PREFIX_HEADER
    + f"""SELECT DISTINCT ?s ?p ?o ?olabel WHERE {{
    GRAPH ?g {{ <{ONTOLOGY_IRI}> a owl:Ontology . ?s ?p ?o . }}
    OPTIONAL {{ ?o rdfs:label ?olabel }}
}}"""
)


class OntologyFiles:
    """The release's files for one version of the ontology, made at most once per process.

    The first request starts the release step in the background and is answered from the
    store; later requests get the release files once they exist (pyLODE takes seconds).
    """

    def __init__(self, root: Path | None):
        self.root = root
        self.task: asyncio.Task[dict[str, Path] | None] | None = None

    def cache_dir(self) -> Path | None:
        if self.root is None:
            return None
        layout = ProjectLayout.at(self.root)
        digest = hashlib.sha256(__version__.encode())
        for path in sorted(layout.ontology.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(self.root).as_posix().encode() + b"\0" + path.read_bytes())
        return layout.state / "cache" / "ontology" / digest.hexdigest()[:16]

    async def get(self, media_type: str) -> Path | None:
        """The release file for a media type, or ``None`` while it is being made or when it cannot be."""
        if self.task is None:
            self.task = asyncio.create_task(self.make_safely())
        if not self.task.done():
            return None
        files = self.task.result()
        return (files or {}).get(media_type)

    async def ready(self) -> None:
        """Wait for the release step (for tests and warm-up)."""
        await self.get("text/html")
        assert self.task is not None
        await self.task

    async def make_safely(self) -> dict[str, Path] | None:
        try:
            return await run_in_threadpool(self.make)
        except Exception as exc:  # the release step is optional: log and keep serving from the store
            log.warning("ontology release files unavailable, serving from the store: %s", exc)
            return None

    def make(self) -> dict[str, Path] | None:
        out = self.cache_dir()
        if out is None or self.root is None:
            return None
        try:
            from ..release import write_release  # pyLODE and rdflib's serialisers load with it: only when asked
        except ImportError:
            return None
        if not out.is_dir() or not any(out.rglob("*")):
            temporary = out.with_name(f"{out.name}.tmp-{os.getpid()}")
            shutil.rmtree(temporary, ignore_errors=True)
            temporary.mkdir(parents=True)
            write_release(self.root, temporary)
            try:
                temporary.rename(out)
            except OSError:  # another process finished first: use its files
                shutil.rmtree(temporary, ignore_errors=True)
        return pick_files(sorted(p for p in out.rglob("*") if p.is_file()))


def pick_files(paths: list[Path]) -> dict[str, Path]:
    """One file per media type: the ontology's own, and for HTML the index page if there is one."""
    chosen: dict[str, Path] = {}
    for media_type, suffixes in RELEASE_SUFFIXES.items():
        candidates = [p for p in paths if p.suffix in suffixes]
        if media_type == "text/html":
            candidates.sort(key=lambda p: (p.name != "index.html", len(p.parts), p.name))
        else:
            candidates.sort(key=lambda p: (p.stem != "sdkg", "full" in p.stem, len(p.parts), p.name))
        if candidates:
            chosen[media_type] = candidates[0]
    return chosen


@dataclass
class TermDoc:
    """One ontology term as the fallback documentation lists it."""

    iri: str
    anchor: str
    label: str
    kinds: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class OntologyDoc:
    iri: str
    title: str = "SDKG ontology"
    metadata: dict[str, list[str]] = field(default_factory=dict)
    sections: list[tuple[str, str, list[TermDoc]]] = field(default_factory=list)


SECTIONS = [
    ("classes", "Classes", OWL + "Class"),
    ("object-properties", "Object properties", OWL + "ObjectProperty"),
    ("datatype-properties", "Datatype properties", OWL + "DatatypeProperty"),
    ("annotation-properties", "Annotation properties", OWL + "AnnotationProperty"),
    ("individuals", "Named individuals", OWL + "NamedIndividual"),
]
TEXT_FIELDS = {
    PREFIXES["skos"] + "definition": "Definition",
    PREFIXES["rdfs"] + "comment": "Comment",
    PREFIXES["skos"] + "example": "Example",
    PREFIXES["skos"] + "scopeNote": "Scope note",
}
LINK_FIELDS = {
    PREFIXES["rdf"] + "type": "Type",
    PREFIXES["rdfs"] + "subClassOf": "Subclass of",
    PREFIXES["rdfs"] + "subPropertyOf": "Subproperty of",
    PREFIXES["rdfs"] + "domain": "Domain",
    PREFIXES["rdfs"] + "range": "Range",
    OWL + "inverseOf": "Inverse of",
    OWL + "equivalentClass": "Equivalent to",
    OWL + "disjointWith": "Disjoint with",
    PREFIXES["skos"] + "exactMatch": "Exact match",
    PREFIXES["skos"] + "closeMatch": "Close match",
    PREFIXES["skos"] + "broadMatch": "Broad match",
    PREFIXES["skos"] + "relatedMatch": "Related match",
}


def anchor_for(iri: str) -> str:
    """``sdkg:Claim`` → ``Claim`` (so ``/ontology#Claim`` works); others by prefixed name."""
    if iri.startswith(SDKG):
        return iri[len(SDKG) :]
    return curie(iri).replace(":", "-")


async def ontology_terms(engine: Engine) -> OntologyDoc:
    """The ontology's terms, grouped by kind, with labels, definitions, domains and ranges."""
    rows = await select(engine, TERMS)
    by_subject: dict[str, list[Bindings]] = {}
    for row in rows:
        by_subject.setdefault(row["s"]["value"], []).append(row)
    doc = OntologyDoc(ONTOLOGY_IRI)
    blanks = {k: v for k, v in by_subject.items() if any(r["s"]["type"] == "bnode" for r in v)}
    terms: dict[str, TermDoc] = {}
    for iri, subject_rows in by_subject.items():
        if iri in blanks:
            continue
        if iri == ONTOLOGY_IRI:
            for row in subject_rows:
                doc.metadata.setdefault(row["p"]["value"], []).append(row["o"]["value"])
            continue
        labels = [r["o"]["value"] for r in subject_rows if r["p"]["value"] == PREFIXES["rdfs"] + "label"]
        term = TermDoc(iri, anchor_for(iri), labels[0] if labels else anchor_for(iri))
        for row in subject_rows:
            p, o = row["p"]["value"], row["o"]
            if p == PREFIXES["rdf"] + "type":
                term.kinds.add(o["value"])
            if p in TEXT_FIELDS:
                term.values.setdefault(TEXT_FIELDS[p], []).append(o["value"])
            elif p in LINK_FIELDS:
                shown = o["value"] if o["type"] != "bnode" else expression(o["value"], blanks)
                label = row.get("olabel", {}).get("value") or shown
                term.links.setdefault(LINK_FIELDS[p], []).append((shown if o["type"] != "bnode" else "", label))
        terms[iri] = term
    title = doc.metadata.get(PREFIXES["dcterms"] + "title")
    if title:
        doc.title = title[0]
    for anchor, heading, kind in SECTIONS:
        members = [t for t in terms.values() if kind in t.kinds]
        members.sort(key=lambda t: (not t.iri.startswith(SDKG), t.label.lower()))
        if members:
            doc.sections.append((anchor, heading, members))
    return doc


def expression(node: str, blanks: dict[str, list[Bindings]], depth: int = 0) -> str:
    """A class expression (union, enumeration, restriction) in a compact Manchester-like text."""
    rows = blanks.get(node, [])
    if depth > 4 or not rows:
        return "…"
    props: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        props.setdefault(row["p"]["value"], []).append(row["o"])

    def name(cell: dict[str, str]) -> str:
        if cell["type"] == "bnode":
            return expression(cell["value"], blanks, depth + 1)
        if cell["type"] != "uri":
            return cell["value"]
        return curie(cell["value"])

    for key, word in ((OWL + "unionOf", " or "), (OWL + "intersectionOf", " and "), (OWL + "oneOf", ", ")):
        if key in props:
            members = [name(m) for m in list_members(props[key][0], blanks)]
            return ("{" + word.join(members) + "}") if key == OWL + "oneOf" else "(" + word.join(members) + ")"
    if OWL + "onProperty" in props:
        prop = name(props[OWL + "onProperty"][0])
        target = props.get(OWL + "onClass") or props.get(OWL + "someValuesFrom") or props.get(OWL + "allValuesFrom")
        for key, word in (
            (OWL + "qualifiedCardinality", "exactly"),
            (OWL + "minQualifiedCardinality", "min"),
            (OWL + "maxQualifiedCardinality", "max"),
            (OWL + "cardinality", "exactly"),
            (OWL + "minCardinality", "min"),
            (OWL + "maxCardinality", "max"),
        ):
            if key in props:
                return f"{prop} {word} {props[key][0]['value']}" + (f" {name(target[0])}" if target else "")
        if OWL + "someValuesFrom" in props:
            return f"{prop} some {name(props[OWL + 'someValuesFrom'][0])}"
        if OWL + "allValuesFrom" in props:
            return f"{prop} only {name(props[OWL + 'allValuesFrom'][0])}"
        if OWL + "hasValue" in props:
            return f"{prop} value {name(props[OWL + 'hasValue'][0])}"
    return "…"


def list_members(head: dict[str, str], blanks: dict[str, list[Bindings]]) -> list[dict[str, str]]:
    """The members of an RDF list whose cells are blank nodes in ``blanks``."""
    members: list[dict[str, str]] = []
    node = head
    for _ in range(1000):
        if node["type"] != "bnode":
            break
        cells = {r["p"]["value"]: r["o"] for r in blanks.get(node["value"], [])}
        first = cells.get(PREFIXES["rdf"] + "first")
        rest = cells.get(PREFIXES["rdf"] + "rest")
        if first is None or rest is None:
            break
        members.append(first)
        node = rest
    return members
