"""Readable text from the files people mail each other: PDF, Word, Excel, CSV, PowerPoint, HTML, text, iCalendar.

These functions parse untrusted bytes, so they run only inside the worker process (`app.documents.worker`),
under its memory and CPU limits; nothing here is called from the server itself. Tables (sheets, CSV,
tables in Word and PowerPoint) become one line per row, cells separated by " | ", bounded in rows and
columns with a line that says what was left out.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

# The whole text a document may produce; what is beyond is named, never silently lost.
MAX_TEXT = 1_000_000
MAX_ROWS = 500
MAX_COLUMNS = 30
MAX_CELL = 200
# What an Office file may expand to (its parts, as the zip says), before anything is parsed.
MAX_UNZIPPED = 200 * 1024 * 1024

EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
    ".tsv": "csv",
    ".pptx": "pptx",
    ".html": "html",
    ".htm": "html",
    ".ics": "ics",
    ".txt": "text",
    ".md": "text",
    ".json": "text",
    ".xml": "text",
    ".log": "text",
}
MIME_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "text/csv": "csv",
    "application/csv": "csv",
    "text/html": "html",
    "text/calendar": "ics",
    "application/ics": "ics",
}
KIND_NAMES = {
    "pdf": "PDF",
    "docx": "Word document",
    "xlsx": "Excel workbook",
    "csv": "CSV table",
    "pptx": "PowerPoint deck",
    "html": "HTML page",
    "ics": "calendar invitation",
    "text": "text",
    "office": "Office file",
}


class DocumentError(Exception):
    """The file cannot be read as the kind it claims to be; the message says why, for a person."""


@dataclass
class Document:
    text: str
    # Pages of a PDF, slides of a deck, sheets of a workbook; None where the kind has no such unit.
    parts: int | None = None
    note: str = ""


def kind_of(filename: str, mime_type: str) -> str | None:
    """Which reader serves a file, by its name first (senders often say application/octet-stream), else its type."""
    lowered = filename.lower()
    for extension, kind in EXTENSIONS.items():
        if lowered.endswith(extension):
            return kind
    mime = mime_type.split(";")[0].strip().lower()
    if mime in MIME_TYPES:
        return MIME_TYPES[mime]
    if mime.startswith("text/") or mime in ("application/json", "application/xml"):
        return "text"
    return None


def extract(kind: str, data: bytes, pages: tuple[int, int] | None = None) -> Document:
    """The text of `data` read as `kind`; `pages` (1-based, inclusive) narrows a PDF."""
    readers = {
        "pdf": lambda: _pdf(data, pages),
        "docx": lambda: _docx(data),
        "xlsx": lambda: _xlsx(data),
        "csv": lambda: _csv(data),
        "pptx": lambda: _pptx(data),
        "html": lambda: _html(data),
        "ics": lambda: _ics(data),
        "text": lambda: Document(decode(data)),
        "office": lambda: _office(data),
    }
    document = readers[kind]()
    if len(document.text) > MAX_TEXT:
        document.text = document.text[:MAX_TEXT]
        document.note = _join(document.note, f"only the first {MAX_TEXT:,} characters were read")
    return document


def decode(data: bytes) -> str:
    """Text in UTF-8 (with or without a byte-order mark), else Windows-1252, which maps every byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _cell(value: Any) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def table_lines(rows: Iterable[Iterable[Any]], what: str = "rows") -> Iterator[str]:
    """Rows as lines of cells, at most MAX_ROWS of MAX_COLUMNS each, saying what was left out."""
    shown = 0
    wide = False
    for row in rows:
        cells = [_cell(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if shown == MAX_ROWS:
            yield f"[more {what} not shown: only the first {MAX_ROWS} are read]"
            return
        wide = wide or len(cells) > MAX_COLUMNS
        yield " | ".join(cells[:MAX_COLUMNS])
        shown += 1
    if wide:
        yield f"[columns after the first {MAX_COLUMNS} not shown]"


def _zip_checked(data: bytes, what: str) -> zipfile.ZipFile:
    """An Office file's zip, refused if it is not one or if its parts would expand past MAX_UNZIPPED."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise DocumentError(f"this is not a readable {what} (not a valid Office file)") from error
    expanded = sum(info.file_size for info in archive.infolist())
    if expanded > MAX_UNZIPPED:
        raise DocumentError(
            f"this {what} would expand to {expanded // (1024 * 1024):,} MB when opened, "
            f"over the {MAX_UNZIPPED // (1024 * 1024)} MB that is read"
        )
    return archive


def _open_office(data: bytes, what: str, opener: Callable[[io.BytesIO], T]) -> T:
    """An Office file opened by its library, after the zip check; refused plainly when it is not one."""
    _zip_checked(data, what)
    try:
        return opener(io.BytesIO(data))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise DocumentError(f"this is not a readable {what}") from error


def _pdf(data: bytes, pages: tuple[int, int] | None) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("this PDF is password-protected; open it in Gmail")
        total = len(reader.pages)
    except FileNotDecryptedError as error:
        raise DocumentError("this PDF is password-protected; open it in Gmail") from error
    except PdfReadError as error:
        raise DocumentError("this is not a readable PDF (damaged or not a PDF)") from error
    first, last = pages or (1, total)
    if total == 0:
        return Document("", parts=0)
    if first > total:
        raise DocumentError(f"this PDF has {total} page(s); pages start at 1")
    last = min(last, total)
    chunks: list[str] = []
    size = 0
    note = f"pages {first}–{last} of {total}" if (first, last) != (1, total) else ""
    for number in range(first, last + 1):
        try:
            text = (reader.pages[number - 1].extract_text() or "").strip()
        except LimitReachedError as error:
            raise DocumentError(
                f"page {number} of this PDF expands to more than is read safely (a compression bomb or a damaged file)"
            ) from error
        chunks.append(f"--- page {number} ---\n{text}" if total > 1 else text)
        size += len(text)
        if size > MAX_TEXT:
            note = _join(note, f"read up to page {number}; ask for pages={number + 1}-{last} for the rest")
            break
    return Document("\n\n".join(chunks), parts=total, note=note)


def _docx(data: bytes) -> Document:
    from docx import Document as open_docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = _open_office(data, "Word document", open_docx)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if not text:
                continue
            if style.startswith("Heading"):
                level = style.removeprefix("Heading").strip()
                text = "#" * (int(level) if level.isdigit() else 1) + " " + text
            elif style.startswith("List"):
                text = "- " + text
            lines.append(text)
        elif isinstance(block, Table):  # pyright: ignore[reportUnnecessaryIsInstance]
            lines.extend(table_lines(([cell.text for cell in row.cells] for row in block.rows), "table rows"))
    return Document("\n".join(lines))


def _xlsx(data: bytes) -> Document:
    from openpyxl import load_workbook

    workbook = _open_office(data, "Excel workbook", lambda file: load_workbook(file, read_only=True, data_only=True))
    lines: list[str] = []
    sheets = workbook.worksheets
    for sheet in sheets:
        lines.append(f"## Sheet: {sheet.title}")
        lines.extend(table_lines(sheet.iter_rows(values_only=True)))  # pyright: ignore[reportUnknownMemberType, reportAttributeAccessIssue, reportUnknownArgumentType]
        lines.append("")
    workbook.close()
    return Document("\n".join(lines).strip(), parts=len(sheets))


def _csv(data: bytes) -> Document:
    text = decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return Document("\n".join(table_lines(csv.reader(io.StringIO(text), dialect))))


def _pptx(data: bytes) -> Document:
    from pptx import Presentation

    deck = _open_office(data, "PowerPoint deck", Presentation)
    lines: list[str] = []
    slides = list(deck.slides)
    for number, slide in enumerate(slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None and title_shape.has_text_frame else ""
        lines.append(f"## Slide {number}" + (f": {title}" if title else ""))
        title_id = title_shape.shape_id if title_shape is not None else None
        for shape in slide.shapes:
            if shape.shape_id == title_id:
                continue
            if shape.has_text_frame:
                lines.extend(line.strip() for line in shape.text_frame.text.splitlines() if line.strip())  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            if getattr(shape, "has_table", False):
                rows = shape.table.rows  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
                lines.extend(table_lines([cell.text for cell in row.cells] for row in rows))  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType, reportUnknownArgumentType]
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                lines.append("Notes: " + " ".join(notes.text.split()))
        lines.append("")
    return Document("\n".join(lines).strip(), parts=len(slides))


def _html(data: bytes) -> Document:
    from inscriptis import get_text

    return Document(get_text(decode(data)).strip())


_FOLD = re.compile(r"\r?\n[ \t]")


def _ics(data: bytes) -> Document:
    """An invitation summarised: what, when, where, who organises, how many are invited, the method."""
    text = _FOLD.sub("", decode(data))
    method = ""
    events: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        key = name.split(";")[0].upper()
        if key == "METHOD":
            method = value.strip()
        elif key == "BEGIN" and value.strip().upper() == "VEVENT":
            current = {}
        elif key == "END" and value.strip().upper() == "VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None:
            current.setdefault(key, []).append(_ics_unescape(value.strip()))
    lines = [f"Method: {method}" if method else ""]
    for event in events[:50]:
        first = {key: values[0] for key, values in event.items()}
        lines.append(f"Event: {first.get('SUMMARY', '(no title)')}")
        lines.append(f"  When: {first.get('DTSTART', '?')} to {first.get('DTEND', first.get('DURATION', '?'))}")
        for key, label in (("LOCATION", "Where"), ("STATUS", "Status"), ("RRULE", "Repeats")):
            if key in first:
                lines.append(f"  {label}: {first[key]}")
        if "ORGANIZER" in first:
            lines.append(f"  Organiser: {first['ORGANIZER'].removeprefix('mailto:').removeprefix('MAILTO:')}")
        if "ATTENDEE" in event:
            lines.append(f"  Invited: {len(event['ATTENDEE'])}")
        if "DESCRIPTION" in first:
            lines.append(f"  Description: {first['DESCRIPTION'][:500]}")
    if len(events) > 50:
        lines.append(f"[{len(events) - 50} more events not shown]")
    if not events:
        lines.append("(no events in this calendar file)")
    return Document("\n".join(line for line in lines if line))


def _ics_unescape(value: str) -> str:
    return value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def sniff(data: bytes) -> str | None:
    """The kind a file's first bytes show, for attachments whose name and type say nothing.

    Cheap enough for the server: a zip ("office") is opened only in the worker, which tells Word,
    Excel and PowerPoint apart there.
    """
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "office"
    return None


def _office(data: bytes) -> Document:
    """A zip named as nothing in particular: Word, Excel or PowerPoint by the parts inside."""
    names = _zip_checked(data, "file").namelist()
    for prefix, reader in (("word/", _docx), ("xl/", _xlsx), ("ppt/", _pptx)):
        if any(name.startswith(prefix) for name in names):
            return reader(data)
    raise DocumentError("this is a zip archive, not a document this reader knows")


def window(text: str, offset: int, limit: int) -> str:
    """At most `limit` characters of `text` from `offset`, ending at a line, sentence or word boundary.

    A cut never falls inside a word, so never inside a link; only a single unbroken run longer than
    half the window is cut where the window ends.
    """
    end = offset + limit
    if end >= len(text):
        return text[offset:]
    chunk = text[offset:end]
    floor = limit // 2
    for boundary in ("\n", ". ", " "):
        at = chunk.rfind(boundary)
        if at >= floor:
            return chunk[: at + len(boundary)]
    return chunk
