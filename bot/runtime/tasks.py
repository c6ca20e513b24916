"""Background loops that survive the failure of any one iteration and stop at a safe point."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)

Step = Callable[[], Awaitable[object]]


async def run_periodically(
    name: str,
    interval_seconds: float,
    step: Step,
    stopping: asyncio.Event,
    *,
    wait_first: bool = False,
) -> None:
    """Run ``step`` every ``interval_seconds`` until ``stopping`` is set; log and go on when
    one run fails. ``wait_first`` skips the run at once (start-up already did it)."""
    if wait_first:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval_seconds)
    while not stopping.is_set():
        try:
            await step()
        except Exception:
            logger.exception("Background task %s failed; retrying in %ss", name, interval_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval_seconds)


class BackgroundTasks:
    """Owns the long-running tasks. On shutdown they are asked to stop (``stopping`` is set)
    and given a grace period to reach a safe point; whatever is still running is cancelled."""

    def __init__(self, grace_seconds: float = 5.0) -> None:
        self.stopping = asyncio.Event()
        self._grace_seconds = grace_seconds
        self._tasks: list[asyncio.Task[Any]] = []
        self._after_stop: list[Callable[[], Awaitable[object]]] = []

    def after_stop(self, step: Callable[[], Awaitable[object]]) -> None:
        """Run ``step`` once every task has stopped (e.g. give up the leader lock)."""
        self._after_stop.append(step)

    def start(self, name: str, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.append(task)
        task.add_done_callback(self._forget)
        return task

    def periodic(
        self, name: str, interval_seconds: float, step: Step, *, wait_first: bool = False
    ) -> None:
        self.start(
            name,
            run_periodically(name, interval_seconds, step, self.stopping, wait_first=wait_first),
        )

    def _forget(self, task: asyncio.Task[Any]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "Background task %s ended with an error", task.get_name(), exc_info=task.exception()
            )

    async def stop(self) -> None:
        self.stopping.set()
        running = list(self._tasks)
        if running:
            _, late = await asyncio.wait(running, timeout=self._grace_seconds)
            for task in late:
                logger.warning(
                    "Background task %s did not stop in time; cancelling", task.get_name()
                )
                task.cancel()
            if late:
                await asyncio.wait(late)
        steps, self._after_stop = self._after_stop, []
        for step in steps:
            try:
                await step()
            except Exception:
                logger.exception("A step after the background tasks stopped failed")
