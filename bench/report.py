"""The benchmark's markdown report: ratios first, then the detail behind them."""

from __future__ import annotations

import math
import statistics
from typing import Any


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f}"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}×"


def qps(server: dict[str, Any], clients: str) -> float | None:
    run = server.get("throughput", {}).get(clients)
    return None if run is None else float(run["qps"])


def window(server: dict[str, Any], clients: str) -> float:
    return float(server.get("throughput", {}).get(clients, {}).get("seconds", 0.0))


def throughput_ratio(ours: dict[str, Any], other: dict[str, Any], clients: str) -> str:
    """Our rate over the other's; when the other answered nothing, the bound that still gives."""
    a, b = qps(ours, clients), qps(other, clients)
    if a and b == 0.0 and window(other, clients):
        # fewer than one answer in the window: its rate is below 1 / window
        return f"> {a * window(other, clients):.0f}× (it answered none in {window(other, clients):.0f} s)"
    return ratio(a, b)


def comparison(results: dict[str, Any]) -> list[str]:
    servers: dict[str, dict[str, Any]] = results["comparison"]["servers"]
    if not servers:
        return ["## Three servers, one corpus", "", "Not run (`--skip-compare`)."]
    ours = servers.get("sdkg", {})
    build = results["compare_build"]
    lines = [
        f"## Three servers, one corpus: {results['compare_claims']:,} claims, {build['triples']:,} triples",
        "",
        "Throughput is catalog queries per second (the catalog's queries in turn, each client on its own",
        "keep-alive connection). CPU is in cores (1.00 = one core busy); the load generator's own CPU is",
        "shown so that it can be seen not to be the bottleneck.",
        "",
        "| server | ready after (s) | peak RSS (MB) | median p50 (ms) | q/s @1 | q/s @8 | q/s @32 "
        "| load-gen CPU @8 | server CPU @8 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, server in servers.items():
        if "error" in server:
            lines.append(f"| {name} | failed: {server['error']} | | | | | | | |")
            continue
        p50s = [v["p50"] for v in server["latency"].values() if v["p50"] is not None]
        at8 = server["throughput"].get("8", {})
        lines.append(
            f"| {name} | {server['startup_s']:.1f} | {server['peak_rss_mb']:.0f} | "
            f"{ms(statistics.median(p50s) if p50s else None)} | "
            + " | ".join(f"{qps(server, c):.1f}" if qps(server, c) is not None else "–" for c in ("1", "8", "32"))
            + f" | {at8.get('client_cpu', 0):.2f} | {at8.get('server_cpu', 0):.2f} |"
        )
    lines += ["", "| ratio (sdkg ÷ other) | @1 | @8 | @32 | target @8 |", "|---|---|---|---|---|"]
    for other, target in (("oxigraph", 0.5), ("rdflib-endpoint", 10.0)):
        if other not in servers or "error" in servers[other] or "error" in ours:
            continue
        cells = [throughput_ratio(ours, servers[other], c) for c in ("1", "8", "32")]
        at8 = qps(ours, "8"), qps(servers[other], "8")
        if at8[0] and at8[1] == 0.0:  # a bound, not a ratio: it answered nothing in the window
            met = "met (it answered no query in the window)" if at8[0] * window(servers[other], "8") >= target else "–"
        else:
            met = "met" if at8[0] and at8[1] and at8[0] / at8[1] >= target else "missed"
        lines.append(f"| sdkg ÷ {other} | {' | '.join(cells)} | ≥ {target:g}×: {met} |")
    lines += ["", *row_check(servers), "", *latency_table(servers)]
    return lines


def row_check(servers: dict[str, dict[str, Any]]) -> list[str]:
    names = [n for n, s in servers.items() if "latency" in s]
    if not names:
        return []
    queries = list(servers[names[0]]["latency"])
    differing = []
    for query in queries:
        counts = {n: servers[n]["latency"].get(query, {}).get("rows") for n in names}
        if len(set(counts.values())) > 1:
            differing.append(
                f"- `{query}`: " + ", ".join(f"{n} {c if c is not None else 'error'}" for n, c in counts.items())
            )
    if not differing:
        return [f"Row counts: all {len(queries)} queries return the same number of rows from {', '.join(names)}."]
    return [f"Row counts differ for {len(differing)} of {len(queries)} queries:", *differing]


def latency_table(servers: dict[str, dict[str, Any]]) -> list[str]:
    names = [n for n, s in servers.items() if "latency" in s]
    if not names:
        return []
    header = "| query | rows | " + " | ".join(f"{n} p50 / p95 (ms)" for n in names) + " | sdkg ÷ oxigraph p50 |"
    lines = ["### Per-query latency (sequential, after one warm-up)", "", header, "|" + "---|" * (len(names) + 3)]
    for query in servers[names[0]]["latency"]:
        cells = []
        for n in names:
            v = servers[n]["latency"].get(query, {})
            cells.append(
                f"{ms(v.get('p50'))} / {ms(v.get('p95'))}" if v.get("p50") is not None else f"error {v.get('status')}"
            )
        ours = servers.get("sdkg", {}).get("latency", {}).get(query, {}).get("p50")
        theirs = servers.get("oxigraph", {}).get("latency", {}).get(query, {}).get("p50")
        rows = servers[names[0]]["latency"][query].get("rows")
        lines.append(f"| `{query}` | {rows} | " + " | ".join(cells) + f" | {ratio(ours, theirs)} |")
    return lines


def median_text(values: list[float]) -> str:
    """The median p50, a timed-out query counting as the slowest."""
    if not values:
        return "–"
    middle = statistics.median_low(values)
    return "timed out" if math.isinf(middle) else ms(middle)


PAGE = "first page of 100 rows through /queries"
WHOLE = "whole answer through /queries, cut at the row cap"


def served(row: dict[str, Any], part: str) -> dict[str, float | None]:
    """Each catalog query's p50 in a scale run: ``part`` is ``page`` (its first page) or ``whole``."""
    return {name: runs[part]["p50"] for name, runs in row.get("catalog", {}).items()}


def tally(p50s: dict[str, float | None]) -> tuple[int, list[str]]:
    """How many p50s are under 1 s, and the queries that are not (slower, or failed)."""
    slow = [n for n, v in p50s.items() if v is None or v >= 1.0]
    return len(p50s) - len(slow), slow


def scales(results: dict[str, Any]) -> list[str]:
    lines = [
        "## Build and catalog at scale",
        "",
        "Build phases are those `sdkg build` times itself (`bench/buildrun.py`): load (the files parsed strictly",
        "and bulk-loaded into the new build's on-disk store, what `oxigraph load` does), compact, validate (SHACL",
        "and the quote check on that store), rules, catalog, index (the search index, when the build writes one),",
        "seal (the last compaction and the count);",
        "`oxigraph load` is timed twice: loading the same quads into the same named graphs as ours (each file's",
        "triples in its own graph, given as N-Quads written before the clock starts: the same store, six indexes),",
        "and loading the Turtle files as they are into its default graph (three indexes: half the work).",
        "Load ratio = oxigraph load time ÷ our load phase (target ≥ 0.8), against each. Build ratio = oxigraph",
        "load time (default graph) ÷ our whole build, which does what `oxigraph load` does not. Peak memory: the",
        "build and its rule processes together (sampled every 0.25 s), under the `--build-memory` cap.",
        "",
        "| claims | triples | load (s) | compact (s) | validate (s) | rules (s) | catalog + index + seal (s) "
        "| oxigraph load, same graphs / default graph (s) | load ratio, same graphs / default graph | build ratio "
        "| store MB (ours / oxigraph, default graph) | peak MB (ours / oxigraph, default graph) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    measured = [row for row in results["scales"] if "skipped" not in row]
    for row in results["scales"]:
        if "skipped" in row:
            lines.append(f"| {row['claims']:,} | skipped: {row['skipped']} | | | | | | | | | | |")
            continue
        b, o = row["build"], row["oxigraph_load"]
        phase = b["phases"]
        lines.append(
            f"| {row['claims']:,} | {b['triples']:,} | {seconds(phase.get('load'))} | "
            f"{seconds(phase.get('compact'))} | {seconds(phase.get('validate'))} | {seconds(phase.get('rules'))} | "
            f"{seconds(phase.get('catalog', 0.0) + phase.get('index', 0.0) + phase.get('seal', 0.0))} | "
            f"{same_graphs_seconds(row)} / {o['seconds']:.1f} | {same_graphs_ratio(row)} / "
            f"{o['seconds'] / phase['load']:.2f} | {o['seconds'] / b['seconds']:.2f} | "
            f"{b['size_mb']:.0f} / {o['size_mb']:.0f} | "
            f"{b.get('tree_peak_mb', b['peak_mb']):.0f} / {o['peak_mb']:.0f} |"
        )
    if not measured:
        return lines
    options = " ".join(measured[0].get("served", {}).get("options", []))
    lines += [
        "",
        "### The catalog through /queries",
        "",
        f"Every catalog query without SERVICE, as `sdkg serve {options}` serves it (its defaults: the row cap,",
        "every guard; the answer cache off, so that every run is answered by the engine), its parameters given in",
        "the query string as synthetic entities: the **first page of 100 rows through /queries**",
        "(`/queries/{name}.json?size=100`, what the HTML page `/queries/{name}` shows; a CONSTRUCT, which is not",
        "paged, at `/queries/{name}.ttl`, whole) and the **whole answer through /queries, cut at the row cap**",
        "(`/queries/{name}.json`, 10,000 rows by default). p50 of sequential runs after one warm-up; a failed",
        "query or one over the time limit counts as the slowest.",
        "",
        f"| claims | triples | {PAGE}: p50 median / max (ms) | p50 < 1 s | p50 ≥ 1 s or failed "
        f"| {WHOLE}: p50 median / max (ms) | p50 < 1 s | p50 ≥ 1 s or failed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in measured:
        cells = []
        for part in ("page", "whole"):
            p50s = served(row, part)
            good = [v for v in p50s.values() if v is not None]
            every = sorted(v if v is not None else math.inf for v in p50s.values())
            under, slow = tally(p50s)
            cells.append(
                f"{median_text(every)} / {ms(max(good) if good else None)} | {under} of {len(p50s)} "
                f"({len(p50s) - len(good)} failed) | {', '.join(f'`{n}`' for n in slow) or 'none'}"
            )
        lines.append(f"| {row['claims']:,} | {row['build']['triples']:,} | {' | '.join(cells)} |")
    big = max(measured, key=lambda row: row["build"]["triples"])
    lines += [
        "",
        f"Per query at {big['build']['triples']:,} triples ({big['claims']:,} claims); rows as served "
        "(cut: the server said the answer was cut, `X-SDKG-Truncated: true`):",
        "",
        f"| query | {PAGE}: rows | p50 / p95 (ms) | {WHOLE}: rows | p50 / p95 (ms) |",
        "|---|---|---|---|---|",
    ]
    for name, runs in big.get("catalog", {}).items():
        cells = []
        for part in ("page", "whole"):
            v = runs[part]
            if v["p50"] is None:
                cells += ["–", f"failed: {v['status']} {(v.get('error') or '')[:80]}".strip()]
                continue
            cut = " (cut)" if v.get("truncated") else ""
            cells += [f"{v['rows']}{cut}", f"{ms(v['p50'])} / {ms(v['p95'])}"]
        lines.append(f"| `{name}` | {' | '.join(cells)} |")
    return lines


def verdict(value: float | None, target: float, at_least: bool) -> str:
    if value is None:
        return "not measured"
    return "met" if (value >= target if at_least else value <= target) else "missed"


def targets(results: dict[str, Any]) -> list[str]:
    """Issue 17's targets, each with what this run measured (a step that did not run says so)."""
    from .requestpath import LIGHT, summary

    lines = ["## Issue 17's targets in this run", "", "| target | measured | |", "|---|---|---|"]
    path = results.get("request_path") or {}
    light = [n for n, _ in LIGHT]
    for ours, label in (("sdkg", "cache off"), ("sdkg, cache on", "cache on")):
        if ours not in path.get("servers", {}):
            lines.append(f"| request path, {label} | not run | |")
            continue
        s = summary(path, ours, light)
        overhead = s.get("overhead_p50_s")
        lines.append(
            f"| point-lookup overhead over `oxigraph serve` ≤ 0.5 ms ({label}) | "
            f"{'–' if overhead is None else f'{overhead * 1000:.2f}'} ms | "
            f"{verdict(overhead, 0.0005, at_least=False)} |"
        )
        for other, goal in (("oxigraph", 1.0), ("rdflib-endpoint", 20.0)):
            for clients in ("1", "8"):
                g = s.get(f"{other} @{clients} all", {}).get("geomean")
                shown = "–" if g is None else f"{g:.2f}×"
                lines.append(
                    f"| throughput ÷ {other} ≥ {goal:g}×, all queries, {clients} client(s) ({label}) | {shown} | "
                    f"{verdict(g, goal, at_least=True)} |"
                )
    measured = [row for row in results.get("scales", []) if "skipped" not in row]
    if not measured:
        lines.append("| catalog p50 < 1 s at 19M triples; build peak ≤ 2 GB | no scale run | |")
        return lines
    big = max(measured, key=lambda row: row["build"]["triples"])
    b = big["build"]
    size = f"{b['triples'] / 1e6:.1f}M triples"
    scale_note = "" if b["triples"] >= 19e6 else f" (largest run: {size}, not 19M)"
    pages, wholes = served(big, "page"), served(big, "whole")
    under, slow = tally(pages)
    missing = f"; not: {', '.join(f'`{n}`' for n in slow)}" if slow else ""
    met = "met" if under == len(pages) and pages and not scale_note else "missed" if slow else "not measured"
    lines.append(
        f"| every catalog query p50 < 1 s at 19M triples{scale_note}: {PAGE} | {under} of {len(pages)} at {size}"
        f"{missing} | {met} |"
    )
    under, slow = tally(wholes)
    missing = f"; not: {', '.join(f'`{n}`' for n in slow)}" if slow else ""
    peak = b.get("tree_peak_mb", b["peak_mb"])  # runs before 2026-12-05 sampled no process tree
    peak_what = "its processes together" if "tree_peak_mb" in b else "its largest process"
    lines += [
        f"| beside it (not the target): {WHOLE} ({big.get('served', {}).get('row_cap', 10_000):,} rows), p50 < 1 s "
        f"| {under} of {len(wholes)} at {size}{missing} | |",
        f"| build peak ≤ 2 GB at 19M triples{scale_note}: {peak_what} | {peak:,.0f} MB at {size} | "
        f"{'not measured' if scale_note and peak <= 2048 else verdict(peak, 2048, at_least=False)} |",
    ]
    load = b.get("phases", {}).get("load")
    load_ratio = big["oxigraph_load"]["seconds"] / load if load else None
    shown = "–" if load_ratio is None else f"{load_ratio:.2f}×"
    ratio = load_ratio_same_graphs(big)
    if ratio is None:  # runs before 2026-12-05 timed the default graph only
        lines.append(f"| load ≥ 0.8× `oxigraph load` | {shown} at {size} | {verdict(load_ratio, 0.8, at_least=True)} |")
        return lines
    lines.append(
        f"| load ≥ 0.8× `oxigraph load`, the same quads into the same named graphs | {ratio:.2f}× at {size} "
        f"(against `oxigraph load` of the Turtle files into its default graph, half the indexes: {shown}) "
        f"| {verdict(ratio, 0.8, at_least=True)} |"
    )
    return lines


def same_graphs_seconds(row: dict[str, Any]) -> str:
    same = row.get("oxigraph_load_same_graphs")
    return "–" if same is None else f"{same['seconds']:.1f}"


def load_ratio_same_graphs(row: dict[str, Any]) -> float | None:
    """``oxigraph load`` of the same quads into the same named graphs ÷ our load phase (``None``: not timed)."""
    same, load = row.get("oxigraph_load_same_graphs"), row["build"].get("phases", {}).get("load")
    return None if same is None or not load else float(same["seconds"]) / load


def same_graphs_ratio(row: dict[str, Any]) -> str:
    ratio = load_ratio_same_graphs(row)
    return "–" if ratio is None else f"{ratio:.2f}"


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        "# SDKG benchmark results",
        "",
        f"{machine['cores']} cores; load average {machine['load_average_at_start']:.1f} at the start and "
        f"{machine['load_average_at_end']:.1f} at the end (other work on the machine shows here); "
        f"the run took {results['seconds']:.0f} s.",
        "",
        *targets(results),
        "",
        *comparison(results),
        "",
        *scales(results),
        "",
    ]
    return "\n".join(lines)
