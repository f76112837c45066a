"""Admin writes: who may write, and the one way a write happens (SPARQL Update and Graph Store alike).

A write is allowed only with ``Authorization: Bearer <admin token>`` when the server has one.
It runs the change pipeline (:func:`sdkg.build.changes.commit`: a new build made from the
served one, validated like a build) in a child process (:func:`sdkg.build.changes.main`), one
write at a time, then switches the server to it. The child is killed, and the write lock
released, at the write's deadline (``write_timeout``), when the client goes away, or when the
server stops; it runs under the workers' memory cap. Refusals are raised as
:class:`~.errors.HttpError` s; the change's own errors are mapped by :func:`~.errors.as_http`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import pickle
import signal
import sys
from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ..build.changes import Change, ChangeTooLarge, too_large
from ..layout import ProjectLayout
from ..sparql.sandbox import child_environment
from .errors import Forbidden, HttpError, Unauthorized
from .state import state_of


def authorize(request: Request) -> None:
    """Return when the request may write; else raise the refusal (before its body is even read)."""
    token = state_of(request).settings.admin_token
    if token is None:
        raise Forbidden("this endpoint is read-only: updates and Graph Store writes are not allowed")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise Unauthorized(
            "writing needs 'Authorization: Bearer <admin token>'", headers={"WWW-Authenticate": 'Bearer realm="sdkg"'}
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("wrong admin token")


async def write(request: Request, change: Change) -> Response:
    """Apply an admin change all or nothing; switch the server to the new build."""
    authorize(request)
    state = state_of(request)
    settings = state.settings
    async with state.write_lock:
        new_path = await committed(
            request, state.store_path, change, settings.layout, settings.worker_memory_mb, settings.write_timeout
        )
        await state.switch(new_path)
    return JSONResponse({"status": 200, "version": state.version})


async def committed(
    request: Request, store_path: Path, change: Change, layout: ProjectLayout | None, memory_mb: int, seconds: float
) -> Path:
    """Run :func:`sdkg.build.changes.commit` in a child process; its new store's path, or its error raised."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from sdkg.build.changes import main; main()",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=child_environment(),  # the child caps its memory as the workers do
    )
    work = asyncio.ensure_future(child.communicate(pickle.dumps((store_path, change, layout, memory_mb))))
    gone = asyncio.ensure_future(client_gone(request))
    try:
        done, _ = await asyncio.wait({work, gone}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        if work not in done:
            why = "the client went away" if gone in done else f"it took longer than {seconds:g} s"
            raise HttpError(f"the change was stopped: {why}; nothing was changed", 504 if gone not in done else 499)
        output, _ = work.result()
    finally:
        gone.cancel()
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
        work.cancel()
    if not output and child.returncode == -signal.SIGABRT:  # the store's allocator met the memory cap
        raise ChangeTooLarge(too_large(memory_mb))
    if not output:
        raise HttpError(f"the change failed (its process ended with {child.returncode}); nothing was changed", 500)
    tag, payload = pickle.loads(output)
    if tag == "ok":
        new_path: Path = payload
        return new_path
    raise payload


async def client_gone(request: Request) -> None:
    """Return when the client closes the connection (the request's body has been read by then)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
