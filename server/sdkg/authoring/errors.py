"""Problems in an authoring file: each names the file, the line and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ProjectError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an authoring file, at a 1-based line (``None``: the whole file)."""

    line: int | None
    message: str

    def text(self, path: Path | str) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


class AuthoringError(ProjectError):
    """An authoring file cannot be compiled; ``str()`` lists every problem as ``file:line: message``.

    A :class:`~sdkg.project.ProjectError`, so the build, ``sdkg validate`` and every other
    command that loads the project report it like any other unreadable file.
    """

    def __init__(self, path: Path, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.message))
        first = self.problems[0] if self.problems else Problem(None, "cannot be compiled")
        super().__init__(path, first.message, first.line)

    def __str__(self) -> str:
        lines = [problem.text(self.path) for problem in self.problems]
        if len(lines) > 1:
            lines.append(f"{len(lines)} problems in {self.path}; nothing was written")
        return "\n".join(lines)


class Problems:
    """Collects problems while a file is compiled, so one run reports all of them."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, line: int | None, message: str) -> None:
        self.items.append(Problem(line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_for(self, path: Path) -> None:
        if self.items:
            raise AuthoringError(path, self.items)
