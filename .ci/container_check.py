"""Run the built image as Railway would and check it from outside. Usage: container_check.py IMAGE.

Railway mounts a volume owned by root at /data, sets $PORT, and stops the old container with SIGTERM
on every redeploy. This starts the image on a root-owned /data that already holds the SQLite file,
against the sandbox Google on this machine, and checks: no VOLUME instruction, /health, the server is
PID 1 running as a non-root user, and `docker stop` ends it gracefully within seconds while a tool
call in flight still gets its answer. Prints one line per check; exits 1 on the first failure.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx2

from app.config import DEFAULT_SCOPES
from app.crypto import KeyRing, generate_key
from app.storage.db import create_engine, migrate
from app.storage.store import Store
from app.upstream.google_auth import with_expiry
from sandbox.identity.consent import google_tokens
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.serving import free_port

STOP_WITHIN = 20.0  # seconds `docker stop` may take; its own timeout, after which it kills, is 30
GMAIL_LATENCY = 1.0  # keeps a tool call in flight while the container is told to stop


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        fail(f"docker {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def container_logs(container: str) -> str:
    """What the container wrote to stdout and stderr (our logs go to stderr)."""
    done = subprocess.run(["docker", "logs", container], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def fail(message: str) -> None:
    print(f"FAILED: {message}")
    sys.exit(1)


def ok(message: str) -> None:
    print(f"ok: {message}")


async def seed_database(data: Path, key: str, sandbox_url: str) -> str:
    """Alice signed in, written by root into /data before the container starts; returns her personal token."""
    engine = create_engine(f"sqlite+aiosqlite:///{data / 'switchboard.db'}")
    try:
        await migrate(engine)
        store = Store(engine, KeyRing([key]))
        body = with_expiry(await google_tokens(sandbox_url, ALICE, DEFAULT_SCOPES))
        user = await store.upsert_user(
            google_sub=f"sub-{ALICE}", email=ALICE, name="Alice", domain="acme.example", hosted_domain="acme.example"
        )
        await store.save_google_grant(user.id, body, body["scope"].split())
        _record, token = await store.create_personal_token(user.id, "container check", timedelta(days=1))
    finally:
        await engine.dispose()
    return token


def tool_call(url: str, token: str, answer: dict[str, object]) -> None:
    """A stateless MCP tools/call, as a client mid-conversation sends it; the response lands in `answer`."""
    try:
        response = httpx2.post(
            f"{url}/mcp",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json, text/event-stream",
                "MCP-Protocol-Version": "2025-06-18",
            },
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "gmail_search", "arguments": {"query": "in:inbox", "max_results": 3}},
            },
            timeout=60,
        )
        answer["status"] = response.status_code
        answer["body"] = response.text
    except httpx2.HTTPError as error:
        answer["error"] = repr(error)


def main(image: str) -> None:
    config = json.loads(docker("image", "inspect", image))[0]["Config"]
    if config.get("Volumes"):
        fail(f"the image declares VOLUME {sorted(config['Volumes'])}; Railway refuses it")
    ok("no VOLUME instruction")

    with SandboxServer() as sandbox, tempfile.TemporaryDirectory(prefix="switchboard-data-") as directory:
        data = Path(directory)  # created by root, as Railway mounts its volumes
        key, port = generate_key(), free_port()
        url = f"http://127.0.0.1:{port}"
        token = asyncio.run(seed_database(data, key, sandbox.base_url))
        env = sandbox.settings_env() | {
            "PORT": str(port),
            "PUBLIC_URL": f"http://localhost:{port}",
            "TOKEN_ENCRYPTION_KEY": key,
            "SESSION_SECRET": generate_key(),
            "ALLOWED_EMAIL_DOMAINS": "acme.example",
            "LOG_FORMAT": "json",
        }
        flags = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
        container = docker("run", "-d", "--network", "host", "-v", f"{data}:/data", *flags, image)
        try:
            check_running(container, url, data)
            check_graceful_stop(container, url, token, sandbox)
        finally:
            docker("rm", "-f", container, check=False)


def check_running(container: str, url: str, data: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx2.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx2.HTTPError:
            pass
        if time.monotonic() > deadline:
            fail(f"/health never answered 200; the container said:\n{container_logs(container)}")
        time.sleep(0.25)
    ok(f"/health answers 200 with a root-owned volume at /data holding {sorted(p.name for p in data.iterdir())}")

    status = docker("exec", container, "cat", "/proc/1/status")
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    command = docker("exec", container, "cat", "/proc/1/cmdline").replace("\0", " ")
    if "switchboard" not in command or "serve" not in command:
        fail(f"PID 1 is {command!r}, not the server: signals would not reach it")
    if uid == "0":
        fail("the server runs as root")
    ok(f"the server is PID 1 ({command.strip()}) running as UID {uid}")


def check_graceful_stop(container: str, url: str, token: str, sandbox: SandboxServer) -> None:
    sandbox.faults.add_latency("/gmail", GMAIL_LATENCY)
    answer: dict[str, object] = {}
    caller = threading.Thread(target=tool_call, args=(url, token, answer))
    caller.start()
    deadline = time.monotonic() + 30
    while not sandbox.faults.requests("/gmail"):  # the call has reached Gmail: it is in flight
        if time.monotonic() > deadline or not caller.is_alive():
            fail(f"the tool call never reached the sandbox Gmail: {answer}")
        time.sleep(0.05)
    started = time.monotonic()
    docker("stop", "-t", "30", container)
    took = time.monotonic() - started
    caller.join(60)
    logs = container_logs(container)
    exit_code = docker("inspect", "-f", "{{.State.ExitCode}}", container)
    if took > STOP_WITHIN:
        fail(f"docker stop took {took:.1f} s (SIGTERM did not reach the server?)")
    ok(f"docker stop returned in {took:.1f} s with exit code {exit_code}")
    if "shutting down" not in logs.lower():
        fail(f"no graceful shutdown in the container's log:\n{logs[-2000:]}")
    ok("the server logged its graceful shutdown")
    if answer.get("status") != 200 or '"isError":true' in str(answer.get("body", "")).replace(" ", ""):
        fail(f"the tool call in flight during docker stop did not complete: {answer}")
    calls = len(sandbox.faults.requests("/gmail"))
    ok(f"a tool call in flight during docker stop got its answer ({calls} Gmail requests at {GMAIL_LATENCY} s each)")


if __name__ == "__main__":
    main(sys.argv[1])
