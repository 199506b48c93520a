"""Who is calling and their upstream clients, resolved per tool call only from the verified token.

Tools declare what they need as `Annotated[GmailClient, Resolve(resolvers.gmail)]`, or, defined at
module level, with the aliases below (`calendar: Calendar`), which ask the `Resolvers` serving the
current call; no tool takes a user id. Profiles are kept for a few seconds, connection status for
half a minute (both cleared by any revocation or account change, on every replica sharing Redis),
send-as addresses and time zones for ten minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cachetools import TTLCache
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.elicitation import AcceptedElicitation
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve

from app.auth.revocations import Revocations
from app.services import Services
from app.storage.store import Connections, User
from app.tools.caches import cached, per_person
from app.tools.capabilities import can_confirm
from app.tools.composing import usable_send_as
from app.tools.times import guessed_zone
from app.upstream.errors import UpstreamError
from app.upstream.fathom import FathomClient, OAuthGrant
from app.upstream.gmail import GmailClient
from app.upstream.gmail_models import SendAs
from app.upstream.google_api import GoogleApi
from app.upstream.google_mcp import Toolset
from app.upstream.people import SCOPES_BY_SOURCE, Source, WarmUps, granted_sources, sources_for
from app.workspace.access import GoogleAccess
from app.workspace.calendar import Calendar as CalendarBackend
from app.workspace.mail import Mail
from app.workspace.people import People

if TYPE_CHECKING:
    from app.tools.outbound import Outbound

logger = logging.getLogger(__name__)

# The SDK wraps every resolved value in `AcceptedElicitation[Any]`; pydantic caches that parametrised
# class only while something references it, so without this it is rebuilt on every tool call.
_RESOLVED_VALUE_MODEL = AcceptedElicitation[Any]

GMAIL_READ = ("https://mail.google.com/", "https://www.googleapis.com/auth/gmail.")
CALENDAR_ANY = ("https://www.googleapis.com/auth/calendar",)
ZONE_TTL = 600.0
# What a person has connected changes rarely, and every change on a replica clears it (see `connections`).
CONNECTIONS_TTL = 30.0
SEND_AS_TTL = 600.0
NEW_CLIENT = (
    "Google must be reconnected once for {email}: your administrator moved Switchboard to a new Google sign-in "
    "client (the kind Google's MCP servers require). Reconnect at {url}; Fathom, tokens and settings stay as they are."
)


@dataclass(frozen=True)
class PeopleSearch:
    """The people backend with where the person may search, where to grant the rest, and what it cannot search."""

    client: People
    sources: list[Source]
    not_granted: list[Source]
    grant_url: str
    unsearchable: dict[Source, str] = field(default_factory=dict[Source, str])  # source: why, in one line


class Resolvers:
    """Per-request resolvers (`Annotated[GmailClient, Resolve(resolvers.gmail)]`) for the signed-in user."""

    def __init__(self, services: Services, revocations: Revocations) -> None:
        self.services = services
        self.account_url = f"{services.settings.public_url}/account"
        self._zones: TTLCache[str, ZoneInfo] = per_person(ZONE_TTL)
        self._connections: TTLCache[str, Connections] = per_person(CONNECTIONS_TTL)
        self._send_as: TTLCache[str, list[SendAs]] = per_person(SEND_AS_TTL)
        self._warm_ups = WarmUps()
        self.access = GoogleAccess(services)
        self.contacts_grant_url = f"{services.settings.public_url}/account/grant?for=contacts"
        # The send policy and the outbound guard, for tools defined at module level (set by register_tools).
        self.outbound: Outbound | None = None
        revocations.on_revoke(self.forget)

    @contextmanager
    def serving(self) -> Generator[None]:
        """Make these the resolvers behind the module-level aliases for the call run inside."""
        reset = _serving.set(self)
        try:
            yield
        finally:
            _serving.reset(reset)

    async def user(self) -> User:
        """The user named by this request's verified bearer token; nothing else selects a user."""
        token = get_access_token()
        if token is None or not token.subject:
            raise ToolError("Not signed in: reconnect Switchboard in Claude.")
        subject = token.subject

        async def load() -> User:
            user = await self.services.get_store().get_user(subject)
            if user is None:
                raise ToolError(f"Your Switchboard account no longer exists; sign in again at {self.account_url}")
            return user

        # Usually read with the token moments ago (`Services.profiles`); cleared on any revocation.
        return await cached(self.services.profiles, subject, load)

    async def connections(self, user: User) -> Connections:
        """What the user has connected (`Store.connections`), kept for a few seconds.

        A tool that finds a grant broken makes this replica read it again at once (`forget_person`);
        any revocation or account change clears it on every replica that shares Redis, and without
        Redis other replicas read it again within CONNECTIONS_TTL. The credentials layer reads the grant
        itself, so a grant revoked in the meantime is still refused with a reconnect message.
        """
        return await cached(self._connections, user.id, lambda: self.services.get_store().connections(user.id))

    async def send_as(self, user: User, gmail: GmailClient) -> list[SendAs]:
        """The person's verified send-as addresses, default first, kept for SEND_AS_TTL (whoami lists them)."""
        return await cached(self._send_as, user.id, lambda: usable_send_as(gmail))

    def forget(self) -> None:
        self._connections.clear()
        self._send_as.clear()

    def forget_person(self, user_id: str) -> None:
        """Read this person's connections again on their next call (a tool just found one broken)."""
        self._connections.pop(user_id, None)

    async def _google(self, base_url: str, service: str, scope_prefixes: tuple[str, ...]) -> GoogleApi:
        user = await self.user()
        grant = await self.connections(user)
        if grant.google == "not_connected":
            raise ToolError(f"Google is not connected for {user.email}. Connect it at {self.account_url}")
        if grant.google_new_client:
            raise ToolError(NEW_CLIENT.format(email=user.email, url=self.account_url))
        if grant.google == "needs_reconnect":
            raise ToolError(
                f"Google access for {user.email} has expired or was revoked. Reconnect at {self.account_url}"
            )
        if not any(scope.startswith(scope_prefixes) for scope in grant.scopes):
            raise ToolError(
                f"You have not given Switchboard permission to use {service}. "
                f"Grant it at {self.account_url} (sign in again and tick every box)."
            )
        services = self.services
        return GoogleApi(
            services.get_http(), services.get_credentials(), user.id, base_url, service, usage=services.usage
        )

    async def gmail(self) -> GmailClient:
        return GmailClient(await self._google(self.services.settings.gmail_api_base, "Gmail", GMAIL_READ))

    async def mail(self, ctx: Context[Any, Any]) -> Mail:
        """The person's mailbox through the configured backend (Google's MCP servers or REST)."""
        api = await self._google(self.services.settings.gmail_api_base, "Gmail", GMAIL_READ)
        return self.access.mail(api, "v1" if can_confirm(ctx) else "v1self")

    async def mail_reader(self) -> Mail:
        """The person's mailbox for reading only (no approval is ever asked), e.g. by the outbound guard."""
        api = await self._google(self.services.settings.gmail_api_base, "Gmail", GMAIL_READ)
        return self.access.mail(api, "v1self")

    async def _calendar(self, toolset: Toolset) -> CalendarBackend:
        user = await self.user()
        api = await self._google(self.services.settings.calendar_api_base, "Google Calendar", CALENDAR_ANY)
        return self.access.calendar(api, user.email, toolset)

    async def calendar(self) -> CalendarBackend:
        """The person's calendars through the configured backend, for reading."""
        return await self._calendar("v1self")

    async def calendar_changes(self, ctx: Context[Any, Any]) -> CalendarBackend:
        """The person's calendars for changing events: where Google asks first, asked through their client."""
        return await self._calendar("v1" if can_confirm(ctx) else "v1self")

    async def people(self) -> PeopleSearch:
        """The people backend; refused with the grant link when no contact scope was ever granted."""
        user = await self.user()
        grant = await self.connections(user)
        workspace = user.hosted_domain is not None
        sources = granted_sources(grant.scopes, workspace)
        if grant.google == "connected" and not sources:
            raise ToolError(
                f"Finding people needs permission to search {user.email}'s Google contacts, not granted yet. "
                f"Ask the person to open {self.contacts_grant_url} and allow it at Google, then search again."
            )
        scopes = tuple(scope for source in sources_for(workspace) for scope in SCOPES_BY_SOURCE[source])
        api = await self._google(self.services.settings.people_api_base, "Google Contacts", scopes)
        backend = self.access.people(api, self._warm_ups)
        every = sources_for(workspace)
        unsearchable: dict[Source, str] = {s: why for s in every if (why := backend.cannot_search(s)) is not None}
        searched: list[Source] = [source for source in sources if source not in unsearchable]
        not_granted: list[Source] = [s for s in every if s not in sources and s not in unsearchable]
        return PeopleSearch(backend, searched, not_granted, self.contacts_grant_url, unsearchable)

    async def fathom(self) -> FathomClient:
        """The person's Fathom, with their API key or their Fathom OAuth grant (they have one or the other)."""
        user = await self.user()
        store, settings = self.services.get_store(), self.services.settings
        key = await store.get_fathom_key(user.id)
        if key is not None:
            return FathomClient(self.services.get_http(), key, settings.fathom_api_base)
        tokens = self.services.fathom_credentials
        if tokens is not None and await store.get_fathom_grant(user.id) is not None:
            # A flagged grant is refused by the credentials with the "Reconnect Fathom" message.
            return FathomClient(self.services.get_http(), OAuthGrant(tokens, user.id), settings.fathom_api_base)
        how = "Connect Fathom or add your Fathom API key" if tokens is not None else "Add your Fathom API key"
        raise ToolError(f"Fathom is not connected. {how} at {self.account_url}")

    async def time_zone(self) -> ZoneInfo:
        """The user's primary-calendar time zone (cached a few minutes); when unknown, UTC said to be a guess.

        A guess is never cached: the next call asks Google again instead of repeating it.
        """
        user = await self.user()
        known = self._zones.get(user.id)
        if known is not None:
            return known
        try:
            name = await self._primary_zone(user)
        except ToolError:  # Calendar not connected or not granted: asking again will not help
            return guessed_zone("UTC", "your calendar's time zone is unknown without Google Calendar access")
        except UpstreamError:
            name = None
        try:
            if name:
                self._zones[user.id] = zone = ZoneInfo(name)
                return zone
        except (ZoneInfoNotFoundError, ValueError):
            pass
        logger.info("time zone unknown for user %s; using UTC for this call", user.id)
        return guessed_zone("UTC", "your calendar's time zone could not be read just now")

    async def _primary_zone(self, user: User) -> str | None:
        """The time zone Google gives the person's primary calendar."""
        calendar = await self.calendar()
        primary = next((c for c in await calendar.list_calendars() if c.primary), None)
        return primary.time_zone if primary else None


# The Resolvers of the server running the current tool call (set by the tool-call middleware).
_serving: ContextVar[Resolvers] = ContextVar("resolvers")


def serving() -> Resolvers:
    """The Resolvers serving the current tool call."""
    return _serving.get()


async def current_user() -> User:
    return await _serving.get().user()


async def calendar_client() -> CalendarBackend:
    return await _serving.get().calendar()


async def calendar_for_changes(ctx: Context[Any, Any]) -> CalendarBackend:
    return await _serving.get().calendar_changes(ctx)


async def time_zone() -> ZoneInfo:
    return await _serving.get().time_zone()


CurrentUser = Annotated[User, Resolve(current_user)]
Calendar = Annotated[CalendarBackend, Resolve(calendar_client)]
CalendarChanges = Annotated[CalendarBackend, Resolve(calendar_for_changes)]
TimeZone = Annotated[ZoneInfo, Resolve(time_zone)]
