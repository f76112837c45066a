"""Compile authoring files into quads: "no quote, no claim".

Authoring files are compiled together, against the rest of the project's graph:

1. each file is read (YAML that keeps its line numbers) and its outline checked;
2. every entity, claim and link a file declares is registered, so that files can refer to
   each other and a name already taken in the graph is caught before anything is minted;
3. the source record, the entities and the claims are compiled: names resolved, quotes
   anchored in the normalised source text, IRIs minted by the project's conventions
   (``claim:{code}-{name}``, ``ascription:{code}-{name}[-n]``, ``passage:{code}-{start}-{end}``);
4. links come last, since a link without its own quote rests on its premise's passages.

Every problem is collected with its line, and a file with any problem yields nothing: the
caller gets one :class:`~sdkg.authoring.errors.AuthoringError` listing them all.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import ID, RDFS, SDKG, XSD
from ..passages import Anchor
from .anchoring import Quote, QuoteProblem, SourceText
from .errors import Problems
from .format import (
    ALIGNMENT,
    ARGUMENT,
    ASCRIPTION,
    CLAIM,
    LINKS,
    OA,
    PASSAGE,
    SECTIONS,
    SOURCE,
    SPECIAL,
    TOP_KEYS,
    Section,
    known_keys,
    property_of,
)
from .names import SHORT_NAME, Declared, NameProblem, Names
from .vocabulary import RDF_TYPE, Property, Vocabulary, local_name, term_text
from .yamltree import Map, Node, Scalar, Seq, YamlError, read_tree

MENTIONED_IN = SDKG + "mentionedIn"
SOURCE_FILE_NAME = SDKG + "sourceFileName"
TEXT_SHA256 = SDKG + "normalisedTextSha256"
TEXT_LENGTH = SDKG + "normalisedTextLength"
MAPPED_NAMESPACES = ("actor/", "case/", "place/", "concept/")
"""Entities of these kinds get an SSSOM row (unmapped until a QID is verified)."""

CODE = r"[a-z0-9]+"
PATTERNS = {
    XSD + "integer": (r"-?[0-9]+", "a whole number, like 1994"),
    XSD + "nonNegativeInteger": (r"[0-9]+", "a whole number of 0 or more"),
    XSD + "decimal": (r"-?[0-9]+(\.[0-9]+)?", "a number, like 30000 or 2.8"),
}
YES = {"yes", "true", "on"}
NO = {"no", "false", "off"}


@dataclass
class Compiled:
    """One authoring file, compiled: its quads, where each subject was written, what is new."""

    path: Path
    graph: str
    source: str
    code: str
    text_name: str
    quads: list[ox.Quad] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    property_lines: dict[tuple[str, str], int] = field(default_factory=dict)
    new_entities: list[tuple[str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def line_of(self, iri: str, predicate: str | None = None) -> int | None:
        """The line of ``iri``'s entry, or of its ``predicate`` field when that was written."""
        if predicate is not None and (iri, predicate) in self.property_lines:
            return self.property_lines[(iri, predicate)]
        return self.lines.get(iri)

    def summary(self) -> str:
        kinds = ("claims", "ascriptions", "passages", "links", "alignments")
        parts = [f"{self.counts[k]} {k}" for k in kinds if self.counts[k]]
        return f"{', '.join(parts) or 'no claims yet'}, anchored in {self.text_name}"


@dataclass
class Context:
    """What authoring files are compiled against: the rest of the graph, its ontology, the texts."""

    store: ox.Store
    vocabulary: Vocabulary
    names: Names
    find_text: Callable[[str], Path | None]
    texts: dict[Path, SourceText] = field(default_factory=dict)
    claim_passages: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    codes: dict[str, str] | None = None

    def text(self, path: Path) -> SourceText:
        if path not in self.texts:
            self.texts[path] = SourceText.read(path)
        return self.texts[path]

    def source_codes(self) -> dict[str, str]:
        """The passage code of every source that has passages in the graph (``dw`` for passage:dw-1-2)."""
        if self.codes is None:
            self.codes = {}
            for quad in self.store.quads_for_pattern(None, ox.NamedNode(OA + "hasSource"), None, None):
                subject, source = quad.subject, quad.object
                if isinstance(subject, ox.NamedNode) and subject.value.startswith(PASSAGE):
                    code = subject.value[len(PASSAGE) :].split("-", 1)[0]
                    self.codes.setdefault(code, getattr(source, "value", ""))
        return self.codes


def compile_files(files: list[tuple[Path, str, Path]], context: Context, only: Path | None = None) -> list[Compiled]:
    """Compile ``(path, graph IRI, display name)`` files together; raise the first file's problems.

    With ``only``, just that file's problems are raised (``sdkg anchor FILE`` checks one file,
    while the others are still compiled so that it can refer to what they declare).
    """
    compilers = [FileCompiler(path, graph, shown, context) for path, graph, shown in files]
    for step in ("read", "declare", "compile_main", "compile_links"):
        for compiler in compilers:
            if compiler.readable:
                getattr(compiler, step)()
    for compiler in compilers:
        if only is None or compiler.path == only:
            compiler.problems.raise_for(compiler.shown)
    return [compiler.out for compiler in compilers]


def declare_files(files: list[tuple[Path, str, Path]], context: Context) -> dict[Path, str]:
    """Register what authoring files declare, without compiling them (no texts needed); return their codes.

    For commands that must know every name and code in the project (``sdkg new-source``) even
    when a file cannot be compiled at the moment.
    """
    codes = {}
    for path, graph, shown in files:
        compiler = FileCompiler(path, graph, shown, context)
        compiler.read()
        if compiler.readable:
            compiler.declare()
            codes[path] = compiler.code
    return codes


class FileCompiler:
    """Compiles one authoring file; problems go to ``self.problems`` with their lines."""

    def __init__(self, path: Path, graph: str, shown: Path, context: Context):
        self.path = path
        self.shown = shown
        self.context = context
        self.names = context.names
        self.vocabulary = context.vocabulary
        self.problems = Problems()
        self.readable = True
        self.tree = Map([], 1)
        self.code = ""
        self.source = ""
        self.source_fields: Map | None = None
        self.source_line = 1
        self.text: SourceText | None = None
        self.claims: dict[str, str] = {}
        self.emitted: set[str] = set()
        self.unanchored: set[str] = set()
        """Claims whose quotes failed: a link resting on them has nothing more to report."""
        self.out = Compiled(path, graph, "", "", "")

    # ------------------------------------------------------------------ step 1: read

    def read(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
            tree = read_tree(text)
        except YamlError as error:
            return self.fail(error.line, error.message + " (docs/adding-a-text.md shows the format)")
        except (OSError, UnicodeDecodeError) as error:
            return self.fail(None, f"cannot read the file: {error}")
        if not isinstance(tree, Map):
            return self.fail(
                getattr(tree, "line", 1),
                "an authoring file is a mapping with `source:`, then `claims:`, `links:` and entity sections;"
                " see docs/adding-a-text.md",
            )
        self.tree = tree
        for key, _node in tree.entries:
            if key.text not in TOP_KEYS:
                self.unknown_key(key, TOP_KEYS, "at the top of an authoring file")
        source = tree.get("source")
        if not isinstance(source, Map):
            line = source.line if source is not None else 1
            return self.fail(line, "the file needs a `source:` mapping with the text's `name:` and `code:`")
        self.source_line = source.line
        name = self.scalar_field(source, "name", "the source")
        code = self.scalar_field(source, "code", "the source")
        if name is None or code is None:
            self.readable = False
            return None
        if not re.fullmatch(SHORT_NAME, name.text):
            self.problems.add(name.line, f"the source name {name.text!r} must be lowercase words joined by '-'")
        if not re.fullmatch(CODE, code.text):
            self.problems.add(code.line, f"the code {code.text!r} must be lowercase letters and digits, like 'dw'")
        self.code = code.text
        self.source = SOURCE + name.text
        self.out.source, self.out.code = self.source, self.code
        self.out.lines[self.source] = source.line
        self.source_fields = source
        return None

    def fail(self, line: int | None, message: str) -> None:
        self.problems.add(line, message)
        self.readable = False

    # ------------------------------------------------------------------ step 2: declare

    def declare(self) -> None:
        assert self.source_fields is not None
        if self.declares_source():
            labels = [s.text for s in self.scalars(self.source_fields.get("title") or self.source_fields.get("label"))]
            self.register(self.source, self.source_fields.line, labels, [], "the source")
        for section_name, section in SECTIONS.items():
            for name, fields in self.entries(section_name):
                iri = ID + section.namespace + name.text
                labels = [s.text for s in self.scalars(fields.get("label"))]
                alternatives = [s.text for s in self.scalars(fields.get("also"))]
                self.register(iri, name.line, labels, alternatives, f"{section_name[:-1]} {name.text!r}")
        for name, fields in self.entries("claims"):
            iri = CLAIM + f"{self.code}-{name.text}"
            self.claims[name.text] = iri
            labels = [s.text for s in self.scalars(fields.get("label"))]
            self.register(iri, name.line, labels, [], f"claim {name.text!r}")
        for name, fields in self.entries("links"):
            self.register(self.statement_iri(ARGUMENT, name.text, fields), name.line, [], [], f"link {name.text!r}")
        for name, fields in self.entries("alignments"):
            iri = self.statement_iri(ALIGNMENT, name.text, fields)
            self.register(iri, name.line, [], [], f"alignment {name.text!r}")

    def declares_source(self) -> bool:
        assert self.source_fields is not None
        return any(key.text not in ("name", "code") for key, _ in self.source_fields.entries)

    def register(self, iri: str, line: int, labels: list[str], alternatives: list[str], what: str) -> None:
        if self.names.in_store(iri):
            self.problems.add(
                line,
                f"{what} is already described in {self.names.where(iri)}: refer to it by its name instead of declaring"
                " it here, or choose another short name",
            )
            return
        earlier = self.names.declare(Declared(iri, self.shown, line, labels, alternatives))
        if earlier is not None:
            self.problems.add(line, f"{what} is declared twice: here and at {earlier.path}:{earlier.line}")

    def entries(self, section: str) -> list[tuple[Scalar, Map]]:
        """The ``name: {fields}`` entries of a section, each name checked."""
        node = self.tree.get(section)
        if node is None:
            return []
        if not isinstance(node, Map):
            self.problems.add(node.line, f"`{section}:` must be a mapping of short names to their fields")
            return []
        found = []
        for name, fields in node.entries:
            if not re.fullmatch(SHORT_NAME, name.text):
                self.problems.add(
                    name.line, f"the short name {name.text!r} must be lowercase words joined by '-', like 'e-h-carr'"
                )
                continue
            if not isinstance(fields, Map):
                self.problems.add(name.line, f"{name.text!r}: write its fields below it (`label: ...` and so on)")
                continue
            found.append((name, fields))
        return found

    # ------------------------------------------------------------------ step 3: source, entities, claims

    def compile_main(self) -> None:
        self.compile_source()
        for section_name, section in SECTIONS.items():
            for name, fields in self.entries(section_name):
                self.entity(section_name, section, name, fields)
        for name, fields in self.entries("claims"):
            self.claim(name, fields)

    def compile_source(self) -> None:
        assert self.source_fields is not None
        fields = self.source_fields
        what = "the source"
        recorded: dict[str, str] = {}
        if self.declares_source():
            for cls in self.kinds(fields, SDKG + "Source", None, what):
                self.add(self.source, RDF_TYPE, ox.NamedNode(cls))
            for key, node in fields.entries:
                if key.text in SPECIAL["source"]:
                    continue
                predicate = self.predicate(key, "source", what)
                if predicate is not None:
                    terms = self.values(self.source, predicate, key, node, what)
                    if terms and predicate in (SOURCE_FILE_NAME, TEXT_SHA256, TEXT_LENGTH):
                        recorded[predicate] = str(terms[0].value)
            for needed, field_name in ((SOURCE_FILE_NAME, "text"), (TEXT_SHA256, "sha256"), (TEXT_LENGTH, "length")):
                if needed not in recorded:
                    self.problems.add(
                        fields.line,
                        f"the source record needs `{field_name}:` (`sdkg new-source` writes it from the text)",
                    )
            if "title" not in fields.keys and "label" not in fields.keys:
                self.problems.add(fields.line, "the source record needs a `title:`")
        elif not self.names.exists(self.source):
            self.problems.add(
                fields.line,
                f"unknown source {local_name(self.source)!r}: describe it here (title, kind, authors, text, sha256,"
                " length), or create it with `sdkg new-source`",
            )
            return
        else:
            for predicate in (SOURCE_FILE_NAME, TEXT_SHA256, TEXT_LENGTH):
                value = self.stored_value(self.source, predicate)
                if value is not None:
                    recorded[predicate] = value
        self.text = self.load_text(recorded, fields.line)

    def load_text(self, recorded: dict[str, str], line: int) -> SourceText | None:
        name = recorded.get(SOURCE_FILE_NAME)
        if name is None:
            if SOURCE_FILE_NAME not in recorded and not self.declares_source():
                self.problems.add(
                    line, f"the source {local_name(self.source)!r} names no text file (sdkg:sourceFileName)"
                )
            return None
        self.out.text_name = name
        path = self.context.find_text(name)
        if path is None:
            self.problems.add(
                line,
                f"the source text {name} is not found (looked in $SDKG_SOURCES and ../shared/seeds/): texts are"
                " not kept in the repository; set SDKG_SOURCES to the folder that holds it,"
                " or give `sdkg anchor --text PATH`",
            )
            return None
        try:
            text = self.context.text(path)
        except (OSError, UnicodeDecodeError) as error:
            self.problems.add(line, f"cannot read the source text {path}: {error}")
            return None
        digest = recorded.get(TEXT_SHA256)
        if digest is not None and digest != text.sha256:
            self.problems.add(
                line,
                f"{path} is not the version of the text this file was written for: its normalised SHA-256 is"
                f" {text.sha256}, the source record says {digest}. Use the recorded version; if the text was"
                " corrected on purpose, update `sha256:` and `length:` (every quote is anchored again)",
            )
            return None
        length = recorded.get(TEXT_LENGTH)
        if length is not None and length != str(len(text.text)):
            self.problems.add(line, f"the recorded length {length} is not the normalised text's {len(text.text)}")
        return text

    def stored_value(self, iri: str, predicate: str) -> str | None:
        quad = next(self.context.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None, None), None)
        return term_text(quad.object) if quad is not None else None

    def entity(self, section_name: str, section: Section, name: Scalar, fields: Map) -> None:
        iri = ID + section.namespace + name.text
        what = f"{section_name[:-1]} {name.text!r}"
        self.out.lines[iri] = name.line
        for cls in self.kinds(fields, section.root, section.default_kind, what):
            self.add(iri, RDF_TYPE, ox.NamedNode(cls))
        mentioned = False
        for key, node in fields.entries:
            if key.text in SPECIAL["entity"]:
                continue
            predicate = self.predicate(key, "entity", what)
            if predicate is not None:
                mentioned = mentioned or predicate == MENTIONED_IN
                self.values(iri, predicate, key, node, what)
        if not mentioned:
            self.add(iri, MENTIONED_IN, ox.NamedNode(self.source))
        labels = self.scalars(fields.get("label"))
        if not labels:
            self.problems.add(name.line, f"{what} needs a `label:`")
        elif section.namespace in MAPPED_NAMESPACES:
            self.out.new_entities.append((iri, labels[0].text))

    def claim(self, name: Scalar, fields: Map) -> None:
        iri = self.claims[name.text]
        what = f"claim {name.text!r}"
        self.out.lines[iri] = name.line
        self.out.counts["claims"] += 1
        statistic = fields.get("statistic")
        default = SDKG + ("StatisticalClaim" if statistic is not None else "Claim")
        for cls in self.kinds(fields, SDKG + "Claim", default, what):
            self.add(iri, RDF_TYPE, ox.NamedNode(cls))
        for key, node in fields.entries:
            if key.text in SPECIAL["claim"]:
                continue
            predicate = self.predicate(key, "claim", what)
            if predicate is not None:
                self.values(iri, predicate, key, node, what)
        labels = self.scalars(fields.get("label"))
        if not labels:
            self.problems.add(name.line, f"{what} needs a `label:` (at most 90 characters)")
        label = labels[0].text if labels else name.text
        if isinstance(statistic, Map):
            for key, node in statistic.entries:
                predicate = self.predicate(key, "statistic", f"{what}, statistic")
                if predicate is not None:
                    self.values(iri, predicate, key, node, f"{what}, statistic")
        elif statistic is not None:
            self.problems.add(statistic.line, f"{what}: `statistic:` needs `value:` and `unit:` below it")
        listed = fields.get("ascriptions")
        if listed is None:
            self.ascription(iri, name.text, label, fields, 1, True, name.line)
            return
        inline = [k.text for k, _ in fields.entries if k.text in SPECIAL["ascription"] or k.text == "ascription label"]
        if inline:
            self.problems.add(
                listed.line,
                f"{what}: write either `ascriptions:` or {', '.join(inline)} on the claim itself, not both",
            )
        if not isinstance(listed, Seq) or not listed.items:
            self.problems.add(listed.line, f"{what}: `ascriptions:` is a list of `- quote: ...` entries")
            return
        for index, spec in enumerate(listed.items, start=1):
            if isinstance(spec, Map):
                self.ascription(iri, name.text, label, spec, index, False, spec.line)
            else:
                self.problems.add(spec.line, f"{what}: each ascription is a mapping (`- quote: ...`, `holder: ...`)")

    def ascription(self, claim: str, name: str, label: str, spec: Map, index: int, inline: bool, line: int) -> None:
        iri = ASCRIPTION + f"{self.code}-{name}" + ("" if index == 1 else f"-{index}")
        what = f"claim {name!r}" + ("" if inline else f", ascription {index}")
        self.out.lines[iri] = line
        self.out.counts["ascriptions"] += 1
        before = len(self.problems.items)
        passages = self.quotes(spec, what, line)
        if len(self.problems.items) > before or self.text is None:
            self.unanchored.add(claim)
        if index == 1:
            self.context.claim_passages[claim] = sorted(passages)
        reporter_node = spec.get("reporter") or self.tree.get("reporter")
        if reporter_node is None:
            self.problems.add(
                line, f"{what} has no reporter: add `reporter:` to it, or once at the top of the file for all claims"
            )
            return
        reporter = self.actor(reporter_node, what, "reporter")
        holder_node = spec.get("holder")
        holders = self.holders(holder_node, what) if holder_node is not None else [reporter]
        if reporter is None or not holders or None in holders:
            return
        held = [h for h in holders if h is not None]
        stance = self.stance(spec.get("stance"), what, line, held == [reporter])
        if stance is None:
            return
        labels = self.scalars(spec.get("ascription label" if inline else "label"))
        if labels:
            text = labels[0].text
        else:
            text = self.ascription_label(reporter, held, label)
        self.add(iri, RDF_TYPE, ox.NamedNode(SDKG + "Ascription"))
        self.add(iri, RDFS + "label", ox.Literal(text, language="en"))
        self.add(iri, SDKG + "ascribes", ox.NamedNode(claim))
        self.add(iri, SDKG + "reportedBy", ox.NamedNode(reporter))
        for holder in held:
            self.add(iri, SDKG + "heldBy", ox.NamedNode(holder))
        self.add(iri, SDKG + "stance", ox.NamedNode(stance))
        self.add(iri, SDKG + "inSource", ox.NamedNode(self.source))
        for _start, passage in passages:
            self.add(iri, SDKG + "restsOn", ox.NamedNode(passage))
        if not inline:
            for key, node in spec.entries:
                if key.text in SPECIAL["ascription"] or key.text == "label":
                    continue
                predicate = self.predicate(key, "ascription", what)
                if predicate is not None:
                    self.values(iri, predicate, key, node, what)

    def ascription_label(self, reporter: str, holders: list[str], label: str) -> str:
        return default_ascription_label(self.names, reporter, holders, label)

    def holders(self, node: Node, what: str) -> list[str | None]:
        """One holder, or several when the text attributes the same claim to each (one ascription)."""
        values = self.scalars(node, f"{what}: `holder:`")
        if not values:
            self.problems.add(node.line, f"{what}: give the holder (an actor's label or short name)")
        return [self.resolve(value, ["actor/"], what) for value in values]

    def actor(self, node: Node | None, what: str, role: str) -> str | None:
        if node is None:
            return None
        values = self.scalars(node)
        if len(values) != 1:
            self.problems.add(node.line, f"{what}: give one {role} (an actor's label or short name)")
            return None
        return self.resolve(values[0], ["actor/"], what)

    def stance(self, node: Node | None, what: str, line: int, self_held: bool) -> str | None:
        if node is None:
            if self_held:
                return SDKG + "Endorses"
            self.problems.add(
                line,
                f"{what} reports someone else's position: say the reporter's stance to it with"
                " `stance: endorses`, `stance: rejects` or `stance: reports neutrally`",
            )
            return None
        values = self.scalars(node)
        found = self.vocabulary.individual_for(SDKG + "Stance", values[0].text) if len(values) == 1 else None
        if found is None:
            choices = ", ".join(self.vocabulary.individual_names(SDKG + "Stance"))
            shown = values[0].text if values else ""
            self.problems.add(node.line, f"{what}: unknown stance {shown!r}; use one of: {choices}")
        return found

    # ------------------------------------------------------------------ quotes and passages

    def quotes(self, spec: Map, what: str, line: int) -> list[tuple[int, str]]:
        """Anchor the ``quote:`` entries of ``spec``; an entry without any quote is a problem."""
        unconfirmed = spec.get("unconfirmed quote")
        if unconfirmed is not None:
            self.problems.add(
                unconfirmed.line,
                f"{what}: `unconfirmed quote` is an imported quote that did not match the text exactly (the"
                " comment above it says where and how they differ); correct it against the text and rename"
                " the field to `quote`",
            )
        node = spec.get("quote")
        if spec.get("quotes") is not None:
            if node is not None:
                self.problems.add(spec.get("quotes").line, f"{what}: write `quote:` or `quotes:`, not both")  # type: ignore[union-attr]
            node = spec.get("quotes")
        if node is None:
            if unconfirmed is None and self.text is not None:
                self.problems.add(
                    line,
                    f"{what} has no quote: no quote, no claim. Add `quote:` with the exact words of the passage"
                    " it rests on",
                )
            return []
        items = node.items if isinstance(node, Seq) else [node]
        if not items:
            self.problems.add(node.line, f"{what}: the quote list is empty: no quote, no claim")
        found: list[tuple[int, str]] = []
        for item in items:
            passage = self.quote(item, what)
            if passage is not None and passage not in found:
                found.append(passage)
        return found

    def quote(self, item: Node, what: str) -> tuple[int, str] | None:
        source, code, text = self.source, self.code, self.text
        if isinstance(item, Scalar):
            quote = Quote(item.text)
        elif isinstance(item, Map):
            for key, _ in item.entries:
                if key.text not in ("text", "before", "after", "in"):
                    self.unknown_key(key, ["text", "before", "after", "in"], f"{what}, in a quote")
            body = self.scalar_field(item, "text", f"{what}, a quote written as a mapping")
            if body is None:
                return None
            before, after = item.get("before"), item.get("after")
            quote = Quote(
                body.text,
                before.text if isinstance(before, Scalar) else None,
                after.text if isinstance(after, Scalar) else None,
            )
            elsewhere = item.get("in")
            if isinstance(elsewhere, Scalar):
                located = self.other_source(elsewhere, what)
                if located is None:
                    return None
                source, code, text = located
        else:
            self.problems.add(item.line, f"{what}: a quote is the exact words, or a mapping with `text:`")
            return None
        if text is None:
            return None
        try:
            anchor = text.anchor(quote)
        except QuoteProblem as problem:
            self.problems.add(item.line, f"{what}: {problem}")
            return None
        return anchor.start, self.passage(source, code, text, anchor, item.line)

    def other_source(self, name: Scalar, what: str) -> tuple[str, str, SourceText] | None:
        """An editorial link may quote another text: its source IRI, passage code and text."""
        source = self.resolve(name, ["source/"], what)
        if source is None:
            return None
        codes = {iri: code for code, iri in self.context.source_codes().items()}
        code = codes.get(source)
        file_name = self.stored_value(source, SOURCE_FILE_NAME)
        path = self.context.find_text(file_name) if file_name else None
        if code is None or path is None:
            self.problems.add(
                name.line,
                f"{what}: the text of {name.text!r} is not available to anchor in (no passages or no text file)",
            )
            return None
        return source, code, self.context.text(path)

    def passage(self, source: str, code: str, text: SourceText, anchor: Anchor, line: int) -> str:
        iri = PASSAGE + f"{code}-{anchor.start}-{anchor.end}"
        if iri in self.emitted or (source != self.source and self.names.in_store(iri)):
            return iri
        self.emitted.add(iri)
        self.out.lines[iri] = line
        self.out.counts["passages"] += 1
        quote_selector, position_selector = ox.BlankNode(), ox.BlankNode()
        self.add(iri, RDF_TYPE, ox.NamedNode(SDKG + "Passage"))
        self.add(iri, RDFS + "label", ox.Literal(f"Passage {code} {anchor.start}-{anchor.end}", language="en"))
        self.add(iri, OA + "hasSource", ox.NamedNode(source))
        self.add(iri, OA + "hasSelector", quote_selector)
        self.add(iri, OA + "hasSelector", position_selector)
        self.add(quote_selector, RDF_TYPE, ox.NamedNode(OA + "TextQuoteSelector"))
        self.add(quote_selector, OA + "exact", ox.Literal(anchor.exact))
        self.add(quote_selector, OA + "prefix", ox.Literal(anchor.prefix))
        self.add(quote_selector, OA + "suffix", ox.Literal(anchor.suffix))
        self.add(position_selector, RDF_TYPE, ox.NamedNode(OA + "TextPositionSelector"))
        count = ox.NamedNode(XSD + "nonNegativeInteger")
        self.add(position_selector, OA + "start", ox.Literal(str(anchor.start), datatype=count))
        self.add(position_selector, OA + "end", ox.Literal(str(anchor.end), datatype=count))
        return iri

    # ------------------------------------------------------------------ step 4: links and alignments

    def compile_links(self) -> None:
        for name, fields in self.entries("links"):
            self.link(name, fields)
        for name, fields in self.entries("alignments"):
            self.alignment(name, fields)

    def statement_iri(self, namespace: str, name: str, fields: Map) -> str:
        """``argument:{code}-{name}`` for a statement of the text; an editorial one is named in full."""
        editorial = fields.get("editorial")
        if isinstance(editorial, Scalar) and editorial.text.lower() in YES:
            return namespace + name
        return namespace + f"{self.code}-{name}"

    def link(self, name: Scalar, fields: Map) -> None:
        iri = self.statement_iri(ARGUMENT, name.text, fields)
        what = f"link {name.text!r}"
        self.out.lines[iri] = name.line
        self.out.counts["links"] += 1
        supports, attacks = fields.get("supports"), fields.get("attacks")
        if (supports is None) == (attacks is None):
            self.problems.add(
                name.line, f"{what} needs exactly one of `supports:` or `attacks:` (the conclusion claim)"
            )
            return
        target = supports if supports is not None else attacks
        assert target is not None
        editorial = self.flag(fields.get("editorial"), what)
        graph = LINKS.editorial_graph if editorial else None
        conclusion = self.claim_ref(target, what, "conclusion")
        premise_node = fields.get("premise")
        if premise_node is None:
            self.problems.add(name.line, f"{what} needs a `premise:` (a claim's short name, or a case)")
            return
        premise = self.claim_ref(premise_node, what, "premise", cases=True)
        if conclusion is None or premise is None:
            return
        kinds = [SDKG + ("Support" if supports is not None else "Attack")]
        if editorial and LINKS.editorial_link in self.vocabulary.class_labels:
            kinds.append(LINKS.editorial_link)
        for kind in kinds:
            self.add(iri, RDF_TYPE, ox.NamedNode(kind), graph)
        self.add(iri, SDKG + "premise", ox.NamedNode(premise), graph)
        self.add(iri, SDKG + "conclusion", ox.NamedNode(conclusion), graph)
        self.out.property_lines[(iri, SDKG + "premise")] = premise_node.line
        self.out.property_lines[(iri, SDKG + "conclusion")] = target.line
        if fields.get("quote") is not None or fields.get("quotes") is not None:
            passages = [p for _s, p in self.quotes(fields, what, name.line)]
        else:
            passages = self.default_link_passages(premise, conclusion, editorial, what, name.line)
        self.provenance(iri, fields, "link", editorial, passages, what, name.line)

    def alignment(self, name: Scalar, fields: Map) -> None:
        """A concept related to a discourse: by the text (its reporter, its passages) or by the editors."""
        iri = self.statement_iri(ALIGNMENT, name.text, fields)
        what = f"alignment {name.text!r}"
        self.out.lines[iri] = name.line
        self.out.counts["alignments"] += 1
        if LINKS.alignment not in self.vocabulary.class_labels:
            self.problems.add(name.line, f"{what}: the ontology has no discourse alignments ({LINKS.alignment})")
            return
        editorial = self.flag(fields.get("editorial"), what)
        graph = LINKS.editorial_graph if editorial else None
        kinds = [LINKS.alignment]
        if editorial and LINKS.editorial_alignment in self.vocabulary.class_labels:
            kinds.append(LINKS.editorial_alignment)
        for kind in kinds:
            self.add(iri, RDF_TYPE, ox.NamedNode(kind), graph)
        if fields.get("quote") is None and fields.get("quotes") is None:
            self.problems.add(name.line, f"{what} needs `quote:`, the words that relate the concept to the discourse")
        passages = [p for _s, p in self.quotes(fields, what, name.line)]
        self.provenance(iri, fields, "alignment", editorial, passages, what, name.line)

    def provenance(
        self, iri: str, fields: Map, section: str, editorial: bool, passages: list[str], what: str, line: int
    ) -> None:
        """Who makes the statement, where, on which passages, and its other fields (the table :data:`LINKS`)."""
        graph = LINKS.editorial_graph if editorial else None
        made_in = False
        for key, node in fields.entries:
            if key.text in SPECIAL[section]:
                continue
            predicate = self.predicate(key, section, what)
            if predicate is not None:
                made_in = made_in or predicate == LINKS.made_in
                self.values(iri, predicate, key, node, what, graph)
        if fields.get("by") is None:
            by = LINKS.editors if editorial else self.default_reporter(what, line)
            if by is not None:
                self.add(iri, LINKS.asserted_by, ox.NamedNode(by), graph)
        if not editorial and not made_in:
            self.add(iri, LINKS.made_in, ox.NamedNode(self.source), graph)
        for passage in passages:
            self.add(iri, SDKG + "restsOn", ox.NamedNode(passage), graph)
        if not self.scalars(fields.get("label")):
            self.problems.add(line, f"{what} needs a `label:`")

    def default_link_passages(self, premise: str, conclusion: str, editorial: bool, what: str, line: int) -> list[str]:
        """Without ``quote:``, a link rests on its premise's passages; an editorial one on each end's first."""
        if not premise.startswith(CLAIM):
            self.problems.add(
                line, f"{what}: its premise is a case, so say where the text makes the link with `quote:`"
            )
            return []
        found = passages_of_claim(self.context, premise)
        if editorial:
            ends = [passages_of_claim(self.context, premise), passages_of_claim(self.context, conclusion)]
            return [passages[0][1] for passages in ends if passages]
        if not found and premise not in self.unanchored:
            self.problems.add(line, f"{what}: its premise has no passage yet; give the link its own `quote:`")
        return [p for _s, p in found]

    def default_reporter(self, what: str, line: int) -> str | None:
        node = self.tree.get("reporter")
        if node is None:
            self.problems.add(line, f"{what}: say who makes the link with `by:` (or set `reporter:` for the file)")
            return None
        return self.actor(node, what, "reporter")

    def claim_ref(self, node: Node, what: str, role: str, cases: bool = False) -> str | None:
        if not isinstance(node, Scalar):
            self.problems.add(node.line, f"{what}: the {role} is one claim's short name")
            return None
        if node.text in self.claims:
            return self.claims[node.text]
        return self.resolve(node, ["claim/", "case/"] if cases else ["claim/"], f"{what}, {role}")

    def flag(self, node: Node | None, what: str) -> bool:
        if node is None:
            return False
        if isinstance(node, Scalar) and node.text.lower() in YES | NO:
            return node.text.lower() in YES
        self.problems.add(node.line, f"{what}: `editorial:` is yes or no")
        return False

    # ------------------------------------------------------------------ fields and values

    def kinds(self, fields: Map, root: str, default: str | None, what: str) -> list[str]:
        node = fields.get("kind")
        if node is None:
            if default is None:
                choices = ", ".join(local_name(c) for c in self.vocabulary.subclasses_of(root))
                self.problems.add(fields.line, f"{what} needs a `kind:`, one of: {choices}")
                return []
            return [default]
        found = []
        for value in self.scalars(node):
            cls = self.vocabulary.class_for(value.text, root)
            if cls is None:
                kinds = [local_name(c) for c in self.vocabulary.subclasses_of(root)]
                close = difflib.get_close_matches(value.text, kinds, n=1)
                hint = f" Did you mean {close[0]}?" if close else ""
                self.problems.add(
                    value.line, f"{what}: unknown kind {value.text!r};{hint} use one of: {', '.join(kinds)}"
                )
            else:
                found.append(cls)
        return found

    def predicate(self, key: Scalar, section: str, what: str) -> str | None:
        predicate = property_of(key.text, section, self.vocabulary)
        if predicate is None:
            self.unknown_key(key, known_keys(section, self.vocabulary), f"for {what}")
        return predicate

    def unknown_key(self, key: Scalar, known: list[str], where: str) -> None:
        close = difflib.get_close_matches(key.text, known, n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        self.problems.add(
            key.line, f"unknown field {key.text!r} {where}.{hint} (docs/adding-a-text.md lists the fields)"
        )

    def values(
        self, subject: str, predicate: str, key: Scalar, node: Node, what: str, graph: str | None = None
    ) -> list[ox.NamedNode | ox.Literal]:
        """Write ``subject predicate value`` for each value of a field, resolving names and checking numbers."""
        self.out.property_lines.setdefault((subject, predicate), key.line)
        prop = self.vocabulary.properties.get(predicate) or Property(predicate, "annotation")
        terms: list[ox.NamedNode | ox.Literal] = []
        for value in self.scalars(node, f"{what}: `{key.text}:`"):
            term = self.term(prop, value, f"{what}, {key.text}")
            if term is not None:
                self.add(subject, predicate, term, graph)
                terms.append(term)
        return terms

    def term(self, prop: Property, value: Scalar, what: str) -> ox.NamedNode | ox.Literal | None:
        if prop.kind == "object":
            for cls in prop.ranges:
                if cls in self.vocabulary.individuals:
                    found = self.vocabulary.individual_for(cls, value.text)
                    if found is None:
                        choices = ", ".join(self.vocabulary.individual_names(cls))
                        self.problems.add(value.line, f"{what}: unknown value {value.text!r}; use one of: {choices}")
                        return None
                    return ox.NamedNode(found)
            iri = self.resolve(value, self.vocabulary.namespaces_of(prop.ranges), what)
            return ox.NamedNode(iri) if iri is not None else None
        if value.text == "":
            self.problems.add(value.line, f"{what}: the value is empty; remove the field or give a value")
            return None
        if prop.datatype in PATTERNS:
            pattern, description = PATTERNS[prop.datatype]
            if not re.fullmatch(pattern, value.text):
                self.problems.add(value.line, f"{what}: {value.text!r} is not {description}")
                return None
            return ox.Literal(value.text, datatype=ox.NamedNode(prop.datatype))
        if prop.english:
            return ox.Literal(value.text, language="en")
        if prop.datatype in (None, XSD + "string"):
            return ox.Literal(value.text)
        return ox.Literal(value.text, datatype=ox.NamedNode(prop.datatype))

    def resolve(self, value: Scalar, namespaces: list[str] | None, what: str) -> str | None:
        try:
            return self.names.resolve(value.text, namespaces)
        except NameProblem as problem:
            self.problems.add(value.line, f"{what}: {problem}")
            return None

    def scalars(self, node: Node | None, what: str = "") -> list[Scalar]:
        """A field's values: one scalar, or a list of scalars."""
        if node is None:
            return []
        if isinstance(node, Scalar):
            return [node]
        if isinstance(node, Seq) and all(isinstance(i, Scalar) for i in node.items):
            return [i for i in node.items if isinstance(i, Scalar)]
        if what:
            self.problems.add(node.line, f"{what} takes a value or a list of values, not a mapping")
        return []

    def scalar_field(self, fields: Map, key: str, what: str) -> Scalar | None:
        node = fields.get(key)
        if isinstance(node, Scalar) and node.text:
            return node
        self.problems.add(node.line if node is not None else fields.line, f"{what} needs `{key}:` with one value")
        return None

    def add(
        self,
        subject: str | ox.BlankNode,
        predicate: str,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal,
        graph: str | None = None,
    ) -> None:
        node = ox.NamedNode(subject) if isinstance(subject, str) else subject
        self.out.quads.append(ox.Quad(node, ox.NamedNode(predicate), obj, ox.NamedNode(graph or self.out.graph)))


def default_ascription_label(names: Names, reporter: str, holders: list[str], label: str) -> str:
    """``Dunne and Wheeler assert: ...``, ``Mary Kaldor reports Clausewitz: ...`` (a collective takes the plural).

    The encoding guide's convention; an ascription whose label says more writes it out.
    """
    who = names.label(reporter) or local_name(reporter)
    plural = names.is_a(reporter, SDKG + "Collective")
    if holders == [reporter]:
        return f"{who} {'assert' if plural else 'asserts'}: {label}"
    held = " and ".join(names.label(h) or local_name(h) for h in holders)
    return f"{who} {'report' if plural else 'reports'} {held}: {label}"


def passages_of_claim(context: Context, claim: str) -> list[tuple[int, str]]:
    """(start, passage) of a claim's first ascription, by start offset: from this compile or from the graph."""
    if claim in context.claim_passages:
        return context.claim_passages[claim]
    store = context.store
    first = ASCRIPTION + claim[len(CLAIM) :]
    ascriptions = sorted(
        q.subject.value
        for q in store.quads_for_pattern(None, ox.NamedNode(SDKG + "ascribes"), ox.NamedNode(claim), None)
        if isinstance(q.subject, ox.NamedNode)
    )
    chosen = first if first in ascriptions else (ascriptions[0] if ascriptions else None)
    if chosen is None:
        return []
    found = []
    for quad in store.quads_for_pattern(ox.NamedNode(chosen), ox.NamedNode(SDKG + "restsOn"), None, None):
        passage = quad.object
        if isinstance(passage, ox.NamedNode):
            found.append((passage_start(store, passage), passage.value))
    return sorted(set(found))


def passage_start(store: ox.Store, passage: ox.NamedNode) -> int:
    for selector in store.quads_for_pattern(passage, ox.NamedNode(OA + "hasSelector"), None, None):
        if not isinstance(selector.object, ox.BlankNode | ox.NamedNode):
            continue
        start = next(store.quads_for_pattern(selector.object, ox.NamedNode(OA + "start"), None, None), None)
        if start is not None:
            return int(term_text(start.object))
    return -1
