"""Closed-loop load with wrk (C, so the load generator is not what saturates first).

Each connection sends the next request as soon as the last answer arrived, chosen at random from
a list (for many people and many tools), and counts answers that are not HTTP 200 or are MCP tool
errors. Needs wrk: apt-get install wrk.
"""

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.processes import cpu_seconds

PROTOCOL = "2025-06-18"


@dataclass
class Request:
    body: str
    token: str | None = None


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def cpu_per_call(
    url: str, requests: list[Request], pid: int, *, connections: int, seconds: int
) -> tuple[WrkResult, float]:
    """`run`, and the milliseconds of CPU process `pid` (the server under load) spent per request."""
    before = cpu_seconds(pid)
    result = run(url, requests, connections=connections, seconds=seconds)
    return result, (cpu_seconds(pid) - before) / max(1, result.requests) * 1000


def tool_call(tool: str, arguments: dict[str, object], token: str | None = None) -> Request:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    return Request(json.dumps(body), token)


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua(requests: list[Request]) -> str:
    def quoted(text: str) -> str:
        return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII text

    entries = []
    for request in requests:
        auth = f", Authorization = {quoted('Bearer ' + request.token)}" if request.token else ""
        entries.append(f"  {{ body = {quoted(request.body)}{auth} }},")
    return "\n".join(
        [
            "local requests = {",
            *entries,
            "}",
            "local threads = {}",
            "function setup(thread) table.insert(threads, thread); thread:set('seed', #threads) end",
            "function init(args) errors = 0; math.randomseed(seed) end",
            "function request()",
            "  local r = requests[math.random(#requests)]",
            "  local headers = {",
            '    ["Content-Type"] = "application/json",',
            '    ["Accept"] = "application/json, text/event-stream",',
            f'    ["MCP-Protocol-Version"] = "{PROTOCOL}",',
            "  }",
            "  if r.Authorization then headers.Authorization = r.Authorization end",
            '  return wrk.format("POST", nil, headers, r.body)',
            "end",
            "function response(status, headers, body)",
            "  if status ~= 200 or body:find('\"isError\":true', 1, true) then errors = errors + 1 end",
            "end",
            "function done(summary, latency, requests)",
            "  local total = 0",
            '  for _, thread in ipairs(threads) do total = total + thread:get("errors") end',
            '  io.write(string.format("tool errors: %d\\n", total))',
            "end",
            "",
        ]
    )


def run(url: str, requests: list[Request], *, connections: int, seconds: int, threads: int = 2) -> WrkResult:
    """wrk against `url` for `seconds` with `connections` open, each request drawn from `requests`."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "load.lua"
        script.write_text(_lua(requests))
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "60s",
            "-s",
            str(script),
            url,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            raise RuntimeError(f"wrk printed no {label}th percentile:\n{out}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    def number(pattern: str) -> float:
        match = re.search(pattern, out)
        return float(match.group(1)) if match else 0.0

    non_2xx = number(r"Non-2xx or 3xx responses: (\d+)")
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return WrkResult(
        requests=int(number(r"(\d+) requests in")),
        rps=number(r"Requests/sec:\s+([\d.]+)"),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        errors=int(max(non_2xx, number(r"tool errors: (\d+)"))) + socket_errors,
    )
