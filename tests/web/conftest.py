"""One sandbox per test module (Switchboard itself is fresh for every test, with its own database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sandbox.seed import ALICE
from app.sandbox.server import SandboxServer
from tests.support.stack import Stack, running_stack


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
