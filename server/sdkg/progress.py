"""Progress for long work: a bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Report steps and counted work to a stream (standard error by default)."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.enabled = enabled
        self.started = time.monotonic()
        self._last_logged: dict[str, int] = {}

    def step(self, message: str) -> None:
        if self.enabled:
            self._finish_bar()
            print(f"[{self.elapsed():6.1f}s] {message}", file=self.stream, flush=True)

    def count(self, label: str, done: int, total: int) -> None:
        """Show ``done`` of ``total``: redraw a bar on a terminal, log each tenth otherwise."""
        if not self.enabled or total <= 0:
            return
        fraction = min(1.0, done / total)
        if self.interactive:
            width = 30
            filled = int(width * fraction)
            bar = "#" * filled + "-" * (width - filled)
            print(f"\r{label} [{bar}] {done:,}/{total:,}", end="", file=self.stream, flush=True)
            self._bar_open = True
            return
        if total < 20 and done < total:
            return
        tenth = int(fraction * 10)
        if self._last_logged.get(label, -1) < tenth:
            self._last_logged[label] = tenth
            print(
                f"[{self.elapsed():6.1f}s] {label}: {done:,}/{total:,} ({fraction:.0%})", file=self.stream, flush=True
            )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    _bar_open = False

    def _finish_bar(self) -> None:
        if self._bar_open:
            print(file=self.stream)
            self._bar_open = False


SILENT = Progress(enabled=False)
