"""Search, type-ahead and the claim explorer, timed through ``sdkg serve``, against SPARQL peers in the same run.

For each corpus (the repository's data, and a synthetic corpus of ``--claims`` claims built by the
same pipeline), one ``sdkg serve`` with its default guards (10 s time limit, 10,000-row cap, worker
engine) and its answer cache off (``--result-cache 0``: a repeated SPARQL peer would otherwise be
answered from the cache while search is not) answers, one request at a time over a keep-alive connection:

- a point lookup (``/health``) and a one-triple SPARQL ASK: the per-request floor;
- search (``/search.json``), a mix of rare and common words, a phrase, a prefix and an OR;
  its peer: the same words as a SPARQL ``CONTAINS`` scan of passage quotes (what ``passage-search``
  did before the index) through ``/sparql``;
- type-ahead (``/search/suggest``) for two- to five-letter prefixes; its peer: a SPARQL
  ``STRSTARTS`` over every label through ``/sparql``;
- the explorer (``/explore.json``-free: the HTML page ``/explore``) with three facets selected,
  counts of all nine facets and a page of 20 cards; its peer: the nine facet counts and the page's
  claims as ten SPARQL queries (what the same page would cost from the store), summed per page.

Each request is warmed up once, then run ``--runs`` times round-robin; p50 and p95 per kind.
Results: ``bench/results/<date>-search.md`` and ``.json``.

    python -m bench.search [--claims 100000] [--runs 30] [--skip-synthetic] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from sdkg.build import build
from sdkg.layout import ProjectLayout
from sdkg.passages import source_directories

from .servers import Server, spawn, tool, wait_ready
from .synthetic import generate

REPO = Path(__file__).resolve().parent.parent
PORTS = iter(range(18360, 18370))
PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sdkg: <https://w3id.org/sdkg/ontology#>
"""
ID = "https://w3id.org/sdkg/id/"
SDKG = "https://w3id.org/sdkg/ontology#"
TARGETS = {"search": 50.0, "type-ahead": 30.0, "explore (3 facets)": 200.0}


def log(message: str) -> None:
    print(f"[bench.search] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Corpus:
    """What to ask of one corpus: search words, type-ahead prefixes, three-facet selections."""

    name: str
    words: list[str]
    prefixes: list[str]
    selections: list[dict[str, str]]


REPOSITORY = Corpus(
    "repository data",
    ["libya", '"human security"', "intervention*", "kosovo OR rwanda", "security", "civil society", "genocide"],
    ["ka", "kal", "lib", "hum", "new w", "rwan", "sec"],
    [
        {"source": "source/kaldor-cosmopolitan-rejoinder", "stance": "endorses", "holder": "actor/mary-kaldor"},
        {
            "source": "source/dunne-wheeler-we-the-peoples",
            "stance": "rejects",
            "discourse": "criticises:discourse/realist",
        },
        {"stance": "reportsneutrally", "link": "source", "discourse": "expresses:discourse/pluralist"},
    ],
)


def synthetic_corpus() -> Corpus:
    return Corpus(
        "synthetic",
        ["sovereignty", '"civil conflict"', "interv*", "treaty OR alliance", "security", "refugee border", "4242"],
        ["sy", "syn", "synth", "synthetic c", "synthetic actor 12"],
        [
            {"source": "source/s3", "stance": "endorses", "discourse": "expresses:discourse/realist"},
            {"stance": "rejects", "link": "source", "discourse": "criticises:discourse/critical"},
            {"source": "source/s7", "holder": "actor/a120", "stance": "reportsneutrally"},
        ],
    )


@dataclass
class Timing:
    kind: str
    label: str
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    """The server's CPU time (its process tree, from /proc, in 10 ms ticks: only the mean over many runs is
    meaningful) per request: what the request cost, whatever else runs on the machine."""
    statuses: set[int] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.ms)
        return {
            "kind": self.kind,
            "label": self.label,
            "runs": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2) if ordered else None,
            "server_cpu_mean_ms": round(statistics.fmean(self.cpu_ms), 2) if self.cpu_ms else None,
            "statuses": sorted(self.statuses),
        }


Request = Callable[[httpx.Client], httpx.Response]


def sparql(query: str) -> Request:
    body = {"query": PREFIXES + query}
    return lambda client: client.post("/sparql", data=body, headers={"Accept": "application/sparql-results+json"})


def get(path: str, params: dict[str, str] | list[tuple[str, str]] | None = None) -> Request:
    url = path + ("?" + urlencode(params) if params else "")
    return lambda client: client.get(url, headers={"Accept": "application/json"})


def page(path: str, params: dict[str, str]) -> Request:
    url = path + "?" + urlencode(params)
    return lambda client: client.get(url, headers={"Accept": "text/html"})


def several(requests: list[Request]) -> Request:
    """Requests made one after the other, timed as one (the SPARQL peer of one explorer page)."""

    def run(client: httpx.Client) -> httpx.Response:
        answer = None
        for request in requests:
            answer = request(client)
            if answer.status_code != 200:
                return answer
        assert answer is not None
        return answer

    return run


def contains_peer(words: str) -> Request:
    """What passage-search did before the index: a scan of every quote for the words (case-insensitive)."""
    needles = [w.strip('"*').lower() for w in words.replace(" OR ", " ").split() if w.strip('"*')]
    tests = " && ".join(f'CONTAINS(LCASE(?exact), "{n}")' for n in needles) or "true"
    return sparql(
        f"""SELECT ?passage ?exact WHERE {{ ?passage a sdkg:Passage ; oa:hasSelector/oa:exact ?exact .
        FILTER({tests}) }} LIMIT 20"""
    )


def startswith_peer(prefix: str) -> Request:
    return sparql(
        f"""SELECT ?s ?label WHERE {{ ?s rdfs:label ?label .
        FILTER(STRSTARTS(LCASE(STR(?label)), "{prefix.lower()}")) }} LIMIT 8"""
    )


FACET_PATTERNS = {
    "source": "?a sdkg:inSource {v} .",
    "stance": "?a sdkg:stance {v} .",
    "holder": "?a sdkg:heldBy {v} .",
    "reporter": "?a sdkg:reportedBy {v} .",
    "case": "?c sdkg:aboutCase {v} .",
    "actor": "?c sdkg:mentionsActor {v} .",
    "concept": "?c sdkg:usesConcept {v} .",
}


def term(facet: str, key: str) -> str:
    if facet == "stance":
        return "sdkg:" + {"endorses": "Endorses", "rejects": "Rejects", "reportsneutrally": "ReportsNeutrally"}[key]
    if facet == "discourse":
        return f"<{ID}{key.split(':', 1)[1]}>"
    return f"<{ID}{key}>"


def pattern(facet: str, key: str, value: str) -> str:
    if facet == "discourse":
        relation = "expressesDiscourse" if key.startswith("expresses") else "criticisesDiscourse"
        return f"?c sdkg:{relation} {value} ."
    if facet == "link":
        editorial = "FILTER EXISTS" if key == "editorial" else "FILTER NOT EXISTS"
        if key == "none":
            return "FILTER NOT EXISTS { ?l sdkg:premise|sdkg:conclusion ?c }"
        return f"?l sdkg:premise|sdkg:conclusion ?c . {editorial} {{ ?l a sdkg:EditorialLink }}"
    return FACET_PATTERNS[facet].format(v=value)


def explorer_peer(selection: dict[str, str]) -> Request:
    """The nine facet counts and the page's 20 claims as SPARQL, for the same selection."""
    chosen = " ".join(pattern(f, k, term(f, k)) for f, k in selection.items())
    base = f"?a sdkg:ascribes ?c . {chosen}"
    counts = [
        sparql(f"SELECT ?v (COUNT(DISTINCT ?a) AS ?n) WHERE {{ {base} {pattern(f, '', '?v')} }} GROUP BY ?v")
        for f in FACET_PATTERNS
    ]
    counts.append(
        sparql(
            f"""SELECT ?v (COUNT(DISTINCT ?a) AS ?n) WHERE {{ {base}
            {{ ?c sdkg:expressesDiscourse ?v }} UNION {{ ?c sdkg:criticisesDiscourse ?v }} }} GROUP BY ?v"""
        )
    )
    counts.append(
        sparql(
            f"""SELECT ?e (COUNT(DISTINCT ?a) AS ?n) WHERE {{ {base}
            OPTIONAL {{ ?l sdkg:premise|sdkg:conclusion ?c . BIND(EXISTS {{ ?l a sdkg:EditorialLink }} AS ?e) }}
            }} GROUP BY ?e"""
        )
    )
    cards = sparql(
        f"""SELECT ?a ?c ?label ?exact WHERE {{ {base} ?c rdfs:label ?label .
        OPTIONAL {{ ?a sdkg:restsOn/oa:hasSelector/oa:exact ?exact }} }} LIMIT 20"""
    )
    return several([*counts, cards])


def plan(corpus: Corpus) -> list[tuple[str, str, Request]]:
    """(kind, label, request) for everything measured on one corpus."""
    out: list[tuple[str, str, Request]] = [
        ("point lookup", "/health", get("/health")),
        ("point lookup", "SPARQL ASK one triple", sparql("ASK { ?s a sdkg:Discourse }")),
    ]
    for words in corpus.words:
        out.append(("search", words, get("/search.json", {"q": words})))
        out.append(("search: SPARQL CONTAINS peer", words, contains_peer(words)))
    for prefix in corpus.prefixes:
        out.append(("type-ahead", prefix, get("/search/suggest", {"q": prefix})))
        out.append(("type-ahead: SPARQL STRSTARTS peer", prefix, startswith_peer(prefix)))
    for selection in corpus.selections:
        label = " & ".join(f"{f}={k}" for f, k in selection.items())
        out.append(("explore (3 facets)", label, page("/explore", selection)))
        out.append(("explore: SPARQL peer (10 queries)", label, explorer_peer(selection)))
    return out


def measure(base: str, corpus: Corpus, runs: int, budget_s: float, cpu: Callable[[], float]) -> list[Timing]:
    requests = plan(corpus)
    timings = [Timing(kind, label) for kind, label, _ in requests]
    with httpx.Client(base_url=base, timeout=60) as client:
        for (_kind, _label, request), timing in zip(requests, timings, strict=True):
            answer = request(client)  # warm-up (and the explorer's lists, read once per build)
            timing.statuses.add(answer.status_code)
        started = time.monotonic()
        for _ in range(runs):
            for (_kind, _label, request), timing in zip(requests, timings, strict=True):
                if timing.kind.endswith("peer (10 queries)") and len(timing.ms) >= max(5, runs // 3):
                    continue  # the slow peer: fewer runs are enough for its median
                c0 = cpu()
                t0 = time.perf_counter()
                answer = request(client)
                timing.ms.append((time.perf_counter() - t0) * 1000)
                timing.cpu_ms.append((cpu() - c0) * 1000)
                timing.statuses.add(answer.status_code)
            if time.monotonic() - started > budget_s:
                log(f"time budget reached after {len(timings[0].ms)} rounds")
                break
    return timings


def serve(root: Path, logs: Path) -> Server:
    port = next(PORTS)
    env = {k: v for k, v in os.environ.items() if k != "SDKG_STATE"}
    command = [tool("sdkg"), "--root", str(root), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--result-cache", "0"]  # the peers are SPARQL queries repeated: measured, not cached
    process, log_path = spawn(f"sdkg-{port}", command, logs, env)
    server = Server("sdkg", f"http://127.0.0.1:{port}/sparql", process, log=log_path)
    return wait_ready(server, f"http://127.0.0.1:{port}/health", 300)


def by_kind(timings: list[Timing]) -> dict[str, dict[str, Any]]:
    """Per kind: the median of the per-request p50s, and the p50 and p95 of all runs pooled."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in dict.fromkeys(t.kind for t in timings):
        mine = [t for t in timings if t.kind == kind]
        pooled = sorted(ms for t in mine for ms in t.ms)
        cpu = [ms for t in mine for ms in t.cpu_ms]
        kinds[kind] = {
            "requests": len(mine),
            "p50_ms": round(statistics.median(pooled), 2),
            "server_cpu_mean_ms": round(statistics.fmean(cpu), 2),
            "p95_ms": round(pooled[min(len(pooled) - 1, int(0.95 * len(pooled)))], 2),
            "worst_request_p50_ms": round(max(statistics.median(t.ms) for t in mine), 2),
            "statuses": sorted({s for t in mine for s in t.statuses}),
        }
    return kinds


def run_corpus(name: str, root: Path, corpus: Corpus, runs: int, budget_s: float, logs: Path) -> dict[str, Any]:
    server = serve(root, logs)
    try:
        base = server.url.rsplit("/sparql", 1)[0]
        log(f"{name}: serving at {base}; measuring")
        timings = measure(base, corpus, runs, budget_s, server.cpu_seconds)
        rss = server.peak_rss_mb()
    finally:
        server.stop()
    return {
        "corpus": name,
        "kinds": by_kind(timings),
        "requests": [t.summary() for t in timings],
        "server_peak_rss_mb": round(rss, 1),
    }


def built(root: Path, validated: bool = True) -> dict[str, Any]:
    """Build ``root`` with the pipeline (the index is one of its steps) and say how long and how big.

    ``validated=False`` loads the files as ``sdkg serve --data`` does: no shapes, no rules (the
    synthetic generator on main predates the shape on the stance of a link's premise)."""
    started = time.monotonic()
    layout = ProjectLayout.at(root)
    result = build(layout) if validated else build(layout, data_paths=[root / "ontology", root / "data"])
    index = result.path / "search.sqlite"
    meta: dict[str, Any] = {"build_s": round(time.monotonic() - started, 1), "triples": result.info.triples}
    meta["validated"] = validated
    meta["index_mb"] = round(index.stat().st_size / 1e6, 1)
    meta["store_mb"] = round(sum(p.stat().st_size for p in (result.path / "store").rglob("*") if p.is_file()) / 1e6, 1)
    return meta


def thousands(count: int | None) -> str:
    """A count with thousands separators, or '?' when the run did not build the corpus (``--no-build``)."""
    return f"{count:,}" if isinstance(count, int) else "?"


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# Search, type-ahead and the explorer: {report['date']}", "", report["machine"], ""]
    for corpus in report["corpora"]:
        build_meta = corpus.get("build", {})
        lines += [
            f"## {corpus['corpus']}",
            "",
            f"{thousands(build_meta.get('triples'))} triples"
            f"{'' if build_meta.get('validated', True) else ' (files only: not validated, no rules)'}; "
            f"build {build_meta.get('build_s', '?')} s; "
            f"index {build_meta.get('index_mb', '?')} MB, store {build_meta.get('store_mb', '?')} MB; "
            f"server peak RSS {corpus['server_peak_rss_mb']} MB.",
            "",
            "| kind | requests | p50 ms (all runs) | p95 ms | worst request's p50 | server CPU, mean ms | target p50 "
            "| statuses |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for kind, row in corpus["kinds"].items():
            target = TARGETS.get(kind)
            lines.append(
                f"| {kind} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | {row['worst_request_p50_ms']} | "
                f"{row['server_cpu_mean_ms']} | {'< ' + str(int(target)) if target else ''} | {row['statuses']} |"
            )
        kinds = corpus["kinds"]
        ratios = []
        for ours, peer in [
            ("search", "search: SPARQL CONTAINS peer"),
            ("type-ahead", "type-ahead: SPARQL STRSTARTS peer"),
            ("explore (3 facets)", "explore: SPARQL peer (10 queries)"),
        ]:
            if ours in kinds and peer in kinds:
                ratios.append(f"{ours}: peer ÷ ours = {kinds[peer]['p50_ms'] / kinds[ours]['p50_ms']:.1f}×")
        lines += ["", "Ratios of p50 in this run: " + "; ".join(ratios) + ".", ""]
        lines += ["| request | kind | p50 | p95 | server CPU, mean |", "| --- | --- | ---: | ---: | ---: |"]
        for row in corpus["requests"]:
            lines.append(
                f"| `{row['label']}` | {row['kind']} | {row['p50_ms']} | {row['p95_ms']} "
                f"| {row['server_cpu_mean_ms']} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000, help="synthetic corpus size (default 100,000)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget", type=float, default=240.0, help="seconds of measuring per corpus at most")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument(
        "--corpus", type=Path, help="a synthetic corpus already generated here (python -m bench.synthetic)"
    )
    parser.add_argument("--no-build", action="store_true", help="serve the corpus's published build as it is")
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench-search")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    logs = args.work / "logs"
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start",
        "corpora": [],
    }
    repo_root = args.work / "repository"
    if not repo_root.exists():
        repo_root.mkdir(parents=True)
        for name in ("ontology", "data", "shapes", "queries"):
            os.symlink(REPO / name, repo_root / name)
    os.environ.pop("SDKG_STATE", None)
    seeds = next(iter(source_directories(REPO)), None)
    if seeds is not None and "SDKG_SOURCES" not in os.environ:
        os.environ["SDKG_SOURCES"] = str(seeds)
    log("building the repository's data")
    meta: dict[str, Any] = built(repo_root)
    result = run_corpus("repository data", repo_root, REPOSITORY, args.runs, args.budget, logs)
    result["build"] = meta
    report["corpora"].append(result)
    if not args.skip_synthetic:
        corpus_root = args.corpus or args.work / f"synthetic-{args.claims}"
        if args.corpus is None:
            log(f"generating {args.claims:,} synthetic claims")
            generate(corpus_root, args.claims, progress=log)
        meta = {}
        if not args.no_build:
            os.environ["SDKG_SOURCES"] = str(corpus_root / "sources")
            log("building the synthetic corpus (files only: no shapes, no rules)")
            meta = built(corpus_root, validated=False)
        result = run_corpus(
            f"synthetic, {args.claims:,} claims", corpus_root, synthetic_corpus(), args.runs, args.budget, logs
        )
        result["build"] = meta
        report["corpora"].append(result)
    out = REPO / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-search"
    out.with_suffix(".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    log(f"wrote {out}.md and .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
