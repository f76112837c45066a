"""The HTTP/1.1 protocol ``sdkg serve`` runs under uvicorn: its httptools (llhttp) protocol, with four changes.

- A request the application can answer at once (:meth:`.front.Front.answer_now`: a light query, a cached
  answer) is answered when its head is read, in one write, without an ASGI task: the task, its messages
  and the framework's response were most of a point lookup's cost in this process. The next request's head
  disarms the keep-alive timer that answer armed (uvicorn disarms it only when data arrive, and the next
  request may be in the same read).

- An overlong request target is refused with 414 while it is still arriving (the parser would
  otherwise reset the connection, or answer a bare 400, before any application code sees it).
- A response's head and body leave in one write (:class:`OneWrite`): uvicorn writes the status
  line and headers, then the body, which costs a second system call and a second packet, and
  wakes the client twice, for every small answer.
- With several serving processes (:mod:`.processes`), one that holds more than its share of the open
  connections closes a connection after its next answer (``Connection: close``, as HTTP/1.1 lets a
  server do between requests), and the client's next connection goes to a process with room. The
  kernel gives each new connection to whichever process accepts first, and a client that opens its
  connections in a burst often had them all in one process: one core busy, the other idle, for as long
  as the connections lived (8 connections: 10,500 light queries a second instead of 18,500, in half of
  the runs). Keep-alive connections are what a busy client holds, so they are what is balanced.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from .metrics import Metrics

Headers = list[tuple[bytes, bytes]]
AnswerNow = Callable[[dict[str, Any]], "tuple[int, Headers, bytes] | None"]


class OneWrite:
    """A transport that holds a response head until the next write (or the end of this loop turn)."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop):
        self.transport = transport
        self.loop = loop
        self.held: bytes | None = None
        self.flush_handle: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        if self.held is not None:
            data = self.held + data
            self.held = None
            if self.flush_handle is not None:
                self.flush_handle.cancel()
                self.flush_handle = None
        elif data.startswith(b"HTTP/1.1 ") and data.endswith(b"\r\n\r\n"):
            self.held = data
            self.flush_handle = self.loop.call_soon(self.flush)
            return
        self.transport.write(data)

    def flush(self) -> None:
        self.flush_handle = None
        if self.held is not None:
            held, self.held = self.held, None
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def http_protocol(
    max_url_bytes: int, balance: Metrics | None = None, answer_now: AnswerNow | None = None
) -> type[HttpToolsProtocol]:
    """The protocol, refusing request targets over ``max_url_bytes``; ``balance``: the counters shared with the
    other serving processes, whose open connections it balances (``None``: one process serves); ``answer_now``:
    the application's answer to a request it can answer at once (:meth:`.front.Front.answer_now`)."""

    class Protocol(HttpToolsProtocol):
        url_too_long = False

        def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
            """Start answering the request of ``cycle``: at once when the application can, else in an ASGI task."""
            if balance is not None and not self.pipeline and balance.holds_more_than_its_share():
                cycle.keep_alive = False  # (not with requests queued behind it: they would be lost)
            if answer_now is not None and app is self.app and not self.flow.write_paused:
                whole = answer_now(cycle.scope)  # type: ignore[arg-type]
                if whole is not None:
                    self.write_whole(cycle, *whole)
                    return
            super()._start_asgi_task(cycle, app)

        def write_whole(self, cycle: RequestResponseCycle, status: int, headers: Headers, body: bytes) -> None:
            """Write a whole answer as :meth:`RequestResponseCycle.send` does, in one write. Its headers are the
            server's own (no value comes from the request), so uvicorn's checks of each one are not repeated."""
            content = [STATUS_LINE[status]]
            for name, value in (*self.server_state.default_headers, *headers):
                content.extend((name, b": ", value, b"\r\n"))
            if not cycle.keep_alive:
                content.append(b"connection: close\r\n")
            content.extend((b"\r\n", body))
            self.transport.write(b"".join(content))
            cycle.response_started = cycle.response_complete = True
            if not cycle.keep_alive:
                self.transport.close()
            self.on_response_complete()

        def on_headers_complete(self) -> None:
            self._unset_keepalive_if_required()  # (an answer made at once armed it, with this request in the same read)
            super().on_headers_complete()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = OneWrite(transport, self.loop)  # type: ignore[assignment]
            if balance is not None:
                balance.connection_opened()

        def connection_lost(self, exc: Exception | None) -> None:
            if balance is not None:
                balance.connection_closed()
            super().connection_lost(exc)

        def on_url(self, url: bytes) -> None:
            self.url += url
            if len(self.url) > max_url_bytes:
                self.url_too_long = True
                raise ValueError("request target too long")

        def send_400_response(self, msg: str) -> None:
            if not self.url_too_long:
                super().send_400_response(msg)
                return
            message = f"request target too long: the limit is {max_url_bytes} bytes; send long queries by POST"
            body = json.dumps({"error": message, "status": 414}).encode()
            head = (
                "HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\naccess-control-allow-origin: *\r\n\r\n"
            )
            self.transport.write(head.encode() + body)
            self.transport.close()

    return Protocol
