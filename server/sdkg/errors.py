"""The one error for a project file that cannot be read, shared by every reader of project files.

It lives below :mod:`sdkg.project` so that the readers that project uses (the authoring
compiler, :mod:`sdkg.authoring`) can raise it too; :mod:`sdkg.project` re-exports it.
"""

from __future__ import annotations

from pathlib import Path


class ProjectError(Exception):
    """A project file cannot be read; ``str()`` names the file and the place."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        where = str(path) + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")
