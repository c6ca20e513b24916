"""REDIS_URL: every worker draws from one flood limit per user (pytest -m postgres, which runs
where .ci/services.sh started Redis)."""

from __future__ import annotations

import os
import uuid

import pytest

from bot.app import create_throttle
from bot.config import Settings
from bot.runtime.redis_throttle import RedisThrottle
from bot.telegram.throttling import Throttle
from bot.testing.telegram import TEST_TOKEN

pytestmark = pytest.mark.postgres


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip('TEST_REDIS_URL is not set (eval "$(.ci/services.sh)")')
    return url


async def test_two_workers_share_one_bucket_per_user() -> None:
    url = redis_url()
    workers = [RedisThrottle.from_url(url, rate=0.001, burst=3) for _ in range(2)]
    user, other = (int(uuid.uuid4().int % 10**12) for _ in range(2))
    try:
        decisions = [await workers[n % 2].check(user) for n in range(5)]
        # Three in the burst, whichever worker asked; then refused, with one notice.
        assert decisions == [(True, False)] * 3 + [(False, True), (False, False)]
        assert await workers[1].check(other) == (True, False)  # another user is not slowed
    finally:
        for worker in workers:
            await worker.aclose()


async def test_an_unreachable_redis_lets_updates_through() -> None:
    throttle = RedisThrottle.from_url("redis://127.0.0.1:1/0", rate=1, burst=1)
    try:
        assert [await throttle.check(5) for _ in range(3)] == [(True, False)] * 3
    finally:
        await throttle.aclose()


def test_redis_url_picks_the_shared_throttle() -> None:
    settings = Settings(
        BOT_TOKEN=TEST_TOKEN,
        SMM_API_URL="demo",
        REDIS_URL="redis://127.0.0.1:6379/0",
        _env_file=None,  # type: ignore[call-arg]
    )
    assert isinstance(create_throttle(settings), RedisThrottle)
    assert type(create_throttle(settings.model_copy(update={"REDIS_URL": None}))) is Throttle
