"""The whole product on loopback: the sandbox upstreams plus Switchboard pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import Settings
from app.main import create_app
from sandbox.server import SandboxServer
from sandbox.serving import ThreadedServer
from tests.support.settings import make_settings


@dataclass
class Stack:
    sandbox: SandboxServer
    server: ThreadedServer
    settings: Settings

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def mcp_url(self) -> str:
        return self.settings.mcp_url


@contextmanager
def running_stack(tmp_path: Path, sandbox: SandboxServer | None = None, **overrides: object) -> Iterator[Stack]:
    """Start (or reuse) a sandbox, then Switchboard on a free loopback port, configured for both."""
    own_sandbox = sandbox is None
    sandbox = sandbox or SandboxServer()
    if own_sandbox:
        sandbox.start()
    server = ThreadedServer()
    try:
        upstream = {key.lower(): value for key, value in sandbox.settings_env().items()}
        settings = make_settings(tmp_path, public_url=server.base_url, **(upstream | overrides))
        server.app = create_app(settings)
        server.start()
        try:
            yield Stack(sandbox, server, settings)
        finally:
            server.stop()
    finally:
        if own_sandbox:
            sandbox.stop()


# Runs a test once per way of reaching Google: REST, and Google's MCP servers.
both_backends = pytest.mark.parametrize("google_access", ["rest", "mcp"])
# The sandbox's REST paths for Gmail, Calendar and People: none may be asked under GOOGLE_ACCESS=mcp.
REST_PATHS = ("/gmail/gmail/", "/calendar/v3/", "/people/v1/", "/gmail/batch/")


def rest_calls(stack: Stack) -> list[str]:
    """The paths of every REST request the sandbox received for Gmail, Calendar or People, oldest first."""
    return [r.path for r in stack.sandbox.faults.requests() if r.path.startswith(REST_PATHS)]


def mcp_tools(stack: Stack) -> list[str]:
    """Every tool called on the sandbox's Google MCP servers, as `product.tool`, oldest first."""
    return [f"{r.product}.{r.tool}" for r in stack.sandbox.faults.requests() if r.rpc_method == "tools/call"]
