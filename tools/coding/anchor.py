#!/usr/bin/env python3
"""Anchor a verbatim quote in a source text and print its passage block in the house style.

    .venv/bin/python tools/coding/anchor.py dw "Realists got it wrong."
    .venv/bin/python tools/coding/anchor.py kr "I agree." --occurrence 2

The first argument is the source's passage code (``dw``, ``kr``: the code the passage IRIs of
that source use). The quote is normalised (quotation marks, white space) and must occur in the
normalised text; a quote that occurs more than once needs ``--occurrence``. The text is looked
for where the build looks (``$SDKG_SOURCES``, then ``../shared/seeds``). Nothing is written:
paste the block among the passages of the source's ``claims.ttl`` (sorted by offset).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "server"))

from encoding import load, local  # noqa: E402

from sdkg.passages import anchor, find_source_text, read_normalised  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _turtle_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def passage_block(code: str, source_local: str, exact: str, start: int, end: int, prefix: str, suffix: str) -> str:
    return "\n".join(
        [
            f"passage:{code}-{start}-{end} a sdkg:Passage ;",
            f'    rdfs:label "Passage {code} {start}-{end}"@en ;',
            f"    oa:hasSource source:{source_local} ;",
            "    oa:hasSelector [",
            "        a oa:TextQuoteSelector ;",
            f"        oa:exact {_turtle_string(exact)} ;",
            f"        oa:prefix {_turtle_string(prefix)} ;",
            f"        oa:suffix {_turtle_string(suffix)}",
            "    ], [",
            "        a oa:TextPositionSelector ;",
            f'        oa:start "{start}"^^xsd:nonNegativeInteger ;',
            f'        oa:end "{end}"^^xsd:nonNegativeInteger',
            "    ] .",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="the passage code of the source: dw or kr")
    parser.add_argument("quote", help="the verbatim quote")
    parser.add_argument("--occurrence", type=int, default=1)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    enc = load(args.root)
    source = enc.source_codes.get(args.source)
    if source is None:
        parser.error(f"unknown source code {args.source!r}; known: {', '.join(sorted(enc.source_codes))}")
    path = find_source_text(args.root, enc.source_files[source])
    if path is None:
        parser.error(f"the text {enc.source_files[source]} was not found: set SDKG_SOURCES")
    found = anchor(read_normalised(path), args.quote, args.occurrence)
    print(passage_block(args.source, local(source), found.exact, found.start, found.end, found.prefix, found.suffix))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
