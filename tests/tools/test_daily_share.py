"""Each person's daily share of the team's Google requests (GOOGLE_REQUESTS_PER_PERSON_PER_DAY): past it a
tool says what was spent and when it renews, and nothing more reaches Google; replicas on Redis count together."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import CollectorRegistry

from app.metrics import Metrics
from app.shared import SharedState
from app.upstream.errors import ShareSpent
from app.upstream.usage import GoogleUsage
from sandbox.seed import ALICE
from sandbox.seed.people import BEN
from tests.conftest import TEST_REDIS_URL
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, both_backends

SHARE = 5


@pytest.fixture
def stack_settings() -> dict[str, object]:
    return {"google_requests_per_person_per_day": SHARE}


def _gmail_requests(stack: Stack) -> int:
    """What reached Gmail, REST or MCP (these reads send no batches, so one logged request is one request)."""
    rest = [r for r in stack.sandbox.faults.requests("/gmail/gmail/")]
    return len(rest) + len(stack.sandbox.faults.mcp_calls("gmail"))


@both_backends
async def test_past_the_daily_share_a_tool_says_so_and_google_receives_nothing_more(
    stack: Stack, google_access: str
) -> None:
    thread_id = next(iter(stack.sandbox.world.mailboxes[ALICE].messages.values())).thread_id
    async with mcp_session(stack, ALICE) as alice:
        answers = [await alice.call("gmail_read_thread", {"thread_id": thread_id}) for _ in range(SHARE + 1)]
    served = [text for text, is_error in answers if not is_error]
    refused = answers[-1][0]
    assert answers[-1][1] and len(served) >= SHARE // 2, answers
    assert f"Gmail: you have made your {SHARE} requests for today, your share of this team's Google budget" in refused
    assert "renews at midnight Pacific time (" in refused and "UTC). Do not retry;" in refused
    assert refused.rstrip().endswith("your administrator can raise GOOGLE_REQUESTS_PER_PERSON_PER_DAY.")
    assert _gmail_requests(stack) == SHARE  # exactly the share reached Google, nothing past it
    ben_thread = next(iter(stack.sandbox.world.mailboxes[BEN].messages.values())).thread_id
    async with mcp_session(stack, BEN) as ben:  # a share is one person's: Ben's day is untouched
        await ben.ok("gmail_read_thread", {"thread_id": ben_thread})
    assert _gmail_requests(stack) > SHARE


@pytest.mark.redis
async def test_two_replicas_on_redis_count_one_share_together() -> None:
    person = f"user-{uuid.uuid4().hex}"  # a fresh count, whatever earlier runs left in Redis today
    replicas = [
        GoogleUsage(
            CollectorRegistry(), share=3, shared=SharedState(TEST_REDIS_URL, "http://switchboard.test", Metrics())
        )
        for _ in range(2)
    ]
    try:
        for n in range(3):
            await replicas[n % 2].admit("gmail", person)
        with pytest.raises(ShareSpent):
            await replicas[1].admit("gmail", person)
        await replicas[0].admit("calendar", person)  # each product has its own share
    finally:
        for replica in replicas:
            assert replica.shared is not None
            await replica.shared.close()


async def test_without_redis_a_replica_counts_the_share_itself() -> None:
    usage = GoogleUsage(CollectorRegistry(), share=1)
    await usage.admit("gmail", "someone")
    with pytest.raises(ShareSpent):
        await usage.admit("gmail", "someone")
    await usage.admit("gmail", "someone else")
