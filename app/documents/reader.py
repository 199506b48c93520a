"""Run the document worker for one file: bounded in memory and CPU by the worker, in wall time and number here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys

from app.documents.extract import Document, DocumentError

WALL_SECONDS = 15
# Workers alive at once per server: each may use the worker's memory limit.
CONCURRENT = 2
# Attachments held in the server at once (downloaded, waiting for or in a worker): each up to 25 MB.
HELD = 4


class DocumentReader:
    """Reads documents in worker processes, at most CONCURRENT at a time."""

    def __init__(self, concurrent: int = CONCURRENT, wall_seconds: float = WALL_SECONDS) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self._held = asyncio.Semaphore(HELD)
        self._wall_seconds = wall_seconds

    def holding(self) -> asyncio.Semaphore:
        """Hold this while a file is downloaded and read, so only a few files sit in memory at once."""
        return self._held

    async def read(self, kind: str, data: bytes, pages: tuple[int, int] | None = None) -> Document:
        """The document's text; DocumentError with a person's explanation when it cannot be read."""
        request = json.dumps({"kind": kind, "pages": list(pages) if pages else None}).encode() + b"\n"
        async with self._slots:
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-m",
                "app.documents.worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                async with asyncio.timeout(self._wall_seconds):
                    out, _ = await worker.communicate(request + data)
            except TimeoutError:
                raise DocumentError(
                    f"reading this file took longer than {self._wall_seconds:g} s; open it in Gmail"
                ) from None
            finally:
                if worker.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        worker.kill()
                    await worker.wait()
        if worker.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise DocumentError("reading this file needed more time than a document may use; open it in Gmail")
        try:
            answer = json.loads(out)
        except ValueError:
            raise DocumentError("this file could not be read (the reader stopped); open it in Gmail") from None
        if "error" in answer:
            raise DocumentError(str(answer["error"]))
        return Document(text=str(answer["text"]), parts=answer.get("parts"), note=str(answer.get("note") or ""))
