"""Fathom summaries as readable text, and text cut to a bound without breaking a link."""

from app.tools.format import clip
from app.tools.summaries import readable_summary

SHARE = "https://fathom.video/share/Xq7"


def test_a_summary_shows_each_moment_once_keeps_other_links_and_nesting() -> None:
    markdown = (
        "## Key Takeaways\n\n"
        f"- [**Pricing**: approved]({SHARE}?timestamp=61.9)\n"
        f"    - [Seats at $30]({SHARE}?timestamp=75)\n"
        f"- [Kickoff on the 12th]({SHARE}?timestamp=3700.2)\n\n"
        "See [the contract](https://docs.example/d/1?tab=2).\n"
    )
    text, recording = readable_summary(markdown)
    assert recording == SHARE
    assert text == (
        "Key Takeaways:\n"
        "- Pricing: approved (1:01)\n"
        "  - Seats at $30 (1:15)\n"
        "- Kickoff on the 12th (1:01:40)\n\n"
        "See the contract (https://docs.example/d/1?tab=2)."
    )


def test_text_is_cut_after_a_whole_line_or_sentence_never_inside_a_link_and_says_what_is_left() -> None:
    lines = "\n".join(f"- Step {n}: read [the runbook](https://wiki.example/runbooks/{n}?section=a)" for n in range(9))
    for limit in range(lines.index("\n") + 1, len(lines), 7):
        cut = clip(lines, limit, "ask for the rest")
        kept, notice = cut.rsplit("\n", 1)
        assert lines.startswith(kept) and lines[len(kept)] == "\n"  # whole lines only
        left = lines[len(kept) :].strip()
        count = left.count("\n") + 1
        assert notice == f"[cut here: {count} more line(s), {len(left)} characters — ask for the rest]"
    link = "[the review. It has the timeline](https://status.example/incidents/42?view=full)"
    prose = f"The fix is live; read {link} and tell me if it holds."
    for limit in range(20, len(prose)):
        kept = clip(prose, limit, "more").rsplit("\n", 1)[0]
        assert prose.startswith(kept) and (link in kept or "[" not in kept), (limit, kept)
    assert clip("short", 100, "more") == "short"
