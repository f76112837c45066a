"""Progress output: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

from sdkg.progress import Progress


def test_plain_lines_every_tenth_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=False)
    for done in range(1, 101):
        progress.count("loading triples", done, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # the first item, then each tenth
    assert lines[-1].endswith("loading triples: 100/100 (100%)")
    assert "\r" not in stream.getvalue()


def test_bar_redraws_in_place_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, interactive=True)
    progress.count("parsing files", 5, 10)
    progress.count("parsing files", 10, 10)
    progress.step("done")
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert "[###############---------------] 5/10" in text
    assert text.endswith("done\n")
