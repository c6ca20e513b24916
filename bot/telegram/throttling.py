"""Per-user throttling: a user flooding the bot is slowed down without slowing anyone else.

Each user has a token bucket (a burst of ``burst`` updates, refilled at ``rate`` a second).
An update that finds the bucket empty is dropped at once — no sleeping, so other users'
updates are never queued behind a flood — and the user gets one polite notice per
``notice_every`` seconds of flooding.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.runtime.observability import mark_outcome
from bot.telegram.i18n import Translator

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    noticed_at: float = -1e9


class Throttle:
    """The token buckets, independent of aiogram so they are easy to test."""

    def __init__(
        self,
        *,
        rate: float = 3.0,
        burst: int = 12,
        notice_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.notice_every = notice_every
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._last_sweep = clock()

    def allow(self, user_id: int) -> tuple[bool, bool]:
        """(may this update go through, should the user be told they are being slowed)."""
        now = self._clock()
        self._sweep(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True, False
        notice = now - bucket.noticed_at >= self.notice_every
        if notice:
            bucket.noticed_at = now
        return False, notice

    async def check(self, user_id: int) -> tuple[bool, bool]:
        """:meth:`allow`, as the middleware asks it (a shared throttle asks Redis)."""
        return self.allow(user_id)

    def _sweep(self, now: float) -> None:
        # Forget users whose bucket is full again, so memory follows active users only.
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        full_after = self.burst / self.rate
        stale = [uid for uid, b in self._buckets.items() if now - b.updated > full_after]
        for user_id in stale:
            del self._buckets[user_id]


class ThrottlingMiddleware(BaseMiddleware):
    """Outer middleware on ``update`` (after the user is known, so the notice is localized)."""

    def __init__(self, throttle: Throttle) -> None:
        self._throttle = throttle

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        inner = event.event if isinstance(event, Update) else event
        if user is None or not isinstance(inner, Message | CallbackQuery):
            return await handler(event, data)  # payments and the like are never throttled
        if isinstance(inner, Message) and inner.successful_payment is not None:
            return await handler(event, data)
        allowed, notice = await self._throttle.check(user.id)
        if allowed:
            return await handler(event, data)
        mark_outcome(data, "throttled")
        i18n: Translator | None = data.get("i18n")
        if isinstance(inner, CallbackQuery):
            # The button's spinner must stop either way.
            await inner.answer(i18n("throttled") if i18n and notice else None)
        elif notice and i18n is not None:
            await inner.answer(i18n("throttled"))
        return None
