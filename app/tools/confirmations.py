"""Asking the person before a calendar change notifies guests or something is deleted or trashed.

Like mail (app/tools/outbound.py), these run as resolvers before the tool body: a check decides
what to show (or that nothing needs asking), `gated(check)` asks where the client can confirm, and
the tool gets a `Gate`. Invitations to new external guests are never emailed on the model's word
alone: without confirmation the event is saved with `sendUpdates=none` and the answer says so.

Where Google itself asks the person before guests are invited or told, or an event is deleted (its
MCP servers), Switchboard asks nothing of its own: its notes go above Google's question (the tool's
approvals relay), so the person is asked once; a client that cannot show Google's question is told
so before anything is sent to Google.
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve

from app.storage.store import User
from app.tools.calendar_edits import guest_entry, unique_addresses
from app.tools.calendar_format import event_span, event_title
from app.tools.errors import as_tool_error
from app.tools.format import address_text, addresses_text, person, quoted, quoted_line, subject_text
from app.tools.outbound import ActionConfirmation, Outbound, bounded, can_confirm, listed
from app.tools.resolvers import Calendar, CurrentUser, TimeZone, serving
from app.workspace.calendar import Calendar as CalendarBackend
from app.workspace.calendar import Event
from app.workspace.mail import Mail

P = ParamSpec("P")
R = TypeVar("R")
Updates = Literal["all", "externalOnly", "none"]
SHOWN_MESSAGES = 10
NOTIFIES = {"all": "every guest", "externalOnly": "guests outside your domain"}


@dataclass(frozen=True)
class Check:
    """What a check found: a question to ask first, or changes to make without asking."""

    question: str | None = None
    send_updates: Updates | None = None  # overrides the tool's send_updates
    note: str = ""  # said after the outcome
    notes: tuple[str, ...] = ()  # shown above Google's own question, where Google asks


@dataclass(frozen=True)
class Gate:
    """The outcome a tool body acts on: go ahead (perhaps notifying nobody), or stop."""

    go: bool
    send_updates: Updates | None = None
    note: str = ""
    notes: tuple[str, ...] = ()  # for Google's question (see `Check.notes`)


def translated(check: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`check`, failing only with ToolErrors the model can act on (it runs before the tool body)."""

    @functools.wraps(check)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await check(*args, **kwargs)
        except ToolError:
            raise
        except Exception as error:
            raise as_tool_error(error, check.__name__, serving().account_url) from error

    return wrapper


def gated(check: Callable[..., Awaitable[Check]]) -> Callable[..., Awaitable[Gate]]:
    """A resolver: run `check`, ask its question where there is one, and give the tool the outcome."""
    check = translated(check)

    async def question(found: Annotated[Check, Resolve(check)]) -> Elicit[ActionConfirmation] | None:
        return Elicit(found.question, ActionConfirmation) if found.question else None

    async def gate(
        found: Annotated[Check, Resolve(check)],
        answer: Annotated[ElicitationResult[ActionConfirmation], Resolve(question)],
    ) -> Gate:
        if found.question is None:
            return Gate(True, found.send_updates, found.note, found.notes)
        accepted = isinstance(answer, AcceptedElicitation) and answer.data.go_ahead
        return Gate(accepted, found.send_updates, found.note, found.notes)

    return gate


def declined(what: str) -> str:
    """What a tool says when the person said no."""
    return f"Not done: the person declined to {what}. Nothing was changed."


def _outbound() -> Outbound:
    found = serving().outbound
    if found is None:  # pragma: no cover - register_tools always sets it
        raise ToolError("Switchboard is misconfigured: no send policy. Tell your administrator.")
    return found


async def _gmail() -> Mail | None:
    """The person's mail for "written to before", or None without Gmail access (then nobody outside is known)."""
    try:
        return await serving().mail_reader()
    except ToolError:
        return None


GOOGLE_ASKS = (
    "Google asks the person before {what}, and this client cannot show Google's question: nothing was done. "
    "The person can do it in Google Calendar, or from a client that can ask them (Claude Desktop, claude.ai)."
)


def _google_asks_first(ctx: Context[Any, Any], calendar: CalendarBackend, what: str) -> bool:
    """Whether Google will ask the person itself; refused at once when their client cannot show its question."""
    if not calendar.google_asks:
        return False
    if not can_confirm(ctx):
        raise ToolError(GOOGLE_ASKS.format(what=what))
    return True


async def _invitations(
    ctx: Context[Any, Any],
    user: User,
    calendar: CalendarBackend,
    guests: list[str],
    new_guests: list[str],
    send_updates: Updates,
    head: str,
) -> Check:
    """Ask before guests are emailed; without confirmation, new external guests mean nobody is emailed.

    `guests` are shown; `new_guests` are checked — everyone Google would email, removed guests too.
    """
    outbound = _outbound()
    google_asks = bool(guests or new_guests) and _google_asks_first(
        ctx, calendar, "an event with guests is made or changed"
    )
    if not google_asks and (send_updates == "none" or not (guests or new_guests) or outbound.policy == "direct"):
        return Check()
    new = await outbound.new_external(await _gmail(), user, new_guests, None) if new_guests else []
    new_shown = [address_text(address) for address in new]
    note = f"Note: {listed(new_shown)} (outside your domain, never written to before)."
    if google_asks:
        return Check(notes=(note,) if new else ())
    if can_confirm(ctx):
        lines = [f"{head} and email {NOTIFIES[send_updates]}?", f"Guests: {addresses_text(guests)}"]
        if new:
            lines.insert(1, note)
        return Check(question=bounded(lines))
    if new:
        return Check(
            send_updates="none",
            note=f"Nobody was notified: {listed(new_shown)}, so no invitation emails were sent; the person can send "
            "them from Google Calendar.",
        )
    return Check()


def _addresses(values: list[str] | None) -> list[str]:
    return [str(guest_entry(value)["email"]).lower() for value in unique_addresses(values or [])]


async def create_check(
    ctx: Context[Any, Any],
    user: CurrentUser,
    calendar: Calendar,
    zone: TimeZone,
    summary: str,
    start: str,
    end: str | None,
    time_zone: str | None,
    attendees: list[str] | None,
    send_updates: Updates,
) -> Check:
    """calendar_create_event: who would be emailed an invitation, and whether to ask first."""
    guests = _addresses(attendees)
    head = f"Create {quoted_line(summary)} ({start}{f' to {end}' if end else ''}, {time_zone or zone.key})"
    return await _invitations(ctx, user, calendar, guests, guests, send_updates, head)


async def update_check(
    ctx: Context[Any, Any],
    user: CurrentUser,
    calendar: Calendar,
    event_id: str,
    calendar_id: str,
    summary: str | None,
    start: str | None,
    end: str | None,
    location: str | None,
    attendees: list[str] | None,
    add_attendees: list[str] | None,
    remove_attendees: list[str] | None,
    send_updates: Updates,
) -> Check:
    """calendar_update_event: who would be emailed about the change, and whether to ask first."""
    if send_updates == "none" and not calendar.google_asks:
        return Check()
    event = await calendar.get_event(event_id, calendar_id)
    current = [a.email.lower() for a in event.attendees if not a.self_]
    gone = set(_addresses(remove_attendees))
    wanted = _addresses(attendees) if attendees is not None else [*current, *_addresses(add_attendees)]
    guests = list(dict.fromkeys(g for g in wanted if g not in gone and g != user.email.lower()))
    given = {"title": summary, "start": start, "end": end, "location": location}
    changes = ", ".join(f"{name} to {quoted_line(value)}" for name, value in given.items() if value is not None)
    head = f"Change {event_title(event)}" + (f" ({changes})" if changes else "")
    # Every guest who would be emailed is checked, not only those added now: a guest invited
    # earlier without notice (a new external one) must not be emailed the change unconfirmed, nor a
    # removed one (Google tells them they were removed).
    told = list(dict.fromkeys([*guests, *(g for g in current if g in gone)]))
    return await _invitations(ctx, user, calendar, guests, told, send_updates, head)


@translated
async def event_to_delete(calendar: Calendar, zone: TimeZone, event_id: str, calendar_id: str = "primary") -> Event:
    """The event calendar_delete_event would delete, read once for the question and the answer."""
    event = await calendar.get_event(event_id, calendar_id, time_zone=zone.key)
    if event.status == "cancelled":
        raise ToolError(f"Event {event_id} ({event_title(event)}) has already been deleted; nothing to do.")
    return event


async def delete_check(
    ctx: Context[Any, Any],
    user: CurrentUser,
    calendar: Calendar,
    zone: TimeZone,
    event: Annotated[Event, Resolve(event_to_delete)],
    send_updates: Updates,
) -> Check:
    """calendar_delete_event: what would be deleted and who told, asked where the client can confirm.

    Without confirmation, a guest who is a new external recipient means nobody is sent Google's
    cancellation (it carries the event's title, time and description).
    """
    guests = [a.email for a in event.attendees if not a.self_]
    if _google_asks_first(ctx, calendar, "an event is deleted"):
        return Check()
    if not can_confirm(ctx):
        return await _invitations(ctx, user, calendar, guests, guests, send_updates, f"Delete {event_title(event)}")
    scope = " (the whole series)" if event.recurrence else " (this occurrence)" if event.recurring_event_id else ""
    lines = [f"Delete {event_title(event)}{scope}: {event_span(event, zone)}?"]
    if guests:
        told = "nobody is emailed" if send_updates == "none" else f"{NOTIFIES[send_updates]} is emailed"
        lines.append(f"Guests: {addresses_text(guests)} — {told}")
    return Check(question=bounded(lines))


async def trash_check(ctx: Context[Any, Any], message_ids: list[str], action: str | None) -> Check:
    """gmail_modify with trash: which messages would go to Trash, asked where the client can confirm."""
    if action != "trash" or not can_confirm(ctx):
        return Check()
    mail = await serving().mail(ctx)
    if mail.label_limits.no_trash:
        return Check()  # the tool refuses before anything is asked or changed
    shown = await mail.headlines(message_ids[:SHOWN_MESSAGES])
    lines = [f"Move {len(message_ids)} message(s) to Trash (recoverable for 30 days)?"]
    for message in shown:
        sender = ", ".join(person(box.name, box.address) for box in message.sender)
        lines.append(f"- {sender or '(unknown sender)'}: {subject_text(message.subject)}")
    if len(message_ids) > len(shown):
        lines.append(f"… and {len(message_ids) - len(shown)} more")
    return Check(question=bounded(lines))


async def respond_check(
    ctx: Context[Any, Any],
    user: CurrentUser,
    calendar: Calendar,
    event_id: str,
    calendar_id: str,
    response: str,
    comment: str | None,
) -> Check:
    """calendar_respond with a comment: text that reaches the organizer, guarded like mail to them."""
    outbound = _outbound()
    if not comment or not comment.strip() or outbound.policy == "direct":
        return Check()
    event = await calendar.get_event(event_id, calendar_id)
    organizer = (event.organizer.email or "").lower() if event.organizer else ""
    new = await outbound.new_external(await _gmail(), user, [organizer], None) if organizer else []
    if not new:
        return Check()
    if can_confirm(ctx):
        lines = [
            f"Answer {response} to {event_title(event)} with this comment to {address_text(organizer)}?",
            quoted(comment),
        ]
        return Check(question=bounded(lines))
    raise ToolError(
        f"The comment would go to {addresses_text(new)}, a new external recipient (outside your domain, never written "
        "to before). Answer without a comment, or the person can add one in Google Calendar."
    )


create_gate = gated(create_check)
update_gate = gated(update_check)
delete_gate = gated(delete_check)
trash_gate = gated(trash_check)
respond_gate = gated(respond_check)
