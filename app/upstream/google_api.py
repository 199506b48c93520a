"""One authenticated call to a Google API: token, retries, one refresh after a 401, error mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx2
from pydantic import BaseModel

from app.upstream.errors import InvalidId, google_error_for, is_google_rate_limit
from app.upstream.google_auth import GoogleCredentials
from app.upstream.retry import DEFAULT_POLICY, RetryPolicy, send_with_retries
from app.upstream.usage import PRODUCTS, GoogleUsage, endpoint

M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, str | int | bool | list[str]] | None


def path_segment(value: str, what: str) -> str:
    """An opaque id as exactly one URL path segment ("." and ".." would be folded into the path)."""
    if value.strip() in ("", ".", "..") or ("/" in value and value.strip("/") in ("", ".", "..")):
        raise InvalidId(f"{value!r} is not a valid {what} id.", service="Google")
    return quote(value, safe="")


def google_retryable(response: httpx2.Response) -> bool:
    return response.status_code >= 500 or is_google_rate_limit(response)


class GoogleApi:
    """Calls to one Google API on behalf of one user."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        credentials: GoogleCredentials,
        user_id: str,
        base_url: str,
        service: str,
        policy: RetryPolicy = DEFAULT_POLICY,
        usage: GoogleUsage | None = None,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.user_id = user_id
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.policy = policy
        self.usage = usage

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Params = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
        what: str = "",
        weight: int = 1,
    ) -> httpx2.Response:
        """Send with the user's token; returns a 2xx response or raises an `UpstreamError`.

        `weight` is how many requests Google counts this as (a batch of gets counts each part).
        """
        token = await self.credentials.access_token(self.user_id)
        call = (method, url, weight)
        response = await self._send_once(call, token, params, json, content, headers, idempotent)
        if response.status_code == 401:
            # Expired or revoked early: one refresh, one more try (safe even for sends: a 401 did nothing).
            token = await self.credentials.access_token(self.user_id, rejected=token)
            response = await self._send_once(call, token, params, json, content, headers, idempotent)
        if response.is_success:
            return response
        error = google_error_for(response, self.service, what=what)
        if response.status_code == 401:
            error = self.credentials.reconnect_error(str(error))
        raise error

    async def _send_once(
        self,
        call: tuple[str, str, int],
        token: str,
        params: Params,
        json: Any,
        content: bytes | None,
        headers: dict[str, str] | None,
        idempotent: bool,
    ) -> httpx2.Response:
        method, url, weight = call
        if self.usage is not None:
            await self.usage.admit(PRODUCTS.get(self.service, self.service.lower()), self.user_id, weight)
        all_headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip", **(headers or {})}

        async def attempt() -> httpx2.Response:
            if self.usage is not None:
                path = url[len(self.base_url) :] if url.startswith(self.base_url) else urlsplit(url).path
                product = PRODUCTS.get(self.service, self.service.lower())
                self.usage.record(product, endpoint(method, path), self.user_id, weight)
            return await self.http.request(method, url, params=params, json=json, content=content, headers=all_headers)

        return await send_with_retries(
            attempt,
            service=self.service,
            retryable=google_retryable,
            idempotent=idempotent,
            policy=self.policy,
        )

    async def get_model(self, path: str, model: type[M], *, params: Params = None, what: str = "") -> M:
        """GET and parse the answer straight into `model` (pydantic reads the JSON bytes itself: faster)."""
        response = await self.send("GET", self.base_url + path, params=params, what=what)
        return model.model_validate_json(response.content)

    async def get_json(self, path: str, *, params: Params = None, what: str = "") -> dict[str, Any]:
        response = await self.send("GET", self.base_url + path, params=params, what=what)
        return response.json()

    async def call_json(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        body: Any = None,
        idempotent: bool = True,
        what: str = "",
    ) -> dict[str, Any]:
        response = await self.send(
            method, self.base_url + path, params=params, json=body, idempotent=idempotent, what=what
        )
        if not response.content:
            return {}
        return response.json()
