"""Switchboard as a real server process (what production runs), for shutdown and multi-replica tests."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
# Carried into children whose environment is otherwise built from scratch: a run under faketime
# must reach the servers it starts, or their clocks disagree with the test's.
CLOCK_ENV = ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "TZ")
# A cold start imports and migrates in a few seconds; a machine loaded by the rest of the suite
# (load average 16 has been seen) can take many times that.
START_SECONDS = 90


def child_env(**values: str) -> dict[str, str]:
    """A minimal environment for a child process: PATH, the clock settings in force, and `values`."""
    inherited = {name: os.environ[name] for name in CLOCK_ENV if name in os.environ}
    return {"PATH": os.environ["PATH"], **inherited, **values}


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that reproduce `settings` in a child process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue  # unset, as an absent variable leaves it
        if isinstance(value, list):
            env[name.upper()] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            env[name.upper()] = "true" if value else "false"
        else:
            env[name.upper()] = str(value)
    return env


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def start_server(settings: Settings, port: int, log: Path) -> ServerProcess:
    env = child_env(HOME=os.environ.get("HOME", "/tmp"), PYTHONPATH=str(ROOT))
    env |= settings_env(settings) | {"PORT": str(port), "LOG_FORMAT": "json"}
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=log.parent,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx2.get(f"{url}/health", timeout=5).status_code == 200:
                return ServerProcess(process, url, log)
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait(10)  # gone, and its port free, before the test moves on
    raise TimeoutError(f"server did not become healthy within {START_SECONDS} s:\n{log.read_text()[-3000:]}")
