"""The build pipeline: files → parse → validate → store → publish.

A build is all or nothing: any parse error or SHACL violation stops it before
the published store is touched, and the error names the file and the node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import store as stores
from .catalog_rdf import CATALOG_GRAPH, catalog_quads
from .namespaces import INFERRED_GRAPH
from .progress import SILENT, Progress
from .project import ParsedProject, ProjectError, ProjectFile, discover, files_for_paths, parse_files, require_project
from .quotes import check_quotes
from .validate import ValidationReport, validate_project

BUILD_INFO = "sdkg-build.json"


class BuildFailed(Exception):
    """The build stopped; ``report`` holds the validation results when validation failed."""

    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    path: Path
    triples: int
    inferred: int
    files: list[ProjectFile]
    report: ValidationReport | None
    seconds: float
    info: dict[str, object] = field(default_factory=dict)


def validate(root: Path, parsed: ParsedProject) -> ValidationReport:
    """SHACL shapes plus the quote check against the source texts."""
    report = validate_project(parsed, root / "shapes")
    report.results.extend(check_quotes(root, parsed))
    report.results.sort(key=lambda r: (r.severity != "Violation", r.file or "", r.line or 0, r.focus_node))
    return report


def infer(root: Path, store: ox.Store) -> int:
    """Apply the documented CONSTRUCT rules into the inferred graph."""
    rules_dir = root / "ontology" / "rules"
    if not rules_dir.is_dir():
        return 0
    from .rules import apply_rules

    return apply_rules(store, rules_dir)


def build(
    root: Path,
    data_paths: Sequence[Path] | None = None,
    progress: Progress = SILENT,
    publish: bool = True,
) -> BuildResult:
    """Build the store from the project (or only ``data_paths``, unvalidated and with nothing added)."""
    started = time.monotonic()
    parsed = parse(root, data_paths, progress)
    report = None
    if not data_paths:
        progress.step("validating with the SHACL shapes and the source texts")
        report = validate(root, parsed)
        progress.step(f"validated: {len(report.violations)} violation(s), {len(report.warnings)} warning(s)")
        if not report.conforms:
            raise BuildFailed(f"validation failed with {len(report.violations)} violation(s)", report)
    build_dir = stores.new_build_dir(root)
    try:
        store = stores.write_store(build_dir / "store", parsed.quads, progress)
        inferred = 0 if data_paths else infer(root, store)
        catalog = [] if data_paths else catalog_quads(root)
        store.bulk_extend(catalog)
        store.flush()
        triples = len(store)
        del store
    except Exception:
        stores.discard(build_dir)
        raise
    info: dict[str, object] = {
        "version": build_dir.name,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "triples": triples,
        "inferred": inferred,
        "validated": report is not None,
        "files": [str(f.path) for f in parsed.files],
        "graphs": [f.graph for f in parsed.files]
        + ([INFERRED_GRAPH] if inferred else [])
        + ([CATALOG_GRAPH] if catalog else []),
    }
    (build_dir / BUILD_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
    progress.step(f"loaded {triples:,} triples ({inferred:,} inferred) into {build_dir}")
    if publish:
        stores.publish(root, build_dir)
    return BuildResult(build_dir, triples, inferred, parsed.files, report, time.monotonic() - started, info)


def parse(root: Path, data_paths: Sequence[Path] | None, progress: Progress) -> ParsedProject:
    """Parse the project's files (or the given ones), reporting each file."""
    try:
        if data_paths:
            files = files_for_paths(root, data_paths)
        else:
            require_project(root)
            files = discover(root)
        parsed = parse_files(files, on_file=lambda done, _f: progress.count("parsing files", done, len(files)))
    except ProjectError as error:
        raise BuildFailed(f"parse error: {error}") from None
    progress.step(f"parsed {len(parsed.files)} files, {len(parsed.quads):,} triples")
    return parsed


def read_build_info(build_dir: Path) -> dict[str, object]:
    try:
        return dict(json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}
