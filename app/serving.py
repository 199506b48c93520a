"""ASGI plumbing shared by the product's routes: request bodies read under a size limit, then replayed;
requests and the work they leave running, counted so shutdown can wait for them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_BODY_LIMIT = 8 * 1024  # every page form and device request fits in a fraction of this
BODY_LIMITS = {
    "/token": 64 * 1024,
    "/register": 32 * 1024,  # ten redirect URIs of 2 KiB and the rest of RFC 7591 metadata
}
BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(Exception):
    """The request body is larger than its limit."""


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands an already-read request body to the app once, then passes through."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body, refused (`BodyTooLarge`) before more than `limit` bytes are held.

    A declared Content-Length over the limit is refused without reading anything.
    """
    length = declared_length(scope)
    if length is not None and length > limit:
        raise BodyTooLarge
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


async def read_within(scope: Scope, receive: Receive, send: Send, limit: int) -> bytes | None:
    """The request body, or None once a 413 has been sent because it is larger than `limit`."""
    try:
        return await read_body(scope, receive, limit)
    except BodyTooLarge:
        await too_large(limit)(scope, receive, send)
        return None


def too_large(limit: int) -> JSONResponse:
    description = f"request body larger than {limit // 1024} KiB"
    return JSONResponse({"error": "invalid_request", "error_description": description}, 413)


class BodyLimit:
    """Read every request body (except the paths in `exempt`) under its path's limit before the app sees it.

    Starlette would otherwise parse up to 1,000 form fields of 1 MB each before any handler runs.
    Oversized bodies get 413 and never reach a route, so nothing is created.
    """

    def __init__(
        self,
        app: ASGIApp,
        limits: Mapping[str, int] = BODY_LIMITS,
        default: int = FORM_BODY_LIMIT,
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.limits = limits
        self.default = default
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODILESS_METHODS or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        body = await read_within(scope, receive, send, self.limits.get(scope["path"], self.default))
        if body is None:
            return
        await self.app(scope, replaying(body, receive), send)


class RunningWork:
    """Requests being served and work they left running (cancelled, still unwinding).

    The lifespan waits for them before closing the database, so every connection they hold is back
    in the pool, and closed with it, before the event loop ends.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def add(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finish(self) -> None:
        """Cancel what is still running and wait for it to end (callers bound the wait)."""
        left = self._tasks - {asyncio.current_task()}
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left)


class TrackRequests:
    """Count every HTTP request in `running` while it is served."""

    def __init__(self, app: ASGIApp, running: RunningWork) -> None:
        self.app = app
        self.running = running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.running.add(asyncio.current_task())  # type: ignore[arg-type]  # always inside a task here
        await self.app(scope, receive, send)
