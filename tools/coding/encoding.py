"""Read the encoding (claims, ascriptions, links, cases, passages) out of the project's data files.

Shared by ``sample.py`` (draws and blinds the sample) and ``anchor.py``. Plain rdflib over
``data/**/*.ttl``: no build, no server. Editorial statements (``data/editorial/``) are read only
so that a distractor pair is never one the editors have linked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, RDFS, SKOS

SDKG = rdflib.Namespace("https://w3id.org/sdkg/ontology#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
ID = "https://w3id.org/sdkg/id/"

STANCES = {
    str(SDKG.Endorses): "endorses",
    str(SDKG.Rejects): "rejects",
    str(SDKG.ReportsNeutrally): "neutral",
}
DISCOURSES = ("critical", "pluralist", "realist")


def local(term: object) -> str:
    """The last path segment of an IRI (``actor:mary-kaldor`` -> ``mary-kaldor``)."""
    return re.split(r"[/#]", str(term))[-1]


@dataclass(frozen=True)
class Passage:
    iri: str
    source: str
    start: int
    end: int
    exact: str


@dataclass
class Ascription:
    iri: str
    claim: str
    source: str
    reporter: str
    holders: tuple[str, ...]
    stance: str
    passages: list[Passage]


@dataclass
class Claim:
    iri: str
    label: str
    expresses: tuple[str, ...]
    criticises: tuple[str, ...]
    cases: tuple[str, ...]
    ascriptions: list[Ascription] = field(default_factory=list)

    def sources(self) -> set[str]:
        return {a.source for a in self.ascriptions}

    def first_offset(self, source: str) -> int:
        starts = [p.start for a in self.ascriptions if a.source == source for p in a.passages]
        return min(starts) if starts else 0


@dataclass
class Link:
    iri: str
    kind: str  # "supports" or "attacks"
    premise: str
    conclusion: str
    asserters: tuple[str, ...]
    source: str | None  # None for an editorial link
    passages: list[Passage]


@dataclass
class Encoding:
    claims: dict[str, Claim]
    cases: dict[str, str]  # case IRI -> label
    case_sources: dict[str, set[str]]  # case IRI -> sources that mention it
    links: list[Link]
    actors: dict[str, tuple[str, tuple[str, ...], set[str]]]  # IRI -> (label, altLabels, sources)
    source_codes: dict[str, str]  # "dw" -> source IRI
    source_files: dict[str, str]  # source IRI -> text file name


def _label(g: rdflib.Graph, node: rdflib.term.Node) -> str:
    for value in g.objects(node, RDFS.label):
        if getattr(value, "language", None) in (None, "en"):
            return str(value)
    return local(node)


def load(root: Path) -> Encoding:
    g = rdflib.Graph()
    g.parse(root / "ontology" / "sdkg.ttl", format="turtle")  # the class hierarchy
    for path in sorted((root / "data").rglob("*.ttl")):
        g.parse(path, format="turtle")

    passages: dict[str, Passage] = {}
    source_codes: dict[str, str] = {}
    for node in g.subjects(RDF.type, SDKG.Passage):
        source = str(g.value(node, OA.hasSource))
        exact, start, end = "", -1, -1
        for selector in g.objects(node, OA.hasSelector):
            if (selector, RDF.type, OA.TextQuoteSelector) in g:
                exact = str(g.value(selector, OA.exact))
            if (selector, RDF.type, OA.TextPositionSelector) in g:
                start = int(g.value(selector, OA.start))  # type: ignore[arg-type]
                end = int(g.value(selector, OA.end))  # type: ignore[arg-type]
        passages[str(node)] = Passage(str(node), source, start, end, exact)
        match = re.match(r"([a-z]+)-\d+-\d+$", local(node))
        if match:
            source_codes[match.group(1)] = source

    def passages_of(node: rdflib.term.Node) -> list[Passage]:
        found = [passages[str(p)] for p in g.objects(node, SDKG.restsOn) if str(p) in passages]
        return sorted(found, key=lambda p: (p.source, p.start))

    claims: dict[str, Claim] = {}
    for node in set(g.subjects(RDF.type, SDKG.Claim)) | set(g.subjects(RDF.type, SDKG.StatisticalClaim)):
        claims[str(node)] = Claim(
            iri=str(node),
            label=_label(g, node),
            expresses=tuple(sorted(local(d) for d in g.objects(node, SDKG.expressesDiscourse))),
            criticises=tuple(sorted(local(d) for d in g.objects(node, SDKG.criticisesDiscourse))),
            cases=tuple(sorted(str(c) for c in g.objects(node, SDKG.aboutCase))),
        )
    for node in g.subjects(RDF.type, SDKG.Ascription):
        claim = claims.get(str(g.value(node, SDKG.ascribes)))
        if claim is None:
            continue
        claim.ascriptions.append(
            Ascription(
                iri=str(node),
                claim=claim.iri,
                source=str(g.value(node, SDKG.inSource)),
                reporter=local(g.value(node, SDKG.reportedBy)),
                holders=tuple(sorted(local(h) for h in g.objects(node, SDKG.heldBy))),
                stance=STANCES.get(str(g.value(node, SDKG.stance)), "?"),
                passages=passages_of(node),
            )
        )
    for claim in claims.values():
        claim.ascriptions.sort(key=lambda a: (a.source, a.passages[0].start if a.passages else 0, a.iri))

    links: list[Link] = []
    for kind, cls in (("supports", SDKG.Support), ("attacks", SDKG.Attack)):
        for node in g.subjects(RDF.type, cls):
            source = g.value(node, SDKG.linkSource)
            links.append(
                Link(
                    iri=str(node),
                    kind=kind,
                    premise=str(g.value(node, SDKG.premise)),
                    conclusion=str(g.value(node, SDKG.conclusion)),
                    asserters=tuple(sorted(local(a) for a in g.objects(node, SDKG.assertedBy))),
                    source=None if source is None else str(source),
                    passages=passages_of(node),
                )
            )
    links.sort(key=lambda link: link.iri)

    case_classes = {str(c) for c in g.transitive_subjects(RDFS.subClassOf, SDKG.Case)}
    cases: dict[str, str] = {}
    case_sources: dict[str, set[str]] = {}
    for node, cls in g.subject_objects(RDF.type):
        if str(cls) in case_classes and str(node).startswith(ID + "case/"):
            cases[str(node)] = _label(g, node)
            case_sources[str(node)] = {str(s) for s in g.objects(node, SDKG.mentionedIn)}

    actor_classes = {str(c) for c in g.transitive_subjects(RDFS.subClassOf, SDKG.Actor)}
    actors: dict[str, tuple[str, tuple[str, ...], set[str]]] = {}
    for node, cls in g.subject_objects(RDF.type):
        if str(cls) in actor_classes and str(node).startswith(ID + "actor/"):
            alt = tuple(sorted(str(a) for a in g.objects(node, SKOS.altLabel)))
            actors[str(node)] = (_label(g, node), alt, {str(s) for s in g.objects(node, SDKG.mentionedIn)})

    source_files = {str(s): str(f) for s, f in g.subject_objects(SDKG.sourceFileName)}
    return Encoding(claims, cases, case_sources, links, actors, source_codes, source_files)


_PREFIX = re.compile(r"^[A-Z][^:]{0,60}:\s+")
_SUFFIX = re.compile(r"\s+\([^()]*\)$")


def neutral_wording(label: str) -> str:
    """A claim's label without the bracketed holder name and any "X:" lead.

    Labels may end with the holder's surname, "(Bull)", or open with the holder or the
    discourse, "Critical security: ...": both would tell the coder what they are asked to code.
    """
    wording = _SUFFIX.sub("", label.strip())
    wording = _PREFIX.sub("", wording)
    return wording[:1].upper() + wording[1:]
