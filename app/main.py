"""`create_app(settings)`: the one place that knows every layer and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from importlib.metadata import version
from urllib.parse import urlsplit

import httpx2
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from app.config import Settings
from app.crypto import KeyRing
from app.services import Services
from app.storage.db import create_engine, migrate
from app.storage.store import Store

logger = logging.getLogger(__name__)

VERSION = version("switchboard")
HEALTH_DB_TIMEOUT = 3.0
UPSTREAM_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Host/Origin checks for /mcp derived from PUBLIC_URL (plus loopback for local use)."""
    public = urlsplit(settings.public_url)
    host = public.netloc
    hosts = [host, f"{public.hostname}:*"]
    origins = [f"{public.scheme}://{host}", "https://claude.ai", "https://claude.com"]
    if settings.is_local:
        hosts += ["localhost:*", "127.0.0.1:*", "[::1]:*", "localhost", "127.0.0.1"]
        origins += ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def build_mcp_server(services: Services) -> MCPServer:
    """The MCP server with its tools."""
    return MCPServer(
        "switchboard",
        title="Switchboard",
        instructions="Your Gmail, Google Calendar and Fathom meetings.",
        version=VERSION,
    )


def create_app(settings: Settings) -> Starlette:
    """Build the ASGI app. No I/O happens here; the lifespan opens the database and HTTP pool."""
    services = Services(settings=settings, keyring=KeyRing(settings.encryption_keys))
    mcp = build_mcp_server(services)
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=True,
        stateless_http=True,
        transport_security=transport_security(settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncGenerator[None]:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            limits = httpx2.Limits(max_connections=200, max_keepalive_connections=50)
            async with httpx2.AsyncClient(timeout=UPSTREAM_TIMEOUT, limits=limits) as http:
                services.store = Store(engine, services.keyring)
                services.http = http
                async with mcp.session_manager.run():
                    logger.info("Switchboard %s serving %s", VERSION, settings.mcp_url)
                    yield
        finally:
            await engine.dispose()

    async def health(_request: Request) -> JSONResponse:
        body: dict[str, str] = {
            "status": "healthy",
            "timestamp": datetime.now(UTC).isoformat(),
            "version": VERSION,
            "database": "ok",
        }
        try:
            async with asyncio.timeout(HEALTH_DB_TIMEOUT):
                await services.get_store().ping()
        except Exception:  # any failure to answer means unhealthy; the reason goes to the log
            logger.warning("health check: database did not answer", exc_info=True)
            body.update(status="unhealthy", database="unavailable")
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    routes = [
        Route("/health", health, methods=["GET", "HEAD"]),
        Mount("/", app=mcp_app),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    return app
