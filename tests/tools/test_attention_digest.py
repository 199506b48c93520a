"""attention_digest on the seeded sandbox: what waits on the person comes first, each with its reasons."""

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import httpx2

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from sandbox.seed import ALICE, BEN, CARMEN, DIETER, EMI, FRANK, bulk_threads, waiting_threads
from tests.support.mcp_session import mcp_session
from tests.support.seeded_calendar import busy_events, clash_groups, last_listing_query
from tests.support.stack import Stack, both_backends, rest_calls

ITEM = re.compile(r"^(\d+)\. \[(\w[\w ]*)\] (.*)$", re.M)


async def _connect_fathom(stack: Stack) -> None:
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        user = await store.get_user_by_email(ALICE)
        key = stack.sandbox.world.people[ALICE].fathom_key
        assert user is not None and key is not None
        await store.set_fathom_key(user.id, key)
    finally:
        await engine.dispose()


@both_backends
async def test_every_thread_waiting_on_me_ranks_above_every_newsletter_with_reasons(
    stack: Stack, google_access: str
) -> None:
    waiting = waiting_threads(stack.sandbox.world, ALICE)
    bulk = bulk_threads(stack.sandbox.world, ALICE)
    assert waiting and bulk
    async with mcp_session(stack, ALICE) as alice:
        await _connect_fathom(stack)
        text = await alice.ok("attention_digest", {"hours": 72})

    positions: dict[str, int] = {}
    for block in re.split(r"\n(?=\d+\. \[)", text):
        found = re.search(r"thread_id=(\S+)", block)
        number = re.match(r"(\d+)\. \[", block)
        if found and number:
            positions[found.group(1)] = int(number.group(1))
        if number:
            assert "\n   why: " in block, block
    assert waiting <= positions.keys(), f"missing: {waiting - positions.keys()}\n{text}"
    assert not (bulk & positions.keys()), "a newsletter or notification was listed as waiting on me"
    worst_waiting = max(positions[t] for t in waiting)
    email_items = [int(n) for n, kind, _t in ITEM.findall(text) if kind == "email"]
    assert worst_waiting <= len(email_items)
    assert "Left out: " in text and "newsletter/notification/promotion" in text
    for thread in waiting:
        block = next(b for b in re.split(r"\n(?=\d+\. \[)", text) if f"thread_id={thread}" in b)
        assert "addressed to you" in block and re.search(r"no reply from you (for \d+ h|since \d{4}-\d\d-\d\d)", block)
    if google_access == "mcp":
        assert rest_calls(stack) == []


@both_backends
async def test_the_digest_includes_invitations_conflicts_and_my_open_action_items(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await _connect_fathom(stack)
        text = await alice.ok("attention_digest", {})
    kinds = {kind for _n, kind, _t in ITEM.findall(text)}
    assert {"email", "invitation", "conflict", "action item"} <= kinds, text
    assert "still needs your answer" in text
    assert "assigned to you in «" in text
    # Every clash over the week the header names, each once with its events' times, whatever the weekday.
    zone = ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)
    expected = clash_groups(busy_events(stack.sandbox, ALICE, last_listing_query(stack.sandbox)))
    blocks = [b for b in re.split(r"\n(?=\d+\. \[)", text) if re.match(r"\d+\. \[conflict\]", b)]
    found = [re.search(r"event_ids=(\S+)", block) for block in blocks]
    shown = {frozenset(match.group(1).split(",")) for match in found if match}
    assert len(shown) == len(blocks)  # every clash names its events, and none is listed twice
    assert shown == {frozenset(e.event_id for e in group) for group in expected}, text
    assert any({"Initech pilot weekly check-in", "Hiring sync — Senior PM"} <= {e.summary for e in g} for g in expected)
    for group in expected:
        block = next(b for b in blocks if group[0].event_id in b)
        for event in group:
            start, end = event.start.astimezone(zone), event.end.astimezone(zone)
            assert f"«{event.summary}» {start:%H:%M}–{end:%H:%M}" in block, block


async def test_a_missing_fathom_key_is_a_note_not_a_failure(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("attention_digest", {})
    assert "Not included — Fathom: " in text and f"{stack.url}/account" in text
    assert "[email]" in text


@both_backends
async def test_replying_takes_a_thread_off_the_list(stack: Stack) -> None:
    waiting = sorted(waiting_threads(stack.sandbox.world, ALICE))
    async with mcp_session(stack, ALICE) as alice:
        before = await alice.ok("attention_digest", {})
        block = next(b for b in re.split(r"\n(?=\d+\. \[)", before) if f"thread_id={waiting[0]}" in b)
        message_id = re.search(r"message_id=(\S+)", block)
        assert message_id
        await alice.ok("gmail_send", {"to": [], "body": "Done.", "reply_to_message_id": message_id.group(1)})
        after = await alice.ok("attention_digest", {})
    assert f"thread_id={waiting[0]}" not in after


PRIYA = "priya.raman@globex.example"
RAJ = "raj.patel@initech.example"
NAMES = {
    ALICE: "Alice Nguyen",
    BEN: "Ben Okafor",
    CARMEN: "Carmen Ruiz",
    DIETER: "Dieter Köhler",
    EMI: "Emi Tanaka",
    FRANK: "Frank Doyle",
    PRIYA: "Priya Raman",
    RAJ: "Raj Patel",
}


@dataclass
class Mail:
    sender: str
    to: list[str]
    body: str
    cc: tuple[str, ...] = ()
    html: bool = False
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Labelled:
    """A thread filed in Alice's inbox, marked by hand: does its latest message wait on her? (the words that ask)"""

    subject: str
    mails: list[Mail]
    asks: str | None


def _quoted(mail: Mail, when: datetime) -> str:
    lines = "\n".join(f"> {line}" if line else ">" for line in mail.body.splitlines())
    return f"\n\nOn {when:%a, %b %d, %Y at %H:%M}, {NAMES[mail.sender]} <{mail.sender}> wrote:\n\n{lines}\n"


LABELLED = [
    Labelled(
        "Q3 deck",
        [
            Mail(
                CARMEN,
                [ALICE],
                "Hi Alice,\n\nCan you review the Q3 deck by Friday? Frank wants it Monday.\n\nThanks,\nCarmen",
            )
        ],
        "Can you review the Q3 deck by Friday?",
    ),
    Labelled(
        "Rollout proposal",
        [
            Mail(
                ALICE,
                [PRIYA],
                "Hi Priya,\n\nHere is our rollout proposal, with a phased and a big-bang option.\n\nAlice",
            ),
            Mail(PRIYA, [ALICE], "Thanks Alice, this is clear. Which option would you recommend for a team our size?"),
        ],
        "Which option would you recommend for a team our size?",
    ),
    Labelled(
        "Q1 budget",
        [
            Mail(
                BEN,
                [ALICE],
                "Alice - we need your sign-off on the Q1 budget before finance closes Thursday.\n\nBen",
                (DIETER,),
            )
        ],
        "we need your sign-off on the Q1 budget",
    ),
    Labelled(
        "Onboarding copy",
        [
            Mail(
                EMI,
                [ALICE, DIETER],
                "Hi both,\n\nWhen you get a chance, take a look at the new onboarding copy: "
                "https://docs.example/d/8f2k?tab=t.0&mode=edit\n\nEmi",
            )
        ],
        "take a look at the new onboarding copy",
    ),
    Labelled(
        "Migration plan",
        [
            Mail(
                DIETER,
                [FRANK],
                "Hi Frank,\n\nThe migration plan is in the shared folder. Alice, could you confirm the cut-over window "
                "works for support?\n\nDieter",
                (ALICE,),
            )
        ],
        "Alice, could you confirm the cut-over window works for support?",
    ),
    Labelled(
        "SCIM group push",
        [
            Mail(
                ALICE,
                [RAJ],
                "Hi Raj,\n\nI'm checking with engineering whether SCIM group push fits the pilot.\n\nAlice",
            ),
            Mail(RAJ, [ALICE], "Any update on SCIM? Our IdP change window is next week.\n\nRaj"),
        ],
        "Any update on SCIM?",
    ),
    Labelled(
        "Leadership offsite",
        [Mail(FRANK, [ALICE], "Alice,\n\nAre you free on the 14th or the 21st for the leadership offsite?\n\nFrank")],
        "Are you free on the 14th or the 21st",
    ),
    Labelled(
        "NDA for Hooli",
        [
            Mail(
                BEN,
                [ALICE],
                "<p>Hi Alice,</p><p>Could you send me the signed NDA for Hooli?</p><p>Cheers,<br>Ben</p>",
                html=True,
            )
        ],
        "Could you send me the signed NDA for Hooli?",
    ),
    Labelled(
        "Board prep",
        [Mail(FRANK, [ALICE], "Hey Ali,\n\nWhat time works for board prep tomorrow?\n\nFrank")],
        "What time works for board prep tomorrow?",
    ),
    Labelled(
        "Security questionnaire",
        [
            Mail(
                PRIYA,
                [ALICE],
                "Dear Ms. Nguyen,\n\nI was wondering if you could complete our security questionnaire by the 15th.\n\n"
                "Kind regards,\nPriya Raman\nGlobex",
            )
        ],
        "I was wondering if you could complete our security questionnaire",
    ),
    Labelled(
        "SOC 2 fieldwork",
        [
            Mail(
                DIETER,
                [ALICE],
                "FYI, the SOC 2 auditors moved fieldwork to next week. Thoughts on who should join the kickoff?\n\n"
                "Dieter",
            )
        ],
        "Thoughts on who should join the kickoff?",
    ),
    Labelled(
        "Thank you!",
        [
            Mail(
                CARMEN,
                [ALICE],
                "Hi Alice,\n\nThank you so much for covering the Globex call. Really appreciated!\n\nCarmen",
            )
        ],
        None,
    ),
    Labelled(
        "Pilot review",
        [
            Mail(ALICE, [RAJ], "Hi Raj,\n\nCan we meet Thursday at 3pm to go over the pilot?\n\nAlice"),
            Mail(RAJ, [ALICE], "Sounds good, see you then!\n\nRaj"),
        ],
        None,
    ),
    Labelled(
        "Staging maintenance Saturday",
        [
            Mail(
                DIETER,
                [ALICE],
                "Hi Alice,\n\nFYI: staging is down Saturday 9-11am for the database upgrade. No action needed on your "
                "side.\n\nDieter",
            )
        ],
        None,
    ),
    Labelled(
        "Churn numbers",
        [
            Mail(
                EMI,
                [BEN],
                "Hi Ben,\n\nCould you share the latest churn numbers before Thursday's review?\n\nEmi",
                (ALICE,),
            )
        ],
        None,
    ),
    Labelled(
        "Hiring plan",
        [
            Mail(
                BEN,
                [FRANK, ALICE],
                "Hi Frank,\n\nCould you send the updated hiring plan before the board meeting?\n\nBen",
            )
        ],
        None,
    ),
    Labelled(
        "Initech discount",
        [
            Mail(
                CARMEN,
                [FRANK, ALICE],
                "Frank, can you approve the 15% discount for Initech? Alice, keeping you in the loop.\n\nCarmen",
            )
        ],
        None,
    ),
    Labelled(
        "Thanks for the intro",
        [
            Mail(ALICE, [BEN], "Ben, thanks for introducing me to the Hooli team!\n\nAlice"),
            Mail(BEN, [ALICE], "Happy to help, glad it worked out.\n\nBen"),
        ],
        None,
    ),
    Labelled(
        "Renewal signed",
        [
            Mail(
                PRIYA,
                [ALICE],
                "Hi Alice,\n\nThe signed renewal is in DocuSign now. Let me know if you have any questions.\n\n"
                "Best,\nPriya",
            )
        ],
        None,
    ),
    Labelled(
        "Logs from the outage",
        [
            Mail(ALICE, [DIETER], "Dieter, could you attach the logs from Tuesday's outage to the ticket?\n\nAlice"),
            Mail(DIETER, [ALICE], "Done, they are on the ticket now. Thanks!\n\nDieter"),
        ],
        None,
    ),
    Labelled(
        "Fwd: Audit log question",
        [
            Mail(
                FRANK,
                [ALICE],
                "FYI, handled already.\n\n---------- Forwarded message ---------\nFrom: Lena Fischer "
                "<lena.fischer@vandelay.example>\nSubject: Audit log question\n\nCan you tell me when audit logs ship?",
            )
        ],
        None,
    ),
    Labelled(
        "Out on Friday",
        [
            Mail(
                EMI,
                [ALICE],
                "Hi Alice,\n\nJust a heads up that I'm out on Friday. Hope you have a great weekend!\n\nEmi",
            )
        ],
        None,
    ),
    Labelled(
        "Review requested: PR #412",
        [
            Mail(
                "tracker@code.acme.example",
                [ALICE],
                "Carmen requested your review. Can you review PR #412 (SAML clock skew)?",
                headers=(("List-Unsubscribe", "<https://code.acme.example/unsubscribe>"), ("Precedence", "bulk")),
            )
        ],
        None,
    ),
]


async def _file(http: httpx2.AsyncClient, labelled: Labelled, hours_ago: float) -> str:
    """File one thread in Alice's mailbox through the Gmail API (messages.insert); its thread id."""
    thread_id: str | None = None
    previous: tuple[Mail, datetime, str] | None = None
    for index, mail in enumerate(labelled.mails):
        when = datetime.now(UTC) - timedelta(hours=hours_ago - index)
        message = EmailMessage()
        message["From"] = f"{NAMES.get(mail.sender, 'Code review')} <{mail.sender}>"
        message["To"] = ", ".join(f"{NAMES[a]} <{a}>" for a in mail.to)
        if mail.cc:
            message["Cc"] = ", ".join(f"{NAMES[a]} <{a}>" for a in mail.cc)
        message["Subject"] = labelled.subject if previous is None else f"Re: {labelled.subject}"
        message["Date"] = format_datetime(when)
        message["Message-ID"] = f"<{labelled.subject.split()[0].lower()}-{index}@mail.test>"
        body = mail.body
        if previous is not None:
            message["In-Reply-To"] = message["References"] = previous[2]
            body += _quoted(previous[0], previous[1])
        for name, value in mail.headers:
            message[name] = value
        message.set_content(body, subtype="html" if mail.html else "plain")
        labels = ["SENT"] if mail.sender == ALICE else ["INBOX", "UNREAD"]
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
        response = await http.post(
            "/messages",
            params={"internalDateSource": "dateHeader"},
            json={"raw": raw, "labelIds": labels} | ({"threadId": thread_id} if thread_id else {}),
        )
        response.raise_for_status()
        thread_id = response.json()["threadId"]
        previous = (mail, when, str(message["Message-ID"]))
    assert thread_id is not None
    return thread_id


def _gmail(stack: Stack, email: str) -> httpx2.AsyncClient:
    """A Gmail API client for `email`'s mailbox at the sandbox, as a mail client of theirs would have."""
    token = stack.sandbox.world.issue_access_token(email, ["https://www.googleapis.com/auth/gmail.modify"], None)
    return httpx2.AsyncClient(
        base_url=f"{stack.sandbox.base_url}/gmail/gmail/v1/users/me",
        headers={"Authorization": f"Bearer {token.token}"},
        timeout=10,
    )


async def test_only_mail_that_asks_me_something_is_listed_quoting_the_ask(stack: Stack) -> None:
    async with _gmail(stack, ALICE) as http:
        filed = {await _file(http, labelled, 2 + index): labelled for index, labelled in enumerate(LABELLED)}
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("attention_digest", {"hours": 72})

    blocks = {
        found.group(1): block
        for block in re.split(r"\n(?=\d+\. \[)", text)
        if (found := re.search(r"thread_id=(\S+)", block))
    }
    assert "older mail in the period was not checked" not in text  # every filed thread was read
    listed = {filed[thread].subject for thread in blocks.keys() & filed.keys()}
    assert listed == {labelled.subject for labelled in LABELLED if labelled.asks}, text
    for thread, labelled in filed.items():
        if labelled.asks:
            why = blocks[thread].split("\n   why: ")[1]
            assert why.startswith("asks you") and labelled.asks in why.split("”")[0], why
    assert "you are in Cc and named" in blocks[next(t for t, lab in filed.items() if lab.subject == "Migration plan")]
    assert re.search(r"Left out: \d+ thread\(s\) from people that ask nothing of you", text)


async def test_a_thank_you_for_a_thank_you_is_not_waiting_on_anyone(stack: Stack) -> None:
    world = stack.sandbox.world
    owner, happy = next(
        (owner, message)
        for owner, box in world.mailboxes.items()
        for message in box.messages.values()
        if b"Happy to help, it was a team effort." in message.raw and "INBOX" in message.label_ids
    )
    # The seed dates it anywhere in the past month: file it again in its thread, received now.
    async with _gmail(stack, owner) as http:
        body = {"raw": base64.urlsafe_b64encode(happy.raw).decode(), "labelIds": ["INBOX"], "threadId": happy.thread_id}
        response = await http.post("/messages", json=body)
        assert response.status_code == 200 and response.json()["threadId"] == happy.thread_id, response.text
    async with mcp_session(stack, owner) as person:
        text = await person.ok("attention_digest", {"hours": 1})
    assert re.search(r"Left out: \d+ thread\(s\) from people that ask nothing of you", text), text
    assert f"thread_id={happy.thread_id}" not in text
