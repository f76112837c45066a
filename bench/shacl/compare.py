"""Check that the oxigraph prototype (bench/shacl/oxshacl.py) finds what sdkg.validate finds.

For the repository's data and for every file of tests/invalid/ (added to the small test
project), compare the sets of (rule, constraint, focus node) of the SHACL violations.

    python bench/shacl/compare.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import rdflib

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from oxshacl import validate as ox_validate  # noqa: E402

from sdkg.project import ProjectError, parse_project  # noqa: E402
from sdkg.validate import SHAPES_NS, compact, load_shapes, validate_project  # noqa: E402


def both(root: Path) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    parsed = parse_project(root)
    report = validate_project(parsed, root / "shapes")
    ours = {(r.rule, r.constraint.removesuffix("ConstraintComponent"), r.focus_node) for r in report.violations}
    found = ox_validate(parsed.quads, load_shapes(root / "shapes"))
    theirs = set()
    for f in found:
        if f.severity != "Violation":
            continue
        focus = f.focus
        if isinstance(focus, rdflib.BNode):  # selectors: sdkg reports the passage that has them
            owner = next(
                (
                    row
                    for row in parsed.quads
                    if isinstance(row.object, type(row.object)) and str(getattr(row.object, "value", "")) == str(focus)
                ),
                None,
            )
            focus = rdflib.URIRef(owner.subject.value) if owner is not None else focus
        theirs.add((compact(f.rule) if f.rule.startswith(SHAPES_NS) else f.rule, f.component, str(focus)))
    return ours, theirs


def main() -> int:
    from tests.test_shapes import INVALID, make_small_project, target

    cases = [("repository", REPO, None)]
    cases += [(p.name, None, p) for p in sorted(INVALID.iterdir()) if p.name.endswith((".ttl", ".sssom.tsv"))]
    differences = 0
    for name, root, broken in cases:
        if root is None:
            root = make_small_project(Path(tempfile.mkdtemp()) / "project")
            assert broken is not None
            shutil.copy(broken, target(root, broken.name))
        try:
            ours, theirs = both(root)
        except ProjectError:
            continue
        if ours != theirs:
            differences += 1
            print(f"{name}: only sdkg {sorted(ours - theirs)}; only oxigraph {sorted(theirs - ours)}")
    print(f"{len(cases)} cases, {differences} with differences")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
