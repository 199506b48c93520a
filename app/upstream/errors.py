"""The few ways an upstream call fails, each with a message a person can act on.

Status codes are mapped to these in one place (`google_error_for`, `fathom_error_for`); tools turn
them into MCP tool errors without rewording.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx2

# What Gmail answers (HTTP 400) for an id that cannot be one, whatever it names.
INVALID_ID_MESSAGES = frozenset({"Invalid id value", "Invalid attachment token"})
RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


class UpstreamError(Exception):
    """Base: `str(error)` is the message for the person; `service` names the upstream."""

    def __init__(self, message: str, *, service: str = "") -> None:
        super().__init__(message)
        self.service = service


class NeedsReconnect(UpstreamError):
    """The stored grant or key no longer works; the person must reconnect."""


class MissingScope(UpstreamError):
    """The person did not grant the permission this call needs."""


class NotFound(UpstreamError):
    """The thing asked for does not exist (or is not visible to this person)."""


class RateLimited(UpstreamError):
    """The upstream asks us to slow down; `retry_after` is in seconds when known."""

    def __init__(self, message: str, *, service: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, service=service)
        self.retry_after = retry_after


class AgentClientRefused(UpstreamError):
    """Google's MCP servers refuse the deployment's OAuth client: it was not created for an AI-powered agent."""


class QuotaSpent(UpstreamError):
    """The Cloud project's daily request budget for a product is spent until `resets_at` (midnight Pacific)."""

    def __init__(self, service: str, resets_at: datetime) -> None:
        at = resets_at.astimezone(UTC)
        super().__init__(
            f"{service}: this team's Google request budget for today is spent. Google resets it at midnight "
            f"Pacific time ({at:%Y-%m-%d %H:%M} UTC); until then {service} cannot be reached. Do not retry; "
            "your administrator can move the Cloud project to a higher tier.",
            service=service,
        )
        self.resets_at = resets_at


class ShareSpent(UpstreamError):
    """This person has made their daily share of the team's requests to a Google product."""

    def __init__(self, service: str, share: int, resets_at: datetime) -> None:
        at = resets_at.astimezone(UTC)
        super().__init__(
            f"{service}: you have made your {share:,} requests for today, your share of this team's Google "
            f"budget, and nothing more was sent to {service}. The share renews at midnight Pacific time "
            f"({at:%Y-%m-%d %H:%M} UTC). Do not retry; your administrator can raise "
            "GOOGLE_REQUESTS_PER_PERSON_PER_DAY.",
            service=service,
        )
        self.resets_at = resets_at


class UpstreamUnavailable(UpstreamError):
    """The upstream is down, timing out or answering 5xx."""


class BadRequest(UpstreamError):
    """The upstream refused the request as invalid; the message says why."""


class InvalidId(BadRequest):
    """An id given to the upstream cannot be one (Gmail: 400 "Invalid id value")."""


def retry_after_seconds(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: treated as unknown, backoff decides


def google_error_details(response: httpx2.Response) -> tuple[str, set[str]]:
    """The message and reasons of a Google error body (`{"error": {"message", "errors": [...]}}`)."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200], set()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant", ...}
        return str(body.get("error_description") or error), {error}
    if not isinstance(error, dict):
        return "", set()
    reasons = {str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict) and e.get("reason")}
    details = error.get("details") or []
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("reason"):
            reasons.add(str(detail["reason"]))
    if error.get("status"):
        reasons.add(str(error["status"]))
    return str(error.get("message") or ""), reasons


def is_google_rate_limit(response: httpx2.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 403 and bool(google_error_details(response)[1] & RATE_LIMIT_REASONS)


def google_error_for(response: httpx2.Response, service: str, *, what: str = "") -> UpstreamError:
    """Translate a failed Google API response into one of our errors."""
    message, reasons = google_error_details(response)
    status = response.status_code
    thing = what or "it"
    if status == 401:
        return NeedsReconnect(f"{service} no longer accepts your Google sign-in.", service=service)
    if status == 403 and reasons & SCOPE_REASONS:
        return MissingScope(f"You have not given Switchboard permission to use {service}.", service=service)
    if is_google_rate_limit(response):
        return RateLimited(
            f"{service} is rate-limiting your account; try again in a minute.",
            service=service,
            retry_after=retry_after_seconds(response),
        )
    if status == 404:
        return NotFound(f"{service} could not find {thing}: check the id.", service=service)
    if status == 410:
        return NotFound(f"{service}: {thing} has already been deleted.", service=service)
    if status >= 500:
        return UpstreamUnavailable(f"{service} is unavailable right now (HTTP {status}); try again.", service=service)
    if status == 400 and message in INVALID_ID_MESSAGES:
        return InvalidId(f"{service}: {thing} is not a valid id.", service=service)
    detail = f": {message}" if message else ""
    return BadRequest(f"{service} refused the request (HTTP {status}){detail}", service=service)


def fathom_error_for(response: httpx2.Response, *, what: str = "") -> UpstreamError:
    """Translate a failed Fathom response (its error bodies are undocumented: go by status)."""
    service = "Fathom"
    status = response.status_code
    if status in (401, 403):
        return NeedsReconnect("Fathom rejected your API key.", service=service)
    if status == 404:
        return NotFound(f"Fathom could not find {what or 'it'}: check the id.", service=service)
    if status == 429:
        return RateLimited(
            "Fathom is rate-limiting your key (60 calls a minute).",
            service=service,
            retry_after=retry_after_seconds(response),
        )
    if status >= 500:
        return UpstreamUnavailable(f"Fathom is unavailable right now (HTTP {status}); try again.", service=service)
    return BadRequest(f"Fathom refused the request (HTTP {status}): {response.text[:200]}", service=service)
