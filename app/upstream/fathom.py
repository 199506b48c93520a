"""FathomClient: Fathom's external API for one person, typed meetings, cursor paging.

The person's credential is either their API key (`X-Api-Key`) or their OAuth grant (a bearer
token, refreshed once after a 401). Fathom refuses `include_summary`/`include_transcript` on
`/meetings` to OAuth apps, so with a grant those parts come from the recordings endpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx2
from pydantic import BaseModel, ConfigDict, Field

from app.upstream.errors import NeedsReconnect, fathom_error_for
from app.upstream.retry import DEFAULT_POLICY, RetryPolicy, send_with_retries

SERVICE = "Fathom"


class _Resource(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Invitee(_Resource):
    name: str | None = None
    email: str | None = None
    email_domain: str | None = None
    is_external: bool = False
    matched_speaker_display_name: str | None = None


class Assignee(_Resource):
    name: str | None = None
    email: str | None = None
    team: str | None = None


class ActionItem(_Resource):
    description: str = ""
    user_generated: bool = False
    completed: bool = False
    recording_timestamp: str | None = None
    recording_playback_url: str | None = None
    assignee: Assignee | None = None


class Summary(_Resource):
    template_name: str | None = None
    markdown_formatted: str | None = None


class Speaker(_Resource):
    display_name: str = ""
    matched_calendar_invitee_email: str | None = None


class TranscriptLine(_Resource):
    speaker: Speaker = Field(default_factory=Speaker)
    text: str = ""
    timestamp: str = ""


class Meeting(_Resource):
    title: str | None = None
    meeting_title: str | None = None
    recording_id: int
    url: str | None = None
    share_url: str | None = None
    created_at: datetime | None = None
    scheduled_start_time: datetime | None = None
    scheduled_end_time: datetime | None = None
    recording_start_time: datetime | None = None
    recording_end_time: datetime | None = None
    calendar_invitees_domains_type: str | None = None
    calendar_invitees: list[Invitee] = Field(default_factory=list)
    recorded_by: Assignee | None = None
    default_summary: Summary | None = None
    action_items: list[ActionItem] | None = None
    transcript: list[TranscriptLine] | None = None

    @property
    def display_title(self) -> str:
        return self.title or self.meeting_title or f"Recording {self.recording_id}"


class MeetingPage(_Resource):
    items: list[Meeting] = Field(default_factory=list)
    next_cursor: str | None = None
    limit: int | None = None


class Team(_Resource):
    name: str
    created_at: datetime | None = None


class TeamMember(_Resource):
    name: str | None = None
    email: str | None = None


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Fathom filters need a time zone")
    return moment.isoformat()


class BearerTokens(Protocol):
    """Where OAuth access tokens come from (`FathomCredentials`)."""

    async def access_token(self, user_id: str, *, rejected: str | None = None) -> str: ...

    def reconnect_error(self, why: str) -> NeedsReconnect: ...


@dataclass(frozen=True)
class OAuthGrant:
    """A person's Fathom OAuth grant, as the credential a `FathomClient` sends."""

    tokens: BearerTokens
    user_id: str


class FathomClient:
    """Fathom's API for one person, with their API key or their OAuth grant."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        credential: str | OAuthGrant,
        base_url: str,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        self.policy = policy

    @property
    def oauth(self) -> bool:
        return isinstance(self.credential, OAuthGrant)

    async def _send(self, url: str, params: tuple[tuple[str, str], ...], token: str | None) -> httpx2.Response:
        headers = {"Accept": "application/json"}
        if token is None:
            headers["X-Api-Key"] = str(self.credential)
        else:
            headers["Authorization"] = f"Bearer {token}"
        return await send_with_retries(
            lambda: self.http.get(url, params=params, headers=headers), service=SERVICE, policy=self.policy
        )

    async def _get(self, path: str, params: list[tuple[str, str]] | None = None, what: str = "") -> Any:
        url, query = self.base_url + path, tuple(params or ())
        grant = self.credential if isinstance(self.credential, OAuthGrant) else None
        token = await grant.tokens.access_token(grant.user_id) if grant else None
        response = await self._send(url, query, token)
        if grant is not None and response.status_code == 401:
            # Expired or revoked early: one refresh (or the reconnect message), one more try.
            token = await grant.tokens.access_token(grant.user_id, rejected=token)
            response = await self._send(url, query, token)
        if not response.is_success:
            if grant is not None and response.status_code in (401, 403):
                raise grant.tokens.reconnect_error("Fathom no longer accepts Switchboard's access to your account.")
            raise fathom_error_for(response, what=what)
        return response.json()

    async def list_meetings(
        self,
        *,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        invitee_domains: Sequence[str] = (),
        recorded_by: Sequence[str] = (),
        teams: Sequence[str] = (),
        domains_type: str | None = None,
        include_summary: bool = False,
        include_action_items: bool = False,
        include_transcript: bool = False,
        cursor: str | None = None,
    ) -> MeetingPage:
        """One page (about 10 meetings), newest first. Array filters repeat with literal brackets."""
        params: list[tuple[str, str]] = []
        if created_after:
            params.append(("created_after", _iso(created_after)))
        if created_before:
            params.append(("created_before", _iso(created_before)))
        params += [("calendar_invitees_domains[]", d) for d in invitee_domains]
        params += [("recorded_by[]", e) for e in recorded_by]
        params += [("teams[]", t) for t in teams]
        if domains_type:
            params.append(("calendar_invitees_domains_type", domains_type))
        # OAuth apps may not ask /meetings for summaries or transcripts: fetched per recording below.
        inline = not self.oauth
        if include_summary and inline:
            params.append(("include_summary", "true"))
        if include_action_items:
            params.append(("include_action_items", "true"))
        if include_transcript and inline:
            params.append(("include_transcript", "true"))
        if cursor:
            params.append(("cursor", cursor))
        page = MeetingPage.model_validate(await self._get("/meetings", params))
        if not inline and (include_summary or include_transcript):
            await asyncio.gather(*(self._add_parts(m, include_summary, include_transcript) for m in page.items))
        return page

    async def _add_parts(self, meeting: Meeting, summary: bool, transcript: bool) -> None:
        if summary:
            meeting.default_summary = await self.get_summary(meeting.recording_id)
        if transcript:
            meeting.transcript = await self.get_transcript(meeting.recording_id)

    async def get_summary(self, recording_id: int) -> Summary:
        body = await self._get(f"/recordings/{int(recording_id)}/summary", what=f"recording {recording_id}")
        return Summary.model_validate(body.get("summary") or {})

    async def get_transcript(self, recording_id: int) -> list[TranscriptLine]:
        body = await self._get(f"/recordings/{int(recording_id)}/transcript", what=f"recording {recording_id}")
        return [TranscriptLine.model_validate(line) for line in body.get("transcript") or []]

    async def list_teams(self) -> list[Team]:
        """Cheap call that proves a credential works (used to validate a pasted key)."""
        body = await self._get("/teams")
        return [Team.model_validate(item) for item in body.get("items", [])]

    async def list_team_members(self, team: str | None = None, cursor: str | None = None) -> list[TeamMember]:
        params: list[tuple[str, str]] = []
        if team:
            params.append(("team", team))
        if cursor:
            params.append(("cursor", cursor))
        body = await self._get("/team_members", params)
        return [TeamMember.model_validate(item) for item in body.get("items", [])]
