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

import itertools
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from ..layout import ProjectLayout
from ..namespaces import INFERRED_GRAPH, SDKG


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a directory, in name order."""
    return sorted(path for path in rules_dir.glob("*.rq") if path.is_file())


Slot = tuple[int, str]
"""A place in a rule's template: ``(column, "")`` for a variable (its column in the rows), ``(-1, term)``
for a constant (written in N-Triples)."""


CONSTRUCT_LINE = re.compile(r"^CONSTRUCT\s*\{\s*$", re.MULTILINE)
WHERE_LINE = re.compile(r"^WHERE\s*\{", re.MULTILINE)


def streamed(query: str) -> tuple[str, list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]] | None:
    """The SELECT and the template of a rule written as the rules are (``CONSTRUCT {`` and ``WHERE {``
    each at the start of a line, a template without blank nodes); ``None`` for any other query."""
    construct, where = CONSTRUCT_LINE.search(query), WHERE_LINE.search(query)
    if construct is None or where is None or where.start() < construct.start():
        return None
    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception:  # rdflib cannot read it: leave it to the engine, which reports the error
        return None
    template = list(getattr(algebra, "template", None) or [])
    if algebra.name != "ConstructQuery" or not template:
        return None
    if any(isinstance(term, rdflib.BNode) for triple in template for term in triple):
        return None
    return query[: construct.start()] + "SELECT * " + query[where.start() :], template


def ntriples(term: rdflib.term.Node) -> str:
    """A constant of a template in N-Triples (pyoxigraph writes it, as it writes the rows' terms)."""
    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or rdflib.XSD.string))))
    raise ValueError(f"a rule's template cannot hold {term!r}")


def run_rule(store: ox.Store, query: str, output: BinaryIO) -> None:
    """Evaluate one CONSTRUCT query over the union of the store's graphs, its triples written to ``output``.

    The union is what the rules must read because the inferred graph has been removed before
    they run; pyoxigraph evaluates the union much faster than an explicit list of graphs. The
    triples are written as N-Triples and never gathered: a corpus of a million claims derives
    tens of millions. A rule written as the rules are (:func:`streamed`) is run as a SELECT and
    its template filled here, row by row, because Oxigraph's CONSTRUCT keeps every triple it has
    written in a set (to write each once; the store keeps each once anyway), which grows with the
    corpus (about 600 bytes a derived triple). Any other CONSTRUCT is serialised by the engine.
    A template triple with an unbound variable, a literal subject or a non-IRI predicate is not
    written, as CONSTRUCT does.
    """
    split = streamed(query)
    if split is None:
        result = store.query(query, use_default_graph_as_union=True)
        try:
            if not isinstance(result, ox.QueryTriples):
                raise ValueError("a rule must be a CONSTRUCT query")
            result.serialize(output=output, format=ox.RdfFormat.N_TRIPLES)
        finally:
            del result  # as below: this frame may outlive the call
        return
    select, template = split
    solutions = store.query(select, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    columns = {variable.value: index for index, variable in enumerate(solutions.variables)}

    def slot(term: rdflib.term.Node) -> Slot:
        if isinstance(term, rdflib.Variable):
            return (columns.get(str(term), -2), "")
        return (-1, ntriples(term))

    slots = [(slot(s), slot(p), slot(o)) for s, p, o in template]
    try:
        write_rows(solutions, slots, output)
    finally:
        # rdflib's parser (in :func:`streamed`) leaves tracebacks that hold this frame in a reference cycle:
        # the results would live on in it and be freed by a later collection, maybe on another thread,
        # which pyoxigraph refuses. They are dropped here, on this thread.
        del solutions


def write_rows(solutions: ox.QuerySolutions, slots: list[tuple[Slot, Slot, Slot]], output: BinaryIO) -> None:
    """A rule's template filled from each row of its SELECT, written as N-Triples."""
    lines: list[str] = []
    for row in solutions:
        for (sc, sv), (pc, pv), (oc, ov) in slots:
            subject = row[sc] if sc >= 0 else None
            predicate = row[pc] if pc >= 0 else None
            obj = row[oc] if oc >= 0 else None
            if (sc >= 0 and not isinstance(subject, (ox.NamedNode, ox.BlankNode))) or sc == -2:
                continue
            if (pc >= 0 and not isinstance(predicate, ox.NamedNode)) or pc == -2:
                continue
            if (oc >= 0 and obj is None) or oc == -2:
                continue
            lines.append(f"{subject if sc >= 0 else sv} {predicate if pc >= 0 else pv} {obj if oc >= 0 else ov} .\n")
        if len(lines) >= 50_000:
            output.write("".join(lines).encode("utf-8"))
            lines.clear()
    output.write("".join(lines).encode("utf-8"))


REMOVE_ASSERTED = f"""
DELETE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}
WHERE {{
    GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }}
    FILTER EXISTS {{ {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{INFERRED_GRAPH}>) }} UNION {{ ?s ?p ?o }} }}
}}"""
"""Derived triples that another graph (or the default graph) already states are not inferred.

``FILTER EXISTS`` looks each derived triple up; written as a join, Oxigraph hashed every quad
of the store first (memory that grows with the corpus)."""

COUNT_INFERRED = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"


def apply_rules(store: ox.Store, rules_dir: Path, scratch: Path | None = None) -> int:
    """Run every rule of ``rules_dir`` and store the new triples in the inferred graph.

    The inferred graph is cleared first. Every rule runs before any derived triple is stored,
    so each reads the asserted graphs only: the rules do not depend on each other or on their
    order. The rules' triples go to one N-Triples file in ``scratch`` (a temporary directory
    by default; the build uses its own directory), which is then bulk-loaded into the inferred
    graph, a chunk at a time (:func:`load_in_chunks`; the store keeps each triple once), and
    removed; last, the triples some other graph already states are deleted.
    Memory stays that of one bulk-load batch, whatever the corpus.
    Returns the number of triples the inferred graph holds afterwards. A rule that is not
    valid SPARQL raises :class:`SyntaxError` naming the file.
    """
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="sdkg-rules-") as directory:
            return apply_rules(store, rules_dir, Path(directory))
    inferred = ox.NamedNode(INFERRED_GRAPH)
    if inferred in set(store.named_graphs()):
        store.remove_graph(inferred)
    output = scratch / "derived.nt"
    try:
        with output.open("wb") as handle:
            for path in rule_files(rules_dir):
                try:
                    run_rule(store, path.read_text(encoding="utf-8"), handle)
                except SyntaxError as error:
                    raise SyntaxError(f"{path}: {error}") from None
        load_in_chunks(store, output, inferred)
    finally:
        output.unlink(missing_ok=True)
    store.update(REMOVE_ASSERTED)
    return count(store, COUNT_INFERRED)


LOAD_CHUNK = 250_000
"""Derived triples per bulk load: Oxigraph's bulk loader holds much of what it is given until it
is done (about 2 GB for the 8.9M derived triples of 100k claims in one load; a chunk costs about 0.25 GB)."""


def load_in_chunks(store: ox.Store, path: Path, graph: ox.NamedNode, chunk: int = LOAD_CHUNK) -> None:
    """Bulk-load an N-Triples file into ``graph`` ``chunk`` lines at a time (one triple a line)."""
    with path.open("rb") as handle:
        while lines := list(itertools.islice(handle, chunk)):
            store.bulk_load(b"".join(lines), format=ox.RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)


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
