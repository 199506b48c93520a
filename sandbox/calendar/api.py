"""The sandbox Google Calendar API v3, mounted at `/calendar/v3`: calendar list, events, free/busy.

Routes are relative to the mount (`/users/me/calendarList`, `/calendars/{calendarId}/events`, ...).
Each write records the request's `sendUpdates` in `app.state.send_updates` (event id -> value, or
None when absent), so tests can check what a client asked Google to notify without that leaking
into the event resource.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.calendar import queries as calendar_queries
from sandbox.calendar.events import EventError, render_event
from sandbox.calendar.params import (
    ParamError,
    encode_token,
    get_enum,
    get_int,
    invalid_parameter,
    page_offset,
)
from sandbox.calendar.times import zone_or_none
from sandbox.calendar.writes import (
    check_writable,
    delete_event,
    find_calendar,
    find_event,
    insert_event,
    rewrite_event,
)
from sandbox.common import CALENDAR_SCOPES, CALENDAR_WRITE_SCOPES, authenticate, google_error
from sandbox.world import Calendar, Person, World

_ROLES = ("freeBusyReader", "reader", "writer", "owner")
_SEND_UPDATES = ("all", "externalOnly", "none")
Handler = Callable[[Request], Awaitable[Response]]


def create_calendar_app(world: World) -> Starlette:
    """The Calendar API app over `world`; `app.state.send_updates` records each write's sendUpdates."""
    api = _CalendarApi(world)
    events = "/calendars/{calendar_id}/events"
    app = Starlette(
        routes=[
            Route("/users/me/calendarList", _guard(api.calendar_list), methods=["GET"]),
            Route("/users/me/calendarList/{calendar_id}", _guard(api.calendar_list_entry), methods=["GET"]),
            Route("/calendars/{calendar_id}", _guard(api.calendar_get), methods=["GET"]),
            Route(events, _guard(api.list_events), methods=["GET"]),
            Route(events, _guard(api.insert_event), methods=["POST"]),
            Route(events + "/{event_id}", _guard(api.get_event), methods=["GET"]),
            Route(events + "/{event_id}", _guard(api.patch_event), methods=["PATCH"]),
            Route(events + "/{event_id}", _guard(api.update_event), methods=["PUT"]),
            Route(events + "/{event_id}", _guard(api.delete_event), methods=["DELETE"]),
            Route("/freeBusy", _guard(api.free_busy), methods=["POST"]),
        ]
    )
    app.state.send_updates = api.send_updates
    return app


def _guard(handler: Handler) -> Handler:
    """Turn the refusals raised while handling into Google's error responses."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except ParamError as exc:
            return exc.response
        except EventError as exc:
            return google_error(exc.code, exc.message, exc.reason)

    return guarded


def _not_found() -> JSONResponse:
    return google_error(404, "Not Found", "notFound")


class _CalendarApi:
    """The request handlers, sharing one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.send_updates: dict[str, str | None] = {}

    async def _target(self, request: Request, *, write: bool) -> tuple[Person, Calendar] | Response:
        person = authenticate(request, self.world, CALENDAR_WRITE_SCOPES if write else CALENDAR_SCOPES)
        if isinstance(person, Response):
            return person
        calendar = find_calendar(self.world, person, request.path_params["calendar_id"])
        if calendar is None:
            return _not_found()
        if write:
            check_writable(calendar)
        return person, calendar

    async def calendar_list(self, request: Request) -> Response:
        person = authenticate(request, self.world, CALENDAR_SCOPES)
        if isinstance(person, Response):
            return person
        max_results = get_int(request.query_params, "maxResults", 100, 1, 250)
        min_role = get_enum(request.query_params, "minAccessRole", _ROLES)
        rank = _ROLES.index(min_role) if min_role else 0
        calendars = sorted(
            (c for c in self.world.calendars.get(person.email, {}).values() if _ROLES.index(c.access_role) >= rank),
            key=lambda c: (not c.primary, c.summary.lower(), c.id),
        )
        offset = page_offset(request.query_params.get("pageToken"))
        body: dict[str, Any] = {"kind": "calendar#calendarList", "etag": _etag(person.email)}
        if offset + max_results < len(calendars):
            body["nextPageToken"] = encode_token({"o": offset + max_results})
        else:
            body["nextSyncToken"] = encode_token({"c": person.email})
        body["items"] = [_list_entry(c) for c in calendars[offset : offset + max_results]]
        return JSONResponse(body)

    async def calendar_list_entry(self, request: Request) -> Response:
        target = await self._target(request, write=False)
        return target if isinstance(target, Response) else JSONResponse(_list_entry(target[1]))

    async def calendar_get(self, request: Request) -> Response:
        target = await self._target(request, write=False)
        if isinstance(target, Response):
            return target
        calendar = target[1]
        return JSONResponse(
            {
                "kind": "calendar#calendar",
                "etag": _etag(calendar.id),
                "id": calendar.id,
                "summary": calendar.summary,
                "timeZone": calendar.time_zone,
                "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
            }
        )

    async def list_events(self, request: Request) -> Response:
        target = await self._target(request, write=False)
        if isinstance(target, Response):
            return target
        return calendar_queries.list_events(self.world, target[1], request.query_params)

    async def get_event(self, request: Request) -> Response:
        target = await self._target(request, write=False)
        if isinstance(target, Response):
            return target
        calendar = target[1]
        # A deleted event is still readable, with status "cancelled", as on Google.
        event = find_event(calendar, request.path_params["event_id"])
        return JSONResponse(render_event(event, calendar.id, _out_zone(request, calendar)))

    async def insert_event(self, request: Request) -> Response:
        target = await self._target(request, write=True)
        if isinstance(target, Response):
            return target
        person, calendar = target
        send, version = _write_params(request)
        body = await _json_body(request)
        event = insert_event(self.world, person, calendar, body, version)
        self.send_updates[event["id"]] = send
        return JSONResponse(render_event(event, calendar.id, ZoneInfo(calendar.time_zone)))

    async def patch_event(self, request: Request) -> Response:
        return await self._rewrite(request, patch=True)

    async def update_event(self, request: Request) -> Response:
        return await self._rewrite(request, patch=False)

    async def _rewrite(self, request: Request, *, patch: bool) -> Response:
        """PATCH (merge into the stored event) or PUT (replace it); a series instance becomes an exception."""
        target = await self._target(request, write=True)
        if isinstance(target, Response):
            return target
        person, calendar = target
        send, version = _write_params(request)
        body = await _json_body(request)
        event_id = request.path_params["event_id"]
        merged = _merge_patch(find_event(calendar, event_id), body) if patch else body
        new = rewrite_event(self.world, person, calendar, event_id, merged, version)
        self.send_updates[event_id] = send
        return JSONResponse(render_event(new, calendar.id, ZoneInfo(calendar.time_zone)))

    async def delete_event(self, request: Request) -> Response:
        target = await self._target(request, write=True)
        if isinstance(target, Response):
            return target
        calendar, event_id = target[1], request.path_params["event_id"]
        send = get_enum(request.query_params, "sendUpdates", _SEND_UPDATES)
        delete_event(self.world, calendar, event_id)
        self.send_updates[event_id] = send
        return Response(status_code=204)

    async def free_busy(self, request: Request) -> Response:
        person = authenticate(request, self.world, CALENDAR_SCOPES)
        if isinstance(person, Response):
            return person
        return calendar_queries.free_busy(self.world, person, await _json_body(request))


def _write_params(request: Request) -> tuple[str | None, int]:
    send = get_enum(request.query_params, "sendUpdates", _SEND_UPDATES)
    version = get_int(request.query_params, "conferenceDataVersion", 0, 0, 1, strict=True)
    return send, version


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise EventError(400, "Parse Error", "parseError")
    return body


def _merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google's patch semantics: objects merge recursively, arrays are replaced, null clears."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def _out_zone(request: Request, calendar: Calendar) -> ZoneInfo:
    zone = zone_or_none(request.query_params.get("timeZone", calendar.time_zone))
    if zone is None:
        raise ParamError(invalid_parameter("timeZone", "Invalid time zone definition."))
    return zone


def _etag(seed: str) -> str:
    return f'"{zlib.crc32(seed.encode()) * 1000}"'


def _list_entry(calendar: Calendar) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": _etag(calendar.id),
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
        "colorId": "14" if calendar.primary else "8",
        "backgroundColor": "#9fe1e7" if calendar.primary else "#16a765",
        "foregroundColor": "#000000",
        "selected": True,
        "accessRole": calendar.access_role,
        "defaultReminders": [],
    }
    if calendar.primary:
        entry["primary"] = True
    entry["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
    return entry
