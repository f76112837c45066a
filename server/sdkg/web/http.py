"""The HTTP/1.1 protocol ``sdkg serve`` runs under uvicorn: its httptools (llhttp) protocol, which refuses an
overlong request target with 414 while it is still arriving (the parser would otherwise reset the
connection, or answer a bare 400, before any application code sees the request)."""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def protocol_with_url_limit(max_url_bytes: int) -> type[HttpToolsProtocol]:
    class Protocol(HttpToolsProtocol):
        url_too_long = False

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
