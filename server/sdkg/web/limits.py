"""Answer 413 to a request whose body (or query string) is larger than the limit, before it is read whole."""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import RequestTooLarge, error_response


class TooLarge(Exception):
    pass


class BodyLimit:
    """Count the bytes as they arrive; past ``max_bytes``, stop and answer 413 (if nothing was sent yet)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"0")
        too_long = len(scope.get("query_string", b"")) > self.max_bytes
        if too_long or (length.isdigit() and int(length) > self.max_bytes):
            await self.refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise TooLarge()
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except TooLarge:
            if not started:
                await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = RequestTooLarge(f"request too large: the limit is {self.max_bytes} bytes")
        response = error_response(Request(scope), error)
        await response(scope, receive, send)
