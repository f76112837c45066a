"""The authoring commands of ``sdkg``: ``anchor``, ``new-source``, ``import-annotations``, ``convert``.

:func:`add_commands` is the one integration point with :mod:`sdkg.cli`. Every command
checks everything before it writes anything: a refused command leaves the project as it was.
Exit codes follow the rest of ``sdkg``: 0 done, 1 the file has problems (anchor) or the round
trip fails (convert --check), 2 the command cannot run (no project, missing file, bad option).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyoxigraph as ox

from ..authoring import Compiled, compile_project, make_context, text_finder
from ..authoring.anchoring import SourceText
from ..authoring.errors import AuthoringError
from ..authoring.format import AUTHORING_SUFFIX
from ..authoring.yamltree import Map, Scalar, YamlError, read_tree
from ..layout import ProjectLayout
from ..namespaces import PREFIXES
from ..project import ProjectError, discover, graph_iri_for, load_files, load_project, require_project
from .annotations import ImportProblem, import_annotations, read_export, read_mapping
from .convert import ConversionProblem, convert, units_of
from .roundtrip import context_store, round_trip, source_text
from .sources import SourceProblem, plan, write
from .sssom import add_rows, mapped_subjects, table_path, unmapped_rows, write_atomically

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the authoring commands on ``sdkg``'s sub-command parser."""
    p = sub.add_parser(
        "anchor",
        help="check authoring files: anchor every quote, resolve every name; add SSSOM rows for new entities",
        description="Compile authoring files (data/*/*.sdkg.yaml) as the build does, and report every problem"
        " with its line. On success, list each file's claims and add an unmapped SSSOM row for each new actor,"
        " case, place or concept.",
    )
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="authoring files (default: all of them)")
    p.add_argument("--text", type=Path, action="append", metavar="PATH", help="read the source text from PATH")
    p.add_argument("--print", action="store_true", help="print the compiled graph (TriG) on stdout")
    p.add_argument("--out", type=Path, metavar="PATH", help="write the compiled graph to PATH (.ttl, .trig, .nq)")
    p.add_argument("--dry-run", action="store_true", help="write nothing (no SSSOM rows)")
    p.set_defaults(func=cmd_anchor)

    p = sub.add_parser(
        "new-source",
        help="start a new text: source record with the text's SHA-256, data folder, authoring file, SSSOM table",
    )
    p.add_argument("name", help="the source's short name, e.g. harbour-lights")
    p.add_argument("--title", required=True, help="the text's title")
    p.add_argument("--kind", required=True, help="ScholarlyArticle, InterviewArticle, Article, Report or Book")
    p.add_argument("--code", required=True, help="a short code for its IRIs, e.g. hl (claim:hl-..., passage:hl-...)")
    p.add_argument("--text", required=True, help="the text file: a path, or a file name in $SDKG_SOURCES")
    p.add_argument("--author", action="append", default=[], help="an author (repeatable): a known actor or a new one")
    p.add_argument("--folder", help="the data folder's name (default: the source name)")
    p.add_argument("--year", help="the year of publication")
    p.set_defaults(func=cmd_new_source)

    p = sub.add_parser(
        "import-annotations",
        help="draft claims from a Hypothesis export or W3C Web Annotations, quotes anchored exactly",
    )
    p.add_argument("export", type=Path, help="the JSON export (Hypothesis) or JSON-LD (W3C Web Annotation)")
    p.add_argument("--into", type=Path, required=True, metavar="FILE", help="the text's authoring file")
    p.add_argument("--mapping", type=Path, help="YAML mapping tags to expresses/criticises/cases/concepts/...")
    p.add_argument("--uri", help="import only the annotations of this document")
    p.add_argument("--text", type=Path, help="read the source text from this path")
    p.add_argument("--out", type=Path, help="write the drafts here (default: stdout)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("convert", help="write a data folder's Turtle as an authoring file (--check: round trip)")
    p.add_argument("folder", type=Path, help="a data folder that encodes one source, e.g. data/kaldor-interview")
    p.add_argument("--out", type=Path, help="write the authoring file here (default: stdout)")
    p.add_argument("--check", action="store_true", help="compile it back and compare the triples (exit 1 if not)")
    p.set_defaults(func=cmd_convert)


# ---------------------------------------------------------------------- anchor


def cmd_anchor(args: argparse.Namespace) -> int:
    root: Path = args.root
    try:
        require_project(ProjectLayout.at(root))
        files = discover(ProjectLayout.at(root))
    except ProjectError as error:
        log(f"cannot anchor: {error}")
        return EXIT_USAGE
    authoring = [(f.path.resolve(), f.graph) for f in files if f.kind == "authoring"]
    targets = [given_path(root, t) for t in args.files] or [path for path, _graph in authoring]
    for target in targets:
        if not target.is_file() or not target.name.endswith(AUTHORING_SUFFIX):
            log(f"cannot anchor {target}: not an authoring file (*{AUTHORING_SUFFIX})")
            return EXIT_USAGE
        if target not in dict(authoring):
            authoring.append((target, graph_iri_for(root, target)))
    if not targets:
        log(f"no authoring files under {root / 'data'}; start one with `sdkg new-source`")
        return EXIT_USAGE
    try:
        project = load_files([f for f in files if f.kind != "authoring"])
    except ProjectError as error:
        log(f"cannot anchor: {error}")
        return EXIT_USAGE
    overrides = {path.name: path.resolve() for path in args.text or []}
    graph_files = {f.graph: f.path for f in files}
    results: list[Compiled] = []
    failed = False
    for target in targets:
        try:
            together = compile_project(project.store, authoring, graph_files, overrides, only=target)
        except AuthoringError as error:
            log(str(error))
            failed = True
            continue
        results += [c for c in together if c.path == target]
    if failed:
        log("nothing was written")
        return EXIT_PROBLEMS
    known = mapped_subjects(root)
    for compiled in results:
        new = [(iri, label) for iri, label in compiled.new_entities if iri not in known]
        folder = compiled.path.parent.name
        note = ""
        if new and not args.dry_run:
            add_rows(table_path(root, folder), folder, unmapped_rows(new))
            note = f"; {len(new)} unmapped SSSOM row(s) added to {table_path(root, folder).relative_to(root)}"
        elif new:
            note = f"; {len(new)} new entities have no SSSOM row (dry run: nothing written)"
        log(f"{shown(compiled.path, root)}: {compiled.summary()}{note}")
    quads = [q for compiled in results for q in compiled.quads]
    if args.print:
        sys.stdout.buffer.write(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b"")
    if args.out and not args.dry_run:
        write_graph(args.out, quads)
    return EXIT_OK


def given_path(root: Path, path: Path) -> Path:
    """A path as given: absolute, or relative to the working directory, else to the project (``--root``)."""
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (root / path).resolve()


def write_graph(path: Path, quads: list[ox.Quad]) -> None:
    """Turtle (triples) for ``.ttl``, TriG or N-Quads (with the graphs) otherwise."""
    if path.suffix == ".ttl":
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    else:
        fmt = ox.RdfFormat.N_QUADS if path.suffix == ".nq" else ox.RdfFormat.TRIG
        data = ox.serialize(quads, format=fmt, prefixes=PREFIXES if fmt == ox.RdfFormat.TRIG else None)
    write_atomically(path, (data or b"").decode("utf-8"))


def shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------- new-source


def cmd_new_source(args: argparse.Namespace) -> int:
    try:
        planned = plan(
            args.root, args.name, args.title, args.kind, args.code, args.text, args.author, args.folder, args.year
        )
    except SourceProblem as problem:
        log(f"cannot create the source: {problem}; nothing was written")
        return EXIT_USAGE
    for path in write(planned):
        print(shown(path, args.root))
    for note in planned.notes:
        log(f"note: {note}")
    log(f"next: write the claims in {shown(planned.authoring, args.root)}, then `sdkg anchor` it")
    return EXIT_OK


# ---------------------------------------------------------------------- import-annotations


def cmd_import(args: argparse.Namespace) -> int:
    root: Path = args.root
    try:
        text, taken = import_target(root, given_path(root, args.into), args.text)
        annotations = read_export(args.export)
        mapping = read_mapping(args.mapping) if args.mapping else {}
        result = import_annotations(annotations, text, mapping, taken, args.uri)
    except ImportProblem as problem:
        log(f"cannot import: {problem}; nothing was written")
        return EXIT_USAGE
    if args.out:
        write_atomically(args.out, result.drafts)
    else:
        sys.stdout.write(result.drafts)
    log(result.report())
    return EXIT_OK


def import_target(root: Path, into: Path, text_path: Path | None) -> tuple[SourceText, set[str]]:
    """The source text an authoring file anchors in, and the claim names it already uses."""
    try:
        tree = read_tree(into.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(f"cannot read {into}: {error}") from None
    except YamlError as error:
        raise ImportProblem(f"{into}:{error.line}: {error.message}") from None
    source = tree.get("source") if isinstance(tree, Map) else None
    if not isinstance(source, Map):
        raise ImportProblem(f"{into}: not an authoring file (no `source:`)")
    claims = tree.get("claims") if isinstance(tree, Map) else None
    taken = {key.text for key, _ in claims.entries} if isinstance(claims, Map) else set()
    name = source.get("text")
    file_name = name.text if isinstance(name, Scalar) else None
    if file_name is None:
        source_name = source.get("name")
        if not isinstance(source_name, Scalar):
            raise ImportProblem(f"{into}: the source has no `name:`")
        store = load_files([f for f in discover(ProjectLayout.at(root)) if f.kind != "authoring"]).store
        found = source_text(store, "https://w3id.org/sdkg/id/source/" + source_name.text, text_finder(root))
        if found is None and text_path is None:
            raise ImportProblem(f"the text of {source_name.text!r} is not found; give --text PATH")
        if found is not None and text_path is None:
            return found, taken
    if text_path is not None:
        return SourceText.read(text_path), taken
    path = text_finder(root)(file_name or "")
    if path is None:
        raise ImportProblem(f"the text {file_name} is not in $SDKG_SOURCES or ../shared/seeds/; give --text PATH")
    return SourceText.read(path), taken


# ---------------------------------------------------------------------- convert


def cmd_convert(args: argparse.Namespace) -> int:
    root: Path = args.root
    try:
        project = load_project(ProjectLayout.at(root))
    except ProjectError as error:
        log(f"cannot convert: {error}")
        return EXIT_USAGE
    folder = given_path(root, args.folder)
    unit = next((u for u in units_of(project, root / "data") if u.folder == folder), None)
    if unit is None:
        log(f"cannot convert {args.folder}: not a data folder whose claims are ascribed in one source")
        return EXIT_USAGE
    result = None
    try:
        if args.check:
            result = round_trip(project, unit, root)
            authored = result.text
            log(result.report())
        else:
            store = context_store(project, unit)
            find = text_finder(root)
            context = make_context(store, {f.graph: f.path for f in project.files}, find)
            authored = convert(unit, context, source_text(project.store, unit.source, find))
    except ConversionProblem as problem:
        log(f"cannot convert {args.folder}:\n{problem}")
        return EXIT_PROBLEMS
    except AuthoringError as error:
        log(f"the converted file does not compile:\n{error}")
        return EXIT_PROBLEMS
    if args.out:
        write_atomically(args.out, authored)
    else:
        sys.stdout.write(authored)
    return EXIT_PROBLEMS if result is not None and not result.holds else EXIT_OK
