"""The sandbox Fathom External API, mounted at `/fathom/external/v1`: meetings, recordings, teams.

Authentication is the `X-Api-Key` header, or `Authorization: Bearer` with a token of Fathom's OAuth
(`sandbox.fathom.oauth`, under `/oauth2/`); OAuth apps may not use `include_summary` or
`include_transcript` on `/meetings` (400), as with Fathom. A person sees the meetings its owner recorded and those
recorded by members of the owner's Fathom team. Lists come newest first in pages of 10 with an
opaque `next_cursor`. Every key is rate limited over a sliding window (Fathom: 60 calls / 60 s);
the limits live on `app.state.limits` (a `FathomLimits`) so tests can shrink them. Fathom does not
document its error bodies; the sandbox answers `{"error": "<message>"}` with the right status.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.fathom.meetings import MeetingFilterError, list_meetings, summary_part, visible
from sandbox.fathom.oauth import oauth_routes
from sandbox.world import FathomRecording, Person, World

PAGE_SIZE = 10


@dataclass
class FathomLimits:
    """Per-account rate limit: at most `calls` requests in any sliding `window_seconds` (off: `enabled=False`)."""

    calls: int = 60
    window_seconds: float = 60.0
    enabled: bool = True
    clock: Callable[[], float] = time.monotonic
    # key -> monotonic times of the calls inside the window
    history: dict[str, deque[float]] = field(default_factory=dict)

    def admit(self, key: str) -> tuple[bool, int, float]:
        """Count a call by `key` if the window has room: (admitted, remaining, seconds until a slot frees)."""
        now = self.clock()
        calls = self.history.setdefault(key, deque())
        while calls and calls[0] <= now - self.window_seconds:
            calls.popleft()
        admitted = not self.enabled or len(calls) < self.calls
        if admitted:
            calls.append(now)
        reset = calls[0] + self.window_seconds - now if calls else 0.0
        return admitted, max(self.calls - len(calls), 0), reset


Handler = Callable[[Request, Person], Awaitable[Response]]


def create_fathom_app(world: World, limits: FathomLimits | None = None) -> Starlette:
    """The Fathom API app over `world`; `app.state.limits` holds its (mutable) rate limits."""
    api = _FathomApi(world, limits or FathomLimits())
    app = Starlette(
        routes=[
            Route("/meetings", api.guard(api.meetings), methods=["GET"]),
            Route("/recordings/{recording_id}/summary", api.guard(api.summary), methods=["GET"]),
            Route("/recordings/{recording_id}/transcript", api.guard(api.transcript), methods=["GET"]),
            Route("/teams", api.guard(api.teams), methods=["GET"]),
            Route("/team_members", api.guard(api.team_members), methods=["GET"]),
            *oauth_routes(world),
        ]
    )
    app.state.limits = api.limits
    return app


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Fathom-style error: a JSON body with a message (the real bodies are undocumented)."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def encode_cursor(page: int) -> str:
    """An opaque cursor shaped like Fathom's (base64 JSON)."""
    return base64.b64encode(json.dumps({"page_num": page}).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """The page a cursor names (1 without one), or None if it is not a cursor we issued."""
    if cursor is None:
        return 1
    try:
        data = json.loads(base64.b64decode(cursor, validate=True))
    except (binascii.Error, ValueError):
        return None
    page = data.get("page_num") if isinstance(data, dict) else None
    return page if isinstance(page, int) and not isinstance(page, bool) and page >= 1 else None


def paged(items: list[dict[str, Any]], cursor: str | None) -> JSONResponse:
    """One page of `items` in Fathom's envelope, or 400 for a bad cursor."""
    page = decode_cursor(cursor)
    if page is None:
        return error(400, "Invalid cursor")
    start = (page - 1) * PAGE_SIZE
    more = start + PAGE_SIZE < len(items)
    return JSONResponse(
        {
            "limit": PAGE_SIZE,
            "next_cursor": encode_cursor(page + 1) if more else None,
            "items": items[start : start + PAGE_SIZE],
        }
    )


class _FathomApi:
    """The request handlers, sharing one world and one rate limiter."""

    def __init__(self, world: World, limits: FathomLimits) -> None:
        self.world = world
        self.limits = limits

    def guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Authenticate by API key or OAuth bearer token, apply the rate limit, add Fathom's RateLimit-* headers."""

        async def guarded(request: Request) -> Response:
            key = request.headers.get("x-api-key", "")
            kind, _, bearer = request.headers.get("authorization", "").partition(" ")
            request.state.oauth = not key and kind.lower() == "bearer"
            if key:
                person = self.world.person_for_fathom_key(key)
            elif request.state.oauth:
                person = self.world.person_for_fathom_token(bearer.strip())
            else:
                person = None
            if person is None:
                return error(401, "Unauthorized")
            admitted, remaining, reset = self.limits.admit(person.email)
            headers = {
                "RateLimit-Limit": str(self.limits.calls),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(math.ceil(reset)),
            }
            if not admitted:
                return error(429, "Rate limit exceeded", headers | {"Retry-After": str(max(1, math.ceil(reset)))})
            response = await handler(request, person)
            response.headers.update(headers)
            return response

        return guarded

    async def meetings(self, request: Request, person: Person) -> Response:
        if request.state.oauth and any(
            request.query_params.get(name, "").lower() == "true" for name in ("include_summary", "include_transcript")
        ):
            return error(
                400,
                "include_summary and include_transcript are not available to OAuth apps; "
                "use /recordings/{recording_id}/summary and /recordings/{recording_id}/transcript",
            )
        try:
            items = list_meetings(self.world, person, request.query_params)
        except MeetingFilterError as exc:
            return error(400, str(exc))
        return paged(items, request.query_params.get("cursor"))

    def _recording(self, request: Request, person: Person) -> FathomRecording | Response:
        raw = request.path_params["recording_id"]
        if not raw.isdigit():
            return error(400, "Invalid recording_id")
        recording = self.world.recordings.get(int(raw))
        # Someone else's recording is indistinguishable from a missing one.
        if recording is None or not visible(self.world, person, recording.meeting):
            return error(404, "Not found")
        return recording

    async def summary(self, request: Request, person: Person) -> Response:
        recording = self._recording(request, person)
        if isinstance(recording, Response):
            return recording
        return JSONResponse({"summary": summary_part(recording.summary_markdown)})

    async def transcript(self, request: Request, person: Person) -> Response:
        recording = self._recording(request, person)
        if isinstance(recording, Response):
            return recording
        return JSONResponse({"transcript": recording.transcript})

    async def teams(self, request: Request, person: Person) -> Response:
        teams = [{"name": t["name"], "created_at": t.get("created_at")} for t in self.world.fathom_teams]
        return paged(teams, request.query_params.get("cursor"))

    async def team_members(self, request: Request, person: Person) -> Response:
        team = request.query_params.get("team")
        created = {t["name"]: t.get("created_at") for t in self.world.fathom_teams}
        members = [
            {"name": p.name, "email": p.email, "created_at": created.get(p.fathom_team)}
            for p in self.world.people.values()
            if p.fathom_team is not None and (team is None or p.fathom_team == team)
        ]
        return paged(members, request.query_params.get("cursor"))
