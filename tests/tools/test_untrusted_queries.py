"""Text from a model or an outsider reaches Google and Fathom as one parameter's value, never as more syntax."""

from __future__ import annotations

from urllib.parse import parse_qs

from sandbox.seed import ALICE, DOMAIN
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack
from tests.tools.test_contacts import ALL_SCOPES
from tests.tools.test_guard_addresses import BENDING, _searches
from tests.tools.test_meeting_tools import INITECH_CHECK_IN, _event_id

# Each would add a parameter, a path or a fragment if pasted into a URL as it came.
HOSTILE = "invoice&labelIds=SPAM#x/../../drafts?q=1"
EVENTS = f"/calendar/v3/calendars/{ALICE}/events"


async def test_a_mail_search_reaches_gmail_as_exactly_one_q(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await alice.ok("gmail_search", {"query": HOSTILE})
    (request,) = stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages")
    assert request.path == "/gmail/gmail/v1/users/me/messages"
    params = parse_qs(request.query)
    assert params["q"] == [HOSTILE] and "labelIds" not in params


async def test_an_event_search_reaches_calendar_as_exactly_one_q(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await alice.ok("calendar_list_events", {"query": HOSTILE})
    requests = [r for r in stack.sandbox.faults.requests("/calendar/v3/calendars/") if r.method == "GET"]
    assert requests and all(r.path.endswith("/events") for r in requests), [r.path for r in requests]
    assert all(parse_qs(r.query)["q"] == [HOSTILE] for r in requests)


async def test_a_name_search_reaches_people_as_exactly_one_query(stack: Stack) -> None:
    async with mcp_session(stack, ALICE, ALL_SCOPES) as alice:
        await alice.ok("contacts_search", {"query": HOSTILE})
    searches = stack.sandbox.faults.requests("/people/v1/")
    asked = [parse_qs(r.query) for r in searches if parse_qs(r.query).get("query", [""])[0]]
    assert asked and all(params["query"] == [HOSTILE] for params in asked), [r.path for r in searches]


async def test_a_fathom_domain_filter_that_is_not_a_domain_is_refused_before_fathom_is_asked(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        refused = await alice.error("fathom_list_meetings", {"domain": "initech.example&recorded_by[]=x"})
    assert "domain 'initech.example&recorded_by[]=x' is not an email domain" in refused, refused
    assert stack.sandbox.faults.requests("/fathom/external/v1/meetings") == []


async def test_a_label_name_is_sent_to_gmail_as_the_name_and_nothing_more(stack: Stack) -> None:
    name = 'Clients/"Acme" & co'
    async with mcp_session(stack, ALICE) as alice:
        found = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
        message_id = found.split("message_id=", 1)[1].split()[0].rstrip(".")
        await alice.ok("gmail_modify", {"message_ids": [message_id], "add_labels": [name], "create_missing": True})
    (created,) = [r for r in stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/labels") if r.method == "POST"]
    assert created.path == "/gmail/gmail/v1/users/me/labels" and created.query == ""
    assert any(label.name == name for label in stack.sandbox.world.mailboxes[ALICE].labels.values())


async def test_an_attendee_address_that_bends_a_search_brings_no_one_elses_threads_into_a_prep(stack: Stack) -> None:
    event_id = _event_id(stack, INITECH_CHECK_IN)
    event = stack.sandbox.world.calendars[ALICE][ALICE].events[event_id]
    event["attendees"] = [
        {"email": ALICE, "responseStatus": "accepted", "organizer": True},
        {"email": BENDING, "responseStatus": "needsAction"},
    ]
    async with mcp_session(stack, ALICE) as alice:
        prep = await alice.ok("meeting_prep", {"event_id": event_id})
    assert "Recent email with them (60 days):\n(none)" in prep, prep
    assert not any(DOMAIN in q for q in _searches(stack)), _searches(stack)
