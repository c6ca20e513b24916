"""Redis (REDIS_URL), as every shared piece reaches it: one client shape with timeouts, the
URL named without its password, and the start-up check that it answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

# Every call: a Redis that hangs must cost a worker seconds, never its answers.
TIMEOUT_SECONDS = 2.0
CONNECTION_OPTIONS: dict[str, Any] = {
    "socket_timeout": TIMEOUT_SECONDS,
    "socket_connect_timeout": TIMEOUT_SECONDS,
}


class RedisUnavailableError(Exception):
    """REDIS_URL names a Redis that does not answer at start-up (down, refused, a wrong
    password); the text names it without its password."""


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, **CONNECTION_OPTIONS)


def describe_redis(url: str) -> str:
    """``redis://host:port/db``: where Redis is, for a log line, without user or password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


async def check_redis(url: str) -> None:
    """Raise :class:`RedisUnavailableError` unless Redis answers a PING within the timeout."""
    client = redis_client(url)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        reason = str(error) or type(error).__name__
        password = urlsplit(url).password
        if password:
            reason = reason.replace(password, "***")
        raise RedisUnavailableError(
            f"cannot reach Redis at {describe_redis(url)} ({reason}): check REDIS_URL"
        ) from None
    finally:
        await client.aclose()
