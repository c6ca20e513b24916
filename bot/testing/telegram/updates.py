"""The updates waiting for the bot, and ``getUpdates`` long polling as Telegram does it: a new
poll ends the one before it with 409, an offset confirms everything below it, updates of a type
outside ``allowed_updates`` are dropped."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

from bot.testing.telegram.records import JsonDict
from bot.testing.telegram.validation import GET_UPDATES_CONFLICT, ApiFailure, update_type


class UpdateQueue:
    """Updates for the bot: queued for ``getUpdates`` (or a webhook), or handed to ``deliver``."""

    def __init__(self) -> None:
        # Queued and not yet confirmed by the bot, oldest first.
        self.pending: list[JsonDict] = []
        self.allowed_updates: list[str] = []
        self.dropped: list[JsonDict] = []
        self._ids = itertools.count(100_001)
        self._poll_generation = 0
        self._release_generation = 0
        self.closing = False
        # Set by the in-process lane: updates go straight to the Dispatcher instead of waiting
        # for a poll.
        self.deliver: Callable[[JsonDict], Awaitable[None]] | None = None
        self._changed = asyncio.Condition()

    def next_id(self) -> int:
        return next(self._ids)

    async def push(self, update: JsonDict) -> JsonDict:
        """Queue an update (an ``update_id`` is assigned if missing) and wake the poll."""
        if "update_id" not in update:
            update = {"update_id": self.next_id(), **update}
        if self.deliver is not None:
            await self.deliver(update)
            return update
        self.pending.append(update)
        await self._wake()
        return update

    def clear(self) -> None:
        self.pending.clear()

    async def release_polls(self) -> None:
        """Answer any waiting poll with an empty list right away."""
        self._release_generation += 1
        await self._wake()

    async def get_updates(
        self,
        *,
        offset: int | None,
        limit: int,
        timeout: float,  # noqa: ASYNC109 (the long poll's own timeout, a Bot API parameter)
        allowed: list[str] | None,
    ) -> list[JsonDict]:
        if allowed is not None:
            self.allowed_updates = list(allowed)
        self._poll_generation += 1
        generation, released = self._poll_generation, self._release_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            # A new poll ends the previous one, as on Telegram.
            self._changed.notify_all()
            while True:
                if generation != self._poll_generation:
                    raise ApiFailure(409, GET_UPDATES_CONFLICT)
                self._confirm(offset)
                batch = self._deliverable()[:limit]
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or released != self._release_generation or self.closing:
                    return batch
                try:
                    async with asyncio.timeout(remaining):
                        await self._changed.wait()
                except TimeoutError:
                    pass

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [update for update in self.pending if update["update_id"] >= offset]

    def _deliverable(self) -> list[JsonDict]:
        if not self.allowed_updates:
            return self.pending
        kept = []
        for update in self.pending:
            if update_type(update) in self.allowed_updates:
                kept.append(update)
            else:
                self.dropped.append(update)
        self.pending = kept
        return kept
