"""Starting servers as separate processes for benchmarks (the load generator must not share their CPU)."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[1]


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> float:
    """Seconds until `url` answers 2xx (or 4xx: it is up); raises if the process dies."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if url.endswith("/mcp"):  # an MCP endpoint: answering an empty POST means it is up
                status = httpx2.post(url, content=b"{}", headers={"Content-Type": "application/json"}, timeout=1)
            else:
                status = httpx2.get(url, timeout=1)
            if status.status_code < 500:
                return time.perf_counter() - started
        except httpx2.HTTPError:
            pass
        time.sleep(0.01)
    raise TimeoutError(url)


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None, ready_url: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)
    full_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, *args], env=full_env | (env or {}), stdout=log, stderr=log, cwd=ROOT)
    try:
        if ready_url:
            wait_http(ready_url, child)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
        log.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
