"""The floors of the package and the arrows between them, read from the code.

:data:`FLOORS` declares which floor each unit (a top-level module or package of ``sdkg``)
stands on. A unit may import units of lower floors and its own modules, nothing else: no
upward import, no sideways import between units of one floor. :func:`violations` reads
every ``import`` in the source (lazy ones included) and lists what breaks the rule; the
tests keep that list empty. :func:`diagram` draws the floors and their actual arrows as
text for ``docs/architecture.md``; run ``python -m sdkg.architecture`` to print it (a test
keeps the page equal to it).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

FLOORS: list[tuple[str, list[str]]] = [
    ("shared words", ["__init__", "namespaces", "progress", "output", "errors"]),
    ("where things are", ["layout", "builds", "passages"]),
    ("compiling authoring files", ["authoring"]),
    ("reading the project's files", ["project"]),
    ("querying a store", ["sparql"]),
    ("the catalog, the checks, reconciliation and the search index", ["catalog", "checks", "reconcile", "search"]),
    (
        "building and publishing",
        ["build", "release", "stats", "push", "wikidata", "shapes_doc", "architecture", "texts"],
    ),
    ("HTTP", ["web"]),
    ("commands", ["cli"]),
]
"""Bottom first: each entry is a floor's name and its units."""

FLOOR_OF = {unit: number for number, (_name, units) in enumerate(FLOORS) for unit in units}


def unit_of(module: str) -> str:
    """``sdkg.web.app`` → ``web``; ``sdkg`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str, package: Path = PACKAGE) -> bool:
    path = package.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported(path: Path, root: Path = PACKAGE) -> Iterator[tuple[str, int]]:
    """The ``sdkg`` modules a source file imports (with the line), relative imports resolved."""
    name = module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "sdkg")
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if target.split(".")[0] != "sdkg":
                continue
            for alias in node.names:  # ``from . import canned`` imports the module sdkg.web.canned
                module = f"{target}.{alias.name}"
                yield (module if is_module(module, root) else target), node.lineno


def sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def arrows(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each unit and the other units it imports."""
    found: dict[str, set[str]] = {unit: set() for unit in FLOOR_OF}
    for path in sources(root):
        unit = unit_of(module_name(path, root))
        for target, _line in imported(path, root):
            other = unit_of(target)
            if other != unit:
                found.setdefault(unit, set()).add(other)
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import that goes up a floor or sideways to another unit of the same floor, or into an unknown unit."""
    found = []
    for path in sources(root):
        unit = unit_of(module_name(path, root))
        if unit not in FLOOR_OF:
            found.append(f"{path.relative_to(root.parent)}: {unit} stands on no floor (add it to FLOORS)")
            continue
        for target, line in imported(path, root):
            other = unit_of(target)
            where = f"{path.relative_to(root.parent)}:{line}"
            if other not in FLOOR_OF:
                found.append(f"{where}: {other} stands on no floor (add it to FLOORS)")
            elif other != unit and FLOOR_OF[other] >= FLOOR_OF[unit]:
                found.append(f"{where}: {unit} (floor {FLOOR_OF[unit]}) imports {target} (floor {FLOOR_OF[other]})")
    return found


def diagram() -> str:
    """The floors, top first, each unit with the units it imports (all of them on lower floors)."""
    found = arrows()
    width = max(len(unit) for unit in FLOOR_OF)
    lines = []
    for number in reversed(range(len(FLOORS))):
        name, units = FLOORS[number]
        lines.append(f"{number}  {name}")
        for unit in units:
            targets = ", ".join(sorted(found.get(unit, set()), key=lambda u: (-FLOOR_OF.get(u, 0), u))) or "-"
            lines.append(f"     {unit.ljust(width)}  → {targets}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(diagram() + "\n")
