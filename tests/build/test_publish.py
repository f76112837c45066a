"""Build directories: their names sort in the order the builds began, which is what pruning keeps by."""

from __future__ import annotations

from pathlib import Path

from sdkg.build.publish import new_build_dir


def test_build_names_sort_in_the_order_they_were_made(tmp_path: Path) -> None:
    """Many builds within one second (as the tests and a busy admin make them) still sort by time: the
    old names ended in an unpadded counter that wrapped, so pruning could keep an older build over the
    published one."""
    made = [new_build_dir(tmp_path).name for _ in range(300)]
    assert len(set(made)) == len(made)
    assert sorted(made) == made
