"""Turn a source's Turtle data back into an authoring file.

Two uses: moving a text that was encoded in Turtle to the authoring format, and proving that
the format can say everything the data says (the round-trip test converts each source of the
repository, compiles the result and compares the triples). So the converter is exact or it
fails: every triple of the unit must be written, and any it cannot express is listed in a
:class:`ConversionProblem`, never dropped.

The unit of conversion is a data folder (``data/dunne-wheeler/``): its files' triples, plus
the editorial links whose IRI carries the folder's code (``argument:kr-dw-...`` goes with
``kr``), which the authoring file writes with ``editorial: yes``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..authoring.anchoring import Quote, QuoteProblem, SourceText
from ..authoring.compile import Context, default_ascription_label, passages_of_claim
from ..authoring.emit import dump
from ..authoring.format import ALIGNMENT, ARGUMENT, ASCRIPTION, CLAIM, LINKS, OA, PASSAGE, SECTIONS, key_for
from ..authoring.names import NameProblem, Names, short
from ..authoring.vocabulary import RDF_TYPE, RDFS_LABEL, local_name, term_text
from ..namespaces import ID, SDKG
from ..project import LoadedProject, ProjectFile, read_rdf_file

ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
MENTIONED_IN = SDKG + "mentionedIn"
STATISTIC = {SDKG + p for p in ("statisticValue", "statisticUnit", "measure", "period", "citedBody")}
ASCRIPTION_CORE = {
    RDF_TYPE,
    RDFS_LABEL,
    SDKG + "ascribes",
    SDKG + "reportedBy",
    SDKG + "heldBy",
    SDKG + "stance",
    SDKG + "inSource",
    SDKG + "restsOn",
}


SHORT_NAMED = (ID + "discourse/",)
"""References written by short name (``expresses: critical``): their labels are long and the names are the field's."""

CLAIM_ORDER = [
    "kind",
    "label",
    "paraphrase",
    "quote",
    "reporter",
    "holder",
    "stance",
    "ascription label",
    "ascriptions",
]
LINK_ORDER = ["label", "premise", "supports", "attacks", "editorial", "by", "quote"]


def ordered(fields: dict[str, object], first: list[str]) -> dict[str, object]:
    """The fields a reader looks for first, then the rest as written."""
    return {**{k: fields[k] for k in first if k in fields}, **{k: v for k, v in fields.items() if k not in first}}


class ConversionProblem(ValueError):
    """The data holds something the authoring format cannot write; the message lists it."""


@dataclass
class Unit:
    """What one authoring file will hold: a folder's quads and the editorial links that go with it."""

    folder: Path
    source: str
    code: str
    quads: list[ox.Quad]
    files: list[ProjectFile] = field(default_factory=list)


@dataclass
class PassageData:
    iri: str
    source: str | None = None
    exact: str | None = None
    start: int | None = None
    end: int | None = None
    prefix: str = ""
    suffix: str = ""


def units_of(project: LoadedProject, data_dir: Path) -> list[Unit]:
    """Every data folder that encodes a source (its ascriptions name one source), as a unit.

    Editorial statements (in the editorial graph, or made by the editors in no source) go with the
    unit that declares what they start from: the premise of a link, else the concept of an
    alignment, else the conclusion.
    """
    by_folder: dict[Path, list[ProjectFile]] = defaultdict(list)
    for file in project.files:
        if file.kind == "data" and file.path.resolve().parent.parent == data_dir.resolve():
            by_folder[file.path.resolve().parent].append(file)
    units = []
    for folder, files in sorted(by_folder.items()):
        quads = [q for file in files for q in read_rdf_file(file)]
        sources = Counter(term_text(q.object) for q in quads if q.predicate.value == SDKG + "inSource")
        if len(sources) != 1:
            continue
        source = next(iter(sources))
        codes = Counter(
            q.subject.value[len(PASSAGE) :].split("-", 1)[0]
            for q in quads
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(PASSAGE)
        )
        if codes:
            units.append(Unit(folder, source, codes.most_common(1)[0][0], quads, files))
    owned: set[object] = {q.subject for unit in units for q in unit.quads}
    declared: dict[object, Unit] = {
        q.subject: unit for unit in units for q in unit.quads if q.predicate.value == RDF_TYPE
    }
    for statement in editorial_statements(project, owned):
        for predicate in (SDKG + "premise", SDKG + "alignedConcept", SDKG + "conclusion"):
            target = next(project.store.quads_for_pattern(statement, ox.NamedNode(predicate), None, None), None)
            if target is not None and target.object in declared:
                declared[target.object].quads.extend(project.store.quads_for_pattern(statement, None, None, None))
                break
    return units


def editorial_statements(project: LoadedProject, owned: set[object]) -> list[ox.NamedNode]:
    """Links and alignments that no source makes: in the editorial graph, typed editorial, or made by the
    editors in no source; those in a unit's own files stay with it (converted as they are)."""
    store = project.store
    found: list[ox.NamedNode] = []
    candidates = [q.subject for q in store.quads_for_pattern(None, None, None, ox.NamedNode(LINKS.editorial_graph))]
    for cls in (LINKS.editorial_link, LINKS.editorial_alignment):
        candidates += [
            q.subject for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(cls), None)
        ]
    for quad in store.quads_for_pattern(None, ox.NamedNode(LINKS.asserted_by), ox.NamedNode(LINKS.editors), None):
        if next(store.quads_for_pattern(quad.subject, ox.NamedNode(LINKS.made_in), None, None), None) is None:
            candidates.append(quad.subject)
    for subject in candidates:
        if isinstance(subject, ox.NamedNode) and subject not in owned and subject not in found:
            if subject.value.startswith((ARGUMENT, ALIGNMENT)):
                found.append(subject)
    return found


class Converter:
    """Writes one unit as an authoring file (see :func:`convert`)."""

    def __init__(self, unit: Unit, context: Context, text: SourceText | None):
        self.unit = unit
        self.code = unit.code
        self.source = unit.source
        self.vocabulary = context.vocabulary
        self.context = context
        self.names = Names(context.store, context.vocabulary)
        self.text = text
        self.problems: list[str] = []
        self.triples: dict[object, list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]] = defaultdict(list)
        self.order: list[object] = []
        self.graphs: dict[object, str] = {}
        self.used: set[tuple[object, str, object]] = set()
        for quad in unit.quads:
            if quad.subject not in self.triples:
                self.order.append(quad.subject)
            obj = quad.object
            assert not isinstance(obj, ox.Triple)
            self.triples[quad.subject].append((quad.predicate.value, obj))
            self.graphs[quad.subject] = term_text(quad.graph_name)
        self.passages = {iri.value: self.passage_data(iri) for iri in self.subjects(PASSAGE)}
        self.claims = {c.value: c.value[len(CLAIM) :].removeprefix(f"{self.code}-") for c in self.subjects(CLAIM)}
        self.reporter: str | None = None

    # ------------------------------------------------------------------ reading the unit

    def subjects(self, prefix: str) -> list[ox.NamedNode]:
        return [s for s in self.order if isinstance(s, ox.NamedNode) and s.value.startswith(prefix)]

    def values(self, subject: object, predicate: str) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        found = []
        for p, o in self.triples.get(subject, []):
            if p == predicate:
                found.append(o)
                self.used.add((subject, p, o))
        return found

    def one(self, subject: object, predicate: str) -> str | None:
        found = self.values(subject, predicate)
        return term_text(found[0]) if found else None

    def passage_data(self, iri: ox.NamedNode) -> PassageData:
        data = PassageData(iri.value, source=self.one(iri, OA + "hasSource"))
        self.values(iri, RDF_TYPE)
        self.values(iri, RDFS_LABEL)
        for selector in self.values(iri, OA + "hasSelector"):
            self.values(selector, RDF_TYPE)
            exact = self.one(selector, OA + "exact")
            if exact is not None:
                data.exact = exact
                data.prefix = self.one(selector, OA + "prefix") or ""
                data.suffix = self.one(selector, OA + "suffix") or ""
            start, end = self.one(selector, OA + "start"), self.one(selector, OA + "end")
            if start is not None and end is not None:
                data.start, data.end = int(start), int(end)
        return data

    # ------------------------------------------------------------------ writing

    def convert(self) -> str:
        self.declare()
        ascriptions = defaultdict(list)
        for asc in self.subjects(ASCRIPTION):
            claim = self.one(asc, SDKG + "ascribes")
            if claim is not None:
                ascriptions[claim].append(asc)
        reporters = Counter(self.one(a, SDKG + "reportedBy") for group in ascriptions.values() for a in group)
        self.reporter = reporters.most_common(1)[0][0] if reporters else None
        tree: dict[str, object] = {"source": self.source_entry()}
        if self.reporter:
            tree["reporter"] = self.ref(self.reporter, ["actor/"])
        for section_name, section in SECTIONS.items():
            entries = {
                short(s.value): self.entity(s, section_name)
                for s in self.subjects(ID + section.namespace)
                if s.value != self.source
            }
            if entries:
                tree[section_name] = entries
        claims = {name: self.claim(iri, name, ascriptions.get(iri, [])) for iri, name in self.claims.items()}
        if claims:
            tree["claims"] = claims
        links = {self.statement_name(link, ARGUMENT): self.link(link) for link in self.subjects(ARGUMENT)}
        if links:
            tree["links"] = links
        alignments = {self.statement_name(a, ALIGNMENT): self.alignment(a) for a in self.subjects(ALIGNMENT)}
        if alignments:
            tree["alignments"] = alignments
        self.check_everything_written()
        if self.problems:
            raise ConversionProblem("\n".join(self.problems))
        return dump(tree, header=f"{local_name(self.source)}: converted from {self.unit.folder.name}/ by sdkg convert")

    def declare(self) -> None:
        """Register the unit's entities and claims, so references can be checked the way the compiler reads them."""
        from ..authoring.names import Declared

        for subject in self.order:
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(ID):
                continue
            labels = [term_text(o) for p, o in self.triples[subject] if p == RDFS_LABEL]
            alternatives = [term_text(o) for p, o in self.triples[subject] if p == ALT_LABEL]
            types = {term_text(o) for p, o in self.triples[subject] if p == RDF_TYPE}
            self.names.declare(Declared(subject.value, self.unit.folder, 0, labels, alternatives, types))

    def source_entry(self) -> dict[str, object]:
        entry: dict[str, object] = {"name": local_name(self.source), "code": self.code}
        node = ox.NamedNode(self.source)
        if node in self.triples:
            entry.update(self.fields(node, "source", mentioned_default=None))
        return entry

    def entity(self, subject: ox.NamedNode, section_name: str) -> dict[str, object]:
        return self.fields(subject, "entity", SECTIONS[section_name].default_kind, self.source)

    def fields(
        self, subject: ox.NamedNode, section: str, default_kind: str | None = None, mentioned_default: str | None = None
    ) -> dict[str, object]:
        """Every property of ``subject`` as fields: ``kind`` first, then in the order written."""
        out: dict[str, object] = {}
        kinds = [term_text(o) for o in self.values(subject, RDF_TYPE)]
        if kinds != [default_kind]:
            out["kind"] = self.scalar_or_list([local_name(k) for k in kinds])
        mentioned: list[str] | None = [] if mentioned_default is not None else None
        for predicate in self.predicates(subject):
            if predicate == RDF_TYPE:
                continue
            values = self.values(subject, predicate)
            if predicate == MENTIONED_IN and mentioned is not None:
                mentioned = [term_text(v) for v in values]
                continue
            out[key_for(predicate, section)] = self.written(predicate, values, subject)
        if mentioned is not None and mentioned != [mentioned_default]:
            out[key_for(MENTIONED_IN, section)] = [self.ref(m, ["source/"]) for m in mentioned]
        return out

    def predicates(self, subject: object) -> list[str]:
        seen: list[str] = []
        for predicate, _o in self.triples.get(subject, []):
            if predicate not in seen:
                seen.append(predicate)
        return seen

    def written(
        self, predicate: str, values: list[ox.NamedNode | ox.BlankNode | ox.Literal], subject: object
    ) -> object:
        prop = self.vocabulary.properties.get(predicate)
        out: list[str] = []
        for value in values:
            if isinstance(value, ox.NamedNode):
                individual = self.individual(value.value)
                if individual is not None:
                    out.append(individual)
                elif prop is not None and prop.kind == "object":
                    out.append(self.ref(value.value, self.vocabulary.namespaces_of(prop.ranges)))
                else:
                    self.problems.append(f"{term_text(subject)} {predicate}: an IRI where text is expected")
            elif isinstance(value, ox.Literal):
                self.check_literal(subject, predicate, value)
                out.append(value.value)
            else:
                self.problems.append(f"{term_text(subject)} {predicate}: a blank node cannot be written")
        return self.scalar_or_list(out)

    def check_literal(self, subject: object, predicate: str, value: ox.Literal) -> None:
        prop = self.vocabulary.properties.get(predicate)
        english = prop.english if prop is not None else True
        datatype = value.datatype.value if value.datatype is not None else None
        if english and value.language != "en":
            self.problems.append(f'{term_text(subject)} {predicate}: {value} is not English text ("..."@en)')
        if not english and prop is not None and prop.datatype and datatype != prop.datatype:
            if not (prop.datatype.endswith("#string") and value.language is None):
                self.problems.append(f"{term_text(subject)} {predicate}: {value} is not of type {prop.datatype}")

    def individual(self, iri: str) -> str | None:
        for entries in self.vocabulary.individuals.values():
            if any(candidate == iri for candidate, _ in entries):
                return self.vocabulary.individual_name(iri)
        return None

    @staticmethod
    def scalar_or_list(values: list[Any]) -> object:
        return values[0] if len(values) == 1 else values

    def local(self, iri: str, namespace: str) -> str:
        slug = iri[len(namespace) :]
        if not slug.startswith(f"{self.code}-"):
            self.problems.append(f"{iri}: its name does not start with the code '{self.code}-'")
        return slug.removeprefix(f"{self.code}-")

    def ref(self, iri: str, namespaces: list[str] | None) -> str:
        """How to write a reference: the label when it finds this entity and no other, else the short name."""
        if iri in self.claims:
            return self.claims[iri]
        label = self.names.label(iri)
        if label is not None and not iri.startswith((CLAIM, *SHORT_NAMED)):
            try:
                if self.names.resolve(label, namespaces) == iri:
                    return label
            except NameProblem:
                pass
        return short(iri)

    # ------------------------------------------------------------------ claims

    def claim(self, iri: str, name: str, ascriptions: list[ox.NamedNode]) -> dict[str, object]:
        subject = ox.NamedNode(iri)
        self.local(iri, CLAIM)
        out: dict[str, object] = {}
        kinds = [term_text(o) for o in self.values(subject, RDF_TYPE)]
        statistic_props = [p for p in self.predicates(subject) if p in STATISTIC]
        default = SDKG + ("StatisticalClaim" if statistic_props else "Claim")
        if kinds != [default]:
            out["kind"] = self.scalar_or_list([local_name(k) for k in kinds])
        statistic: dict[str, object] = {}
        for predicate in self.predicates(subject):
            if predicate == RDF_TYPE:
                continue
            values = self.values(subject, predicate)
            target = statistic if predicate in STATISTIC else out
            target[key_for(predicate, "statistic" if predicate in STATISTIC else "claim")] = self.written(
                predicate, values, subject
            )
        if statistic:
            out["statistic"] = statistic
        self.claim_ascriptions(iri, name, ascriptions, out)
        return ordered(out, CLAIM_ORDER)

    def claim_ascriptions(self, iri: str, name: str, ascriptions: list[ox.NamedNode], out: dict[str, object]) -> None:
        subject = ox.NamedNode(iri)
        expected = [ASCRIPTION + f"{self.code}-{name}"] + [
            ASCRIPTION + f"{self.code}-{name}-{n}" for n in range(2, len(ascriptions) + 1)
        ]
        if sorted(a.value for a in ascriptions) != sorted(expected):
            self.problems.append(f"{iri}: its ascriptions are not named {', '.join(expected)}")
            return
        label = term_text(self.values(subject, RDFS_LABEL)[0]) if self.values(subject, RDFS_LABEL) else name
        specs = [self.ascription(ox.NamedNode(a), label) for a in expected]
        inline = len(specs) == 1 and set(self.predicates(ox.NamedNode(expected[0]))) <= ASCRIPTION_CORE
        if inline:
            spec = specs[0]
            if "label" in spec:
                spec["ascription label"] = spec.pop("label")
            out.update(spec)
        else:
            out["ascriptions"] = specs

    def ascription(self, subject: ox.NamedNode, claim_label: str) -> dict[str, object]:
        out: dict[str, object] = {}
        self.values(subject, RDF_TYPE)
        self.values(subject, SDKG + "ascribes")
        reporter = self.one(subject, SDKG + "reportedBy")
        holders = sorted(term_text(v) for v in self.values(subject, SDKG + "heldBy"))
        stance = self.one(subject, SDKG + "stance")
        source = self.one(subject, SDKG + "inSource")
        if source != self.source:
            self.problems.append(f"{subject.value}: ascribed in {source}, not in {self.source}")
        passages = [term_text(p) for p in self.values(subject, SDKG + "restsOn")]
        out["quote"] = self.quotes(passages)
        if reporter != self.reporter and reporter is not None:
            out["reporter"] = self.ref(reporter, ["actor/"])
        if holders != [reporter] and holders:
            out["holder"] = self.scalar_or_list([self.ref(h, ["actor/"]) for h in holders])
        if stance is not None and not (holders == [reporter] and stance == SDKG + "Endorses"):
            out["stance"] = self.vocabulary.individual_name(stance)
        labels = [term_text(v) for v in self.values(subject, RDFS_LABEL)]
        default = default_ascription_label(self.names, reporter, holders, claim_label) if reporter else None
        if holders and labels and labels != [default]:
            out["label"] = self.scalar_or_list(labels)
        for predicate in self.predicates(subject):
            if predicate not in ASCRIPTION_CORE:
                out[key_for(predicate, "ascription")] = self.written(
                    predicate, self.values(subject, predicate), subject
                )
        return out

    def quotes(self, passages: list[str]) -> object:
        """The quotes of ``passages`` in text order: the exact words, with context only where needed."""
        found = []
        for iri in passages:
            data = self.passages.get(iri) or self.stored_passage(iri)
            if data.exact is None or data.start is None:
                self.problems.append(f"{iri}: a passage without its quote and offsets")
                continue
            found.append((data.source != self.source, data.start, self.quote(data)))
        found.sort(key=lambda item: (item[0], item[1]))
        return self.scalar_or_list([q for _other, _start, q in found]) if found else []

    def stored_passage(self, iri: str) -> PassageData:
        """A passage described outside the unit (another source's, for an editorial link)."""
        store = self.context.store
        node = ox.NamedNode(iri)
        data = PassageData(iri)
        source = next(store.quads_for_pattern(node, ox.NamedNode(OA + "hasSource"), None, None), None)
        data.source = term_text(source.object) if source is not None else None
        for selector in store.quads_for_pattern(node, ox.NamedNode(OA + "hasSelector"), None, None):
            for quad in store.quads_for_pattern(selector.object, None, None, None):  # type: ignore[arg-type]
                name = quad.predicate.value
                if name == OA + "exact":
                    data.exact = term_text(quad.object)
                elif name == OA + "prefix":
                    data.prefix = term_text(quad.object)
                elif name == OA + "start":
                    data.start = int(term_text(quad.object))
        return data

    def quote(self, data: PassageData) -> object:
        """The quote as a string, or ``{text, before}`` / ``{text, after}`` when the words occur more than once."""
        assert data.exact is not None
        entry: dict[str, object] = {"text": data.exact}
        if data.source != self.source:
            entry["in"] = self.ref(data.source or "", ["source/"])
            return entry
        if self.text is None or data.start is None:
            return data.exact
        try:
            if self.text.anchor(Quote(data.exact)).start == data.start:
                return data.exact
        except QuoteProblem:
            pass
        words = data.prefix.split(" ")
        for count in range(1, len(words) + 1):
            before = " ".join(words[-count:]).strip()
            if not before:
                continue
            try:
                if self.text.anchor(Quote(data.exact, before=before)).start == data.start:
                    entry["before"] = before
                    return entry
            except QuoteProblem:
                continue
        self.problems.append(f"{data.iri}: its quote occurs more than once and no context before it tells them apart")
        return data.exact

    # ------------------------------------------------------------------ links

    def editorial(self, subject: ox.NamedNode, kinds: list[str]) -> bool:
        """An editorial statement: not in the unit's own files, and editorial by graph, type or maker."""
        if self.graphs.get(subject) == self.unit_graph(subject):
            return False
        asserted = [term_text(o) for p, o in self.triples[subject] if p == LINKS.asserted_by]
        made_in = [o for p, o in self.triples[subject] if p == LINKS.made_in]
        typed = LINKS.editorial_link in kinds or LINKS.editorial_alignment in kinds
        return (
            self.graphs.get(subject) == LINKS.editorial_graph or typed or (asserted == [LINKS.editors] and not made_in)
        )

    def statement_name(self, subject: ox.NamedNode, namespace: str) -> str:
        kinds = [term_text(o) for p, o in self.triples[subject] if p == RDF_TYPE]
        if self.editorial(subject, kinds):
            return subject.value[len(namespace) :]
        return self.local(subject.value, namespace)

    def link(self, subject: ox.NamedNode) -> dict[str, object]:
        out: dict[str, object] = {}
        kinds = [term_text(o) for o in self.values(subject, RDF_TYPE)]
        premise = self.one(subject, SDKG + "premise")
        conclusion = self.one(subject, SDKG + "conclusion")
        editorial = self.editorial(subject, kinds)
        base = [k for k in kinds if not (editorial and k == LINKS.editorial_link)]
        expected_editorial = editorial and LINKS.editorial_link in self.vocabulary.class_labels
        if (LINKS.editorial_link in kinds) != expected_editorial:
            self.problems.append(f"{subject.value}: typed {LINKS.editorial_link} only when it is editorial")
        if len(base) != 1 or base[0] not in (SDKG + "Support", SDKG + "Attack") or not premise or not conclusion:
            self.problems.append(f"{subject.value}: a link needs one premise, one conclusion, Support or Attack")
            return out
        out["premise"] = self.ref(premise, ["claim/", "case/"])
        out["supports" if base[0] == SDKG + "Support" else "attacks"] = self.ref(conclusion, ["claim/"])
        passages = [term_text(v) for v in self.values(subject, SDKG + "restsOn")]
        default = self.default_link_passages(premise, conclusion, editorial)
        self.provenance(subject, out, "link", editorial, passages, default)
        return ordered(out, LINK_ORDER)

    def alignment(self, subject: ox.NamedNode) -> dict[str, object]:
        out: dict[str, object] = {}
        kinds = [term_text(o) for o in self.values(subject, RDF_TYPE)]
        editorial = self.editorial(subject, kinds)
        expected = [LINKS.alignment]
        if editorial and LINKS.editorial_alignment in self.vocabulary.class_labels:
            expected.append(LINKS.editorial_alignment)
        if sorted(kinds) != sorted(expected):
            self.problems.append(f"{subject.value}: an alignment is typed {', '.join(expected)}")
        passages = [term_text(v) for v in self.values(subject, SDKG + "restsOn")]
        self.provenance(subject, out, "alignment", editorial, passages, None)
        return ordered(out, ["label", "concept", "discourse", "editorial", "by", "quote"])

    def provenance(
        self,
        subject: ox.NamedNode,
        out: dict[str, object],
        section: str,
        editorial: bool,
        passages: list[str],
        default: list[str] | None,
    ) -> None:
        """Who makes the statement and where, written only where it differs from the defaults; its other fields."""
        asserted = [term_text(v) for v in self.values(subject, LINKS.asserted_by)]
        made_in = [term_text(v) for v in self.values(subject, LINKS.made_in)]
        if editorial:
            out["editorial"] = "yes"
        default_by = LINKS.editors if editorial else self.reporter
        if asserted != [default_by]:
            out["by"] = self.scalar_or_list([self.ref(a, ["actor/"]) for a in asserted])
        default_made_in = [] if editorial else [self.source]
        if made_in != default_made_in:
            out[key_for(LINKS.made_in, section)] = [self.ref(m, ["source/"]) for m in made_in]
        if default is None or sorted(passages) != sorted(default):
            out["quote"] = self.quotes(passages)
        skipped = {RDF_TYPE, SDKG + "premise", SDKG + "conclusion", SDKG + "restsOn", LINKS.asserted_by, LINKS.made_in}
        for predicate in self.predicates(subject):
            if predicate not in skipped:
                out[key_for(predicate, section)] = self.written(predicate, self.values(subject, predicate), subject)

    def unit_graph(self, subject: object) -> str | None:
        """The graph of the unit's own files (a link in one of them is the folder's, whatever its form)."""
        graphs = {file.graph for file in self.unit.files}
        graph = self.graphs.get(subject)
        return graph if graph in graphs else None

    def default_link_passages(self, premise: str, conclusion: str, editorial: bool) -> list[str]:
        if not premise.startswith(CLAIM):
            return []
        if editorial:
            ends = [self.first_passages(premise), self.first_passages(conclusion)]
            return [passages[0][1] for passages in ends if passages]
        return [p for _s, p in self.first_passages(premise)]

    def first_passages(self, claim: str) -> list[tuple[int, str]]:
        """(start, passage) of the claim's first ascription, as the compiler finds them."""
        if claim in self.claims:
            first = ox.NamedNode(ASCRIPTION + claim[len(CLAIM) :])
            found = []
            for predicate, passage in self.triples.get(first, []):
                if predicate == SDKG + "restsOn":
                    data = self.passages.get(term_text(passage)) or self.stored_passage(term_text(passage))
                    found.append((data.start if data.start is not None else -1, term_text(passage)))
            return sorted(found)
        return passages_of_claim(self.context, claim)

    # ------------------------------------------------------------------ completeness

    def check_everything_written(self) -> None:
        left = [(s, p, o) for s, pairs in self.triples.items() for p, o in pairs if (s, p, o) not in self.used]
        for s, p, o in left[:20]:
            self.problems.append(f"cannot write this triple in the authoring format: {term_text(s)} {p} {o}")
        if len(left) > 20:
            self.problems.append(f"... and {len(left) - 20} more")


def convert(unit: Unit, context: Context, text: SourceText | None) -> str:
    """The authoring file for ``unit``, compiled later against ``context`` (the graph without the unit)."""
    return Converter(unit, context, text).convert()
