"""OAuth endpoints answer a busy or unreachable database quickly, in JSON, and change nothing.

A refresh waiting on a write lock would otherwise hold the client for the database's own lock
timeout and end in a plain-text 500. Past `TIME_BUDGET` (read at request time), or on a database
error, the client gets `503 {"error": "server_error"}` with `Retry-After`; the work is cancelled
before it commits, so the refresh token it presented stays valid.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.serving import RunningWork

logger = logging.getLogger(__name__)

TIME_BUDGET = 5.0  # seconds
RETRY_AFTER = "5"


class DatabaseBusyGuard:
    """Wraps an OAuth endpoint: a database that is busy or failing becomes a quick JSON 503."""

    def __init__(self, app: ASGIApp, running: RunningWork) -> None:
        self.app = app
        self.running = running  # holds abandoned work until it has unwound; shutdown waits for it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        work = asyncio.create_task(self._run(scope, receive, tracking_send))
        done, _ = await asyncio.wait({work}, timeout=TIME_BUDGET)
        if not done and not started:
            # Cancelled before it commits; the task unwinds (rolls back) in the background.
            work.cancel()
            self.running.add(work)
            logger.warning("%s took longer than %.0f s (database busy?); answered 503", scope["path"], TIME_BUDGET)
            await unavailable()(scope, receive, send)
            return
        try:
            await work
        except SQLAlchemyError:
            if started:
                raise
            logger.warning("%s failed on a database error; answered 503", scope["path"], exc_info=True)
            await unavailable()(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def unavailable() -> JSONResponse:
    body = {"error": "server_error", "error_description": "The server is busy; try again in a few seconds."}
    headers = {"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"}
    return JSONResponse(body, status_code=503, headers=headers)
