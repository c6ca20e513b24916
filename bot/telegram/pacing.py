"""One send budget for every message the bot sends to a chat, answers first.

Telegram allows a bot about 30 messages a second, counted over a sliding second. Answers to
a user's own update, notifications and broadcasts are all counted in that one window.
Background senders fill what answers leave, one slot short of the limit while people use the
bot, spread evenly over the window; an answer goes at once unless the window is full with
background sends in it, and then waits for the next one to age out (a thirtieth of a second
in a steady broadcast; up to a few tenths once, in a broadcast's first second, when the window
fills before anything has aged out). Answers alone are never held back: Telegram's limit is
for bulk sending, and a bot answering its users faster than 30 a second must not be capped
there.

A send counts from the moment Telegram answers it, the only moment by which it has surely
been counted there, and stops counting one window later; so however long a request takes,
no second of Telegram's holds more sends than the limit.

With REDIS_URL the window is kept in Redis and shared by every worker of the bot, by the same
rules (``bot.runtime.shared_budget``); this module's budget stands in while Redis is away.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import IntEnum
from typing import Any, Protocol

TELEGRAM_MESSAGES_PER_SECOND = 30
# Telegram's limit for messages sent with allow_paid_broadcast (billed in Stars).
PAID_BROADCAST_MESSAGES_PER_SECOND = 1000
# What Telegram charges per paid broadcast message, in tenths of a Star (0.1 Star).
PAID_BROADCAST_TENTHS_OF_A_STAR = 1


class Priority(IntEnum):
    """Who is sending; a lower value goes first."""

    ANSWER = 0  # a reply to an update a user just sent
    NOTIFICATION = 1  # owed to one user: order statuses, alerts
    BROADCAST = 2  # one message to everyone


class SendAbandoned(Exception):
    """A send gave up waiting for its slot (the sender was told to stop): nothing was sent."""


_priority: ContextVar[Priority] = ContextVar("send_priority", default=Priority.NOTIFICATION)
_give_up: ContextVar[tuple[asyncio.Event, ...]] = ContextVar("send_give_up", default=())


def current_priority() -> Priority:
    return _priority.get()


@contextmanager
def sending_as(priority: Priority, *, give_up_on: tuple[asyncio.Event, ...] = ()) -> Iterator[None]:
    """Sends made by this task (and tasks it starts) in the block draw with ``priority``.

    A send still waiting for its slot when one of ``give_up_on`` is set raises
    :class:`SendAbandoned` instead of being sent (a 429 can hold a slot back for minutes).
    """
    tokens = (_priority.set(priority), _give_up.set(give_up_on))
    try:
        yield
    finally:
        _give_up.reset(tokens[1])
        _priority.reset(tokens[0])


def give_up_events() -> tuple[asyncio.Event, ...]:
    """The events on which sends of this task stop waiting for their slot (:func:`sending_as`)."""
    return _give_up.get()


async def granted_or_given_up(
    future: asyncio.Future[Any], give_up_on: tuple[asyncio.Event, ...]
) -> None:
    """Wait for a budget's grant of ``future`` or for one of ``give_up_on``; on a give-up the
    waiter is cancelled (its budget skips it) and :class:`SendAbandoned` raised."""
    events = [asyncio.ensure_future(event.wait()) for event in give_up_on]
    waiting_for: list[asyncio.Future[Any]] = [future, *events]
    try:
        await asyncio.wait(waiting_for, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in events:
            waiting.cancel()
    if not future.done():
        future.cancel()
        raise SendAbandoned


class Budget(Protocol):
    """What the session's middleware draws on: this process's :class:`SendBudget`, or one
    shared by every worker (``bot.runtime.shared_budget``)."""

    per_second: int

    async def acquire(self, priority: Priority) -> Any:
        """Wait for a slot; returns what :meth:`release` takes back."""

    def release(self, priority: Priority, slot: Any = None) -> None: ...

    def hold(self, seconds: float) -> None: ...

    async def aclose(self) -> None: ...


def paid_broadcast_stars(messages: int) -> int:
    """The Stars a paid broadcast of ``messages`` costs at most, rounded up to a whole Star."""
    return math.ceil(messages * PAID_BROADCAST_TENTHS_OF_A_STAR / 10)


class SendBudget:
    """A sliding window of ``per_second`` sends shared by priority.

    While people are using the bot (an answer went out in the last ``reserve_seconds``),
    background senders leave ``reserve`` slots free; they are spread evenly over the window,
    so the slots they free come one at a time.
    """

    def __init__(
        self,
        per_second: int = TELEGRAM_MESSAGES_PER_SECOND,
        *,
        reserve: int = 1,
        reserve_seconds: float = 60.0,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= reserve or reserve < 0:
            raise ValueError("per_second must exceed the reserve")
        self.per_second = per_second
        self.reserve = reserve
        self.reserve_seconds = reserve_seconds
        self.window = window
        self._clock = clock
        self._last_answer = -math.inf
        self._next_background = 0.0
        self._held_until = 0.0
        self._in_flight = 0
        self._expiries: deque[float] = deque()  # when each answered send stops counting
        self._background_in_flight = 0
        self._background_expiries: deque[float] = deque()  # the same, background sends only
        # (priority, order of asking, the waiter, the latest it may be held: answers only)
        self._waiting: list[tuple[Priority, int, asyncio.Future[None], float]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def in_window(self) -> int:
        """Sends counted now: in flight, or answered less than a window ago."""
        self._expire(self._clock())
        return self._in_flight + len(self._expiries)

    async def acquire(self, priority: Priority) -> None:
        """Wait for a slot; every acquire is followed by exactly one :meth:`release`."""
        if not self._waiting and self._delay(priority, self._clock()) == 0.0:
            self._grant(priority)
            return
        give_up_on = _give_up.get()
        if any(event.is_set() for event in give_up_on):
            raise SendAbandoned
        future = asyncio.get_running_loop().create_future()
        # An answer waits for the next send to age out, however long that is: let go sooner
        # (it was one background gap), it passed the limit in a broadcast's first second and
        # was refused with a 429 (bench/README.md, "Two workers, one send budget"). Only a
        # window full of sends still in flight lets it go after a window.
        latest = self._clock() + self.window
        heapq.heappush(self._waiting, (priority, next(self._order), future, latest))
        self._dispatch()
        try:
            if give_up_on:
                await granted_or_given_up(future, give_up_on)
            else:
                await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(priority)  # granted as the waiter was cancelled: hand it back
            raise

    def release(self, priority: Priority, slot: object = None) -> None:
        """Telegram answered (or the request failed): the send counts for one more window."""
        expiry = self._clock() + self.window
        self._in_flight -= 1
        self._expiries.append(expiry)
        if priority is not Priority.ANSWER:
            self._background_in_flight -= 1
            self._background_expiries.append(expiry)
        self._dispatch()

    def hold(self, seconds: float) -> None:
        """Telegram answered 429 retry_after: no background sender goes before then."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    async def aclose(self) -> None:
        """Nothing to close: the window lives in this process."""

    def _expire(self, now: float) -> None:
        while self._expiries and self._expiries[0] <= now:
            self._expiries.popleft()
        while self._background_expiries and self._background_expiries[0] <= now:
            self._background_expiries.popleft()

    def _delay(self, priority: Priority, now: float) -> float:
        """Seconds until ``priority`` may send (``inf``: when a send in flight is answered)."""
        self._expire(now)
        if priority is Priority.ANSWER:
            # Over the limit because of background sends: wait for one to age out. When
            # answers alone fill the window, waiting would only slow them: Telegram's limit
            # is for bulk sending, and a busy bot's answers must not be capped by it.
            counted = self._in_flight + len(self._expiries)
            background = self._background_in_flight + len(self._background_expiries)
            answers = counted - background
            if counted < self.per_second or answers >= self.per_second - self.reserve:
                return 0.0
            return self._expiries[0] - now if self._expiries else math.inf
        limit = self._background_limit(now)
        delay = max(self._held_until - now, self._next_background - now, 0.0)
        excess = self._in_flight + len(self._expiries) - limit
        if excess >= 0:
            if excess >= len(self._expiries):
                return math.inf
            delay = max(delay, self._expiries[excess] - now)
        return delay

    def _background_limit(self, now: float) -> int:
        if now - self._last_answer < self.reserve_seconds:
            return self.per_second - self.reserve
        return self.per_second  # nobody is using the bot: the broadcast may take it all

    def _grant(self, priority: Priority) -> None:
        self._in_flight += 1
        now = self._clock()
        if priority is Priority.ANSWER:
            self._last_answer = now
            return
        self._background_in_flight += 1
        # From the slot it was given, not from when the timer fired: timers fire late by a
        # little, and a pace that lost that each time would fall short of the limit. (After
        # a pause the next slot is half a gap away, never a burst.)
        gap = self.window / self._background_limit(now)
        self._next_background = max(self._next_background, now - gap / 2) + gap

    def _dispatch(self) -> None:
        """Let waiters go in priority order while they may; wake up when the first may."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            priority, _, future, latest = self._waiting[0]
            if future.done():  # cancelled while waiting
                heapq.heappop(self._waiting)
                continue
            now = self._clock()
            delay = self._delay(priority, now)
            if priority is Priority.ANSWER:
                delay = min(delay, max(latest - now, 0.0))
            if delay > 0.0:
                # Later waiters have stricter limits: if the first cannot go, none can.
                if delay != math.inf:
                    self._timer = asyncio.get_running_loop().call_later(delay, self._dispatch)
                return
            heapq.heappop(self._waiting)
            self._grant(priority)
            future.set_result(None)
