"""Operations: logs that never hold a secret, Prometheus metrics, per-user rate limits."""

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from app.logs import configure_logging, redact
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import Flow
from tests.support.stack import running_stack


@contextmanager
def captured_logs(level: str = "DEBUG") -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    configure_logging(level, "json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved_handlers:
            root.addHandler(h)
        root.setLevel(saved_level)


def test_redaction_scrubs_every_credential_shape() -> None:
    samples = [
        "sba_" + "a" * 43,
        "sbr_" + "b" * 43,
        "sbp_" + "c" * 43,
        # Shapes of Google credentials, assembled so no credential-looking literal sits in the source.
        "ya29" + ".a0AfH6SMBexample-token_value",
        "1//" + "0gExampleRefreshToken-abcdefgh",
        "Bearer abcdefghijklmnop",
        "/auth/callback?state=x&code=4/0AbCdEf-secret",
        "client_secret=GOCSPX-abcdef",
        "X-Api-Key: fathom-sbx-alice-0123456789abcdef",
        "{'code': '4/0AbCdEf-secret', 'state': 'x'}",
        '{"client_secret": "s3cr3t-value"}',
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl",
        "GOCSPX" + "-abcdef123456",
        "Authorization: Bearer abcdefghijkl",
    ]
    for sample in samples:
        scrubbed = redact(f"before {sample} after")
        assert "[redacted]" in scrubbed, sample
    assert "4/0AbCdEf-secret" not in redact("code=4/0AbCdEf-secret&state=1")
    assert "abcdefghijkl" not in redact("Authorization: Bearer abcdefghijkl")


def test_redaction_keeps_status_codes_and_other_plain_numbers() -> None:
    for line in ("status_code=500", "Gmail error code: 429", '{"status_code": 503, "code": 404}', "key=5"):
        assert redact(line) == line
    assert redact("SESSION_SECRET=s3cr3t-value code: 4/0AbCdEf") == "SESSION_SECRET=[redacted] code: [redacted]"


async def test_a_failed_tool_call_is_logged_without_the_labels_or_addresses_it_was_given(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    # gmail_modify is served over REST only.
    with captured_logs("INFO") as logs, running_stack(tmp_path, sandbox, google_access="rest") as stack:
        async with mcp_session(stack, ALICE) as alice:
            hits = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
            message_id = re.findall(r"message_id=(\S+)", hits)[0]
            unknown = await alice.error("gmail_modify", {"message_ids": [message_id], "add_labels": ["Nightingale"]})
            invalid = await alice.error("gmail_send", {"to": ["eve.outsider at example"], "subject": "x", "body": "y"})
    assert "Nightingale" in unknown and "eve.outsider" in invalid
    own_labels = unknown.partition("Your labels: ")[2].rstrip(".").split(", ")
    text = logs.getvalue()
    assert "tool gmail_modify" in text and "tool gmail_send" in text
    assert [word for word in ["Nightingale", "eve.outsider", *own_labels] if word in text] == []


async def test_no_token_code_key_or_mail_body_ever_reaches_the_logs(tmp_path: Path, sandbox: SandboxServer) -> None:
    secrets: list[str] = []
    with captured_logs() as logs, running_stack(tmp_path, sandbox) as stack:
        async with httpx2.AsyncClient(timeout=15) as http:
            flow = Flow(stack, http)
            await flow.register()
            secrets.append(flow.client_secret or "")
            browser = Browser(ALICE)
            reached = await flow.authorize(browser)
            await browser.aclose()
            secrets.append(reached["code"])
            tokens = (await flow.exchange(reached["code"])).json()
            secrets += [tokens["access_token"], tokens["refresh_token"]]
            rotated = (await flow.refresh(tokens["refresh_token"])).json()
            secrets += [rotated["access_token"], rotated["refresh_token"]]
        async with mcp_session(stack, ALICE) as alice:
            secrets.append(alice.access_token)
            secrets.append(await store_fathom_key(stack, ALICE))
            await alice.ok("gmail_draft", {"to": [ALICE], "subject": "s", "body": "a-very-private-mail-body"})
            await alice.ok("fathom_list_meetings", {})
            stack.sandbox.world.expire_all_access_tokens()  # force a Google refresh through the logs' view
            await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 2})
        for grant in stack.sandbox.world.grants.values():
            secrets.append(grant.refresh_token)
        secrets += list(stack.sandbox.world.access_tokens)
    text = logs.getvalue()
    assert "tool gmail_draft ok" in text and '"request_id"' in text
    secrets.append("a-very-private-mail-body")
    leaked = [line[:300] for line in text.splitlines() if any(s and s in line for s in secrets)]
    assert leaked == []


@pytest.mark.parametrize("google_access", ["rest", "mcp"])
async def test_metrics_need_the_token_and_count_tool_calls_and_upstream_requests(
    tmp_path: Path, sandbox: SandboxServer, google_access: str
) -> None:
    with running_stack(tmp_path, sandbox, metrics_token="m-token-123", google_access=google_access) as stack:
        async with mcp_session(stack, ALICE) as alice:
            await alice.ok("whoami")
            await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
        async with httpx2.AsyncClient(base_url=stack.url) as http:
            refused = await http.get("/metrics")
            metrics = await http.get("/metrics", headers={"Authorization": "Bearer m-token-123"})
    assert refused.status_code == 401
    assert metrics.status_code == 200
    body = metrics.text
    assert 'switchboard_tool_calls_total{outcome="ok",tool="whoami"} 1.0' in body
    assert re.search(r'switchboard_upstream_requests_total\{service="gmail",status="200"\} [1-9]', body)
    assert 'switchboard_tool_call_duration_seconds_bucket{le="0.01",tool="gmail_search"}' in body
    assert "switchboard_active_users 1.0" in body


async def test_rate_limits_refuse_with_when_to_retry_and_mail_has_its_own_bucket(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox, tool_calls_per_minute=4, mail_sends_per_hour=1) as stack:
        async with mcp_session(stack, ALICE) as alice:
            await alice.ok("gmail_draft", {"to": [ALICE], "subject": "one", "body": "x"})
            second = await alice.error("gmail_draft", {"to": [ALICE], "subject": "two", "body": "x"})
            await alice.ok("whoami")
            await alice.ok("whoami")
            fifth = await alice.error("whoami")
    assert "Rate limit: at most 1 emails sent or drafted per hour for each person. Try again in" in second
    assert re.search(r"Rate limit: at most 4 tool calls per minute for each person\. Try again in \d+ s\.", fifth)
