"""Gmail's media upload for large messages: `/upload/gmail/v1/users/{userId}/messages/send` and `/drafts`.

`uploadType=multipart` takes a `multipart/related` body (the JSON metadata, then the message as
`message/rfc822`); `uploadType=media` takes the message alone. Up to 35 MB, where the JSON `raw`
form of the same methods stops at 5 MB.
"""

from __future__ import annotations

import json
from email.message import Message
from typing import Any, cast

from starlette.requests import Request

from sandbox.gmail.http import ApiError

SIMPLE_LIMIT = 5 * 1024 * 1024  # a JSON request body
UPLOAD_LIMIT = 35 * 1024 * 1024  # messages.send / drafts.create mediaUpload maxSize


async def check_simple_size(request: Request) -> None:
    """Refuse a JSON body over the non-upload limit, as Google's front end does."""
    if len(await request.body()) > SIMPLE_LIMIT:
        raise ApiError(413, f"Request payload size exceeds the limit: {SIMPLE_LIMIT} bytes.", "badRequest")


def _parts(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """(content type, content) of each part of a multipart body."""
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ApiError(400, "Multipart body has no boundary.", "badContent")
    found: list[tuple[str, bytes]] = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise ApiError(400, "Malformed multipart body.", "badContent")
        part = Message()
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                part[name.strip()] = value.strip()
        found.append((part.get_content_type(), content.removesuffix(b"\r\n")))
    return found


async def uploaded(request: Request) -> tuple[dict[str, Any], bytes]:
    """The metadata (JSON object, maybe empty) and the RFC 822 message of an upload request."""
    upload_type = request.query_params.get("uploadType")
    body = await request.body()
    if len(body) > UPLOAD_LIMIT:
        raise ApiError(413, f"Request payload size exceeds the limit: {UPLOAD_LIMIT} bytes.", "uploadTooLarge")
    if upload_type == "media":
        return {}, body
    if upload_type != "multipart":
        raise ApiError(400, "Upload requests must specify uploadType=media or uploadType=multipart.", "badRequest")
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/related"):
        raise ApiError(400, "Multipart upload requires a multipart/related body.", "badContent")
    parts = _parts(content_type, body)
    if len(parts) != 2 or parts[0][0] != "application/json" or parts[1][0] != "message/rfc822":
        raise ApiError(400, "Multipart upload needs the JSON metadata, then the message/rfc822 media.", "badContent")
    try:
        metadata = json.loads(parts[0][1] or b"{}")
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received.", "parseError") from None
    if not isinstance(metadata, dict):
        raise ApiError(400, "Invalid JSON payload received. Root element must be a message.", "invalid")
    return cast(dict[str, Any], metadata), parts[1][1]
