"""Request plumbing shared by the Gmail sandbox routes: scopes, errors, parameters, JSON bodies, paging.

Validation mirrors Google's front end: unknown query parameters and unknown JSON fields are
rejected, integers, booleans and enums are checked, and errors use Google's error envelope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.common import authenticate
from sandbox.gmail.errors import ApiError as ApiError
from sandbox.gmail.errors import not_found as not_found
from sandbox.gmail.store import GmailState
from sandbox.world import Mailbox, Person

_AUTH = "https://www.googleapis.com/auth/"
MAIL = "https://mail.google.com/"
MODIFY, READONLY, METADATA = _AUTH + "gmail.modify", _AUTH + "gmail.readonly", _AUTH + "gmail.metadata"
COMPOSE, SEND, LABELS = _AUTH + "gmail.compose", _AUTH + "gmail.send", _AUTH + "gmail.labels"
SETTINGS_BASIC = _AUTH + "gmail.settings.basic"
INSERT = _AUTH + "gmail.insert"
# Which scopes each kind of call accepts, per the Gmail API reference.
READ_SCOPES = (MAIL, MODIFY, READONLY, METADATA)
BODY_SCOPES = (MAIL, MODIFY, READONLY)  # full/raw formats, attachments and `q`
MODIFY_SCOPES = (MAIL, MODIFY)
SEND_SCOPES = (MAIL, MODIFY, COMPOSE, SEND)
INSERT_SCOPES = (MAIL, MODIFY, INSERT)
DRAFT_READ_SCOPES = (MAIL, MODIFY, READONLY, COMPOSE)
DRAFT_WRITE_SCOPES = (MAIL, MODIFY, COMPOSE)
LABEL_READ_SCOPES = (MAIL, MODIFY, READONLY, METADATA, LABELS)
LABEL_WRITE_SCOPES = (MAIL, MODIFY, LABELS)
PROFILE_SCOPES = (MAIL, MODIFY, READONLY, METADATA, COMPOSE)
SETTINGS_READ_SCOPES = (MAIL, MODIFY, READONLY, SETTINGS_BASIC)

# System parameters every Google API accepts besides a method's own.
_STANDARD_PARAMS = frozenset(
    "fields alt key prettyPrint quotaUser userIp access_token oauth_token callback upload_protocol"
    " uploadType $.xgafv".split()
)
MESSAGE_FIELDS = frozenset(
    {"id", "threadId", "labelIds", "snippet", "historyId", "internalDate", "payload", "sizeEstimate", "raw"}
)
_TOKEN_STEP, _TOKEN_BASE = 7919, 104729  # page tokens: an offset dressed as an opaque number

T = TypeVar("T")


class GoogleJSONResponse(JSONResponse):
    """JSON with the media type Google's front end sends."""

    media_type = "application/json; charset=UTF-8"


Handler = Callable[[GmailState, Request], Awaitable[Response]]


def endpoint(state: GmailState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running `handler` with the Gmail state, answering `ApiError`s."""

    async def run(request: Request) -> Response:
        try:
            return await handler(state, request)
        except ApiError as error:
            return error.response

    return run


@dataclass(frozen=True)
class Caller:
    """The authenticated person, their mailbox and the scopes their token carries."""

    person: Person
    mailbox: Mailbox
    scopes: frozenset[str]

    def can_read_bodies(self) -> bool:
        """False for a gmail.metadata-only token, which sees headers and labels but no content."""
        return bool(self.scopes.intersection(BODY_SCOPES))


def authorize(state: GmailState, request: Request, scopes: tuple[str, ...], params: Sequence[str] = ()) -> Caller:
    """Authenticate, check `userId` and the query parameters; raise `ApiError` as Google would."""
    found = authenticate(request, state.world, scopes)
    if isinstance(found, Response):
        raise ApiError.of(found)
    user_id: str = request.path_params.get("userId", "me")
    if user_id != "me" and user_id.casefold() != found.email.casefold():
        raise ApiError(403, f"Delegation denied for {user_id}", "forbidden")
    for name in request.query_params:
        if name not in params and name not in _STANDARD_PARAMS:
            raise ApiError(
                400,
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                f"Field '{name}' could not be found in request message.",
                "invalid",
            )
    token = request.headers["authorization"].partition(" ")[2].strip()
    live = state.world.access_tokens[token]
    return Caller(found, state.mailbox(found.email), frozenset(live.scopes))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _invalid(name: str, kind: str, value: str) -> ApiError:
    return ApiError(400, f"Invalid value at '{_snake(name)}' ({kind}), \"{value}\"", "invalid")


def int_param(request: Request, name: str, default: int, maximum: int) -> int:
    """An unsigned integer parameter; 0 means unset (proto3), values over `maximum` are capped."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise _invalid(name, "TYPE_UINT32", value)
    return min(int(value), maximum) or default


def bool_param(request: Request, name: str) -> bool:
    """A boolean parameter (default false)."""
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise _invalid(name, "TYPE_BOOL", value)
    return value in ("true", "1")


def format_param(request: Request, allowed: Sequence[str]) -> str:
    """The `format` enum, lower-cased (Google takes either case); default full."""
    value = request.query_params.get("format", "full")
    if value.lower() not in allowed:
        raise _invalid("format", "type.googleapis.com/google.apps.gmail.v1.Format", value)
    return value.lower()


def page(request: Request, items: Sequence[T]) -> tuple[Sequence[T], str | None]:
    """One page of `items` per `maxResults` (default 100, at most 500) and `pageToken`."""
    size = int_param(request, "maxResults", 100, 500)
    token = request.query_params.get("pageToken")
    offset = 0
    if token:
        number = int(token) - _TOKEN_BASE if token.isdigit() else -1
        if number < 0 or number % _TOKEN_STEP:
            raise ApiError(400, "Invalid pageToken", "invalid")
        offset = number // _TOKEN_STEP
    end = offset + size
    next_token = f"{end * _TOKEN_STEP + _TOKEN_BASE:020d}" if end < len(items) else None
    return items[offset:end], next_token


async def json_body(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    """The request's JSON object (empty body: {}), rejecting fields the resource does not have."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received. Unexpected token.", "parseError") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON payload received. Root element must be a message.", "invalid")
    body = cast(dict[str, Any], data)
    check_fields(body, allowed)
    return body


def check_fields(body: dict[str, Any], allowed: frozenset[str]) -> None:
    """Reject a JSON object field that the resource does not define, as Google does."""
    for name in body:
        if name not in allowed:
            raise ApiError(400, f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.', "invalid")


def string_list(body: dict[str, Any], name: str) -> list[str]:
    """A repeated string field of a JSON body (absent: empty)."""
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in cast(list[Any], value)):
        raise ApiError(400, f"Invalid value at '{_snake(name)}': expected a list of strings", "invalid")
    return cast(list[str], value)
