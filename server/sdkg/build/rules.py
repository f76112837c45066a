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

from pathlib import Path

import pyoxigraph as ox

from ..layout import ProjectLayout
from ..namespaces import INFERRED_GRAPH, SDKG


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a directory, in name order."""
    return sorted(path for path in rules_dir.glob("*.rq") if path.is_file())


def run_rule(store: ox.Store, query: str) -> list[ox.Triple]:
    """Evaluate one CONSTRUCT query over the union of the store's graphs.

    The union is what the rules must read because the inferred graph has been removed before
    they run; pyoxigraph evaluates the union much faster than an explicit list of graphs.
    """
    result = store.query(query, use_default_graph_as_union=True)
    if not isinstance(result, ox.QueryTriples):
        raise ValueError("a rule must be a CONSTRUCT query")
    return list(result)


def is_asserted(store: ox.Store, triple: ox.Triple, inferred: ox.NamedNode) -> bool:
    """Whether some graph other than the inferred one already holds ``triple``."""
    quads = store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
    return any(quad.graph_name != inferred for quad in quads)


def apply_rules(store: ox.Store, rules_dir: Path) -> int:
    """Run every rule of ``rules_dir`` and store the new triples in the inferred graph.

    The inferred graph is cleared first. Returns the number of triples it holds afterwards.
    A rule that is not valid SPARQL raises :class:`SyntaxError` naming the file.
    """
    inferred = ox.NamedNode(INFERRED_GRAPH)
    if inferred in set(store.named_graphs()):
        store.remove_graph(inferred)
    derived: set[ox.Triple] = set()
    for path in rule_files(rules_dir):
        try:
            derived.update(run_rule(store, path.read_text(encoding="utf-8")))
        except SyntaxError as error:
            raise SyntaxError(f"{path}: {error}") from None
    new = [ox.Quad(t.subject, t.predicate, t.object, inferred) for t in derived if not is_asserted(store, t, inferred)]
    store.bulk_extend(new)
    return len(new)


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


def infer(layout: ProjectLayout, store: ox.Store) -> int:
    """Apply the project's rules (if it has any) into the store's inferred graph; the triples derived.

    Every derived triple must come with its explanation (the rules write both), so that the
    server can always answer why it holds; raises :class:`UnexplainedDerivation` otherwise.
    """
    if not layout.rules.is_dir():
        return 0
    count = apply_rules(store, layout.rules)
    missing = unexplained(store)
    if missing:
        shown = "; ".join(f"{t.subject} {t.predicate} {t.object}" for t in missing[:3])
        raise UnexplainedDerivation(
            f"the rules derived {len(missing)}+ triple(s) without an sdkg:Explanation, e.g. {shown}"
        )
    return count
