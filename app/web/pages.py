"""The person's pages: `/` (what Switchboard does, how to connect Claude), `/account` (connections) and
`/help` (connecting, troubleshooting, what Switchboard sees).

Every change is a POST with the session's CSRF token; a stale or forged form gets a 403 page. The
Fathom key is checked with Fathom before it is stored, and only its last four characters are ever
shown. When the admin registered a Fathom OAuth app, people may instead connect Fathom by signing
in there (`/account/fathom/connect` → Fathom → `/account/fathom/callback`); either replaces the other.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.allowlist import may_administer
from app.auth.google_signin import missing_capabilities
from app.auth.revocations import Revocations
from app.browser import csrf_ok, flash, message_page, pop_flash, render, signed_in_user
from app.installers import RENEW_WITHIN, install_commands, time_left
from app.services import Services
from app.storage.clock import utcnow
from app.storage.store import Connections, GoogleGrant, GoogleState, User
from app.upstream.errors import NeedsReconnect, UpstreamError
from app.upstream.fathom import FathomClient
from app.upstream.fathom_auth import FathomCredentials

logger = logging.getLogger(__name__)

FATHOM_REJECTED = "Fathom rejected this key — copy it again from Fathom → Settings → API access."
FATHOM_KEY_MAX = 512
FATHOM_STATE_KEY = "fathom_oauth_state"
# What removing a Fathom OAuth grant did at Fathom: confirmed, not confirmed, no endpoint to ask.
FATHOM_REVOKED: dict[bool | None, str] = {
    True: "Fathom confirmed that Switchboard's access is revoked.",
    False: "Fathom did not confirm the revocation; to be sure, remove Switchboard in Fathom's settings.",
    None: "Switchboard forgot its access; to end it at Fathom too, remove Switchboard in Fathom's settings.",
}
GOOGLE_PERMISSIONS_URL = "https://myaccount.google.com/connections"
EXAMPLE_ASKS = (
    "What needs my attention?",
    "Prep me for my next meeting",
    "Draft the follow-up from this morning's call",
)
_AUTH = "https://www.googleapis.com/auth/"
SCOPE_LABELS = {
    "openid": "Your Google identity",
    "email": "Your email address",
    "profile": "Your name and profile picture",
    _AUTH + "userinfo.email": "Your email address",
    _AUTH + "userinfo.profile": "Your name and profile picture",
    "https://mail.google.com/": "Gmail: full access",
    _AUTH + "gmail.modify": "Gmail: read, send, draft and organise mail",
    _AUTH + "gmail.readonly": "Gmail: read mail",
    _AUTH + "gmail.send": "Gmail: send mail",
    _AUTH + "gmail.compose": "Gmail: write drafts and send",
    _AUTH + "gmail.labels": "Gmail: manage labels",
    _AUTH + "calendar": "Google Calendar: see and change events",
    _AUTH + "calendar.readonly": "Google Calendar: see events",
    _AUTH + "calendar.events": "Google Calendar: see and change events",
    _AUTH + "contacts.readonly": "Google Contacts: find people in your contacts",
    _AUTH + "contacts.other.readonly": "Google Contacts: find people you have mailed",
    _AUTH + "directory.readonly": "Company directory: find colleagues",
}


def readable_scopes(scopes: list[str]) -> list[str]:
    """Granted Google scopes as people say them, without repeats."""
    known = list(SCOPE_LABELS)
    ordered = sorted(scopes, key=lambda s: known.index(s) if s in SCOPE_LABELS else len(known))
    return list(dict.fromkeys(SCOPE_LABELS.get(s, s.removeprefix(_AUTH)) for s in ordered))


SEND_POLICIES = {
    "confirm": "Claude asks you before sending where your app can ask; where it cannot, mail to someone outside "
    "your organisation you have never written to is saved as a draft for you to send.",
    "drafts_only": "Your administrator set every email to be saved as a draft: Claude never sends mail.",
    "direct": "Your administrator lets Claude send mail without asking you first.",
}
ALWAYS_DRAFT = {
    True: "Saved: Claude will save every email as a draft; you send it from Gmail.",
    False: "Saved: Claude may send mail again, as described under Sending mail.",
}


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/auth/login?next={next_path}", status_code=303)


def forged_form(request: Request) -> HTMLResponse:
    return message_page(
        request,
        "Request refused",
        "This form was stale or did not come from this site. Go back, reload the page and try again.",
        status_code=403,
        action_url="/account",
        action_label="Back to your account",
    )


@dataclass(frozen=True)
class GoogleStatus:
    state: GoogleState
    scopes: list[str]
    missing: list[str]
    new_client: bool = False  # made for the deployment's former OAuth client: reconnect once


def google_status(found: Connections) -> GoogleStatus:
    """What the pages show of the Google connection: the same `Store.connections` whoami reports."""
    if found.google == "not_connected":
        return GoogleStatus("not_connected", [], [])
    scopes = readable_scopes(found.scopes)
    return GoogleStatus(found.google, scopes, missing_capabilities(found.scopes), found.google_new_client)


@dataclass(frozen=True)
class FathomStatus:
    state: str  # key | oauth | needs_reconnect | not_connected
    last4: str | None
    can_sign_in: bool  # an admin registered a Fathom OAuth app: "Connect Fathom" is offered


def fathom_status(found: Connections, services: Services) -> FathomStatus:
    """What the pages show of the Fathom connection: a key, an OAuth grant, or nothing yet."""
    if found.fathom_last4:
        state = "key"
    elif found.fathom_oauth is None:
        state = "not_connected"
    else:
        state = "oauth" if found.fathom_oauth == "active" else "needs_reconnect"
    return FathomStatus(state, found.fathom_last4, services.fathom_credentials is not None)


class Pages:
    """What every page handler needs: the services and the signed-in person."""

    def __init__(self, services: Services, revocations: Revocations) -> None:
        self.services = services
        self.settings = services.settings
        self.revocations = revocations

    async def current_user(self, request: Request) -> User | None:
        """The signed-in person; a revoked person's browser counts as signed out."""
        return await signed_in_user(request, self.services.get_store(), self.settings)

    def is_admin(self, user: User) -> bool:
        return may_administer(self.settings, user.email, user.hosted_domain)

    async def form_user(self, request: Request, next_path: str) -> tuple[User, dict[str, str]] | Response:
        """For a POST: the signed-in user and the form's fields, or the refusal to send instead."""
        form = await request.form()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        if not csrf_ok(request, fields.get("csrf")):
            return forged_form(request)
        user = await self.current_user(request)
        if user is None:
            return login_redirect(next_path)
        return user, fields


class AccountPages(Pages):
    """Routes `/`, `/account` and the account's POST actions."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.landing, methods=["GET"]),
            Route("/account", self.account, methods=["GET"]),
            Route("/help", self.help_page, methods=["GET"]),
            Route("/account/fathom", self.save_fathom_key, methods=["POST"]),
            Route("/account/fathom/remove", self.remove_fathom_key, methods=["POST"]),
            Route("/account/fathom/connect", self.connect_fathom, methods=["POST"]),
            Route("/account/fathom/callback", self.fathom_callback, methods=["GET"]),
            Route("/account/clients/revoke", self.revoke_client, methods=["POST"]),
            Route("/account/tokens/revoke", self.revoke_token, methods=["POST"]),
            Route("/account/sending", self.save_sending, methods=["POST"]),
            Route("/account/disconnect", self.disconnect, methods=["POST"]),
            # Reloading or bookmarking the address a form posted to (say, after a refused key) opens the page.
            *(
                Route(path, self.back_to_account, methods=["GET"])
                for path in (
                    "/account/fathom",
                    "/account/fathom/remove",
                    "/account/fathom/connect",
                    "/account/clients/revoke",
                    "/account/tokens/revoke",
                    "/account/disconnect",
                )
            ),
        ]

    async def back_to_account(self, request: Request) -> Response:
        return RedirectResponse("/account", status_code=303)

    async def landing(self, request: Request) -> Response:
        user = await self.current_user(request)
        context: dict[str, Any] = {"title": "Claude, with your Gmail, Calendar and Fathom", "asks": EXAMPLE_ASKS}
        if user is not None:
            found = await self.services.get_store().connections(user.id)
            context |= {
                "user": user,
                "is_admin": self.is_admin(user),
                "connector_url": self.settings.mcp_url,
                "install": install_commands(self.settings.public_url, request.headers.get("user-agent", "")),
                "google": google_status(found),
                "fathom": fathom_status(found, self.services),
            }
        return render(request, "landing.html", **context)

    async def help_page(self, request: Request) -> Response:
        """How to connect and what to do when something is wrong; who the admin is, to signed-in people only."""
        user = await self.current_user(request)
        return render(
            request,
            "help.html",
            title="Help",
            user=user,
            is_admin=user is not None and self.is_admin(user),
            connector_url=self.settings.mcp_url,
            install=install_commands(self.settings.public_url, request.headers.get("user-agent", "")),
            setup_url=f"{self.settings.public_url}/setup",
            admins=self.settings.admin_emails if user else [],
        )

    async def account(self, request: Request) -> Response:
        user = await self.current_user(request)
        if user is None:
            return login_redirect("/account")
        return await self._account_page(request, user, notice=pop_flash(request))

    async def _account_page(self, request: Request, user: User, status_code: int = 200, **extra: Any) -> Response:
        store = self.services.get_store()
        await self.services.get_activity().flush()  # this replica's latest uses show at once
        now = utcnow()
        every_token = await store.list_personal_tokens(user.id)
        tokens = [token for token in every_token if token.revoked_at is None and token.expires_at > now]
        clients = await store.connected_clients(user.id)
        await self.services.get_audit().flush()  # this replica's latest actions show at once
        apps = {client.client_id: client.client_name for client in clients}
        apps |= {f"personal:{token.id}": token.label for token in every_token}
        actions = [
            (action, apps.get(action.client_id or "", "an app since disconnected"))
            for action in await store.recent_actions(user.id)
        ]
        ending = {t.id: time_left(t.expires_at - now) for t in tokens if t.expires_at - now <= RENEW_WITHIN}
        found = await store.connections(user.id)
        return render(
            request,
            "account.html",
            status_code=status_code,
            title="Your account",
            user=user,
            is_admin=self.is_admin(user),
            google=google_status(found),
            fathom=fathom_status(found, self.services),
            sample_fathom_key=self.services.sample_fathom_keys.get(user.email),
            clients=clients,
            tokens=tokens,
            actions=actions,
            ending=ending,
            install=install_commands(self.settings.public_url, request.headers.get("user-agent", "")),
            send_policy=SEND_POLICIES[self.settings.mail_send_policy],
            **extra,
        )

    async def save_sending(self, request: Request) -> Response:
        """The person's own choice: save every email as a draft, or let Claude send (under the policy)."""
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        user, fields = checked
        always = fields.get("always_draft") == "yes"
        await self.revocations.account_changed(self.services.get_store().set_always_draft(user.id, always))
        flash(request, ALWAYS_DRAFT[always])
        return RedirectResponse("/account", status_code=303)

    async def _check_fathom_key(self, key: str) -> str | None:
        """Why Fathom will not take this key, or None when it answered with the key's teams."""
        client = FathomClient(self.services.get_http(), key, self.settings.fathom_api_base)
        try:
            await client.list_teams()
        except NeedsReconnect:
            return FATHOM_REJECTED
        except UpstreamError as exc:
            return f"Could not check the key with Fathom ({exc}). Nothing was saved; try again in a minute."
        except httpx2.HTTPError:
            logger.warning("could not reach Fathom to check a key", exc_info=True)
            return "Could not reach Fathom to check the key. Nothing was saved; try again in a minute."
        return None

    async def save_fathom_key(self, request: Request) -> Response:
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        user, fields = checked
        key = fields.get("fathom_key", "").strip()
        problem: str | None = None
        if not key:
            problem = "Paste your Fathom API key (Fathom → Settings → API access)."
        elif len(key) > FATHOM_KEY_MAX or not key.isprintable() or any(ch.isspace() for ch in key):
            problem = "That does not look like a Fathom API key — copy it again from Fathom → Settings → API access."
        else:
            problem = await self._check_fathom_key(key)
        if problem:
            # Re-rendered without the key: it is never echoed back, not even into the input.
            return await self._account_page(request, user, status_code=400, fathom_error=problem)
        await self.revocations.account_changed(self.services.get_store().set_fathom_key(user.id, key))
        logger.info("fathom key saved for user %s", user.id)
        flash(request, f"Fathom connected (key ending in {key[-4:]}).")
        return RedirectResponse("/account", status_code=303)

    async def remove_fathom_key(self, request: Request) -> Response:
        """Forget the Fathom key, or revoke and forget the Fathom OAuth grant."""
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        user, _fields = checked
        store = self.services.get_store()
        if await store.get_fathom_grant(user.id) is not None:
            revoked = await self._revoke_at_fathom(user.id)
            await self.revocations.account_changed(store.delete_fathom_grant(user.id))
            flash(request, "Fathom disconnected. " + FATHOM_REVOKED[revoked])
        else:
            await self.revocations.account_changed(store.delete_fathom_key(user.id))
            flash(request, "Fathom key removed. Claude no longer sees your Fathom meetings.")
        return RedirectResponse("/account", status_code=303)

    def _fathom_tokens(self) -> FathomCredentials | None:
        return self.services.fathom_credentials

    async def _revoke_at_fathom(self, user_id: str) -> bool | None:
        """Ask Fathom to revoke the person's grant: True confirmed, False not, None no grant or no endpoint."""
        tokens = self._fathom_tokens()
        grant = await self.services.get_store().get_fathom_grant(user_id)
        token = (grant.token.get("refresh_token") or grant.token.get("access_token")) if grant else None
        if tokens is None or not token:
            return None
        return await tokens.oauth.revoke(str(token))

    async def connect_fathom(self, request: Request) -> Response:
        """Off to Fathom to allow Switchboard's OAuth app; the state ties the answer to this browser."""
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        tokens = self._fathom_tokens()
        if tokens is None:
            return RedirectResponse("/account", status_code=303)
        state = secrets.token_urlsafe(24)
        request.session[FATHOM_STATE_KEY] = state
        return RedirectResponse(tokens.oauth.authorize_address(self.settings.fathom_redirect_uri, state), 303)

    async def fathom_callback(self, request: Request) -> Response:
        user = await self.current_user(request)
        if user is None:
            return login_redirect("/account")
        tokens = self._fathom_tokens()
        expected = request.session.pop(FATHOM_STATE_KEY, None)
        query = request.query_params
        if (
            tokens is None
            or not isinstance(expected, str)
            or not secrets.compare_digest(expected, query.get("state", ""))
        ):
            return self._fathom_failed(request, "This Fathom answer does not belong to a connection started here.")
        if query.get("error") == "access_denied":
            return message_page(
                request,
                "Fathom not connected",
                "You cancelled on Fathom's page. Nothing was connected.",
                action_url="/account#fathom",
                action_label="Back to your account",
            )
        code = query.get("code")
        if not code:
            return self._fathom_failed(request, f"Fathom answered {query.get('error') or 'without a code'}.")
        try:
            token = await tokens.oauth.exchange_code(code, self.settings.fathom_redirect_uri)
        except UpstreamError as exc:
            logger.info("fathom code exchange failed for user %s", user.id)
            return self._fathom_failed(request, str(exc))
        except httpx2.HTTPError:
            logger.warning("could not reach Fathom to finish connecting", exc_info=True)
            return self._fathom_failed(request, "Switchboard could not reach Fathom.")
        store = self.services.get_store()
        had_key = await store.fathom_key_last4(user.id) is not None
        await self.revocations.account_changed(
            store.save_fathom_grant(user.id, token, str(token.get("scope") or "public_api"))
        )
        logger.info("fathom connected by oauth for user %s", user.id)
        flash(request, "Fathom connected." + (" It replaces the API key you had pasted." if had_key else ""))
        return RedirectResponse("/account", status_code=303)

    def _fathom_failed(self, request: Request, why: str) -> HTMLResponse:
        return message_page(
            request,
            "Fathom not connected",
            f"{why} Nothing was connected; please start again.",
            status_code=400,
            action_url="/account#fathom",
            action_label="Back to your account",
        )

    async def revoke_client(self, request: Request) -> Response:
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        user, fields = checked
        client_id = fields.get("client_id", "")
        count = await self.revocations.revoke_client_for_user(user.id, client_id)
        name = fields.get("client_name", "") or "The app"
        flash(request, f"{name} was disconnected." if count else "That app was already disconnected.")
        return RedirectResponse("/account", status_code=303)

    async def revoke_token(self, request: Request) -> Response:
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        user, fields = checked
        revoked = await self.revocations.revoke_personal_token(user.id, fields.get("token_id", ""))
        flash(request, "The token was revoked." if revoked else "That token was already revoked.")
        return RedirectResponse("/account", status_code=303)

    async def _revoke_at_google(self, grant: GoogleGrant | None) -> bool:
        """Ask Google to revoke our grant; True when Google confirmed (or there was nothing to revoke)."""
        token = (grant.token.get("refresh_token") or grant.token.get("access_token")) if grant else None
        if not token:
            return True
        try:
            url = await self.services.get_credentials().oauth.endpoint("revocation_endpoint")
            response = await self.services.get_http().post(url, data={"token": str(token)}, timeout=10)
        except (httpx2.HTTPError, UpstreamError, KeyError):
            logger.warning("could not reach Google to revoke a grant", exc_info=True)
            return False
        if response.status_code != 200:
            logger.warning("Google answered HTTP %d to a revocation", response.status_code)
        return response.status_code == 200

    async def disconnect(self, request: Request) -> Response:
        checked = await self.form_user(request, "/account")
        if isinstance(checked, Response):
            return checked
        user, fields = checked
        if fields.get("confirm") != "yes":
            problem = "Tick the box to confirm that you want to disconnect everything."
            return await self._account_page(request, user, status_code=400, disconnect_error=problem)
        store = self.services.get_store()
        google_confirmed = await self._revoke_at_google(await store.get_google_grant(user.id))
        fathom_revoked = await self._revoke_at_fathom(user.id)
        removed = await self.revocations.disconnect_user(user.id)
        request.session.clear()
        logger.info("user %s disconnected everything", user.id)
        details = [
            "Google: " + ("access revoked at Google and removed here." if google_confirmed else "removed here."),
            "Fathom key: " + ("deleted." if removed.fathom_key else "none was stored."),
            *(["Fathom sign-in: removed here. " + FATHOM_REVOKED[fathom_revoked]] if removed.fathom_grant else []),
            f"Apps and tokens: {removed.oauth_tokens + removed.personal_tokens} revoked and deleted.",
            "You are signed out of this browser.",
        ]
        if not google_confirmed:
            details.append(
                "Google did not confirm the revocation (it may already have been revoked). To be sure, remove "
                f"Switchboard at {GOOGLE_PERMISSIONS_URL}."
            )
        return message_page(
            request,
            "Everything is disconnected",
            f"Switchboard no longer holds any credentials for {user.email}.",
            details=details,
            action_url="/",
            action_label="Back to the start page",
        )
