"""The house keeps its floors: no module imports from a floor above it or from another unit of its own floor
(sdkg.architecture reads the imports from the code), so the read side never imports the build."""

from __future__ import annotations

from pathlib import Path

from sdkg.architecture import FLOOR_OF, arrows, diagram, violations
from tests.conftest import REPO


def test_no_module_imports_from_a_floor_above_or_beside_it() -> None:
    assert violations() == []


def test_the_read_side_does_not_import_the_build() -> None:
    found = arrows()
    assert not {"build", "checks", "web", "cli"} & found["sparql"]
    assert FLOOR_OF["sparql"] < FLOOR_OF["build"] < FLOOR_OF["web"]


def test_the_check_finds_upward_and_sideways_imports(tmp_path: Path) -> None:
    """The rule can fail: a tiny package breaking it is caught, each broken import named."""
    package = tmp_path / "sdkg"
    (package / "web").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "web" / "__init__.py").write_text("", encoding="utf-8")
    (package / "namespaces.py").write_text("def f():\n    from .web import app\n", encoding="utf-8")
    (package / "stats.py").write_text("from . import push\n", encoding="utf-8")
    (package / "push.py").write_text("from sdkg.namespaces import f\n", encoding="utf-8")
    (package / "newcomer.py").write_text("", encoding="utf-8")
    found = violations(package)
    web, stats = FLOOR_OF["web"], FLOOR_OF["stats"]
    assert FLOOR_OF["namespaces"] == 0 and FLOOR_OF["push"] == stats
    assert found == [
        f"sdkg/namespaces.py:2: namespaces (floor 0) imports sdkg.web (floor {web})",
        "sdkg/newcomer.py: newcomer stands on no floor (add it to FLOORS)",
        f"sdkg/stats.py:1: stats (floor {stats}) imports sdkg.push (floor {stats})",
    ]


def test_the_architecture_page_draws_the_floors_as_the_code_has_them() -> None:
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = page.split("<!-- floors:start -->\n", 1)[1].split("<!-- floors:end -->", 1)[0]
    assert block == f"```text\n{diagram()}\n```\n", "run `python -m sdkg.architecture` and paste it into the page"
