"""Two webhook workers on one PostgreSQL database behave as one bot (pytest -m postgres).

Two real ``python -m bot`` processes share DATABASE_URL, each listening on its own port; the
fake Telegram delivers webhooks to them in turn, several at once (as Telegram does, up to its
max_connections), like a load balancer in front of both. Customers order through whichever
worker gets each update; the status sync runs on the leader only, so every notification is
sent once; a Confirm pressed twice at once, the two presses reaching both workers, charges
once; the leader is SIGKILLed and the other worker takes the background work over.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from bot.testing.panel import COMPLETED, IN_PROGRESS, FakePanel
from bot.testing.telegram.balanced import BalancedTelegram
from bot.testing.user import ChatUser
from tests.databases import fresh_postgres
from tests.service_harness import (
    SERVICE_TIMEOUT,
    BotProcess,
    bot_env,
    credit,
    free_port,
    start_bot,
    tail,
    wait_until_webhook_set,
)

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

SECRET = "workers-share-this-secret"
CUSTOMERS = [300_000_001 + number for number in range(4)]
LEADER_LINE = "This worker runs the background work"
STATUS_IDS = {IN_PROGRESS: "status-in-progress", COMPLETED: "status-completed"}
TAKEOVER_TIMEOUT = 30.0  # the lock frees as the killed process's connection closes


async def start_worker(
    telegram: BalancedTelegram, env: dict[str, str], port: int, log_path: Path
) -> BotProcess:
    since = len(telegram.calls)
    process = await start_bot({**env, "WEBHOOK_PORT": str(port)}, log_path)
    await wait_until_webhook_set(telegram, process, since)
    telegram.targets.append(f"http://127.0.0.1:{port}/tg")
    return process


def status_messages(telegram: BalancedTelegram, user: ChatUser, status: str) -> list[str]:
    """The order status notifications the user got that report ``status``."""
    marker = f"is now <b>{user.t(STATUS_IDS[status])}</b>"
    return [m.text for m in telegram.messages(user.user_id) if marker in (m.text or "")]


async def wait_for(condition: Any, timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Poll ``condition`` (another process's log, the panel's state: nothing to wait on)."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


# FSM state and the flood limit shared through the database, or through Redis (REDIS_URL).
@pytest.mark.parametrize("shared_by", ["database", "redis"])
async def test_two_workers_act_as_one_bot_and_survive_the_leader(
    tmp_path: Path, shared_by: str
) -> None:
    redis = {}
    if shared_by == "redis":
        if not os.environ.get("TEST_REDIS_URL"):
            pytest.skip("TEST_REDIS_URL is not set")
        redis = {"REDIS_URL": os.environ["TEST_REDIS_URL"]}
        # Each run's users are new to Redis: clear what an earlier run left for them.
        client = Redis.from_url(os.environ["TEST_REDIS_URL"])
        await client.flushdb()
        await client.aclose()
    async with (
        fresh_postgres() as url,
        FakePanel() as panel,
        BalancedTelegram() as telegram,
    ):
        ports = [free_port(), free_port()]
        env = bot_env(
            telegram,
            panel,
            tmp_path / "unused.sqlite3",
            DATABASE_URL=url,
            WEBHOOK_URL=f"http://127.0.0.1:{ports[0]}/tg",  # the public URL, the same for both
            WEBHOOK_SECRET=SECRET,
            **redis,
        )
        logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
        workers = [await start_worker(telegram, env, ports[0], logs[0])]
        workers.append(await start_worker(telegram, env, ports[1], logs[1]))
        try:
            await _journey(telegram, panel, workers, url)
        except BaseException:
            for number, worker in enumerate(workers):
                print(f"worker {number}:\n{tail(worker.log(), 40)}")
            raise
        finally:
            for worker in workers:
                await worker.kill()


async def _journey(
    telegram: BalancedTelegram, panel: FakePanel, workers: list[BotProcess], url: str
) -> None:
    leaders = [n for n, worker in enumerate(workers) if LEADER_LINE in worker.log()]
    assert leaders == [0], "the first worker leads, the second stands by"
    users = [ChatUser(telegram, user_id, timeout=SERVICE_TIMEOUT) for user_id in CUSTOMERS]
    for user in users:
        await user.start()
        await credit(telegram, user.user_id, "100")

    # Each customer walks a whole order; their updates land on both workers (FSM state is
    # read from the database by whichever worker gets the next step).
    for user in users[:-1]:
        await user.reach_confirmation()
        placed = await user.tap(user.t("button-confirm"))
        assert placed.text is not None and "#" in placed.text
    # The last one presses Confirm twice at once: both presses reach the workers together.
    double = users[-1]
    await double.reach_confirmation()
    first = await double.click(double.t("button-confirm"))
    second = await double.click(double.t("button-confirm"))
    await double.answer_to(first)
    await double.answer_to(second)

    def answered(query: str) -> bool:
        return any(d.status == 200 for d in telegram.deliveries_of_callback(query))

    await telegram.wait_for(lambda: answered(first) and answered(second), timeout=SERVICE_TIMEOUT)
    first_update, second_update = (
        telegram.deliveries_of_callback(query)[-1].update_id for query in (first, second)
    )
    assert telegram.served_by[first_update] != telegram.served_by[second_update]
    served = {telegram.served_by[update_id] for update_id in telegram.served_by}
    assert served == set(telegram.targets), "updates were spread over both workers"
    await wait_for(lambda: len(panel.orders) == len(users), 15, "every order on the panel")

    # The leader's status sync reports each change once, whichever worker took the order.
    panel.advance_all(IN_PROGRESS, start_count=10)
    await wait_for(
        lambda: all(status_messages(telegram, u, IN_PROGRESS) for u in users), 20, "in progress"
    )

    # The leader dies without a word; the other worker takes the background work over.
    workers[0].send_signal(signal.SIGKILL)
    assert await workers[0].wait(10) == -signal.SIGKILL
    telegram.targets.remove(telegram.targets[0])
    await wait_for(lambda: LEADER_LINE in workers[1].log(), TAKEOVER_TIMEOUT, "a new leader")
    panel.advance_all(COMPLETED)
    await wait_for(
        lambda: all(status_messages(telegram, u, COMPLETED) for u in users), 20, "completed"
    )
    # Updates keep being served by the survivor.
    await users[0].start()

    for user in users:
        for status in (IN_PROGRESS, COMPLETED):
            assert len(status_messages(telegram, user, status)) == 1, (user.user_id, status)

    database = await asyncpg.connect(url)
    try:
        charges = await database.fetch(
            "SELECT user_id, COUNT(*) AS n FROM ledger WHERE kind = 'order_charge' GROUP BY user_id"
        )
        assert {row["user_id"]: row["n"] for row in charges} == dict.fromkeys(CUSTOMERS, 1)
        assert await database.fetchval("SELECT COUNT(*) FROM orders") == len(users)
        mismatched = await database.fetch(
            "SELECT u.id FROM users u LEFT JOIN (SELECT user_id, SUM(amount) AS total"
            " FROM ledger GROUP BY user_id) l ON l.user_id = u.id"
            " WHERE u.balance <> COALESCE(l.total, 0)"
        )
        assert mismatched == []
    finally:
        await database.close()
    for worker in workers:
        assert "Traceback" not in worker.log(), tail(worker.log())
