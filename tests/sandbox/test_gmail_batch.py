"""The sandbox Gmail batch endpoint: multipart/mixed in, one answer per part out, in order."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sandbox.gmail.api import set_batch_part_limit
from tests.sandbox.gmail_world import ALICE, API, BOB, MODIFY, GmailWorld, build

BATCH = "/gmail/batch/gmail/v1"


@pytest.fixture
def gw() -> GmailWorld:
    return build()


def batch_body(requests: list[str], boundary: str = "===sb===", extra_headers: str = "") -> bytes:
    parts = [
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{i}>\r\n\r\n"
        f"{request}\r\n{extra_headers}\r\n"
        for i, request in enumerate(requests, 1)
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def post_batch(gw: GmailWorld, requests: list[str], headers: dict[str, str] | None = None, extra: str = "") -> Any:
    all_headers = {"Content-Type": 'multipart/mixed; boundary="===sb==="'} | (
        gw.headers() if headers is None else headers
    )
    return gw.client.post(BATCH, content=batch_body(requests, extra_headers=extra), headers=all_headers)


def answers(response: Any) -> list[tuple[str | None, int, Any]]:
    """(Content-ID, status, JSON body or None) for each part of a batch response."""
    boundary = re.search(r"boundary=(\S+)", response.headers["content-type"]).group(1)
    assert boundary.startswith("batch_")
    found = []
    for chunk in response.content.split(f"--{boundary}".encode())[1:-1]:
        outer, _, http = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        assert b"Content-Type: application/http" in outer
        content_id = re.search(rb"Content-ID: <(.+)>", outer)
        head, _, body = http.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        if body.strip():
            assert b"Content-Type: application/json; charset=UTF-8" in head
        found.append(
            (content_id.group(1).decode() if content_id else None, status, json.loads(body) if body.strip() else None)
        )
    return found


def metadata_get(message_id: str) -> str:
    return f"GET {API}/messages/{message_id}?format=metadata&metadataHeaders=From HTTP/1.1"


def test_batch_of_30_metadata_gets_answers_30_parts_in_order_with_content_ids(gw: GmailWorld) -> None:
    names = ["plain", "html", "multi", "attach", "sent"] * 6
    response = post_batch(gw, [metadata_get(gw.ids[name]) for name in names])
    assert response.status_code == 200
    parts = answers(response)
    assert [p[0] for p in parts] == [f"response-item{i}" for i in range(1, 31)]
    assert all(status == 200 for _, status, _ in parts)
    assert [body["id"] for _, _, body in parts] == [gw.ids[name] for name in names]
    assert all([h["name"] for h in body["payload"]["headers"]] == ["From"] for _, _, body in parts)


def test_batch_part_limit_answers_later_parts_with_per_part_429(gw: GmailWorld) -> None:
    set_batch_part_limit(gw.app, 3)
    parts = answers(post_batch(gw, [metadata_get(gw.ids["plain"])] * 5))
    assert [status for _, status, _ in parts] == [200, 200, 200, 429, 429]
    error = parts[4][2]["error"]
    assert error["message"] == "Too many concurrent requests for user."
    assert error["errors"][0]["reason"] == "rateLimitExceeded"
    set_batch_part_limit(gw.app, None)
    assert all(status == 200 for _, status, _ in answers(post_batch(gw, [metadata_get(gw.ids["plain"])] * 5)))


def test_batch_over_100_parts_is_rejected_whole(gw: GmailWorld) -> None:
    response = post_batch(gw, [metadata_get(gw.ids["plain"])] * 101)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400


def test_batch_parts_fail_one_by_one_and_carry_post_bodies(gw: GmailWorld) -> None:
    modify = f"POST {API}/messages/{gw.ids['plain']}/modify HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
    modify += json.dumps({"removeLabelIds": ["UNREAD"]})
    parts = answers(post_batch(gw, [metadata_get("18c0ffffffffffff"), modify, f"GET {API}/labels/INBOX"]))
    assert [status for _, status, _ in parts] == [404, 200, 200]
    assert parts[1][2]["labelIds"] == ["INBOX"]


def test_batch_uses_the_outer_token_unless_a_part_brings_its_own(gw: GmailWorld) -> None:
    bob = gw.headers(BOB, (MODIFY,))["Authorization"]
    own = f"GET {API}/profile HTTP/1.1\r\nAuthorization: {bob}"
    parts = answers(post_batch(gw, [f"GET {API}/profile HTTP/1.1", own]))
    assert [body["emailAddress"] for _, _, body in parts] == [ALICE, BOB]
    unauthenticated = answers(post_batch(gw, [f"GET {API}/profile HTTP/1.1"], headers={}))
    assert unauthenticated[0][1] == 401


def test_batch_accepts_paths_written_with_the_mount_prefix(gw: GmailWorld) -> None:
    parts = answers(post_batch(gw, [f"GET /gmail{API}/messages/{gw.ids['plain']}?format=minimal HTTP/1.1"]))
    assert parts[0][1] == 200 and parts[0][2]["id"] == gw.ids["plain"]


def test_batch_without_a_multipart_body_is_400(gw: GmailWorld) -> None:
    response = gw.client.post(BATCH, content=b"{}", headers=gw.headers() | {"Content-Type": "application/json"})
    assert response.status_code == 400
