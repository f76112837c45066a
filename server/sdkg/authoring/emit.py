"""Write authoring files (and drafts) as YAML a scholar is happy to read and edit.

Generated files are read by people first: short values stay plain (``stance: rejects``),
long quotes and paraphrases are folded at word boundaries (``>-``), short lists sit on one
line, and comments can precede an entry (the importer explains each draft that way).
Every value comes back exactly through :func:`sdkg.authoring.yamltree.read_tree`, which
reads all scalars as text: the round-trip test relies on it.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 100
"""Lines are folded to about this width."""

_PLAIN_FIRST = set("-?:,[]{}#&*!|>'\"%@`")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def printable(char: str) -> bool:
    """YAML's printable set, less the characters a reader treats specially (line separators, BOM)."""
    code = ord(char)
    if code in (0x85, 0x2028, 0x2029, 0xFEFF):
        return False
    return 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def visible(text: str) -> bool:
    return all(printable(char) for char in text)


def double_quoted(text: str) -> str:
    """A YAML double-quoted scalar; anything not printable is escaped (``\\x7f``, ``\\u2028``)."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


@dataclass
class Commented:
    """A value whose entry is preceded by ``# comment`` lines."""

    value: object
    comment: str


Tree = dict[str, object]


def dump(tree: Tree, header: str = "") -> str:
    """The YAML text of ``tree`` (dicts keep their order), after ``header`` comment lines."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    for index, (key, value) in enumerate(tree.items()):
        if lines and (index > 0 or header):
            lines.append("")
        lines.extend(entry(key, value, 0, spaced=isinstance(unwrap(value), dict) and key in SPACED_SECTIONS))
    return "\n".join(lines) + "\n"


SPACED_SECTIONS = {"claims", "links", "actors", "cases", "concepts", "places", "works", "periodicals", "discourses"}
"""Sections whose entries are separated by a blank line."""


def unwrap(value: object) -> object:
    return value.value if isinstance(value, Commented) else value


def entry(key: str, value: object, indent: int, spaced: bool = False) -> list[str]:
    """``key: value`` at ``indent``, with nested blocks below it."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Commented):
        lines.extend(f"{pad}# {line}".rstrip() for line in value.comment.splitlines())
        value = value.value
    name = scalar(key)
    if isinstance(value, dict):
        if not value:
            return [*lines, f"{pad}{name}: {{}}"]
        lines.append(f"{pad}{name}:")
        for number, (child_key, child) in enumerate(value.items()):
            if spaced and number > 0:
                lines.append("")
            lines.extend(entry(child_key, child, indent + 2))
        return lines
    if isinstance(value, list):
        return lines + sequence(name, value, indent)
    return lines + text_entry(f"{pad}{name}:", str(value), indent)


def sequence(name: str, items: list[object], indent: int) -> list[str]:
    pad = " " * indent
    if not items:
        return [f"{pad}{name}: []"]
    if all(isinstance(item, str) for item in items):
        flow = f"{pad}{name}: [" + ", ".join(scalar(str(i), flow=True) for i in items) + "]"
        if len(flow) <= WIDTH:
            return [flow]
    lines = [f"{pad}{name}:"]
    for item in items:
        if isinstance(item, dict) and item:
            first = True
            for key, value in item.items():
                child = entry(key, value, indent + 4)
                if first:
                    child[0] = f"{pad}  - " + child[0][indent + 4 :]
                    first = False
                lines.extend(child)
        else:
            lines.extend(text_entry(f"{pad}  -", str(item), indent + 2))
    return lines


def text_entry(lead: str, text: str, indent: int) -> list[str]:
    """``lead value`` on one line, or a folded block when the text is long."""
    single = f"{lead} {scalar(text)}"
    if len(single) <= WIDTH or not foldable(text):
        return [single]
    body = " " * (indent + 2)
    lines = [f"{lead} >-"]
    current = ""
    for word in text.split(" "):
        if current and len(body) + len(current) + 1 + len(word) > WIDTH:
            lines.append(body + current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(body + current)
    return lines


def foldable(text: str) -> bool:
    """Whether a folded block gives back exactly ``text`` (single spaces, nothing invisible)."""
    return (
        bool(text)
        and text == text.strip()
        and "  " not in text
        and visible(text)
        and not text.startswith(("#", "-", "?", ":"))
    )


def scalar(text: str, flow: bool = False) -> str:
    """``text`` as a plain scalar when YAML reads it back unchanged, else double-quoted."""
    if plain(text, flow):
        return text
    return double_quoted(text)


def plain(text: str, flow: bool = False) -> bool:
    if not text or text != text.strip() or not visible(text):
        return False
    if text[0] in _PLAIN_FIRST or text.endswith(":") or ": " in text or " #" in text:
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    return not text.startswith(("---", "..."))
