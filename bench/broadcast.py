"""A broadcast to many users against Telegram's flood limit, with customers using the bot.

    python bench/broadcast.py [--users 10000] [--limit 30] [--blocked 0]
                              [--customers 3] [--think 2.0] [--baseline 20] [--paid]

The whole storefront runs as in production (``build_services``, ``build_dispatcher``, the
send budget on the bot's session), long-polling a fake Telegram server over HTTP that answers
``429 retry_after`` beyond ``--limit`` messages in any second (the same sliding window for
every send and copy) and ``403`` for the ``--blocked`` users; the catalog comes from a fake
panel. ``--users`` users are seeded in a fresh SQLite database.

``--customers`` of them use the bot meanwhile: each sends ``/start``, waits for the menu,
thinks ``--think`` seconds (±50%, seeded) and starts again. Their wait, from the update
queued at the server to the bot's answer, is measured for ``--baseline`` seconds without a
broadcast, then for the whole broadcast.

With ``--paid`` the bot runs with ``BROADCAST_PAID=true``: copies carry
``allow_paid_broadcast`` and the fake counts them against its ``--paid-limit`` (1,000/s, as
Telegram's paid broadcasts), customers' answers still against ``--limit``.

Counted on the server's side, where a copy Telegram accepted becomes a message in the chat:

* lost: users who can be reached (not blocked) and hold no copy — must be 0;
* duplicates: users holding more than one copy — must be 0.

The exit status is 1 when either is not 0, when the database disagrees with the chats, or
when Telegram answered 429 to anything.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from aiogram import Bot

from bot.app import build_dispatcher, build_services
from bot.config import Settings
from bot.runtime.session import SendBudgetMiddleware
from bot.telegram.i18n import Translations
from bot.telegram.pacing import Priority, paid_broadcast_stars
from bot.testing.harness import make_bot, running_bot
from bot.testing.panel import FakePanel
from bot.testing.telegram import TEST_TOKEN, FakeTelegramServer
from bot.upstream.client import HttpPanelClient
from storage.database import Database
from storage.repository import Repository

ADMIN = 900_000_001
FIRST_USER = 200_000_000
TEXT = "📣 Big sale today: 20% off every service"
COUNTED = ("send", "copy", "forward")  # what the fake's window counts


@dataclass
class Sends:
    """Every send the server accepted, by time, seen through its observer hook."""

    times: list[float] = field(default_factory=list)
    copies: list[float] = field(default_factory=list)

    def peak(self, window: float = 1.0) -> int:
        """The most sends accepted within any ``window`` seconds."""
        recent: deque[float] = deque()
        best = 0
        for moment in self.times:
            recent.append(moment)
            while recent[0] <= moment - window:
                recent.popleft()
            best = max(best, len(recent))
        return best


@dataclass
class Customers:
    """A few customers sending /start in a loop; their waits for the answer, in seconds."""

    telegram: FakeTelegramServer
    ids: list[int]
    think: float
    seed: int
    waits: list[float] = field(default_factory=list)
    _asked: dict[int, tuple[float, asyncio.Event]] = field(default_factory=dict)

    def observe(self, method: str, params: dict[str, Any], _result: Any) -> None:
        if method == "sendMessage":
            asked = self._asked.pop(params.get("chat_id"), None)  # type: ignore[arg-type]
            if asked is not None:
                self.waits.append(time.monotonic() - asked[0])
                asked[1].set()

    async def run(self, until: asyncio.Event) -> None:
        await asyncio.gather(*(self._customer(cid, until) for cid in self.ids))

    async def _customer(self, chat_id: int, until: asyncio.Event) -> None:
        pick = random.Random(self.seed * 1_000_003 + chat_id)
        while not until.is_set():
            answered = asyncio.Event()
            self._asked[chat_id] = (time.monotonic(), answered)
            await self.telegram.send_message(chat_id, "/start", first_name="Customer")
            async with asyncio.timeout(30):
                await answered.wait()
            try:
                pause = self.think * pick.uniform(0.5, 1.5)
                await asyncio.wait_for(until.wait(), timeout=pause)
            except TimeoutError:
                pass


def watch_budget(bot: Bot) -> dict[Priority, list[float]]:
    """How long each send waited for its slot in the bot's send budget, by priority."""
    waits: dict[Priority, list[float]] = {priority: [] for priority in Priority}
    for middleware in bot.session.middleware:
        if isinstance(middleware, SendBudgetMiddleware):
            for budget in filter(None, (middleware.budget, middleware.paid_budget)):
                acquire = budget.acquire

                async def timed(priority: Priority, acquire: Any = acquire) -> Any:
                    asked = time.monotonic()
                    slot = await acquire(priority)
                    waits[priority].append(time.monotonic() - asked)
                    return slot

                budget.acquire = timed  # type: ignore[method-assign]
    return waits


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(frozen=True)
class Result:
    users: int
    blocked: int
    seconds: float
    accepted: int  # copies Telegram accepted
    answers: int  # customers' answers during the broadcast
    all_sends: int  # every message Telegram accepted during the broadcast
    peak: int
    blocked_answers: int  # 403s
    rate_limited: int  # 429s
    runner_retries: int
    lost: int
    duplicates: int
    database_agrees: bool
    waits_before: list[float]
    waits_during: list[float]
    paid_sent: int
    stars_estimate: int | None
    budget_waits: dict[Priority, list[float]]
    cpu_seconds: float  # this process (bot and fake server) during the delivery

    @property
    def rate(self) -> float:
        """Copies Telegram accepted per second, over the whole delivery."""
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicates == 0
            and self.database_agrees
            and self.rate_limited == 0
        )


async def seed(repo: Repository, user_ids: list[int]) -> None:
    async with repo.database.transaction():
        for user_id in user_ids:
            await repo.users.register(
                user_id, language="en", first_name=f"User {user_id}", username=None
            )


def settings_for(panel: FakePanel, database_path: Path, paid: bool) -> Settings:
    values: dict[str, object] = {
        "BOT_TOKEN": TEST_TOKEN,
        "SMM_API_URL": panel.url,
        "SMM_API_KEY": panel.api_key,
        "ADMIN_IDS": str(ADMIN),
        "DATABASE_PATH": database_path,
        "THROTTLE_BURST": 10_000,
        "BROADCAST_PAID": paid,
        "_env_file": None,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def run(options: argparse.Namespace) -> Result:
    user_ids = list(range(FIRST_USER, FIRST_USER + options.users))
    blocked = set(user_ids[:: options.blocked]) if options.blocked else set()
    # Customers are returning users who never blocked the bot.
    customer_ids = [user_id for user_id in user_ids[1::97] if user_id not in blocked][
        : options.customers
    ]
    sends = Sends()
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as folder:
        database_path = Path(folder) / "bench.sqlite3"
        async with FakePanel() as panel, FakeTelegramServer() as telegram:
            telegram.rate_limit_per_second = options.limit or None
            telegram.paid_rate_limit_per_second = options.paid_limit
            customers = Customers(telegram, customer_ids, options.think, options.seed)

            def observe(method: str, params: dict[str, Any], result: Any) -> None:
                if method.lower().startswith(COUNTED):
                    now = time.monotonic()
                    sends.times.append(now)
                    if method == "copyMessage":
                        sends.copies.append(now)
                customers.observe(method, params, result)

            telegram.observers.append(observe)
            database = await Database.open(database_path)
            http = httpx.AsyncClient(verify=False)
            panel_client = HttpPanelClient(panel.url, panel.api_key, http_client=http)
            bot = make_bot(telegram)
            try:
                repo = Repository(database)
                await seed(repo, user_ids)
                telegram.blocked_users.update(blocked)
                services = build_services(
                    settings_for(panel, database_path, options.paid),
                    repo,
                    panel_client,
                    bot,
                    Translations("en"),
                )
                budget_waits = watch_budget(bot)
                async with running_bot(build_dispatcher(services), bot):
                    # The admin's own message, in their chat, is what gets copied.
                    await telegram.send_message(ADMIN, TEXT)
                    await telegram.wait_for_message(ADMIN)  # handled: the admin is a user now
                    draft = await repo.broadcasts.create_draft(ADMIN, ADMIN, 1)
                    audience = await repo.broadcasts.audience_size()
                    stars = services.broadcast_runner.paid_stars(audience)

                    done = asyncio.Event()
                    baseline = asyncio.create_task(customers.run(done))
                    await asyncio.sleep(options.baseline)
                    done.set()
                    await baseline
                    waits_before, customers.waits = customers.waits, []

                    recipients = await repo.broadcasts.start(draft)
                    assert recipients == options.users + 1, recipients  # and the admin
                    broadcast = await repo.broadcasts.get(draft)
                    assert broadcast is not None
                    done = asyncio.Event()
                    during = asyncio.create_task(customers.run(done))
                    first_send = len(sends.times)
                    started = time.monotonic()
                    cpu_started = time.process_time()
                    services.broadcast_runner.start(broadcast)
                    await services.broadcast_runner.wait()
                    seconds = time.monotonic() - started
                    cpu_seconds = time.process_time() - cpu_started
                    all_sends = len(sends.times) - first_send
                    done.set()
                    await during
                    retries = services.broadcast_runner.retries

                received = {
                    user_id: sum(
                        1
                        for message in telegram.messages(user_id)
                        if message.method == "copyMessage"
                    )
                    for user_id in user_ids
                }
                reachable = [user_id for user_id in user_ids if user_id not in blocked]
                counts = await repo.broadcasts.counts(draft)
                sent_in_database = {
                    row[0]
                    for row in await database.fetch_all(
                        "SELECT user_id FROM broadcast_recipients"
                        " WHERE broadcast_id = ? AND state = ?",
                        (draft, "sent"),
                    )
                }
                delivered = {user_id for user_id, count in received.items() if count}
                sent_in_database &= set(user_ids)  # the admin got one too
                return Result(
                    users=options.users,
                    blocked=len(blocked),
                    seconds=seconds,
                    accepted=sum(received.values()),
                    answers=len(customers.waits),
                    all_sends=all_sends,
                    peak=sends.peak(),
                    blocked_answers=sum(1 for error in telegram.errors if error.error_code == 403),
                    rate_limited=telegram.rate_limited_count,
                    runner_retries=retries,
                    lost=sum(1 for user_id in reachable if received[user_id] == 0),
                    duplicates=sum(1 for count in received.values() if count > 1),
                    database_agrees=(
                        sent_in_database == delivered
                        and counts.pending == 0
                        and counts.blocked == len(blocked)
                    ),
                    waits_before=waits_before,
                    waits_during=customers.waits,
                    paid_sent=telegram.paid_broadcasts,
                    stars_estimate=stars,
                    budget_waits=budget_waits,
                    cpu_seconds=cpu_seconds,
                )
            finally:
                await panel_client.aclose()
                await http.aclose()
                await database.close()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=30, help="server limit, messages/s (0: none)")
    parser.add_argument(
        "--blocked", type=int, default=0, help="every Nth user has blocked the bot (0: none)"
    )
    parser.add_argument("--customers", type=int, default=3, help="customers using the bot")
    parser.add_argument("--think", type=float, default=2.0, help="a customer's pause, seconds")
    parser.add_argument(
        "--baseline", type=float, default=60.0, help="seconds of customers without a broadcast"
    )
    parser.add_argument("--paid", action="store_true", help="BROADCAST_PAID=true")
    parser.add_argument(
        "--paid-limit", type=int, default=1000, help="server limit for paid sends, messages/s"
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def milliseconds(values: list[float], fraction: float) -> str:
    return f"{percentile(values, fraction) * 1000:.1f} ms"


def main() -> int:
    options = parse_arguments()
    logging.basicConfig(level=logging.WARNING)
    print(
        f"Broadcast to {options.users} users, server limit {options.limit or 'none'}/s"
        + (f" (paid: {options.paid_limit}/s)" if options.paid else "")
        + f", {options.customers} customers thinking {options.think:g} s"
        + (f", every {options.blocked}th user blocked the bot" if options.blocked else ""),
        flush=True,
    )
    load = os.getloadavg()
    result = asyncio.run(run(options))
    after = os.getloadavg()
    print(f"load average    {load[0]:.2f} before, {after[0]:.2f} after (1 min)")
    print(f"duration        {result.seconds:.1f} s")
    print(f"achieved rate   {result.rate:.2f} copies/s accepted by Telegram")
    print(
        f"all sends       {result.all_sends / result.seconds:.2f} messages/s accepted"
        f" ({result.accepted} copies + {result.answers} answers + admin's)"
    )
    limit = f"{options.paid_limit} paid + {options.limit}" if options.paid else options.limit
    print(f"peak window     {result.peak} messages in one second (limit {limit})")
    print(
        f"CPU             {result.cpu_seconds:.1f} s, bot and fake server together:"
        f" {result.cpu_seconds / max(result.all_sends, 1) * 1000:.2f} ms per message"
    )
    print(f"blocked (403)   {result.blocked_answers} of {result.blocked} blocked users")
    print(f"429 answers     {result.rate_limited} (runner retries: {result.runner_retries})")
    print(f"lost            {result.lost}")
    print(f"duplicates      {result.duplicates}")
    print(f"database agrees {'yes' if result.database_agrees else 'NO'}")
    if options.paid:
        print(
            f"paid            {result.paid_sent} paid sends; estimate shown to the admin"
            f" {result.stars_estimate} Stars (at most {paid_broadcast_stars(result.paid_sent)})"
        )
    for label, waits in (("without", result.waits_before), ("during", result.waits_during)):
        if waits:
            print(
                f"customer wait   {label} broadcast: {len(waits)} answers, median"
                f" {statistics.median(waits) * 1000:.1f} ms, p99 {milliseconds(waits, 0.99)},"
                f" max {max(waits) * 1000:.1f} ms"
            )
    for priority, waits in result.budget_waits.items():
        if waits:
            print(
                f"budget wait     {priority.name.lower()}: {len(waits)} sends, median"
                f" {statistics.median(waits) * 1000:.1f} ms, p99 {milliseconds(waits, 0.99)},"
                f" max {max(waits) * 1000:.1f} ms"
            )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
