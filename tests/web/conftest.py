"""Web pages: Alice administers the stack; the browser tests need Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox.seed import ALICE
from tests.web.support import CHROMIUM


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium the browser tests skip on a developer's machine, but fail in CI (CI installs it)."""
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests"
    if os.environ.get("CI"):
        raise pytest.UsageError(reason)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def stack_settings() -> dict[str, object]:
    """Alice is the admin of every stack the web tests start."""
    return {"admin_emails": [ALICE]}
