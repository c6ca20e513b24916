"""Two workers' sends against Telegram's 30 messages/s: one budget in Redis, or one each.

    python bench/shared_budget.py --redis-url redis://127.0.0.1:63790/0
        [--copies 1500] [--answers 10] [--latency 0.02] [--baseline 10] [--local]

Two "workers" in one process, each a real aiogram ``Bot`` with the send budget on its session
(``SendBudgetMiddleware``, as ``build_services`` installs it), both talking over HTTP to one
fake Telegram server that answers ``429 retry_after`` beyond 30 messages in any second and
takes ``--latency`` seconds per request. The budget is the shared one in Redis (REDIS_URL),
or with ``--local`` one local budget per worker (as without REDIS_URL).

The leader broadcasts ``--copies`` messages, four in flight (as the broadcast runner keeps
them; a copy refused with 429 waits ``retry_after`` and goes again). Meanwhile customers are
answered ``--answers`` times a second, in turn by either worker (as a load balancer spreads
updates). Their wait, from asking for the slot to Telegram's answer, is measured for
``--baseline`` seconds without a broadcast, then during it.

This measures the budget alone, not a whole bot (bench/broadcast.py does that on one
process). The exit status is 1 when Telegram answered 429 to anything.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from bot.runtime.redis_link import redis_client
from bot.runtime.session import SendBudgetMiddleware
from bot.runtime.shared_budget import SharedSendBudget
from bot.telegram.pacing import Budget, Priority, SendBudget, sending_as
from bot.testing.harness import make_bot
from bot.testing.telegram import FakeTelegramServer

FIRST_RECIPIENT = 1_000_000
CUSTOMER = 42
IN_FLIGHT = 4


def peak(times: list[float], window: float = 1.0) -> int:
    """The most sends the server accepted within any ``window`` seconds."""
    recent: deque[float] = deque()
    best = 0
    for moment in sorted(times):
        recent.append(moment)
        while recent[0] <= moment - window:
            recent.popleft()
        best = max(best, len(recent))
    return best


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def describe(name: str, waits: list[float]) -> str:
    if not waits:
        return f"{name}: no answers"
    return (
        f"{name}: {len(waits)} answers, median {statistics.median(waits) * 1000:.1f} ms,"
        f" p99 {percentile(waits, 0.99) * 1000:.1f} ms, max {max(waits) * 1000:.1f} ms"
    )


async def main(options: argparse.Namespace) -> int:
    bot_id = uuid.uuid4().int % 10**9  # a window of this run's own
    accepted: list[float] = []
    refused = {"answers": 0, "copies": 0}
    async with FakeTelegramServer(rate_limit_per_second=30, latency=options.latency) as telegram:

        def observe(method: str, params: dict[str, Any], result: Any) -> None:
            accepted.append(time.monotonic())

        telegram.observers.append(observe)
        workers: list[tuple[Bot, Budget]] = []
        for _ in range(2):
            bot = make_bot(telegram)
            budget: Budget = (
                SendBudget()
                if options.local
                else SharedSendBudget(redis_client(options.redis_url), bot_id)
            )
            bot.session.middleware(SendBudgetMiddleware(budget))
            workers.append((bot, budget))
        leader = workers[0][0]
        done = asyncio.Event()
        rng = random.Random(1)

        async def answer_customers(until: asyncio.Event | float, waits: list[float]) -> None:
            """Answers at ``--answers`` a second (±50%), by either worker in turn."""
            turn = 0
            with sending_as(Priority.ANSWER):
                while not (until.is_set() if isinstance(until, asyncio.Event) else False):
                    if isinstance(until, float) and time.monotonic() >= until:
                        return
                    bot = workers[turn % 2][0]
                    turn += 1
                    asked = time.monotonic()
                    try:
                        await bot.send_message(CUSTOMER, "menu")
                        waits.append(time.monotonic() - asked)
                    except TelegramRetryAfter:
                        refused["answers"] += 1
                    await asyncio.sleep(rng.uniform(0.5, 1.5) / options.answers)

        async def broadcast() -> None:
            recipients = iter(range(FIRST_RECIPIENT, FIRST_RECIPIENT + options.copies))

            async def copier() -> None:
                for chat_id in recipients:
                    while True:
                        try:
                            await leader.send_message(chat_id, "sale")
                            break
                        except TelegramRetryAfter as error:
                            refused["copies"] += 1
                            await asyncio.sleep(error.retry_after)

            with sending_as(Priority.BROADCAST):
                await asyncio.gather(*(copier() for _ in range(IN_FLIGHT)))
            done.set()

        waits_before: list[float] = []
        await answer_customers(time.monotonic() + options.baseline, waits_before)
        await asyncio.sleep(1.0)  # the baseline's sends age out of the window
        waits_during: list[float] = []
        started = time.monotonic()
        since = len(accepted)
        await asyncio.gather(broadcast(), answer_customers(done, waits_during))
        seconds = time.monotonic() - started
        during = accepted[since:]
        for bot, budget in workers:
            await bot.session.close()
            await budget.aclose()

    answers = len(waits_during)
    kind = "one local budget per worker" if options.local else "one budget in Redis"
    print(f"budget          {kind}, latency {options.latency * 1000:.0f} ms per request")
    print(f"broadcast       {options.copies} copies in {seconds:.1f} s")
    print(f"copies/s        {options.copies / seconds:.2f} accepted")
    print(f"all messages/s  {len(during) / seconds:.2f} (copies and {answers} answers)")
    print(f"busiest second  {peak(during)} messages (limit 30)")
    print(f"429s            {refused['copies']} copies, {refused['answers']} answers")
    print(describe("without a broadcast", waits_before))
    print(describe("during it       ", waits_during))
    return 1 if any(refused.values()) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--copies", type=int, default=1500)
    parser.add_argument("--answers", type=float, default=10.0, help="answers a second")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds without one")
    parser.add_argument("--local", action="store_true", help="one local budget per worker")
    sys.exit(asyncio.run(main(parser.parse_args())))
