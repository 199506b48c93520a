"""Gmail's batch endpoint: `POST /batch/gmail/v1` carrying up to 100 HTTP requests as multipart/mixed.

Each part is dispatched in order, in-process, to the Gmail app itself, with the outer request's
Authorization unless the part brings its own; the answer is one multipart/mixed body whose parts
carry `Content-ID: <response-…>` like Google's. `GmailState.batch_part_limit` reproduces Gmail's
per-part 429 "Too many concurrent requests for user." for the parts past the limit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message

from sandbox.common import google_error
from sandbox.gmail.store import GmailState

MAX_PARTS = 100
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")


@dataclass
class _Part:
    """One inner request and its Content-ID; `method` stays empty when the request line is unreadable."""

    content_id: str | None
    method: str = ""
    target: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class _Answer:
    status: int
    content_type: str | None
    body: bytes


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    found = _BLANK_LINE.search(data)
    return (data, b"") if found is None else (data[: found.start()], data[found.end() :])


def _header_lines(head: bytes) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in _LINE_END.split(head):
        name, sep, value = line.decode("latin-1").partition(":")
        if sep and name.strip():
            headers.append((name.strip(), value.strip()))
    return headers


def _boundary(content_type: str) -> str | None:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/mixed":
        return None
    found = re.search(r'boundary\s*=\s*"?([^";]+)"?', params, re.IGNORECASE)
    return found.group(1).strip() if found else None


def _split_parts(body: bytes, boundary: str) -> list[bytes]:
    """The encapsulated parts between the boundary delimiters (preamble and epilogue dropped)."""
    parts: list[bytes] = []
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = re.sub(rb"^[ \t]*\r?\n", b"", chunk, count=1)
        parts.append(re.sub(rb"\r?\n$", b"", chunk, count=1))
    return parts


def _parse_part(data: bytes) -> _Part:
    head, http = _split_head(data)
    outer = {name.lower(): value for name, value in _header_lines(head)}
    content_id = outer.get("content-id")
    part = _Part(content_id.strip().strip("<>") if content_id else None)
    request_head, part.body = _split_head(http.lstrip(b"\r\n"))
    lines = _LINE_END.split(request_head)
    words = lines[0].decode("latin-1").split()
    if len(words) >= 2:
        part.method, part.target = words[0].upper(), words[1]
        part.headers = _header_lines(b"\n".join(lines[1:]))
    return part


async def _dispatch(app: ASGIApp, part: _Part, authorization: str | None, root_path: str) -> _Answer:
    """Run one inner request through the Gmail app and collect its response."""
    target = part.target
    if "://" in target:  # an absolute URL: keep its path and query
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    path, _, query = target.partition("?")
    if root_path and path.startswith(root_path + "/gmail/v1/"):
        path = path[len(root_path) :]  # the client wrote the path with our mount prefix
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in part.headers]
    if authorization and all(name != b"authorization" for name, _ in headers):
        headers.append((b"authorization", authorization.encode("latin-1")))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": part.method,
        "scheme": "https",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": None,
        "server": None,
    }
    delivered = False
    answer = _Answer(500, None, b"")

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": part.body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    answer.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


def _error(code: int, message: str, reason: str | None = None) -> _Answer:
    return _Answer(code, "application/json", bytes(google_error(code, message, reason).body))


def _render(answers: list[tuple[str | None, _Answer]]) -> Response:
    boundary = "batch_" + secrets.token_hex(12)
    out = bytearray()
    for content_id, answer in answers:
        out += f"--{boundary}\r\nContent-Type: application/http\r\n".encode()
        if content_id:
            out += f"Content-ID: <response-{content_id}>\r\n".encode("latin-1")
        phrase = HTTPStatus(answer.status).phrase
        out += f"\r\nHTTP/1.1 {answer.status} {phrase}\r\n".encode()
        if answer.content_type and answer.body:
            json_type = answer.content_type.startswith("application/json")
            content_type = "application/json; charset=UTF-8" if json_type else answer.content_type
            out += f"Content-Type: {content_type}\r\n".encode("latin-1")
        out += b"\r\n" + answer.body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return Response(bytes(out), media_type=f"multipart/mixed; boundary={boundary}")


async def batch(state: GmailState, request: Request) -> Response:
    """POST /batch/gmail/v1: run each part against this Gmail app, answer them in order."""
    boundary = _boundary(request.headers.get("content-type", ""))
    parts = _split_parts(await request.body(), boundary) if boundary else []
    if not parts:
        return google_error(400, "Invalid multipart request with 0 mime parts.", "badRequest")
    if len(parts) > MAX_PARTS:
        return google_error(400, f"A batch request cannot contain more than {MAX_PARTS} calls.", "badRequest")
    if state.app is None:
        raise RuntimeError("the Gmail state has no app to dispatch batch parts to")
    authorization = request.headers.get("authorization")
    limit = state.batch_part_limit
    answers: list[tuple[str | None, _Answer]] = []
    for index, data in enumerate(parts):
        part = _parse_part(data)
        if not part.method:
            answer = _error(400, "Invalid HTTP request line in batch part.")
        elif limit is not None and index >= limit:
            answer = _error(429, "Too many concurrent requests for user.", "rateLimitExceeded")
        else:
            answer = await _dispatch(state.app, part, authorization, request.scope.get("root_path", ""))
        answers.append((part.content_id, answer))
    return _render(answers)
