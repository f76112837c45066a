"""Find a project's files and parse them into quads, one named graph per file.

Where the files are is :class:`~sdkg.layout.ProjectLayout`'s; which files are which kind
(ontology, data, mapping) is :func:`kind_of`'s, and the graph each one fills
:func:`graph_iri_for`'s: a new kind of input file is an entry in those two and a loader.
Every parse error names the file, line and column, so an editor can go straight to it.
Authoring files (``*.sdkg.yaml``, :mod:`sdkg.authoring`) are compiled last, against the
other files, each into its own graph like any data file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .authoring.format import AUTHORING_SUFFIX
from .errors import ProjectError
from .layout import ProjectLayout
from .namespaces import EDITORIAL_DIR, EDITORIAL_GRAPH, GRAPH, NOT_LINKABLE, RDF, WIKIDATA_ENTITY

LOAD_THREADS = max(1, min(8, os.cpu_count() or 1))
"""Files loaded at once: one per core (``bulk_load`` is CPU-bound and releases the GIL)."""

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
SSSOM_SUFFIX = ".sssom.tsv"
SKOS_EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
# The mapping predicates a Wikidata row may use: exact, close (the text's referent is near the
# item but not quite it) and broad (the item is broader, e.g. the treaty an article belongs to).
WIKIDATA_LINK_PREDICATES = (
    SKOS_EXACT_MATCH,
    "http://www.w3.org/2004/02/skos/core#closeMatch",
    "http://www.w3.org/2004/02/skos/core#broadMatch",
)
NO_TERM_FOUND = "sssom:NoTermFound"
VERDICTS = ("verified", "unverified", "not linkable", "unreviewed")
"""The fixed prefixes of an SSSOM row's ``comment``, up to the first colon (data/mappings/README.md)."""


@dataclass(frozen=True)
class ProjectFile:
    """One input file and the named graph it is loaded into."""

    path: Path
    graph: str
    kind: str  # "ontology", "data", "mapping" or "authoring"


@dataclass
class LoadedProject:
    """A project's files, loaded into a store: one named graph per file, the default graph empty.

    The files are bulk-loaded (no Python object per triple), so loading costs about what
    ``oxigraph load`` costs.
    """

    files: list[ProjectFile]
    store: ox.Store = field(default_factory=ox.Store)
    authored: dict[str, Any] = field(default_factory=dict)
    """Graph IRI -> :class:`sdkg.authoring.Compiled` of each authoring file (lines for validation results)."""

    def quads_in(self, kind: str) -> list[ox.Quad]:
        graphs = [ox.NamedNode(f.graph) for f in self.files if f.kind == kind]
        return [q for graph in graphs for q in self.store.quads_for_pattern(None, None, None, graph)]


def graph_iri_for(root: Path, path: Path) -> str:
    """Name a file's graph after its place: ``data/common/sources.ttl`` → ``graph/data/common/sources``.

    The files under ``data/editorial/`` hold what neither source says (the editors' links); they
    all load into the one editorial graph, so that source and editorial statements never share a graph.
    """
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(path.name)
    name = relative.as_posix()
    if name.startswith(EDITORIAL_DIR):
        return EDITORIAL_GRAPH
    for suffix in (SSSOM_SUFFIX, AUTHORING_SUFFIX, *RDF_FORMATS):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return GRAPH + name


def is_rdf_file(path: Path) -> bool:
    return path.suffix in RDF_FORMATS and not path.name.startswith(".")


def kind_of(path: Path) -> str | None:
    """What a file under ``data/`` is: ``mapping`` (an SSSOM table), ``authoring`` (a text's authoring file),
    ``data`` (RDF), or ``None`` (not ours)."""
    if path.name.endswith(SSSOM_SUFFIX):
        return "mapping"
    if path.name.endswith(AUTHORING_SUFFIX) and path.is_file():
        return "authoring"
    if path.is_file() and is_rdf_file(path):
        return "data"
    return None


def discover(layout: ProjectLayout) -> list[ProjectFile]:
    """The ontology, data and mapping files of a project, in a stable order."""
    root = layout.root
    files = [ProjectFile(path, graph_iri_for(root, path), "ontology") for path in sorted(layout.ontology.glob("*.ttl"))]
    for path in sorted(layout.data.rglob("*")) if layout.data.is_dir() else []:
        kind = kind_of(path)
        if kind is not None:
            files.append(ProjectFile(path, graph_iri_for(root, path), kind))
    return files


def files_for_paths(root: Path, paths: Sequence[Path]) -> list[ProjectFile]:
    """Explicitly named RDF files (``sdkg serve --data``), directories expanded."""
    files: list[ProjectFile] = []
    for given in paths:
        candidates = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for path in candidates:
            if not path.exists():
                raise ProjectError(path, "no such file")
            kind = kind_of(path)
            if kind is not None:
                files.append(ProjectFile(path, graph_iri_for(root, path), kind))
            elif not given.is_dir():
                raise ProjectError(path, f"unsupported file type {path.suffix!r}; use one of {', '.join(RDF_FORMATS)}")
    return files


@contextmanager
def located_errors(path: Path) -> Iterator[None]:
    """Turn a parser's errors into a :class:`ProjectError` naming the file, line and column."""
    try:
        yield
    except SyntaxError as error:
        raise ProjectError(path, error.msg, error.lineno, error.offset) from None
    except (OSError, ValueError) as error:
        raise ProjectError(path, str(error)) from None


def load_rdf_file(file: ProjectFile, store: ox.Store, lenient: bool = False) -> None:
    """Load one RDF file into its graph; quads a dataset format names keep their own graph.

    ``bulk_load`` gives every file's blank nodes fresh names, so two files' ``_:b`` stay apart.
    ``lenient`` skips the IRI and language tag checks: only for a second copy of files
    that are being loaded strictly elsewhere.
    """
    with located_errors(file.path):
        store.bulk_load(
            path=file.path,
            format=RDF_FORMATS[file.path.suffix],
            base_iri=file.path.resolve().as_uri(),
            to_graph=ox.NamedNode(file.graph),
            lenient=lenient,
        )


def read_rdf_file(file: ProjectFile) -> Iterator[ox.Quad]:
    """A file's quads as written, without a store: oxigraph's store keeps ``"5"^^xsd:nonNegativeInteger``
    as ``xsd:integer``, so the reference SHACL engine reads the files themselves."""
    graph = ox.NamedNode(file.graph)
    with located_errors(file.path):
        for q in ox.parse(
            path=file.path,
            format=RDF_FORMATS[file.path.suffix],
            base_iri=file.path.resolve().as_uri(),
            rename_blank_nodes=True,
        ):
            yield ox.Quad(
                q.subject, q.predicate, q.object, graph if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name
            )


def read_file(file: ProjectFile) -> Iterator[ox.Quad]:
    return iter(parse_sssom_file(file)) if file.kind == "mapping" else read_rdf_file(file)


def read_sssom(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Read an SSSOM table: its ``curie_map`` and its rows (comment header skipped)."""
    curie_map: dict[str, str] = {}
    body: list[str] = []
    in_curie_map = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            text = line[1:].strip()
            if text.startswith("curie_map:"):
                in_curie_map = True
            elif in_curie_map and ":" in text and line.startswith("#  "):
                prefix, _, expansion = text.partition(":")
                curie_map[prefix.strip()] = expansion.strip()
            else:
                in_curie_map = False
        elif line.strip():
            body.append(line)
    rows = list(csv.DictReader(body, delimiter="\t"))
    return curie_map, rows


def expand_curie(curie: str, curie_map: dict[str, str], path: Path, line: int) -> str:
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in curie_map:
        raise ProjectError(path, f"unknown CURIE prefix in {curie!r}", line)
    return curie_map[prefix] + local


def parse_sssom_file(file: ProjectFile) -> list[ox.Quad]:
    """Generate ``skos:exactMatch``, ``closeMatch`` or ``broadMatch`` triples from the accepted
    Wikidata rows of an SSSOM table, and the linkability statements (:func:`linkability_quads`).

    Rows whose object is ``sssom:NoTermFound`` list unmapped entities; rows with a
    ``confidence`` below 0.5 or a ``comment`` starting with "unreviewed" are suggestions
    and produce nothing.
    """
    graph = ox.NamedNode(file.graph)
    curie_map, rows = read_sssom(file.path)
    header_lines = sum(1 for line in file.path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    quads: list[ox.Quad] = []
    for index, row in enumerate(rows):
        line = header_lines + 2 + index
        missing = [c for c in ("subject_id", "predicate_id", "object_id") if not (row.get(c) or "").strip()]
        if missing:
            raise ProjectError(file.path, f"row without {', '.join(missing)}", line)
        check_verdict(row, file.path, line)
        quads += linkability_quads(row, curie_map, graph, file.path, line)
        if row["object_id"].strip() == NO_TERM_FOUND or is_suggestion(row):
            continue
        predicate = expand_curie(row["predicate_id"].strip(), curie_map, file.path, line)
        if predicate not in WIKIDATA_LINK_PREDICATES:
            raise ProjectError(
                file.path,
                f"predicate must be skos:exactMatch, skos:closeMatch or skos:broadMatch, not {row['predicate_id']}",
                line,
            )
        subject = expand_curie(row["subject_id"].strip(), curie_map, file.path, line)
        obj = expand_curie(row["object_id"].strip(), curie_map, file.path, line)
        if not obj.startswith(WIKIDATA_ENTITY):
            raise ProjectError(file.path, f"object {obj} is not a Wikidata entity", line)
        try:
            quads.append(ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(obj), graph))
        except ValueError as error:
            raise ProjectError(file.path, str(error), line) from None
    return quads


def verdict_of(row: dict[str, str]) -> str:
    """The curator's verdict on a row: the comment's fixed prefix (:data:`VERDICTS`), or ``""`` without one."""
    comment = (row.get("comment") or "").strip().lower()
    return next((v for v in VERDICTS if comment.startswith(v + ":") or comment.startswith(v + " ")), "")


def check_verdict(row: dict[str, str], path: Path, line: int) -> None:
    """A row whose comment says there is no link (``unverified:``, ``not linkable:``) names no item."""
    verdict = verdict_of(row)
    if verdict in ("unverified", "not linkable") and row["object_id"].strip() != NO_TERM_FOUND:
        raise ProjectError(
            path,
            f"the comment says {verdict!r} but the row names {row['object_id'].strip()}: "
            f"set object_id to {NO_TERM_FOUND}, or verify the item and start the comment with 'verified:'",
            line,
        )


def linkability_quads(
    row: dict[str, str], curie_map: dict[str, str], graph: ox.NamedNode, path: Path, line: int
) -> list[ox.Quad]:
    """``<entity> rdf:type sdkg:NotLinkableToWikidata`` for a ``not linkable:`` row, nothing for any other.

    The model statement of linkability: the shapes warn about missing links and ``sdkg stats``
    counts coverage only for entities without it.
    """
    if verdict_of(row) != "not linkable":
        return []
    subject = expand_curie(row["subject_id"].strip(), curie_map, path, line)
    try:
        return [ox.Quad(ox.NamedNode(subject), ox.NamedNode(RDF + "type"), ox.NamedNode(NOT_LINKABLE), graph)]
    except ValueError as error:
        raise ProjectError(path, str(error), line) from None


def is_suggestion(row: dict[str, str]) -> bool:
    """An unreviewed candidate (``sdkg wikidata suggest``) is kept in the table but not published."""
    comment = (row.get("comment") or "").strip().lower()
    confidence = (row.get("confidence") or "").strip()
    return comment.startswith("unreviewed") or (confidence != "" and float(confidence) < 0.5)


RDF_KINDS = frozenset({"ontology", "data"})
"""Kinds of file that are RDF as written (bulk-loaded, several at once); other kinds go through :func:`load_file`."""


def load_file(file: ProjectFile, store: ox.Store, lenient: bool = False) -> None:
    """Load one file of any kind into its graph."""
    if file.kind == "mapping":
        store.bulk_extend(parse_sssom_file(file))
    else:
        load_rdf_file(file, store, lenient)


def load_files(
    files: Iterable[ProjectFile],
    store: ox.Store | None = None,
    on_file: Callable[[int, ProjectFile], None] | None = None,
    lenient: bool = False,
) -> LoadedProject:
    """Load every file into ``store`` (a new in-memory one by default), several files at once.

    ``bulk_load`` releases the GIL, so one thread per core loads a file each, as ``oxigraph
    load`` does with several files. A broken file stops the load with a :class:`ProjectError`:
    files not yet started are cancelled, and of the files that were loaded the first broken
    one in file order is reported; the store is then half-filled, so a caller that loads into
    a build directory discards it. Files of other kinds (SSSOM tables) load one by one after
    the RDF files: a ``bulk_extend`` beside a running ``bulk_load`` on the same store was seen
    to deadlock (both threads waiting, in a CI run).
    """
    files = list(files)
    project = LoadedProject(files, store if store is not None else ox.Store())
    rdf = [(index, file) for index, file in enumerate(files) if file.kind in RDF_KINDS]
    with ThreadPoolExecutor(max_workers=LOAD_THREADS, thread_name_prefix="sdkg-load") as pool:
        futures = {pool.submit(load_rdf_file, file, project.store, lenient): index for index, file in rdf}
        errors: dict[int, ProjectError] = {}
        for done, future in enumerate(as_completed(futures), start=1):
            if future.cancelled():
                continue
            try:
                future.result()
            except ProjectError as error:
                errors[futures[future]] = error
                for waiting in futures:
                    waiting.cancel()
            if on_file is not None and not errors:
                on_file(done, files[futures[future]])
    if errors:
        raise errors[min(errors)]
    others = [file for file in files if file.kind not in RDF_KINDS and file.kind != "authoring"]
    for done, file in enumerate(others, start=len(rdf) + 1):
        load_file(file, project.store)
        if on_file is not None:
            on_file(done, file)
    authoring = [file for file in files if file.kind == "authoring"]
    for done, compiled in enumerate(compile_authoring(project, authoring), start=len(rdf) + len(others) + 1):
        project.store.bulk_extend(compiled.quads)
        project.authored[compiled.graph] = compiled
        if on_file is not None:
            on_file(done, authoring[done - len(rdf) - len(others) - 1])
    return project


def compile_authoring(project: LoadedProject, files: list[ProjectFile]) -> list[Any]:
    """The authoring files, compiled against what ``project`` has loaded (:mod:`sdkg.authoring`)."""
    if not files:
        return []
    from .authoring import compile_project

    graph_files = {file.graph: file.path for file in project.files}
    return compile_project(project.store, [(file.path, file.graph) for file in files], graph_files)


def read_files(files: Sequence[ProjectFile]) -> Iterator[ox.Quad]:
    """Every file's quads as written; authoring files compiled against the others (an in-memory copy)."""
    authoring = [file for file in files if file.kind == "authoring"]
    for file in files:
        if file.kind != "authoring":
            yield from read_file(file)
    if authoring:
        context = load_files([file for file in files if file.kind != "authoring"])
        for compiled in compile_authoring(context, authoring):
            yield from compiled.quads


def require_project(layout: ProjectLayout) -> None:
    if not layout.is_project():
        raise ProjectError(layout.root, "not an SDKG project (no ontology/ or data/ directory); use --root")


def load_project(layout: ProjectLayout, store: ox.Store | None = None) -> LoadedProject:
    """Find the ontology, data and mappings of the project and load them."""
    require_project(layout)
    return load_files(discover(layout), store)


def declared_prefixes(paths: list[Path]) -> dict[str, str]:
    """The prefixes the given RDF files declare (the default for Turtle answers when serving them)."""
    prefixes: dict[str, str] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            fmt = RDF_FORMATS.get(file.suffix)
            if fmt is None:
                continue
            try:
                parser = ox.parse(path=file, format=fmt)
                for _ in parser:
                    pass
                prefixes.update(getattr(parser, "prefixes", {}) or {})
            except (SyntaxError, OSError, ValueError):
                continue
    return prefixes
