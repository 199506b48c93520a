"""Device sign-in (RFC 8628) over real HTTP: the installer's side and the person's browser side."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.auth import device
from app.browser import when
from app.crypto import KeyRing
from app.ratelimit import address_key
from app.storage.db import create_engine
from app.storage.store import Store
from sandbox.seed import ALICE, BEN
from sandbox.server import SandboxServer
from sandbox.serving import free_port
from tests.support.oauth_client import Browser
from tests.support.process import start_server
from tests.support.settings import make_settings
from tests.support.stack import Stack, running_stack

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_SHAPE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


async def start_device(stack: Stack, **form: str) -> dict[str, Any]:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        response = await http.post("/device/code", data=form)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def poll(stack: Stack, device_code: str, grant_type: str = GRANT) -> httpx2.Response:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        return await http.post("/device/token", data={"grant_type": grant_type, "device_code": device_code})


async def signed_in_browser(stack: Stack, code: str = "") -> tuple[Browser, str]:
    """A browser that asked for /setup, was sent to sign in, and came back; returns it and the page URL."""
    browser = Browser(ALICE)
    first = await browser.http.get(f"{stack.url}/setup", params={"code": code} if code else None)
    assert first.status_code == 303
    login = first.headers["location"]
    assert login.startswith("/auth/login?next=")
    return browser, await browser.walk(stack.url + login, f"{stack.url}/setup")


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf|code)" value="([^"]*)"', html))


async def decide_in_browser(stack: Stack, code: str, decision: str) -> httpx2.Response:
    browser, setup_url = await signed_in_browser(stack, code)
    try:
        page = await browser.http.get(setup_url)
        assert page.status_code == 200, page.text
        return await browser.http.post(f"{stack.url}/setup", data={**form_fields(page.text), "decision": decision})
    finally:
        await browser.aclose()


async def tool_names(stack: Stack, token: str) -> set[str]:
    async with asyncio.timeout(30):
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=20) as http:
            async with Client(streamable_http_client(stack.mcp_url, http_client=http)) as client:
                return {tool.name for tool in (await client.list_tools()).tools}


async def test_an_approved_device_gets_one_personal_token_that_works_on_mcp(stack: Stack) -> None:
    started = await start_device(stack)
    shown = started["user_code"]
    assert CODE_SHAPE.match(shown)
    assert started["verification_uri"] == f"{stack.url}/setup"
    assert started["verification_uri_complete"] == f"{stack.url}/setup?code={shown}"
    assert (started["expires_in"], started["interval"]) == (600, 5)

    pending = await poll(stack, started["device_code"])
    assert (pending.status_code, pending.json()["error"]) == (400, "authorization_pending")
    too_fast = await poll(stack, started["device_code"])
    assert (too_fast.status_code, too_fast.json()["error"]) == (400, "slow_down")

    # Typed the way people type it: lower case, no dash.
    browser, setup_url = await signed_in_browser(stack, shown.replace("-", "").lower())
    try:
        page = await browser.http.get(setup_url)
        assert page.status_code == 200
        assert "Approve Claude Desktop?" in page.text
        assert ALICE in page.text and shown in page.text
        done = await browser.http.post(f"{stack.url}/setup", data={**form_fields(page.text), "decision": "approve"})
        reloaded = await browser.http.get(setup_url)
    finally:
        await browser.aclose()
    assert done.status_code == 200
    assert "Done — return to your terminal" in done.text
    assert "Already approved" in reloaded.text

    granted = await poll(stack, started["device_code"])
    assert granted.status_code == 200, granted.text
    assert granted.headers["cache-control"] == "no-store"
    body = granted.json()
    assert body["access_token"].startswith("sbp_")
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 90 * 86400)
    assert "whoami" in await tool_names(stack, body["access_token"])

    again = await poll(stack, started["device_code"])
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_a_device_token_is_named_after_its_computer_and_its_last_use_shows_at_once(stack: Stack) -> None:
    started = await start_device(stack, client_name="Claude Desktop", device_name=" ALICE-LAPTOP.corp.example\n")
    approved = await decide_in_browser(stack, started["user_code"], "approve")
    assert approved.status_code == 200
    token = (await poll(stack, started["device_code"])).json()["access_token"]
    await tool_names(stack, token)

    browser, _setup = await signed_in_browser(stack)
    try:
        account = (await browser.http.get(f"{stack.url}/account")).text
    finally:
        await browser.aclose()
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        alice = await store.get_user_by_email(ALICE)
        assert alice is not None
        [issued] = await store.list_personal_tokens(alice.id)
    finally:
        await engine.dispose()
    day = issued.created_at
    assert issued.label == f"Claude Desktop on ALICE-LAPTOP (device sign-in, {day.day} {day:%b %Y})"
    assert issued.last_used_at is not None  # written when the page was asked for, not 30 s later
    shown = re.search(r"Last used (.*?) ·", account[account.index(issued.label) :])
    assert shown is not None and shown.group(1) == when(issued.last_used_at)


def test_the_computer_name_an_installer_sends_is_cut_to_a_short_host_name() -> None:
    assert device.clean_device_name("alice-mbp.local") == "alice-mbp"
    assert device.clean_device_name("ALICE_PC") == "ALICE_PC"
    assert device.clean_device_name('<img src=x onerror="alert(1)">') == "imgsrcxonerroralert1"
    assert device.clean_device_name("Ünïcode-Мой") == "ncode-"
    assert device.clean_device_name("x" * 100) == "x" * device.DEVICE_NAME_MAX
    assert device.device_label("Claude Desktop", device.clean_device_name("...")) == "Claude Desktop"


async def test_a_denied_device_gets_access_denied(stack: Stack) -> None:
    started = await start_device(stack, client_name="Work laptop")
    denied = await decide_in_browser(stack, started["user_code"], "deny")
    assert denied.status_code == 200
    assert "Nothing was connected" in denied.text
    response = await poll(stack, started["device_code"])
    assert (response.status_code, response.json()["error"]) == (400, "access_denied")


async def test_an_expired_code_gets_expired_token_and_its_page_says_to_run_the_installer_again(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device, "DEVICE_CODE_TTL", timedelta(seconds=-1))
    started = await start_device(stack)
    response = await poll(stack, started["device_code"])
    assert (response.status_code, response.json()["error"]) == (400, "expired_token")
    browser, setup_url = await signed_in_browser(stack, started["user_code"])
    try:
        page = await browser.http.get(setup_url)
    finally:
        await browser.aclose()
    assert page.status_code == 400
    assert "Run the installer again" in page.text


async def test_unknown_device_codes_and_other_grant_types_are_refused(stack: Stack) -> None:
    unknown = await poll(stack, "not-a-device-code")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")
    started = await start_device(stack)
    other = await poll(stack, started["device_code"], grant_type="authorization_code")
    assert (other.status_code, other.json()["error"]) == (400, "unsupported_grant_type")


async def test_approving_without_the_csrf_token_is_refused(stack: Stack) -> None:
    started = await start_device(stack)
    browser, _setup_url = await signed_in_browser(stack, started["user_code"])
    try:
        forged = await browser.http.post(
            f"{stack.url}/setup", data={"csrf": "forged", "code": started["user_code"], "decision": "approve"}
        )
    finally:
        await browser.aclose()
    assert forged.status_code == 403
    response = await poll(stack, started["device_code"])
    assert response.json()["error"] == "authorization_pending"


async def test_setup_without_a_code_signs_in_first_then_asks_for_the_code(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        first = await http.get("/setup", params={"code": "BCDF-GHJK"})
    assert first.status_code == 303
    assert unquote(first.headers["location"].partition("next=")[2]) == "/setup?code=BCDF-GHJK"
    browser, setup_url = await signed_in_browser(stack)
    try:
        page = await browser.http.get(setup_url)
        unknown = await browser.http.get(f"{stack.url}/setup", params={"code": "AAAA-AAAA"})
    finally:
        await browser.aclose()
    assert page.status_code == 200
    assert 'name="code"' in page.text and ALICE in page.text
    assert unknown.status_code == 400


async def test_pending_device_requests_are_bounded(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "MAX_PENDING", 2)
    await start_device(stack)
    await start_device(stack)
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        refused = await http.post("/device/code")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"


def test_user_codes_are_read_in_any_case_with_or_without_the_dash() -> None:
    for typed in ("bcdf-ghjk", "BCDFGHJK", " bcdf ghjk ", "BcDf-GhJk"):
        assert device.normalise_user_code(typed) == "BCDFGHJK"
    for wrong in ("", "BCDF-GHJ", "AEIO-UAEI", "BCDF-GHJKL", "BCDF-GHJ1"):
        assert device.normalise_user_code(wrong) is None
    assert all(CODE_SHAPE.match(device.display_user_code(device.new_user_code())) for _ in range(50))


async def test_one_address_cannot_use_up_device_sign_ins_for_everyone(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device, "PER_ADDRESS", 2)  # read when the app is built
    with running_stack(tmp_path, sandbox) as own:
        async with httpx2.AsyncClient(base_url=own.url, timeout=10) as http:
            statuses = [(await http.post("/device/code")).status_code for _ in range(3)]
            refused = await http.post("/device/code")
    assert statuses == [200, 200, 429]
    assert refused.json()["error"] == "slow_down"


async def sign_in_requests(url: str, local_address: str, forwarded_for: list[str]) -> list[int]:
    """POST /device/code once per X-Forwarded-For value, from `local_address`; the statuses."""
    transport = httpx2.AsyncHTTPTransport(local_address=local_address)
    async with httpx2.AsyncClient(base_url=url, timeout=10, transport=transport) as http:
        return [
            (await http.post("/device/code", headers={"X-Forwarded-For": value})).status_code for value in forwarded_for
        ]


async def test_serve_ignores_a_forged_forwarded_for_from_an_untrusted_peer(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    port = free_port()
    upstream = {key.lower(): value for key, value in sandbox.settings_env().items()}
    # Loopback is not a proxy here, so the callers below are clients, whatever their headers say.
    settings = make_settings(tmp_path, public_url=f"http://127.0.0.1:{port}", trusted_proxies="192.0.2.1", **upstream)
    server = await asyncio.to_thread(start_server, settings, port, tmp_path / "server.log")
    try:
        rotating = await sign_in_requests(server.url, "127.0.0.2", [f"203.0.113.{i}" for i in range(25)])
        colleague = await sign_in_requests(server.url, "127.0.0.3", ["203.0.113.200"])
    finally:
        await asyncio.to_thread(server.stop)
    assert rotating == [200] * device.PER_ADDRESS + [429] * (25 - device.PER_ADDRESS)
    assert colleague == [200]


async def test_behind_a_trusted_proxy_the_address_it_appended_is_counted_not_the_forged_left_most(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device, "PER_ADDRESS", 2)
    monkeypatch.setattr(device, "MAX_PENDING", 4)
    with running_stack(tmp_path, sandbox, trusted_proxies="127.0.0.1,10.0.0.0/8") as own:
        # The client forges left-most entries; the proxy (127.0.0.1, then 10.0.0.7) appends the real one.
        forged = [f"198.51.100.{i}, 203.0.113.66, 10.0.0.7" for i in range(6)]
        attacker = await sign_in_requests(own.url, "127.0.0.1", forged)
        colleague = await sign_in_requests(own.url, "127.0.0.1", ["203.0.113.99, 10.0.0.7"])
    assert attacker == [200, 200, 429, 429, 429, 429]
    assert colleague == [200]


def test_one_ipv6_network_counts_as_one_address() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.5") == address_key("203.0.113.5") == "203.0.113.5"


def wrong_codes(right: str, count: int) -> list[str]:
    """`count` well-formed user codes that are not `right`."""
    wrong = [device.display_user_code(device.new_user_code()) for _ in range(count + 1)]
    return [code for code in wrong if code != right][:count]


async def browser_from(stack: Stack, email: str, local_address: str) -> Browser:
    """A person's browser connecting from `local_address`, signed in and on /setup."""
    browser = Browser(email)
    await browser.http.aclose()
    transport = httpx2.AsyncHTTPTransport(local_address=local_address)
    browser.http = httpx2.AsyncClient(timeout=15, follow_redirects=False, transport=transport)
    first = await browser.http.get(f"{stack.url}/setup")
    await browser.walk(stack.url + first.headers["location"], f"{stack.url}/setup")
    return browser


async def test_guessing_user_codes_on_setup_locks_out_the_person_and_the_address(stack: Stack) -> None:
    started = await start_device(stack)
    right = started["user_code"]
    guesser = await browser_from(stack, ALICE, "127.0.0.2")
    neighbour = await browser_from(stack, BEN, "127.0.0.2")
    elsewhere = await browser_from(stack, BEN, "127.0.0.3")
    try:
        page = await guesser.http.get(f"{stack.url}/setup")
        csrf = form_fields(page.text)["csrf"]
        guesses = wrong_codes(right, device.WRONG_CODES)
        statuses = [
            (await guesser.http.get(f"{stack.url}/setup", params={"code": code})).status_code for code in guesses
        ]
        # Locked now: even the right code, by link or by form, is not looked up for this person.
        by_link = await guesser.http.get(f"{stack.url}/setup", params={"code": right})
        by_form = await guesser.http.post(
            f"{stack.url}/setup", data={"csrf": csrf, "code": right, "decision": "approve"}
        )
        same_address = await neighbour.http.get(f"{stack.url}/setup", params={"code": right})
        other_address = await elsewhere.http.get(f"{stack.url}/setup", params={"code": right})
    finally:
        for browser in (guesser, neighbour, elsewhere):
            await browser.aclose()
    assert statuses == [400] * device.WRONG_CODES
    assert (by_link.status_code, by_form.status_code, same_address.status_code) == (429, 429, 429)
    assert "Too many wrong codes" in by_link.text
    assert int(by_link.headers["retry-after"]) > 0
    assert other_address.status_code == 200
    assert "Approve" in other_address.text
    pending = await poll(stack, started["device_code"])
    assert pending.json()["error"] == "authorization_pending"  # nothing was approved by the guesser
