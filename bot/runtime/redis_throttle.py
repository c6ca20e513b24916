"""The per-user flood limit shared by every worker, in Redis (REDIS_URL).

The same token bucket as :class:`bot.telegram.throttling.Throttle`, kept in one Redis hash per
user and updated by one Lua script, so the check and the update are atomic across workers and
the clock is Redis's own. Redis unreachable: the update goes through (a flood limit must not
take the shop down) and the trouble is logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.runtime.redis_link import redis_client
from bot.telegram.throttling import Throttle

logger = logging.getLogger(__name__)

KEY_PREFIX = "storefront:throttle:"
WARN_EVERY_SECONDS = 60.0

_BUCKET = """
local rate, burst, notice_every = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'noticed')
local tokens = tonumber(stored[1]) or burst
local updated = tonumber(stored[2]) or now
local noticed = tonumber(stored[3]) or -1000000000
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed, notice = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
elseif now - noticed >= notice_every then
  noticed = now
  notice = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now),
           'noticed', tostring(noticed))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate + notice_every) + 1)
return {allowed, notice}
"""


class RedisThrottle(Throttle):
    def __init__(
        self, redis: Redis, *, rate: float = 3.0, burst: int = 12, notice_every: float = 10.0
    ) -> None:
        super().__init__(rate=rate, burst=burst, notice_every=notice_every)
        self._redis = redis
        self._script: Any = redis.register_script(_BUCKET)
        self._warned_at = -1e9

    @classmethod
    def from_url(cls, url: str, **limits: Any) -> RedisThrottle:
        return cls(redis_client(url), **limits)

    async def check(self, user_id: int) -> tuple[bool, bool]:
        try:
            allowed, notice = await self._script(
                keys=[f"{KEY_PREFIX}{user_id}"],
                args=[self.rate, self.burst, self.notice_every],
            )
        except (RedisError, OSError) as error:
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                logger.warning("Shared throttle unavailable, letting updates through: %r", error)
            return True, False
        return bool(allowed), bool(notice)

    async def aclose(self) -> None:
        await self._redis.aclose()
