"""The order journey on one SQLite process against two workers on PostgreSQL.

    python bench/workers.py --database-url postgresql://user:pw@host:port/db
                            [--users 200] [--concurrency 20] [--workers 2]
                            [--redis-url redis://host:port/db]

The same load both times: ``--users`` customers (balances seeded beforehand), ``--concurrency``
of them active at once, each walking /start → New order → category → service → Order this →
link → quantity → Confirm and sending its next update as soon as the bot answered the last
(a closed loop). The bot runs as real ``python -m bot`` processes in webhook mode, behind the
fake Telegram's round-robin delivery (``bot.testing.telegram.balanced``): first one process on
a SQLite file, then ``--workers`` processes on one fresh PostgreSQL database on the server of
``--database-url`` (created, then dropped), and with ``--redis-url`` once more with REDIS_URL
(FSM state, the flood limit and the send budget in Redis). Each update is timed from the
moment it is queued at the fake to the bot's answer the customer waits for. Prints updates/s,
p50/p99 and the load average: the machine is shared, so figures move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.money import Money
from bot.testing.panel import FakePanel
from bot.testing.telegram import TEST_TOKEN
from bot.testing.telegram.balanced import BalancedTelegram
from bot.testing.user import DEFAULT_LINK, DEFAULT_SERVICE, ChatUser
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository

REPO_ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 600_000_000
SECRET = "bench-workers-secret"
STEP_TIMEOUT = 60.0


@asynccontextmanager
async def fresh_postgres(server_url: str) -> AsyncIterator[str]:
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(server_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def seed(target: Path | str, users: int) -> None:
    database = await Database.open(target)
    try:
        repo = Repository(database)
        for number in range(users):
            user_id = FIRST_USER + number
            await repo.users.register(user_id, language="en", first_name="B", username=None)
            await repo.ledger.post(user_id, EntryKind.ADMIN_CREDIT, Money.parse("1000"))
    finally:
        await database.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_workers(
    telegram: BalancedTelegram, panel: FakePanel, database: dict[str, str], count: int, logs: Path
) -> list[asyncio.subprocess.Process]:
    processes = []
    for number in range(count):
        port = free_port()
        since = len(telegram.calls_to("setWebhook"))
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO_ROOT),
            "BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_URL": telegram.base_url,
            "SMM_API_URL": panel.url,
            "SMM_API_KEY": panel.api_key,
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
            "WEBHOOK_PORT": str(port),
            "WEBHOOK_SECRET": SECRET,
            "SHOP_CURRENCY": "USD",
            "THROTTLE_BURST": "100000",
            "LOG_LEVEL": "WARNING",
            **database,
        }
        with (logs / f"worker-{number}.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env, stdout=log, stderr=log
            )
        processes.append(process)
        await telegram.wait_for(
            lambda since=since: len(telegram.calls_to("setWebhook")) > since, timeout=120
        )
        telegram.targets.append(f"http://127.0.0.1:{port}/tg")
    return processes


async def journey(user: ChatUser, timings: list[float]) -> None:
    async def step(action: object) -> object:
        started = time.perf_counter()
        result = await action  # type: ignore[misc]
        timings.append(time.perf_counter() - started)
        return result

    t = user.t
    menu = await step(user.start())
    await step(user.tap(t("menu-new-order"), message_id=menu.message_id))  # type: ignore[attr-defined]
    await step(user.tap(f"{DEFAULT_SERVICE.category} ("))
    await step(user.tap(DEFAULT_SERVICE.name))
    await step(user.tap(t("button-order-this")))
    await step(user.say(DEFAULT_LINK))
    confirm = t("button-confirm")
    await step(user.say("1000", where=lambda m: confirm in m.button_texts))
    await step(user.tap(confirm))


async def run_load(
    name: str, target: Path | str, database: dict[str, str], workers: int, args: argparse.Namespace
) -> str:
    await seed(target, args.users)
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
        async with FakePanel() as panel, BalancedTelegram() as telegram:
            processes = await start_workers(telegram, panel, database, workers, Path(folder))
            try:
                users = [
                    ChatUser(telegram, FIRST_USER + n, timeout=STEP_TIMEOUT)
                    for n in range(args.users)
                ]
                timings: list[float] = []
                queue = iter(users)
                load_before = os.getloadavg()

                async def customer() -> None:
                    for user in queue:
                        await journey(user, timings)

                started = time.perf_counter()
                await asyncio.gather(*(customer() for _ in range(args.concurrency)))
                elapsed = time.perf_counter() - started
                load_after = os.getloadavg()
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    await process.wait()
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p99 = timings[int(len(timings) * 0.99) - 1] * 1000
    return (
        f"{name:<34} {len(timings):6d} updates {elapsed:6.1f} s {len(timings) / elapsed:7.1f}"
        f" updates/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
        f"  (load {load_before[0]:.1f} → {load_after[0]:.1f})"
    )


async def main(args: argparse.Namespace) -> None:
    print(
        f"order journey: {args.users} customers, {args.concurrency} at a time, webhook mode,"
        f" Python {sys.version.split()[0]}, {os.cpu_count()} CPUs,"
        f" load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-workers-db-") as folder:
        path = Path(folder) / "storefront.sqlite3"
        print(await run_load("1 process, SQLite", path, {"DATABASE_PATH": str(path)}, 1, args))
    async with fresh_postgres(args.database_url) as url:
        name = f"{args.workers} workers, PostgreSQL"
        print(await run_load(name, url, {"DATABASE_URL": url}, args.workers, args))
    if args.redis_url:
        async with fresh_postgres(args.database_url) as url:
            name = f"{args.workers} workers, PostgreSQL + Redis"
            shared = {"DATABASE_URL": url, "REDIS_URL": args.redis_url}
            print(await run_load(name, url, shared, args.workers, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-url", help="also run the workers with REDIS_URL")
    asyncio.run(main(parser.parse_args()))
