"""The one place that knows how Google is reached: `GOOGLE_ACCESS` picks the backend each tool is handed."""

from __future__ import annotations

from typing import Literal

from app.services import Services
from app.upstream.calendar import CalendarClient
from app.upstream.gmail import GmailClient
from app.upstream.google_api import GoogleApi
from app.upstream.google_mcp import GoogleMcpCaller, Toolset
from app.upstream.people import PeopleClient, WarmUps
from app.workspace.calendar import Calendar
from app.workspace.mail import Mail
from app.workspace.mcp_calendar import McpCalendar
from app.workspace.mcp_mail import McpMail
from app.workspace.mcp_people import McpPeople
from app.workspace.people import People
from app.workspace.rest_calendar import RestCalendar
from app.workspace.rest_mail import RestMail
from app.workspace.rest_people import RestPeople


class GoogleAccess:
    """Backends for one person's Google data, over REST or Google's MCP servers as configured."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.kind: Literal["rest", "mcp"] = services.settings.google_access

    def _caller(self, user_id: str, toolset: Toolset) -> GoogleMcpCaller:
        return GoogleMcpCaller(self.services.get_google_mcp(), self.services.get_credentials(), user_id, toolset)

    def mail(self, api: GoogleApi, toolset: Toolset) -> Mail:
        """The person's mailbox. `api` is their checked Gmail grant; `toolset` is v1 when their client can be asked."""
        if self.kind == "rest":
            return RestMail(GmailClient(api))
        return McpMail(self._caller(api.user_id, toolset))

    def calendar(self, api: GoogleApi, email: str, toolset: Toolset) -> Calendar:
        """The person's calendars. `api` is their checked Calendar grant; `email` names their primary calendar."""
        if self.kind == "rest":
            return RestCalendar(CalendarClient(api))
        return McpCalendar(self._caller(api.user_id, toolset), email)

    def people(self, api: GoogleApi, warm_ups: WarmUps) -> People:
        """The person's directory and contacts. `api` is their checked People grant (People's server has v1 only)."""
        if self.kind == "rest":
            return RestPeople(PeopleClient(api, warm_ups))
        return McpPeople(self._caller(api.user_id, "v1"))
