"""A tiny hand-built World for the Gmail sandbox tests: Alice's and Bob's mailboxes and tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sandbox.gmail.api import create_gmail_app
from sandbox.world import Label, Mailbox, Person, StoredMessage, World

ALICE = "alice@example.com"
BOB = "bob@example.com"
AUTH = "https://www.googleapis.com/auth/"
READONLY = AUTH + "gmail.readonly"
MODIFY = AUTH + "gmail.modify"
SEND = AUTH + "gmail.send"
METADATA = AUTH + "gmail.metadata"
API = "/gmail/v1/users/me"
PDF = b"%PDF-1.4 tiny report\n%%EOF\n"


def mail(sender: str, to: str, subject: str, body: str, **headers: str) -> EmailMessage:
    """A plain-text message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@dataclass
class GmailWorld:
    """The world, the Gmail app mounted at /gmail like the combined server does, and named ids."""

    world: World
    app: Starlette
    client: TestClient
    ids: dict[str, str] = field(default_factory=dict)

    def headers(self, email: str = ALICE, scopes: tuple[str, ...] = (MODIFY,)) -> dict[str, str]:
        """An Authorization header with a fresh token for `email`."""
        token = self.world.issue_access_token(email, list(scopes), None).token
        return {"Authorization": f"Bearer {token}"}

    def add(
        self, owner: str, name: str, message: EmailMessage, labels: set[str], minutes_ago: int, thread: str = ""
    ) -> StoredMessage:
        """Store `message` in `owner`'s mailbox under the test name `name`."""
        when = datetime.now(UTC).timestamp() - minutes_ago * 60
        if message.get("Date") is None:
            message["Date"] = format_datetime(datetime.fromtimestamp(when, UTC))
        message_id = self.world.next_id()
        stored = StoredMessage(
            id=message_id,
            thread_id=self.ids.get(thread, message_id),
            raw=message.as_bytes(),
            label_ids=labels,
            internal_date_ms=int(when * 1000),
            history_id=1000 + len(self.ids),
        )
        self.world.mailboxes[owner].messages[message_id] = stored
        self.ids[name] = message_id
        return stored


def build() -> GmailWorld:
    """Alice's inbox (plain, HTML-only, multipart, attachment, spam, trash, a sent reply) and Bob's."""
    world = World(anchor=datetime.now(UTC), domain="example.com")
    for person in (
        Person(ALICE, "Alice Adams", "2001", "Europe/London"),
        Person(BOB, "Bob Brown", "2002", "America/New_York"),
    ):
        world.people[person.email] = person
        world.mailboxes[person.email] = Mailbox(owner=person.email)
    world.mailboxes[ALICE].labels["Label_1"] = Label("Label_1", "Projects/Alpha")
    app = create_gmail_app(world)
    gw = GmailWorld(world, app, TestClient(Starlette(routes=[Mount("/gmail", app)])))

    plan = f"Bob Brown <{BOB}>", f"Alice Adams <{ALICE}>", "Quarterly plan"
    plan_body = "Hi Alice, here is the plan for Q3. It's ambitious & fun."
    gw.add(BOB, "bob_plan", mail(*plan, plan_body, Message_ID="<plan@example.com>"), {"SENT"}, 10)
    gw.add(ALICE, "plain", mail(*plan, plan_body, Message_ID="<plan@example.com>"), {"INBOX", "UNREAD"}, 10)
    html = EmailMessage()
    html["From"], html["To"], html["Subject"] = "Shop News <news@shop.example>", ALICE, "Big sale"
    html.set_content(
        "<html><head><style>p {color: red}</style></head><body><p>Don&#39;t miss <b>50% off</b></p></body></html>",
        subtype="html",
    )
    gw.add(ALICE, "html", html, {"INBOX", "CATEGORY_PROMOTIONS"}, 20)
    multi = mail(f"Bob Brown <{BOB}>", ALICE, "Lunch?", "Lunch at noon?\n", Cc="carol@partner.example")
    multi.add_alternative("<p>Lunch at <i>noon</i>?</p>", subtype="html")
    gw.add(ALICE, "multi", multi, {"INBOX", "STARRED"}, 30)
    report = mail("Carol <carol@partner.example>", ALICE, "Report", "The report is attached.\n")
    report.add_attachment(PDF, maintype="application", subtype="pdf", filename="report.pdf")
    stored = gw.add(ALICE, "attach", report, {"INBOX", "Label_1"}, 40)
    world.mailboxes[ALICE].attachments["att-report"] = (stored.id, PDF)
    gw.add(ALICE, "spam", mail("x@spam.example", ALICE, "Win", "You won\n"), {"SPAM"}, 50)
    gw.add(ALICE, "trash", mail(f"Bob <{BOB}>", ALICE, "Old", "Old news\n"), {"TRASH"}, 60)
    reply = mail(f"Alice Adams <{ALICE}>", BOB, "Re: Quarterly plan", "Looks good.\n", In_Reply_To="<plan@example.com>")
    gw.add(ALICE, "sent", reply, {"SENT"}, 5, thread="plain")
    return gw
