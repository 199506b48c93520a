"""Fathom in tool tests: store a person's API key or OAuth grant as the account page would, grow their history."""

from __future__ import annotations

import copy
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from app.upstream.refreshing import with_expiry
from sandbox.fathom.meetings import visible
from sandbox.server import fathom_oauth_env
from sandbox.world import FathomRecording, World
from tests.support.stack import Stack

_TIMES = ("created_at", "scheduled_start_time", "scheduled_end_time", "recording_start_time", "recording_end_time")


async def store_fathom_key(stack: Stack, email: str, key: str | None = None) -> str:
    """Save `key` (default: the sandbox person's real key) for the signed-in user `email`; returns it."""
    key = key or stack.sandbox.world.people[email].fathom_key
    assert key is not None
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        user = await store.get_user_by_email(email)
        assert user is not None, f"{email} has not signed in"
        await store.set_fathom_key(user.id, key)
    finally:
        await engine.dispose()
    return key


def fathom_oauth_settings(sandbox_url: str) -> dict[str, object]:
    """Stack settings that register the sandbox's Fathom OAuth app (as `serve --sandbox` does)."""
    return {name.lower(): value for name, value in fathom_oauth_env(sandbox_url).items()}


async def fathom_oauth_tokens(sandbox_url: str, email: str, redirect_uri: str) -> dict[str, Any]:
    """`email` allows the sandbox's Fathom app: Fathom's token response (with `expires_at` added)."""
    env = fathom_oauth_env(sandbox_url)
    client = {"client_id": env["FATHOM_CLIENT_ID"], "client_secret": env["FATHOM_CLIENT_SECRET"]}
    async with httpx2.AsyncClient(timeout=10) as http:
        authorized = await http.get(
            env["FATHOM_AUTHORIZE_URL"],
            params={
                "client_id": client["client_id"],
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "public_api",
                "sandbox_login": email,
            },
        )
        assert authorized.status_code == 302, authorized.text
        code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **client}
        exchanged = await http.post(env["FATHOM_TOKEN_URL"], data=form)
        assert exchanged.status_code == 200, exchanged.text
    return with_expiry(exchanged.json())


async def connect_fathom_by_oauth(stack: Stack, email: str, *, expired: bool = False) -> dict[str, Any]:
    """What Connect Fathom leaves behind for the signed-in `email`: the sandbox's tokens, stored.

    `expired` stores them as if the access token had run out (Switchboard refreshes before using it).
    """
    settings = stack.settings
    token = await fathom_oauth_tokens(stack.sandbox.base_url, email, settings.fathom_redirect_uri)
    if expired:
        token["expires_at"] = int(time.time()) - 1
    engine = create_engine(settings.database_url)
    try:
        store = Store(engine, KeyRing(settings.encryption_keys))
        user = await store.get_user_by_email(email)
        assert user is not None, f"{email} has not signed in"
        await store.save_fathom_grant(user.id, token, "public_api")
    finally:
        await engine.dispose()
    return token


def visible_recordings(world: World, email: str) -> list[tuple[int, FathomRecording]]:
    """The recordings `email`'s key sees, newest first (as Fathom lists them)."""
    viewer = world.people[email]
    found = [(rid, rec) for rid, rec in world.recordings.items() if visible(world, viewer, rec.meeting)]
    return sorted(found, key=lambda item: (item[1].meeting["created_at"], item[0]), reverse=True)


def add_older_meetings(world: World, email: str, count: int) -> list[int]:
    """Add `count` copies of `email`'s oldest visible meeting, a day apart and older still; returns their ids."""
    rid, template = visible_recordings(world, email)[-1]
    ids: list[int] = []
    for n in range(1, count + 1):
        meeting = copy.deepcopy(template.meeting)
        for name in _TIMES:
            moment = datetime.fromisoformat(meeting[name].replace("Z", "+00:00")) - timedelta(days=n)
            meeting[name] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        new_id = rid - n * 1000
        meeting.update(recording_id=new_id, title=f"Weekly sync #{n}", meeting_title=f"Weekly sync #{n}")
        world.recordings[new_id] = FathomRecording(meeting, "## Notes\n\nRoutine sync.\n", [], [])
        ids.append(new_id)
    return ids
