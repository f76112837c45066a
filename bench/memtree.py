"""The resident memory of a process and all its descendants together, sampled from ``/proc``.

``wait4`` gives a child's peak RSS and that of each descendant it reaped, but not their sum: the
build runs two rules at once, each in its own process, beside its own. :class:`TreeSampler`
sums the RSS of the whole tree every ``interval`` seconds, in a thread, and keeps the highest sum
(a sample can miss a peak shorter than the interval).

    python -m bench.memtree PID   # samples until PID ends, then prints the peak sum in MB
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def children_of() -> dict[int, list[int]]:
    """Every process's children, read from ``/proc/*/stat``."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def rss_mb(pid: int) -> float:
    try:
        return int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_rss_mb(root: int) -> float:
    """The summed RSS (MB) of ``root`` and its descendants now."""
    tree = children_of()
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += rss_mb(pid)
        stack.extend(tree.get(pid, []))
    return total


class TreeSampler:
    """Samples :func:`tree_rss_mb` of ``root`` in a thread until :meth:`stop`; ``peak_mb`` is the highest."""

    def __init__(self, root: int, interval: float = 0.25):
        self.root, self.interval, self.peak_mb = root, interval, 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.root))
            self.done.wait(self.interval)

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak_mb


def main(argv: list[str]) -> int:
    root = int(argv[0])
    interval = float(argv[1]) if len(argv) > 1 else 0.5
    peak, shown = 0.0, 0.0
    while Path(f"/proc/{root}").exists():
        now = tree_rss_mb(root)
        peak = max(peak, now)
        if peak > shown + 25:  # a line when the peak has risen
            print(f"{time.strftime('%H:%M:%S')} now {now:.0f} MB, peak {peak:.0f} MB", flush=True)
            shown = peak
        time.sleep(interval)
    print(f"peak {peak:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
