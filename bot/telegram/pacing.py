"""One pace for everything the bot sends on its own (notifications, broadcasts).

Telegram allows about 30 messages a second overall; background senders share one pacer so
together they stay under it, leaving room for the replies to users' own actions.
"""

from __future__ import annotations

import asyncio
import time

DEFAULT_MESSAGES_PER_SECOND = 25.0


class SendPacer:
    def __init__(self, messages_per_second: float = DEFAULT_MESSAGES_PER_SECOND) -> None:
        if messages_per_second <= 0:
            raise ValueError("messages_per_second must be positive")
        self.interval = 1.0 / messages_per_second
        self._next_slot = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait for the next free sending slot."""
        async with self._lock:
            now = time.monotonic()
            slot = max(self._next_slot, now)
            self._next_slot = slot + self.interval
        delay = slot - now
        if delay > 0:
            await asyncio.sleep(delay)

    def hold(self, seconds: float) -> None:
        """Telegram asked everyone to wait (429 retry_after): no sender goes before then."""
        self._next_slot = max(self._next_slot, time.monotonic() + seconds)
