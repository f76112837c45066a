"""What can go wrong with a query, said the same way by every engine.

The local, worker and remote engines raise these and nothing else for a query they cannot
answer, so a caller handles one family whichever engine runs. Nothing here knows about
HTTP: the web layer maps each class to a status in one place (:mod:`sdkg.web.errors`).
"""

from __future__ import annotations

from collections.abc import Sequence


class QueryError(Exception):
    """A query that could not be answered; ``str()`` says why, in words a client can act on."""


class MalformedQuery(QueryError, SyntaxError):
    """The text is not SPARQL (still a ``SyntaxError``, as pyoxigraph's own)."""


class QueryFailed(QueryError):
    """The query parsed but its evaluation failed (a bad IRI, a store error)."""


class Refused(QueryError):
    """The query would reach a SERVICE or LOAD endpoint that is not on the allow-list."""


class Unverifiable(Refused):
    """The query mentions SERVICE or LOAD and could not be checked against the allow-list."""


class NotAcceptable(QueryError):
    """No offered format fits the request; ``offered`` lists the media types there are."""

    def __init__(self, offered: Sequence[str]):
        self.offered = tuple(offered)
        super().__init__(self.offered)  # the arguments, so that the error pickles back as it was

    def __str__(self) -> str:
        return "Not Acceptable: supported types are " + ", ".join(self.offered)


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(seconds)

    def __str__(self) -> str:
        return f"the query was stopped after {self.seconds:g} s (the time limit)"


class EngineBusy(QueryError):
    """No engine capacity became free before the query's deadline (worth retrying)."""


class WorkerFailed(QueryError):
    """What evaluates queries failed while answering (a worker died, a remote store is down)."""


class UpstreamFailed(QueryError):
    """A federated endpoint (Wikidata) could not be queried; ``str()`` has the detail (logged), ``public`` what a
    client is told."""

    public = "a federated endpoint could not be queried (offline, refused or unavailable)"

    def __init__(self, detail: str, public: str | None = None) -> None:
        super().__init__(detail)
        if public is not None:
            self.public = public


class StoreCorrupted(QueryFailed):
    """The store reported corruption: the server answers 500 and stops answering from it (its detail is logged)."""


class MemoryCapExceeded(QueryError):
    """The query needed more memory than a worker may take; the worker was replaced."""

    def __init__(self, megabytes: int):
        self.megabytes = megabytes
        super().__init__(megabytes)

    def __str__(self) -> str:
        return f"the query needed more than the {self.megabytes} MB a query worker may use; it was stopped"


class AnswerTooLarge(QueryError):
    """An answer that must be whole (a Graph Store read) is larger than the answer cap."""
