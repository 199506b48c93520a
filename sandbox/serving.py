"""Serve an ASGI app under uvicorn on a background thread: the sandbox inside `serve --sandbox`, tests, benchmarks."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys
import threading
import time
import traceback
from types import TracebackType

import uvicorn
import uvloop
from starlette.types import ASGIApp


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# uvicorn's graceful wait (5 s) plus the app's allowance for work left unwinding (UNFINISHED_WORK_SECONDS,
# 20 s) and room for a busy machine.
STOP_SECONDS = 60.0


class ThreadedServer:
    """uvicorn on its own event loop in a daemon thread, bound before start so port 0 works."""

    def __init__(self, app: ASGIApp | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
        except ValueError:
            address = None
        v6 = address is not None and address.version == 6
        self._sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        # A wildcard bind is reachable on loopback; URLs handed out must name a concrete host.
        if address is not None and address.is_unspecified:
            self._url_host = "[::1]" if v6 else "127.0.0.1"
        else:
            self._url_host = f"[{host}]" if v6 else host
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self._url_host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start serving; returns once the server accepts requests."""
        if self.app is None:
            raise RuntimeError("no app to serve")
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            log_config=None,
            lifespan="auto",
            timeout_graceful_shutdown=5,
            proxy_headers=False,  # the served app decides whose forwarded headers to believe
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._sock.close()
                raise RuntimeError(f"server on {self.base_url} failed to start")
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on {self.base_url} did not start within {timeout} s")
            time.sleep(0.01)

    def _run(self) -> None:
        if self._server is None:
            return
        # As `asyncio.run` does: tasks still pending when serving ends (work a request left running,
        # requests uvicorn cancelled without waiting) are cancelled and awaited before the loop
        # closes, so their database connections close on a loop that can still hear back.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(self._server.serve(sockets=[self._sock]))

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop serving and wait until the app's shutdown has finished."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                frame = sys._current_frames().get(self._thread.ident or -1)  # pyright: ignore[reportPrivateUsage]
                where = "".join(traceback.format_stack(frame)) if frame is not None else "(no frame)\n"
                raise TimeoutError(f"server on {self.base_url} did not stop within {timeout} s; it was at:\n{where}")
        self._sock.close()

    def serve_forever(self) -> None:
        """Serve in the foreground (with signal handling) until interrupted."""
        if self.app is None:
            raise RuntimeError("no app to serve")
        uvicorn.Server(uvicorn.Config(self.app, log_level="info", log_config=None)).run(sockets=[self._sock])

    def __enter__(self) -> ThreadedServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
