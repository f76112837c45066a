"""The HTTP/1.1 protocol ``sdkg serve`` runs under uvicorn: its httptools (llhttp) protocol, with two changes.

- An overlong request target is refused with 414 while it is still arriving (the parser would
  otherwise reset the connection, or answer a bare 400, before any application code sees it).
- A response's head and body leave in one write (:class:`OneWrite`): uvicorn writes the status
  line and headers, then the body, which costs a second system call and a second packet, and
  wakes the client twice, for every small answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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


def protocol_with_url_limit(max_url_bytes: int) -> type[HttpToolsProtocol]:
    class Protocol(HttpToolsProtocol):
        url_too_long = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.transport = OneWrite(transport, self.loop)  # type: ignore[assignment]

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
