"""Fathom's summary markdown made readable, one format for every tool that shows a summary.

Fathom links every bullet to its moment in the recording (`[text](https://fathom.video/share/…?timestamp=123.4)`).
Here each bullet keeps its text and shows that moment compactly, `(2:03)`; the recording's link is given
once, above the summary, with how to open a moment.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from app.tools.format import clip

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s*(.+?)\s*#*$")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def moment(seconds: float) -> str:
    """`83.5` → `1:23`, `3723` → `1:02:03`."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _timestamp(url: str) -> tuple[str, float] | None:
    """(the link without its timestamp, seconds) for a link to a moment in a recording."""
    parts = urlsplit(url)
    values = parse_qs(parts.query).get("timestamp")
    try:
        seconds = float(values[0]) if values else None
    except ValueError:
        seconds = None
    if seconds is None:
        return None
    return parts._replace(query="", fragment="").geturl(), seconds


def readable_summary(markdown: str) -> tuple[str, str | None]:
    """(the summary as plain lines with `(m:ss)` moments, the recording link the moments open in)."""
    bases = Counter(found[0] for _text, url in _LINK.findall(markdown) if (found := _timestamp(url)))
    recording = bases.most_common(1)[0][0] if bases else None

    def link(match: re.Match[str]) -> str:
        text, url = match.group(1), match.group(2)
        found = _timestamp(url)
        if found and found[0] == recording:
            return f"{text} ({moment(found[1])})"
        return f"{text} ({url})"

    source = html.unescape(markdown).splitlines()
    indents = sorted({len(line) - len(line.lstrip()) for line in source if _BULLET.match(line)})
    lines: list[str] = []
    for raw in source:
        line = _EMPHASIS.sub(r"\2", _LINK.sub(link, raw.rstrip()))
        heading = _HEADING.match(line)
        if heading:
            if lines and lines[-1] and not lines[-1].endswith(":"):
                lines.append("")
            lines.append(f"{heading.group(1)}:")
        elif _BULLET.match(line):
            indent = len(line) - len(line.lstrip())
            nesting = indents.index(indent) if indent in indents else 0  # sub-bullets stay under their bullet
            lines.append("  " * nesting + "- " + _BULLET.sub("", line))
        elif line.strip():
            lines.append(line.strip())
        elif lines and lines[-1] and not lines[-1].endswith(":"):
            lines.append("")
    return "\n".join(lines).strip(), recording


def summary_block(markdown: str | None, limit: int, rest: str) -> str:
    """The readable summary under a line giving the recording link once, cut to `limit` with a notice."""
    if not markdown or not markdown.strip():
        return "(Fathom has no summary for this recording yet.)"
    text, recording = readable_summary(markdown)
    head = f"(m:ss) marks a moment in the recording: open {recording}?timestamp=SECONDS" if recording else ""
    return "\n".join(filter(None, [head, clip(text, limit, rest, fence=True)]))
