"""Background work the lifespan runs: do something every few seconds, and once more on the way out."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def repeat(
    every: float, tick: Callable[[], Awaitable[object]], last: Callable[[], Awaitable[object]], what: str
) -> None:
    """Run `tick` every `every` seconds until cancelled, then `last` once (shielded from the cancel).

    A failing round (the database briefly away) is logged and the next round tries again.
    """
    try:
        while True:
            await asyncio.sleep(every)
            try:
                await tick()
            except Exception:  # keep the loop alive; the next round tries again
                logger.warning("could not %s; retrying next round", what, exc_info=True)
    finally:
        try:
            await asyncio.shield(last())
        except Exception:  # shutting down: say so, and let the shutdown go on
            logger.warning("could not %s on the way out", what, exc_info=True)
