"""The two bodies of outgoing mail, as Gmail writes them: plain text and a simple HTML twin.

The HTML is built from the plain text only (escaped): blank lines make paragraphs, "- " lines make
lists, bare http(s) URLs become links. The sending address's signature (HTML, from Gmail's
send-as settings) follows a "-- " line; quoted text (a forwarded message) comes last.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from inscriptis import get_text

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""  # punctuation that ends a sentence rather than a URL
_SEPARATOR = "-- "
_ANCHOR = re.compile(r"<a\s[^>]*?href=\"(https?://[^\"]+)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Bodies:
    plain: str
    html: str


def _inline(text: str) -> str:
    """One line of text as HTML: escaped, with bare URLs as links."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url.endswith("(") or len(url) <= len("https://"):
            continue
        start, end = match.start(), match.start() + len(url)
        out.append(html.escape(text[last:start]))
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def _block(lines: list[str], items: bool) -> str:
    if items:
        return "<ul>" + "".join(f"<li>{_inline(line)}</li>" for line in lines) + "</ul>"
    return "<p>" + "<br>".join(_inline(line) for line in lines) + "</p>"


def text_to_html(text: str) -> str:
    """Paragraphs from blank lines, `<ul>` from runs of "- " lines, `<br>` for other line breaks."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip("\n")):
        run: list[str] = []  # consecutive lines of one kind: list items, or text
        in_list = False
        for line in paragraph.split("\n"):
            item = line.lstrip().startswith(("- ", "* "))
            if item != in_list and run:
                blocks.append(_block(run, in_list))
                run = []
            in_list = item
            run.append(line.lstrip()[2:] if item else line)
        if run:
            blocks.append(_block(run, in_list))
    return "".join(blocks)


def signature_text(signature_html: str) -> str:
    """A signature as plain text: its lines, and each link as `text <url>` (or the URL alone)."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), get_text(match.group(2)).strip()
        return html.escape(url if label in ("", url) else f"{label} <{url}>")

    text = get_text(_ANCHOR.sub(link, signature_html))
    return "\n".join(line.strip() for line in text.strip().splitlines())


def signed(text: str, signature_html: str) -> bool:
    """Whether `text` already ends with this signature (a draft written again keeps one, not two)."""
    signature = signature_text(signature_html) if signature_html.strip() else ""
    return bool(signature) and " ".join(text.split()).endswith(" ".join(signature.split()))


def bodies(text: str, signature_html: str = "", quoted: str = "") -> Bodies:
    """The plain and HTML bodies of `text`, signed with `signature_html`, then `quoted` below."""
    text = text.rstrip()
    plain, rich = [text], [text_to_html(text)]
    if signature_html.strip() and not signed(text, signature_html):
        plain.append(f"{_SEPARATOR}\n{signature_text(signature_html)}")
        rich.append(f'<div class="gmail_signature">{_SEPARATOR}<br>{signature_html}</div>')
    if quoted:
        plain.append(quoted.rstrip())
        rich.append(f'<div class="gmail_quote">{text_to_html(quoted)}</div>')
    return Bodies(
        plain="\n\n".join(p for p in plain if p) + "\n",
        html=f'<div dir="ltr">{"".join(rich)}</div>',
    )
