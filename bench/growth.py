"""How the storefront's costs grow: catalog size, order history, users and active orders.

    python bench/growth.py [--only catalog orders memory] [--services 1000 10000]
                           [--orders 1000000] [--users 100000] [--active 100000]

* **catalog**: a refresh from a fake panel (over HTTP, in this process) of ``--services``
  services in categories of 25: the first (every service new), one with nothing changed, one
  with 10% of the rates changed and 1% of the services gone. Wall time, the longest a
  customer's read waited for the database meanwhile (a probe reads every 2 ms), and, in a
  second pass under ``tracemalloc``, the heap peak of each refresh.
* **orders**: ``--orders`` orders of 10,000 customers written straight into the schema; the
  database's size, the plan of a customer's order list (``/orders``: the newest 5, a count)
  and its time, for a customer with few orders and one with many, first and last page.
* **memory**: the RSS of the whole bot (``build_services``, ``build_dispatcher`` and its
  start-up) over a database of ``--users`` users and ``--active`` active orders: after
  start-up, after a status sync round against the fake panel, and after 10,000 of the users
  each sent ``/start``.

Figures are printed; nothing is asserted beyond the refreshes' own counts.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bot.services.catalog import CatalogService
from bot.testing.panel import FakePanel, FakeService
from bot.testing.telegram import TEST_TOKEN, FakeTelegramServer
from bot.upstream.client import HttpPanelClient
from storage.database import Database
from storage.repository import Repository

MiB = 1024 * 1024


def rss_mib() -> float:
    """This process's resident memory now (not the peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MiB


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the panel, in a child process (its JSON would otherwise be billed to the bot) -------------


def panel_process(connection: Connection) -> None:
    asyncio.run(_serve_panel(connection))


async def _serve_panel(connection: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with FakePanel(record_calls=False) as panel, FakeTelegramServer() as telegram:
        answered: dict[int, asyncio.Event] = {}

        def observe(method: str, params: dict[str, Any], _result: Any) -> None:
            waiting = answered.get(params.get("chat_id"))  # type: ignore[arg-type]
            if method == "sendMessage" and waiting is not None:
                waiting.set()

        telegram.observers.append(observe)
        connection.send((panel.url, panel.api_key, telegram.base_url))
        while True:
            command, argument = await loop.run_in_executor(None, connection.recv)
            if command == "stop":
                return
            if command == "starts":  # user ids: each sends /start, 50 at a time
                connection.send(await _starts(telegram, answered, argument))
                continue
            connection.send(_panel_command(panel, command, argument))


async def _starts(
    telegram: FakeTelegramServer, answered: dict[int, asyncio.Event], user_ids: list[int]
) -> float:
    """Seconds for every user's /start to be answered."""
    started = time.perf_counter()
    queue = iter(user_ids)

    async def customer() -> None:
        for user_id in queue:
            answered[user_id] = asyncio.Event()
            await telegram.send_message(user_id, "/start", first_name="Customer")
            try:
                async with asyncio.timeout(20):
                    await answered[user_id].wait()
            except TimeoutError:
                print("CHILD TIMEOUT", user_id, answered[user_id], file=sys.stderr, flush=True)
                raise
            del answered[user_id]

    await asyncio.gather(*(customer() for _ in range(50)))
    return time.perf_counter() - started


def _panel_command(panel: FakePanel, command: str, argument: Any) -> Any:
    if command == "services":  # (count, seed): a fresh catalog
        panel.services = {service.service_id: service for service in panel_services(*argument)}
        return len(panel.services)
    if command == "change":  # (fraction, seed): new rates for some, 1% gone
        fraction, seed = argument
        rng = random.Random(seed)
        count = len(panel.services)
        for service_id in rng.sample(sorted(panel.services), int(count * fraction)):
            old = panel.services[service_id]
            panel.services[service_id] = replace(old, rate=old.rate + 1)
        for service_id in rng.sample(sorted(panel.services), count // 100):
            del panel.services[service_id]
        return len(panel.services)
    if command == "orders":  # count: active orders of the first service
        service_id = min(panel.services)
        return [
            panel.create_order(
                service_id, f"https://t.me/c/{index}", 1000, status="In progress"
            ).order_id
            for index in range(argument)
        ]
    raise ValueError(command)


class PanelProcess:
    def __init__(self) -> None:
        self._connection, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=panel_process, args=(child,), daemon=True)
        self._process.start()
        self.url, self.api_key, self.telegram_url = self._connection.recv()

    def ask(self, command: str, argument: Any = None) -> Any:
        self._connection.send((command, argument))
        return self._connection.recv()

    def stop(self) -> None:
        self._connection.send(("stop", None))
        self._process.join(timeout=10)


class TimedLock(asyncio.Lock):
    """The database's lock, timing how long each holder keeps it."""

    def __init__(self) -> None:
        super().__init__()
        self.holds: list[float] = []
        self._since = 0.0

    async def acquire(self) -> Literal[True]:
        await super().acquire()
        self._since = time.perf_counter()
        return True

    def release(self) -> None:
        self.holds.append(time.perf_counter() - self._since)
        super().release()


def timed_lock(database: Database) -> TimedLock:
    lock = TimedLock()
    database._lock = lock
    return lock


# --- catalog ----------------------------------------------------------------------------------


def panel_services(count: int, seed: int) -> list[FakeService]:
    rng = random.Random(seed)
    services = []
    for index in range(count):
        minimum = rng.choice([10, 50, 100, 500])
        services.append(
            FakeService(
                service_id=1000 + index,
                name=f"Service {index} [{rng.choice(['HQ', 'Real', 'Fast'])}] 🔥",
                type="Default",
                category=f"Network {index // 250} · kind {index // 25 % 10}",
                rate=Decimal(rng.randint(5, 5000)) / 1000,
                min_quantity=minimum,
                max_quantity=minimum * 1000,
                refill=rng.random() < 0.4,
                cancel=rng.random() < 0.3,
                description=rng.choice(["", "Start 0-1h, speed 10k/day", "No refill"]),
            )
        )
    return services


class ReadProbe:
    """Reads from the database every 2 ms: how long a customer's read would wait."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self.waits: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._recorded = asyncio.Event()

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await self._database.fetch_value("SELECT 1")
            self.waits.append(time.perf_counter() - asked)
            self._recorded.set()
            await asyncio.sleep(0.002)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.waits = []
        self._task = asyncio.create_task(self._run())
        try:
            yield
            # A read that was waiting when the refresh ended counts too.
            self._recorded.clear()
            await self._recorded.wait()
        finally:
            self._task.cancel()


async def catalog_rounds(
    panel: PanelProcess, count: int, seed: int, traced: bool
) -> list[tuple[str, float, float, float, float, int]]:
    """(round, seconds, longest read wait, longest lock hold, heap peak MiB, changed)."""
    panel.ask("services", (count, seed))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as folder:
        database = await Database.open(Path(folder) / "catalog.sqlite3")
        lock = timed_lock(database)
        http = httpx.AsyncClient(verify=False)
        client = HttpPanelClient(panel.url, panel.api_key, http_client=http)
        catalog = CatalogService(Repository(database), client)
        probe = ReadProbe(database)
        try:
            for name, change in (
                ("first (all new)", None),
                ("unchanged", None),
                ("10% rates, 1% gone", 0.1),
            ):
                if change:
                    panel.ask("change", (change, seed + 1))
                gc.collect()
                if traced:
                    tracemalloc.start()
                lock.holds = []
                async with probe.running():
                    started = time.perf_counter()
                    changes = await catalog.refresh()
                    seconds = time.perf_counter() - started
                peak = 0.0
                if traced:
                    peak = tracemalloc.get_traced_memory()[1] / MiB
                    tracemalloc.stop()
                changed = len(changes.added) + len(changes.changed) + len(changes.removed)
                results.append((name, seconds, max(probe.waits), max(lock.holds), peak, changed))
        finally:
            await client.aclose()
            await http.aclose()
            await database.close()
    return results


async def bench_catalog(options: argparse.Namespace) -> None:
    print("\n## Catalog refresh")
    print(
        "| services | refresh | wall | longest DB lock hold | longest read wait | changed"
        " | heap peak (tracemalloc) |"
    )
    print("|--:|---|--:|--:|--:|--:|--:|")
    panel = PanelProcess()
    try:
        for count in options.services:
            timed = await catalog_rounds(panel, count, options.seed, traced=False)
            traced = await catalog_rounds(panel, count, options.seed, traced=True)
            for (name, seconds, wait, hold, _, changed), traced_round in zip(
                timed, traced, strict=True
            ):
                print(
                    f"| {count:,} | {name} | {seconds * 1000:.0f} ms | {hold * 1000:.1f} ms"
                    f" | {wait * 1000:.1f} ms | {changed:,} | {traced_round[4]:.1f} MiB |"
                )
    finally:
        panel.stop()
    print(f"(ru_maxrss so far {peak_rss_mib():.0f} MiB)")


# --- orders -----------------------------------------------------------------------------------


async def seed_orders(database: Database, orders: int, customers: int, seed: int) -> None:
    """Orders straight into the schema, in batches, with the columns a real order has."""
    rng = random.Random(seed)
    now = "2026-11-30 12:00:00"
    await database.execute_many(
        "INSERT INTO users (id, language, first_name, created_at, last_seen_at)"
        " VALUES (?, 'en', ?, ?, ?)",
        [(100_000 + index, f"Customer {index}", now, now) for index in range(customers)],
    )
    statuses = ["Completed"] * 80 + ["Partial"] * 5 + ["Canceled"] * 5 + ["In progress"] * 10
    batch: list[tuple[Any, ...]] = []
    for order_id in range(1, orders + 1):
        # A few customers order a lot: a tenth of the orders belong to customer 0.
        user = 100_000 if rng.random() < 0.1 else 100_000 + rng.randrange(customers)
        batch.append(
            (
                order_id,
                user,
                f"token-{order_id}",
                5_000_000 + order_id,
                1000 + rng.randrange(1000),
                f"Instagram Followers [HQ] #{order_id % 30}",
                "Default",
                "Instagram Followers",
                "1.25",
                1,
                0,
                f"https://instagram.com/p/{order_id:x}",
                rng.choice([100, 500, 1000, 5000]),
                rng.randint(100_000, 50_000_000),
                rng.choice(statuses),
                now,
                now,
            )
        )
        if len(batch) == 50_000:
            await _insert_orders(database, batch)
            batch = []
    if batch:
        await _insert_orders(database, batch)


async def _insert_orders(database: Database, rows: list[tuple[Any, ...]]) -> None:
    await database.execute_many(
        "INSERT INTO orders (id, user_id, confirm_token, upstream_id, service_id, service_name,"
        " service_type, category, rate, refill_allowed, cancel_allowed, link, quantity, price,"
        " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)",
        rows,
    )


async def timed(call: Callable[[], Awaitable[Any]], repeat: int = 200) -> float:
    """Median seconds of ``call`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bench_orders(options: argparse.Namespace) -> None:
    print(f"\n## Order history: {options.orders:,} orders of 10,000 customers")
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as folder:
        path = Path(folder) / "orders.sqlite3"
        database = await Database.open(path)
        try:
            started = time.perf_counter()
            await seed_orders(database, options.orders, 10_000, options.seed)
            seeding = time.perf_counter() - started
            await database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = path.stat().st_size / MiB
            print(f"seeded in {seeding:.1f} s; database file {size:.0f} MiB")
            repo = Repository(database)
            many = 100_000
            many_count = await repo.orders.count_for_user(many)
            few = 100_005
            few_count = await repo.orders.count_for_user(few)
            for sql, params in (
                ("SELECT * FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?", 3),
                ("SELECT COUNT(*) FROM orders WHERE user_id = ?", 1),
            ):
                plan = await database.fetch_all(f"EXPLAIN QUERY PLAN {sql}", (few, 5, 0)[:params])
                print(f"plan of `{sql}`: " + "; ".join(row["detail"] for row in plan))
            print("| customer | orders | newest 5 | last page | count |")
            print("|---|--:|--:|--:|--:|")
            for label, user, count in (("few orders", few, few_count), ("many", many, many_count)):
                first = await timed(lambda user=user: repo.orders.for_user(user, limit=5))
                last = await timed(
                    lambda user=user, count=count: repo.orders.for_user(
                        user, offset=max(count - 5, 0), limit=5
                    ),
                    repeat=20,
                )
                counting = await timed(lambda user=user: repo.orders.count_for_user(user), 20)
                print(
                    f"| {label} | {count:,} | {first * 1000:.2f} ms | {last * 1000:.2f} ms"
                    f" | {counting * 1000:.2f} ms |"
                )
        finally:
            await database.close()


# --- memory -----------------------------------------------------------------------------------


async def seed_world(database: Database, users: int, upstream_ids: list[int]) -> None:
    """Users, and one active order each for the first len(upstream_ids) of them."""
    now = "2026-11-30 12:00:00"
    user_ids = [100_000_000 + index for index in range(users)]
    for start in range(0, users, 50_000):
        await database.execute_many(
            "INSERT INTO users (id, language, first_name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (user_id, "en" if user_id % 3 else "ru", f"Customer {user_id}", now, now)
                for user_id in user_ids[start : start + 50_000]
            ],
        )
    rows = [
        (
            index + 1,
            user_ids[index % users],
            f"token-{index}",
            upstream_id,
            1000,
            "Telegram Members [Fast] 🔥",
            "Default",
            "Network 0 · kind 0",
            "1.25",
            1,
            1,
            f"https://t.me/c/{index}",
            1000,
            1_250_000,
            "In progress",
            now,
            now,
        )
        for index, upstream_id in enumerate(upstream_ids)
    ]
    for start in range(0, len(rows), 50_000):
        await _insert_orders(database, rows[start : start + 50_000])


async def bench_memory(options: argparse.Namespace) -> None:
    # Imported here: the figure "before the bot" is the interpreter with the bot's modules.
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode

    from bot.app import build_dispatcher, build_services
    from bot.config import Settings
    from bot.telegram.i18n import Translations
    from bot.testing.harness import LocalAiohttpSession, running_bot

    print(f"\n## Memory: {options.users:,} users, {options.active:,} active orders")
    panel = PanelProcess()
    lines = [("interpreter and the bot's modules", rss_mib())]
    try:
        panel.ask("services", (1000, options.seed))
        upstream_ids = panel.ask("orders", options.active)
        with tempfile.TemporaryDirectory(prefix="bench-growth-") as folder:
            path = Path(folder) / "bot.sqlite3"
            database = await Database.open(path)
            await seed_world(database, options.users, upstream_ids)
            await database.close()
            gc.collect()
            lines.append(("seeded (database closed)", rss_mib()))
            settings = Settings(
                BOT_TOKEN=TEST_TOKEN,  # type: ignore[arg-type]
                SMM_API_URL=panel.url,
                SMM_API_KEY=panel.api_key,  # type: ignore[arg-type]
                DATABASE_PATH=path,
                THROTTLE_BURST=100_000,
                THROTTLE_RATE=Decimal(100_000),
                _env_file=None,  # type: ignore[call-arg]
            )
            database = await Database.open(path)
            http = httpx.AsyncClient(verify=False)
            client = HttpPanelClient(panel.url, panel.api_key, http_client=http)
            session = LocalAiohttpSession(api=TelegramAPIServer.from_base(panel.telegram_url))
            bot = Bot(
                TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
            )
            try:
                services = build_services(
                    settings, Repository(database), client, bot, Translations("en")
                )
                async with running_bot(build_dispatcher(services), bot):
                    lines.append(("bot started (catalog of 1,000 services loaded)", rss_mib()))
                    started = time.perf_counter()
                    await services.status_sync.run_round()
                    round_seconds = time.perf_counter() - started
                    gc.collect()
                    lines.append((f"after a status sync round ({round_seconds:.1f} s)", rss_mib()))
                    starters = [100_000_000 + index for index in range(options.starts)]
                    # Asked from a thread: this process's loop must go on serving the updates.
                    loop = asyncio.get_running_loop()
                    seconds = await loop.run_in_executor(None, panel.ask, "starts", starters)
                    gc.collect()
                    lines.append(
                        (
                            f"after {options.starts:,} users sent /start"
                            f" ({options.starts / seconds:.0f}/s)",
                            rss_mib(),
                        )
                    )
                    others = [user_id + options.starts for user_id in starters]
                    await loop.run_in_executor(None, panel.ask, "starts", others)
                    gc.collect()
                    lines.append((f"after {options.starts:,} other users", rss_mib()))
            finally:
                await client.aclose()
                await http.aclose()
                await database.close()
            size = sum(f.stat().st_size for f in Path(folder).iterdir()) / MiB  # noqa: ASYNC240
    finally:
        panel.stop()
    print("| moment | RSS |")
    print("|---|--:|")
    for label, value in lines:
        print(f"| {label} | {value:.0f} MiB |")
    per_user = (lines[-1][1] - lines[-3][1]) * MiB / (2 * options.starts)
    print(f"database files {size:.0f} MiB; each new user who writes adds ~{per_user:,.0f} bytes")
    print(f"(ru_maxrss {peak_rss_mib():.0f} MiB)")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=["catalog", "orders", "memory"], default=None)
    parser.add_argument("--services", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--active", type=int, default=100_000)
    parser.add_argument("--starts", type=int, default=10_000, help="users who send /start (memory)")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


async def main_async(options: argparse.Namespace) -> None:
    parts = options.only or ["catalog", "orders", "memory"]
    print(f"load average {os.getloadavg()[0]:.2f} (1 min)")
    if "catalog" in parts:
        await bench_catalog(options)
    if "orders" in parts:
        await bench_orders(options)
    if "memory" in parts:
        await bench_memory(options)
    print(f"\nload average {os.getloadavg()[0]:.2f} (1 min)")


def main() -> None:
    asyncio.run(main_async(parse_arguments()))


if __name__ == "__main__":
    main()
