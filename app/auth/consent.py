"""The consent step of /authorize: sign in if needed, ask, then return to the client with a code."""

from __future__ import annotations

from urllib.parse import quote

from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.auth.clients import publisher_domain, redirect_destination
from app.auth.provider import SwitchboardAuthProvider, client_display_name
from app.browser import csrf_ok, message_page, render, signed_in_user


class ConsentPages:
    def __init__(self, provider: SwitchboardAuthProvider) -> None:
        self.provider = provider
        self.settings = provider.settings

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/consent", self.show, methods=["GET"]),
            Route("/oauth/consent", self.decide, methods=["POST"]),
        ]

    def _expired(self, request: Request) -> Response:
        return message_page(
            request,
            "This sign-in link has expired",
            "Start connecting again from Claude (or your MCP client); links are valid for 15 minutes.",
            status_code=400,
        )

    async def show(self, request: Request) -> Response:
        value = request.query_params.get("request", "")
        pending = self.provider.read_pending(value)
        if pending is None:
            return self._expired(request)
        user = await signed_in_user(request, self.provider.services.get_store(), self.provider.settings)
        if user is None:
            return RedirectResponse("/auth/login?next=" + quote(f"/oauth/consent?request={value}", safe=""), 303)
        client = await self.provider.get_client(pending["client_id"])
        if client is None:
            return message_page(
                request, "Unknown application", "The application asking for access is not registered.", 400
            )
        return render(
            request,
            "consent.html",
            title="Allow access",
            client_name=client_display_name(client),
            publisher=publisher_domain(client.client_id),
            email=user.email,
            pending=value,
            redirect_host=redirect_destination(pending["redirect_uri"]),
        )

    async def decide(self, request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return message_page(request, "Request refused", "The form was stale or forged; please try again.", 403)
        value = str(form.get("request") or "")
        pending = self.provider.read_pending(value)
        if pending is None:
            return self._expired(request)
        user = await signed_in_user(request, self.provider.services.get_store(), self.provider.settings)
        if user is None:
            return RedirectResponse("/auth/login?next=" + quote(f"/oauth/consent?request={value}", safe=""), 303)
        issuer = self.settings.public_url
        if form.get("decision") != "approve":
            target = construct_redirect_uri(
                pending["redirect_uri"],
                error="access_denied",
                error_description="The person declined access.",
                state=pending["state"],
                iss=issuer,
            )
            return RedirectResponse(target, status_code=303)
        code = await self.provider.issue_code(pending, user.id)
        target = construct_redirect_uri(pending["redirect_uri"], code=code, state=pending["state"], iss=issuer)
        return RedirectResponse(target, status_code=303)
