"""One rule, run in its own process over a build's on-disk store: ``python -m sdkg.build.rulestep STORE RULE OUT``.

The build runs each rule in a child like this one (:func:`sdkg.build.rules.apply_rules` with a
store path), which opens the store read-only, writes the rule's triples to ``OUT`` as N-Triples
(and those its rows did not explain to ``OUT`` with the suffix ``.suspects``, see
:func:`sdkg.build.rules.run_rule`) and exits. Whatever the query engine, RocksDB's caches or the
allocator keep after a rule is then returned to the system with the process, instead of building
up across the rules in the build's own process (bench/README.md, "Build in bounded memory").

Exit status: 0 done; :data:`SYNTAX_ERROR` when the rule is not SPARQL (the message on stderr);
1 for any other error (its type and message on stderr).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox

from ..sparql.sandbox import die_with_parent
from .rules import SYNTAX_ERROR, run_rule


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m sdkg.build.rulestep STORE RULE OUT", file=sys.stderr)
        return 2
    store_path, rule_path, out_path = argv
    die_with_parent()  # a rule whose build is gone has nobody to read its triples
    try:
        store = ox.Store.read_only(store_path)
        query = Path(rule_path).read_text(encoding="utf-8")
        suspects = Path(out_path).with_suffix(".suspects")
        with open(out_path, "wb") as output, suspects.open("wb") as flagged:
            checked = run_rule(store, query, output, flagged)
        if not checked:
            suspects.unlink()
    except SyntaxError as error:
        print(str(error), file=sys.stderr)
        return SYNTAX_ERROR
    except Exception as error:  # the parent reports it, naming the rule
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
