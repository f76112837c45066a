"""Copy the published build into another SPARQL store through the Graph Store Protocol.

Only ``var/current`` is pushed: a build is published only after it parsed and validated,
so what reaches the remote store has passed the same gate as what ``sdkg serve`` serves.
Each named graph (one per project file, plus the inferred graph) replaces the graph of the
same name on the store with ``PUT <gsp-url>?graph=<graph IRI>`` (a large graph in parts: the first
PUT, the others POST, see :func:`push`), so pushing twice leaves the same content.

A request the store does not answer within ``--timeout`` is sent again on a new connection, up to
``--retries`` times: Virtuoso 7.2.5 was seen to stop answering one request of a long push now and
then (idle, the request unanswered, until the client gave up; bench/README.md, "Beyond one
machine"). Sending a part again changes nothing on the store: a part is a set of triples without
blank nodes (a graph with blank nodes goes whole, in one PUT, which replaces the graph), and adding
a triple a graph holds leaves it as it was.

Stores that want a login (Virtuoso's ``/sparql-graph-crud-auth``, a secured Fuseki or
GraphDB) get one from :func:`credentials`: the user from ``--user`` and the password from
``SDKG_PUSH_PASSWORD``, or both from the netrc entry for the store's host, never from the
command line, where other users of the machine could read it. Digest or Basic is chosen
by the store's challenge.
"""

from __future__ import annotations

import itertools
import json
import netrc
import os
import sys
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyoxigraph as ox

from .builds import BuildInfo, open_store
from .layout import ProjectLayout

CONTENT_TYPE = "application/n-triples"
PASSWORD_VARIABLE = "SDKG_PUSH_PASSWORD"


class PushFailed(Exception):
    """Nothing to push, or the store refused a graph; the message says which."""


class NoAnswer(PushFailed):
    """The store did not answer a request within the time allowed (the request may be sent again)."""


RETRIES = 2
"""How many times a request the store left unanswered is sent again (``sdkg push --retries``)."""


@dataclass
class PushResult:
    graphs: int
    triples: int
    bytes: int
    seconds: float


class ChallengeAuth(httpx.Auth):
    """Answer the store's challenge: Digest (Virtuoso) when it asks for Digest, else Basic (Fuseki, GraphDB)."""

    def __init__(self, user: str, password: str):
        self.user = user
        self.digest = httpx.DigestAuth(user, password)
        self.basic = httpx.BasicAuth(user, password)
        self.use_basic = False

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.use_basic:
            yield from self.basic.auth_flow(request)
            return
        flow = self.digest.auth_flow(request)  # sends the cached Digest challenge's answer once it has one
        response = yield next(flow)
        try:
            yield flow.send(response)
        except StopIteration:  # no Digest challenge: retry with Basic if that is what the store asked for
            schemes = [h.split(" ", 1)[0].lower() for h in response.headers.get_list("www-authenticate")]
            if response.status_code == 401 and "basic" in schemes:
                self.use_basic = True
                yield from self.basic.auth_flow(request)


def credentials(url: str, user: str | None, environ: Mapping[str, str] = os.environ) -> ChallengeAuth | None:
    """The login for ``url``: ``user`` with ``$SDKG_PUSH_PASSWORD``, else the netrc entry for its host ($NETRC or
    ~/.netrc); ``None`` when neither gives one (the store is open)."""
    password = environ.get(PASSWORD_VARIABLE)
    if user and password:
        return ChallengeAuth(user, password)
    host = urlsplit(url).hostname or ""
    path = Path(environ["NETRC"]) if environ.get("NETRC") else Path.home() / ".netrc"
    entry = None
    if path.is_file():
        try:
            entry = netrc.netrc(str(path)).authenticators(host)
        except (netrc.NetrcParseError, OSError) as error:
            raise PushFailed(f"cannot read {path}: {error}") from None
    if entry is not None and entry[2] is not None and (not user or entry[0] == user):
        return ChallengeAuth(entry[0], entry[2])
    if user:
        raise PushFailed(f"--user {user} needs a password: set {PASSWORD_VARIABLE} or add {host} to {path}")
    return None


def graphs_of(build_dir: Path, store: ox.Store) -> list[str]:
    """The build's named graphs, in the order the build recorded them (any others after)."""
    info = BuildInfo.read(build_dir)
    recorded = list(info.graphs) if info else []
    present = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return [g for g in recorded if g in present] + [g for g in present if g not in recorded]


def current_build(layout: ProjectLayout) -> Path:
    """The published (validated) build, or ``PushFailed`` if there is none or it says it was not validated."""
    build_dir = layout.current_build()
    if build_dir is None:
        raise PushFailed(f"no published build under {layout.state}; run `sdkg build` first")
    info = BuildInfo.read(build_dir)
    if info is None:
        raise PushFailed(f"{build_dir} has no build record; rebuild with `sdkg build`")
    if not info.validated:
        raise PushFailed(f"{build_dir} was built without validation; only validated builds are pushed")
    return build_dir


PUSH_CHUNK = 500_000
"""Triples per request: a graph larger than this is sent as a PUT of its first part and a POST (which adds
to the graph) of each further part, so neither side holds a whole graph of tens of millions of triples."""


def push(
    layout: ProjectLayout,
    url: str,
    progress: Callable[[str], None] = lambda _m: None,
    timeout: float = 300.0,
    auth: httpx.Auth | None = None,
    chunk: int = PUSH_CHUNK,
    retries: int = RETRIES,
) -> PushResult:
    """PUT every named graph of the current build to the Graph Store Protocol endpoint at ``url``.

    A graph of more than ``chunk`` triples goes in parts: a PUT of the first (which replaces the graph on the
    store), then a POST of each next one (which adds to it). Memory stays that of one part, whatever the build.
    ``timeout`` is per request; a request left unanswered that long is sent again, ``retries`` times at most.
    """
    build_dir = current_build(layout)
    store = open_store(build_dir)
    graphs = graphs_of(build_dir, store)
    started = time.monotonic()
    total_triples = total_bytes = 0
    client = httpx.Client(timeout=timeout, auth=auth)
    try:
        for number, graph in enumerate(graphs, start=1):
            for part, body in enumerate(parts(store, graph, chunk)):
                method = "PUT" if part == 0 else "POST"
                for attempt in range(retries + 1):
                    try:
                        send(client, method, url, graph, body, auth)
                        break
                    except NoAnswer:
                        if attempt == retries:
                            raise
                        progress(
                            f"no answer in {timeout:g} s to the {method} of part {part + 1} of <{graph}>: "
                            f"sending it again on a new connection ({attempt + 2} of {retries + 1})"
                        )
                        client.close()
                        client = httpx.Client(timeout=timeout, auth=auth)
                total_triples += body.count(b"\n")
                total_bytes += len(body)
            if len(graphs) <= 20 or number % max(1, len(graphs) // 10) == 0 or number == len(graphs):
                progress(f"pushed {number}/{len(graphs)} graphs, {total_triples} triples")
    finally:
        client.close()
    return PushResult(len(graphs), total_triples, total_bytes, time.monotonic() - started)


def parts(store: ox.Store, graph: str, chunk: int) -> Iterator[bytes]:
    """A graph as N-Triples, ``chunk`` triples a part (one empty part for an empty graph).

    A graph with a blank node goes whole: a blank node's label means one node only within one request,
    so a node whose triples were split between two parts would become two nodes on the store."""
    name = ox.NamedNode(graph)
    if has_blank_node(store, name):
        chunk = sys.maxsize
    quads = store.quads_for_pattern(None, None, None, name)
    sent = False
    while batch := [ox.Triple(q.subject, q.predicate, q.object) for q in itertools.islice(quads, chunk)]:
        yield ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
        sent = True
    if not sent:
        yield b""


def has_blank_node(store: ox.Store, graph: ox.NamedNode) -> bool:
    found = store.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }} }}")
    return bool(found)


def send(client: httpx.Client, method: str, url: str, graph: str, body: bytes, auth: httpx.Auth | None) -> None:
    try:
        response = client.request(
            method, url, params={"graph": graph}, content=body, headers={"Content-Type": CONTENT_TYPE}
        )
    except httpx.TimeoutException:
        raise NoAnswer(f"{url} gave no answer to the {method} of graph <{graph}> in time") from None
    except httpx.HTTPError as error:
        raise PushFailed(f"cannot reach {url}: {error}") from None
    if response.status_code == 401 and auth is None:
        raise PushFailed(f"{url} wants a login (401): give --user and {PASSWORD_VARIABLE}, or a netrc entry")
    if response.status_code == 401:
        raise PushFailed(f"{url} refused the login (401): check the user and password")
    if response.status_code >= 300:
        raise PushFailed(f"{url} refused graph <{graph}>: {response.status_code} {response.text.strip()[:300]}")


def summary(result: PushResult) -> str:
    return json.dumps(
        {"graphs": result.graphs, "triples": result.triples, "bytes": result.bytes, "seconds": round(result.seconds, 2)}
    )
