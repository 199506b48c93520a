"""Device sign-in (OAuth 2.0 device authorization grant, RFC 8628) for `install.sh`.

The installer asks for a code (`POST /device/code`), the person approves it in the browser
(`/setup`, after Google sign-in), and the installer polls `POST /device/token` until it receives
a personal access token (`sbp_…`) for `mcp-remote`. Device and user codes are never logged.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, request_response

from app.allowlist import stored_refusal
from app.auth.busy import DatabaseBusyGuard
from app.auth.responses import NO_STORE, bearer_token, oauth_error
from app.auth.revocations import Revocations
from app.browser import csrf_ok, message_page, render, signed_in_user
from app.ratelimit import TokenBuckets, address_key
from app.services import Services
from app.storage.clock import utcnow
from app.storage.store import User

logger = logging.getLogger(__name__)

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels (no words), no look-alikes (0/O, 1/I)
USER_CODE_LENGTH = 8
DEVICE_CODE_TTL = timedelta(minutes=10)
POLL_INTERVAL = 5  # seconds; read at request time so tests can shorten it
MAX_PENDING = 500  # device requests created per replica within one DEVICE_CODE_TTL
PER_ADDRESS = 20  # device requests one client address may create per DEVICE_CODE_TTL
WRONG_CODES = 5  # wrong user codes one person, or one address, may enter per DEVICE_CODE_TTL
DEFAULT_CLIENT_NAME = "Claude Desktop"
CLIENT_NAME_MAX = 60
DEVICE_NAME_MAX = 40


def new_user_code() -> str:
    """Eight letters from the unambiguous alphabet, stored without the dash."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def normalise_user_code(value: str) -> str | None:
    """`bcdf-ghjk`, `BCDF GHJK`, `bcdfghjk` → `BCDFGHJK`; None when it cannot be a user code."""
    code = "".join(ch for ch in value.upper() if ch not in "- \t")
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return None
    return code


def display_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def clean_client_name(value: str) -> str:
    name = " ".join("".join(ch for ch in value if ch.isprintable()).split())[:CLIENT_NAME_MAX]
    return name or DEFAULT_CLIENT_NAME


def clean_device_name(value: str) -> str:
    """The computer's name the installer sent (`uname -n`, COMPUTERNAME), as a short host name.

    Anyone can send anything here and it is shown on pages: only letters, digits, `-` and `_` of
    the part before the first dot are kept (`alice-mbp.local` → `alice-mbp`), at most 40 of them.
    """
    short = value.strip().split(".", 1)[0]
    return "".join(ch for ch in short if ch.isascii() and (ch.isalnum() or ch in "-_"))[:DEVICE_NAME_MAX]


def device_label(client_name: str, device_name: str) -> str:
    """`Claude Desktop on ALICE-LAPTOP`, or the client's name alone when the computer's is unknown."""
    return f"{client_name} on {device_name}" if device_name else client_name


def personal_token_label(device_label: str, issued: datetime) -> str:
    """`Claude Desktop on ALICE-LAPTOP (device sign-in, 2 Dec 2026)`: which computer, and since when."""
    return f"{device_label} (device sign-in, {issued.day} {issued:%b %Y})"


class DeviceFlow:
    """Routes `POST /device/code`, `GET|POST /setup`, `POST /device/token` and `POST /device/revoke`."""

    def __init__(self, services: Services, revocations: Revocations) -> None:
        self.services = services
        self.revocations = revocations
        self.settings = services.settings
        self._recent: deque[float] = deque()  # monotonic expiry times of requests created here
        # One address cannot use up the shared allowance for everyone else.
        self._per_address = TokenBuckets(PER_ADDRESS, DEVICE_CODE_TTL.total_seconds(), "device", services.shared)
        # Guessing user codes on /setup: a few wrong ones, then that person and address wait.
        self._wrong_codes = TokenBuckets(WRONG_CODES, DEVICE_CODE_TTL.total_seconds(), "setup", services.shared)

    def routes(self) -> list[Route]:
        token = DatabaseBusyGuard(request_response(self.token), self.services.running)
        return [
            Route("/device/code", self.start, methods=["POST"]),
            Route("/device/token", token, methods=["POST"]),
            Route("/setup", self.show, methods=["GET"]),
            Route("/setup", self.decide, methods=["POST"]),
            Route("/device/revoke", self.revoke, methods=["POST"]),
        ]

    async def revoke(self, request: Request) -> Response:
        """A personal token revokes itself (the installer, replacing it): `Authorization: Bearer sbp_…`.

        Answers 200 whether or not the token was live, as RFC 7009 does, so it reveals nothing.
        """
        presented = bearer_token(request.headers.get("authorization", ""))
        if presented is None:
            return oauth_error("invalid_request", "Send the personal token to revoke as `Authorization: Bearer …`.")
        token = await self.services.get_store().find_personal_token(presented)
        if token is not None:
            await self.revocations.revoke_personal_token(token.user_id, token.id)
        return Response(status_code=200, headers=NO_STORE)

    def _room_for_another(self) -> bool:
        now = time.monotonic()
        while self._recent and self._recent[0] <= now:
            self._recent.popleft()
        if len(self._recent) >= MAX_PENDING:
            return False
        self._recent.append(now + DEVICE_CODE_TTL.total_seconds())
        return True

    async def start(self, request: Request) -> Response:
        form = await request.form()
        label = device_label(
            clean_client_name(str(form.get("client_name") or "")), clean_device_name(str(form.get("device_name") or ""))
        )
        if await self._per_address.take(address_key(request.client.host if request.client else None)):
            response = oauth_error("slow_down", "Too many sign-ins from this address; try again in a few minutes.", 429)
            response.headers["Retry-After"] = "60"
            return response
        if not self._room_for_another():
            logger.warning("device sign-in refused: %d requests pending", MAX_PENDING)
            response = oauth_error(
                "temporarily_unavailable", "Too many sign-ins are waiting; try again in a few minutes.", 429
            )
            response.headers["Retry-After"] = "60"
            return response
        store = self.services.get_store()
        user_code = new_user_code()
        for _ in range(3):  # a clash among 20^8 codes is rare; expired rows keep their codes
            if await store.find_device_by_user_code(user_code) is None:
                break
            user_code = new_user_code()
        device_code = await store.create_device_authorization(user_code, label, DEVICE_CODE_TTL, POLL_INTERVAL)
        setup_url = f"{self.settings.public_url}/setup"
        shown = display_user_code(user_code)
        body = {
            "device_code": device_code,
            "user_code": shown,
            "verification_uri": setup_url,
            "verification_uri_complete": f"{setup_url}?{urlencode({'code': shown})}",
            "expires_in": int(DEVICE_CODE_TTL.total_seconds()),
            "interval": POLL_INTERVAL,
        }
        return JSONResponse(body, headers=NO_STORE)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != DEVICE_GRANT_TYPE:
            return oauth_error("unsupported_grant_type", f"Only {DEVICE_GRANT_TYPE} is accepted here.")
        device_code = form.get("device_code")
        if not isinstance(device_code, str) or not device_code:
            return oauth_error("invalid_request", "device_code is required.")
        store = self.services.get_store()
        record, too_fast = await store.poll_device(device_code)
        if record is None or record.status == "used":
            return oauth_error("invalid_grant", "Unknown or already used device code; run the installer again.")
        if record.status == "denied":
            return oauth_error("access_denied", "The request was denied in the browser.")
        if record.expires_at <= utcnow():
            return oauth_error("expired_token", "The code expired before it was approved; run the installer again.")
        if record.status == "pending":
            if too_fast:
                return oauth_error("slow_down", f"Poll at most every {record.interval} s (now add 5 s).")
            return oauth_error("authorization_pending", "Waiting for approval in the browser.")
        user = await store.get_user(record.user_id) if record.user_id else None
        reason = stored_refusal(self.settings, user.email, user.hosted_domain) if user else None
        if reason:
            return oauth_error("access_denied", reason)
        if record.user_id is None or not await store.claim_approved_device(device_code):
            return oauth_error("invalid_grant", "This device code was already used; run the installer again.")
        ttl = timedelta(days=self.settings.session_ttl_days)
        personal, plaintext = await store.create_personal_token(
            record.user_id, personal_token_label(record.client_label, utcnow()), ttl
        )
        logger.info("device sign-in: personal token %s issued to user %s", personal.id, personal.user_id)
        body = {"access_token": plaintext, "token_type": "Bearer", "expires_in": int(ttl.total_seconds())}
        return JSONResponse(body, headers=NO_STORE)

    async def _signed_in_user(self, request: Request) -> User | None:
        return await signed_in_user(request, self.services.get_store(), self.settings)

    def _sign_in_first(self, raw_code: str) -> Response:
        target = "/setup" + (f"?{urlencode({'code': raw_code})}" if raw_code else "")
        return RedirectResponse("/auth/login?next=" + quote(target, safe=""), status_code=303)

    def _guessers(self, request: Request, user: User) -> tuple[str, str]:
        return f"user:{user.id}", f"address:{address_key(request.client.host if request.client else None)}"

    async def _locked_out(self, request: Request, user: User) -> Response | None:
        """The refusal for someone who entered too many wrong codes lately, else None."""
        wait = max([await self._wrong_codes.wait(key) for key in self._guessers(request, user)])
        if not wait:
            return None
        logger.warning("device sign-in: user %s locked out after wrong codes", user.id)
        minutes = max(1, round(wait / 60))
        page = message_page(
            request,
            "Too many wrong codes",
            f"Several codes entered here were wrong. Wait {minutes} minute(s), then try again, "
            "copying the code exactly as your terminal shows it.",
            status_code=429,
        )
        page.headers["Retry-After"] = str(int(wait))
        return page

    async def _wrong_code(self, request: Request, user: User) -> Response:
        for key in self._guessers(request, user):
            await self._wrong_codes.take(key)
        return self._unknown_code(request)

    def _unknown_code(self, request: Request) -> Response:
        return message_page(
            request,
            "This code is not valid any more",
            "The code is unknown, already used or expired (codes last 10 minutes). "
            "Run the installer again in your terminal to get a new one.",
            status_code=400,
        )

    async def show(self, request: Request) -> Response:
        raw_code = request.query_params.get("code", "").strip()[:32]
        user = await self._signed_in_user(request)
        if user is None:
            return self._sign_in_first(raw_code)
        if not raw_code:
            return render(
                request,
                "setup.html",
                title="Connect Claude Desktop",
                email=user.email,
                user_code=None,
                public_url=self.settings.public_url,
            )
        locked = await self._locked_out(request, user)
        if locked is not None:
            return locked
        code = normalise_user_code(raw_code)
        record = await self.services.get_store().find_device_by_user_code(code) if code else None
        if record is not None and record.status in ("approved", "used") and record.user_id == user.id:
            return message_page(request, "Already approved", "Return to your terminal; you can close this tab.")
        if code is None or record is None or record.status != "pending" or record.expires_at <= utcnow():
            return await self._wrong_code(request, user)
        return render(
            request,
            "setup.html",
            title=f"Approve {record.client_label}",
            email=user.email,
            user_code=display_user_code(code),
            client_name=record.client_label,
            ttl_days=self.settings.session_ttl_days,
        )

    async def decide(self, request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return message_page(request, "Request refused", "The form was stale or forged; please try again.", 403)
        raw_code = str(form.get("code") or "")[:32]
        user = await self._signed_in_user(request)
        if user is None:
            return self._sign_in_first(raw_code)
        locked = await self._locked_out(request, user)
        if locked is not None:
            return locked
        code = normalise_user_code(raw_code)
        approve = form.get("decision") == "approve"
        if code is None or not await self.services.get_store().decide_device(code, user.id, approve):
            return await self._wrong_code(request, user)
        logger.info("device sign-in %s by user %s", "approved" if approve else "denied", user.id)
        if not approve:
            return message_page(
                request, "Request denied", "Nothing was connected. You can close this tab; the installer will stop."
            )
        return message_page(
            request,
            "Done — return to your terminal",
            "The installer is finishing the set-up of Claude Desktop. You can close this tab.",
        )
