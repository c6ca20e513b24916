"""REDIS_URL: every worker's sends count in one window of Telegram's 30 a second (the Redis
tests are marked postgres: that lane runs where .ci/services.sh started Redis)."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

import bot.runtime.shared_budget
from bot.runtime.redis_link import redis_client
from bot.runtime.session import SendBudgetMiddleware
from bot.runtime.shared_budget import LOCAL, SharedSendBudget
from bot.telegram.pacing import Priority, SendAbandoned, sending_as
from bot.testing.harness import make_bot
from bot.testing.telegram import FakeTelegramServer

COPIES = 75  # about three seconds of a broadcast sharing the window with answers
ANSWERS = 20  # one every 0.1 s on the other worker meanwhile: a third of the limit
CUSTOMER = 4242


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip('TEST_REDIS_URL is not set (eval "$(.ci/services.sh)")')
    return url


def worker(telegram: FakeTelegramServer, url: str, bot_id: int) -> tuple[Bot, SharedSendBudget]:
    bot = make_bot(telegram)
    budget = SharedSendBudget(redis_client(url), bot_id)
    bot.session.middleware(SendBudgetMiddleware(budget))
    return bot, budget


@pytest.mark.postgres
async def test_two_workers_never_pass_the_limit_together_and_answers_go_first() -> None:
    url = redis_url()
    bot_id = uuid.uuid4().int % 10**9  # a window of this test's own
    async with FakeTelegramServer(rate_limit_per_second=30, latency=0.005) as telegram:
        (leader, leader_budget), (other, other_budget) = (
            worker(telegram, url, bot_id) for _ in range(2)
        )
        refused: list[int] = []

        async def send(bot: Bot, chat_id: int) -> None:
            try:
                await bot.send_message(chat_id, "hello")
            except TelegramRetryAfter:
                refused.append(chat_id)

        async def broadcast() -> None:
            """The leader's copies, four in flight, as the broadcast runner keeps them."""
            recipients = iter(range(1, COPIES + 1))

            async def copier() -> None:
                for chat_id in recipients:
                    await send(leader, chat_id)

            with sending_as(Priority.BROADCAST):
                await asyncio.gather(*(copier() for _ in range(4)))

        async def answers() -> None:
            """The other worker answers a customer meanwhile."""
            with sending_as(Priority.ANSWER):
                for _ in range(ANSWERS):
                    await send(other, CUSTOMER)
                    await asyncio.sleep(0.1)

        try:
            await asyncio.gather(broadcast(), answers())
        finally:
            for bot, budget in ((leader, leader_budget), (other, other_budget)):
                await bot.session.close()
                await budget.aclose()

    # Alone, each worker's budget would let the leader send 29 a second beside the answers,
    # and the fake Telegram would refuse what passes 30 in any second.
    assert refused == [] and telegram.rate_limited_count == 0
    assert len(telegram.messages(CUSTOMER)) == ANSWERS
    assert sum(len(telegram.messages(chat)) for chat in range(1, COPIES + 1)) == COPIES
    assert leader_budget.shared and other_budget.shared  # Redis counted every send


@pytest.mark.postgres
async def test_within_a_worker_answers_jump_the_queue_and_stopped_senders_give_up() -> None:
    budget = SharedSendBudget(
        redis_client(redis_url()), uuid.uuid4().int % 10**9, 3, window=0.2, lease=5.0
    )
    stop = asyncio.Event()
    sent: list[str] = []

    async def send(priority: Priority, name: str) -> None:
        with sending_as(priority, give_up_on=(stop,) if name == "broadcast" else ()):
            slot = await budget.acquire(priority)
        sent.append(name)
        budget.release(priority, slot)

    try:
        in_flight = [await budget.acquire(Priority.NOTIFICATION) for _ in range(3)]  # full
        waiting = [
            asyncio.create_task(send(priority, priority.name.lower()))
            for priority in (Priority.BROADCAST, Priority.NOTIFICATION, Priority.ANSWER)
        ]
        await asyncio.sleep(0.05)
        assert sent == []  # nothing ages out while every send is in flight
        stop.set()  # the broadcast is stopped: its copy gives up, nothing sent
        with pytest.raises(SendAbandoned):
            await waiting[0]
        for slot in in_flight:
            budget.release(Priority.NOTIFICATION, slot)
        await asyncio.wait_for(asyncio.gather(*waiting[1:]), timeout=5)
        assert sent == ["answer", "notification"]  # the answer asked last and went first
    finally:
        await budget.aclose()


async def test_an_unreachable_redis_falls_back_to_the_local_budget_and_says_so_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.runtime.shared_budget, "RETRY_REDIS_SECONDS", 0.0)  # ask each time
    password = "Redis-pass-731"
    budget = SharedSendBudget(redis_client(f"redis://:{password}@127.0.0.1:1/0"), 1)
    caplog.set_level(logging.INFO, logger="bot.runtime.shared_budget")
    try:
        for priority in (Priority.ANSWER, Priority.NOTIFICATION, Priority.ANSWER):
            slot = await budget.acquire(priority)
            assert slot == LOCAL
            budget.release(priority, slot)
        budget.hold(1.0)
        assert budget.local.in_window == 3  # counted by the local budget instead
    finally:
        await budget.aclose()
    lines = [record.getMessage() for record in caplog.records]
    assert len([line for line in lines if "Shared send budget unavailable" in line]) == 1, lines
    assert all(password not in line and "127.0.0.1" not in line for line in lines)
