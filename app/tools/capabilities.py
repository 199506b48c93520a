"""Which tools each way of reaching Google can serve, and what the person is told about the rest.

Under `GOOGLE_ACCESS=mcp` a tool is offered only when every Google call it makes goes through
Google's MCP servers; there is never a silent REST call. The tools Google's servers cannot serve
yet are left out of tools/list, and whoami and the help page say in one line what is missing and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp_types.version import is_version_at_least

GoogleAccess = Literal["rest", "mcp"]
# The first protocol revision whose elicitation needs no back channel: this server is stateless, so
# only from here on can it ask the person mid-call (an `InputRequiredResult` round trip).
ELICITATION_VERSION = "2026-07-28"


@dataclass(frozen=True)
class UnderMcp:
    """How a tool is served through Google's MCP servers: the Google tools it calls, or why it is not."""

    uses: tuple[str, ...] = ()
    missing: str = ""  # why the tool is left out under mcp; empty when it is served


# Tools that reach no Google product, or only through one that needs no REST call.
NO_GOOGLE = frozenset({"fathom_list_meetings", "fathom_get_meeting", "fathom_get_transcript", "fathom_action_items"})

MATRIX: dict[str, UnderMcp] = {
    "gmail_search": UnderMcp(("gmail.search_threads", "gmail.list_labels")),
    "gmail_read_message": UnderMcp(("gmail.get_message",)),
    "gmail_read_thread": UnderMcp(("gmail.get_thread",)),
    "gmail_list_labels": UnderMcp(("gmail.list_labels",)),
    "gmail_get_attachment": UnderMcp(missing="Google's Gmail MCP server returns no attachment contents"),
    "gmail_forward": UnderMcp(missing="Google's Gmail MCP server cannot attach files to a draft or a message"),
    "gmail_send": UnderMcp(("gmail.send_message", "gmail.get_message", "gmail.search_threads", "gmail.get_thread")),
    "gmail_draft": UnderMcp(("gmail.create_draft", "gmail.get_message")),
    # Archive, read/unread, star and the person's existing labels; no trash, no new labels, 50 messages a call.
    "gmail_modify": UnderMcp(("gmail.label_message", "gmail.unlabel_message", "gmail.list_labels")),
    "gmail_list_drafts": UnderMcp(("gmail.list_drafts",)),
    "gmail_update_draft": UnderMcp(missing="Google's Gmail MCP server cannot change a draft once made"),
    "gmail_send_draft": UnderMcp(("gmail.get_draft", "gmail.send_draft", "gmail.search_threads")),
    "calendar_list_calendars": UnderMcp(("calendar.list_calendars",)),
    "calendar_list_events": UnderMcp(("calendar.list_events",)),
    "calendar_get_event": UnderMcp(("calendar.get_event",)),
    "calendar_create_event": UnderMcp(("calendar.create_event", "gmail.search_threads", "gmail.get_thread")),
    "calendar_update_event": UnderMcp(("calendar.get_event", "calendar.update_event", "gmail.search_threads")),
    "calendar_delete_event": UnderMcp(("calendar.get_event", "calendar.delete_event")),
    "calendar_respond": UnderMcp(("calendar.get_event", "calendar.respond_to_event")),
    "calendar_find_free_time": UnderMcp(("calendar.suggest_time",)),
    "contacts_search": UnderMcp(("people.search_directory_people", "people.search_contacts")),
    "attention_digest": UnderMcp(("gmail.search_threads", "gmail.get_thread", "calendar.list_events")),
    "meeting_prep": UnderMcp(("calendar.list_events", "calendar.get_event", "gmail.search_threads")),
    "meeting_follow_up": UnderMcp(("gmail.search_threads", "gmail.get_message", "gmail.create_draft")),
}


def offered(name: str, access: GoogleAccess) -> bool:
    """Whether tool `name` is in tools/list under this way of reaching Google."""
    entry = MATRIX.get(name)
    return access == "rest" or entry is None or not entry.missing


def missing_line(left_out: set[str]) -> str | None:
    """One line naming the tools left out (see `offered`) and why, or None when none is."""
    by_reason: dict[str, list[str]] = {}
    for name in sorted(left_out):
        entry = MATRIX.get(name)
        if entry is not None and entry.missing:
            by_reason.setdefault(entry.missing, []).append(name)
    if not by_reason:
        return None
    parts = [f"{', '.join(names)} ({why})" for why, names in by_reason.items()]
    return "Not available through Google's MCP servers: " + "; ".join(parts) + "."


def can_confirm(ctx: Context[Any, Any]) -> bool:
    """Whether this client can be asked mid-call: protocol 2026-07-28 or later, with form elicitation."""
    version = ctx.protocol_version
    if version is None or not is_version_at_least(version, ELICITATION_VERSION):
        return False
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)
