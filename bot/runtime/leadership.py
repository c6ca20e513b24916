"""One leader among the workers: the one holding the database's leader lock runs the
background work (status sync, outbox, broadcasts, catalog refresh, balance watch, payment
polls); the others keep trying for the lock and take over within seconds of the leader's
death. On SQLite (one process) the lock is always this process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable

from storage.database import LeaderLock

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0  # how often a follower tries for the lock
CHECK_SECONDS = 2.0  # how often the leader checks it still holds it


def stop_this_process() -> None:
    """The normal graceful stop (as on SIGTERM), so a supervisor starts the worker again."""
    os.kill(os.getpid(), signal.SIGTERM)


async def lead_when_elected(
    lock: LeaderLock,
    start_work: Callable[[], Awaitable[None]],
    stopping: asyncio.Event,
    *,
    elected: bool = False,
    on_lost: Callable[[], None] = stop_this_process,
    retry_seconds: float = RETRY_SECONDS,
    check_seconds: float = CHECK_SECONDS,
) -> None:
    """Wait for the lock, start the background work, and hold the lock until ``stopping``.

    A leader that finds its lock connection gone cannot know whether another worker leads
    already, so it stops (``on_lost``) rather than keep working next to a new leader; so does
    one whose work failed to start. The caller releases the lock once the background work has
    stopped, not before. ``elected``: the caller took the lock already (:func:`try_to_lead`)
    and started the work itself.
    """
    if not elected:
        logger.info("Another worker runs the background work; standing by")
        while not await try_to_lead(lock):
            if await _stopped_within(stopping, retry_seconds):
                return
        try:
            await start_work()
        except Exception:
            # Holding the lock with the work not running would leave every worker without
            # it; what started of it cannot be told apart here, so this worker steps down.
            logger.exception("Could not start the background work as the leader; stopping")
            on_lost()
            return
    while not await _stopped_within(stopping, check_seconds):
        if not await lock.still_held():
            logger.error("Lost the leader lock (database connection gone); stopping")
            on_lost()
            return


async def try_to_lead(lock: LeaderLock) -> bool:
    """One try for the leader lock (a failed try, e.g. the database unreachable, is a no)."""
    try:
        acquired = await lock.try_acquire()
    except Exception as error:
        logger.warning("Could not try for the leader lock: %r", error)
        return False
    if acquired:
        logger.info("This worker runs the background work (it holds the leader lock)")
    return acquired


async def _stopped_within(stopping: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    return stopping.is_set()
