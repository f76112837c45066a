"""``sdkg new-source``: a new text in one command, from its file to an empty authoring file.

It writes what nobody should write by hand: the source record with the SHA-256 and length of
the normalised text (so every later build can tell that it anchors in the same version), the
data folder, the authoring file with the record and the authors, and the text's SSSOM table.
The text itself is never copied into the repository: the record names the file, and the build
finds it in ``$SDKG_SOURCES`` or ``../shared/seeds/``. Everything is checked before anything
is written; a refused command leaves the project as it was.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..authoring.compile import CODE, Context, declare_files
from ..authoring.emit import dump
from ..authoring.format import AUTHORING_SUFFIX
from ..authoring.names import SHORT_NAME, NameProblem
from ..authoring.vocabulary import local_name
from ..layout import ProjectLayout
from ..namespaces import ID, SDKG
from ..passages import normalise, sha256_of, source_directories
from ..project import ProjectError, discover, load_files, require_project
from .sssom import add_rows, table_path, unmapped_rows, write_atomically


class SourceProblem(ValueError):
    """``sdkg new-source`` cannot go ahead; the message says what to change."""


@dataclass
class NewSource:
    """What ``sdkg new-source`` will write, checked and ready."""

    name: str
    folder: str
    authoring: Path
    table: Path
    text: str
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """A short name from a label: ``Ada Quill`` -> ``ada-quill``, ``Salamé`` -> ``salame``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def plan(
    root: Path,
    name: str,
    title: str,
    kind: str,
    code: str,
    text: str,
    authors: list[str],
    folder: str | None = None,
    year: str | None = None,
) -> NewSource:
    """Check everything and prepare the files; raise :class:`SourceProblem` on the first thing wrong."""
    try:
        require_project(ProjectLayout.at(root))
    except ProjectError as error:
        raise SourceProblem(str(error)) from None
    folder = folder or name
    for value, what in ((name, "the source name"), (folder, "the folder name")):
        if not re.fullmatch(SHORT_NAME, value):
            raise SourceProblem(f"{what} {value!r} must be lowercase words joined by '-', like 'harbour-lights'")
    if not re.fullmatch(CODE, code):
        raise SourceProblem(f"the code {code!r} must be a few lowercase letters or digits, like 'hl'")
    if year is not None and not re.fullmatch(r"(1[0-9]|20)[0-9][0-9]", year):
        raise SourceProblem(f"the year {year!r} must be a year like 2019")
    data = root / "data" / folder
    authoring = data / f"{folder}{AUTHORING_SUFFIX}"
    table = table_path(root, folder)
    if data.exists() and any(data.iterdir()):
        raise SourceProblem(f"{data} already exists and is not empty: choose another --folder")
    if table.exists():
        raise SourceProblem(f"{table} already exists: choose another --folder")
    path = find_text(root, text)
    try:
        normalised = normalise(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SourceProblem(f"cannot read the text {path}: {error} (it must be UTF-8 plain text)") from None
    if not normalised:
        raise SourceProblem(f"the text {path} is empty")
    if not path.name.endswith(".txt") or "/" in path.name:
        raise SourceProblem(f"the text must be a .txt file, not {path.name}")
    context, codes = project_context(root)
    if context.names.exists(ID + "source/" + name):
        raise SourceProblem(f"a source named {name!r} already exists ({context.names.where(ID + 'source/' + name)})")
    if code in context.source_codes() or code in codes:
        raise SourceProblem(f"the code {code!r} is already used by another source: choose another --code")
    cls = context.vocabulary.class_for(kind, SDKG + "Source")
    if cls is None:
        kinds = ", ".join(local_name(c) for c in context.vocabulary.subclasses_of(SDKG + "Source"))
        raise SourceProblem(f"unknown kind {kind!r}; use one of: {kinds}")
    written_authors, declared, rows = authors_of(context, authors)
    record: dict[str, object] = {
        "name": name,
        "code": code,
        "kind": local_name(cls),
        "title": title,
    }
    if written_authors:
        record["authors"] = written_authors if len(written_authors) > 1 else written_authors[0]
    if year is not None:
        record["year"] = year
    record.update({"text": path.name, "sha256": sha256_of(normalised), "length": str(len(normalised))})
    tree: dict[str, object] = {"source": record}
    reporter_hint = ""
    if len(written_authors) == 1:
        tree["reporter"] = written_authors[0]
    else:
        reporter_hint = REPORTER_HINT
    if declared:
        tree["actors"] = declared
    body = dump(tree, header=HEADER.format(title=title, path=authoring.relative_to(root).as_posix()))
    notes = []
    if not any(path.parent.resolve() == d.resolve() for d in source_directories(root) if d.is_dir()):
        notes.append(
            f"the text is read from {path}, which is not in $SDKG_SOURCES or ../shared/seeds/: set"
            f" SDKG_SOURCES={path.parent} so that `sdkg anchor` and `sdkg build` find it"
        )
    return NewSource(name, folder, authoring, table, body + reporter_hint + TEMPLATE, rows, notes)


HEADER = """{title}
The claims of this text for SDKG; docs/adding-a-text.md explains the format.
Every claim rests on the exact words of the text: no quote, no claim.
Check it with `sdkg anchor {path}`; `sdkg build` loads it.
The record below was written by `sdkg new-source` from the text: do not edit sha256 or length."""

REPORTER_HINT = """
# reporter: who puts the claims forward. With several authors, declare a collective under
# actors: (kind: Collective, label: "A and B", definition: ...) and name it here.
"""

TEMPLATE = """
# Add the text's claims below (docs/adding-a-text.md has the fields), for example:
#
# claims:
#   short-name:
#     label: The claim in at most 90 characters
#     paraphrase: The claim in your own words.
#     quote: The exact words of the text that the claim rests on.
#     expresses: critical
#
# links:
#   short-name:
#     label: Why the premise supports the conclusion
#     premise: short-name-of-a-claim
#     supports: short-name-of-another-claim
"""


def authors_of(context: Context, authors: list[str]) -> tuple[list[str], dict[str, object], list[list[str]]]:
    """How to write each author: an actor of the graph by name, or a new person declared in the file."""
    written: list[str] = []
    declared: dict[str, object] = {}
    new: list[tuple[str, str]] = []
    for author in authors:
        try:
            context.names.resolve(author, ["actor/"])
            written.append(author)
            continue
        except NameProblem as problem:
            if "could name" in str(problem):
                raise SourceProblem(f"--author {author!r}: {problem}") from None
        short = slug(author)
        if not short:
            raise SourceProblem(f"--author {author!r} has no letters to make a short name from")
        declared[short] = {"kind": "Person", "label": author, "roles": "author"}
        new.append((ID + "actor/" + short, author))
        written.append(author)
    return written, declared, unmapped_rows(new)


def find_text(root: Path, text: str) -> Path:
    """The text as a path, or by file name in ``$SDKG_SOURCES`` and ``../shared/seeds/``."""
    given = Path(text).expanduser()
    if given.is_file():
        return given.resolve()
    for directory in source_directories(root):
        if (directory / text).is_file():
            return (directory / text).resolve()
    looked = ", ".join(str(d) for d in source_directories(root))
    raise SourceProblem(f"the text {text!r} is not a file, nor in {looked}; give its path")


def project_context(root: Path) -> tuple[Context, set[str]]:
    """The project's names (data files, and what the authoring files declare) and the codes in use."""
    from ..authoring import display, make_context

    try:
        files = discover(ProjectLayout.at(root))
        project = load_files([f for f in files if f.kind != "authoring"])
    except ProjectError as error:
        raise SourceProblem(f"cannot read the project: {error}") from None
    context = make_context(project.store, {f.graph: display(f.path, root) for f in files}, lambda _name: None)
    authoring = [(f.path, f.graph, display(f.path, root)) for f in files if f.kind == "authoring"]
    return context, set(declare_files(authoring, context).values())


def write(plan: NewSource) -> list[Path]:
    """Write the planned files (each atomically); return their paths."""
    plan.authoring.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(plan.authoring, plan.text)
    add_rows(plan.table, plan.folder, plan.rows)
    return [plan.authoring, plan.table]
