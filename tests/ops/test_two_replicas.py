"""Two server processes on one PostgreSQL behave as one server: the multi-replica mode."""

import asyncio
import re
from collections import Counter
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from sandbox.seed import ALICE, BEN
from sandbox.server import SandboxServer
from sandbox.serving import free_port
from tests.conftest import TEST_REDIS_URL
from tests.support.mcp_session import mcp_session
from tests.support.oauth_flow import Flow, mcp_request, mcp_status
from tests.support.process import start_server
from tests.support.settings import make_settings
from tests.support.stack import running_stack

REVOCATION_DELAY = 5.0  # documented: other replicas may accept a revoked token for up to this long


class Alternating(httpx2.AsyncBaseTransport):
    """Sends each request to the next replica in turn, as a round-robin load balancer would."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.inner = httpx2.AsyncHTTPTransport()
        self.turn = 0
        self.hits: Counter[int] = Counter()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        self.hits[port] += 1
        request.url = request.url.copy_with(port=port)
        request.headers["host"] = f"127.0.0.1:{port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Replica:
    def __init__(self, url: str) -> None:
        self.url, self.mcp_url = url, f"{url}/mcp"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_share_sign_in_tokens_revocation_and_google_refreshes(
    tmp_path: Path, database_url: tuple[str, str | None], sandbox: SandboxServer
) -> None:
    url, schema = database_url
    ports = [free_port(), free_port()]
    public = f"http://127.0.0.1:{ports[0]}"  # both replicas sit behind one public URL
    upstream = {k.lower(): v for k, v in sandbox.settings_env().items()}
    settings = make_settings(
        tmp_path, public_url=public, database_url=f"{url}?options=-csearch_path%3D{schema}", **upstream
    )
    servers = [start_server(settings, port, tmp_path / f"replica-{port}.log") for port in ports]
    try:
        a, b = Replica(servers[0].url), Replica(servers[1].url)
        async with httpx2.AsyncClient(timeout=20) as http:
            flow = Flow(a, http)  # type: ignore[arg-type]  # the OAuth flow on replica A only
            access = (await flow.sign_in(ALICE))["access_token"]

            # Tool calls alternate between the replicas.
            balancer = Alternating(ports)
            headers = {"Authorization": f"Bearer {access}"}
            async with httpx2.AsyncClient(transport=balancer, headers=headers, timeout=30) as mcp_http:
                async with Client(streamable_http_client(f"{public}/mcp", http_client=mcp_http)) as client:
                    for _ in range(3):
                        result = await client.call_tool("gmail_search", {"query": "in:inbox", "max_results": 2})
                        assert not result.is_error, result.content
                        assert not (await client.call_tool("whoami", {})).is_error
            assert balancer.hits[ports[0]] >= 3 and balancer.hits[ports[1]] >= 3

            # A Google refresh racing on both replicas loses nothing.
            engine = create_engine(url, schema=schema)
            store = Store(engine, KeyRing(settings.encryption_keys))
            try:
                user = await store.get_user_by_email(ALICE)
                assert user is not None
                before = await store.get_google_grant(user.id)
                assert before is not None
                sandbox.world.expire_all_access_tokens()
                refreshes = len(sandbox.faults.requests("/google/token"))
                statuses = await asyncio.gather(*(_search(r, access) for r in (a, b) * 5))
                assert statuses == [200] * 10
                assert len(sandbox.faults.requests("/google/token")) - refreshes <= 2
                after = await store.get_google_grant(user.id)
                assert after is not None and after.status == "active"
                assert after.token["refresh_token"] == before.token["refresh_token"]
            finally:
                await engine.dispose()

            # Revoked on A: refused by A at once, and by B once its cache of verified tokens lapses
            # (the documented delay). The wait is bounded well beyond it so a loaded runner cannot
            # turn a correct replica into a failure; what is asserted is the refusal, not a duration.
            assert await mcp_status(b, access) == 200  # type: ignore[arg-type]  # B has it cached now
            revoked = await http.post(
                f"{a.url}/revoke",
                data={"token": access, "client_id": flow.client_id, "client_secret": flow.client_secret or ""},
            )
            assert revoked.status_code == 200
            assert await mcp_status(a, access) == 401  # type: ignore[arg-type]
            with anyio.fail_after(3 * REVOCATION_DELAY):
                while await mcp_status(b, access) != 401:  # type: ignore[arg-type]  # noqa: ASYNC110
                    await anyio.sleep(0.25)
    finally:
        for server in servers:
            server.stop()


async def _search_text(replica: Replica, access: str) -> str:
    """ "ok", or what the tool answered instead."""
    arguments = {"name": "gmail_search", "arguments": {"query": "in:inbox", "max_results": 1}}
    result = (await mcp_request(replica.mcp_url, access, "tools/call", arguments)).json()["result"]
    return result["content"][0]["text"] if result["isError"] else "ok"


async def _search(replica: Replica, access: str) -> int:
    arguments = {"name": "gmail_search", "arguments": {"query": "in:inbox", "max_results": 1}}
    response = await mcp_request(replica.mcp_url, access, "tools/call", arguments)
    if response.status_code != 200 or response.json()["result"]["isError"]:
        return 500
    return 200


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_with_redis_two_replicas_share_rate_limits_revoke_within_a_second_and_refresh_once(
    tmp_path: Path, database_url: tuple[str, str | None], sandbox: SandboxServer
) -> None:
    url, schema = database_url
    ports = [free_port(), free_port()]
    public = f"http://127.0.0.1:{ports[0]}"
    upstream = {k.lower(): v for k, v in sandbox.settings_env().items()}
    settings = make_settings(
        tmp_path,
        public_url=public,
        database_url=f"{url}?options=-csearch_path%3D{schema}",
        redis_url=TEST_REDIS_URL,
        tool_calls_per_minute=10,
        **upstream,
    )
    servers = [start_server(settings, port, tmp_path / f"replica-{port}.log") for port in ports]
    try:
        a, b = Replica(servers[0].url), Replica(servers[1].url)
        async with httpx2.AsyncClient(timeout=20) as http:
            alice = await Flow(a, http).sign_in(ALICE)  # type: ignore[arg-type]
            ben_flow = Flow(b, http)  # type: ignore[arg-type]
            ben = (await ben_flow.sign_in(BEN))["access_token"]

            # Ten calls a minute for Alice, counted across both replicas together.
            answers = [await _search_text((a, b)[n % 2], alice["access_token"]) for n in range(12)]
            assert answers[:10] == ["ok"] * 10, answers
            limited = "Rate limit: at most 10 tool calls per minute"
            assert all(text.startswith(limited) for text in answers[10:]), answers

            # Ben's Google token expires; calls race on both replicas; Google sees one refresh.
            sandbox.world.expire_all_access_tokens()
            refreshes = len(sandbox.faults.requests("/google/token"))
            statuses = await asyncio.gather(*(_search(r, ben) for r in (a, b) * 3))
            assert statuses == [200] * 6
            assert len(sandbox.faults.requests("/google/token")) - refreshes == 1

            # Revoked through /revoke on B: A, which has Ben's token cached, refuses it within a second.
            assert await mcp_status(a, ben) == 200  # type: ignore[arg-type]
            client = {"client_id": ben_flow.client_id, "client_secret": ben_flow.client_secret or ""}
            revoked = await http.post(f"{b.url}/revoke", data={"token": ben, **client})
            assert revoked.status_code == 200
            with anyio.fail_after(1.0):
                while await mcp_status(a, ben) != 401:  # type: ignore[arg-type]  # noqa: ASYNC110
                    await anyio.sleep(0.05)
    finally:
        for server in servers:
            server.stop()


async def test_a_redis_that_does_not_answer_degrades_to_per_replica_limits_and_never_refuses_calls(
    tmp_path: Path, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    overrides: dict[str, object] = {"redis_url": closed, "tool_calls_per_minute": 3, "metrics_token": "m-token-123"}
    with running_stack(tmp_path, sandbox, **overrides) as stack:
        async with mcp_session(stack, ALICE) as alice:
            answers = [await alice.call("whoami") for _ in range(4)]
        async with httpx2.AsyncClient() as http:
            metrics = (await http.get(f"{stack.url}/metrics", headers={"Authorization": "Bearer m-token-123"})).text
    assert [is_error for _text, is_error in answers] == [False, False, False, True]
    assert "Rate limit: at most 3 tool calls per minute" in answers[3][0]
    errors = re.findall(r'^switchboard_shared_state_errors_total\{operation="\w+"\} (\S+)$', metrics, re.M)
    assert 1 <= sum(float(n) for n in errors) <= 2, errors  # after a failure, Redis is left alone a while
    warnings = [r.message for r in caplog.records if "REDIS_URL" in r.message]
    assert len(warnings) == 1 and warnings[0].startswith("Redis at REDIS_URL is not answering ("), warnings
