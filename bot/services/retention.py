"""Pruning what is only history: sent notifications and ended broadcasts' recipient lists.

Both tables grow with every status change and every broadcast. Rows older than the retention
period are deleted in small batches, each its own short statement, so the one database
connection is never held for long; nothing still to be sent is ever deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage.database import format_time
from storage.repository import Repository

logger = logging.getLogger(__name__)

PRUNE_BATCH = 500
PRUNE_INTERVAL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Pruned:
    outbox: int
    recipients: int


class Retention:
    def __init__(self, repo: Repository, *, days: int, batch: int = PRUNE_BATCH) -> None:
        self._repo = repo
        self._keep = timedelta(days=days)
        self._batch = batch

    async def prune(self, now: datetime | None = None) -> Pruned:
        """Delete everything past the retention period, ``batch`` rows at a time."""
        before = format_time((now or datetime.now(UTC)) - self._keep)
        outbox = await self._drain(
            lambda: self._repo.outbox.prune(before=before, limit=self._batch)
        )
        recipients = await self._drain(
            lambda: self._repo.broadcasts.prune_recipients(before=before, limit=self._batch)
        )
        if outbox or recipients:
            logger.info(
                "Pruned %d sent notifications and %d broadcast recipients older than %s",
                outbox,
                recipients,
                before,
            )
        return Pruned(outbox, recipients)

    @staticmethod
    async def _drain(step: Callable[[], Awaitable[int]]) -> int:
        total = 0
        while True:
            deleted = await step()
            total += deleted
            if deleted == 0:
                return total
            await asyncio.sleep(0)  # let the updates waiting for the database go first
