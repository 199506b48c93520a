"""Gmail's batch endpoint: many GETs in one `multipart/mixed` request, and parsing the answer."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class PartResponse:
    content_id: str
    status: int
    body: Any
    retry_after: float | None


def encode_batch(paths: dict[str, str]) -> tuple[str, bytes]:
    """The multipart body for GETs keyed by content id; returns (content type, body)."""
    boundary = "batch_" + secrets.token_hex(12)
    lines: list[str] = []
    for content_id, path in paths.items():
        lines += [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <{content_id}>",
            "",
            f"GET {path} HTTP/1.1",
            "",
            "",
        ]
    lines.append(f"--{boundary}--")
    return f"multipart/mixed; boundary={boundary}", "\r\n".join(lines).encode()


def get_path(base_path: str, params: list[tuple[str, str]]) -> str:
    return f"{base_path}?{urlencode(params)}" if params else base_path


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})")


def parse_batch(content_type: str, body: bytes) -> list[PartResponse]:
    """Split a batch response into one `PartResponse` per inner response.

    Each outer part is `Content-Type: application/http` with a `Content-ID: <response-ID>`,
    then an HTTP status line, headers, a blank line and a JSON body.
    """
    match = _BOUNDARY.search(content_type)
    if not match:
        raise ValueError("batch response has no multipart boundary")
    delimiter = b"--" + match.group(1).encode()
    results: list[PartResponse] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        outer_headers, inner = _split_head(chunk.strip(b"\r\n"))
        content_id = _header(outer_headers, "content-id").strip("<>")
        content_id = content_id.removeprefix("response-")
        inner_head, inner_body = _split_head(inner)
        head_lines = inner_head.splitlines()
        status_match = _STATUS_LINE.match(head_lines[0] if head_lines else "")
        if not status_match:
            raise ValueError("batch part without an HTTP status line")
        retry = _header(inner_head, "retry-after")
        text = inner_body.strip().decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        results.append(
            PartResponse(
                content_id=content_id,
                status=int(status_match.group(1)),
                body=parsed,
                retry_after=float(retry) if retry.replace(".", "", 1).isdigit() else None,
            )
        )
    return results


def _split_head(block: bytes) -> tuple[str, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, rest = block.partition(separator)
        if found:
            return head.decode("latin-1"), rest
    return block.decode("latin-1"), b""


def _header(head: str, name: str) -> str:
    prefix = name.lower() + ":"
    for line in head.splitlines():
        if line.lower().startswith(prefix):
            return line[len(prefix) :].strip()
    return ""
