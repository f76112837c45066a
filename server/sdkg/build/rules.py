"""Derived triples: run the SPARQL CONSTRUCT rules of ``ontology/rules/`` over a store.

Each ``*.rq`` file holds one CONSTRUCT query with a header comment that says what it derives.
Every rule reads the union of the *asserted* graphs (all graphs but the inferred one), so the
rules do not depend on each other or on their order, and a rerun gives the same result. What
they derive, less what is already asserted, replaces the contents of
:data:`~sdkg.namespaces.INFERRED_GRAPH`.

Each rule writes, with every triple it derives, an ``sdkg:Explanation`` (the rule, the
ascriptions, links and passages it rests on); :func:`unexplained` finds derived triples that
came without one, which the build refuses.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph as ox

from ..layout import ProjectLayout
from ..namespaces import INFERRED_GRAPH, SDKG


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a directory, in name order."""
    return sorted(path for path in rules_dir.glob("*.rq") if path.is_file())


def run_rule(store: ox.Store, query: str, output: Path) -> None:
    """Evaluate one CONSTRUCT query over the union of the store's graphs, its triples written to ``output``.

    The union is what the rules must read because the inferred graph has been removed before
    they run; pyoxigraph evaluates the union much faster than an explicit list of graphs. The
    triples stream from the engine to the file as N-Triples (no Python object per triple, no
    set of them in memory): a corpus of a million claims derives tens of millions.
    """
    result = store.query(query, use_default_graph_as_union=True)
    if not isinstance(result, ox.QueryTriples):
        raise ValueError("a rule must be a CONSTRUCT query")
    result.serialize(output=str(output), format=ox.RdfFormat.N_TRIPLES)


REMOVE_ASSERTED = f"""
DELETE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}
WHERE {{
    GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }}
    {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{INFERRED_GRAPH}>) }} UNION {{ ?s ?p ?o }}
}}"""
"""Derived triples that another graph (or the default graph) already states are not inferred."""

COUNT_INFERRED = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"


def apply_rules(store: ox.Store, rules_dir: Path, scratch: Path | None = None) -> int:
    """Run every rule of ``rules_dir`` and store the new triples in the inferred graph.

    The inferred graph is cleared first. Every rule runs before any derived triple is stored,
    so each reads the asserted graphs only: the rules do not depend on each other or on their
    order. Each rule's triples go to an N-Triples file in ``scratch`` (a temporary directory
    by default; the build uses its own directory), which is then bulk-loaded into the inferred
    graph (the store keeps each triple once) and removed; last, the triples some other graph
    already states are deleted. Memory stays that of one bulk-load batch, whatever the corpus.
    Returns the number of triples the inferred graph holds afterwards. A rule that is not
    valid SPARQL raises :class:`SyntaxError` naming the file.
    """
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="sdkg-rules-") as directory:
            return apply_rules(store, rules_dir, Path(directory))
    inferred = ox.NamedNode(INFERRED_GRAPH)
    if inferred in set(store.named_graphs()):
        store.remove_graph(inferred)
    outputs: list[Path] = []
    try:
        for path in rule_files(rules_dir):
            output = scratch / f"rule-{len(outputs):03d}-{path.stem}.nt"
            outputs.append(output)
            try:
                run_rule(store, path.read_text(encoding="utf-8"), output)
            except SyntaxError as error:
                raise SyntaxError(f"{path}: {error}") from None
        for output in outputs:
            store.bulk_load(path=output, format=ox.RdfFormat.N_TRIPLES, to_graph=inferred, lenient=True)
            output.unlink()
    finally:
        for output in outputs:
            output.unlink(missing_ok=True)
    store.update(REMOVE_ASSERTED)
    return count(store, COUNT_INFERRED)


def count(store: ox.Store, query: str) -> int:
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    value = next(iter(solutions))["n"]
    return int(value.value) if isinstance(value, ox.Literal) else 0


UNEXPLAINED = f"""
PREFIX sdkg: <{SDKG}>
SELECT ?s ?p ?o WHERE {{
    GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }}
    MINUS {{ GRAPH <{INFERRED_GRAPH}> {{ ?s a sdkg:Explanation }} }}
    MINUS {{
        GRAPH <{INFERRED_GRAPH}> {{ ?e sdkg:explainsSubject ?s ; sdkg:explainsProperty ?p ; sdkg:explainsObject ?o }}
    }}
}}"""
# MINUS, an anti-join evaluated once, not FILTER NOT EXISTS, which is evaluated per derived triple.


def unexplained(store: ox.Store, limit: int = 20) -> list[ox.Triple]:
    """Derived triples of the inferred graph that no explanation explains (at most ``limit``).

    The explanation nodes' own triples are the explanations, not derived relations.
    """
    solutions = store.query(f"{UNEXPLAINED} LIMIT {int(limit)}")
    assert isinstance(solutions, ox.QuerySolutions)
    return [ox.Triple(row["s"], row["p"], row["o"]) for row in solutions]  # type: ignore[arg-type]


class UnexplainedDerivation(Exception):
    """The rules derived a triple without an ``sdkg:Explanation``: a rule is incomplete, not the data."""


def infer(layout: ProjectLayout, store: ox.Store, scratch: Path | None = None) -> int:
    """Apply the project's rules (if it has any) into the store's inferred graph; the triples derived.

    Every derived triple must come with its explanation (the rules write both), so that the
    server can always answer why it holds; raises :class:`UnexplainedDerivation` otherwise.
    ``scratch`` is where the derived triples wait before they are loaded (see :func:`apply_rules`).
    """
    if not layout.rules.is_dir():
        return 0
    derived = apply_rules(store, layout.rules, scratch)
    missing = unexplained(store)
    if missing:
        shown = "; ".join(f"{t.subject} {t.predicate} {t.object}" for t in missing[:3])
        raise UnexplainedDerivation(
            f"the rules derived {len(missing)}+ triple(s) without an sdkg:Explanation, e.g. {shown}"
        )
    return derived
