"""whoami and the time zone the tools write in, as the model reads them."""

from __future__ import annotations

from sandbox.seed import ALICE
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack

CALENDAR_LIST = "/calendar/v3/users/me/calendarList"


async def test_whoami_speaks_of_connections_never_of_the_inbox(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("whoami")
    assert text.splitlines()[-1] == "Connections needing attention: none."
    assert "Needs attention" not in text  # read by a model as "your inbox needs nothing"


async def test_a_failed_time_zone_lookup_is_not_remembered_as_the_answer(stack: Stack) -> None:
    stack.sandbox.faults.fail_next(CALENDAR_LIST, 1, 404)
    async with mcp_session(stack, ALICE) as alice:
        guessed = await alice.ok("calendar_list_events")
        known = await alice.ok("calendar_list_events")
    assert "(times in UTC;" in guessed
    assert "(times in America/New_York;" in known
    assert len(stack.sandbox.faults.requests(CALENDAR_LIST)) == 2
