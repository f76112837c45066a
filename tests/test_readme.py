"""The README stays true: the two commands first, and the coverage table matches the data."""

from __future__ import annotations

import re
from pathlib import Path

from sdkg.build import BuildResult
from sdkg.builds import open_store
from sdkg.cli import parser
from sdkg.stats import coverage_markdown

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_two_commands_come_first() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make serve", "make test"]
    assert README.index("make serve") < README.index("## ")


def test_coverage_table_matches_the_data(built: BuildResult) -> None:
    table = coverage_markdown(open_store(built.path))
    block = README.split("<!-- coverage:start -->\n", 1)[1].split("<!-- coverage:end -->", 1)[0].strip()
    assert block == table, "run `sdkg stats --format markdown` and paste it into the README"


def test_every_command_is_documented() -> None:
    subcommands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in subcommands:
        assert f"`sdkg {name}" in README, name


def test_makefile_targets_named_in_readme_exist() -> None:
    makefile = Path(REPO / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", README, re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_readme_example_queries_answer(store_path: Path) -> None:
    """Every query in the README's curl examples runs on the repository's data and finds something."""
    from fastapi.testclient import TestClient

    from sdkg.web.app import Settings, create_app

    queries = re.findall(r"--data-urlencode 'query=(.*?)'", README, re.DOTALL)
    canned = re.findall(r"curl '(http://127\.0\.0\.1:8000(/queries/[^']+))'", README)
    assert len(queries) >= 2 and canned
    with TestClient(create_app(Settings(store_path=store_path, root=REPO))) as client:
        for query in queries:
            response = client.get(
                "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
            )
            assert response.status_code == 200, (query, response.text)
            assert response.json()["results"]["bindings"], query
        for _url, path in canned:
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.json()["results"]["bindings"], path
        turtle = client.get("/id/actor/mary-kaldor", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200 and "Mary Kaldor" in turtle.text
