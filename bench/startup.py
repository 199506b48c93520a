"""Process start to the first /health 200, with a new database (migrations included) and an existing one.

Run: uv run python -m bench.startup
Goal: <= 2 s.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from app.crypto import generate_key
from bench.processes import process
from sandbox.serving import free_port

RUNS = 5


def measure(env: dict[str, str]) -> float:
    port = free_port()
    started = time.perf_counter()
    with process(
        ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env | {"PORT": str(port)},
        f"http://127.0.0.1:{port}/health",
    ):
        return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = {
            "TOKEN_ENCRYPTION_KEY": generate_key(),
            "SESSION_SECRET": generate_key(),
            "GOOGLE_CLIENT_ID": "bench.apps.googleusercontent.com",
            "GOOGLE_CLIENT_SECRET": "bench-secret",
            "LOG_FORMAT": "json",
        }
        fresh = [
            measure(base | {"DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / f'fresh{i}.db'}"}) for i in range(RUNS)
        ]
        existing_db = {"DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'existing.db'}"}
        measure(base | existing_db)
        existing = [measure(base | existing_db) for _ in range(RUNS)]
    for name, samples in (("new database (runs migrations)", fresh), ("existing database", existing)):
        median = statistics.median(samples)
        verdict = "met" if median <= 2 else "NOT met"
        spread = f"min {min(samples):.2f}, max {max(samples):.2f}"
        print(f"{name:<32} median {median:.2f} s ({spread}); goal <= 2 s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
