"""Draft tools: list the person's drafts, change one, and send one under the same guard as gmail_send."""

import email
import email.policy
import html
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Annotated
from zoneinfo import ZoneInfo

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.storage.store import User
from app.tools.format import Budget, addresses_text, day, person, quoted, subject_text, when
from app.tools.outbound import DRAFTS_URL, Outbound, Release, recipients, stopped
from app.tools.registrar import ToolRegistrar, report_action
from app.tools.resolvers import Resolvers
from app.tools.times import zone_label
from app.upstream.errors import InvalidId, NotFound
from app.upstream.gmail import GmailClient
from app.upstream.gmail_compose import build_message
from app.upstream.gmail_models import b64url_decode
from app.workspace.mail import Mail

LIST_BUDGET = 8000
THREADING = ("In-Reply-To", "References")


@dataclass(frozen=True)
class DraftOutgoing:
    """A saved draft about to be sent: its message as Gmail holds it."""

    draft_id: str
    message: EmailMessage
    thread_id: str | None
    replying_to: str | None = None  # Gmail keeps the draft's threading in the message itself


@contextmanager
def _draft_id(draft_id: str) -> Generator[None]:
    try:
        yield
    except (InvalidId, NotFound) as error:
        raise ToolError(
            f"Gmail has no draft {draft_id!r} (sent or deleted since, or not a draft id). "
            "Use a draft_id from gmail_list_drafts."
        ) from error


async def _load(gmail: GmailClient, draft_id: str) -> DraftOutgoing:
    with _draft_id(draft_id):
        draft = await gmail.get_draft(draft_id, format="raw")
    parsed = email.message_from_bytes(b64url_decode(draft.message.raw or ""), policy=email.policy.default)
    return DraftOutgoing(draft.id, parsed, draft.message.thread_id or None)


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""


def _addresses(message: EmailMessage, header: str) -> list[str]:
    return [str(address) for value in message.get_all(header, []) for address in getattr(value, "addresses", ())]


def register_draft_tools(tool: ToolRegistrar, resolvers: Resolvers, outbound: Outbound) -> None:
    async def draft_to_send(mail: Annotated[Mail, Resolve(resolvers.mail)], draft_id: str) -> DraftOutgoing:
        """The draft gmail_send_draft would send, read before the person is asked to confirm it."""
        with _draft_id(draft_id):
            message, thread_id = await mail.load_draft(draft_id)
        draft = DraftOutgoing(draft_id, message, thread_id)
        if not recipients(draft.message):
            raise ToolError(f"Draft {draft_id} has no recipients: add them with gmail_update_draft first.")
        return draft

    @tool(title="List email drafts", read_only=True, idempotent=True)
    async def gmail_list_drafts(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        max_results: Annotated[int, Field(ge=1, le=50)] = 20,
    ) -> str:
        """The person's drafts, newest first: recipients, subject, snippet and draft_id."""
        drafts = await mail.drafts(max_results)
        if not drafts:
            return "No drafts."
        budget = Budget(LIST_BUDGET, f"call again with max_results below {max_results}")
        budget.add(f"{len(drafts)} draft(s), newest first (times in {zone_label(zone)}):")
        for draft in drafts:
            message = draft.message
            to = ", ".join(person(box.name, box.address) for box in (*message.to, *message.cc))
            saved = (
                when(message.sent_at, zone)
                if message.sent_at
                else day(message.sent_on)
                if message.sent_on
                else "at an unknown time"
            )
            thread = (
                f" · thread_id={message.thread_id}" if message.thread_id and message.thread_id != message.id else ""
            )
            entry = [
                f"- To: {to or '(no recipients yet)'} · Subject: {subject_text(message.subject)}",
                f"  saved {saved} · draft_id={draft.id}{thread}",
            ]
            if message.snippet:
                entry.append(f"  {quoted(html.unescape(message.snippet))}")
            if not budget.add_whole("\n".join(entry)):
                break
        return budget.render()

    @tool(title="Edit email draft", read_only=False, idempotent=True, sends_mail=True)
    async def gmail_update_draft(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        user: Annotated[User, Resolve(resolvers.user)],
        draft_id: str,
        to: list[str] | None = None,
        subject: str | None = None,
        body: str | None = None,
        cc: list[str] | None = None,
        bcc: list[str] | None = None,
    ) -> str:
        """Change a draft; fields left out stay as they are (to/cc/bcc replace the whole list)."""
        current = await _load(gmail, draft_id)
        old = current.message
        if any(True for _ in old.iter_attachments()):
            # The draft is rebuilt as plain text: its files would be lost.
            raise ToolError(f"Draft {draft_id} has attachments, which would be lost: change it in Gmail.")
        message = build_message(
            sender=user.email,
            to=_addresses(old, "To") if to is None else to,
            subject=str(old["Subject"] or "") if subject is None else subject,
            body=_text(old) if body is None else body,
            cc=_addresses(old, "Cc") if cc is None else cc,
            bcc=_addresses(old, "Bcc") if bcc is None else bcc,
        )
        for header in THREADING:
            if old[header]:
                message[header] = str(old[header])
        with _draft_id(draft_id):
            draft = await gmail.update_draft(draft_id, message, thread_id=current.thread_id)
        listed = addresses_text(recipients(message)) or "nobody yet"
        report_action(f"Changed draft to {listed}: {message['Subject']!r}")
        return (
            f"Draft updated (not sent): to {listed} — subject {subject_text(str(message['Subject']))}. "
            f"draft_id={draft.id}. "
            f"Open: {DRAFTS_URL}?compose={draft.message.id}"
        )

    @tool(title="Send email draft", read_only=False, sends_mail=True, sends=True)
    async def gmail_send_draft(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        release: Annotated[Release[DraftOutgoing], Resolve(outbound.mail_release(draft_to_send))],
        draft_id: str,
    ) -> str:
        """Send a saved draft as it is (draft_id from gmail_list_drafts or gmail_draft)."""
        draft = release.composed
        listed = addresses_text(recipients(draft.message))
        if release.action == "stop":
            return stopped(release)
        if release.action == "draft":
            return (
                f"Not sent: draft {draft_id} stays a draft because {release.reason}. The person can review it "
                f"and send it in Gmail: {DRAFTS_URL}"
            )
        with _draft_id(draft_id):
            # Exactly the message that was checked (and shown), even if the draft changed meanwhile; through
            # Google's MCP server, Google sent it once the person said yes to Google's own question.
            sent = release.sent or await mail.send_draft(draft_id, draft.message, draft.thread_id)
        report_action(f"Sent draft to {listed}: {draft.message['Subject']!r}")
        return (
            f"Sent to {listed} — subject {subject_text(str(draft.message['Subject'] or ''))}. message_id={sent.id} "
            f"thread_id={sent.thread_id}."
        )
