"""The ``sdkg`` command line: build, validate, serve, push, query, stats, release, wikidata, and the
authoring commands (anchor, new-source, import-annotations, convert).

Every command acts on the project directory given by ``--root`` (default: the current
directory), as ``args.layout`` (:class:`~sdkg.layout.ProjectLayout`). Each command is a
``cmd_*`` function and an ``add_*`` function that declares its options; :data:`COMMANDS`
lists them, so a new command is two functions and one entry. Exit codes: 0 success, 1
validation violations or a failed build, 2 usage or input errors (bad file, bad query, no
store), 3 Wikidata unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .build import BuildFailed, build
from .builds import open_store as open_build
from .catalog import CATALOG_NAME, CannedQuery, CatalogError, load_catalog, read_query
from .catalog.parameters import ParameterError, resolve
from .checks import ENGINES, validate_project
from .layout import ProjectLayout
from .output import format_table
from .progress import Progress
from .project import ProjectError, load_project
from .push import RETRIES
from .sparql.bindings import substitute
from .sparql.engine import LocalEngine
from .sparql.syntax import explain
from .stats import coverage, coverage_markdown
from .texts.commands import add_commands as add_authoring_commands

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
"""Wikidata (or another SERVICE endpoint) could not be reached: ``sdkg query`` and the ``wikidata`` commands."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


Commands = argparse._SubParsersAction  # what each ``add_*`` function adds its parser to


def with_jemalloc(args: argparse.Namespace) -> str | None:
    """Started from the command line, start this process again with jemalloc first (returns only when it does
    not restart); called in-process (``main(argv)``), the process is the caller's and is left as it is. The
    jemalloc library in use (``None``: glibc's allocator)."""
    from .sparql import allocator

    return allocator.restart_with_it() if args.from_command_line else allocator.in_use()


def cmd_build(args: argparse.Namespace) -> int:
    malloc = with_jemalloc(args)  # the load and the queries of the build allocate a great deal
    try:
        result = build(args.layout, progress=Progress())
    except BuildFailed as failure:
        if failure.report is not None:
            print(failure.report.text())
        log(f"build failed: {failure}; the published store is unchanged")
        return EXIT_INVALID
    if result.report is not None and result.report.warnings:
        if args.verbose:
            print(result.report.text())
        for line in result.report.summary():
            log(line)
        if not args.verbose:
            log("(sdkg build --verbose lists each of them with its file, line and node)")
    log(
        f"built {result.triples} triples from {len(result.files)} files in {result.seconds:.1f} s"
        f" ({len(result.report.warnings) if result.report else 0} warning(s)); published {result.path}"
        f" (allocated with {'jemalloc' if malloc else 'glibc malloc'})"
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Exit 0 when the project conforms (warnings allowed), 1 on violations, 2 when input is unreadable."""
    try:
        report = validate_project(args.layout, load_project(args.layout), args.engine)
    except ProjectError as error:
        log(f"cannot validate: {error}")
        return EXIT_USAGE
    if args.format == "json":
        print(report.json())
    elif args.format == "turtle":
        print(report.turtle())
    else:
        print(report.text())
    return EXIT_OK if report.conforms else EXIT_INVALID


VALIDATE_EPILOG = """\
Each result gives the file and line, the node (label and IRI), the path, the
offending value, the message and the rule (a shape in shapes/, see docs/shapes.md).
Violations block `sdkg build`; warnings are reported and do not.

exit codes:
  0  the project conforms (warnings may be reported)
  1  at least one violation
  2  unreadable input: a syntax error (reported as file:line:column), a broken
     SSSOM row or shapes file, or no SDKG project at --root
"""


def published_store(layout: ProjectLayout) -> ox.Store | None:
    path = layout.current_build()
    if path is None:
        log(f"no store built yet under {layout.state}; run `sdkg build` first")
        return None
    return open_build(path)


QUERY_FILE_SUFFIXES = (".rq", ".sparql", ".ru", ".txt")


class QueryArgumentError(Exception):
    """The query argument names no file, no catalog query, or its parameters cannot be used."""


def is_file(path: Path) -> bool:
    """Whether ``path`` names a file; a text too long to be a file name is not one (no ``OSError``)."""
    try:
        return path.is_file()
    except OSError:
        return False


def query_argument(layout: ProjectLayout, argument: str) -> CannedQuery:
    """What ``sdkg query`` was given: stdin (``-``), a file, a catalog query by name, or query text.

    A file or a catalog query keeps its ``# param:`` header, so ``--param`` can bind its parameters.
    """
    if argument == "-":
        return CannedQuery("stdin", Path("-"), "", "", "", sys.stdin.read())
    words = argument.split()
    single = len(words) == 1 and "{" not in argument
    path = Path(argument)
    if single and is_file(path):
        try:
            return read_query(path)
        except CatalogError:  # a file without the catalog's header: no parameters
            return CannedQuery(path.stem, path, "", "", "", path.read_text(encoding="utf-8"))
    if single and (path.suffix in QUERY_FILE_SUFFIXES or "/" in argument or "\\" in argument):
        raise QueryArgumentError(f"no such file: {argument} (the file does not exist)")
    if single and CATALOG_NAME.fullmatch(argument):
        try:
            catalog = load_catalog(layout.queries)
        except (CatalogError, OSError) as error:
            raise QueryArgumentError(f"the query catalog in {layout.queries} cannot be read: {error}") from None
        if argument in catalog:
            return catalog[argument]
        names = ", ".join(catalog) or f"none in {layout.queries}"
        raise QueryArgumentError(f"no catalog query named {argument!r} and no such file (catalog queries: {names})")
    return CannedQuery("text", Path("-"), "", "", "", argument)


def cmd_query(args: argparse.Namespace) -> int:
    """Run a query on the published store through the engine every path uses (federation included).

    The query is text, a file, stdin or a catalog query by name; ``--param`` binds the parameters a
    file or catalog query declares (by IRI, prefixed name or exact label). Exit 2 for a malformed or
    refused query or a parameter that names nothing, 3 when a Wikidata SERVICE cannot be reached
    (the message the endpoint gives with its 502).
    """
    from .sparql.errors import MalformedQuery, QueryError, Refused, UpstreamFailed
    from .sparql.guard import WIKIDATA_SERVICES
    from .sparql.job import EngineConfig, Limits, QueryJob
    from .sparql.negotiation import GRAPH_FORMATS, RESULT_FORMATS

    try:
        query = query_argument(args.layout, args.query)
        params = [parse_param(p) for p in args.param or []]
        if params and not query.parameters:
            raise QueryArgumentError(f"--param given, but {describe_query_argument(query)} declares no parameters")
    except QueryArgumentError as error:
        log(f"cannot run the query: {error}")
        return EXIT_USAGE
    path = args.layout.current_build()
    if path is None:
        log(f"no store built yet under {args.layout.state}; run `sdkg build` first")
        return EXIT_USAGE
    allowed = {**WIKIDATA_SERVICES, **{iri: WIKIDATA_SERVICES.get(iri, 10.0) for iri in args.allow_service or []}}
    engine = LocalEngine(path / "store", EngineConfig(Limits(max_rows=None, allowed_services=allowed)))
    text = query.text
    if query.parameters:
        try:
            bound = asyncio.run(resolve(engine, query, params))
        except ParameterError as error:
            log(f"cannot run {describe_query_argument(query)}: {error}")
            return EXIT_USAGE
        text = substitute(text, bound)
    results = {f.name: f for f in RESULT_FORMATS}["csv" if args.format == "csv" else "json"]
    turtle = {f.name: f for f in GRAPH_FORMATS}["turtle"]
    try:
        output = asyncio.run(engine.run(QueryJob(text, results, turtle)))
    except MalformedQuery as error:
        log(f"malformed query ({describe_query_argument(query)}):\n{explain(text, str(error)).text()}")
        return EXIT_USAGE
    except UpstreamFailed as error:
        log(str(error))
        return EXIT_UNREACHABLE
    except Refused as error:
        log(f"refused: {error}")
        return EXIT_USAGE
    except QueryError as error:
        log(f"the query failed: {error}")
        return EXIT_USAGE
    if output.kind == "boolean":
        answer = bool(json.loads(output.body)["boolean"])
        print(json.dumps({"boolean": answer}) if args.format == "json" else str(answer).lower())
    elif output.kind == "graph" or args.format != "table":
        sys.stdout.buffer.write(output.body)
        sys.stdout.write("\n" if args.format == "json" and output.kind != "graph" else "")
    else:
        data = json.loads(output.body)
        names = data["head"]["vars"]
        rows = [[b.get(n, {}).get("value", "") for n in names] for b in data["results"]["bindings"]]
        print(format_table(names, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return EXIT_OK


def parse_param(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise QueryArgumentError(f"--param {text!r}: write --param name=value")
    return name.strip(), value


def describe_query_argument(query: CannedQuery) -> str:
    if query.name in ("text", "stdin") and str(query.path) == "-":
        return "the query text" if query.name == "text" else "the query on stdin"
    if query.title:
        return f"catalog query {query.name!r}" if query.path.parent.name == "queries" else f"{query.path}"
    return str(query.path)


def cmd_stats(args: argparse.Namespace) -> int:
    store = published_store(args.layout)
    if store is None:
        return EXIT_USAGE
    if args.format == "markdown":
        print(coverage_markdown(store))
        return EXIT_OK
    tables = coverage(store)
    if args.format == "json":
        print(
            json.dumps(
                {name: [dict(zip(h, r, strict=True)) for r in rows] for name, (h, rows) in tables.items()}, indent=2
            )
        )
        return EXIT_OK
    for name, (header, rows) in tables.items():
        print(f"## {name}\n{format_table(header, rows)}\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    malloc = with_jemalloc(args)  # before the server is imported
    log(f"queries allocate with {malloc}" if malloc else "queries allocate with glibc's malloc (libjemalloc2: faster)")

    import os

    from .project import declared_prefixes
    from .sparql.guard import WIKIDATA_SERVICES
    from .web.processes import Listen, default_processes, divided, serve
    from .web.settings import Settings, default_worker_memory_mb

    layout: ProjectLayout = args.layout
    prefixes = None
    if args.store_url and (args.data or args.admin_token):
        log("--store-url serves a remote store read-only: it cannot be combined with --data or --admin-token")
        return EXIT_USAGE
    if args.data:
        try:
            result = build(layout, data_paths=[Path(p) for p in args.data], progress=Progress(), publish=False)
        except BuildFailed as failure:
            log(f"cannot serve: {failure}")
            return EXIT_USAGE
        store_path = result.path / "store"
        prefixes = declared_prefixes([Path(p) for p in args.data])
    else:
        path = layout.current_build()
        if path is None or args.rebuild:
            if cmd_build(args) != EXIT_OK:
                return EXIT_INVALID
            path = layout.current_build()
        assert path is not None
        store_path = path / "store"
    allowed = dict(WIKIDATA_SERVICES)
    for entry in args.allow_service or []:
        endpoint, _, seconds = entry.partition("=")
        allowed[endpoint] = float(seconds) if seconds else args.timeout
    if args.no_default_services:
        allowed = {k: v for k, v in allowed.items() if k not in WIKIDATA_SERVICES or k in (args.allow_service or [])}
    settings = Settings(
        store_path=store_path,
        root=None if args.data else layout.root,
        timeout=args.timeout,
        max_rows=args.max_rows or None,
        admin_token=args.admin_token or os.environ.get("SDKG_ADMIN_TOKEN") or None,
        allowed_services=allowed,
        max_request_bytes=args.max_request_bytes,
        workers=args.workers,
        prefixes=prefixes,
        store_url=args.store_url,
        public_url=public_url(args),
        max_answer_bytes=args.max_answer_bytes or None,
        result_cache_mb=args.result_cache,
        in_memory_max_quads=args.in_memory_max_quads,
        grace_seconds=args.grace,
        write_timeout=args.write_timeout,
        worker_memory_mb=args.worker_memory
        if args.worker_memory is not None
        else default_worker_memory_mb(args.workers),
    )
    processes = args.processes if args.processes is not None else default_processes(writes=bool(settings.admin_token))
    if processes < 1 or (processes > 1 and settings.admin_token):
        log("--processes: at least 1, and 1 with an admin token (an admin change is made by one process at a time)")
        return EXIT_USAGE
    if not 1 <= args.frozen_after < float("inf"):
        log("--frozen-after: a number of seconds, at least 1")
        return EXIT_USAGE
    if processes > 1:
        settings = divided(settings, processes)
    mode = "read-write (admin token set)" if settings.admin_token else "read-only"
    served = args.store_url or store_path
    each = f", {processes} processes" if processes > 1 else ""
    log(f"serving {served} on http://{args.host}:{args.port}/ (SPARQL endpoint /sparql, {mode}{each})")
    return serve(settings, Listen(args.host, args.port, args.grace, args.frozen_after))


def public_url(args: argparse.Namespace) -> str:
    """Where clients reach the server: ``--public-url``, else the address it listens on."""
    if args.public_url:
        return args.public_url.rstrip("/") + "/"
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    return f"http://{host}:{args.port}/"


def cmd_release(args: argparse.Namespace) -> int:
    from .release import write_release
    from .wikidata import write_exports

    try:
        written = write_release(args.root, args.out)
        written += write_exports(args.layout, args.out)
    except ProjectError as error:
        log(f"cannot release: {error}")
        return EXIT_USAGE
    for path in written:
        print(path)
    return EXIT_OK


def cmd_wikidata(args: argparse.Namespace) -> int:
    """Check the mapped QIDs against Wikidata, propose candidates for unmapped entities, or export the
    Mix'n'match catalogue and the QuickStatements batch (offline)."""
    from . import wikidata as wd
    from .namespaces import WIKIDATA_MAIN
    from .sparql.federation import configured_endpoints

    if args.action == "export":
        try:
            written = wd.write_exports(args.layout, args.out)
        except (ProjectError, OSError) as error:
            log(f"cannot export: {error}")
            return EXIT_USAGE
        for path in written:
            print(path)
        return EXIT_OK
    try:
        endpoint = args.endpoint or configured_endpoints()[WIKIDATA_MAIN]
        rows = wd.read_mappings(args.layout)
        if args.action == "check":
            checks = wd.check_mappings(rows, endpoint, args.timeout, args.include_suggestions)
        else:
            suggestions = wd.suggest_mappings(rows, endpoint, args.per_entity, args.timeout)
    except wd.WikidataUnavailable as error:
        state = "offline" if error.offline else "unavailable"
        log(f"{state}: cannot consult {error.endpoint} ({error.reason}); nothing was checked or written")
        return wd.EXIT_OFFLINE
    except (ProjectError, ValueError, OSError) as error:
        log(f"cannot read the mappings: {error}")
        return EXIT_USAGE
    if args.action == "check":
        print(wd.format_checks(checks, args.format))
        problems = sum(1 for c in checks if c.status != "ok")
        log(f"checked {len(checks)} mapping(s) against {endpoint}: {problems} problem(s)")
        return EXIT_INVALID if problems else EXIT_OK
    for s in suggestions:
        print(f"{s.row.subject_id}\t{s.row.subject_label}\twikidata:{s.qid}\t{s.label}\t{s.description}")
    if not args.dry_run:
        for table, count in wd.write_suggestions(suggestions, endpoint).items():
            log(f"{table}: appended {count} unreviewed suggestion(s)")
    log(f"{len(suggestions)} candidate(s) from {endpoint}{' (dry run: nothing written)' if args.dry_run else ''}")
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from .push import PushFailed, credentials, push, summary

    try:
        auth = credentials(args.to, args.user)
        result = push(args.layout, args.to, progress=log, timeout=args.timeout, auth=auth, retries=args.retries)
    except PushFailed as failure:
        log(f"push failed: {failure}")
        return EXIT_USAGE
    print(summary(result))
    return EXIT_OK


def add_build(commands: Commands) -> None:
    p = commands.add_parser("build", help="parse, validate and load the project into a new store, then publish it")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every warning (without it: one line per rule, with counts)"
    )
    p.set_defaults(func=cmd_build)


def add_validate(commands: Commands) -> None:
    p = commands.add_parser(
        "validate",
        help="check the data against the SHACL shapes and the source texts (exit 1 on violations)",
        description="Check the data and mappings against the SHACL shapes and the quotes against the source texts.",
        epilog=VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--format", choices=["text", "json", "turtle"], default="text", help="report format (turtle: the SHACL report)"
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="compiled",
        help="compiled: each constraint as one SPARQL query on pyoxigraph, as `sdkg build` runs it (default);"
        " pyshacl: the reference engine, node by node (slow on large data)",
    )
    p.set_defaults(func=cmd_validate)


def add_serve(commands: Commands) -> None:
    p = commands.add_parser("serve", help="serve the SPARQL endpoint, web UI and linked-data pages")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--rebuild", action="store_true", help="build before serving even if a store exists")
    p.add_argument("--data", nargs="+", metavar="PATH", help="serve exactly these RDF files instead of the project")
    p.add_argument(
        "--store-url",
        metavar="URL",
        help="query this SPARQL 1.1 endpoint (Oxigraph, Fuseki, Virtuoso, QLever, GraphDB...) instead of the "
        "local store; load it first with `sdkg push --to`",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="hard query time limit in seconds (default: 10)")
    p.add_argument("--max-rows", type=int, default=10_000, help="most rows per answer, 0 for no cap (default: 10000)")
    p.add_argument("--admin-token", help="allow updates with this bearer token (or set SDKG_ADMIN_TOKEN)")
    p.add_argument(
        "--allow-service",
        action="append",
        metavar="IRI[=SECONDS]",
        help="also allow SERVICE/LOAD to this endpoint (repeatable; Wikidata's are allowed by default)",
    )
    p.add_argument("--no-default-services", action="store_true", help="do not allow Wikidata's endpoints by default")
    p.add_argument("--max-request-bytes", type=int, default=1_000_000, help="request size limit (default: 1 MB)")
    p.add_argument(
        "--max-answer-bytes", type=int, default=50_000_000, help="most bytes per answer, 0 for no cap (default: 50 MB)"
    )
    p.add_argument(
        "--processes",
        type=int,
        help="processes serving HTTP on the port, the workers divided between them (default: one per core, at most "
        "four; 1 with an admin token)",
    )
    p.add_argument("--workers", type=int, help="query worker processes in all (default: two per core and six more)")
    p.add_argument(
        "--frozen-after",
        type=float,
        default=30.0,
        help="with several processes: one whose event loop has not turned for this many seconds is replaced "
        "(default: 30)",
    )
    p.add_argument(
        "--worker-memory",
        type=int,
        metavar="MB",
        help="memory a query worker may add for a query, 0 for no cap (default: half the RAM shared by the workers, "
        "256 MB-4 GB each)",
    )
    p.add_argument(
        "--in-memory-max-quads",
        type=int,
        default=500_000,
        metavar="N",
        help="query workers answer from their own copy of the store in memory when it holds at most N quads and the "
        "copies fit in a quarter of the RAM, 0 to always read from disk (default: 500000)",
    )
    p.add_argument(
        "--result-cache", type=int, default=64, metavar="MB", help="answers kept for repeated queries (default: 64)"
    )
    p.add_argument("--grace", type=float, default=15.0, help="seconds in-flight requests get on SIGTERM (default: 15)")
    p.add_argument("--write-timeout", type=float, default=120.0, help="seconds an admin change may take (default: 120)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL clients use to reach the server (default: http://HOST:PORT/); never taken from Host headers",
    )
    p.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)


def add_push(commands: Commands) -> None:
    p = commands.add_parser(
        "push", help="copy the published (validated) build to a SPARQL store, one graph per PUT (GSP)"
    )
    p.add_argument(
        "--to", required=True, metavar="URL", help="Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store"
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="seconds the store may take to answer one request (default: 300)"
    )
    p.add_argument(
        "--retries",
        type=int,
        default=RETRIES,
        help=f"times a request the store left unanswered is sent again, on a new connection (default: {RETRIES})",
    )
    p.add_argument(
        "--user",
        help="log in as this user (Digest or Basic, as the store asks); the password comes from SDKG_PUSH_PASSWORD "
        "or the netrc entry for the store's host ($NETRC or ~/.netrc), which also works without --user",
    )
    p.set_defaults(func=cmd_push)


def add_query(commands: Commands) -> None:
    p = commands.add_parser(
        "query",
        help="run a SPARQL query (text, a file, a catalog query by name, or - for stdin) against the local store"
        " (exit 3: Wikidata unreachable)",
        epilog="examples:\n  sdkg query case-claims --param case=case:rwandan-genocide\n"
        "  sdkg query case-claims --param 'case=Rwandan genocide' --format csv\n"
        "  sdkg query queries/statistics.rq\n"
        "An entity parameter takes an IRI, a prefixed name (case:rwandan-genocide) or an exact label;\n"
        "a value that names nothing is refused (exit 2) with the names that come close.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", help="query text, a .rq file, a catalog query name (queries/NAME.rq), or - for stdin")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="bind a parameter the query declares (# param: lines), repeatable",
    )
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument(
        "--allow-service",
        action="append",
        metavar="IRI",
        help="also allow SERVICE to this endpoint (repeatable; Wikidata's are allowed, as on the server)",
    )
    p.set_defaults(func=cmd_query)


def add_stats(commands: Commands) -> None:
    p = commands.add_parser("stats", help="counts per class and per source, and Wikidata link coverage per kind")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text", help="markdown: the README table")
    p.set_defaults(func=cmd_stats)


def add_release(commands: Commands) -> None:
    p = commands.add_parser(
        "release",
        help="write the release files (ontology in Turtle, RDF/XML, JSON-LD, merged, docs; the Wikidata exports)",
    )
    p.add_argument("--out", type=Path, default=Path("release"), help="output directory (default: release/)")
    p.set_defaults(func=cmd_release)


def add_wikidata(commands: Commands) -> None:
    p = commands.add_parser(
        "wikidata",
        help="check mapped QIDs against Wikidata, suggest QIDs for unmapped entities (exit 3: Wikidata unreachable), "
        "or export a Mix'n'match catalogue and a QuickStatements batch",
    )
    p.add_argument("action", choices=["check", "suggest", "export"])
    p.add_argument("--endpoint", help="SPARQL endpoint (default: $SDKG_WIKIDATA_ENDPOINT or query.wikidata.org)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default: 30)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="check: report format")
    p.add_argument("--include-suggestions", action="store_true", help="check: also check unreviewed suggestions")
    p.add_argument("--per-entity", type=int, default=3, help="suggest: candidates per entity (default: 3)")
    p.add_argument("--dry-run", action="store_true", help="suggest: print candidates, write nothing")
    p.add_argument(
        "--out", type=Path, default=Path("release"), help="export: output directory (default: release/, as release)"
    )
    p.set_defaults(func=cmd_wikidata)


COMMANDS: list[Callable[[Commands], None]] = [
    add_build,
    add_validate,
    add_serve,
    add_push,
    add_query,
    add_stats,
    add_release,
    add_wikidata,
    add_authoring_commands,  # anchor, new-source, import-annotations, convert (sdkg.texts)
]
"""The commands, in the order ``--help`` lists them."""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sdkg",
        description="Build, check, query and serve the Security Discourse Knowledge Graph.",
        epilog="Exit codes: 0 success, 1 validation violations or a failed build, 2 unreadable input, "
        "3 Wikidata unreachable (wikidata commands).",
    )
    top.add_argument("--version", action="version", version=f"sdkg {__version__}")
    top.add_argument("--root", type=Path, default=Path("."), help="project directory (default: current directory)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    for command in commands.choices.values():  # `sdkg validate --root DIR` as well as `sdkg --root DIR validate`
        command.add_argument(
            "--root", type=Path, default=argparse.SUPPRESS, help="project directory (default: current directory)"
        )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.from_command_line = argv is None
    args.root = args.root.resolve()
    args.layout = ProjectLayout.at(args.root)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
