"""The combined sandbox server: identity, Gmail, Calendar, People and Fathom on one port, plus a control API.

`SandboxServer` runs it with uvicorn on a background thread for in-process tests; `run_sandbox`
serves it in the foreground for `switchboard sandbox`. Each run has its own event loop, and all
world mutation by the sandbox apps happens there. Other processes change faults and tokens through
`/_sandbox/...`; an in-process test may mutate `SandboxServer.faults` (and the world) directly,
which is fine for the single list/dict steps involved (the GIL serialises them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.calendar.api import create_calendar_app
from sandbox.fathom.api import create_fathom_app
from sandbox.faults import CONTROL_PREFIX, FaultState, SandboxFaults
from sandbox.gmail.api import create_gmail_app, gmail_state
from sandbox.identity.provider import create_identity_app
from sandbox.mcp import create_mcp_servers
from sandbox.mcp.server import quota_day, usage
from sandbox.people.api import create_people_app
from sandbox.persistence import load_world, save_world
from sandbox.serving import ThreadedServer
from sandbox.world import (
    FATHOM_SANDBOX_CLIENT_ID,
    FATHOM_SANDBOX_CLIENT_SECRET,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_PLAIN_CLIENT_ID,
    SANDBOX_PROJECT,
    World,
)

logger = logging.getLogger(__name__)


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def _control_routes(world: World, faults: FaultState) -> list[Route]:
    """The `/_sandbox` control API: fault injection, token expiry, revocation, request log, accounts."""

    async def body_of(request: Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def latency(request: Request) -> Response:
        body = await body_of(request)
        if body is None or not isinstance(body.get("seconds"), int | float):
            return _bad("expected {prefix, seconds}")
        faults.add_latency(str(body.get("prefix", "")), float(body["seconds"]))
        return JSONResponse({"latency": faults.latency})

    async def fail(request: Request) -> Response:
        body = await body_of(request)
        if body is None or not isinstance(body.get("count"), int) or not isinstance(body.get("status"), int):
            return _bad("expected {prefix, count, status, reason?, retry_after?}")
        reason, retry_after = body.get("reason"), body.get("retry_after")
        faults.fail_next(
            str(body.get("prefix", "")),
            body["count"],
            body["status"],
            str(reason) if reason is not None else None,
            str(retry_after) if retry_after is not None else None,
        )
        return JSONResponse({"pending": len(faults.failures)})

    async def expire_tokens(request: Request) -> Response:
        world.expire_all_access_tokens()
        return JSONResponse({"expired": len(world.access_tokens)})

    async def revoke(request: Request) -> Response:
        body = await body_of(request)
        email = body.get("email") if body is not None else None
        if not isinstance(email, str):
            return _bad("expected {email}")
        if email not in world.people:
            return JSONResponse({"error": f"no sandbox account {email}"}, status_code=404)
        world.revoke_grants_of(email)
        return JSONResponse({"revoked": email})

    async def reset_faults(request: Request) -> Response:
        faults.clear()
        return JSONResponse({})

    async def requests(request: Request) -> Response:
        logged = faults.requests(request.query_params.get("prefix", ""))
        return JSONResponse(
            {
                "requests": [
                    {
                        "method": entry.method,
                        "path": entry.path,
                        "query": entry.query,
                        "headers": entry.headers,
                        "body": entry.body.decode("utf-8", errors="replace"),
                        "status": entry.status,
                        "product": entry.product,
                        "rpc_method": entry.rpc_method,
                        "tool": entry.tool,
                    }
                    for entry in logged
                ]
            }
        )

    async def accounts(request: Request) -> Response:
        people = [
            {
                "email": p.email,
                "name": p.name,
                "sub": p.sub,
                "hd": p.hd,
                "title": p.title,
                "fathom_key": p.fathom_key,
                "fathom_team": p.fathom_team,
            }
            for p in world.people.values()
        ]
        return JSONResponse(
            {"client_id": SANDBOX_CLIENT_ID, "plain_client_id": SANDBOX_PLAIN_CLIENT_ID, "accounts": people}
        )

    def quota_report() -> JSONResponse:
        return JSONResponse({"day": quota_day(world), "limits": world.mcp_limits, "usage": usage(world)})

    async def quota(request: Request) -> Response:
        """GET: today's MCP requests per project and product, and the limits. POST {product, limit} or {reset}."""
        if request.method == "POST":
            body = await body_of(request)
            if body is None:
                return _bad("expected {product, limit} or {reset: true}")
            if body.get("reset"):
                usage(world).clear()
            if "product" in body or "limit" in body:
                product, limit = body.get("product"), body.get("limit")
                if product not in world.mcp_limits or not isinstance(limit, int) or isinstance(limit, bool):
                    return _bad(f"expected {{product: one of {sorted(world.mcp_limits)}, limit: an integer}}")
                world.mcp_limits[product] = limit
        return quota_report()

    async def oauth_client(request: Request) -> Response:
        """POST {client_id, client_secret?, agent?, project?}: register or change an OAuth client."""
        body = await body_of(request)
        client_id = body.get("client_id") if body is not None else None
        if body is None or not isinstance(client_id, str) or not client_id:
            return _bad("expected {client_id, client_secret?, agent?, project?}")
        secret = body.get("client_secret")
        if isinstance(secret, str) and secret:
            world.clients[client_id] = secret
        elif client_id not in world.clients:
            return _bad("a new client needs a client_secret")
        if isinstance(body.get("agent"), bool):
            (world.agent_clients.add if body["agent"] else world.agent_clients.discard)(client_id)
        if isinstance(body.get("project"), str):
            world.client_projects[client_id] = body["project"]
        project = world.client_projects.setdefault(client_id, SANDBOX_PROJECT)
        return JSONResponse({"client_id": client_id, "agent": client_id in world.agent_clients, "project": project})

    return [
        Route("/mcp/quota", quota, methods=["GET", "POST"]),
        Route("/oauth-clients", oauth_client, methods=["POST"]),
        Route("/latency", latency, methods=["POST"]),
        Route("/fail", fail, methods=["POST"]),
        Route("/expire-tokens", expire_tokens, methods=["POST"]),
        Route("/revoke", revoke, methods=["POST"]),
        Route("/reset-faults", reset_faults, methods=["POST"]),
        Route("/requests", requests),
        Route("/accounts", accounts),
    ]


def create_sandbox_app(
    world: World,
    base_url: str,
    faults: FaultState,
    *,
    gmail_app: Starlette | None = None,
    fathom_app: Starlette | None = None,
) -> Starlette:
    """All sandbox services under one app, wrapped in fault injection and the request log.

    The app's lifespan runs the MCP servers' session managers: serve it with lifespan on (uvicorn's default).
    """
    gmail = gmail_app or create_gmail_app(world)
    mcp = create_mcp_servers(world, base_url, gmail_state(gmail))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None]:
        async with AsyncExitStack() as stack:
            for manager in mcp.managers:
                await stack.enter_async_context(manager.run())
            yield

    return Starlette(
        routes=[
            Mount("/google", create_identity_app(world, base_url + "/google")),
            Mount("/gmail", gmail),
            Mount("/calendar/v3", create_calendar_app(world)),
            Mount("/fathom/external/v1", fathom_app or create_fathom_app(world)),
            Mount("/people", create_people_app(world)),
            *mcp.routes,
            Mount(CONTROL_PREFIX, routes=_control_routes(world, faults)),
        ],
        middleware=[Middleware(SandboxFaults, state=faults)],
        lifespan=lifespan,
    )


def fathom_oauth_env(base_url: str) -> dict[str, str]:
    """The settings of a Fathom OAuth app registered with the sandbox served at `base_url`."""
    oauth = f"{base_url}/fathom/external/v1/oauth2"
    return {
        "FATHOM_CLIENT_ID": FATHOM_SANDBOX_CLIENT_ID,
        "FATHOM_CLIENT_SECRET": FATHOM_SANDBOX_CLIENT_SECRET,
        "FATHOM_AUTHORIZE_URL": f"{oauth}/authorize",
        "FATHOM_TOKEN_URL": f"{oauth}/token",
        "FATHOM_REVOKE_URL": f"{oauth}/revoke",
    }


def settings_env(base_url: str, *, fathom_oauth: bool = False) -> dict[str, str]:
    """The upstream settings that point the app under test at a sandbox served at `base_url`.

    With `fathom_oauth`, people can also connect Fathom by OAuth (as `serve --sandbox` offers).
    """
    return (fathom_oauth_env(base_url) if fathom_oauth else {}) | {
        "GOOGLE_DISCOVERY_URL": f"{base_url}/google/.well-known/openid-configuration",
        "GMAIL_API_BASE": f"{base_url}/gmail",
        "CALENDAR_API_BASE": f"{base_url}/calendar/v3",
        "FATHOM_API_BASE": f"{base_url}/fathom/external/v1",
        "PEOPLE_API_BASE": f"{base_url}/people",
        "GMAIL_MCP_BASE": f"{base_url}/gmailmcp",
        "CALENDAR_MCP_BASE": f"{base_url}/calendarmcp",
        "PEOPLE_MCP_BASE": f"{base_url}/peoplemcp",
        "GOOGLE_CLIENT_ID": SANDBOX_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
    }


class SaveOnChange:
    """ASGI middleware that saves the world shortly after any request that may have changed it.

    Saves run on the sandbox's event loop, where every change happens, so each one writes a
    consistent world; a burst of changes is written once.
    """

    def __init__(self, app: ASGIApp, world: World, state_file: Path, delay: float = 0.5) -> None:
        self.app = app
        self.world = world
        self.state_file = state_file
        self.delay = delay
        self._pending: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] not in _READS and self._pending is None:
                self._pending = asyncio.get_running_loop().call_later(self.delay, self._save)

    def _save(self) -> None:
        self._pending = None
        self.save()

    def save(self) -> None:
        try:
            save_world(self.state_file, self.world)
        except OSError:
            logger.exception("could not save the sandbox state to %s", self.state_file)


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class SandboxServer:
    """The sandbox served by uvicorn on a daemon thread; use as a context manager in tests.

    With `state_file`, the world is read from that file when it exists (seeded otherwise), saved
    there when it changes and again on `stop`, so a restarted sandbox is the same one.
    """

    def __init__(
        self, world: World | None = None, host: str = "127.0.0.1", port: int = 0, state_file: Path | None = None
    ) -> None:
        if world is None and state_file is not None:
            world = load_world(state_file)
        self.resumed = world is not None and state_file is not None
        if world is None:
            from sandbox.seed import build_world  # lazy: seeding is only needed without a world

            world = build_world()
        self.world = world
        self.faults = FaultState()
        self._server = ThreadedServer(host=host, port=port)
        self.gmail_app = create_gmail_app(world)
        self.fathom_app = create_fathom_app(world)
        app: ASGIApp = create_sandbox_app(
            world, self._server.base_url, self.faults, gmail_app=self.gmail_app, fathom_app=self.fathom_app
        )
        self._saver = None if state_file is None else SaveOnChange(app, world, state_file)
        self._server.app = self._saver or app

    @property
    def base_url(self) -> str:
        """The sandbox's external base URL, e.g. `http://127.0.0.1:54321`."""
        return self._server.base_url

    def settings_env(self, *, fathom_oauth: bool = False) -> dict[str, str]:
        """The upstream settings that point the app under test at this sandbox."""
        return settings_env(self.base_url, fathom_oauth=fathom_oauth)

    def start(self) -> None:
        """Serve on a background thread; return once the server accepts connections."""
        if self._saver is not None:
            self._saver.save()  # the signing key and the seeded world outlive even a killed process
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
        if self._saver is not None:
            self._saver.save()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_sandbox(host: str, port: int) -> None:
    """Serve the seeded sandbox in the foreground until interrupted (`switchboard sandbox`)."""
    from sandbox.seed import build_world

    world = build_world()
    server = ThreadedServer(host=host, port=port)
    server.app = create_sandbox_app(world, server.base_url, FaultState())
    logger.info("Sandbox serving at %s", server.base_url)
    for name, value in settings_env(server.base_url, fathom_oauth=True).items():
        logger.info("  %s=%s", name, value)
    for person in world.people.values():
        logger.info("  account %s (%s) fathom key: %s", person.email, person.name, person.fathom_key or "-")
    server.serve_forever()
