"""Per-query latency of the query catalog on a big store, straight on pyoxigraph (no server).

Two steps, so that one store serves many timing runs::

    python -m bench.synthetic /tmp/cat100k --claims 100000
    python -m bench.catalog_scale load /tmp/cat100k /tmp/cat100k-store      # bulk load + rules + catalog + summaries
    python -m bench.catalog_scale time /tmp/cat100k-store --out result.json  # every catalog query, p50 / p95

The store is loaded the way ``sdkg build`` loads it (one named graph per file, several files at
once, the rules into the inferred graph, the catalog graph, the summaries graph), but with no validation:
``bench.buildrun`` measures the build itself. Queries run in a worker process on
``Store.read_only`` with ``use_default_graph_as_union=True``, parameters bound to synthetic entities
as ``python -m bench`` binds them: a ``VALUES`` block, as ``/queries/{name}`` does (``--bind
substitutions`` uses pyoxigraph's substitutions instead, which the optimiser plans as if unbound).
A query over its time limit is killed (pyoxigraph cannot cancel) and reported as such. Results are
serialised to JSON as the server does; the server adds only a few ms per query on top.

A query with a search parameter (``passage-search``) is answered as ``/queries/{name}`` answers it: the
words searched in the build's index (``search.sqlite`` beside the store, or ``--index``) with the
server's own code (:func:`sdkg.search.values.bind_search`, the server's time limit and row cap), the
matches bound as a ``VALUES`` block, then the query; the time reported is the search and the query
together. Without an index the raw query runs (its fallback scans every passage), and the log says so.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from sdkg.build.rules import infer
from sdkg.build.summaries import summarise
from sdkg.catalog import read_catalog, read_query
from sdkg.catalog.rdf import catalog_quads
from sdkg.layout import ProjectLayout
from sdkg.project import discover, load_files
from sdkg.search.index import Budget, SearchIndex
from sdkg.search.schema import INDEX_FILE
from sdkg.search.values import bind_search
from sdkg.sparql.bindings import substitute
from sdkg.sparql.tokens import operation
from sdkg.web.paging import Page, pageable
from sdkg.web.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC_DEFAULTS = {  # the same synthetic entities as python -m bench binds
    "https://w3id.org/sdkg/id/actor/": "https://w3id.org/sdkg/id/actor/a1",
    "https://w3id.org/sdkg/id/case/": "https://w3id.org/sdkg/id/case/k1",
    "https://w3id.org/sdkg/id/claim/": "https://w3id.org/sdkg/id/claim/x3",
    "https://w3id.org/sdkg/id/concept/": "https://w3id.org/sdkg/id/concept/c1",
    "https://w3id.org/sdkg/id/source/": "https://w3id.org/sdkg/id/source/s0",
}
Term = ox.NamedNode | ox.Literal
Search = tuple[str, str, str, int | None]
"""A search parameter as the server runs it: the words, the kind of document searched, the variable bound, and
how many of the answer's first rows a page needs (``None``: the whole answer)."""
SERVED = Settings(store_path=Path("."))
"""The server's defaults: the time limit and row cap a search runs under."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ load


def load(project: Path, location: Path) -> dict[str, Any]:
    """Bulk-load every RDF file of ``project`` into a new on-disk store, then the rules and the catalog graph."""
    if location.exists() and any(location.iterdir()):
        raise SystemExit(f"{location} is not empty: give a new directory")
    store = ox.Store(str(location))
    started = time.monotonic()
    files = [
        file for file in discover(ProjectLayout.at(project)) if file.kind != "mapping"
    ]  # the synthetic corpus has no SSSOM
    load_files(files, store)  # several files at once, as sdkg build and oxigraph load do
    loaded = time.monotonic()
    log(f"loaded {len(store):,} quads in {loaded - started:.1f} s")
    inferred = infer(ProjectLayout.at(project), store)
    ruled = time.monotonic()
    log(f"rules: {inferred:,} inferred triples in {ruled - loaded:.1f} s")
    store.bulk_extend(catalog_quads(read_catalog(ProjectLayout.at(REPO).queries)))
    summarised = summarise(store)  # the build's tallies, which nine catalog queries read
    counted = time.monotonic()
    log(f"summaries: {summarised:,} triples in {counted - ruled:.1f} s")
    store.flush()
    store.optimize()
    info: dict[str, Any] = {"triples": len(store), "inferred": inferred}
    info.update(load_s=loaded - started, rules_s=ruled - loaded, summaries_s=counted - ruled)
    log(f"store: {info['triples']:,} quads, optimised in {time.monotonic() - counted:.1f} s")
    return info


# ------------------------------------------------------------------ the catalog, bound


def bound_term(name: str, term: Term) -> Term:
    """A parameter's default pointed at a synthetic entity of the same kind."""
    if isinstance(term, ox.NamedNode):
        for namespace, synthetic in SYNTHETIC_DEFAULTS.items():
            if term.value.startswith(namespace):
                return ox.NamedNode(synthetic)
    elif name == "text":
        return ox.Literal("security state")
    return term


def catalog(
    queries_dir: Path, only: list[str] | None, page_size: int | None = None, page: int = 1
) -> list[tuple[str, str, dict[str, Term], Search | None]]:
    """(name, text, bindings, search) of every catalog query without SERVICE, in name order; with ``page_size``,
    each SELECT cut to its page ``page`` as ``/queries/{name}.json?page=P&size=N`` cuts it (CONSTRUCTs left
    out). A search parameter is in ``search`` (run on the index before the query) as well as in the bindings."""
    out = []
    for path in sorted(queries_dir.glob("*.rq")):
        query = read_query(path)
        if re.search(r"\bSERVICE\b", query.text, re.IGNORECASE) or (only and query.name not in only):
            continue
        text = query.text
        binds = {p.name: bound_term(p.name, p.term()) for p in query.parameters}
        rows = None
        if page_size is not None:
            if operation(text) != "SELECT" or not pageable(text):
                continue
            cut = Page(page, page_size, query.page_by)
            text, binds = cut.bind(text, binds)  # as the server pages it
            rows = cut.last
        search = next(
            ((str(binds[p.name].value), p.scope, p.hit_variable, rows) for p in query.parameters if p.kind == "search"),
            None,
        )
        out.append((query.name, text, binds, search))
    return out


# ------------------------------------------------------------------ time


def worker(location: str, conn: Connection, index_path: str | None = None) -> None:
    """Answer (text, bindings, how, search) with (rows, seconds): the search on the index if the query has
    one, the query and JSON serialisation, as the server does."""
    store = ox.Store.read_only(location)
    index = SearchIndex(Path(index_path)) if index_path else None
    while True:
        job = conn.recv()
        if job is None:
            return
        text, binds, how, search = job
        terms = {k: parse_bound(v) for k, v in binds.items()}
        started = time.perf_counter()
        if search is not None and index is not None:
            words, scope, variable, rows = search
            budget = Budget.of(SERVED.timeout, SERVED.max_rows)
            text, _ = bind_search(index, text, words, scope, variable, budget, rows=rows)
        if how == "values" and terms:
            result = store.query(substitute(text, terms), use_default_graph_as_union=True)
        else:
            substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]
            substitutions = {ox.Variable(k): v for k, v in terms.items()}
            result = store.query(text, use_default_graph_as_union=True, substitutions=substitutions)
        if isinstance(result, ox.QueryTriples):  # a CONSTRUCT (argument-map): its triples, as N-Triples
            body = result.serialize(format=ox.RdfFormat.N_TRIPLES) or b""
            seconds = time.perf_counter() - started
            conn.send((body.count(b"\n"), seconds))
            continue
        assert isinstance(result, ox.QuerySolutions)
        body = result.serialize(format=ox.QueryResultsFormat.JSON) or b"{}"
        seconds = time.perf_counter() - started
        conn.send((len(json.loads(body)["results"]["bindings"]), seconds))


class Runner:
    """A worker process on the store, replaced when a query overruns its limit."""

    def __init__(self, location: Path, how: str, index: Path | None = None):
        self.location = str(location)
        self.how = how
        self.index = str(index) if index else None
        self.process: mp.Process | None = None
        self.conn: Connection | None = None

    def start(self) -> None:
        parent, child = mp.Pipe()
        self.process = mp.Process(target=worker, args=(self.location, child, self.index), daemon=True)
        self.process.start()
        self.conn = parent

    def run(
        self, text: str, binds: dict[str, Term], limit: float, search: Search | None = None
    ) -> tuple[int, float] | None:
        if self.process is None or not self.process.is_alive():
            self.start()
        assert self.conn is not None and self.process is not None
        self.conn.send((text, {k: str(v) for k, v in binds.items()}, self.how, search))
        if not self.conn.poll(limit):
            self.process.kill()
            self.process.join()
            self.process = None
            return None
        rows, seconds = self.conn.recv()
        return int(rows), float(seconds)

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            assert self.conn is not None
            self.conn.send(None)
            self.process.join(5)


def parse_bound(value: str) -> Term:
    """A term back from its N-Triples form (sent across the pipe as text)."""
    if value.startswith("<"):
        return ox.NamedNode(value[1:-1])
    match = re.fullmatch(r'"(.*)"(?:\^\^<(.*)>)?', value, re.DOTALL)
    if not match:
        raise ValueError(value)
    lexical = match.group(1).encode().decode("unicode_escape")
    return ox.Literal(lexical, datatype=ox.NamedNode(match.group(2))) if match.group(2) else ox.Literal(lexical)


def search_index(location: Path, given: Path | None) -> Path | None:
    """The build's search index: ``given``, or the one beside the store (a build directory's layout)."""
    if given is not None:
        return given
    beside = location.parent / INDEX_FILE
    return beside if beside.is_file() else None


def time_catalog(location: Path, queries_dir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    index = search_index(location, args.index)
    runner = Runner(location, args.bind, index)
    results: list[dict[str, Any]] = []
    try:
        for name, text, binds, search in catalog(queries_dir, args.only, args.page_size, args.page):
            if search is not None:
                log(f"{name}: " + (f"searched in {index} as served" if index else "no search index: the raw query"))
            first = runner.run(text, binds, args.limit, search)
            if first is None:
                log(f"{name:32} over the {args.limit:g} s limit")
                results.append({"query": name, "rows": None, "p50_ms": None, "p95_ms": None, "runs": 0})
                continue
            rows, seconds = first
            times = [seconds] if seconds > args.seconds else []  # a slow query's warm-up is its one run
            deadline = time.monotonic() + args.seconds
            while not times or (len(times) < args.runs and time.monotonic() < deadline):
                again = runner.run(text, binds, args.limit, search)
                if again is None:
                    break
                times.append(again[1])
            times.sort()
            p50 = statistics.median(times) * 1000
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] * 1000
            log(f"{name:32} {rows:7} rows  p50 {p50:9.1f} ms  p95 {p95:9.1f} ms  ({len(times)} runs)")
            results.append({"query": name, "rows": rows, "p50_ms": p50, "p95_ms": p95, "runs": len(times)})
            if search is not None:
                results[-1]["searched"] = index is not None  # the index's matches bound, as the server does
    finally:
        runner.stop()
    return results


def summary(results: list[dict[str, Any]]) -> str:
    p50s = [r["p50_ms"] if r["p50_ms"] is not None else float("inf") for r in results]
    misses = [r["query"] for r in results if r["p50_ms"] is None or r["p50_ms"] >= 1000]
    return f"median p50 {statistics.median(p50s):.1f} ms; p50 >= 1 s: {', '.join(misses) or 'none'}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.catalog_scale", description=__doc__.split("\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    loading = steps.add_parser("load", help="bulk-load a project into a new on-disk store")
    loading.add_argument("project", type=Path)
    loading.add_argument("store", type=Path)
    timing = steps.add_parser("time", help="time every catalog query on a store")
    timing.add_argument("store", type=Path)
    timing.add_argument("--queries", type=Path, default=REPO / "queries")
    timing.add_argument("--only", nargs="*", help="query names (default: all without SERVICE)")
    timing.add_argument("--runs", type=int, default=5, help="timed runs per query after the warm-up (default 5)")
    timing.add_argument("--seconds", type=float, default=3.0, help="time spent per query at most (default 3)")
    timing.add_argument("--limit", type=float, default=60.0, help="kill a query after this long (default 60 s)")
    timing.add_argument(
        "--bind",
        choices=("values", "substitutions"),
        default="values",
        help="bind parameters as a VALUES block, as /queries/{name} does (default), or as pyoxigraph substitutions",
    )
    timing.add_argument(
        "--page-size", type=int, help="time each SELECT's first page of this many rows (/queries/{name}.json?size=N)"
    )
    timing.add_argument("--page", type=int, default=1, help="with --page-size: time this page instead of the first")
    timing.add_argument(
        "--index", type=Path, help="the build's search index (default: search.sqlite beside the store, if there)"
    )
    timing.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    if args.step == "load":
        print(json.dumps(load(args.project, args.store)))
        return
    results = time_catalog(args.store, args.queries, args)
    log(summary(results))
    if args.out:
        args.out.write_text(json.dumps({"store": str(args.store), "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
