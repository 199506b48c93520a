"""One sandbox per test module (Switchboard itself is fresh for every test, with its own database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.support.stack import Stack, running_stack
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


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def stack(tmp_path: Path, sandbox: SandboxServer) -> Iterator[Stack]:
    """Switchboard on the module's sandbox, with Alice as the admin; the sandbox's request log starts empty."""
    sandbox.faults.clear()
    with running_stack(tmp_path, sandbox=sandbox, admin_emails=[ALICE]) as running:
        yield running
