"""FathomClient against the sandbox Fathom over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from app.upstream.errors import NeedsReconnect, NotFound
from app.upstream.fathom import FathomClient
from app.upstream.retry import RetryPolicy
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.support.fathom import add_older_meetings, visible_recordings
from tests.upstream.conftest import FAST


def _client(sandbox: SandboxServer, http, key: str, policy: RetryPolicy = FAST) -> FathomClient:  # type: ignore[no-untyped-def]
    return FathomClient(http, key, sandbox.settings_env()["FATHOM_API_BASE"], policy)


def _key(sandbox: SandboxServer) -> str:
    person = next(p for p in sandbox.world.people.values() if p.email.startswith("alice"))
    assert person.fathom_key
    return person.fathom_key


async def test_meetings_come_in_cursor_pages_with_summaries_and_action_items(sandbox: SandboxServer) -> None:
    import httpx2

    add_older_meetings(sandbox.world, ALICE, 10 - len(visible_recordings(sandbox.world, ALICE)) + 2)
    async with httpx2.AsyncClient(timeout=10) as http:
        fathom = _client(sandbox, http, _key(sandbox))
        page = await fathom.list_meetings(include_summary=True, include_action_items=True)
        assert len(page.items) == 10
        first = page.items[0]
        assert first.recording_id and first.default_summary and first.default_summary.markdown_formatted
        assert first.action_items is not None
        assert page.next_cursor
        second = await fathom.list_meetings(cursor=page.next_cursor)
        assert len(second.items) == 2
        assert second.next_cursor is None
        assert not {m.recording_id for m in page.items} & {m.recording_id for m in second.items}
    request = sandbox.faults.requests("/fathom/external/v1/meetings")[0]
    assert request.headers["x-api-key"] == _key(sandbox)
    assert "include_summary=true" in request.query


async def test_array_filters_repeat_with_literal_brackets(sandbox: SandboxServer) -> None:
    import httpx2

    async with httpx2.AsyncClient(timeout=10) as http:
        await _client(sandbox, http, _key(sandbox)).list_meetings(invitee_domains=["globex.example", "initech.example"])
    query = sandbox.faults.requests("/fathom/external/v1/meetings")[-1].query
    assert parse_qs(query)["calendar_invitees_domains[]"] == ["globex.example", "initech.example"]


async def test_summary_and_transcript_of_a_recording(sandbox: SandboxServer) -> None:
    import httpx2

    async with httpx2.AsyncClient(timeout=10) as http:
        fathom = _client(sandbox, http, _key(sandbox))
        meeting = (await fathom.list_meetings()).items[0]
        summary = await fathom.get_summary(meeting.recording_id)
        transcript = await fathom.get_transcript(meeting.recording_id)
    assert summary.markdown_formatted
    assert transcript and transcript[0].speaker.display_name and transcript[0].timestamp


async def test_a_wrong_key_asks_the_person_to_replace_it(sandbox: SandboxServer) -> None:
    import httpx2

    async with httpx2.AsyncClient(timeout=10) as http:
        with pytest.raises(NeedsReconnect, match="Fathom rejected your API key"):
            await _client(sandbox, http, "wrong-key").list_teams()


async def test_an_unknown_recording_is_not_found(sandbox: SandboxServer) -> None:
    import httpx2

    async with httpx2.AsyncClient(timeout=10) as http:
        with pytest.raises(NotFound):
            await _client(sandbox, http, _key(sandbox)).get_summary(999999999)
