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
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from ..layout import ProjectLayout
from ..namespaces import INFERRED_GRAPH, SDKG
from ..sparql.sandbox import child_environment


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a directory, in name order."""
    return sorted(path for path in rules_dir.glob("*.rq") if path.is_file())


Slot = tuple[int, "ox.NamedNode | ox.Literal | None"]
"""A place in a rule's template: ``(column, None)`` for a variable (its column in the rows), ``(-1, term)``
for a constant."""


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


def constant(term: rdflib.term.Node) -> ox.NamedNode | ox.Literal:
    """A constant of a template as pyoxigraph's term (its ``str`` is its N-Triples, as for the rows' terms)."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or rdflib.XSD.string)))
    raise ValueError(f"a rule's template cannot hold {term!r}")


class Asserted:
    """Whether the graphs other than the inferred one already state a triple: such a triple is not derived.

    The rules run before anything is in the inferred graph, over the store the files were loaded into,
    so a rule's row is checked as it is written, by index lookups in the rule's own process. Most
    template triples need no lookup at all: one whose predicate (and object, when the template fixes
    it) no asserted triple uses cannot be asserted (decided once per template triple, :meth:`may_be`).
    This replaces a ``DELETE`` over the whole inferred graph after the load (:data:`REMOVE_ASSERTED`),
    which looked up every derived triple in one thread.
    """

    def __init__(self, store: ox.Store):
        self.store = store
        self.inferred = ox.NamedNode(INFERRED_GRAPH)
        self.subject: object = None
        self.described = False

    def may_be(self, predicate: rdflib.term.Node, obj: rdflib.term.Node) -> bool:
        """Whether a template triple with this predicate and object can be asserted at all."""
        if isinstance(predicate, rdflib.Variable):
            return True
        fixed = None if isinstance(obj, rdflib.Variable) else constant(obj)
        return self.any_of(None, constant(predicate), fixed)

    def stated(self, s: object, p: object, o: object) -> bool:
        """Whether another graph states ``s p o``. A row writes several triples of one subject (an
        explanation node the rule mints: its type, label, the triple it explains, what it rests on), so
        whether any graph says anything of the subject is asked once and kept for the next triples."""
        if s != self.subject:
            self.subject, self.described = s, self.any_of(s, None, None)
        return self.described and self.any_of(s, p, o)

    def any_of(self, s: object, p: object, o: object) -> bool:
        return any(
            quad.graph_name != self.inferred
            for quad in self.store.quads_for_pattern(s, p, o)  # type: ignore[arg-type]
        )


def run_rule(store: ox.Store, query: str, output: BinaryIO, suspects: BinaryIO | None = None) -> bool:
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

    For a rule run row by row, each derived triple whose own row did not also write its
    ``sdkg:Explanation`` (:func:`explainers`) goes to ``suspects`` too, and the result is ``True``:
    only those can be unexplained (:func:`unexplained_among`). ``False``: the rule was not checked.
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
        return False
    select, template = split
    solutions = store.query(select, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    columns = {variable.value: index for index, variable in enumerate(solutions.variables)}

    def slot(term: rdflib.term.Node) -> Slot:
        if isinstance(term, rdflib.Variable):
            return (columns.get(str(term), -2), None)
        return (-1, constant(term))

    slots = [(slot(s), slot(p), slot(o)) for s, p, o in template]
    why = [e if isinstance(e, int) else (-2 if e is None else slot(e)[0]) for e in explainers(template)]
    asserted = Asserted(store)
    check = [asserted.may_be(p, o) for _s, p, o in template]
    try:
        write_rows(solutions, slots, why, output, suspects, check, asserted)
    finally:
        # rdflib's parser (in :func:`streamed`) leaves tracebacks that hold this frame in a reference cycle:
        # the results would live on in it and be freed by a later collection, maybe on another thread,
        # which pyoxigraph refuses. They are dropped here, on this thread.
        del solutions
    return True


EXPLAINED = -1
"""In :func:`explainers`: the triple is always explained (an explanation's own triple, or explained by a constant)."""

Template = list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]


def explainers(template: Template) -> list[rdflib.term.Node | int | None]:
    """For each template triple, what explains it whenever it is written.

    :data:`EXPLAINED` for an explanation's own triples (its subject is typed ``sdkg:Explanation`` in the
    template: written only when that node is bound, and then typed) and for a triple that a constant
    explanation explains; the explanation's variable when the template writes, for the same subject,
    property and object, ``?e sdkg:explainsSubject …; sdkg:explainsProperty …; sdkg:explainsObject …``
    (the triple is explained in a row where ``?e`` is bound to a node); ``None`` when nothing in the
    template explains it. This is :data:`UNEXPLAINED`'s definition, decided per row.
    """
    triples = set(template)
    kind, explanation = rdflib.RDF.type, rdflib.URIRef(SDKG + "Explanation")
    nodes = {s for s, p, o in template if p == kind and o == explanation}
    on = (rdflib.URIRef(SDKG + "explainsSubject"), rdflib.URIRef(SDKG + "explainsProperty"))
    what = rdflib.URIRef(SDKG + "explainsObject")
    found: list[rdflib.term.Node | int | None] = []
    for s, p, o in template:
        if s in nodes:
            found.append(EXPLAINED)
            continue
        by = [
            e for e, q, x in template if q == on[0] and x == s and (e, on[1], p) in triples and (e, what, o) in triples
        ]
        variables = [e for e in by if isinstance(e, rdflib.Variable)]
        found.append(EXPLAINED if len(variables) < len(by) else (variables[0] if variables else None))
    return found


def write_rows(
    solutions: ox.QuerySolutions,
    slots: list[tuple[Slot, Slot, Slot]],
    why: list[int],
    output: BinaryIO,
    suspects: BinaryIO | None,
    check: list[bool],
    asserted: Asserted,
) -> None:
    """A rule's template filled from each row of its SELECT, written as N-Triples.

    ``why`` gives, per template triple, the column of the explanation node that must be bound in the
    row for the triple to be explained (:data:`EXPLAINED`: always; -2: never); a triple written without
    one is written to ``suspects`` as well. A template triple whose ``check`` is true is looked up in
    ``asserted`` first, and not written when another graph states it."""
    lines: list[str] = []
    doubtful: list[str] = []
    rules = list(zip(slots, why, check, strict=True))
    for row in solutions:
        for ((sc, sv), (pc, pv), (oc, ov)), ec, lookup in rules:
            subject = row[sc] if sc >= 0 else sv
            predicate = row[pc] if pc >= 0 else pv
            obj = row[oc] if oc >= 0 else ov
            if not isinstance(subject, (ox.NamedNode, ox.BlankNode)) or sc == -2:
                continue
            if not isinstance(predicate, ox.NamedNode) or pc == -2:
                continue
            if obj is None or oc == -2:
                continue
            if lookup and asserted.stated(subject, predicate, obj):
                continue
            line = f"{subject} {predicate} {obj} .\n"
            lines.append(line)
            if ec != EXPLAINED and (ec < 0 or not isinstance(row[ec], (ox.NamedNode, ox.BlankNode))):
                doubtful.append(line)
        if len(lines) >= 50_000:
            output.write("".join(lines).encode("utf-8"))
            lines.clear()
        if doubtful and suspects is not None and len(doubtful) >= 1_000:
            suspects.write("".join(doubtful).encode("utf-8"))
            doubtful.clear()
    output.write("".join(lines).encode("utf-8"))
    if suspects is not None:
        suspects.write("".join(doubtful).encode("utf-8"))


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


Step = Callable[[str], AbstractContextManager[object]]
"""Times (and notes the memory of) a named step of the rules phase; the build passes its phase timer."""


def no_step(_name: str) -> AbstractContextManager[object]:
    return nullcontext()


class RuleFailed(Exception):
    """A rule's own process failed (not a syntax error): the message names the rule and what happened."""


RULE_JOBS = 2
"""Rules run at once, each in its own process, when the store is on disk (the build's two cores)."""


def apply_rules(
    store: ox.Store,
    rules_dir: Path,
    scratch: Path | None = None,
    store_path: Path | None = None,
    jobs: int = RULE_JOBS,
    step: Step = no_step,
) -> int:
    """Run every rule of ``rules_dir`` and store the new triples in the inferred graph.

    The inferred graph is cleared first. Every rule runs before any derived triple is stored,
    so each reads the asserted graphs only: the rules do not depend on each other or on their
    order. Each rule's triples go to its own N-Triples file in ``scratch`` (a temporary directory
    by default; the build uses its own directory), which are then bulk-loaded into the inferred
    graph in rule order, a chunk at a time (:func:`load_in_chunks`; the store keeps each triple
    once), and removed. A triple some other graph already states is not derived: a rule run row by row
    does not write it (:class:`Asserted`); after a rule the engine ran whole, such triples are deleted.

    With ``store_path`` (the on-disk store ``store`` has open), each rule runs in a child process
    of its own (:mod:`.rulestep`, ``jobs`` at a time) that opens the store read-only and exits
    when its file is written, so what a rule's evaluation leaves allocated goes with its process
    and memory does not build up across the rules; a child that fails raises :class:`RuleFailed`
    naming the rule. Without it (an in-memory store) the rules run here, one after the other.
    Returns the number of triples the inferred graph holds afterwards. A rule that is not
    valid SPARQL raises :class:`SyntaxError` naming the file.
    """
    return derive(store, rules_dir, scratch, store_path, jobs, step)[0]


def derive(
    store: ox.Store,
    rules_dir: Path,
    scratch: Path | None = None,
    store_path: Path | None = None,
    jobs: int = RULE_JOBS,
    step: Step = no_step,
    limit: int = 20,
) -> tuple[int, list[ox.Triple]]:
    """:func:`apply_rules`, and the derived triples without an explanation (at most ``limit``:
    :func:`unexplained`, looked up only among the triples the rules flagged as they wrote them)."""
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="sdkg-rules-") as directory:
            return derive(store, rules_dir, Path(directory), store_path, jobs, step, limit)
    inferred = ox.NamedNode(INFERRED_GRAPH)
    if inferred in set(store.named_graphs()):
        store.remove_graph(inferred)
    rules = rule_files(rules_dir)
    outputs = [scratch / f"derived-{index:03d}.nt" for index in range(len(rules))]
    suspects = [output.with_suffix(".suspects") for output in outputs]
    try:
        with step("rules: run"):
            run_all(store, rules, outputs, store_path, jobs)
        with step("rules: load"):
            for output in outputs:
                load_in_chunks(store, output, inferred)
                output.unlink()
        every_rule_checked = all(path.exists() for path in suspects)  # each run row by row, flagging
        with step("rules: drop asserted"):
            if not every_rule_checked:  # a rule the engine ran whole wrote the triples a file states too
                store.update(REMOVE_ASSERTED)
        with step("rules: unexplained"):
            if every_rule_checked:
                missing = unexplained_among(store, suspects, limit)
            else:  # a rule the engine ran whole: no flags, the whole graph is checked
                missing = unexplained(store, limit)
    finally:
        for path in outputs + suspects:
            path.unlink(missing_ok=True)
    return count(store, COUNT_INFERRED), missing


def run_all(store: ox.Store, rules: list[Path], outputs: list[Path], store_path: Path | None, jobs: int) -> None:
    """Each rule's triples written to its output file (and, if it was checked row by row, the triples
    its rows did not explain to the same name with ``.suspects``): here, or each rule in its own
    process (``store_path``)."""
    if store_path is not None:
        run_in_children(store_path, list(zip(rules, outputs, strict=True)), max(1, jobs))
        return
    for path, output in zip(rules, outputs, strict=True):
        suspects = output.with_suffix(".suspects")
        with output.open("wb") as handle, suspects.open("wb") as flagged:
            try:
                checked = run_rule(store, path.read_text(encoding="utf-8"), handle, flagged)
            except SyntaxError as error:
                raise SyntaxError(f"{path}: {error}") from None
        if not checked:
            suspects.unlink()


def run_in_children(store_path: Path, work: list[tuple[Path, Path]], jobs: int) -> None:
    """Run each rule (path, output file) in its own :mod:`.rulestep` process, ``jobs`` at a time.

    The first failure stops the others (killed and reaped) and is raised: :class:`SyntaxError`
    for a rule that is not SPARQL, :class:`RuleFailed` for anything else (an error, a signal,
    memory), with the rule's file and the child's last words.
    """
    pending = list(work)
    running: list[tuple[Path, Path, subprocess.Popen[bytes]]] = []
    environment = child_environment()  # tied to this process: killed with it
    try:
        while pending or running:
            while pending and len(running) < jobs:
                rule, output = pending.pop(0)
                errors = output.with_suffix(".err")
                with errors.open("wb") as stderr:
                    child = subprocess.Popen(
                        [sys.executable, "-m", "sdkg.build.rulestep", str(store_path), str(rule), str(output)],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=stderr,
                        env=environment,
                    )
                running.append((rule, output, child))
            rule, output, child = wait_any(running)
            running = [entry for entry in running if entry[2] is not child]
            errors = output.with_suffix(".err")
            said = errors.read_text(encoding="utf-8", errors="replace").strip()
            errors.unlink(missing_ok=True)
            if child.returncode == 0:
                continue
            if child.returncode == SYNTAX_ERROR:
                raise SyntaxError(f"{rule}: {said}")
            raise RuleFailed(
                f"rule {rule.name} failed in its own process ({exit_reason(child.returncode)}): "
                + (said.splitlines()[-1] if said else "it said nothing")
            )
    finally:
        for _rule, output, child in running:
            child.kill()
            child.wait()
            output.with_suffix(".err").unlink(missing_ok=True)


SYNTAX_ERROR = 3
"""The exit status of :mod:`.rulestep` for a rule that is not SPARQL."""


def wait_any(running: list[tuple[Path, Path, subprocess.Popen[bytes]]]) -> tuple[Path, Path, subprocess.Popen[bytes]]:
    """The first of the running children to end (reaped)."""
    while True:
        for entry in running:
            if entry[2].poll() is not None:
                return entry
        time.sleep(0.05)


def exit_reason(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name
        return f"killed by {name}" + (": out of memory?" if name in ("SIGKILL", "SIGABRT", "SIGSEGV") else "")
    return f"exit status {code}"


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


def unexplained_among(store: ox.Store, suspects: list[Path], limit: int = 20) -> list[ox.Triple]:
    """:func:`unexplained`, looked up for the flagged triples of the ``suspects`` files only (N-Triples).

    A rule run row by row flags each triple its row wrote without its explanation
    (:func:`write_rows`); any other derived triple is explained in the inferred graph by the
    explanation its row wrote. A flagged triple may still be explained by another row or rule, or
    no longer be inferred: each is looked up (a few index lookups, no join over the graph).
    """
    graph = ox.NamedNode(INFERRED_GRAPH)
    kind, explanation = ox.NamedNode(RDF_TYPE), ox.NamedNode(SDKG + "Explanation")
    on_subject, on_property = ox.NamedNode(SDKG + "explainsSubject"), ox.NamedNode(SDKG + "explainsProperty")
    on_object = ox.NamedNode(SDKG + "explainsObject")
    found: list[ox.Triple] = []
    seen: set[ox.Triple] = set()
    for path in suspects:
        for quad in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):
            s, p, o = quad.subject, quad.predicate, quad.object
            triple = ox.Triple(s, p, o)
            if triple in seen or not has(store, s, p, o, graph) or has(store, s, kind, explanation, graph):
                continue
            if any(
                has(store, q.subject, on_property, p, graph) and has(store, q.subject, on_object, o, graph)
                for q in store.quads_for_pattern(None, on_subject, s, graph)
            ):
                continue
            seen.add(triple)
            found.append(triple)
            if len(found) >= limit:
                return found
    return found


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def has(store: ox.Store, s: object, p: object, o: object, graph: ox.NamedNode) -> bool:
    return next(store.quads_for_pattern(s, p, o, graph), None) is not None  # type: ignore[arg-type]


def unexplained(store: ox.Store, limit: int = 20) -> list[ox.Triple]:
    """Derived triples of the inferred graph that no explanation explains (at most ``limit``).

    The explanation nodes' own triples are the explanations, not derived relations.
    """
    solutions = store.query(f"{UNEXPLAINED} LIMIT {int(limit)}")
    assert isinstance(solutions, ox.QuerySolutions)
    return [ox.Triple(row["s"], row["p"], row["o"]) for row in solutions]  # type: ignore[arg-type]


class UnexplainedDerivation(Exception):
    """The rules derived a triple without an ``sdkg:Explanation``: a rule is incomplete, not the data."""


def infer(
    layout: ProjectLayout,
    store: ox.Store,
    scratch: Path | None = None,
    store_path: Path | None = None,
    step: Step = no_step,
) -> int:
    """Apply the project's rules (if it has any) into the store's inferred graph; the triples derived.

    Every derived triple must come with its explanation (the rules write both), so that the
    server can always answer why it holds; raises :class:`UnexplainedDerivation` otherwise.
    ``scratch`` is where the derived triples wait before they are loaded; with ``store_path`` (where
    ``store`` is on disk) each rule runs in its own process (see :func:`apply_rules`).
    """
    if not layout.rules.is_dir():
        return 0
    derived, missing = derive(store, layout.rules, scratch, store_path, step=step)
    if missing:
        shown = "; ".join(f"{t.subject} {t.predicate} {t.object}" for t in missing[:3])
        raise UnexplainedDerivation(
            f"the rules derived {len(missing)}+ triple(s) without an sdkg:Explanation, e.g. {shown}"
        )
    return derived
