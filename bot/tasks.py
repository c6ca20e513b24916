"""Background loops that survive the failure of any one iteration."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def run_periodically(
    name: str, interval_seconds: float, step: Callable[[], Awaitable[object]]
) -> None:
    """Run ``step`` every ``interval_seconds`` until cancelled; log and go on when it fails."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Background task %s failed; retrying in %ss", name, interval_seconds)
        await asyncio.sleep(interval_seconds)


class BackgroundTasks:
    """Owns the long-running tasks so shutdown can stop them all at a safe point."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, coroutine: Awaitable[None]) -> None:
        async def wrapper() -> None:
            await coroutine

        self._tasks.append(asyncio.create_task(wrapper(), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                logger.exception("Background task %s ended with an error", task.get_name())
        self._tasks.clear()
