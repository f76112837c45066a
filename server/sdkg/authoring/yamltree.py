"""Read an authoring file's YAML into a small tree that remembers where everything was written.

Why not ``yaml.safe_load``:

1. every error must name the line of the offending entry, and plain Python values forget
   where they came from;
2. YAML's implicit typing turns ``no`` into ``False`` and ``1.10`` into ``1.1``: every scalar
   is kept here as the text the scholar typed, and converted only where the field's type
   is known (a year, a statistic), with an error that names the line when it does not fit;
3. PyYAML silently keeps the last of two equal keys, which would hide a duplicate short
   name: here it is an error naming both lines;
4. anchors and aliases are refused: they let a small file expand into a huge one and an
   authoring file never needs them. Nesting is bounded for the same reason.

The tree is built from PyYAML's event stream with an explicit stack (no recursion), using
libyaml when it is installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

MAX_DEPTH = 32
"""Deepest nesting accepted; an authoring file needs about five levels."""


@dataclass
class Scalar:
    """A scalar as written: its text (never converted) and its 1-based line."""

    text: str
    line: int
    quoted: bool = False


@dataclass
class Seq:
    """A YAML sequence (``- a`` lines or ``[a, b]``)."""

    items: list[Node]
    line: int


@dataclass
class Map:
    """A YAML mapping whose keys are unique scalars, in the order written."""

    entries: list[tuple[Scalar, Node]]
    line: int
    keys: dict[str, Scalar] = field(default_factory=dict)

    def get(self, key: str) -> Node | None:
        for name, value in self.entries:
            if name.text == key:
                return value
        return None


Node = Scalar | Seq | Map


class YamlError(ValueError):
    """The file is not YAML an authoring file can use; ``line`` is 1-based (or ``None``)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_tree(text: str) -> Node | None:
    """Parse one YAML document into a :data:`Node` tree (``None`` for an empty document)."""
    try:
        return _build(yaml.parse(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlError(
            f"this is not valid YAML: {problem or error}. Check the indentation (spaces, not tabs), and that"
            " brackets and quotation marks are closed, on this line or the one before it",
            line,
        ) from None
    except yaml.YAMLError as error:
        raise YamlError(f"this is not valid YAML: {error}") from None


def _build(events: object) -> Node | None:
    stack: list[Seq | Map] = []
    pending_key: list[Scalar | None] = []
    root: Node | None = None
    documents = 0

    def attach(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, Seq):
            parent.items.append(node)
            return
        key = pending_key[-1]
        if key is None:
            if not isinstance(node, Scalar):
                raise YamlError("a key must be a plain name, not a list or mapping", node.line)
            first = parent.keys.get(node.text)
            if first is not None:
                raise YamlError(
                    f"{node.text!r} is written twice in the same mapping (first at line {first.line});"
                    " each name may appear once: rename or merge one of them",
                    node.line,
                )
            parent.keys[node.text] = node
            pending_key[-1] = node
        else:
            parent.entries.append((key, node))
            pending_key[-1] = None

    for event in events:  # type: ignore[attr-defined]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlError("one YAML document per file: remove the '---' separator", line)
        elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlError("anchors and aliases (&name, *name) are not allowed in an authoring file", line)
        elif isinstance(event, yaml.ScalarEvent):
            attach(Scalar(event.value, line, quoted=event.style in ("'", '"', "|", ">")))
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep", line)
            node: Seq | Map = Seq([], line) if isinstance(event, yaml.SequenceStartEvent) else Map([], line)
            attach(node)
            stack.append(node)
            pending_key.append(None)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            stack.pop()
            pending_key.pop()
    return root
