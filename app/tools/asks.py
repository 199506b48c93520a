"""Whether an email asks its reader something: a question put to them, a request, a decision to make.

Only the new part of a message is read (quoted history, forwarded mail, signatures and sign-offs
are cut). A message's greeting says whom it is for ("Hi Bob," is for Bob), and a sentence that
starts or ends with someone's name is for that person. Thanks, acknowledgements, FYIs and offers
("let me know if you need anything") ask nothing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from app.tools.format import quoted
from app.tools.mail_text import trim_reply

_URL = re.compile(r"\b(?:https?://|mailto:|www\.)\S+", re.IGNORECASE)
_FORWARDED = re.compile(r"^\s*-{2,}\s*(Forwarded message|Begin forwarded message)|^\s*Begin forwarded message:", re.I)
_SIGN_OFF = re.compile(
    r"^(thanks|thank you|thx|many thanks|thanks again|thanks so much|cheers|best|best regards|kind regards|"
    r"warm regards|regards|all the best|sincerely|talk soon|speak soon|take care|br)\b[\s,.!]*$|"
    r"^sent from my \w+",
    re.I,
)
_GREETING = re.compile(
    r"^(?P<word>hi|hey|hello|dear|greetings|morning|good (?:morning|afternoon|evening))\b[ ,]*"
    r"(?:(?:mr|ms|mrs|mx|dr|prof)\.?\s+)?(?P<names>[^,:;!.?\n]{0,60}?)\s*(?:[,:;!—–-]+|$)\s*",
    re.I,
)
_GROUP = frozenset("all team everyone everybody folks both guys there y'all you all gang friends colleagues".split())
_SPLIT_NAMES = re.compile(r"\s*(?:,|&|/|\band\b|\+)\s*", re.I)
# A sentence ends at . ! ? (or a line break) followed by space; bullets and lines are sentences too.
_SENTENCE = re.compile(r"(?<=[.!?…])[\"”')\]]*\s+|\n+")
_ABBREVIATION = re.compile(r"\b((?:mr|ms|mrs|mx|dr|prof|vs|approx|e\.g|i\.e)\.)\s", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_LEAD_IN = re.compile(
    r"^(?:(?:also|and|so|oh|btw|by the way|plus|finally|lastly|one more thing|quick one|ps|p\.s\.)\b[,:]?\s*)+", re.I
)
_PLEASANTRY = re.compile(
    r"^(?:how are (?:you|things)|how(?:'s| is) (?:it going|everything|your (?:week|day))|how have you been|"
    r"how was (?:your|the) (?:weekend|trip|holiday|holidays|vacation|break|time off|flight)|"
    r"(?:i )?hope (?:you|all|this|everyone)(?!.*\b(?:can|could|will|would|able)\b)|you doing ok|how you doing)\b",
    re.I,
)
# Conditional offers and courtesies: they invite a reply but do not wait on one.
_OFFER = re.compile(
    r"\bif (?:you (?:have|need|want|'d like|would like|run into|see|spot|notice)|there(?:'s| is| are) any|"
    r"anything|any (?:questions?|issues?|problems?|concerns?))\b|\bany questions\b|\bfeel free\b|"
    r"\b(?:don't|do not) hesitate\b|\bhappy to (?:help|answer|chat|jump)\b|\bin case you (?:need|want)\b",
    re.I,
)
# Saying outright that nothing is expected back: then only a request put to "you" still counts.
_NO_REPLY = re.compile(
    r"\bno (?:action|reply|response|need to reply|need to respond)(?: is)?(?: needed| required| necessary)\b|"
    r"\bno need to (?:reply|respond|answer|do anything|act)\b|\bnothing (?:needed|required|to do) (?:from|on) you",
    re.I,
)
# Informing, not asking: these words are no ask themselves.
_NO_ACTION = re.compile(
    rf"{_NO_REPLY.pattern}|\bjust (?:an? )?(?:fyi|heads[- ]up|so you know)\b|"
    r"\bfor your (?:information|records|reference)\b|\bfyi\b|\bjust keeping you (?:posted|in the loop)\b",
    re.I,
)
_REQUEST = re.compile(
    r"\b(?:can|could|would|will) you\b|\b(?:are|were) you (?:able|available|free|ok|okay|around)\b|"
    r"\bplease\b|\blet (?:me|us) know\b|\bneed(?:s|ed)? (?:your|you to)\b|\b(?:i|we)(?:'d| would) (?:like|love) "
    r"(?:your|you to)\b|\b(?:i|we)(?:'d| would) appreciate\b|\b(?:it would|it'd) (?:be )?(?:great|helpful|good|"
    r"nice) if you\b|\b(?:waiting|wait) (?:on|for) (?:you|your)\b|\bawaiting your\b|\blooking forward to "
    r"(?:your|hearing (?:back )?from you)\b|\byour call\b|\bget back to (?:me|us)\b|\bwhen you (?:get|have) a "
    r"(?:chance|minute|moment|sec|second)\b|\bif you could\b|\bwonder(?:ing)? (?:if|whether) you\b|\bkindly\b|"
    r"\b(?:hope|hoping) (?:that )?you (?:can|could|will|'ll)\b|"
    r"\byou(?:'ll| will)? (?:need|have) to\b|\byour [\w-]+(?: [\w-]+)? (?:is|are) (?:needed|required)\b",
    re.I,
)
_PLEASE_NOT_A_TASK = re.compile(
    r"\bplease (?:find|see|note|ignore|disregard|feel free|don't hesitate|do not hesitate|enjoy|be aware|"
    r"keep in mind|excuse|accept my|let me know if you (?:have|need))\b",
    re.I,
)
_TASK_VERBS = frozenset(
    """review confirm approve send sign share check fill complete update forward reply respond schedule book decide
    choose pick ping call add comment submit prepare draft finalize finalise verify double-check provide fix tell
    give grab rsvp accept decline circulate loop weigh chime sort follow set look take have let get answer vote
    proofread test merge upload email""".split()
)
# Verbs that give a task only with these words after them ("take a look", not "take care").
_TASK_OBJECTS = {
    "take": ("a look", "a peek", "a stab"),
    "have": ("a look", "a peek"),
    "let": ("me know", "us know"),
    "look": ("at", "over", "into", "through"),
    "get": ("back", "me", "us", "this", "that", "it"),
    "check": ("the", "this", "that", "it", "whether", "if", "with", "in"),
    "set": ("up",),
    "follow": ("up",),
    "sort": ("out",),
    "weigh": ("in",),
    "chime": ("in",),
    "loop": ("in",),
}
_DECISION = re.compile(
    r"\b(?:approve|approval|sign[- ]?off|go[ -]ahead|go/no[- ]go|decide|decision|which (?:one|option|of)|"
    r"choose|pick|prefer|your call|ok with|okay with)\b",
    re.I,
)
_ATTRIBUTION = re.compile(r"^\s*(On\b.{0,200}\bwrote:|Am\b.{0,200}\bschrieb\b.{0,80}:|Le\b.{0,200}\ba écrit ?:)\s*$")
_CONDITIONAL_LEAD = re.compile(
    r"^(?:when|if|once|before|after|whenever|by|as soon as|at some point)\b[^,]{0,80},\s*", re.I
)


@dataclass(frozen=True)
class Ask:
    """The sentence in which a message asks its reader something."""

    sentence: str
    decision: bool  # it asks for an approval or a choice

    def reason(self, limit: int = 140) -> str:
        text = self.sentence if len(self.sentence) <= limit else self.sentence[:limit].rsplit(" ", 1)[0] + " …"
        return f"{'asks you to decide' if self.decision else 'asks you'}: {quoted(text)}"


def names_of(display_name: str | None, address: str) -> set[str]:
    """Lower-case names someone may be greeted by: full, first and last name, the address's first word."""
    names = {re.split(r"[._+-]", address.partition("@")[0].lower())[0]}
    if display_name:
        cleaned = display_name.strip().strip("\"'").lower()
        if "," in cleaned:  # "Nguyen, Alice"
            cleaned = " ".join(reversed(cleaned.split(",", 1))).strip()
        names.add(cleaned)
        names.update((cleaned.split()[0], cleaned.split()[-1]))  # "Hi Alice," and "Dear Ms. Nguyen,"
    return {name for name in names if len(name) > 1}


def new_text(body: str) -> str:
    """The new part of a message: no quoted history, forwarded message, signature or sign-off."""
    text, _trimmed = trim_reply(html.unescape(body))
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        joined = f"{line.strip()} {lines[index + 1].strip()}" if index + 1 < len(lines) else line
        if (
            _FORWARDED.match(line)
            or line.lstrip().startswith(">")
            or _ATTRIBUTION.match(line)
            or (line.strip().startswith("On ") and _ATTRIBUTION.match(joined))
        ):
            break  # what follows is someone else's (HTML mail converted to text keeps no ">" marks)
        # A sign-off line followed by a few short lines ("Thanks,\nCarmen") starts the signature block.
        rest = [after.strip() for after in lines[index + 1 :] if after.strip()]
        if _SIGN_OFF.match(line.strip()) and (kept or line.strip().endswith(",")):
            if len(rest) <= 6 and all(len(after) <= 60 and "?" not in after for after in rest):
                break
        kept.append(line)
    return "\n".join(kept).strip()


def _sentences(text: str) -> list[str]:
    found: list[str] = []
    text = _ABBREVIATION.sub("\\1\0", _URL.sub("(link)", text))  # "Mr. Becker" is one sentence
    for piece in _SENTENCE.split(text):
        sentence = _BULLET.sub("", piece).replace("\0", " ").strip()
        if sentence:
            found.append(sentence)
    return found


def _greeted(names_text: str, me: set[str], others: set[str]) -> str:
    """Whom a greeting's names are: 'me' (among others or alone), 'group' ("Hi all", "Hello!"), 'other'
    (someone else on the message) or 'unknown' (a name that is nobody's on the message: a nickname?)."""
    parts = [part.strip() for part in _SPLIT_NAMES.split(names_text) if part.strip()]
    lowered = [part.lower() for part in parts]
    if any(part in me or part.split()[0] in me for part in lowered):
        return "me"
    if not parts or any(part.split()[0] in _GROUP or part in _GROUP for part in lowered):
        return "group"
    if not all(part[0].isupper() for part in parts):
        return "group"  # "Hey, quick question:" is no name
    if any(part in others or part.split()[0] in others for part in lowered):
        return "other"  # "Hi Bob,"
    return "unknown"


def _vocative(sentence: str, me: set[str], others: set[str]) -> tuple[str | None, str]:
    """Whom a sentence is put to by name ('me', 'other' or None), and the sentence without the name."""
    known = sorted(me | others, key=len, reverse=True)
    if not known:
        return None, sentence
    alternatives = "|".join(re.escape(name) for name in known)
    leading = re.match(rf"^@?({alternatives})\b\s*[,:—–-]\s*", sentence, re.I)
    if leading:
        return ("me" if leading.group(1).lower() in me else "other"), sentence[leading.end() :]
    trailing = re.search(rf",\s*@?({alternatives})\s*[?.!]*$", sentence, re.I)
    if trailing:
        return ("me" if trailing.group(1).lower() in me else "other"), sentence
    mentions = {m.lower() for m in re.findall(rf"@({alternatives})\b", sentence, re.I)}
    if mentions:
        return ("me" if mentions & me else "other"), sentence
    return None, sentence


def _imperative(clause: str) -> bool:
    words = clause.lower().replace("’", "'").split()
    if not words:
        return False
    verb = words[0].strip(",:;")
    if verb not in _TASK_VERBS:
        return False
    wanted = _TASK_OBJECTS.get(verb)
    return wanted is None or " ".join(words[1:3]).startswith(wanted)


def _asks(sentence: str) -> bool:
    """Whether one sentence asks its reader a question or for something."""
    plain = _NO_ACTION.sub(" ", sentence.replace("’", "'")).strip(" ,.:;!—–-")
    if not plain or _PLEASANTRY.match(plain):
        return False
    if "?" in plain:
        return not _OFFER.search(plain) or bool(re.search(r"\b(?:can|could|would|will) you\b", plain, re.I))
    if _OFFER.search(plain) or _PLEASE_NOT_A_TASK.search(plain):
        return False
    if _REQUEST.search(plain):
        return bool(re.search(r"\b(?:you|your|please|kindly|let (?:me|us) know)\b", plain, re.I))
    clause = _CONDITIONAL_LEAD.sub("", plain)
    return _imperative(clause) or _imperative(plain)


def find_ask(
    body: str, subject: str, me: set[str], others: set[str], *, in_to: bool, alone: bool, first_in_thread: bool
) -> Ask | None:
    """The sentence of `body` that asks the reader (`me`, by their names) something, if any.

    `others` are the names of the other recipients; `in_to` says the reader is in To (not only Cc), `alone`
    that they are its only To recipient (then a greeting by a name nobody on the message has is theirs).
    A subject that asks a question counts only for the first message of a thread.
    """
    text = new_text(body)
    sentences = _sentences(text)
    audience = "me" if in_to else None
    if sentences:
        greeting = _GREETING.match(sentences[0])
        if greeting:
            who = _greeted(greeting.group("names"), me, others)
            if who == "me" or (who == "group" and in_to) or (who == "unknown" and alone):
                audience = "me"
            else:
                audience = None
            sentences[0] = sentences[0][greeting.end() :].strip()
        else:
            who, rest = _vocative(sentences[0], me, others)
            if who is not None and rest != sentences[0] and not _asks(sentences[0]):
                # "Alice," on a line of its own greets the reader.
                audience = "me" if who == "me" else None
    no_action = any(_NO_REPLY.search(s) for s in sentences)
    best: Ask | None = None
    for sentence in sentences:
        who, rest = _vocative(sentence, me, others)
        target = who or audience
        if target != "me" or not rest or not _asks(_LEAD_IN.sub("", rest)):
            continue
        if no_action and not re.search(r"\b(?:you|your)\b", sentence, re.I):
            continue  # a rhetorical or general question in a message that expects no reply
        ask = Ask(" ".join(sentence.split()), bool(_DECISION.search(sentence)))
        if who == "me":
            return ask
        best = best or ask
    if best is None and first_in_thread and audience == "me" and subject.strip().endswith("?") and not no_action:
        best = Ask(subject.strip(), bool(_DECISION.search(subject)))
    return best
