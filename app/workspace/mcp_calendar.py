"""Calendars through Google's Calendar MCP server (`calendarmcp.googleapis.com`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from app.upstream.google_mcp import GoogleMcpCaller

CALENDAR_PAGES = 5


class _Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class McpCalendarEntry(_Shape):
    id: str
    summary: str = ""
    description: str = ""
    time_zone: str | None = None


class _Calendars(_Shape):
    calendars: list[McpCalendarEntry] = Field(default_factory=list)
    next_page_token: str | None = None


class McpCalendars:
    """A person's calendar list. Google's list names no primary calendar: it is the one whose id is their address."""

    def __init__(self, google: GoogleMcpCaller, email: str) -> None:
        self.google = google
        self.email = email.lower()

    async def list(self) -> list[McpCalendarEntry]:
        found: list[McpCalendarEntry] = []
        token: str | None = None
        for _ in range(CALENDAR_PAGES):
            arguments = {"pageToken": token} if token else {}
            page = _Calendars.model_validate(await self.google.read("calendar", "list_calendars", arguments))
            found += page.calendars
            token = page.next_page_token
            if not token:
                break
        return found

    async def primary_zone(self) -> str | None:
        """The time zone of the person's primary calendar, when Google gives one."""
        for entry in await self.list():
            if entry.id.lower() in (self.email, "primary"):
                return entry.time_zone
        return None
