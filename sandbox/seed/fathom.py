"""Fathom recordings of the meetings held in the past three weeks, lined up with the calendar.

Each script in `seed_fathom_scripts` becomes one `FathomRecording`: the Meeting object, a summary in
Fathom's markdown, a timestamped transcript (greetings, the scripted dialogue with a few
back-channel remarks, goodbyes) and action items that point at the moment they were agreed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sandbox.seed.calendar_plan import EventSpec, Slot
from sandbox.seed.common import base62_token, iso_z
from sandbox.seed.fathom_internal import INTERNAL_SCRIPTS
from sandbox.seed.fathom_scripts import CUSTOMER_SCRIPTS, Script
from sandbox.seed.people import CONTACTS, DOMAIN, TEAMS
from sandbox.world import FathomRecording

_BACKCHANNEL = ("Mm-hmm.", "Right.", "Yeah, that makes sense.", "Got it.", "Okay.", "Sure.", "Yep.")


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _name(speaker: str) -> str:
    return CONTACTS[speaker].name if speaker in CONTACTS else speaker


class _Line(NamedTuple):
    speaker: str
    text: str
    action: int | None = None
    skip: bool = False  # the transcript skips ahead before this line (it stands for a longer talk)


def _dialogue(script: Script, participants: list[str], rng: random.Random) -> list[_Line]:
    """The script wrapped in the small talk every call starts and ends with."""
    host = script.recorder
    guests = [p for p in participants if p != host] or [host]
    opener = rng.choice(("Hey everyone, thanks for joining.", "Hi all! Let's give it a minute for folks to join."))
    lines = [_Line(host, opener), _Line(guests[0], "Hi! Can you hear me okay?"), _Line(host, "Yep, loud and clear.")]
    if rng.random() < 0.5:
        lines.append(_Line(host, "How's everyone's week going?"))
        lines.append(_Line(rng.choice(guests), rng.choice(("Good, busy. The usual.", "Not bad, thanks!"))))
    if any(not p.endswith("@" + DOMAIN) for p in participants):
        notice = "Quick note: I'm recording with Fathom so I can focus on the conversation. Is that okay?"
        lines += [_Line(host, notice), _Line(rng.choice(guests), "Sure, no problem.")]
    for entry in script.lines:
        lines.append(_Line(entry[0], entry[1], entry[2] if len(entry) == 3 else None, skip=True))
        if rng.random() < 0.4:
            listener = rng.choice([p for p in participants if p != entry[0]] or [entry[0]])
            lines.append(_Line(listener, rng.choice(_BACKCHANNEL)))
    closing = "Great, I think that's everything. I'll send a recap with the next steps."
    lines.append(_Line(host, closing, skip=True))
    lines.append(_Line(rng.choice(guests), "Sounds good. Thanks, everyone!"))
    lines.append(_Line(guests[-1], "Thanks, bye!"))
    return lines


def _timeline(lines: list[_Line], duration: float, rng: random.Random) -> list[float]:
    """Offsets in seconds: speaking time by word count, with the rest of the call spread over the skips."""
    talk = [len(line.text.split()) * 0.4 + rng.uniform(0.8, 4) for line in lines]
    spare = max(0.0, duration * 0.95 - sum(talk) - 10)
    weights = [rng.uniform(0.5, 1.5) if line.skip else 0.0 for line in lines]
    total = sum(weights) or 1.0
    offsets: list[float] = []
    t = rng.uniform(2, 8)
    for line_talk, weight in zip(talk, weights, strict=True):
        t += spare * weight / total
        offsets.append(t)
        t += line_talk
    return offsets


def _person(email: str) -> dict[str, Any]:
    return {"name": _name(email), "email": email, "team": TEAMS.get(email)}


def _markdown(script: Script, share_url: str, stamps: list[float], action_stamps: list[float]) -> str:
    def link(text: str, at: float) -> str:
        return f"[{text}]({share_url}?timestamp={at:.1f})"

    def stamp(i: int, of: int) -> float:
        return stamps[min(len(stamps) - 1, (i + 1) * len(stamps) // (of + 1))]

    out = ["## Meeting Purpose", "", link(script.purpose, stamps[0]), "", "## Key Takeaways", ""]
    out += [f"  - {link(t, stamp(i, len(script.takeaways)))}" for i, t in enumerate(script.takeaways)]
    out += ["", "## Topics", ""]
    for n, (heading, points) in enumerate(script.topics):
        out += [f"### {heading}", ""]
        out += [f"  - {link(p, stamp(n, len(script.topics)))}" for p in points]
        out.append("")
    out += ["## Next Steps", ""]
    for action, at in zip(script.actions, action_stamps, strict=True):
        owner = _name(action.assignee).split()[0]
        out.append(f"  - {link(f'{owner}: {action.description}', at)}")
    return "\n".join(out) + "\n"


def _recording(script: Script, slot: Slot, event: EventSpec, rng: random.Random, recording_id: int) -> FathomRecording:
    share_url = f"https://fathom.video/share/{base62_token(rng, 28)}"
    url = f"https://fathom.video/calls/{recording_id}"
    rec_start = slot.start + timedelta(seconds=rng.randint(20, 180))
    rec_end = slot.end + timedelta(seconds=rng.randint(-240, 300))
    participants = list(slot.participants)
    lines = _dialogue(script, participants, rng)
    stamps = _timeline(lines, (rec_end - rec_start).total_seconds(), rng)
    spoke = {line.speaker for line in lines}
    transcript = [
        {
            "speaker": {
                "display_name": _name(speaker),
                "matched_calendar_invitee_email": speaker if speaker in CONTACTS else None,
            },
            "text": text,
            "timestamp": _hms(at),
        }
        for (speaker, text, _, _), at in zip(lines, stamps, strict=True)
    ]
    action_stamps = [0.0] * len(script.actions)
    for line, at in zip(lines, stamps, strict=True):
        if line.action is not None:
            action_stamps[line.action] = at
    actions = [
        {
            "description": a.description,
            "user_generated": False,
            "completed": a.completed,
            "recording_timestamp": _hms(at),
            "recording_playback_url": f"{url}?timestamp={int(at)}",
            "assignee": _person(a.assignee),
        }
        for a, at in zip(script.actions, action_stamps, strict=True)
    ]
    invited = [event.organizer, *(i.email for i in event.invitees)]
    invitees = [
        {
            "name": _name(email),
            "email": email,
            "email_domain": email.rpartition("@")[2],
            "is_external": not email.endswith("@" + DOMAIN),
            "matched_speaker_display_name": _name(email) if email in spoke else None,
        }
        for email in invited
    ]
    meeting = {
        "title": slot.title,
        "meeting_title": slot.title,
        "recording_id": recording_id,
        "url": url,
        "share_url": share_url,
        "created_at": iso_z(rec_end + timedelta(seconds=rng.randint(60, 420))),
        "scheduled_start_time": iso_z(slot.start),
        "scheduled_end_time": iso_z(slot.end),
        "recording_start_time": iso_z(rec_start),
        "recording_end_time": iso_z(rec_end),
        "calendar_invitees_domains_type": (
            "one_or_more_external" if any(i["is_external"] for i in invitees) else "only_internal"
        ),
        "transcript_language": "en",
        "calendar_invitees": invitees,
        "recorded_by": {
            "name": _name(script.recorder),
            "email": script.recorder,
            "email_domain": DOMAIN,
            "team": TEAMS.get(script.recorder),
        },
    }
    summary = _markdown(script, share_url, stamps, action_stamps)
    return FathomRecording(meeting=meeting, summary_markdown=summary, transcript=transcript, action_items=actions)


def build_recordings(events: list[EventSpec], slots: dict[str, Slot], rng: random.Random) -> dict[int, FathomRecording]:
    """Every scripted meeting that was held, keyed by recording id (in the order they happened)."""
    by_key = {e.key: e for e in events}
    held = sorted(
        (s for s in (*CUSTOMER_SCRIPTS, *INTERNAL_SCRIPTS) if s.key in slots), key=lambda s: slots[s.key].start
    )
    recordings: dict[int, FathomRecording] = {}
    recording_id = rng.randint(40_000_000, 90_000_000)
    for script in held:
        recording_id += rng.randint(20_000, 400_000)  # ids grow with time, shared by all Fathom users
        recordings[recording_id] = _recording(script, slots[script.key], by_key[script.key], rng, recording_id)
    return recordings


def fathom_teams(anchor: datetime) -> list[dict[str, Any]]:
    """The Fathom teams of Acme's workspace."""
    return [
        {"name": "Product", "created_at": iso_z(anchor - timedelta(days=412, hours=5))},
        {"name": "Sales", "created_at": iso_z(anchor - timedelta(days=398, hours=2))},
    ]
