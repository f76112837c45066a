"""SHACL validation time on synthetic SDKG data at about 10k, 100k and 1M triples.

Routes, each run in its own process with a time limit:

- ``sdkg``: what ``sdkg build`` runs (``sdkg.validate.validate_project``, engine ``compiled``):
  every constraint compiled to SPARQL (``sdkg.shacl_compiled``), on an in-memory pyoxigraph store.
- ``sdkg-disk``: the same queries on an on-disk store (to show why the build validates in memory).
- ``pyshacl``: pyshacl alone with every shape, node by node (``sdkg validate --engine pyshacl``;
  SPARQL constraints through rdflib, with each parsed query reused).
- ``rudof-core``: pyrudof's native engine with the core shapes only (pyrudof does not run
  SHACL-SPARQL constraints); needs a Python with pyrudof (``--rudof-python``).

The corpus is ``bench.synthetic`` (valid against the shapes). Results are appended to
``bench/shacl/results.tsv``; the README quotes them.

    python bench/shacl/run.py [--sizes 10000,100000,1000000] [--limit 900] [--rudof-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("SDKG_BENCH_DIR", "/tmp/sdkg-bench-shacl"))
TRIPLES_PER_CLAIM = 29


def corpus(size: int) -> Path:
    """Generate (once) a synthetic project of about ``size`` triples."""
    sys.path.insert(0, str(REPO))
    from bench.synthetic import generate

    out = WORK / f"corpus-{size}"
    if not (out / "data").is_dir():
        generate(out, max(10, size // TRIPLES_PER_CLAIM))
    return out


def child(route: str, project: Path) -> dict[str, object]:
    """Run one route in this process; print a JSON line with the timings."""
    import tempfile

    import pyoxigraph as ox
    import rdflib

    from sdkg.project import discover, load_files
    from sdkg.validate import files_graph, load_shapes, pyshacl_report, validate_project

    started = time.perf_counter()
    files = discover(project)
    scratch = tempfile.TemporaryDirectory(dir=WORK) if route == "sdkg-disk" else None
    loaded = load_files(files, ox.Store(scratch.name) if scratch else ox.Store())
    out: dict[str, object] = {
        "route": route,
        "triples": len(loaded.store),
        "load_s": round(time.perf_counter() - started, 2),
    }
    started = time.perf_counter()
    if route in ("sdkg", "sdkg-disk"):
        report = validate_project(loaded, project / "shapes")
        out["violations"] = len(report.violations)
        out["warnings"] = len(report.warnings)
    elif route == "pyshacl":
        graph = pyshacl_report(files_graph(files), load_shapes(project / "shapes"))
        out["violations"] = len(list(graph.subjects(rdflib.SH.resultSeverity, rdflib.SH.Violation)))
    elif route == "rudof-core":
        nt = WORK / f"{project.name}.nt"
        core = WORK / "shapes-core.ttl"
        if not nt.exists():
            nt.write_bytes(
                ox.serialize(
                    [ox.Triple(q.subject, q.predicate, q.object) for q in loaded.store], format=ox.RdfFormat.N_TRIPLES
                )
                or b""
            )
        shapes = load_shapes(project / "shapes")
        for shape, constraint in list(shapes.subject_objects(rdflib.SH.sparql)):
            shapes.remove((shape, rdflib.SH.sparql, constraint))
        for shape, target in list(shapes.subject_objects(rdflib.SH.target)):
            shapes.remove((shape, rdflib.SH.target, target))
        shapes.serialize(core, format="turtle")
        out["prepare_s"] = round(time.perf_counter() - started, 2)
        return out | {"nt": str(nt), "shapes": str(core)}
    out["validate_s"] = round(time.perf_counter() - started, 2)
    return out


RUDOF = """
import json, sys, time
import pyrudof
nt, shapes = sys.argv[1], sys.argv[2]
rudof = pyrudof.Rudof(pyrudof.RudofConfig())
started = time.perf_counter()
rudof.read_data(nt, format=pyrudof.RDFFormat.NTriples)
load = time.perf_counter() - started
rudof.read_shacl(shapes)
started = time.perf_counter()
report = rudof.validate_shacl()
seconds = round(time.perf_counter() - started, 2)
violations = sum(1 for entry in report if "Violation" in str(entry.severity))
print(json.dumps({"load_s": round(load, 2), "validate_s": seconds, "violations": violations, "results": len(report)}))
"""


def run(route: str, project: Path, limit: float, rudof_python: str | None) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", route, str(project)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return {"route": route, "validate_s": f">{limit:.0f} (stopped)"}
    except subprocess.CalledProcessError as error:
        return {"route": route, "error": error.stderr.strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    if route == "rudof-core":
        if not rudof_python:
            return {"route": route, "error": "no --rudof-python"}
        try:
            done = subprocess.run(
                [rudof_python, "-c", RUDOF, str(result["nt"]), str(result["shapes"])],
                capture_output=True,
                text=True,
                timeout=limit,
                check=True,
            )
        except subprocess.TimeoutExpired:
            return {"route": route, "validate_s": f">{limit:.0f} (stopped)"}
        except subprocess.CalledProcessError as error:
            return {"route": route, "error": error.stderr.strip().splitlines()[-3:]}
        result |= json.loads(done.stdout.strip().splitlines()[-1])
        result.pop("nt"), result.pop("shapes")
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--child":
        print(json.dumps(child(args[1], Path(args[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--routes", default="sdkg,sdkg-disk,rudof-core,pyshacl")
    parser.add_argument("--limit", type=float, default=900, help="seconds per route and size")
    parser.add_argument("--rudof-python", help="a Python interpreter with pyrudof installed")
    options = parser.parse_args(args)
    WORK.mkdir(parents=True, exist_ok=True)
    results = REPO / "bench" / "shacl" / "results.tsv"
    for size in (int(s) for s in options.sizes.split(",")):
        project = corpus(size)
        for route in options.routes.split(","):
            result = run(route, project, options.limit, options.rudof_python)
            line = f"{time.strftime('%Y-%m-%d %H:%M')}\t{size}\t{json.dumps(result)}"
            print(line, flush=True)
            with results.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
