"""Build a project phase by phase (parse, validate, load, publish) and print the timings as JSON.

Run as a child process so that its peak memory can be read with ``wait4``. Validation
runs in a forked process with a time limit: when it does not finish, the build still
loads (marked ``"validated": false``) so that the rest of the benchmark can go on.

    python -m bench.buildrun ROOT [--validate-limit SECONDS] [--rules-limit SECONDS]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from sdkg import store as stores
from sdkg.build import BUILD_INFO, parse, validate
from sdkg.progress import Progress
from sdkg.project import ParsedProject


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def validate_child(root: Path, parsed: ParsedProject, answer: multiprocessing.Queue[tuple[int, int]]) -> None:
    report = validate(root, parsed)
    answer.put((len(report.violations), len(report.warnings)))


def bounded_validate(root: Path, parsed: ParsedProject, limit: float) -> dict[str, object]:
    """Validate in a forked child; stop it at ``limit`` seconds."""
    if limit <= 0:
        return {"validate_s": None, "validated": False, "validate_note": "skipped"}
    context = multiprocessing.get_context("fork")
    answer: multiprocessing.Queue[tuple[int, int]] = context.Queue()
    started = time.monotonic()
    child = context.Process(target=validate_child, args=(root, parsed, answer))
    child.start()
    child.join(limit)
    seconds = time.monotonic() - started
    if child.is_alive():
        child.kill()
        child.join()
        log(f"validation stopped after {limit:g} s")
        return {"validate_s": None, "validated": False, "validate_note": f"did not finish in {limit:g} s"}
    if answer.empty():
        return {"validate_s": seconds, "validated": False, "validate_note": "validation crashed"}
    violations, warnings = answer.get()
    log(f"validated in {seconds:.1f} s: {violations} violation(s), {warnings} warning(s)")
    return {"validate_s": seconds, "validated": violations == 0, "violations": violations, "warnings": warnings}


def bounded_rules(root: Path, store_path: Path, limit: float) -> dict[str, object]:
    """The CONSTRUCT rules in a child process that opens the closed store; stopped at ``limit`` seconds.

    A stopped child leaves the store without the inferred graph (its one insert is atomic).
    """
    code = (
        "import sys, pyoxigraph as ox; from pathlib import Path; from sdkg.build import infer;"
        "s = ox.Store(sys.argv[2]); print(infer(Path(sys.argv[1]), s)); s.flush()"
    )
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(root), str(store_path)], capture_output=True, timeout=limit, check=True
        )
    except subprocess.TimeoutExpired:
        log(f"rules stopped after {limit:g} s: this store has no inferred graph")
        return {"infer_s": None, "infer_note": f"did not finish in {limit:g} s", "inferred": 0}
    seconds = time.monotonic() - started
    log(f"rules applied in {seconds:.1f} s")
    return {"infer_s": seconds, "inferred": int(done.stdout.split()[-1])}


def run(root: Path, validate_limit: float, rules_limit: float) -> dict[str, object]:
    out: dict[str, object] = {}
    started = time.monotonic()
    parsed = parse(root, None, Progress())
    out["parse_s"] = time.monotonic() - started
    out["files"] = len(parsed.files)
    out.update(bounded_validate(root, parsed, validate_limit))
    started = time.monotonic()
    build_dir = stores.new_build_dir(root)
    store = stores.write_store(build_dir / "store", parsed.quads, Progress())
    out["load_s"] = time.monotonic() - started
    del store
    out.update(bounded_rules(root, build_dir / "store", rules_limit))
    store = ox.Store.read_only(str(build_dir / "store"))
    out["triples"] = len(store)
    del store
    graphs = [f.graph for f in parsed.files]
    info = {"version": build_dir.name, "triples": out["triples"], "graphs": graphs, "validated": out["validated"]}
    (build_dir / BUILD_INFO).write_text(json.dumps(info), encoding="utf-8")
    stores.publish(root, build_dir)
    out["store"] = str(build_dir / "store")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.buildrun")
    parser.add_argument("root", type=Path)
    parser.add_argument("--validate-limit", type=float, default=60.0)
    parser.add_argument("--rules-limit", type=float, default=120.0)
    args = parser.parse_args()
    print(json.dumps(run(args.root.resolve(), args.validate_limit, args.rules_limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
