"""Machine-sent mail: notifications, newsletters, promotions and spam, in realistic volumes.

Each stream sends to its audience at a weekly rate, with a third of the mail in the last three
days. GitHub and Linear notifications thread per pull request or issue, as they do in Gmail.
"""

from __future__ import annotations

import html
import random
from datetime import timedelta

from sandbox.seed.common import hex_token
from sandbox.seed.mail_mime import Clock, MailSpec, message_id
from sandbox.seed.mail_streams import STREAMS, Stream
from sandbox.seed.people import ALICE, BEN, CARMEN, DIETER, EMI, FRANK, SAM, contact


def _text_to_html(text: str, title: str) -> str:
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="font-family:Arial,sans-serif">'
        f'<table width="100%" cellpadding="0" cellspacing="0"><tr><td align="center"><table width="600"><tr><td>'
        f"<h2>{html.escape(title)}</h2>{body}"
        '<p style="color:#888;font-size:12px">You received this email because you signed up. '
        '<a href="https://example.com/unsubscribe">Unsubscribe</a></p>'
        "</td></tr></table></td></tr></table></body></html>"
    )


def _hours_ago(rng: random.Random) -> tuple[float, float]:
    return (1, 72) if rng.random() < 0.33 else (72, 710)


def _list_headers(stream: Stream, rng: random.Random) -> tuple[tuple[str, str], ...]:
    domain = stream.sender.partition("@")[2]
    headers: list[tuple[str, str]] = []
    if stream.unsubscribe:
        token = hex_token(rng, 24)
        unsubscribe = f"<mailto:unsubscribe+{token}@{domain}>, <https://{domain}/unsubscribe/{token}>"
        headers += [("List-Unsubscribe", unsubscribe), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    if stream.forum:
        headers += [("List-Id", f"Product Feedback <feedback.{domain}>"), ("Precedence", "list")]
    return tuple(headers)


def _thread_notifications(specs: list[MailSpec]) -> None:
    """Later notifications about a pull request or issue reply to the first, as GitHub and Linear send them."""
    threads: dict[str, list[MailSpec]] = {}
    for spec in specs:
        threads.setdefault(spec.thread, []).append(spec)
    for thread in threads.values():
        thread.sort(key=lambda spec: spec.when)
        root = thread[0].message_id
        for spec in thread[1:]:
            spec.subject, spec.in_reply_to, spec.references = f"Re: {spec.subject}", root, (root,)


def bulk_mail(clock: Clock) -> list[MailSpec]:
    """Every stream's mail to every recipient over the last month."""
    rng = clock.rng
    specs: list[MailSpec] = []
    for stream in STREAMS:
        threaded: list[MailSpec] = []
        for recipient, per_week in stream.rates.items():
            first = contact(recipient).first
            count = max(1, round(per_week * 30 / 7 * rng.uniform(0.8, 1.2)))
            for n in range(count):
                subject, text, actor = stream.make(rng, first)
                low, high = _hours_ago(rng)
                name = f"{actor} ({stream.name})" if actor and stream.key == "docs" else actor or stream.name
                spec = MailSpec(
                    thread=f"{stream.key}-{recipient}-{subject if stream.threads else n}",
                    sender=stream.sender,
                    sender_name=name,
                    to=(recipient,),
                    subject=subject,
                    when=clock.ago(low, high, recipient),
                    text=None if stream.html_only else text,
                    html=_text_to_html(text, subject) if stream.html_only or rng.random() < 0.7 else None,
                    message_id=message_id(rng, stream.sender),
                    headers=_list_headers(stream, rng),
                    category=stream.category,
                    user_labels=stream.labels,
                    expect="bulk",
                )
                (threaded if stream.threads else specs).append(spec)
        _thread_notifications(threaded)
        specs += threaded
    specs += _spam_and_trash(clock)
    return specs


def _spam_and_trash(clock: Clock) -> list[MailSpec]:
    rng = clock.rng
    specs: list[MailSpec] = []
    for n, recipient in enumerate((ALICE, ALICE, BEN, CARMEN, DIETER, EMI, FRANK, SAM)):
        subject, text = rng.choice(
            (
                (
                    "Invoice overdue - action required",
                    "Dear customer, your invoice is overdue. Open the attached link to avoid suspension: http://invoices-secure.example/pay",
                ),
                (
                    "You have (1) pending wire transfer",
                    "A transfer of $4,850.00 is waiting for your confirmation. Confirm now: http://secure-transfer.example/confirm",
                ),
                (
                    "Your mailbox is almost full",
                    "Your mailbox has reached 98% of its quota. Click here to upgrade storage: http://mail-quota.example/upgrade",
                ),
            )
        )
        sender = rng.choice(
            ("billing@invoices-secure.example", "support@secure-transfer.example", "admin@mail-quota.example")
        )
        specs.append(
            MailSpec(
                thread=f"spam-{recipient}-{n}",
                sender=sender,
                sender_name="Accounts Department",
                to=(recipient,),
                subject=subject,
                when=clock.ago(1, 400, recipient),
                text=text,
                message_id=message_id(rng, sender),
                folder="SPAM",
                expect="bulk",
            )
        )
    for n in range(3):
        when = clock.anchor - timedelta(days=rng.uniform(9, 25))
        specs.append(
            MailSpec(
                thread=f"trash-alice-{n}",
                sender="offers@deals.example",
                sender_name="Northwind Offers",
                to=(ALICE,),
                subject=rng.choice(("Flash sale: 48 hours only", "We miss you! Here's 15% off")),
                when=when.replace(microsecond=0),
                html=_text_to_html("Shop the sale before it ends.", "Sale"),
                message_id=message_id(rng, "offers@deals.example"),
                folder="TRASH",
                category="CATEGORY_PROMOTIONS",
                expect="bulk",
            )
        )
    return specs
