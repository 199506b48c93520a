"""uvicorn on a background thread: what is left running when serving ends is finished before its loop closes."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import aiosqlite
import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sandbox.serving import ThreadedServer


def database_threads() -> set[threading.Thread]:
    """The threads aiosqlite runs open connections on (Python names a thread after its target)."""
    return {thread for thread in threading.enumerate() if "_connection_worker_thread" in thread.name}


def test_work_a_request_left_running_with_a_database_connection_is_cancelled_and_closes_it_when_serving_ends(
    tmp_path: Path,
) -> None:
    left_running: set[asyncio.Task[None]] = set()

    async def hold_a_connection(opened: asyncio.Event) -> None:
        async with aiosqlite.connect(tmp_path / "work.db") as connection:
            await connection.execute("SELECT 1")
            opened.set()
            await asyncio.Event().wait()  # until cancelled

    async def start(_request: Request) -> PlainTextResponse:
        opened = asyncio.Event()
        left_running.add(asyncio.create_task(hold_a_connection(opened)))
        await opened.wait()
        return PlainTextResponse("started")

    before = database_threads()
    with ThreadedServer(Starlette(routes=[Route("/start", start, methods=["POST"])])) as server:
        assert httpx2.post(f"{server.base_url}/start", timeout=10).text == "started"
        [connection_thread] = database_threads() - before
    connection_thread.join(timeout=5)
    assert not connection_thread.is_alive(), "the connection outlived the loop it was opened on"
    assert all(task.cancelled() for task in left_running)
