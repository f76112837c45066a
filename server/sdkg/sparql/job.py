"""The one value an engine receives (:class:`QueryJob`), the one it returns (:class:`QueryOutput`), and
what it is set up with (:class:`EngineConfig`: its :class:`Limits`, the prefixes, the base IRI).

A job is built once, where a query is asked for (the endpoint, a canned query, a page), and
then crosses threads and processes as it is: small, frozen, picklable and hashable (so it
can key a cache), with nothing of HTTP in it. What a job may ask is bounded by the engine's
:class:`Limits`, which come from the server's settings: a job can lower the time limit and
the row cap, never raise them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from .dataset import NO_DATASET, Dataset
from .guard import WIKIDATA_SERVICES, admit
from .negotiation import RESULT_FORMATS, Format

Term = ox.NamedNode | ox.Literal
JSON_RESULTS = RESULT_FORMATS[0]
MIN_TIMEOUT = 0.1
"""A job's ``timeout`` is not taken below this: on the worker engine each timeout costs a worker restart."""


@dataclass(frozen=True)
class QueryJob:
    """One query to answer, and how: the formats it may be written in, its dataset, its parameters."""

    query: str
    results_format: Format | None = None
    """How SELECT and ASK answers are written; ``None``: the client accepts none (406 for such a query)."""
    graph_format: Format | None = None
    """How CONSTRUCT and DESCRIBE answers are written; ``None`` likewise."""
    dataset: Dataset = NO_DATASET
    substitutions: tuple[tuple[str, Term], ...] = ()
    """Parameters bound as a ``VALUES`` block (:mod:`.bindings`), never pasted into the text."""
    timeout: float | None = None
    """Seconds the client allows; only lowers the engine's time limit."""
    max_rows: int | None = None
    """Rows the client wants at most; only lowers the engine's row cap."""
    whole: bool = False
    """All or nothing (a Graph Store read): no row cap, and an answer over the byte cap is an error
    (:class:`~.errors.AnswerTooLarge`), never cut."""
    gzip: bool = False
    """The client accepts a gzip-compressed answer: a large one is compressed where it is made, within the
    deadline (never in the server's event loop)."""

    def key(self) -> str:
        """A compact text that tells jobs apart (for validators: cheaper than the dataclass's ``repr``)."""
        return "\x1f".join(
            (
                self.query,
                self.results_format.media_type if self.results_format else "",
                self.graph_format.media_type if self.graph_format else "",
                repr(self.dataset) if self.dataset.default_graphs or self.dataset.named_graphs else "",
                repr(self.substitutions) if self.substitutions else "",
                f"{self.timeout}/{self.max_rows}/{self.whole}/{self.gzip}",
            )
        )

    @classmethod
    def select(
        cls, query: str, substitutions: Mapping[str, Term] | None = None, dataset: Dataset = NO_DATASET
    ) -> QueryJob:
        """A SELECT or ASK whose answer is read back as SPARQL JSON (pages, statistics, federation)."""
        return cls(query, JSON_RESULTS, dataset=dataset, substitutions=tuple((substitutions or {}).items()))


@dataclass
class QueryOutput:
    """A serialised answer: the body, its media type, and what the response must say about it."""

    body: bytes
    media_type: str
    kind: str  # "solutions", "boolean" or "graph"
    rows: int | None = None
    truncated: bool = False
    """Cut at the row cap or at the byte cap (the answer says so either way)."""
    encoding: str | None = None
    """``gzip`` when the body is compressed (a job that accepts it, a body worth it)."""
    cpu_seconds: float | None = None
    """The CPU time a worker spent reading the query and making this answer (``None`` when no worker made it):
    what tells the server that the same job is cheap enough to answer itself next time (:mod:`.inline`)."""
    from_disk: bool | None = None
    """Whether the worker read the build on disk (``False``: its copy in memory; ``None``: no worker made it):
    with :attr:`cpu_seconds`, what tells the server which of the two answers the same job faster
    (:class:`~.inline.FasterStore`)."""


@dataclass(frozen=True)
class Limits:
    """An engine's bounds, from the server's settings; :meth:`admit` fits each job within them."""

    timeout: float = 10.0
    """Hard time limit in seconds (enforced by engines that can stop a query: workers, remote)."""
    max_rows: int | None = None
    """Most solutions (or triples) in one answer; more are cut and the answer says so."""
    allowed_services: Mapping[str, float] = field(default_factory=lambda: dict(WIKIDATA_SERVICES))
    """SERVICE/LOAD endpoints that may be reached, with each one's time limit in seconds."""
    max_bytes: int | None = 50_000_000
    """Most bytes in one answer (its terms as N-Triples, about what any format writes); more rows are cut and
    the answer says so, like the row cap."""

    def admit(self, job: QueryJob, read_text: bool = True) -> Admission:
        """The job's time limit, row cap and the endpoints it reaches; raises :class:`~.errors.Refused` for a
        SERVICE or LOAD not allowed (and :class:`~.errors.Unverifiable` when the text cannot be read for them).

        A query that uses an allowed SERVICE gets that service's time limit when it is lower.
        ``read_text=False``: the text is read later, where the query runs (the worker engine reads it in the
        worker, under the deadline, so that no work that grows with the text happens in the event loop).
        """
        seconds = self.timeout if job.timeout is None else min(max(job.timeout, MIN_TIMEOUT), self.timeout)
        remote = admit(job.query, self.allowed_services) if read_text else None
        if remote is not None:
            seconds = min(seconds, remote.timeout)
        rows = None if job.whole else self.max_rows
        if job.max_rows is not None:
            rows = job.max_rows if rows is None else min(rows, job.max_rows)
        return Admission(seconds, rows, self.max_bytes, remote.endpoints if remote is not None else ())


@dataclass(frozen=True)
class Admission:
    """What :meth:`Limits.admit` grants one job."""

    seconds: float
    max_rows: int | None
    max_bytes: int | None
    endpoints: tuple[str, ...] = ()
    """The allowed SERVICE endpoints the query reaches (it runs where the network can be reached)."""
    on_disk: bool = False
    """Read the build on disk even where a copy in memory is at hand: Oxigraph answers some queries faster from
    RocksDB (:class:`~.inline.FasterStore`)."""


@dataclass(frozen=True)
class EngineConfig:
    """What every engine is set up with, once, from the server's settings (never from a request)."""

    limits: Limits = field(default_factory=Limits)
    prefixes: dict[str, str] | None = None
    """For Turtle and JSON-LD answers (default: the project's)."""
    base_iri: str | None = None
    """What relative IRIs in a query resolve against: the service's IRI."""
