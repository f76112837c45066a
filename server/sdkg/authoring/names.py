"""Resolve what a scholar writes (a label, an alternative label, a short name) to one IRI.

An authoring file never contains an IRI: ``holder: E. H. Carr``, ``cases: [Rwandan genocide]``,
``mentions: realists``. Each is looked up, in this order, as

1. a short name (the last part of an IRI: ``e-h-carr``) in the namespaces the field allows,
2. an English label, exactly,
3. an English alternative label, exactly,
4. a label or alternative label, ignoring case and spacing,

among the entities of the graph and those declared in the authoring files. The first step
that finds anything decides; finding two is an error that lists them, because a silent
choice would attach a claim to the wrong actor. Not finding one suggests close names and
says where to declare a new entity.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import ID, INFERRED_GRAPH
from .vocabulary import RDF_TYPE, RDFS_LABEL, SKOS, Vocabulary, term_text

ALT_LABEL = SKOS + "altLabel"
INFERRED = ox.NamedNode(INFERRED_GRAPH)
SHORT_NAME = r"[a-z0-9]+(-[a-z0-9]+)*"

NOUNS = {
    "actor/": ("actor", "actors"),
    "case/": ("case", "cases"),
    "concept/": ("concept", "concepts"),
    "place/": ("place", "places"),
    "source/": ("source", "works"),
    "periodical/": ("periodical", "periodicals"),
    "discourse/": ("discourse", "discourses"),
    "claim/": ("claim", "claims"),
    "argument/": ("link", "links"),
    "alignment/": ("alignment", "alignments"),
}
"""What to call an entity of each namespace, and the section of an authoring file that declares one."""


class NameProblem(ValueError):
    """A name resolves to nothing, or to more than one entity."""


@dataclass
class Declared:
    """An entity declared in an authoring file."""

    iri: str
    path: Path
    line: int
    labels: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)


class Names:
    """Labels and short names of the graph (read lazily from the store) and of the declarations."""

    def __init__(self, store: ox.Store, vocabulary: Vocabulary, graph_files: dict[str, Path] | None = None):
        self.store = store
        self.vocabulary = vocabulary
        self.graph_files = graph_files or {}
        self.declared: dict[str, Declared] = {}
        self._folded: dict[str, set[str]] | None = None

    # ------------------------------------------------------------------ what exists

    def declare(self, declared: Declared) -> Declared | None:
        """Register a declaration; return the earlier one when the IRI was declared before."""
        earlier = self.declared.get(declared.iri)
        if earlier is None:
            self.declared[declared.iri] = declared
            self._folded = None
        return earlier

    def in_store(self, iri: str) -> bool:
        """Whether a data file describes ``iri`` (derived triples do not count: the build loads files twice)."""
        return any(
            quad.graph_name != INFERRED
            for quad in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), None, None)
        )

    def exists(self, iri: str) -> bool:
        return iri in self.declared or self.in_store(iri)

    def where(self, iri: str) -> str:
        """Where an entity is described, for messages: ``data/x/actors.ttl`` or ``file.sdkg.yaml:12``."""
        if iri in self.declared:
            d = self.declared[iri]
            return f"{d.path}:{d.line}"
        quad = next(self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), None, None), None)
        if quad is not None and isinstance(quad.graph_name, ox.NamedNode):
            graph = quad.graph_name.value
            return str(self.graph_files.get(graph, graph))
        return "the graph"

    def label(self, iri: str) -> str | None:
        if iri in self.declared and self.declared[iri].labels:
            return self.declared[iri].labels[0]
        quad = next(self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDFS_LABEL), None, None), None)
        return term_text(quad.object) if quad is not None else None

    def types(self, iri: str) -> set[str]:
        found = set(self.declared[iri].types) if iri in self.declared else set()
        for quad in self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), None, None):
            if isinstance(quad.object, ox.NamedNode):
                found.add(quad.object.value)
        return found

    def is_a(self, iri: str, cls: str) -> bool:
        return any(t == cls or cls in self.vocabulary.ancestors(t) for t in self.types(iri))

    # ------------------------------------------------------------------ resolution

    def resolve(self, text: str, namespaces: list[str] | None) -> str:
        """The one IRI ``text`` names in ``namespaces`` (``None``: any), or :class:`NameProblem`."""
        wanted = " ".join(text.split())
        spaces = namespaces or list(NOUNS)
        for step in (self.by_short_name, self.by_label, self.by_alternative, self.by_folded):
            found = sorted({iri for iri in step(wanted, spaces) if any(iri.startswith(ID + ns) for ns in spaces)})
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                listed = "; ".join(f"{self.label(i) or '?'} (short name {short(i)}, {self.where(i)})" for i in found)
                raise NameProblem(
                    f"{wanted!r} could name {len(found)} {plural(spaces)}: {listed}."
                    " Write the short name of the one you mean."
                )
        raise NameProblem(self.unknown(wanted, spaces))

    def by_short_name(self, text: str, spaces: list[str]) -> list[str]:
        return [ID + ns + text for ns in spaces if self.exists(ID + ns + text)] if " " not in text else []

    def by_label(self, text: str, spaces: list[str]) -> list[str]:
        return self.literal_match(RDFS_LABEL, text, lambda d: d.labels)

    def by_alternative(self, text: str, spaces: list[str]) -> list[str]:
        return self.literal_match(ALT_LABEL, text, lambda d: d.alternatives)

    def literal_match(self, predicate: str, text: str, declared_forms: Callable[[Declared], list[str]]) -> list[str]:
        found = [
            q.subject.value
            for literal in (ox.Literal(text, language="en"), ox.Literal(text))
            for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), literal, None)
            if isinstance(q.subject, ox.NamedNode)
        ]
        found += [iri for iri, d in self.declared.items() if text in declared_forms(d)]
        return found

    def by_folded(self, text: str, spaces: list[str]) -> list[str]:
        return sorted(self.folded().get(fold(text), set()))

    def folded(self) -> dict[str, set[str]]:
        """Every label and alternative label, case- and space-folded (built on the first miss only)."""
        if self._folded is None:
            index: dict[str, set[str]] = {}
            for predicate in (RDFS_LABEL, ALT_LABEL):
                for quad in self.store.quads_for_pattern(None, ox.NamedNode(predicate), None, None):
                    if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(ID):
                        index.setdefault(fold(term_text(quad.object)), set()).add(quad.subject.value)
            for iri, d in self.declared.items():
                for form in [*d.labels, *d.alternatives]:
                    index.setdefault(fold(form), set()).add(iri)
            self._folded = index
        return self._folded

    def unknown(self, text: str, spaces: list[str]) -> str:
        candidates: dict[str, str] = {}
        for form, iris in self.folded().items():
            for iri in iris:
                if any(iri.startswith(ID + ns) for ns in spaces):
                    candidates[form] = iri
                    candidates[short(iri)] = iri
        close = difflib.get_close_matches(fold(text), list(candidates), n=3, cutoff=0.7)
        hint = ""
        if close:
            shown = sorted({candidates[c] for c in close})
            hint = " Did you mean " + " or ".join(f"{self.label(i)!r} ({short(i)})" for i in shown) + "?"
        sections = sorted({NOUNS[ns][1] for ns in spaces if ns in NOUNS})
        declare = (
            f" To add a new one, declare it under `{'`/`'.join(sections)}:` in this file."
            if sections and sections != ["claims"]
            else ""
        )
        return (
            f"unknown {' or '.join(NOUNS.get(ns, (ns,))[0] for ns in spaces)} {text!r}: it is not the label,"
            f" alternative label or short name of any in the graph or in the authoring files.{hint}{declare}"
        )


def fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def short(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def plural(spaces: list[str]) -> str:
    return " or ".join(NOUNS.get(ns, (ns, ns))[1] for ns in spaces)
