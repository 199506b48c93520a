"""Attachment payloads for seeded mail: small CSV exports, one-page PDFs and calendar invitations."""

from __future__ import annotations

import functools
import io
import random
import re
import zipfile
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.seed.mail_mime import Attachment


def csv_file(filename: str, header: list[str], rows: list[list[str | int | float]]) -> Attachment:
    """A CSV attachment (CRLF rows, as spreadsheet exports write them)."""
    lines = [",".join(header), *(",".join(str(v) for v in row) for row in rows)]
    return Attachment(filename, "text/csv", ("\r\n".join(lines) + "\r\n").encode())


def pilot_usage_csv(rng: random.Random, end: date, days: int = 14) -> Attachment:
    """Daily usage of the Initech pilot."""
    rows: list[list[str | int | float]] = []
    users = 9
    for n in range(days):
        day = end - timedelta(days=days - 1 - n)
        if day.weekday() < 5:
            users = min(42, users + rng.randint(0, 4))
        active = users if day.weekday() < 5 else rng.randint(0, 3)
        rows.append([day.isoformat(), "Initech", active, rng.randint(active, active * 3 + 1), rng.randint(0, active)])
    return csv_file(
        "initech-pilot-usage.csv", ["date", "account", "active_users", "reports_created", "sso_logins"], rows
    )


def pipeline_csv(rng: random.Random) -> Attachment:
    """A weekly funnel export."""
    stages = ["Lead", "Discovery", "Demo", "Trial", "Proposal", "Closed won"]
    count = rng.randint(180, 260)
    rows: list[list[str | int | float]] = []
    for stage in stages:
        rows.append([stage, count, f"{rng.uniform(0.35, 0.75):.2f}"])
        count = int(count * rng.uniform(0.35, 0.75))
    return csv_file("pipeline-weekly.csv", ["stage", "opportunities", "conversion_to_next"], rows)


def _pdf_escape(text: str) -> str:
    return (
        text.encode("latin-1", "replace")
        .decode("latin-1")
        .replace("\\", "\\\\")
        .replace("(", "\\(")
        .replace(")", "\\)")
    )


def _assemble(objects: list[bytes]) -> bytes:
    """A PDF file around numbered objects, the first one the catalog, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_file(filename: str, title: str, lines: list[str]) -> Attachment:
    """A valid one-page PDF with a title and a few lines of text."""
    ops = ["BT", "/F1 18 Tf", "72 720 Td", f"({_pdf_escape(title)}) Tj", "/F1 11 Tf", "0 -30 Td"]
    for line in lines:
        ops += [f"({_pdf_escape(line)}) Tj", "0 -16 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    return Attachment(filename, "application/pdf", _assemble(objects))


def _ics_stamp(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def invitation_ics(event: dict[str, Any], sent: datetime, method: str = "REQUEST") -> str:
    """The iCalendar text of a Google Calendar invitation (or REPLY) for `event`, sent at `sent`."""
    start, end = event["start"], event["end"]
    if "date" in start:
        when = [
            f"DTSTART;VALUE=DATE:{start['date'].replace('-', '')}",
            f"DTEND;VALUE=DATE:{end['date'].replace('-', '')}",
        ]
    else:
        when = [f"DTSTART:{_ics_stamp(start['dateTime'])}", f"DTEND:{_ics_stamp(end['dateTime'])}"]
    organizer = event["organizer"]
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        *when,
        f"DTSTAMP:{sent.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"ORGANIZER;CN={organizer.get('displayName', organizer['email'])}:mailto:{organizer['email']}",
        f"UID:{event['iCalUID']}",
    ]
    for att in event.get("attendees", []):
        status = {"needsAction": "NEEDS-ACTION", "accepted": "ACCEPTED", "declined": "DECLINED"}.get(
            att["responseStatus"], "TENTATIVE"
        )
        role = "OPT-PARTICIPANT" if att.get("optional") else "REQ-PARTICIPANT"
        lines.append(
            f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE={role};PARTSTAT={status};RSVP=TRUE;CN={att['email']};X-NUM-GUESTS=0:"
            f"mailto:{att['email']}"
        )
    if "hangoutLink" in event:
        lines.append(f"X-GOOGLE-CONFERENCE:{event['hangoutLink']}")
    description = event.get("description", "").replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    lines += [
        f"CREATED:{_ics_stamp(event['created'])}",
        f"DESCRIPTION:{description}",
        f"LAST-MODIFIED:{_ics_stamp(event['created'])}",
        f"LOCATION:{event.get('location', '')}",
        f"SEQUENCE:{event['sequence']}",
        "STATUS:CONFIRMED",
        f"SUMMARY:{event['summary']}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    # RFC 5545: content lines longer than 75 octets fold with CRLF + space.
    folded: list[str] = []
    for line in lines:
        while len(line) > 75:
            folded.append(line[:75])
            line = " " + line[75:]
        folded.append(line)
    return "\r\n".join(folded) + "\r\n"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


# Office files carry their save time (in the zip entries and their properties); seeded ones carry this.
_SAVED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _reproducible(data: bytes) -> bytes:
    """The same Office file with every zip entry stamped at _SAVED, so the same seed builds the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            stamped = zipfile.ZipInfo(info.filename, date_time=_SAVED.timetuple()[:6])
            stamped.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" as it saves
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*",
                    rb"\g<1>" + _SAVED.strftime("%Y-%m-%dT%H:%M:%SZ").encode(),
                    content,
                )
            target.writestr(stamped, content)
    return out.getvalue()


def docx_file(filename: str, title: str, sections: list[tuple[str, list[str]]]) -> Attachment:
    """A Word document: a title, then headed sections of paragraphs (a leading "- " makes a bullet)."""
    from docx import Document

    document = Document()
    document.core_properties.created = document.core_properties.modified = _SAVED.replace(tzinfo=None)
    document.add_heading(title, 0)
    for heading, paragraphs in sections:
        document.add_heading(heading, 1)
        for paragraph in paragraphs:
            if paragraph.startswith("- "):
                document.add_paragraph(paragraph[2:], style="List Bullet")
            else:
                document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return Attachment(filename, DOCX, _reproducible(out.getvalue()))


def xlsx_file(filename: str, sheets: dict[str, list[list[str | int | float]]]) -> Attachment:
    """An Excel workbook with one sheet per entry, first row the header."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.created = _SAVED.replace(tzinfo=None)
    workbook.remove(workbook.active)  # pyright: ignore[reportArgumentType]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return Attachment(filename, XLSX, _reproducible(out.getvalue()))


def pptx_file(filename: str, slides: list[tuple[str, list[str]]]) -> Attachment:
    """A PowerPoint deck: one title-and-bullets slide per entry."""
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.created = deck.core_properties.modified = _SAVED.replace(tzinfo=None)
    deck.core_properties.last_printed = _SAVED.replace(tzinfo=None)
    layout = deck.slide_layouts[1]
    for title, bullets in slides:
        slide = deck.slides.add_slide(layout)
        if slide.shapes.title is not None:
            slide.shapes.title.text = title
        slide.placeholders[1].text = "\n".join(bullets)  # pyright: ignore[reportAttributeAccessIssue]
    out = io.BytesIO()
    deck.save(out)
    return Attachment(filename, PPTX, _reproducible(out.getvalue()))


@functools.cache
def _bomb_stream(megabytes: int) -> bytes:
    compressor = zlib.compressobj(9)
    chunk = b"0 0 Td (A) Tj " * 74_898  # ~1 MB of text-showing operators
    return b"".join([compressor.compress(chunk) for _ in range(megabytes)] + [compressor.flush()])


def hostile_pdf(filename: str, megabytes: int = 120) -> Attachment:
    """A PDF built to break readers: a page whose small compressed content expands to `megabytes` MB."""
    stream = _bomb_stream(megabytes)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream + b"\nendstream",
    ]
    return Attachment(filename, "application/pdf", _assemble(objects))
