"""Which queries may be answered in the server's own process, without a worker: those whose cost is bounded by
their answer, and those a worker has already answered cheaply from the same build.

A worker process exists so that a query can be stopped at its deadline by killing it (pyoxigraph has no
timeout). Sending a point lookup there costs a socket round trip that is most of what the request
costs. One kind of query needs no such guard: a ``SELECT`` or ``ASK`` over **one triple pattern**,
whose variables are all different, with no ``FILTER``, ``OFFSET``, ``ORDER BY``, ``DISTINCT``, path,
``GRAPH``, ``SERVICE`` or dataset clause. Oxigraph evaluates it as a scan of one index range in which
every entry is an answer row (the union of the named graphs is not de-duplicated, so nothing is held
back), so reading ``n`` rows costs ``n`` index steps, whatever the store holds. :func:`eligible`
recognises such a query from its text alone, with one anchored regular expression (possessive
quantifiers, on at most :data:`MAX_TEXT` characters: no backtracking, linear time); anything it does not
recognise goes to a worker, as before.

The engine then reads at most :data:`ROWS` rows and :data:`BYTES` bytes of the answer in its own
process (:func:`~.execute.execute` with those caps): a bounded cost. An answer that would be longer is
dropped and the query goes to a worker, where the server's own caps and deadline apply.

The second kind is :class:`CheapJobs`. The build a server answers from never changes, so a job (its text, formats,
dataset and bound parameters) costs the same each time it is evaluated. A job whose answer a worker made in at
most :data:`MODERATE_CPU_SECONDS` of CPU, within the inline caps, is remembered and answered in the server's
process when it comes again: a canned query, an entity's page, a client's repeated lookup. Excluded are the texts
whose cost could change between two evaluations (they mention ``NOW``, ``RAND`` or ``UUID``: a filter on the clock
could switch a join on later) and those that reach the network. The cost stays bounded by what was measured, and
the same inline caps apply; a job is remembered per build (the memory is emptied when the server moves to another).

Where in the server's process: a job measured at most :data:`CHEAP_CPU_SECONDS` is answered in the event loop
(a thread hop would cost more than the job); a costlier one in one of :class:`QueryThreads`, beside the loop on
the other cores (pyoxigraph releases the GIL while it evaluates; writing the answer is Python's), when a turn is
free (at most :data:`THREAD_TURNS` jobs a thread, so a job waits at most a few milliseconds there): otherwise a
worker answers it, as before, and a burst of such jobs waits in the workers' queue, under the deadline.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from .dataset import NO_DATASET
from .job import JSON_RESULTS, Admission, QueryJob, QueryOutput
from .tokens import unescape

MAX_TEXT = 2_000
"""Longer queries are not read here (a point lookup is far shorter)."""
ROWS = 256
"""Rows an inline answer may have; past them the query goes to a worker."""
BYTES = 64 * 1024
"""About the bytes an inline answer may have (its terms as N-Triples); past them, a worker."""

_IRI = r"<[^<>\"{}|^`\\\x00-\x20]*+>"
_PNAME = r"(?:[A-Za-z][A-Za-z0-9_-]*+)?:[A-Za-z0-9_-]*+"
_VAR = r"[?$][A-Za-z_][A-Za-z0-9_]*+"
_LITERAL = rf"\"[^\"\\\n\r]*+\"(?:@[A-Za-z]++(?:-[A-Za-z0-9]++)*+|\^\^(?:{_IRI}|{_PNAME}))?+"
_NODE = rf"(?:{_VAR}|{_IRI}|{_PNAME})"
_PATTERN = re.compile(
    rf"""
    \s*+(?:PREFIX\s++(?:[A-Za-z][A-Za-z0-9_-]*+)?:\s*+{_IRI}\s*+)*+
    (?:SELECT\s++(?:\*|(?:{_VAR}\s*+)++)|ASK)\s*+
    (?:WHERE\s*+)?+
    \{{\s*+
    (?P<s>{_NODE})\s++
    (?P<p>{_VAR}|{_IRI}|{_PNAME}|a)\s++
    (?P<o>{_NODE}|{_LITERAL})\s*+
    \.?+\s*+\}}\s*+
    (?:LIMIT\s++[0-9]{{1,9}}+\s*+)?+
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)


def single_pattern(query: str) -> bool:
    """Whether ``query`` is one ``SELECT``/``ASK`` over one triple pattern whose variables differ (see above).

    A repeated variable (``?x ?p ?x``) would make the scan filter, and so read entries that are not
    answers: not bounded by the answer, not eligible.
    """
    return len(query) <= MAX_TEXT and recognised(query)


@lru_cache(maxsize=1024)
def recognised(query: str) -> bool:
    """:func:`single_pattern` for a text of at most :data:`MAX_TEXT` characters, remembered (at most 2 MB): a
    client asks the same lookups again and again."""
    match = _PATTERN.fullmatch(query)
    if match is None:
        return False
    variables = [term[1:] for term in match.group("s", "p", "o") if term[0] in "?$"]
    return len(variables) == len(set(variables))


def eligible(job: QueryJob) -> bool:
    """Whether ``job`` may be answered in the server's process: one triple pattern, nothing bound from outside,
    no dataset, not a whole-answer read (those must not be cut)."""
    return not job.whole and not job.substitutions and job.dataset == NO_DATASET and single_pattern(job.query)


def caps(admission: Admission) -> tuple[int, int]:
    """The row and byte caps of an inline answer: this module's, or the job's own where they are lower."""
    rows = ROWS if admission.max_rows is None else min(ROWS, admission.max_rows)
    size = BYTES if admission.max_bytes is None else min(BYTES, admission.max_bytes)
    return rows, size


def cut_by_inline_caps(admission: Admission, rows: int | None, truncated: bool) -> bool:
    """Whether an inline answer of ``rows`` rows was cut by this module's caps rather than the job's (then a
    worker answers). The row cap cut it when it holds as many rows as the cap; else the byte cap did."""
    if not truncated:
        return False
    most_rows, most_bytes = caps(admission)
    if rows is not None and rows >= most_rows:
        return admission.max_rows is None or most_rows < admission.max_rows
    return admission.max_bytes is None or most_bytes < admission.max_bytes


T = TypeVar("T")

CHEAP_CPU_SECONDS = 0.0005
"""A job whose answer a worker made in at most this CPU time (reading the query, evaluating, writing the answer)
is answered in the server's event loop when it comes again: less than the worker round trip it saves."""
MODERATE_CPU_SECONDS = 0.004
"""A job whose answer a worker made in at most this CPU time, and more than :data:`CHEAP_CPU_SECONDS`, is answered
in one of the server's :class:`QueryThreads` when it comes again and a turn is free (a round trip to a worker
costs 0.2-0.3 ms of the two processes' CPU, and two wake-ups)."""
REMEMBERED = 1_024
"""Most cheap jobs remembered at once (the least recently asked go first)."""
REMEMBERED_TEXT = 16_384
"""Longer query texts are not remembered (the memory stays within about 16 MB)."""
_MAY_CHANGE_COST = re.compile(r"now|rand|uuid", re.IGNORECASE)


class CheapJobs:
    """The jobs a worker answered cheaply from the server's current build, to answer here when they come again."""

    def __init__(self, most: int = REMEMBERED) -> None:
        self.most = most
        self.costs: OrderedDict[Hashable, float] = OrderedDict()
        """Each remembered job's key and the CPU seconds its worker took."""

    def __contains__(self, job: QueryJob) -> bool:
        return self.cost(job) is not None

    def cost(self, job: QueryJob) -> float | None:
        """The CPU seconds a worker took for ``job``, when it is remembered (then it is the most recently asked)."""
        return get_recent(self.costs, cost_key(job))

    def __len__(self) -> int:
        return len(self.costs)

    def remember(self, job: QueryJob, output: QueryOutput, admission: Admission) -> bool:
        """Remember ``job`` when a worker made ``output`` cheaply, within the inline caps, and nothing in its text
        may change its cost; whether it did."""
        if not self.cheap(job, output, admission) or output.cpu_seconds is None:
            return False
        put_recent(self.costs, cost_key(job), output.cpu_seconds, self.most)
        return True

    @staticmethod
    def cheap(job: QueryJob, output: QueryOutput, admission: Admission) -> bool:
        return (
            output.cpu_seconds is not None
            and output.cpu_seconds <= MODERATE_CPU_SECONDS
            and small_and_steady(job, output, admission)
        )


def small_and_steady(job: QueryJob, output: QueryOutput, admission: Admission) -> bool:
    """Whether ``output`` is a whole answer to ``job`` within the inline caps, from a text whose answer cannot change
    between two evaluations of the same build (it does not mention ``NOW``, ``RAND`` or ``UUID``) and that does not
    reach the network."""
    rows, size = caps(admission)
    return (
        not output.truncated
        and (output.rows is None or output.rows < rows)
        and len(output.body) <= size
        and not job.whole
        and not admission.endpoints
        and len(job.query) <= REMEMBERED_TEXT
        and _MAY_CHANGE_COST.search(unescape(job.query)) is None  # SPARQL reads \u escapes first: so do we
    )


class KnownAnswers:
    """The SELECT jobs answered in SPARQL JSON from the server's current build, whole and small
    (:func:`small_and_steady`), with their number of rows: the next answer to one is written by Oxigraph's own
    JSON writer (:func:`~.execute.execute` with ``known_rows``), in Rust, instead of row by row in Python (half
    the cost of a point lookup in the server's process). That writer reads the whole answer and cannot stop at a
    cap; it needs none here, since the build never changes and the text's answer cannot, so the answer has the
    rows it had. Per build, like :class:`CheapJobs`; at most :data:`REMEMBERED` jobs."""

    def __init__(self, most: int = REMEMBERED) -> None:
        self.most = most
        self.rows: OrderedDict[Hashable, int] = OrderedDict()

    def known_rows(self, job: QueryJob) -> int | None:
        """The rows of ``job``'s answer, when it is known (then it is the most recently asked)."""
        return get_recent(self.rows, cost_key(job))

    def remember(self, job: QueryJob, output: QueryOutput, admission: Admission) -> None:
        """Remember ``output``'s rows when it is a whole, small JSON answer to a SELECT whose answer cannot change."""
        if (
            output.kind == "solutions"
            and output.media_type == JSON_RESULTS.media_type
            and output.rows is not None
            and small_and_steady(job, output, admission)
        ):
            put_recent(self.rows, cost_key(job), output.rows, self.most)


class LongAnswers:
    """The one-pattern jobs whose answer from the server's current build was longer than the inline caps: a worker
    answers them from then on, without their first :data:`ROWS` rows read in the event loop first (the build never
    changes, so neither does the length of a one-pattern answer). Per build, like :class:`CheapJobs`; at most
    :data:`REMEMBERED` jobs."""

    def __init__(self, most: int = REMEMBERED) -> None:
        self.most = most
        self.jobs: OrderedDict[Hashable, bool] = OrderedDict()

    def __contains__(self, job: QueryJob) -> bool:
        return get_recent(self.jobs, cost_key(job)) is not None

    def remember(self, job: QueryJob) -> None:
        put_recent(self.jobs, cost_key(job), True, self.most)


def cost_key(job: QueryJob) -> Hashable:
    """What makes two jobs cost the same: not their time limit, row cap or compression."""
    return (job.query, job.results_format, job.graph_format, job.dataset, job.substitutions)


V = TypeVar("V")


def put_recent(entries: OrderedDict[Hashable, V], key: Hashable, value: V, most: int) -> None:
    """``entries[key] = value`` as the most recent entry, the least recent ones dropped past ``most``."""
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > most:
        entries.popitem(last=False)


def get_recent(entries: OrderedDict[Hashable, V], key: Hashable) -> V | None:
    """``entries[key]`` (``None`` when it is not there), made the most recent entry."""
    value = entries.get(key)
    if value is not None:
        entries.move_to_end(key)
    return value


FASTER_BY = 0.8
"""The disk is chosen for a job only when it answered in at most this share of the copy's CPU time (the same
evaluation's CPU time varies by about a tenth)."""
SAMPLES = 4
"""Answers measured on each store before a job's store is chosen (the least of them counts)."""
TRY_DISK_SHARE = 1 / 50
"""A job is tried on the disk only when the copy answered it in at most this share of its time limit (0.2 s of
10 s): the disk may take 12 times longer."""


@dataclass
class StoreMeasures:
    """What the workers measured of one job on a small build's two stores (CPU seconds, the least of each)."""

    copy: float = math.inf
    copies: int = 0
    """Answers measured on the copy in memory."""
    disk: float = math.inf
    disks: int = 0
    """Answers measured on the disk."""
    digest: int | None = None
    """The hash of the copy's answer."""
    refused: bool = False
    """The disk answered otherwise than the copy, or its trial failed: the copy from now on."""


class FasterStore:
    """Which of a small build's two stores answers a job faster, its copy in memory or the build on disk, learnt
    from what the workers measured.

    Oxigraph reads most queries 1.2 to 12 times faster from a copy in memory, but some up to 2.4 times slower
    (9 of the 43 catalog and light queries on the 2,000-claim corpus with jemalloc: a different plan;
    ``python -m bench.stores``). So a job is read from the copy its first :data:`SAMPLES` times, from the disk
    the next :data:`SAMPLES` times, and from then on from the disk only when it cost at most :data:`FASTER_BY`
    of the copy's time (the least of each store's measures: a worker's first read of its disk costs ten to a
    hundred times more, its caches cold). The server sends the choice with the job
    (:attr:`~.job.Admission.on_disk`) and reads remembered jobs the same way.

    - The disk is tried only for a job whose copy's cost is at most :data:`TRY_DISK_SHARE` of its time limit:
      the disk may be 12 times slower, and the trial must not make a job that the copy answers in time fail.
      A trial that fails all the same (a timeout, a worker that died) settles it: the copy from then on.
    - The disk is chosen only when its answers are the copy's, byte for byte: the two engines may order
      differently what SPARQL leaves unordered (rows tied under ``ORDER BY``, a ``GROUP_CONCAT``), and a client
      must get the same answer to the same job each time. :meth:`record` says when a disk's answer differs;
      that answer is dropped, the copy asked, and the job read from the copy from then on.
    - Per build; at most :data:`REMEMBERED` jobs, the least recently asked out first, and only texts of at most
      :data:`REMEMBERED_TEXT` characters (:meth:`worth_learning`)."""

    def __init__(self, most: int = REMEMBERED) -> None:
        self.most = most
        self.measures: OrderedDict[Hashable, StoreMeasures] = OrderedDict()

    @staticmethod
    def worth_learning(job: QueryJob, admission: Admission) -> bool:
        """Jobs whose stores are compared: not those that reach the network or are read whole, nor long texts."""
        return not job.whole and not admission.endpoints and len(job.query) <= REMEMBERED_TEXT

    def choice(self, job: QueryJob, seconds: float) -> str:
        """Where ``job`` (time limit ``seconds``) is read: ``measuring`` (the copy, its first answers),
        ``trying`` (the disk, its first answers), then ``copy`` or ``disk``, settled."""
        known = self.measures.get(cost_key(job))
        if known is None or known.copies < SAMPLES:
            return "measuring"
        if known.refused or (known.disks < SAMPLES and known.copy > seconds * TRY_DISK_SHARE):
            return "copy"
        if known.disks < SAMPLES:
            return "trying"
        return "disk" if known.disk <= known.copy * FASTER_BY else "copy"

    def on_disk(self, job: QueryJob, seconds: float) -> bool:
        """Whether to read ``job`` (time limit ``seconds``) from the disk: to try it there, or because it was
        faster there."""
        return self.choice(job, seconds) in ("trying", "disk")

    def best(self, job: QueryJob, seconds: float) -> float | None:
        """The CPU seconds of ``job`` (time limit ``seconds``) on the store :meth:`on_disk` picks, once that is
        settled (else ``None``)."""
        settled = self.choice(job, seconds)
        known = self.measures.get(cost_key(job))
        if known is None or settled not in ("copy", "disk"):
            return None
        return known.disk if settled == "disk" else known.copy

    def record(self, job: QueryJob, output: QueryOutput) -> bool:
        """Keep what a worker measured for the store it read; ``False`` when it read the disk and its answer is
        not the copy's (then it must not be sent: the caller asks the copy). Every answer from the disk is
        compared, not only the first (two requests may be on their trial there at once)."""
        if output.cpu_seconds is None or output.from_disk is None:
            return True
        key = cost_key(job)
        known = self.measures.get(key) or StoreMeasures()
        same = True
        if not output.from_disk:
            known.copy, known.copies = min(known.copy, output.cpu_seconds), known.copies + 1
            if known.digest is None:
                known.digest = hash(output.body)
        elif known.digest is not None:  # (a worker still on disk while the copies are made: nothing to compare)
            same = hash(output.body) == known.digest
            known.refused = known.refused or not same
            known.disk, known.disks = min(known.disk, output.cpu_seconds), known.disks + 1
        put_recent(self.measures, key, known, self.most)
        return same

    def failed_on_disk(self, job: QueryJob) -> None:
        """The job's trial on the disk failed (a timeout, a worker that died): read it from the copy from now on."""
        known = self.measures.get(cost_key(job))
        if known is not None:
            known.refused = True


THREAD_TURNS = 4
"""Jobs each of :class:`QueryThreads` may hold, the one it runs and those waiting their turn: a job waits at most
behind three others (12 ms at :data:`MODERATE_CPU_SECONDS` each). When every turn is taken, a worker answers."""


class QueryThreads:
    """The server's own threads for remembered jobs that cost more than the event loop should spend on one (over
    :data:`CHEAP_CPU_SECONDS`, at most :data:`MODERATE_CPU_SECONDS`): one per core, each with at most
    :data:`THREAD_TURNS` jobs at a time (:meth:`take`). Made on first use, so an engine may be stopped and started
    again."""

    def __init__(self, size: int | None = None) -> None:
        self.size = size or os.cpu_count() or 2
        self.turns = threading.Semaphore(self.size * THREAD_TURNS)
        self.executor: ThreadPoolExecutor | None = None
        self.answers = 0
        """Jobs answered in these threads since the server started."""

    def take(self) -> bool:
        """Take a turn for one :meth:`run` (``False``: every turn is taken, a worker answers)."""
        return self.turns.acquire(blocking=False)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in one of the threads, in the turn :meth:`take` gave. The turn is free again when
        the job ends, or when it is dropped from the queue before it started (its caller was cancelled); a job
        that has started runs to its end, bounded by its measured cost, and holds its turn until then."""
        if self.executor is None:
            self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="sdkg-inline")
        try:
            future = self.executor.submit(function, *args)
        except RuntimeError:  # shut down under us (the engine stopped): the thread was never used
            self.turns.release()
            raise
        future.add_done_callback(lambda _: self.turns.release())  # run, failed or cancelled: once, either way
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False)
            self.executor = None
