"""The same tools through Google's REST APIs and through Google's MCP servers: one answer, no silent REST call."""

from __future__ import annotations

import re
from collections import Counter

import httpx2
import pytest

from sandbox.seed import ALICE
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, both_backends, mcp_tools, rest_calls

IDS = re.compile(r"message_id=(\S+)")


@both_backends
async def test_a_search_lists_each_hit_with_sender_subject_snippet_and_ids(stack: Stack, google_access: str) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 5})
    unit = re.escape("thread(s)" if google_access == "mcp" else "message(s)")
    assert re.match(rf"First 5 (of about \d+ )?{unit}(?: \(more match\))? for 'in:inbox', newest first", text), text
    assert text.count("· From: ") == 5 and text.count("  Subject: «") == 5 and len(IDS.findall(text)) == 5
    if google_access == "mcp":
        assert re.search(r"^- \d{4}-\d\d-\d\d \(\w{3}\) \(time of day not given by Google\) · From: ", text, re.M)
        assert "message(s) in the thread, newest shown" in text
        assert rest_calls(stack) == [] and mcp_tools(stack) == ["calendar.list_calendars", "gmail.search_threads"]
    else:
        assert re.search(r"^- \d{4}-\d\d-\d\d \d\d:\d\d(?:[+-]\d\d:\d\d)? \(\w{3}\) · From: ", text, re.M)
        assert mcp_tools(stack) == []


@both_backends
async def test_a_thread_reads_oldest_first_with_every_message_body(stack: Stack, google_access: str) -> None:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    thread_id, count = Counter(m.thread_id for m in mailbox.messages.values()).most_common(1)[0]
    oldest_first = sorted(
        (m for m in mailbox.messages.values() if m.thread_id == thread_id), key=lambda m: (m.internal_date_ms, m.id)
    )
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_read_thread", {"thread_id": thread_id, "max_chars": 50_000})
        missing = await alice.error("gmail_read_thread", {"thread_id": "ffffffffffffffff"})
    assert text.startswith(f"Thread {thread_id}: {count} message(s), oldest first")
    assert IDS.findall(text) == [m.id for m in oldest_first]
    assert text.count("\n«") >= count, "every body, fenced"
    assert "Gmail has no thread 'ffffffffffffffff' in your mailbox" in missing, missing
    if google_access == "mcp":
        assert rest_calls(stack) == []


@both_backends
async def test_a_message_reads_with_its_headers_and_body(stack: Stack, google_access: str) -> None:
    message = next(m for m in stack.sandbox.world.mailboxes[ALICE].messages.values() if {"INBOX"} <= m.label_ids)
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_read_message", {"message_id": message.id})
    assert text.startswith("Subject: «") and "\nFrom: " in text and "\nDate: " in text
    assert f"message_id={message.id}" in text
    if google_access == "mcp":
        assert rest_calls(stack) == [] and "gmail.get_message" in mcp_tools(stack)
    else:
        assert "Labels: " in text and "INBOX" in text


@both_backends
async def test_labels_list_gmails_own_and_the_persons_own(stack: Stack, google_access: str) -> None:
    own = sorted(
        (label for label in stack.sandbox.world.mailboxes[ALICE].labels.values() if label.type == "user"),
        key=lambda label: label.name.lower(),
    )
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_list_labels")
    assert "System labels: " in text and "INBOX" in text and "SENT" in text
    assert f"Your labels ({len(own)}):" in text
    assert [line.split(" (id ")[1].rstrip(")") for line in text.splitlines() if line.startswith("- ")] == [
        label.id for label in own
    ]
    if google_access == "mcp":
        assert rest_calls(stack) == []


@pytest.mark.parametrize("google_access", ["mcp"])
async def test_under_mcp_the_tools_google_cannot_serve_are_left_out_and_whoami_says_why(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        names = {tool.name for tool in (await alice.client.list_tools()).tools}
        whoami = await alice.ok("whoami")
    assert {"gmail_search", "gmail_read_thread", "gmail_read_message", "gmail_list_labels", "whoami"} <= names
    assert "gmail_get_attachment" not in names and "gmail_update_draft" not in names
    assert "Google reached through: Google's Workspace MCP servers." in whoami
    assert re.search(r"Not available through Google's MCP servers: .*gmail_get_attachment \(Google's Gmail MCP", whoami)
    assert rest_calls(stack) == []


@pytest.mark.parametrize("google_access", ["mcp"])
async def test_a_client_not_made_for_an_agent_is_named_in_every_answer_and_on_health(stack: Stack) -> None:
    stack.sandbox.world.agent_clients.discard(stack.settings.google_client_id)
    async with mcp_session(stack, ALICE) as alice:
        refused = await alice.error("gmail_search", {"query": "in:inbox"})
    assert 'created with "Use this client for an AI-powered agent"' in refused and "administrator" in refused
    async with httpx2.AsyncClient(base_url=stack.url) as http:
        health = (await http.get("/health")).json()
    assert health["status"] == "healthy" and health["google_access"] == "mcp"
    assert "refused this deployment's OAuth client" in health["google"]


@both_backends
@pytest.mark.parametrize("stack_settings", [{"metrics_token": "m-token-usage"}])
async def test_every_google_request_is_counted_with_its_product_call_and_the_tool_behind_it(
    stack: Stack, google_access: str
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 5})
    async with httpx2.AsyncClient(base_url=stack.url) as http:
        metrics = (await http.get("/metrics", headers={"Authorization": "Bearer m-token-usage"})).text
    counted = {
        line.split("{", 1)[1].split("}", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("switchboard_google_requests_total{")
    }
    ours = {labels: n for labels, n in counted.items() if 'tool="gmail_search"' in labels}
    if google_access == "mcp":
        # The SDK lists a server's tools once per process, at its first call: a request Google counts too.
        assert ours == {
            'call="tools/call list_calendars",product="calendar",tool="gmail_search"': 1.0,
            'call="tools/list",product="calendar",tool="gmail_search"': 1.0,
            'call="tools/call search_threads",product="gmail",tool="gmail_search"': 1.0,
            'call="tools/list",product="gmail",tool="gmail_search"': 1.0,
        }, counted
    else:
        hits = len(IDS.findall(text))
        gmail = {labels: n for labels, n in ours.items() if 'product="gmail"' in labels}
        assert sum(gmail.values()) == 2 + hits, counted  # the search, the label names, one batch part per hit
        assert any("users/me/messages" in labels for labels in gmail), counted
        assert any('product="calendar"' in labels for labels in ours), counted
