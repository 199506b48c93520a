"""Every tool call leaves an audit event (who, which tool, outcome kind, duration) and never its content."""

from pathlib import Path

import sqlalchemy as sa

from app.storage import tables as t
from app.storage.db import create_engine
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.support.mcp_session import mcp_session
from tests.support.stack import running_stack


async def test_tool_calls_are_audited_with_outcome_kinds_and_no_content(tmp_path: Path, sandbox: SandboxServer) -> None:
    # gmail_modify is served over REST only; the injected failure is a Gmail REST answer.
    with running_stack(tmp_path, sandbox, google_access="rest") as stack:
        async with mcp_session(stack, ALICE) as alice:
            await alice.ok("whoami")
            await alice.ok("gmail_search", {"query": "from:priya secret-words-here"})
            stack.sandbox.faults.fail_next("/gmail", 100, 503)
            await alice.error("gmail_search", {"query": "in:inbox"})
            await alice.error("gmail_modify", {"message_ids": ["x"]})
            await alice.error("fathom_list_meetings", {})  # refused before the tool runs: no Fathom key
            await alice.error("gmail_search", {"max_results": "many"})  # invalid arguments
        settings = stack.settings
    engine = create_engine(settings.database_url)  # the server has stopped: its last batch is written
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(t.audit_events).order_by(t.audit_events.c.id))).all()
            user_id = (await conn.execute(sa.select(t.users.c.id))).scalar_one()
    finally:
        await engine.dispose()
    assert [(r.tool, r.outcome) for r in rows] == [
        ("whoami", "ok"),
        ("gmail_search", "ok"),
        ("gmail_search", "upstream_error"),
        ("gmail_modify", "tool_error"),
        ("fathom_list_meetings", "invalid_or_refused"),
        ("gmail_search", "invalid_or_refused"),
    ]
    assert all(r.user_id == user_id and r.duration_ms >= 0 for r in rows)
    assert "secret-words-here" not in repr(rows)
