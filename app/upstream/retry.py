"""Sending with retries: exponential backoff with jitter, `Retry-After`, bounded attempts and time."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx2

from app.upstream.errors import UpstreamUnavailable, retry_after_seconds

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    total_time: float = 25.0  # never keep a person waiting longer than this for one call

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff (anywhere up to the capped exponential) for a 1-based attempt."""
        cap = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0.0, cap)  # noqa: S311 - jitter, not security


DEFAULT_POLICY = RetryPolicy()

# Whether a response should be retried; differs per upstream (Google's 403 rate limits).
Retryable = Callable[[httpx2.Response], bool]


def transient_status(response: httpx2.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


async def send_with_retries(
    send: Callable[[], Awaitable[httpx2.Response]],
    *,
    service: str,
    retryable: Retryable = transient_status,
    idempotent: bool = True,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> httpx2.Response:
    """Call `send` until it gives a non-retryable response, within the policy's bounds.

    For a non-idempotent call (sending mail) only failures that prove the request was not
    acted on are retried: connection failures before sending, and rate-limit refusals.
    Returns the last response (possibly still an error status) for the caller to map.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        response: httpx2.Response | None = None
        failure: Exception | None = None
        try:
            response = await send()
        except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
            failure = exc  # never reached the upstream: always safe to retry
        except (httpx2.ReadTimeout, httpx2.WriteTimeout, httpx2.RemoteProtocolError, httpx2.ReadError) as exc:
            if not idempotent:
                raise UpstreamUnavailable(
                    f"{service} did not answer in time; the request may or may not have gone through — "
                    "check before trying again.",
                    service=service,
                ) from exc
            failure = exc
        if response is not None:
            if not retryable(response) or (not idempotent and response.status_code >= 500):
                return response
        wait = policy.backoff(attempt)
        if response is not None and (hinted := retry_after_seconds(response)) is not None:
            wait = hinted
        if attempt >= policy.attempts or time.monotonic() - started + wait > policy.total_time:
            if response is not None:
                return response
            raise UpstreamUnavailable(
                f"{service} could not be reached ({type(failure).__name__}); try again shortly.", service=service
            ) from failure
        logger.info(
            "retrying %s call in %.2fs (attempt %d, %s)",
            service,
            wait,
            attempt,
            response.status_code if response is not None else type(failure).__name__,
        )
        await asyncio.sleep(wait)
