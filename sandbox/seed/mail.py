"""Delivers seeded mail into mailboxes the way Gmail files it.

Messages are delivered in time order, so ids and history ids grow with time as Gmail's do. Each
mailbox that sends or receives a message gets its own copy with its own id; a thread's id is the id
of its first message in that mailbox. Labels follow Gmail: SENT for the sender's copy; INBOX, a
category and sometimes UNREAD / IMPORTANT / STARRED for recipients.
"""

from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta

from sandbox.seed.common import digits
from sandbox.seed.mail_mime import MailSpec, render
from sandbox.seed.people import ALICE, BEN, CARMEN, DIETER, EMI, FRANK, GROUPS, SAM
from sandbox.world import Draft, Label, Mailbox, SendAs, StoredMessage, World

SYSTEM_LABELS = (
    "CHAT",
    "SENT",
    "INBOX",
    "IMPORTANT",
    "TRASH",
    "DRAFT",
    "SPAM",
    "CATEGORY_FORUMS",
    "CATEGORY_UPDATES",
    "CATEGORY_PERSONAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_SOCIAL",
    "STARRED",
    "UNREAD",
)
_USER_LABELS: dict[str, tuple[str, ...]] = {
    ALICE: ("Customers", "Hiring", "Hiring/Interviews", "Roadmap", "Receipts", "Travel", "GitHub"),
    BEN: ("Customers", "Deals", "Deals/Globex", "Partners", "Receipts"),
    CARMEN: ("Customers", "GitHub", "Hiring", "Hiring/Interviews", "Receipts"),
    DIETER: ("Customers", "Partners", "Demos", "Receipts"),
    EMI: ("Design", "Hiring", "Hiring/Interviews", "Research", "Receipts"),
    FRANK: ("Customers", "Partners", "Board", "Hiring", "Hiring/Interviews", "Receipts"),
    SAM: ("Climbing", "Bills"),
}


# Gmail "Send mail as": Alice also answers the product support alias, each with its own signature.
_SIGNATURES = {
    ALICE: '<div dir="ltr">Alice Nguyen<br>Head of Product, Acme<br><a href="https://acme.example">acme.example</a></div>',
}
_ALIASES = {
    ALICE: [
        SendAs(
            "support@acme.example",
            "Acme Product Support",
            signature='<div dir="ltr">Acme Product Support<br><a href="https://acme.example/help">acme.example/help</a></div>',
        ),
        SendAs("alice.n@acme.example", "Alice Nguyen", verified=False),
    ],
}


def _mailbox(owner: str, rng: random.Random) -> Mailbox:
    box = Mailbox(owner=owner, aliases=list(_ALIASES.get(owner, [])), signature=_SIGNATURES.get(owner, ""))
    for name in SYSTEM_LABELS:
        box.labels[name] = Label(id=name, name=name, type="system")
    number = rng.randint(1, 20)
    for name in _USER_LABELS.get(owner, ()):
        box.labels[f"Label_{number}"] = Label(id=f"Label_{number}", name=name)
        number += rng.randint(1, 9)
    return box


def _recipients(spec: MailSpec) -> list[str]:
    """Everyone the message reaches, with Google Groups expanded to their members."""
    seen: list[str] = []
    for address in (*spec.to, *spec.cc):
        for member in GROUPS.get(address, (address,)):
            if member not in seen and member != spec.sender:
                seen.append(member)
    return seen


def _attachment_id(rng: random.Random) -> str:
    return "ANGjdJ" + base64.urlsafe_b64encode(rng.randbytes(90)).decode().rstrip("=")


class _Filing:
    """Decides labels for each copy; knows when each account last wrote in each thread."""

    def __init__(self, specs: list[MailSpec], anchor: datetime, rng: random.Random) -> None:
        self.anchor, self.rng = anchor, rng
        self.last_sent: dict[tuple[str, str], datetime] = {}
        for spec in specs:
            if spec.folder != "DRAFT":
                key = (spec.thread, spec.sender)
                self.last_sent[key] = max(self.last_sent.get(key, spec.when), spec.when)

    def sent(self, spec: MailSpec, box: Mailbox) -> set[str]:
        if spec.folder == "DRAFT":
            return {"DRAFT"}
        labels = {"SENT"}
        if spec.important or (spec.important is None and self.rng.random() < 0.4):
            labels.add("IMPORTANT")
        return labels | self._user_labels(spec, box)

    def received(self, spec: MailSpec, owner: str, box: Mailbox) -> set[str]:
        rng = self.rng
        age = self.anchor - spec.when
        replied = self.last_sent.get((spec.thread, owner), spec.when) > spec.when
        if spec.folder == "SPAM":
            return {"SPAM", "UNREAD"} if rng.random() < 0.7 else {"SPAM"}
        labels = {spec.category} | self._user_labels(spec, box)
        labels.add("TRASH" if spec.folder == "TRASH" else "INBOX")
        bulk = spec.expect == "bulk"
        if spec.important or (spec.important is None and rng.random() < (0.05 if bulk else 0.6)):
            labels.add("IMPORTANT")
        if spec.starred or (not bulk and rng.random() < 0.06):
            labels.add("STARRED")
        if spec.expect == "waiting-on-you":
            unread = rng.random() < 0.5
        elif bulk:
            unread = rng.random() < (0.75 if age < timedelta(hours=72) else 0.3)
        elif age < timedelta(hours=24):
            unread = rng.random() < 0.6
        else:
            unread = rng.random() < (0.25 if age < timedelta(hours=72) else 0.03)
        if unread and not replied:
            labels.add("UNREAD")
        return labels

    def _user_labels(self, spec: MailSpec, box: Mailbox) -> set[str]:
        wanted = set(spec.user_labels)
        return {label.id for label in box.labels.values() if label.type == "user" and label.name in wanted}


def deliver(world: World, specs: list[MailSpec], rng: random.Random) -> None:
    """Render every message once and file a copy in each sandbox mailbox it reaches."""
    for email in world.people:
        world.mailboxes[email] = _mailbox(email, rng)
    filing = _Filing(specs, world.anchor, rng)
    history = {email: rng.randint(180_000, 950_000) for email in world.people}
    thread_ids: dict[tuple[str, str], str] = {}
    ordered = sorted(range(len(specs)), key=lambda i: (specs[i].when, i))
    for index in ordered:
        spec = specs[index]
        spec.when = spec.when.replace(microsecond=0)
        holders: list[tuple[str, bool]] = []
        if spec.sender in world.people and (spec.copy_to_sender or spec.folder == "DRAFT"):
            holders.append((spec.sender, True))
        if spec.folder != "DRAFT":
            holders += [(r, False) for r in _recipients(spec) if r in world.people]
        if not holders:
            continue
        raw = render(spec, rng)
        for owner, is_sender in holders:
            box = world.mailboxes[owner]
            mid = world.next_id()
            thread_id = mid if spec.folder == "DRAFT" else thread_ids.setdefault((owner, spec.thread), mid)
            labels = filing.sent(spec, box) if is_sender else filing.received(spec, owner, box)
            history[owner] += rng.randint(1, 40)
            box.messages[mid] = StoredMessage(
                id=mid,
                thread_id=thread_id,
                raw=raw,
                label_ids=labels,
                internal_date_ms=int(spec.when.timestamp()) * 1000,
                history_id=history[owner],
            )
            # Attachment parts follow the body parts in MIME order, so ids are listed in that order.
            for item in spec.attachments:
                box.attachments[_attachment_id(rng)] = (mid, item.data)
            if spec.folder == "DRAFT":
                draft_id = "r" + digits(rng, 19)
                box.drafts[draft_id] = Draft(id=draft_id, message_id=mid)
