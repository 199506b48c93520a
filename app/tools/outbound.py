"""Before anything leaves the account: the send policy, the outbound guard, and asking the person.

Mail to a *new external* address — outside the person's Workspace domain, not a participant of the
thread being answered, never written to before (their sent mail) — is not sent on the model's word
alone: the person confirms it, or it becomes a draft. Confirmation is MCP form elicitation, which
this stateless server can only ask on protocol 2026-07-28 (an `InputRequiredResult` round trip);
older clients count as unable to confirm.

Elicitation runs in resolvers, before a tool body: `Outbound.mail_release(compose)` builds a resolver
that takes the message the tool's own `compose` resolver builds, decides, asks where it must, and
hands the tool a `Release` saying whether to send it, keep it as a draft, or stop.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

from cachetools import TTLCache
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from app.storage.store import User
from app.tools.approvals import Approvals, Outcome
from app.tools.caches import MAX_ENTRIES
from app.tools.capabilities import can_confirm
from app.tools.format import address_text, human_size, person, quoted, quoted_line, subject_text
from app.tools.registrar import report_action, reporting
from app.tools.resolvers import Resolvers
from app.upstream.google_mcp import GooglePlan
from app.upstream.mail_addresses import plain_address
from app.workspace.mail import Mail, Mailbox, Message, Sent

SendPolicy = Literal["confirm", "drafts_only", "direct"]
GOOGLE_ASKS = "Google asks the person before any mail is sent, and this client cannot show Google's question"
KNOWN_TTL = 300.0
PARTICIPANT_HEADERS = ("From", "To", "Cc")
RECIPIENT_HEADERS = ("To", "Cc", "Bcc")
# Sent messages a "written to before" search may propose; each is checked for the exact address.
KNOWN_CANDIDATES = 5
SHOWN_LINES = 8
SHOWN_LINE_CHARS = 200
SHOWN_CHARS = 1800
DRAFTS_URL = "https://mail.google.com/mail/u/0/#drafts"

POLICY_LINES: dict[SendPolicy, str] = {
    "confirm": "confirm (you are asked before anything is sent where your client can ask; "
    "otherwise mail to new external recipients becomes a draft)",
    "drafts_only": "drafts only (your administrator set every email to be saved as a draft; nothing is sent)",
    "direct": "direct (your administrator turned the outbound guard off; mail is sent without asking)",
}


class Composed(Protocol):
    """What a tool is about to send: the message itself and the thread it joins."""

    @property
    def message(self) -> EmailMessage: ...

    @property
    def thread_id(self) -> str | None: ...

    @property
    def replying_to(self) -> str | None:
        """The Gmail id of the message this answers, if it is a reply."""
        ...


C = TypeVar("C", bound=Composed)


class SendConfirmation(BaseModel):
    """The person's answer to "Send this email?"."""

    send: bool = Field(title="Send it now", description="Yes sends exactly the message shown")


class ActionConfirmation(BaseModel):
    """The person's answer to "Do this?" (delete an event, trash mail, notify guests)."""

    go_ahead: bool = Field(title="Go ahead", description="Yes does exactly what is shown")


@dataclass(frozen=True)
class Verdict:
    """What the policy and the guard say before anyone is asked."""

    question: str | None  # ask the person this; otherwise `action` stands
    action: Literal["send", "draft"]
    reason: str = ""  # why it becomes a draft, said to the model
    notes: tuple[str, ...] = ()  # told to the person above Google's own question, where Google asks


@dataclass(frozen=True)
class Release(Generic[C]):
    """The outcome a tool body acts on: send `composed`, keep it as a draft, or stop."""

    composed: C
    action: Literal["send", "sent", "draft", "stop"]  # "sent": Google sent it once the person said yes
    reason: str = ""
    sent: Sent | None = None


def _participants(messages: Sequence[Message], me: str) -> set[str]:
    """Who the person is already in conversation with in a thread: whoever wrote to them, and whoever
    they themselves wrote to. Others on someone else's To/Cc do not count (a sender could add anyone),
    and a draft's recipients are what is being checked, so drafts do not count either.

    A message is the person's own only when Gmail filed it as sent (label SENT): a From header
    naming them proves nothing, since anyone can write one. Where labels are unknown, it is not.
    """
    found: set[str] = set()
    for message in messages:
        labels = message.labels or ()
        if "DRAFT" in labels:
            continue
        if "SENT" in labels:
            found |= _plain(message.to) | _plain(message.cc) | _plain(message.bcc)
        else:
            found |= _plain(message.sender) - {me}
    return found


def _plain(boxes: Sequence[Mailbox]) -> set[str]:
    return {address for address in (plain_address(box.address) for box in boxes) if address is not None}


def recipients(message: EmailMessage) -> list[str]:
    """Every To, Cc and Bcc address of `message`, lower-cased, each once."""
    values = [str(value) for header in ("To", "Cc", "Bcc") for value in message.get_all(header, [])]
    return list(dict.fromkeys(address.lower() for _name, address in getaddresses(values) if address))


def _clip(line: str) -> str:
    if len(line) <= SHOWN_LINE_CHARS:
        return line
    return line[:SHOWN_LINE_CHARS].rsplit(" ", 1)[0] + " …"


def describe(message: EmailMessage) -> list[str]:
    """Exactly what will leave: sender, recipients, subject, attachments and the first lines of the text.

    Names, the subject, file names and the text may come from someone else's mail (a reply, a
    forward), so they are fenced as everywhere else (see `format`).
    """
    lines: list[str] = []
    for header in ("From", "To", "Cc", "Bcc"):
        values = message.get_all(header, [])
        boxes = [a for value in values for a in getattr(value, "addresses", ())]
        if boxes:
            lines.append(f"{header}: {', '.join(person(a.display_name, a.addr_spec) for a in boxes)}")
    lines.append(f"Subject: {subject_text(str(message['Subject'] or ''))}")
    attached = [
        f"{quoted_line(part.get_filename(), empty='(unnamed)')} "
        f"({human_size(len(part.get_payload(decode=True) or b''))})"
        for part in message.iter_attachments()
    ]
    lines.append("Attachments: " + (", ".join(attached) if attached else "none"))
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    written = [line.rstrip() for line in str(text).strip().splitlines()]
    shown = written[:SHOWN_LINES]
    lines.append("Text:" if written else "Text: (empty)")
    if shown:
        lines += [f"  {line}" for line in quoted("\n".join(_clip(line) for line in shown)).splitlines()]
    if len(written) > len(shown):
        lines.append(f"  … ({len(written) - len(shown)} more line(s) not shown)")
    return lines


def bounded(lines: list[str], limit: int = SHOWN_CHARS) -> str:
    """`lines` joined, whole lines only, with a notice when some were left out."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            kept.append(f"… ({len(lines) - len(kept)} more line(s) not shown)")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def listed(addresses: list[str]) -> str:
    verb = "is a new external recipient" if len(addresses) == 1 else "are new external recipients"
    return f"{', '.join(map(address_text, addresses))} {verb}"


class Outbound:
    """The send policy and the outbound guard for one server, with each person's known recipients cached."""

    def __init__(self, resolvers: Resolvers) -> None:
        self.resolvers = resolvers
        self.policy: SendPolicy = resolvers.services.settings.mail_send_policy
        self.approvals = Approvals(resolvers.account_url)
        # (user id, address) the person has written to before; only what was found is kept, so a
        # recipient becomes known as soon as the person has written to them.
        self._written: TTLCache[tuple[str, str], bool] = TTLCache(maxsize=MAX_ENTRIES, ttl=KNOWN_TTL)

    def policy_line(self, always_draft: bool) -> str:
        """The send policy in force for a person, in one line for whoami."""
        if always_draft and self.policy != "drafts_only":
            return "Sending: always draft (you chose to save every email as a draft on your account page)"
        return f"Sending: {POLICY_LINES[self.policy]}"

    async def new_external(
        self, mail: Mail | None, user: User, addresses: list[str], thread_id: str | None
    ) -> list[str]:
        """The addresses among `addresses` that are new external recipients for `user`.

        Without `mail` (no Gmail access) nobody outside the domain counts as written to before, and
        neither does an address that is not plain (see `mail_addresses`).
        """
        domain = (user.hosted_domain or "").lower()
        me = user.email.lower()
        plain = {address: plain_address(address) for address in addresses}
        outside = [
            a for a, p in plain.items() if p is None or (p != me and not (domain and p.rpartition("@")[2] == domain))
        ]
        if mail is None:
            return outside
        if outside and thread_id:
            participants = _participants((await mail.participants(thread_id)).messages, me)
            outside = [a for a in outside if plain[a] is None or plain[a] not in participants]
        own = frozenset({me})
        known = await asyncio.gather(*(self._written_to(mail, user.id, plain[a], own) for a in outside))
        return [address for address, seen in zip(outside, known, strict=True) if not seen]

    async def _written_to(self, mail: Mail, user_id: str, address: str | None, own: frozenset[str]) -> bool:
        """Whether the person has sent mail to exactly `address` (see `Mail.sent_to`); only what was found is kept."""
        if address is None:
            return False
        key = (user_id, address)
        if key in self._written:
            return True
        seen = await mail.sent_to(address, own)
        if seen:
            self._written[key] = True
        return seen

    async def verdict(self, ctx: Context[Any, Any], user: User, mail: Mail, composed: Composed) -> Verdict:
        """Send, keep as a draft, or ask first — by the policy, the person's choice and the guard.

        Where Google itself asks before mail leaves (its MCP servers), Switchboard asks nothing of its
        own: its notes go above Google's question, so the person is asked once.
        """
        if getattr(composed, "draft_requested", False):
            return Verdict(None, "draft", "a draft was asked for")
        if self.policy == "drafts_only":
            return Verdict(None, "draft", "your administrator set every email to be saved as a draft")
        if user.always_draft:
            return Verdict(None, "draft", 'you chose "always save as draft" on your account page')
        google_asks = mail.plan_send(composed.message, composed.replying_to, (), _draft_of(composed)) is not None
        if google_asks and not can_confirm(ctx):
            return Verdict(None, "draft", GOOGLE_ASKS)
        if self.policy == "direct":
            return Verdict(None, "send")
        new = await self.new_external(mail, user, recipients(composed.message), composed.thread_id)
        note = f"Note: {listed(new)} (outside your domain, never written to before)." if new else ""
        if google_asks:
            return Verdict(None, "send", notes=(note,) if note else ())
        if can_confirm(ctx):
            lines = ["Send this email?", *describe(composed.message)]
            if note:
                lines.insert(1, note)
            return Verdict(bounded(lines), "send")
        if new:
            return Verdict(None, "draft", listed(new))
        return Verdict(None, "send")

    def mail_release(self, compose: Callable[..., Awaitable[C]]) -> Callable[..., Awaitable[Release[C]]]:
        """A resolver giving the tool the message `compose` builds, released, held as a draft, or stopped.

        `compose` is the tool's own resolver: it takes the tool's arguments by name and returns what
        would be sent. A tool annotates a parameter `Annotated[Release[X], Resolve(outbound.mail_release(compose))]`.
        Where Google asks before sending, the release comes back "sent" once Google sent it.
        """
        outbound = self
        resolvers = self.resolvers
        # Resolvers run before the tool body: their failures need the same translation into ToolErrors.
        compose = reporting(compose, resolvers.account_url)

        @functools.partial(reporting, account_url=resolvers.account_url)
        async def mail_verdict(
            ctx: Context[Any, Any],
            composed: Annotated[Any, Resolve(compose)],
            user: Annotated[User, Resolve(resolvers.user)],
            mail: Annotated[Mail, Resolve(resolvers.mail)],
        ) -> Verdict:
            return await outbound.verdict(ctx, user, mail, composed)

        async def mail_question(verdict: Annotated[Verdict, Resolve(mail_verdict)]) -> Elicit[SendConfirmation] | None:
            return Elicit(verdict.question, SendConfirmation) if verdict.question else None

        async def google_send(
            composed: Annotated[Any, Resolve(compose)],
            verdict: Annotated[Verdict, Resolve(mail_verdict)],
            mail: Annotated[Mail, Resolve(resolvers.mail)],
        ) -> GooglePlan | None:
            if verdict.action != "send" or verdict.question is not None:
                return None
            return mail.plan_send(composed.message, composed.replying_to, verdict.notes, _draft_of(composed))

        async def mail_release(
            composed: Annotated[Any, Resolve(compose)],
            verdict: Annotated[Verdict, Resolve(mail_verdict)],
            answer: Annotated[ElicitationResult[SendConfirmation], Resolve(mail_question)],
            google: Annotated[Outcome | None, Resolve(outbound.approvals.relay(google_send))],
        ) -> Release[C]:
            if google is not None:
                if google.result is None:
                    return Release(composed, "stop", f"the person {google.said} sending it at Google's question")
                sent = Sent(str(google.result.get("id", "")), str(google.result.get("threadId", "")))
                return Release(composed, "sent", sent=sent)
            if verdict.question is None:
                return Release(composed, verdict.action, verdict.reason)
            if isinstance(answer, AcceptedElicitation) and answer.data.send:
                return Release(composed, "send")
            said = "declined" if answer.action != "cancel" else "cancelled"
            return Release(composed, "stop", f"the person {said} sending it")

        return mail_release

    async def save_draft(self, mail: Mail, release: Release[Any]) -> str:
        """Keep a held message as a draft; what to tell the model about it."""
        composed: Composed = release.composed
        draft = await mail.save_draft(composed.message, composed.thread_id, composed.replying_to)
        to = ", ".join(recipients(composed.message))
        report_action(f"Saved as a draft instead of sending to {to}: {composed.message['Subject']!r}")
        return (
            f"Not sent: saved as a draft because {release.reason}. Review it and send it in Gmail "
            f"({draft.view_url}), or with gmail_send_draft where the person can be asked "
            f"to confirm. draft_id={draft.id}"
        )


def _draft_of(composed: Composed) -> str | None:
    """The saved draft a composed message is, when it is one (gmail_send_draft)."""
    draft_id = getattr(composed, "draft_id", None)
    return draft_id if isinstance(draft_id, str) else None


def stopped(release: Release[Any]) -> str:
    """What to tell the model when the person said no: nothing was sent or saved."""
    return f"Not sent: {release.reason}. Nothing was sent or saved."
