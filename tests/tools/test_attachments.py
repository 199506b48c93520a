"""Attachments read as text through a real MCP client: Word, Excel, PowerPoint, PDF pages, paging, a hostile PDF."""

from __future__ import annotations

import io
import itertools
import re
from email.message import EmailMessage

import anyio
import docx

from sandbox.seed import ALICE
from sandbox.world import StoredMessage
from tests.support.mcp_session import Session, mcp_session
from tests.support.stack import Stack

IDS = re.compile(r"message_id=(\S+) thread_id=(\S+)")


async def attachment(alice: Session, query: str, filename: str) -> dict[str, object]:
    """The ids of the attachment called `filename` on the first message `query` finds, as tool arguments."""
    hits = await alice.ok("gmail_search", {"query": query, "max_results": 1})
    message_id, _thread = IDS.findall(hits)[0]
    message = await alice.ok("gmail_read_message", {"message_id": message_id})
    found = re.search(rf"«{re.escape(filename)}» \(.*?\) attachment_id=(\S+)", message)
    assert found, message
    return {"message_id": message_id, "attachment_id": found.group(1)}


async def test_word_excel_and_powerpoint_attachments_read_as_text_with_their_structure(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        word = await alice.ok(
            "gmail_get_attachment",
            await attachment(alice, "filename:docx", "Carmen_Ruiz_Staff_Engineer_Packet.docx"),
        )
        excel = await alice.ok(
            "gmail_get_attachment",
            await attachment(alice, "filename:xlsx", "Globex-Vendor-Security-Questionnaire.xlsx"),
        )
        deck = await alice.ok(
            "gmail_get_attachment",
            await attachment(alice, "filename:pptx", "Q3-roadmap-review.pptx"),
        )
    assert word.startswith("«Carmen_Ruiz_Staff_Engineer_Packet.docx» (Word document, ")
    assert "# Impact\n- Enterprise SSO launch\n- SAML reliability: login failures down from 1.2% to 0.1%" in word
    assert excel.startswith("«Globex-Vendor-Security-Questionnaire.xlsx» (Excel workbook, ") and "2 sheet(s))" in excel
    assert "## Sheet: Questions\nSection | Question | Answer\n" in excel
    assert "B. Access control and SSO | Do you support SAML SSO? | Yes" in excel
    assert "## Sheet: Contacts\nRole | Name\nSecurity lead | Tom Becker" in excel
    assert "3 slide(s))" in deck.splitlines()[0]
    assert "## Slide 2: Top candidates\nSSO enforcement\nAudit log export\nNew onboarding flow" in deck
    assert "base64" not in word + excel + deck


async def test_a_long_attachment_is_paged_at_word_boundaries_and_the_pages_join_up_to_the_whole(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        ids = await attachment(alice, "filename:xlsx", "Globex-Vendor-Security-Questionnaire.xlsx")
        whole = _unfenced((await alice.ok("gmail_get_attachment", ids)).split("\n", 1)[1])
        pieces: list[str] = []
        offsets = [0]
        for _ in range(20):
            page = await alice.ok("gmail_get_attachment", ids | {"offset": offsets[-1], "max_chars": 200})
            header, body = page.split("\n", 1)
            assert f"characters {offsets[-1]:,}–" in header, header
            more = re.search(r"\n\[continues — call again with offset=(\d+) for the next part\]$", body)
            pieces.append(_unfenced(body[: more.start()] if more else body))
            if not more:
                break
            offsets.append(int(more.group(1)))
    assert len(pieces) > 1
    # Each page is the text between two offsets, and each offset falls after a space or a line end.
    bounds = [*offsets, len(whole)]
    assert pieces == [whole[a:b].rstrip() for a, b in itertools.pairwise(bounds)]
    assert all(whole[at - 1] in " \n" for at in offsets[1:]), offsets


def _unfenced(text: str) -> str:
    """A page's text without the « » that mark it as written by someone else."""
    assert text.startswith("«") and text.endswith("»"), text[:40]
    return text[1:-1]


async def test_pdf_pages_are_chosen_by_range_and_a_range_past_the_end_says_how_many_pages_there_are(
    stack: Stack,
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        ids = await attachment(
            alice, "filename:Acme-Globex-Order-Form-250-seats.pdf", "Acme-Globex-Order-Form-250-seats.pdf"
        )
        first = await alice.ok("gmail_get_attachment", ids | {"pages": "1"})
        past = await alice.error("gmail_get_attachment", ids | {"pages": "2-3"})
        nonsense = await alice.error("gmail_get_attachment", ids | {"pages": "last"})
    assert first.startswith("«Acme-Globex-Order-Form-250-seats.pdf» (PDF, ") and "1 page(s))" in first
    assert "Order Form: Globex Corporation" in first and "Seats: 250" in first
    assert past.endswith("this PDF has 1 page(s); pages start at 1.")
    assert nonsense.endswith("pages='last' is not a page range: write '3' or '2-5'.")


async def test_a_pdf_built_to_exhaust_readers_is_refused_quickly_and_the_server_carries_on(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        ids = await attachment(alice, "filename:Vandelay-target-accounts-scan.pdf", "Vandelay-target-accounts-scan.pdf")
        with anyio.fail_after(20):
            refused = await alice.error("gmail_get_attachment", ids)
        assert "«Vandelay-target-accounts-scan.pdf» (PDF, " in refused
        assert "expands to more than is read safely" in refused
        assert (await alice.ok("whoami")).startswith("Signed in as")


async def test_a_calendar_invitation_attachment_is_summarised(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        ids = await attachment(alice, "filename:ics", "invite.ics")
        text = await alice.ok("gmail_get_attachment", ids)
    assert text.startswith("«invite.ics» (calendar invitation, ")
    assert re.search(r"^Event: .+\n  When: \S+ to \S+", text, re.M), text


async def test_an_office_file_named_as_nothing_is_told_apart_in_the_worker_and_read(stack: Stack) -> None:
    document = docx.Document()
    document.add_paragraph("Board minutes: approve the Q3 budget.")
    saved = io.BytesIO()
    document.save(saved)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Bo <bo@partner.example>", ALICE, "Minutes"
    mail.set_content("Attached.")
    mail.add_attachment(saved.getvalue(), "application", "octet-stream", filename="minutes.bin")
    world = stack.sandbox.world
    message_id = world.next_id()
    world.mailboxes[ALICE].messages[message_id] = StoredMessage(
        id=message_id,
        thread_id=message_id,
        raw=mail.as_bytes(),
        label_ids={"INBOX", "UNREAD"},
        internal_date_ms=int(world.now().timestamp() * 1000),
        history_id=max(m.history_id for m in world.mailboxes[ALICE].messages.values()) + 1,
    )
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_get_attachment", await attachment(alice, "filename:minutes.bin", "minutes.bin"))
    assert text.startswith("«minutes.bin» (Office file, ") and "«Board minutes: approve the Q3 budget.»" in text
