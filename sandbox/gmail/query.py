"""Gmail search (`q`): a small parser, and a matcher over one message's searchable facts.

Covers from/to/cc/bcc/subject/label/is/in/category/has/filename/newer_than/older_than/after/before/
larger/smaller/rfc822msgid, quoted phrases, free text, `-` negation, `OR`, `{a b}` OR-groups,
`( … )` grouping and `field:(a b)`. As in Gmail, OR binds tighter than the implicit AND, unknown
operators are plain text, free text matches whole words, and `yyyy/mm/dd` dates are midnight Pacific.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

OPERATORS = frozenset(
    "from to cc bcc subject label is in category has filename newer_than older_than after before newer older"
    " larger smaller size rfc822msgid".split()
)
_PACIFIC = ZoneInfo("America/Los_Angeles")  # Gmail reads yyyy/mm/dd as midnight Pacific time
_WORD = re.compile(r"\w+")
_SYSTEM = ("INBOX", "SENT", "TRASH", "SPAM", "DRAFT", "CHAT", "STARRED", "IMPORTANT", "UNREAD")
_IN_LABELS = {name.lower(): name for name in _SYSTEM} | {"drafts": "DRAFT", "chats": "CHAT"}
_IS_LABELS = {name.lower(): name for name in ("UNREAD", "STARRED", "IMPORTANT", "CHAT", "DRAFT", "SENT")}
_CATEGORIES = {name: f"CATEGORY_{name.upper()}" for name in ("personal", "social", "promotions", "updates", "forums")}
_CATEGORIES["primary"] = "CATEGORY_PERSONAL"


@dataclass(frozen=True)
class Term:
    """One search term; `field` is "" for free text."""

    field: str
    value: str


@dataclass(frozen=True)
class Not:
    """`-term`: the term must not match."""

    node: Node


@dataclass(frozen=True)
class All:
    """Terms side by side: every one must match (an empty query matches everything)."""

    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """`a OR b` and `{a b}`: at least one must match."""

    nodes: tuple[Node, ...]


Node = Term | Not | All | AnyOf


@dataclass(frozen=True)
class MessageFacts:
    """What Gmail search looks at in one message (everything but its mutable labels)."""

    senders: tuple[str, ...]  # "name <address>" per address
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    text: str  # decoded text/plain plus tag-stripped text/html
    filenames: tuple[str, ...]
    internal_date_ms: int
    size: int
    message_id: str

    @cached_property
    def word_fields(self) -> tuple[list[str], ...]:
        """Each free-text field as lower-case words; phrases never span two fields."""
        fields = (self.subject, self.text, *self.senders, *self.to, *self.cc, *self.filenames)
        return tuple(_words(text) for text in fields)


@dataclass(frozen=True)
class SearchContext:
    """The mailbox a search runs in: whose it is, its clock, and its label names by id."""

    owner: str
    now: datetime
    label_names: Mapping[str, str]


@dataclass(frozen=True)
class _Token:
    kind: str  # TERM, FIELD, NEG, OR, AND, ( ) { }
    text: str = ""
    field: str = ""


def parse_query(query: str) -> Node:
    """Parse a Gmail `q` string; every input parses (Gmail never rejects a query)."""
    return _Parser(_tokenize(query)).parse_all(None)


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "(){}":
            tokens.append(_Token(char))
            i += 1
        elif char == '"':
            text, i = _quoted(query, i)
            tokens.append(_Token("TERM", text))
        elif char == "-" and i + 1 < n and not query[i + 1].isspace():
            tokens.append(_Token("NEG"))
            i += 1
        else:
            end = i
            while end < n and not query[end].isspace() and query[end] not in '(){}"':
                end += 1
            word, following = query[i:end].lstrip("+"), query[end : end + 1]
            op, sep, value = word.partition(":")
            if sep and not value and following == '"' and op.lower() in OPERATORS:
                text, i = _quoted(query, end)  # field:"a phrase"
                tokens.append(_Token("TERM", text, op.lower()))
            else:
                tokens.append(_word_token(word, following))
                i = end
    return tokens


def _quoted(query: str, start: int) -> tuple[str, int]:
    """The text of the quoted phrase opening at `start`, and the index just past it."""
    end = query.find('"', start + 1)
    end = len(query) if end < 0 else end
    return query[start + 1 : end], end + 1


def _word_token(word: str, following: str) -> _Token:
    if word in ("OR", "AND"):
        return _Token(word, word)
    op, sep, value = word.partition(":")
    if sep and op.lower() in OPERATORS:
        if value:
            return _Token("TERM", value, op.lower())
        if following == "(":
            return _Token("FIELD", field=op.lower())
    return _Token("TERM", word)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_all(self, closer: str | None) -> Node:
        nodes: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == closer:
                self.pos += 1
                break
            if token.kind in (")", "}", "AND"):  # a stray closer, or the redundant AND
                self.pos += 1
                continue
            nodes.append(self.parse_or())
        return nodes[0] if len(nodes) == 1 else All(tuple(nodes))

    def parse_or(self) -> Node:
        alternatives = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind == "OR" and self.pos + 1 < len(self.tokens):
            self.pos += 1
            alternatives.append(self.parse_unary())
        return alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(alternatives))

    def parse_unary(self) -> Node:
        token = self.tokens[self.pos]
        self.pos += 1
        if token.kind == "NEG":
            return Not(self.parse_unary()) if self.peek() is not None else Term("", "-")
        if token.kind == "(":
            return self.parse_all(")")
        if token.kind == "{":
            return self.parse_braces()
        if token.kind == "FIELD":
            self.pos += 1  # the "(" the tokenizer saw right after the colon
            return _with_field(self.parse_all(")"), token.field)
        if token.kind == "TERM":
            return Term(token.field, token.text)
        return Term("", token.text)  # OR, AND or a closer where a term belongs: plain text

    def parse_braces(self) -> Node:
        nodes: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == "}":
                self.pos += 1
                break
            if token.kind in ("OR", "AND"):
                self.pos += 1
                continue
            nodes.append(self.parse_unary())
        return AnyOf(tuple(nodes))


def _with_field(node: Node, field: str) -> Node:
    """`subject:(a b)` means `subject:a subject:b`: give bare terms the field."""
    match node:
        case Term(field="", value=value):
            return Term(field, value)
        case Term():
            return node
        case Not(node=inner):
            return Not(_with_field(inner, field))
        case All(nodes=nodes):
            return All(tuple(_with_field(n, field) for n in nodes))
        case AnyOf(nodes=nodes):
            return AnyOf(tuple(_with_field(n, field) for n in nodes))


def searches_spam_or_trash(node: Node, positive: bool = True) -> bool:
    """Whether the query asks for spam or trash outright (in:trash, in:spam, in:anywhere)."""
    match node:
        case Term(field=field, value=value):
            return positive and field in ("in", "label", "is") and value.lower() in ("spam", "trash", "anywhere")
        case Not(node=inner):
            return searches_spam_or_trash(inner, not positive)
        case All(nodes=nodes) | AnyOf(nodes=nodes):
            return any(searches_spam_or_trash(n, positive) for n in nodes)


def matches(node: Node, facts: MessageFacts, labels: AbstractSet[str], context: SearchContext) -> bool:
    """Whether a message with these facts and labels satisfies the parsed query."""
    match node:
        case Term():
            return _match_term(node, facts, labels, context)
        case Not(node=inner):
            return not matches(inner, facts, labels, context)
        case All(nodes=nodes):
            return all(matches(n, facts, labels, context) for n in nodes)
        case AnyOf(nodes=nodes):
            return any(matches(n, facts, labels, context) for n in nodes)


def _match_term(term: Term, facts: MessageFacts, labels: AbstractSet[str], context: SearchContext) -> bool:
    value = term.value.casefold()
    match term.field:
        case "":
            needle = _words(value)
            return any(_contains_words(field, needle) for field in facts.word_fields)
        case "from":
            return _address_match(facts.senders, value, context)
        case "to":
            return _address_match(facts.to + facts.cc + facts.bcc, value, context)
        case "cc":
            return _address_match(facts.cc, value, context)
        case "bcc":
            return _address_match(facts.bcc, value, context)
        case "subject":
            return _contains_words(_words(facts.subject), _words(value))
        case "label":
            return _has_label(labels, value, context)
        case "in":
            return value == "anywhere" or _has_label(labels, value, context)
        case "is":
            if value == "read":
                return "UNREAD" not in labels
            return value in _IS_LABELS and _IS_LABELS[value] in labels
        case "category":
            return _in_category(labels, value)
        case "has":
            return _has(facts, labels, value)
        case "filename":
            return any(value in name.casefold() for name in facts.filenames)
        case "rfc822msgid":
            return value.strip("<>") == facts.message_id.casefold().strip("<>")
        case _:
            return _match_bound(term.field, value, facts, context)


def _match_bound(field: str, value: str, facts: MessageFacts, context: SearchContext) -> bool:
    """The date and size operators: false when the value does not parse, as Gmail finds nothing."""
    if field in ("newer_than", "older_than"):
        cutoff = _ago(context.now, value)
        if cutoff is None:
            return False
        return facts.internal_date_ms > cutoff if field == "newer_than" else facts.internal_date_ms < cutoff
    if field in ("after", "newer", "before", "older"):
        moment = _date_ms(value)
        if moment is None:
            return False
        return facts.internal_date_ms >= moment if field in ("after", "newer") else facts.internal_date_ms < moment
    size = _size(value)
    if size is None:
        return False
    return facts.size < size if field == "smaller" else facts.size > size


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _contains_words(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether `needle` occurs as consecutive whole words in `haystack`."""
    if not needle:
        return True  # punctuation alone: Gmail ignores it
    first, size = needle[0], len(needle)
    return any(word == first and list(haystack[i : i + size]) == list(needle) for i, word in enumerate(haystack))


def _address_match(addresses: Sequence[str], value: str, context: SearchContext) -> bool:
    wanted = context.owner.casefold() if value == "me" else value
    return any(wanted in address.casefold() for address in addresses)


def _normal_label(name: str) -> str:
    """Gmail lets `label:my-project` name "My Project" and "My/Project"."""
    return re.sub(r"[\s/_-]+", "-", name.casefold())


def _has_label(labels: AbstractSet[str], value: str, context: SearchContext) -> bool:
    if value in _IN_LABELS:
        return _IN_LABELS[value] in labels
    wanted = _normal_label(value)
    return any(
        label.casefold() == value or _normal_label(context.label_names.get(label, "")) == wanted for label in labels
    )


def _in_category(labels: AbstractSet[str], value: str) -> bool:
    category = _CATEGORIES.get(value)
    if category is None:
        return False
    if category == "CATEGORY_PERSONAL":  # Primary holds whatever no other tab claims
        return not any(label.startswith("CATEGORY_") and label != category for label in labels)
    return category in labels


def _has(facts: MessageFacts, labels: AbstractSet[str], value: str) -> bool:
    user_labels = any(label.startswith("Label_") for label in labels)
    return {
        "attachment": bool(facts.filenames),
        "userlabels": user_labels,
        "nouserlabels": not user_labels,
    }.get(value, False)


def _ago(now: datetime, value: str) -> int | None:
    """Epoch ms of `now` minus an amount like 3d, 2m or 1y."""
    found = re.fullmatch(r"(\d+)([dmy])", value)
    if found is None:
        return None
    amount, unit = int(found.group(1)), found.group(2)
    if unit == "d":
        moment = now - timedelta(days=amount)
    else:
        months = amount * (12 if unit == "y" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        moment = now.replace(year=year, month=month + 1, day=min(now.day, 28))
    return int(moment.timestamp() * 1000)


def _date_ms(value: str) -> int | None:
    """Epoch ms for `after:`/`before:` values: yyyy/mm/dd, mm/dd/yyyy or epoch seconds."""
    if value.isdigit():
        return int(value) * 1000
    if found := re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value):
        year, month, day = (int(g) for g in found.groups())
    elif found := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value):
        month, day, year = (int(g) for g in found.groups())
    else:
        return None
    try:
        return int(datetime(year, month, day, tzinfo=_PACIFIC).timestamp() * 1000)
    except ValueError:
        return None


def _size(value: str) -> int | None:
    found = re.fullmatch(r"(\d+)([km]?)b?", value)
    if found is None:
        return None
    return int(found.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[found.group(2)]
