"""Browser-test helpers: the system Chromium, sign-in through the sandbox Google, screenshots, the database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from app.crypto import KeyRing
from app.storage import tables as t
from app.storage.db import create_engine
from app.storage.store import Store, User
from tests.support.stack import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CREDENTIAL_TABLES = (t.google_grants, t.fathom_keys, t.oauth_tokens, t.authorization_codes, t.personal_tokens)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Debian Chromium (never a downloaded browser), closed when the block ends."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS)
        try:
            yield browser
        finally:
            await browser.close()


async def new_page(browser: Browser, **options: Any) -> Page:
    """A page in a fresh context (its own cookies) at desktop size, every wait bounded.

    `options` go to the context (`timezone_id`, `locale`, `viewport`, …).
    """
    context = await browser.new_context(**({"viewport": DESKTOP} | options))
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return await context.new_page()


async def choose_account(page: Page, stack: Stack, email: str, lands_on: str) -> None:
    """On the sandbox Google chooser, click the account; wait until Switchboard shows `lands_on`."""
    await page.get_by_role("button", name=re.compile(re.escape(email))).click()
    await page.wait_for_url(stack.url + lands_on)


async def sign_in(page: Page, stack: Stack, email: str, next_path: str = "/") -> None:
    await page.goto(f"{stack.url}/auth/login?next={next_path}")
    await choose_account(page, stack, email, next_path)


async def screenshots(page: Page, name: str) -> None:
    """Full-page screenshots at desktop and phone width into test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for suffix, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=SCREENSHOTS / f"{name}-{suffix}.png", full_page=True)
    await page.set_viewport_size(DESKTOP)


async def csrf_of(page: Page) -> str:
    """The session's CSRF token, as the page's forms carry it."""
    return await page.locator("input[name=csrf]").first.get_attribute("value") or ""


def csp_errors(page: Page) -> list[str]:
    """Collects console errors about the Content-Security-Policy from now on."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", keep)
    return errors


@asynccontextmanager
async def database(stack: Stack) -> AsyncIterator[Store]:
    """The stack's database, opened from the test's own event loop."""
    engine = create_engine(stack.settings.database_url)
    try:
        yield Store(engine, KeyRing(stack.settings.encryption_keys))
    finally:
        await engine.dispose()


async def user_named(store: Store, email: str) -> User:
    user = await store.get_user_by_email(email)
    assert user is not None, f"{email} has not signed in"
    return user


async def credential_rows(store: Store, user_id: str) -> dict[str, int]:
    """How many rows each credential table holds for the user."""
    counts: dict[str, int] = {}
    async with store.engine.connect() as conn:
        for table in CREDENTIAL_TABLES:
            query = sa.select(sa.func.count()).select_from(table).where(table.c.user_id == user_id)
            counts[table.name] = int((await conn.execute(query)).scalar_one())
    return counts
