"""Prometheus metrics: tool calls, upstream calls, Google token refreshes, active users.

Each app has its own registry (tests build several apps in one process). Upstream calls are
counted by an httpx event hook on the one shared client, so no client code knows about metrics.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx2
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

TOOL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.tool_calls = Counter(
            "switchboard_tool_calls_total",
            "MCP tool calls by tool and outcome",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self.tool_latency = Histogram(
            "switchboard_tool_call_duration_seconds",
            "MCP tool call latency",
            ["tool"],
            buckets=TOOL_BUCKETS,
            registry=self.registry,
        )
        self.upstream_calls = Counter(
            "switchboard_upstream_requests_total",
            "Requests to Google and Fathom by service and status",
            ["service", "status"],
            registry=self.registry,
        )
        self.refreshes = Counter(
            "switchboard_google_token_refreshes_total",
            "Google access-token refreshes by result",
            ["result"],
            registry=self.registry,
        )
        self.active_users = Gauge(
            "switchboard_active_users", "Users active in the last 24 hours", registry=self.registry
        )
        self.rate_limited = Counter(
            "switchboard_rate_limited_total",
            "Tool calls refused by the per-user rate limit",
            ["bucket"],
            registry=self.registry,
        )

        self.shared_state_errors = Counter(
            "switchboard_shared_state_errors_total",
            "Redis calls that failed; the replica fell back to its own state",
            ["operation"],
            registry=self.registry,
        )

    def record_tool(self, tool: str, outcome: str, seconds: float) -> None:
        self.tool_calls.labels(tool=tool, outcome=outcome).inc()
        self.tool_latency.labels(tool=tool).observe(seconds)

    def record_refresh(self, result: str) -> None:
        self.refreshes.labels(result=result).inc()

    def upstream_hook(self, services: dict[str, str]) -> Callable[[httpx2.Response], Awaitable[None]]:
        """An httpx response hook labelling each upstream call by service (matched on base URL)."""
        prefixes = sorted(services.items(), key=lambda item: -len(item[0]))

        async def hook(response: httpx2.Response) -> None:
            url = str(response.request.url)
            service = next((name for prefix, name in prefixes if url.startswith(prefix)), "other")
            self.upstream_calls.labels(service=service, status=str(response.status_code)).inc()

        return hook

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
