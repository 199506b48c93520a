"""Google sign-in (Authlib): who the person is, whether they may use this server, and their grant.

Authlib reads Google's endpoints from the process's one discovery cache (`GoogleOAuthConfig`) and
sends through the one pooled HTTP client, so sign-in shares its connections and upstream metrics.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx2
from authlib.integrations.base_client.errors import OAuthError
from joserfc.errors import BadSignatureError, ExpiredTokenError, JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.allowlist import refusal_reason
from app.auth.revocations import Revocations
from app.browser import (
    REFUSAL_KEY,
    flash,
    message_page,
    refusal_page,
    safe_next,
    session_user_id,
    signed_in_user,
    start_session,
)
from app.services import Services
from app.storage.store import User
from app.upstream.google_auth import with_expiry
from app.upstream.people import SCOPES_BY_SOURCE, SOURCE_NAMES, Source, grantable_scopes

if TYPE_CHECKING:
    from authlib.integrations.starlette_client import StarletteOAuth2App

logger = logging.getLogger(__name__)

GMAIL_SCOPE_PREFIX = "https://www.googleapis.com/auth/gmail."
CALENDAR_SCOPE_PREFIX = "https://www.googleapis.com/auth/calendar"
FULL_MAIL_SCOPE = "https://mail.google.com/"
GRANT_PATH = "/account/grant"


class PooledTransport(httpx2.AsyncBaseTransport):
    """Hands each request to a pooled client: Authlib's short-lived clients then open no pool of their own."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        # Streamed, so closing the outer response returns the connection to the pool.
        return await self.client.send(request, stream=True)


ID_TOKEN_CLAIM_PROBLEMS = {
    "iat": "it says it was issued in the future: this server's clock and Google's differ",
    "nbf": "it is not valid yet: this server's clock and Google's differ",
    "exp": "it has expired",
    "aud": "it was issued for another app",
    "azp": "it was issued for another app",
    "iss": "it was not issued by Google",
    "nonce": "it belongs to another sign-in",
    "at_hash": "it does not match the access token sent with it",
}


def id_token_problem(exc: JoseError) -> str:
    """What was wrong with an id_token that did not validate, for people."""
    if isinstance(exc, BadSignatureError):
        return "its signature does not match Google's keys"
    if isinstance(exc, ExpiredTokenError):
        return ID_TOKEN_CLAIM_PROBLEMS["exp"]
    claim = getattr(exc, "claim", None)
    if isinstance(claim, str) and claim in ID_TOKEN_CLAIM_PROBLEMS:
        return ID_TOKEN_CLAIM_PROBLEMS[claim]
    return exc.description or exc.error


def missing_capabilities(granted: list[str]) -> list[str]:
    """What will not work because the person unticked scopes on Google's consent screen."""
    missing: list[str] = []
    if not any(s.startswith(GMAIL_SCOPE_PREFIX) or s == FULL_MAIL_SCOPE for s in granted):
        missing.append("Gmail (search, read, send, drafts, labels)")
    elif not any(s in (GMAIL_SCOPE_PREFIX + "modify", FULL_MAIL_SCOPE) for s in granted):
        missing.append("Gmail changes (labels, archive, mark read)")
    if not any(s.startswith(CALENDAR_SCOPE_PREFIX) for s in granted):
        missing.append("Google Calendar (events, free time, invitations)")
    return missing


def grant_outcome(asked: list[str], granted: list[str]) -> str:
    """What an added grant made possible, and plainly what Google did not grant."""
    sources: list[Source] = [source for source, scopes in SCOPES_BY_SOURCE.items() if scopes[0] in asked]
    allowed = {source for source in sources if any(scope in granted for scope in SCOPES_BY_SOURCE[source])}
    got = [SOURCE_NAMES[source] for source in sources if source in allowed]
    not_got = [SOURCE_NAMES[source] for source in sources if source not in allowed]
    if not not_got:
        return f"Google granted access to your {', '.join(got)}: Claude can now find people by name (contacts_search)."
    if not got:
        return (
            f"Google did not grant access to your {', '.join(not_got)}, so contacts_search stays off. "
            "To turn it on, start again and tick every box on Google's screen."
        )
    return (
        f"Google granted access to your {', '.join(got)}. Google did not grant: {', '.join(not_got)} — "
        f"contacts_search will search your {', '.join(got)} only."
    )


class GoogleSignIn:
    """Routes `/auth/login`, `/auth/callback`, `/auth/logout` and `/account/grant`; the session keeps `user_id`.

    `/account/grant?for=contacts` adds scopes to a signed-in person's grant: Google is asked for
    only those (with `include_granted_scopes`), and the same callback stores the widened grant.
    """

    def __init__(self, services: Services, revocations: Revocations) -> None:
        self.services = services
        self.revocations = revocations
        self._google: StarletteOAuth2App | None = None

    async def google(self) -> StarletteOAuth2App:
        """The Authlib client (built on first use: Authlib is not needed until someone signs in)."""
        client = self._google
        if client is None:
            from authlib.integrations.starlette_client import OAuth  # a sixth of a second at start-up

            settings = self.services.settings
            oauth = OAuth()
            oauth.register(
                "google",
                client_id=settings.google_client_id,
                client_secret=settings.google_client_secret,
                client_kwargs={
                    "scope": settings.google_oauth_scopes,
                    "code_challenge_method": "S256",
                    "timeout": 15,
                    "transport": PooledTransport(self.services.get_http()),
                },
            )
            registered: StarletteOAuth2App | None = oauth.create_client("google")
            if registered is None:
                raise RuntimeError("the Google OAuth client did not register")
            client = self._google = registered
        # No `server_metadata_url`: Authlib uses the endpoints it is given, from the one cached document.
        client.server_metadata.update(await self.services.get_credentials().oauth.metadata())
        return client

    def routes(self) -> list[Route]:
        return [
            Route("/auth/login", self.login, methods=["GET"]),
            Route("/auth/callback", self.callback, methods=["GET"]),
            Route("/auth/refused", self.refused, methods=["GET"]),
            Route("/auth/logout", self.logout, methods=["POST"]),
            # Signing out takes the form's POST (with its CSRF token); opening the address goes home.
            Route("/auth/logout", self.go_home, methods=["GET"]),
            Route(GRANT_PATH, self.grant, methods=["GET"]),
        ]

    async def go_home(self, request: Request) -> Response:
        return RedirectResponse("/", status_code=303)

    async def login(self, request: Request) -> Response:
        """Off to Google; `?account=choose` makes Google ask which account even when one is signed in there."""
        request.session["next"] = safe_next(request.query_params.get("next"))
        choose = request.query_params.get("account") == "choose"
        return await (await self.google()).authorize_redirect(
            request,
            self.services.settings.google_redirect_uri,
            access_type="offline",
            prompt="select_account consent" if choose else "consent",
            include_granted_scopes="true",
        )

    async def refused(self, request: Request) -> Response:
        """Why the last sign-in in this browser was refused, at an address without Google's code in it."""
        reason = request.session.get(REFUSAL_KEY)
        if not isinstance(reason, str):
            return RedirectResponse("/", status_code=303)
        return refusal_page(request, reason, safe_next(request.session.get("next")))

    async def grant(self, request: Request) -> Response:
        """Send a signed-in person to Google for the scopes of one more capability (`for=contacts`)."""
        if request.query_params.get("for") != "contacts":
            return message_page(
                request, "Unknown permission", "This link asks for a permission Switchboard does not know.", 404
            )
        user = await signed_in_user(request, self.services.get_store(), self.services.settings)
        if user is None:
            return RedirectResponse("/auth/login?next=" + quote(f"{GRANT_PATH}?for=contacts", safe="/"), 303)
        asked = grantable_scopes(workspace=user.hosted_domain is not None)
        google = await self.google()
        redirect_uri = self.services.settings.google_redirect_uri
        # Only `openid` besides the new scopes: its id_token shows which Google account answered.
        authorization = await google.create_authorization_url(
            redirect_uri,
            scope=" ".join(["openid", *asked]),
            access_type="offline",
            prompt="consent",
            include_granted_scopes="true",
            login_hint=user.email,
        )
        await google.save_authorize_data(request, redirect_uri=redirect_uri, **authorization)
        request.session["grant"] = {"state": authorization["state"], "user_id": user.id, "scopes": asked}
        return RedirectResponse(authorization["url"], status_code=302)

    def _pending_grant(self, request: Request) -> dict[str, Any] | None:
        """The scope grant this callback answers, if it answers one (matched by OAuth state)."""
        pending = request.session.get("grant")
        if not isinstance(pending, dict) or pending.get("state") != request.query_params.get("state"):
            return None
        request.session.pop("grant")
        return dict(pending)

    async def _finish_grant(self, request: Request, pending: dict[str, Any], token: dict[str, Any]) -> Response:
        store = self.services.get_store()
        user = await signed_in_user(request, store, self.services.settings)
        again = f"{GRANT_PATH}?for=contacts"
        if user is None or user.id != pending.get("user_id"):
            return message_page(
                request, "Sign in first", "Sign in again, then open the link once more. Nothing was changed.", 403,
                action_url=again, action_label="Sign in and try again",
            )  # fmt: skip
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if str(claims.get("sub")) != user.google_sub:
            return message_page(
                request,
                "Another Google account",
                f"Google answered for a different account from the one signed in here ({user.email}). "
                "Nothing was changed.",
                403,
                action_url=again,
                action_label=f"Try again as {user.email}",
            )
        # The tool layer keeps scopes for a few seconds: the next tool call, on any replica, must see the new grant.
        granted = await self.revocations.account_changed(self._save_grant(user, token))
        asked = [str(scope) for scope in pending.get("scopes") or []]
        flash(request, grant_outcome(asked, granted))
        return RedirectResponse("/account", status_code=303)

    async def _save_grant(self, user: User, token: dict[str, Any]) -> list[str]:
        """Store Google's token set (keeping the old refresh token when Google sent none); the scopes granted."""
        store = self.services.get_store()
        granted = str(token.get("scope") or "").split()
        kept = ("access_token", "refresh_token", "token_type", "scope", "expires_at", "expires_in")
        stored = with_expiry({key: token[key] for key in kept if key in token})
        if "refresh_token" not in stored:
            previous = await store.get_google_grant(user.id)
            if previous and previous.token.get("refresh_token"):
                stored["refresh_token"] = previous.token["refresh_token"]
        await store.save_google_grant(user.id, stored, granted)
        return granted

    async def callback(self, request: Request) -> Response:
        pending = self._pending_grant(request)
        if pending is not None and request.query_params.get("error") == "access_denied":
            flash(request, "You cancelled at Google: nothing was granted, contacts_search stays off.")
            return RedirectResponse("/account", status_code=303)
        if request.query_params.get("error") == "access_denied":
            return message_page(
                request,
                "Sign-in cancelled",
                "You cancelled the Google sign-in. Nothing was connected.",
                action_url="/auth/login",
                action_label="Try again",
            )
        try:
            token = await (await self.google()).authorize_access_token(request)
        except OAuthError as exc:
            logger.info("google sign-in failed: %s", exc.error)
            return message_page(
                request,
                "Sign-in did not complete",
                "Google sign-in could not be completed (the link may have expired). Please start again.",
                status_code=400,
                action_url="/auth/login",
                action_label="Sign in again",
            )
        except JoseError as exc:  # the id_token did not validate (signature, audience, times, nonce)
            logger.warning("google sign-in refused: the id_token did not validate (%s)", exc.error)
            return message_page(
                request,
                "Sign-in did not complete",
                f"Google's answer could not be verified ({id_token_problem(exc)}), so you were not signed in. "
                "Try again; if this keeps happening, tell your admin (the server's clock may be wrong).",
                status_code=400,
                action_url="/auth/login",
                action_label="Try again",
            )
        if pending is not None:
            return await self._finish_grant(request, pending, token)
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        reason = refusal_reason(self.services.settings, claims)
        if reason:
            logger.info("sign-in refused for sub %s", claims.get("sub"))
            # The page is shown at a clean address: a reload must not replay Google's spent code.
            request.session[REFUSAL_KEY] = reason
            return RedirectResponse("/auth/refused", status_code=303)
        store = self.services.get_store()
        email = str(claims["email"]).lower()
        hosted_domain = str(claims.get("hd") or "").lower() or None
        user = await store.upsert_user(
            google_sub=str(claims["sub"]),
            email=email,
            name=str(claims.get("name") or email),
            domain=hosted_domain or email.rpartition("@")[2],
            hosted_domain=hosted_domain,
        )
        # A reconnect after "needs reconnect" must be seen by the next tool call, on any replica.
        granted = await self.revocations.account_changed(self._save_grant(user, token))
        next_url = safe_next(request.session.get("next"))
        start_session(request, user)
        missing = missing_capabilities(granted)
        if missing:
            return message_page(
                request,
                "Some permissions were not granted",
                "You are signed in, but you unticked some permissions on Google's screen, so these will not work:",
                details=missing,
                action_url="/auth/login?next=" + next_url,
                action_label="Grant the missing permissions",
                continue_url=next_url,
            )
        return RedirectResponse(next_url, status_code=303)

    async def logout(self, request: Request) -> Response:
        """Sign out of every browser: a copy of this session's cookie stops working too."""
        user_id = session_user_id(request)
        if user_id is not None:
            await self.revocations.end_sessions(user_id)
        request.session.clear()
        return RedirectResponse("/", status_code=303)
