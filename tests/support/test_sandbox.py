"""The shared sandbox: whatever one test changes, the next test starts from the world as seeded."""

from __future__ import annotations

import base64

import httpx2

from app.config import DEFAULT_SCOPES
from sandbox.gmail.api import gmail_state, set_batch_part_limit
from sandbox.seed import ALICE
from tests.support.sandbox import SharedSandbox


async def test_a_fresh_sandbox_forgets_sent_mail_tokens_revocations_faults_and_rate_limits(
    shared_sandbox: SharedSandbox,
) -> None:
    sandbox = shared_sandbox.fresh()
    world = sandbox.world
    seeded_messages = len(world.mailboxes[ALICE].messages)
    seeded_grants = {grant_id: grant.revoked for grant_id, grant in world.grants.items()}
    token = world.issue_access_token(ALICE, DEFAULT_SCOPES.split(), None).token
    raw = base64.urlsafe_b64encode(b"To: ben@acme.example\r\nSubject: Hi\r\n\r\nHello").decode()
    async with httpx2.AsyncClient(base_url=sandbox.base_url, timeout=10) as http:
        me = {"Authorization": f"Bearer {token}"}
        sent = await http.post("/gmail/gmail/v1/users/me/messages/send", json={"raw": raw}, headers=me)
        assert sent.status_code == 200, sent.text
        assert len(world.mailboxes[ALICE].messages) == seeded_messages + 1
        world.revoke_grants_of(ALICE)
        sandbox.faults.fail_next("/gmail", 5, 503)
        sandbox.fathom_app.state.limits.calls = 0
        set_batch_part_limit(sandbox.gmail_app, 1)

        again = shared_sandbox.fresh()

        assert again is sandbox and again.world is world
        assert len(world.mailboxes[ALICE].messages) == seeded_messages
        assert {grant_id: grant.revoked for grant_id, grant in world.grants.items()} == seeded_grants
        assert sandbox.faults.failures == []
        assert sandbox.faults.requests() == []
        assert (await http.get("/gmail/gmail/v1/users/me/profile", headers=me)).status_code == 401
        assert sandbox.fathom_app.state.limits.calls > 0
        assert gmail_state(sandbox.gmail_app).batch_part_limit is None
