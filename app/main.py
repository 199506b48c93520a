"""`create_app(settings)`: the one place that knows every layer and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncGenerator, Mapping
from importlib.metadata import version
from urllib.parse import urlsplit

import httpx2
from mcp.server.auth.routes import create_protected_resource_routes
from mcp.server.auth.settings import AuthSettings
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateSecurity
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.auth.consent import ConsentPages
from app.auth.device import DeviceFlow
from app.auth.google_signin import GoogleSignIn
from app.auth.provider import SwitchboardAuthProvider
from app.auth.revocations import Revocations
from app.auth.routes import authorization_server_routes, request_state_key
from app.auth.verifier import AllowListRefusals, SwitchboardTokenVerifier
from app.browser import STATIC_DIR, AccessRefused, access_refused, not_found
from app.config import Settings
from app.crypto import KeyRing
from app.error_tracking import start_error_tracking
from app.logs import RequestLogMiddleware
from app.metrics import origin
from app.railway import ephemeral_database_warning
from app.services import Services
from app.serving import BodyLimit, TrackRequests
from app.shared import REVOKED
from app.storage.db import create_engine, migrate
from app.storage.store import Store
from app.tools import INSTRUCTIONS, register_tools
from app.tools.catalog import CATALOG_TTL_MS, CatalogServer
from app.upstream.google_mcp import GoogleMcp, ResponseHook
from app.upstream.transport import AiohttpTransport
from app.upstream.transport import prepare as prepare_upstream_pool
from app.upstream.usage import GoogleUsage
from app.web.admin import AdminPages
from app.web.install import install_routes
from app.web.ops import ops_routes
from app.web.pages import AccountPages

logger = logging.getLogger(__name__)

VERSION = version("switchboard")
UPSTREAM_TIMEOUT = httpx2.Timeout(30.0, connect=5.0)
# How long shutdown waits for requests and abandoned work to let go of the database: past SQLite's 15 s lock wait.
UNFINISHED_WORK_SECONDS = 20.0


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Host/Origin checks for /mcp derived from PUBLIC_URL (plus loopback for local use)."""
    public = urlsplit(settings.public_url)
    host = public.netloc
    hosts = [host, f"{public.hostname}:*"]
    origins = [f"{public.scheme}://{host}", "https://claude.ai", "https://claude.com"]
    if settings.is_local:
        hosts += ["localhost:*", "127.0.0.1:*", "[::1]:*", "localhost", "127.0.0.1"]
        origins += ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def upstream_services(settings: Settings) -> dict[str, str]:
    """Base URL → service name, for labelling upstream calls in metrics."""
    return {
        settings.gmail_api_base: "gmail",
        settings.calendar_api_base: "calendar",
        settings.fathom_api_base: "fathom",
        settings.people_api_base: "people",
        settings.gmail_mcp_base: "gmail",
        settings.calendar_mcp_base: "calendar",
        settings.people_mcp_base: "people",
        settings.fathom_token_url: "fathom_oauth",
        origin(settings.google_discovery_url): "google_oauth",
    }


def auth_settings(settings: Settings) -> AuthSettings:
    """Our bearer tokens, issued here and bound to $PUBLIC_URL/mcp."""
    # URLs as plain strings: a parsed URL would gain a trailing slash and break issuer comparison.
    return AuthSettings.model_validate(
        {"issuer_url": settings.public_url, "resource_server_url": settings.mcp_url, "validate_token_resource": True}
    )


def build_mcp_server(
    services: Services, verifier: SwitchboardTokenVerifier, revocations: Revocations, auth: AuthSettings
) -> MCPServer:
    """The MCP server with its tools, accepting only our bearer tokens bound to $PUBLIC_URL/mcp."""
    settings = services.settings
    mcp = CatalogServer(
        "switchboard",
        title="Switchboard",
        instructions=INSTRUCTIONS,
        version=VERSION,
        token_verifier=verifier,
        auth=auth,
        request_state_security=RequestStateSecurity(keys=[request_state_key(settings.session_secret)]),
        cache_hints={
            "tools/list": CacheHint(ttl_ms=CATALOG_TTL_MS, scope="private"),
            "prompts/list": CacheHint(ttl_ms=CATALOG_TTL_MS, scope="private"),
        },
    )
    register_tools(mcp, services, revocations)
    return mcp


@contextlib.asynccontextmanager
async def google_mcp_clients(
    settings: Settings, usage: GoogleUsage, hooks: Mapping[str, list[ResponseHook]] | None = None
) -> AsyncGenerator[GoogleMcp | None]:
    """Clients of Google's MCP servers for GOOGLE_ACCESS=mcp; with rest, the warning Google's date calls for."""
    if settings.google_access == "rest":
        logger.warning(
            "GOOGLE_ACCESS=rest: Gmail, Calendar and People are reached through Google's REST APIs, which "
            "Google closes to AI agents from 2027-02-01; set GOOGLE_ACCESS=mcp to use Google's MCP servers."
        )
        yield None
        return
    google = GoogleMcp(
        AiohttpTransport(max_connections=100),
        {"gmail": settings.gmail_mcp_base, "calendar": settings.calendar_mcp_base, "people": settings.people_mcp_base},
        usage=usage,
        event_hooks=hooks,
    )
    await google.open()
    try:
        yield google
    finally:
        await google.close()


def create_app(settings: Settings, *, sample_fathom_keys: Mapping[str, str] | None = None) -> Starlette:
    """Build the ASGI app. No I/O happens here; the lifespan opens the database and HTTP pool.

    `sample_fathom_keys` (sandbox only: email -> the sandbox's Fathom key) are shown as hints on the account page.
    """
    # Before any route exists: Sentry's Starlette integration wraps endpoints as they are built.
    start_error_tracking(settings, VERSION)
    services = Services(
        settings=settings,
        keyring=KeyRing(settings.encryption_keys),
        sample_fathom_keys=dict(sample_fathom_keys or {}) if settings.sandbox else {},
    )
    revocations = Revocations(services.get_store, lambda: services.shared.publish(REVOKED, "forget"))
    revocations.on_revoke(services.forget)  # profiles and access tokens held in memory
    verifier = SwitchboardTokenVerifier(services, revocations)
    provider = SwitchboardAuthProvider(services, verifier, revocations)
    auth = auth_settings(settings)
    mcp = build_mcp_server(services, verifier, revocations, auth)
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=True,
        stateless_http=True,
        transport_security=transport_security(settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncGenerator[None]:
        lost_at_deploy = ephemeral_database_warning(settings)
        if lost_at_deploy:
            logger.warning(lost_at_deploy)
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            hooks = {"response": [services.metrics.upstream_hook(upstream_services(settings))]}
            pool = AiohttpTransport(max_connections=200)
            async with (
                httpx2.AsyncClient(timeout=UPSTREAM_TIMEOUT, transport=pool, event_hooks=hooks) as http,
                google_mcp_clients(settings, services.usage, hooks) as google_mcp,
            ):
                store = Store(engine, services.keyring, settings.google_client_id)
                await store.adopt_google_client(settings.google_client_id)
                services.open(store, http)
                services.google_mcp = google_mcp
                async with mcp.session_manager.run(), asyncio.TaskGroup() as background:
                    background.create_task(asyncio.to_thread(prepare_upstream_pool))
                    flusher = background.create_task(services.get_activity().run())
                    auditor = background.create_task(services.get_audit().run())
                    # Revocations other replicas announce: forget what this one cached.
                    listener = background.create_task(services.shared.listen(REVOKED, lambda _: revocations.forget()))
                    # Everything built so far lives as long as the process: keep the collector from
                    # walking it on every full collection (long pauses under load, seen as p99).
                    gc.collect()
                    gc.freeze()
                    logger.info("Switchboard %s serving %s", VERSION, settings.mcp_url)
                    yield
                    flusher.cancel()
                    auditor.cancel()
                    listener.cancel()
                await services.shared.close()
        finally:
            # Connections still checked out are not closed by dispose(): let their holders return them first.
            try:
                async with asyncio.timeout(UNFINISHED_WORK_SECONDS):
                    await services.running.finish()
            except TimeoutError:
                logger.warning("Requests still held the database at shutdown; closing it under them")
            await engine.dispose()

    routes = [
        # The hot path first: MCP calls skip matching every page and OAuth route. Exactly /mcp:
        # a redirect to another path would not be followed by Claude.
        Route("/mcp", endpoint=AllowListRefusals(mcp_app, verifier), methods=["GET", "POST", "DELETE"]),
        # RFC 9728 metadata at /.well-known/oauth-protected-resource/mcp, where the 401 points.
        *create_protected_resource_routes(
            resource_url=AnyHttpUrl(settings.mcp_url),
            authorization_servers=[auth.issuer_url],
            scopes_supported=auth.required_scopes,
        ),
        *ops_routes(services, VERSION),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        *authorization_server_routes(provider, settings),
        *GoogleSignIn(services, revocations).routes(),
        *ConsentPages(provider).routes(),
        *DeviceFlow(services, revocations).routes(),
        *install_routes(settings),
        *AccountPages(services, revocations).routes(),
        *AdminPages(services, revocations).routes(),
    ]
    middleware = [
        # Outermost: shutdown waits for every request, whatever answered it.
        Middleware(TrackRequests, running=services.running),
        # The client address every per-address limit counts: the right-most X-Forwarded-For entry
        # that is not one of TRUSTED_PROXIES, and only when a trusted proxy connected.
        Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies),
        Middleware(RequestLogMiddleware),
        Middleware(BodyLimit, exempt=frozenset({"/mcp"})),  # /mcp has the SDK's own limit
        Middleware(
            SessionMiddleware,
            secret_key=settings.session_secret,
            session_cookie="switchboard_session",
            max_age=14 * 24 * 3600,
            same_site="lax",
            https_only=not settings.is_local,
        ),
    ]
    handlers = {404: not_found, AccessRefused: access_refused}
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=handlers)
    app.state.services = services
    app.state.revocations = revocations
    return app
