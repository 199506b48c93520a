"""Metadata for 50 Gmail messages with 50 ms injected latency: batch vs bounded concurrency vs serial.

Run: uv run python -m bench.fanout
Goal: the client's fetch (batch endpoint) within 4x the injected latency; a serial N+1 is ~51x.
"""

from __future__ import annotations

import asyncio
import sys

from app.upstream.gmail import METADATA_HEADERS
from bench.common import connected_alice, median_seconds

LATENCY = 0.050
N = 50


async def main() -> int:
    async with connected_alice(LATENCY) as bench:
        gmail = bench.gmail()
        ids = [m.id for m in (await gmail.list_messages(max_results=N)).messages]
        assert len(ids) == N

        async def batched() -> None:
            assert len(await gmail.get_messages_metadata(ids)) == N

        semaphore = asyncio.Semaphore(10)

        async def one(message_id: str) -> None:
            async with semaphore:
                await gmail.get_message(message_id, format="metadata", metadata_headers=METADATA_HEADERS)

        async def concurrent() -> None:
            await asyncio.gather(*(one(i) for i in ids))

        async def serial() -> None:
            for message_id in ids:
                await gmail.get_message(message_id, format="metadata", metadata_headers=METADATA_HEADERS)

        results = {
            "batch endpoint (chunks of 25, the client's way)": await median_seconds(batched),
            "bounded concurrency (10 at a time)": await median_seconds(concurrent),
            "serial N+1": await median_seconds(serial, repeats=1),
        }
    print(f"metadata for {N} messages, {LATENCY * 1000:.0f} ms injected per upstream request")
    for name, seconds in results.items():
        print(f"  {name:<50} {seconds * 1000:8.1f} ms  = {seconds / LATENCY:5.1f}x latency")
    ratio = results["batch endpoint (chunks of 25, the client's way)"] / LATENCY
    print(f"goal <= 4x latency: {'met' if ratio <= 4 else 'NOT met'} ({ratio:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
