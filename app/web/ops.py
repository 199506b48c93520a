"""Operational endpoints: /health for load balancers, /metrics for Prometheus."""

import asyncio
import hmac
import logging
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.allowlist import may_administer
from app.browser import signed_in_user
from app.services import Services

logger = logging.getLogger(__name__)

HEALTH_DB_TIMEOUT = 3.0


def ops_routes(services: Services, version: str) -> list[Route]:
    settings = services.settings

    async def health(_request: Request) -> JSONResponse:
        body: dict[str, object] = {
            "status": "healthy",
            "timestamp": datetime.now(UTC).isoformat(),
            "version": version,
            "database": "ok",
            "google_access": settings.google_access,
        }
        refused = services.google_mcp.refused_client_at if services.google_mcp is not None else None
        if refused is not None:
            # Still serving (Fathom, sign-in, pages): a warning for the admin, not a reason to restart.
            body["google"] = (
                f"Google's MCP servers refused this deployment's OAuth client at {refused:%Y-%m-%d %H:%M} UTC: "
                'create one with "Use this client for an AI-powered agent" (README, Reaching Google through its '
                "MCP servers) and set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET to it"
            )
        try:
            async with asyncio.timeout(HEALTH_DB_TIMEOUT):
                await services.get_store().ping()
        except Exception:  # any failure to answer means unhealthy; the reason goes to the log
            logger.warning("health check: database did not answer", exc_info=True)
            body.update(status="unhealthy", database="unavailable")
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    async def allowed(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if settings.metrics_token and hmac.compare_digest(header.encode(), f"Bearer {settings.metrics_token}".encode()):
            return True
        user = await signed_in_user(request, services.get_store(), settings)
        return user is not None and may_administer(settings, user.email, user.hosted_domain)

    async def metrics(request: Request) -> Response:
        if not await allowed(request):
            return JSONResponse(
                {"error": "forbidden", "detail": "send Authorization: Bearer $METRICS_TOKEN, or sign in as an admin"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        since = datetime.now(UTC) - timedelta(hours=24)
        services.metrics.active_users.set(await services.get_store().count_active_users(since))
        body, content_type = services.metrics.exposition()
        return Response(body, media_type=content_type)

    return [Route("/health", health, methods=["GET", "HEAD"]), Route("/metrics", metrics, methods=["GET"])]
