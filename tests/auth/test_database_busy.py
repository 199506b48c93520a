"""With the database write-locked, /token answers a JSON 503 quickly and the refresh token survives."""

from __future__ import annotations

import sqlite3

import anyio
import httpx2

from app.auth import busy
from sandbox.seed.people import ALICE
from tests.support.oauth_flow import Flow
from tests.support.stack import Stack


async def test_a_refresh_while_the_database_is_write_locked_gets_a_quick_json_503_and_the_token_survives(
    stack: Stack,
) -> None:
    async with httpx2.AsyncClient(timeout=30) as http:
        flow = Flow(stack, http)
        tokens = await flow.sign_in(ALICE)
        database = stack.settings.database_url.removeprefix("sqlite+aiosqlite:///")
        holder = sqlite3.connect(database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            with anyio.fail_after(busy.TIME_BUDGET + 5):
                busy_answer = await flow.refresh(tokens["refresh_token"])
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        with anyio.fail_after(30):
            later = await flow.refresh(tokens["refresh_token"])
    assert busy_answer.status_code == 503
    assert busy_answer.json()["error"] == "server_error"
    assert busy_answer.headers["retry-after"].isdigit()
    assert later.status_code == 200, later.text
