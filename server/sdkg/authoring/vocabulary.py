"""What the ontology says about properties and classes, as an authoring file needs it.

An authoring file names properties in words (``member of``, ``start year``) and classes by
name (``Person``, ``armed conflict``). Reading both from the loaded ontology, rather than
from a table in this package, keeps the format complete: a property or class the ontology
gains is usable at once, and the converter can express any data that uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..namespaces import ID, PREFIXES, RDF, RDFS, SDKG, XSD

OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
SUBCLASS_OF = RDFS + "subClassOf"

ROOT_NAMESPACES: dict[str, str] = {
    SDKG + "Actor": "actor/",
    SDKG + "DiscourseAlignment": "alignment/",
    SDKG + "ArgumentLink": "argument/",
    SDKG + "Ascription": "ascription/",
    SDKG + "Case": "case/",
    SDKG + "Claim": "claim/",
    SDKG + "Concept": "concept/",
    SDKG + "Discourse": "discourse/",
    SDKG + "Passage": "passage/",
    SDKG + "Periodical": "periodical/",
    SDKG + "Place": "place/",
    SDKG + "Source": "source/",
}
"""The IRI namespace of each top class (the shapes' ``*IriShape`` rules); subclasses share it."""

LANGUAGE_FREE = {XSD + "string", XSD + "integer", XSD + "nonNegativeInteger", XSD + "decimal"}


@dataclass(frozen=True)
class Property:
    """A property as the ontology declares it."""

    iri: str
    kind: str  # "object", "datatype" or "annotation"
    ranges: frozenset[str] = frozenset()
    datatype: str | None = None

    @property
    def english(self) -> bool:
        """Text values carry ``@en`` unless the range is a plain datatype (``xsd:string``, a number)."""
        return self.kind != "object" and self.datatype not in LANGUAGE_FREE


@dataclass
class Vocabulary:
    """Properties, classes and named individuals of the loaded ontology."""

    properties: dict[str, Property] = field(default_factory=dict)
    superclasses: dict[str, set[str]] = field(default_factory=dict)
    class_labels: dict[str, str] = field(default_factory=dict)
    individuals: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """class IRI -> [(individual IRI, label)] for classes of named individuals (stances, roles)."""

    def property_for(self, key: str) -> Property | None:
        """The property a key names: ``member of``, ``memberOf`` or a CURIE such as ``rdfs:comment``."""
        if ":" in key:
            prefix, _, local = key.partition(":")
            namespace = PREFIXES.get(prefix)
            return self.properties.get(namespace + local) if namespace else None
        return self.properties.get(SDKG + camel(key))

    def namespaces_of(self, classes: frozenset[str] | set[str]) -> list[str] | None:
        """The IRI namespaces whose instances can be of ``classes`` (``None``: any namespace)."""
        found: list[str] = []
        for cls in classes:
            namespace = self.namespace_of(cls)
            if namespace is None:
                return None
            if namespace not in found:
                found.append(namespace)
        return found or None

    def namespace_of(self, cls: str) -> str | None:
        for candidate in [cls, *sorted(self.ancestors(cls))]:
            if candidate in ROOT_NAMESPACES:
                return ROOT_NAMESPACES[candidate]
        return None

    def ancestors(self, cls: str) -> set[str]:
        seen: set[str] = set()
        todo = [cls]
        while todo:
            for parent in self.superclasses.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def subclasses_of(self, root: str) -> list[str]:
        """Every class at or below ``root`` (sorted by local name)."""
        found = [c for c in self.class_labels if c == root or root in self.ancestors(c)]
        return sorted(found, key=local_name)

    def class_for(self, name: str, root: str) -> str | None:
        """A class at or below ``root`` named by local name (``ArmedConflict``) or label (``armed conflict``)."""
        wanted = " ".join(name.split()).lower()
        for cls in self.subclasses_of(root):
            if wanted in (local_name(cls).lower(), self.class_labels.get(cls, "").lower()):
                return cls
        return None

    def individual_for(self, cls: str, name: str) -> str | None:
        """A named individual of ``cls`` by label (``reports neutrally``, ``author``) or local name."""
        wanted = " ".join(name.split()).lower()
        for iri, label in self.individuals.get(cls, []):
            forms = {label.lower(), local_name(iri).lower(), words(local_name(iri))}
            forms.update(form.removesuffix(" role") for form in list(forms))
            if wanted in forms:
                return iri
        return None

    def individual_names(self, cls: str) -> list[str]:
        """How to write each individual of ``cls``: ``endorses``, ``position holder``, ``who is secured``."""
        return sorted(friendly(iri, label) for iri, label in self.individuals.get(cls, []))

    def individual_name(self, iri: str) -> str:
        for entries in self.individuals.values():
            for candidate, label in entries:
                if candidate == iri:
                    return friendly(iri, label)
        return local_name(iri)


def friendly(iri: str, label: str) -> str:
    """The shortest natural way to write an individual: its label, or its name in words for roles."""
    spoken = words(local_name(iri))
    return spoken.removesuffix(" role") if spoken.endswith(" role") else label


def load_vocabulary(store: ox.Store) -> Vocabulary:
    """Read the vocabulary from whatever ontology ``store`` holds (any graph)."""
    vocabulary = Vocabulary()
    kinds = {
        OWL + "ObjectProperty": "object",
        OWL + "DatatypeProperty": "datatype",
        OWL + "AnnotationProperty": "annotation",
    }
    for type_iri, kind in kinds.items():
        for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(type_iri), None):
            if not isinstance(quad.subject, ox.NamedNode):
                continue
            iri = quad.subject.value
            ranges: set[str] = set()
            datatype = None
            for range_quad in store.quads_for_pattern(quad.subject, ox.NamedNode(RDFS + "range"), None, None):
                value = range_quad.object
                if isinstance(value, ox.NamedNode) and value.value.startswith(XSD):
                    datatype = value.value
                elif isinstance(value, ox.NamedNode):
                    ranges.add(value.value)
                elif isinstance(value, ox.BlankNode):
                    ranges.update(union_members(store, value))
            if iri not in vocabulary.properties or kind == "object":
                vocabulary.properties[iri] = Property(iri, kind, frozenset(ranges), datatype)
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(OWL + "Class"), None):
        if isinstance(quad.subject, ox.NamedNode):
            cls = quad.subject.value
            vocabulary.class_labels[cls] = first_label(store, quad.subject) or local_name(cls)
            parents = {
                q.object.value
                for q in store.quads_for_pattern(quad.subject, ox.NamedNode(SUBCLASS_OF), None, None)
                if isinstance(q.object, ox.NamedNode)
            }
            vocabulary.superclasses[cls] = parents
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(OWL + "NamedIndividual"), None):
        if not isinstance(quad.subject, ox.NamedNode):
            continue
        label = first_label(store, quad.subject) or local_name(quad.subject.value)
        for type_quad in store.quads_for_pattern(quad.subject, ox.NamedNode(RDF_TYPE), None, None):
            type_node = type_quad.object
            if isinstance(type_node, ox.NamedNode) and type_node.value != OWL + "NamedIndividual":
                entries = vocabulary.individuals.setdefault(type_node.value, [])
                if (quad.subject.value, label) not in entries:
                    entries.append((quad.subject.value, label))
    return vocabulary


def union_members(store: ox.Store, node: ox.BlankNode) -> set[str]:
    """The named classes of an ``owl:unionOf`` list."""
    members: set[str] = set()
    for union in store.quads_for_pattern(node, ox.NamedNode(OWL + "unionOf"), None, None):
        cell: object = union.object
        for _ in range(64):
            if not isinstance(cell, ox.BlankNode):
                break
            first = next(store.quads_for_pattern(cell, ox.NamedNode(RDF + "first"), None, None), None)
            if first is not None and isinstance(first.object, ox.NamedNode):
                members.add(first.object.value)
            rest = next(store.quads_for_pattern(cell, ox.NamedNode(RDF + "rest"), None, None), None)
            cell = rest.object if rest is not None else None
    return members


def first_label(store: ox.Store, node: ox.NamedNode) -> str | None:
    quad = next(store.quads_for_pattern(node, ox.NamedNode(RDFS_LABEL), None, None), None)
    return str(quad.object.value) if quad is not None and isinstance(quad.object, ox.Literal) else None


def term_text(term: object) -> str:
    """An IRI's or a literal's text (quoted triples never occur in SDKG data)."""
    return str(getattr(term, "value", term))


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def camel(key: str) -> str:
    """``member of`` -> ``memberOf``; a key already in camel case is kept."""
    parts = key.split()
    if len(parts) <= 1:
        return key
    return parts[0].lower() + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def words(local: str) -> str:
    """``memberOf`` -> ``member of``, ``normalisedTextSha256`` -> ``normalised text sha256``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).lower()


def is_sdkg_id(iri: str) -> bool:
    return iri.startswith(ID)
