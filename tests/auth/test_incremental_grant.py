"""Adding scopes after sign-in: /account/grant asks Google for just those, and says plainly what it got."""

from __future__ import annotations

import html
from urllib.parse import quote, urljoin

import httpx2

from sandbox.seed import ALICE, BEN, CONSUMER
from tests.support.mcp_session import mcp_session
from tests.support.oauth_client import Browser, query_of
from tests.support.stack import Stack

_AUTH = "https://www.googleapis.com/auth/"
CONTACTS = f"{_AUTH}contacts.readonly"
OTHER = f"{_AUTH}contacts.other.readonly"
DIRECTORY = f"{_AUTH}directory.readonly"


async def _follow(
    stack: Stack, email: str, ticked: str = "", grant_as: str | None = None
) -> tuple[list[str], httpx2.Response]:
    """Open the grant link in a signed-out browser and follow it through sign-in and Google to a page.

    `ticked` (space-separated scopes) is what the person leaves ticked on Google's screen for the
    grant, or "cancel"; `grant_as` the Google account they pick there (default: the one they signed in with).
    """
    browser = Browser(email)
    visited: list[str] = []
    url = f"{stack.url}/account/grant?for=contacts"
    try:
        for _ in range(20):
            if "/o/oauth2/v2/auth" in url:
                granting = "contacts.readonly" in url
                url += f"&sandbox_login={grant_as or email if granting else email}"
                if ticked == "cancel" and granting:
                    url += "&sandbox_deny=1"
                elif ticked and granting:
                    url += "&sandbox_scopes=" + quote(ticked)
            visited.append(url)
            response = await browser.http.get(url)
            if not response.is_redirect:
                return visited, response
            url = urljoin(url, response.headers["location"])
    finally:
        await browser.aclose()
    raise AssertionError("the grant did not settle")


async def test_the_grant_link_asks_google_for_just_the_contact_scopes_and_then_people_can_be_found(
    stack: Stack,
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        refused = await alice.error("contacts_search", {"query": "Sam"})
        visited, page = await _follow(stack, ALICE)
        found = await alice.ok("contacts_search", {"query": "Sam"})
    assert f"{stack.url}/account/grant?for=contacts" in refused
    google = [query_of(url) for url in visited if "/o/oauth2/v2/auth" in url]
    assert len(google) == 2, "sign-in first, then the grant"
    assert google[1]["scope"] == f"openid {DIRECTORY} {CONTACTS} {OTHER}"
    assert google[1]["include_granted_scopes"] == "true" and google[1]["login_hint"] == ALICE
    assert google[1]["access_type"] == "offline" and google[1]["code_challenge_method"] == "S256"
    assert visited[-1] == f"{stack.url}/account"
    assert (
        "Google granted access to your company directory, saved contacts, other contacts (people you have mailed)"
        in html.unescape(page.text)
    )
    assert "Company directory: find colleagues" in page.text and "Gmail: read, send" in page.text
    assert found.startswith("3 people match 'Sam'"), found


async def test_a_scope_unticked_at_google_is_named_and_the_rest_is_searched(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        _visited, page = await _follow(stack, ALICE, ticked=f"openid {CONTACTS} {OTHER}")
        found = await alice.ok("contacts_search", {"query": "Sam"})
    assert (
        "Google did not grant: company directory — contacts_search will search your saved contacts, "
        "other contacts (people you have mailed) only." in html.unescape(page.text)
    )
    assert found.startswith("2 people match 'Sam'"), found
    assert f"Not searched: company directory — not granted. The person can allow it at {stack.url}" in found


async def test_a_consumer_account_is_not_asked_for_the_directory(stack: Stack) -> None:
    visited, page = await _follow(stack, CONSUMER)
    grant = [query_of(url) for url in visited if "/o/oauth2/v2/auth" in url][-1]
    assert grant["scope"] == f"openid {CONTACTS} {OTHER}"
    assert "Google granted access to your saved contacts, other contacts" in html.unescape(page.text)


async def test_a_grant_answered_by_another_google_account_changes_nothing(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        _visited, page = await _follow(stack, ALICE, grant_as=BEN)
        refused = await alice.error("contacts_search", {"query": "Sam"})
    assert page.status_code == 403
    assert f"Google answered for a different account from the one signed in here ({ALICE})" in page.text
    assert "/account/grant?for=contacts" in refused


async def test_cancelling_at_google_or_an_unknown_permission_changes_nothing(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        _visited, page = await _follow(stack, ALICE, ticked="cancel")
        refused = await alice.error("contacts_search", {"query": "Sam"})
    async with httpx2.AsyncClient() as http:
        unknown = await http.get(f"{stack.url}/account/grant?for=everything")
    assert "You cancelled at Google: nothing was granted, contacts_search stays off." in html.unescape(page.text)
    assert "/account/grant?for=contacts" in refused
    assert unknown.status_code == 404 and "a permission Switchboard does not know" in unknown.text
