"""Admin writes: who may write, and the one way a write happens (SPARQL Update and Graph Store alike).

A write is allowed only with ``Authorization: Bearer <admin token>`` when the server has one.
It runs the change pipeline (:func:`sdkg.build.changes.commit`: a new build made from the
served one, validated like a build), one write at a time, then switches the server to it.
Refusals are raised as :class:`~.errors.HttpError` s; the change's own errors are mapped by
:func:`~.errors.as_http`.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..build.changes import Change, commit
from .errors import Forbidden, Unauthorized
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
    async with state.write_lock:
        new_path = await run_in_threadpool(commit, state.store_path, change, state.settings.layout)
        await state.switch(new_path)
    return JSONResponse({"status": 200, "version": state.version})
