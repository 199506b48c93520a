"""Fault injection and the request log, around a tiny echo app standing in for the sandbox services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import FaultState, LoggedRequest, SandboxFaults


async def echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"path": request.url.path, "body": body.decode()})


def make_app(state: FaultState) -> SandboxFaults:
    paths = [
        "/gmail/gmail/v1/users/me/messages",
        "/fathom/external/v1/meetings",
        "/google/token",
        "/_sandbox/x",
    ]
    return SandboxFaults(Starlette(routes=[Route(p, echo, methods=["GET", "POST"]) for p in paths]), state)


@pytest.fixture
def state() -> FaultState:
    return FaultState()


@pytest.fixture
async def client(state: FaultState) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(make_app(state))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


GMAIL = "/gmail/gmail/v1/users/me/messages"
FATHOM = "/fathom/external/v1/meetings"


async def test_requests_are_logged_and_their_body_still_reaches_the_app(
    client: httpx2.AsyncClient, state: FaultState
) -> None:
    response = await client.post(
        GMAIL + "?q=is%3Aunread", content=b'{"raw":"abc"}', headers={"Authorization": "Bearer at-1"}
    )
    assert response.json() == {"path": GMAIL, "body": '{"raw":"abc"}'}
    [logged] = state.requests("/gmail")
    assert (logged.method, logged.path, logged.query) == ("POST", GMAIL, "q=is%3Aunread")
    assert logged.headers["authorization"] == "Bearer at-1"
    assert logged.body == b'{"raw":"abc"}'
    assert logged.status == 200


async def test_fail_next_fails_n_times_then_lets_requests_through(
    client: httpx2.AsyncClient, state: FaultState
) -> None:
    state.fail_next("/gmail", 2, 503)
    statuses = [(await client.get(GMAIL)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [entry.status for entry in state.requests(GMAIL)] == [503, 503, 200]
    assert state.failures == []


async def test_answer_next_answers_the_given_json_then_lets_requests_through(
    client: httpx2.AsyncClient, state: FaultState
) -> None:
    state.answer_next(GMAIL, 1, {"id": "m1", "payload": "not a message part"})
    first, second = (await client.get(GMAIL)), (await client.get(GMAIL))
    assert (first.status_code, first.json()) == (200, {"id": "m1", "payload": "not a message part"})
    assert second.json() == {"path": GMAIL, "body": ""}


async def test_google_failures_use_the_google_error_shape(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("/gmail", 1, 403, "userRateLimitExceeded")
    error = (await client.get(GMAIL)).json()["error"]
    assert error["code"] == 403
    assert error["message"] == "User Rate Limit Exceeded"
    assert error["errors"][0]["reason"] == "userRateLimitExceeded"


async def test_rate_limit_failures_carry_retry_after(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("/gmail", 1, 429, retry_after="7")
    response = await client.get(GMAIL)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"


async def test_unavailable_uses_googles_message(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("", 1, 503)
    assert (await client.get(GMAIL)).json()["error"]["message"] == "The service is currently unavailable."


async def test_fathom_failures_are_plain_json(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("/fathom", 1, 429, retry_after="30")
    response = await client.get(FATHOM)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert set(response.json()) == {"error"}


async def test_token_endpoint_failures_are_oauth_errors(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("/google/token", 1, 400, "invalid_grant")
    response = await client.post("/google/token", data={"grant_type": "refresh_token"})
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


async def test_failures_only_hit_their_prefix(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("/fathom", 1, 500)
    assert (await client.get(GMAIL)).status_code == 200
    assert (await client.get(FATHOM)).status_code == 500


async def test_control_paths_are_neither_logged_nor_faulted(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("", 1, 500)
    assert (await client.get("/_sandbox/x")).status_code == 200
    assert state.log == []
    assert state.failures[0].remaining == 1


async def test_latency_is_applied_and_requests_still_succeed(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.add_latency("/gmail", 0.001)
    assert (await client.get(GMAIL)).status_code == 200
    assert len(state.requests()) == 1


def test_longest_latency_prefix_wins(state: FaultState) -> None:
    state.add_latency("", 1.0)
    state.add_latency("/gmail", 2.0)
    state.add_latency("/gmail/batch", 3.0)
    assert state.delay_for("/gmail/batch/gmail/v1") == 3.0
    assert state.delay_for(GMAIL) == 2.0
    assert state.delay_for("/calendar/v3/users/me/calendarList") == 1.0


def test_the_log_keeps_only_the_newest_entries(state: FaultState) -> None:
    state.max_log = 3
    for n in range(5):
        state.record(LoggedRequest("GET", f"/p{n}", "", {}, b""))
    assert [entry.path for entry in state.requests()] == ["/p2", "/p3", "/p4"]


async def test_clear_forgets_faults_and_log(client: httpx2.AsyncClient, state: FaultState) -> None:
    state.fail_next("", 5, 500)
    await client.get(GMAIL)
    state.add_latency("", 0.5)
    state.clear()
    assert (state.latency, state.failures, state.log) == ({}, [], [])
