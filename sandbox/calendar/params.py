"""Query-parameter parsing for the sandbox calendar, refusing bad values the way Google's front end does."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from sandbox.calendar.times import parse_rfc3339
from sandbox.common import google_error


class ParamError(Exception):
    """A parameter Google would refuse; `response` is the 400 it would send."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__("bad parameter")
        self.response = response


def invalid_parameter(name: str, message: str) -> JSONResponse:
    """Google's 400 for a malformed parameter, naming the parameter."""
    error = {
        "domain": "global",
        "reason": "invalidParameter",
        "message": message,
        "locationType": "parameter",
        "location": name,
    }
    body = {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "errors": [error]}}
    return JSONResponse(body, status_code=400)


def bad_request(message: str = "Bad Request", reason: str = "badRequest") -> ParamError:
    """Google's plain 400, to raise."""
    return ParamError(google_error(400, message, reason))


def get_bool(params: QueryParams, name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise ParamError(invalid_parameter(name, f"Invalid boolean value: '{value}'."))
    return value.lower() == "true"


def get_int(params: QueryParams, name: str, default: int, minimum: int, cap: int, *, strict: bool = False) -> int:
    """An integer parameter: below `minimum` refused; above `cap` capped like Google (`strict`: refused)."""
    value = params.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ParamError(invalid_parameter(name, f"Invalid integer value: '{value}'.")) from None
    if number < minimum or (strict and number > cap):
        message = f"Invalid value '{value}'. Values must be within the range: [{minimum}, {cap}]"
        raise ParamError(invalid_parameter(name, message))
    return min(number, cap)


def get_enum(params: QueryParams, name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        pattern = "|".join(allowed)
        message = f"Invalid value '{value}'. Values must match the following regular expression: '{pattern}'"
        raise ParamError(invalid_parameter(name, message))
    return value


def get_time(params: QueryParams, name: str) -> datetime | None:
    """An RFC 3339 parameter; Google answers a bare 400 "Bad Request" when the offset is missing."""
    value = params.get(name)
    if value is None:
        return None
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise bad_request()
    return parsed


def encode_token(data: dict[str, Any]) -> str:
    """An opaque page or sync token."""
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        return None
    return data if isinstance(data, dict) else None


def page_offset(token: str | None) -> int:
    """The position a page token points at (0 without one)."""
    if token is None:
        return 0
    data = decode_token(token)
    offset = data.get("o") if data else None
    if not isinstance(offset, int) or offset < 0:
        raise bad_request("Invalid page token value.", "invalid")
    return offset
