"""One structured log line per update, and the count of updates still being handled.

The outer middleware times the update and writes ``update=… type=… user=… handler=…
outcome=… ms=…``; an inner middleware (it runs only once a handler matched) records which
handler that was. Shutdown waits for :meth:`UpdateLog.wait_idle` so updates in flight finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update, User

logger = logging.getLogger("bot.updates")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_TRACE_KEY = "update_trace"


class UpdateTrace:
    """What the log line says about one update; handlers' middlewares fill it in."""

    __slots__ = ("handler", "outcome")

    def __init__(self) -> None:
        self.handler = "-"
        self.outcome: str | None = None


def mark_outcome(data: dict[str, Any], outcome: str) -> None:
    """Let a middleware that stops an update on purpose (throttled, banned) say so."""
    trace = data.get(_TRACE_KEY)
    if isinstance(trace, UpdateTrace):
        trace.outcome = outcome


class UpdateLog(BaseMiddleware):
    """Outer middleware on ``update``: timing, outcome, and in-flight tracking."""

    def __init__(self) -> None:
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def wait_idle(self, grace_seconds: float) -> bool:
        """Wait until no update is being handled; False if some still are after the grace."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
        except TimeoutError:
            return False
        return True

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace = UpdateTrace()
        data[_TRACE_KEY] = trace
        self._in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        outcome = "handled"
        try:
            result = await handler(event, data)
            if trace.outcome is not None:
                outcome = trace.outcome
            elif result is UNHANDLED:
                outcome = "unhandled"
            return result
        except Exception as error:
            outcome = f"error:{type(error).__name__}"
            raise
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
            user: User | None = data.get("event_from_user")
            update_type = event.event_type if isinstance(event, Update) else type(event).__name__
            logger.info(
                "update=%s type=%s user=%s handler=%s outcome=%s ms=%.1f",
                getattr(event, "update_id", "-"),
                update_type,
                user.id if user else "-",
                trace.handler,
                outcome,
                (time.perf_counter() - started) * 1000,
            )


class HandlerName(BaseMiddleware):
    """Inner middleware: records the matched handler's name for the update's log line."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace = data.get(_TRACE_KEY)
        matched = data.get("handler")
        if isinstance(trace, UpdateTrace) and isinstance(matched, HandlerObject):
            callback = matched.callback
            trace.handler = f"{callback.__module__}.{getattr(callback, '__name__', '?')}"
        return await handler(event, data)
