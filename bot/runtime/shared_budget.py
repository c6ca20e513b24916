"""The send budget of every worker of one bot, in Redis (REDIS_URL): one window, not one each.

The rules are :class:`bot.telegram.pacing.SendBudget`'s (read its docstring), kept in Redis so
that every worker's sends count in one sliding window: a sorted set of the sends in the window
(each scored with the moment it stops counting), a second one with the background sends among
them, and three small keys: when an answer was last asked for, the next background slot, and a 429's
hold. One Lua script decides and takes a slot atomically, on Redis's clock. So the leader's
outbox and broadcasts fill only what the answers of *all* workers leave.

A send in flight is scored one request timeout ahead (its lease): a worker killed mid-request
holds that slot until then, never for good. Within a worker, waiters queue by priority as in
the local budget and only the first asks Redis; it asks again when a send of this worker ends,
and at least every background gap, since another worker's sends end unseen.

Redis unreachable (every call has a timeout): this worker falls back to its local budget, logs
it once, and tries Redis again a few seconds later. The bot never stops answering for Redis.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import math
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from bot.telegram.pacing import (
    TELEGRAM_MESSAGES_PER_SECOND,
    Priority,
    SendAbandoned,
    SendBudget,
    give_up_events,
    granted_or_given_up,
)

logger = logging.getLogger(__name__)

KEY_PREFIX = "storefront:sends:"
# After a failed call, how long the worker paces alone before asking Redis again.
RETRY_REDIS_SECONDS = 10.0
# Slots granted by the local budget (fallback) carry this instead of a member of the window.
LOCAL = "local"

# KEYS: window, background, last answer, next background slot, hold.
# ARGV: answer (1/0), per_second, reserve, reserve_seconds, window, lease, member, force (1/0).
# Returns {1, "0"} when the slot is taken, else {0, seconds to wait (a string: Lua numbers
# become integers in a reply)}.
_ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local answer, force = ARGV[1] == '1', ARGV[8] == '1'
local per_second, reserve = tonumber(ARGV[2]), tonumber(ARGV[3])
local reserve_seconds, window, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local counted = redis.call('ZCARD', KEYS[1])
local function expiry(rank)
  local found = redis.call('ZRANGE', KEYS[1], rank, rank, 'WITHSCORES')
  return tonumber(found[2])
end
local delay, limit = 0, per_second
if answer then
  -- Asked for, not only sent: from now the leader's background sends leave the reserve free,
  -- so the first slot to free is this answer's (no queue of one worker orders another's).
  redis.call('SET', KEYS[3], tostring(now), 'PX', math.ceil(reserve_seconds * 1000))
  if not force and counted >= per_second then
    local answers = counted - redis.call('ZCARD', KEYS[2])
    if answers < per_second - reserve then
      delay = expiry(0) - now
    end
  end
else
  local last_answer = tonumber(redis.call('GET', KEYS[3]))
  if last_answer and now - last_answer < reserve_seconds then
    limit = per_second - reserve
  end
  local next_slot = tonumber(redis.call('GET', KEYS[4])) or 0
  local held = tonumber(redis.call('GET', KEYS[5])) or 0
  delay = math.max(held - now, next_slot - now, 0)
  local excess = counted - limit
  if excess >= 0 then
    delay = math.max(delay, expiry(excess) - now)
  end
end
if delay > 0 then
  return {0, tostring(delay)}
end
local keep = math.ceil((lease + window) * 1000)
redis.call('ZADD', KEYS[1], now + lease, ARGV[7])
redis.call('PEXPIRE', KEYS[1], keep)
if not answer then
  redis.call('ZADD', KEYS[2], now + lease, ARGV[7])
  redis.call('PEXPIRE', KEYS[2], keep)
  local gap = window / limit
  local next_slot = tonumber(redis.call('GET', KEYS[4])) or 0
  next_slot = math.max(next_slot, now - gap / 2) + gap
  redis.call('SET', KEYS[4], tostring(next_slot), 'PX', math.ceil((window + gap) * 1000) + 1000)
end
return {1, '0'}
"""

# KEYS: window, background. ARGV: member, window, background (1/0).
_RELEASE = """
local clock = redis.call('TIME')
local until_ = tonumber(clock[1]) + tonumber(clock[2]) / 1000000 + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], until_, ARGV[1])
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[2], until_, ARGV[1])
end
return 1
"""

# KEYS: hold. ARGV: seconds.
_HOLD = """
local clock = redis.call('TIME')
local until_ = tonumber(clock[1]) + tonumber(clock[2]) / 1000000 + tonumber(ARGV[1])
if until_ > (tonumber(redis.call('GET', KEYS[1])) or 0) then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1)
end
return 1
"""


class SharedSendBudget:
    """:class:`SendBudget`'s rules over one window in Redis, shared by every worker of a bot.

    ``acquire`` returns the slot that ``release`` takes back (the send's member of the window,
    or :data:`LOCAL` while Redis is unreachable and the local budget stands in).
    """

    def __init__(
        self,
        redis: Redis,
        bot_id: int,
        per_second: int = TELEGRAM_MESSAGES_PER_SECOND,
        *,
        reserve: int = 1,
        reserve_seconds: float = 60.0,
        window: float = 1.0,
        lease: float = 60.0,
    ) -> None:
        # The stand-in while Redis fails; it also checks the figures (ValueError).
        self.local = SendBudget(
            per_second, reserve=reserve, reserve_seconds=reserve_seconds, window=window
        )
        self.per_second = per_second
        self.reserve = reserve
        self.reserve_seconds = reserve_seconds
        self.window = window
        self.lease = lease
        self._redis = redis
        prefix = f"{KEY_PREFIX}{bot_id}:"
        self._keys = [f"{prefix}{name}" for name in ("window", "background", "answer", "next")]
        self._hold_key = f"{prefix}hold"
        self._acquire_script: Any = redis.register_script(_ACQUIRE)
        self._release_script: Any = redis.register_script(_RELEASE)
        self._hold_script: Any = redis.register_script(_HOLD)
        self._local_until = -math.inf  # Redis failed: the local budget paces until then
        self._warned = False
        # (priority, order of asking, the waiter, the latest it may be held: answers only)
        self._waiting: list[tuple[Priority, int, asyncio.Future[str], float]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()

    @property
    def shared(self) -> bool:
        """Whether sends are counted in Redis now (False: the local budget stands in)."""
        return time.monotonic() >= self._local_until

    async def acquire(self, priority: Priority) -> str:
        """Wait for a slot; every acquire is followed by exactly one :meth:`release`."""
        if not self._waiting:
            slot, _ = await self._ask(priority, force=False)
            if slot is not None:
                return slot
        give_up_on = give_up_events()
        if any(event.is_set() for event in give_up_on):
            raise SendAbandoned
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        # As in the local budget: an answer waits for the first send to age out however long
        # that is (a gap in a steady broadcast; longer in a broadcast's first second, when the
        # window fills before any send has aged out): sent past the limit, it would be refused
        # with a 429 that also holds every background sender. Only a window full of sends in
        # flight (Telegram slow to answer) lets it go after a window.
        latest = time.monotonic() + self.window
        heapq.heappush(self._waiting, (priority, next(self._order), future, latest))
        self._wake.set()
        if self._dispatcher is None or self._dispatcher.done():
            # In a context of its own: not the give-up events of the sender that started it.
            self._dispatcher = asyncio.create_task(
                self._dispatch(), name="send-budget", context=contextvars.Context()
            )
        try:
            if give_up_on:
                await granted_or_given_up(future, give_up_on)
            else:
                return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(priority, future.result())  # granted as it was cancelled
            raise
        return future.result()

    def release(self, priority: Priority, slot: str | None = None) -> None:
        """Telegram answered (or the request failed): the send counts for one more window."""
        if slot is None or slot == LOCAL:
            self.local.release(priority)
        else:
            background = "0" if priority is Priority.ANSWER else "1"
            self._write(self._release_script, self._keys[:2], [slot, self.window, background])
        self._wake.set()

    def hold(self, seconds: float) -> None:
        """Telegram answered 429 retry_after: no background sender of any worker goes before."""
        self.local.hold(seconds)
        self._write(self._hold_script, [self._hold_key], [seconds])

    async def aclose(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
        if self._writes:
            await asyncio.wait(list(self._writes))
        await self._redis.aclose()

    def _write(self, script: Any, keys: list[str], args: list[Any]) -> None:
        """Run ``script`` in the background: the send it accounts for is already over."""

        async def write() -> None:
            try:
                await script(keys=keys, args=args)
            except Exception as error:
                self._redis_failed(error)

        task = asyncio.create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _ask(self, priority: Priority, *, force: bool) -> tuple[str | None, float]:
        """A slot taken in Redis now (its member), or None and how long until one may be;
        while Redis fails, a slot of the local budget (waited for)."""
        if not self.shared:
            await self.local.acquire(priority)
            return LOCAL, 0.0
        member = uuid.uuid4().hex
        args = [
            "1" if priority is Priority.ANSWER else "0",
            self.per_second,
            self.reserve,
            self.reserve_seconds,
            self.window,
            self.lease,
            member,
            "1" if force else "0",
        ]
        try:
            granted, delay = await self._acquire_script(
                keys=[*self._keys, self._hold_key], args=args
            )
        except Exception as error:  # whatever goes wrong with Redis, the sends go on
            self._redis_failed(error)
            await self.local.acquire(priority)
            return LOCAL, 0.0
        if self._warned:
            self._warned = False
            logger.info("Shared send budget reachable again: every worker counts in one window")
        return (member, 0.0) if int(granted) else (None, float(delay))

    def _redis_failed(self, error: BaseException) -> None:
        self._local_until = time.monotonic() + RETRY_REDIS_SECONDS
        if not self._warned:
            self._warned = True
            # The error's type only: a connection error's text can name the server.
            logger.warning(
                "Shared send budget unavailable (%s): this worker paces its sends alone"
                " until Redis answers",
                type(error).__name__,
            )

    async def _dispatch(self) -> None:
        try:
            await self._let_waiters_go()
        except Exception as error:  # a bug, not Redis: the senders must hear of it, not hang
            logger.exception("The shared send budget failed")
            for _, _, future, _ in self._waiting:
                if not future.done():
                    future.set_exception(error)
            self._waiting.clear()

    async def _let_waiters_go(self) -> None:
        """Let waiters go in priority order, the first asking Redis; sleep while none may."""
        gap = self.window / self.per_second
        while self._waiting:
            entry = self._waiting[0]
            priority, _, future, latest = entry
            if future.done():  # given up while waiting
                heapq.heappop(self._waiting)
                continue
            self._wake.clear()
            now = time.monotonic()
            force = priority is Priority.ANSWER and now >= latest
            slot, delay = await self._ask(priority, force=force)
            if slot is not None:
                if self._waiting[0] is entry:
                    heapq.heappop(self._waiting)
                else:  # an earlier waiter came in meanwhile
                    self._waiting.remove(entry)
                    heapq.heapify(self._waiting)
                if future.done():
                    self.release(priority, slot)  # given up meanwhile: hand it back
                else:
                    future.set_result(slot)
                continue
            # Another worker's sends end unseen here: ask again within a gap at most.
            wait = min(delay, gap)
            if priority is Priority.ANSWER:
                wait = min(wait, max(latest - time.monotonic(), 0.0))
            if wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                except TimeoutError:
                    pass
