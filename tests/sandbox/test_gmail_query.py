"""Gmail search syntax: the parser's shapes and the matcher, operator by operator."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.gmail.query import (
    All,
    AnyOf,
    MessageFacts,
    Not,
    SearchContext,
    Term,
    matches,
    parse_query,
    searches_spam_or_trash,
)

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
CONTEXT = SearchContext(owner="alice@example.com", now=NOW, label_names={"Label_7": "Clients/Acme Corp"})


BASE = MessageFacts(
    senders=("Bob Brown <bob@example.com>",),
    to=("Alice Adams <alice@example.com>",),
    cc=(" <carol@partner.example>",),
    bcc=(" <dave@example.com>",),
    subject="Re: Q3 budget review",
    text="Hi Alice, the meeting notes are attached. Don't forget the deadline.",
    filenames=("Notes-March.PDF",),
    internal_date_ms=int((NOW - timedelta(days=3)).timestamp() * 1000),
    size=300_000,
    message_id="<abc123@mail.example.com>",
)
LABELS = frozenset({"INBOX", "UNREAD", "Label_7", "CATEGORY_PERSONAL"})


def hit(query: str, labels: frozenset[str] = LABELS, **overrides: object) -> bool:
    return matches(parse_query(query), replace(BASE, **overrides), labels, CONTEXT)


def test_parser_shapes_implicit_and_or_negation_and_groups() -> None:
    assert parse_query("a b") == All((Term("", "a"), Term("", "b")))
    assert parse_query("a OR b c") == All((AnyOf((Term("", "a"), Term("", "b"))), Term("", "c")))
    assert parse_query("-from:bob") == Not(Term("from", "bob"))
    assert parse_query("{a b}") == AnyOf((Term("", "a"), Term("", "b")))
    assert parse_query("(a OR b) -c") == All((AnyOf((Term("", "a"), Term("", "b"))), Not(Term("", "c"))))
    assert parse_query('subject:"budget review"') == Term("subject", "budget review")
    assert parse_query("subject:(q3 -draft)") == All((Term("subject", "q3"), Not(Term("subject", "draft"))))
    assert parse_query("") == All(())


def test_parser_treats_unknown_operators_and_stray_syntax_as_text() -> None:
    assert parse_query("foo:bar") == Term("", "foo:bar")
    assert parse_query("a or b") == All((Term("", "a"), Term("", "or"), Term("", "b")))
    assert parse_query("OR") == Term("", "OR")
    assert parse_query("a)") == Term("", "a")
    assert parse_query('"unterminated phrase') == Term("", "unterminated phrase")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("meeting", True),
        ("MEETING notes", True),
        ("meet", False),  # whole words, like Gmail
        ('"notes are attached"', True),
        ('"attached notes"', False),
        ("don't", True),
        ("bob", True),
        ("partner.example", True),
        ("notes-march", True),
    ],
)
def test_free_text_matches_whole_words_in_subject_body_addresses_and_filenames(query: str, expected: bool) -> None:
    assert hit(query) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from:bob", True),
        ("from:Brown", True),
        ("from:bob@example.com", True),
        ("from:alice", False),
        ("from:me", False),
        ("to:me", True),
        ("to:carol", True),  # to: covers every recipient
        ("cc:carol", True),
        ("cc:alice", False),
        ("bcc:dave", True),
        ("subject:budget", True),
        ("subject:(q3 review)", True),
        ('subject:"budget review"', True),
        ("subject:notes", False),
        ("rfc822msgid:abc123@mail.example.com", True),
        ("rfc822msgid:<other@x>", False),
    ],
)
def test_address_subject_and_message_id_operators(query: str, expected: bool) -> None:
    assert hit(query) is expected


def test_from_me_and_to_me_mean_the_mailbox_owner() -> None:
    assert hit("from:me", senders=("Alice <ALICE@example.com>",))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label:clients-acme-corp", True),
        ("label:Clients/Acme-Corp", True),
        ("label:label_7", True),
        ("label:other", False),
        ("in:inbox", True),
        ("in:sent", False),
        ("in:anywhere", True),
        ("is:unread", True),
        ("is:read", False),
        ("is:starred", False),
        ("is:important", False),
        ("category:primary", True),
        ("category:promotions", False),
        ("has:attachment", True),
        ("has:userlabels", True),
        ("has:nouserlabels", False),
        ("filename:pdf", True),
        ("filename:notes-march.pdf", True),
        ("filename:docx", False),
    ],
)
def test_label_state_category_and_attachment_operators(query: str, expected: bool) -> None:
    assert hit(query) is expected


def test_state_operators_follow_the_labels() -> None:
    starred = frozenset({"STARRED", "IMPORTANT", "TRASH", "CATEGORY_SOCIAL", "SPAM", "SENT"})
    assert hit("is:starred is:important is:read in:trash in:spam in:sent category:social", starred)
    assert not hit("category:primary", starred)
    assert hit("category:primary", frozenset())  # no category label at all: Primary


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("newer_than:7d", True),
        ("newer_than:2d", False),
        ("older_than:2d", True),
        ("newer_than:1m", True),
        ("older_than:1y", False),
        ("after:2026/03/01", True),
        ("after:2026/03/08", False),
        ("before:2026/03/08", True),
        ("before:03/01/2026", False),
        (f"after:{int((NOW - timedelta(days=4)).timestamp())}", True),
        (f"before:{int((NOW - timedelta(days=4)).timestamp())}", False),
        ("newer:2026-03-01", True),
        ("after:not-a-date", False),
        ("larger:100K", True),
        ("larger:1M", False),
        ("smaller:1M", True),
        ("size:200000", True),
        ("smaller:10", False),
    ],
)
def test_date_and_size_operators(query: str, expected: bool) -> None:
    assert hit(query) is expected


def test_dates_are_midnight_pacific() -> None:
    # 2026-03-07 07:30 UTC is still 2026-03-06 in California.
    moment = int(datetime(2026, 3, 7, 7, 30, tzinfo=UTC).timestamp() * 1000)
    assert hit("before:2026/03/07", internal_date_ms=moment)
    assert not hit("after:2026/03/07", internal_date_ms=moment)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("-from:bob", False),
        ("-from:alice budget", True),
        ("from:alice OR subject:budget", True),
        ("from:alice OR subject:nothing", False),
        ("{from:alice from:bob}", True),
        ("{from:alice to:zed}", False),
        ("(from:alice OR from:bob) -is:starred", True),
        ("budget -{deadline lunch}", False),
        ('-"the deadline"', False),
        ("meeting AND notes", True),
    ],
)
def test_negation_or_groups_and_quotes_combine(query: str, expected: bool) -> None:
    assert hit(query) is expected


def test_spam_and_trash_are_searched_only_when_asked_for_outright() -> None:
    assert searches_spam_or_trash(parse_query("in:trash from:bob"))
    assert searches_spam_or_trash(parse_query("in:anywhere"))
    assert searches_spam_or_trash(parse_query("label:spam OR x"))
    assert not searches_spam_or_trash(parse_query("-in:trash"))
    assert not searches_spam_or_trash(parse_query("trash"))
