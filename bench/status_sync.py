"""How the status sync scales: rounds over 10,000 and 100,000 active orders.

    python bench/status_sync.py [--orders 10000 100000] [--latency 0.05] [--changed 0.3]
                                [--concurrency 4] [--profile cprofile|pyinstrument]
                                [--no-memory]
                                [--database-url postgresql://user:pw@host:port/db]

For each N, a fresh SQLite database (real migrations, through the bot's ``Database``; with
``--database-url``, a fresh PostgreSQL database created on that server and dropped after) gets N
active orders of 1,000 customers, each charged in the ledger, and the fake panel gets the same
N orders (``create_order``), all In progress. ``StatusSync.run_round()`` then runs against the
panel through the real ``HttpPanelClient`` over HTTP, with ``--latency`` added to every panel
call and ``--concurrency`` calls in flight at most (``PANEL_CONCURRENCY``):

1. a first round, which stores the panel's counters (start count, charge) silently;
2. a round with no changes at all;
3. a round where ``--changed`` of the orders moved: half of them Completed, a third Partial
   (refunding the undelivered share), the rest Canceled (refunding everything).

Each round prints the panel ``status`` calls it made (must be ⌈N/100⌉), its wall time, the CPU
time of this process (the sync, the HTTP client, aiosqlite's thread) and rows per second. The
same rounds then run again on a fresh database with tracemalloc on (slower, so not timed) for
the Python heap's peak; ``ru_maxrss`` is this process's peak RSS so far, seeding included.
After the rounds come the exactly-once checks: one refund per refunded order with the exact
amount, one queued message per change, balances equal to their ledgers; the script exits 1 if
one fails.

The fake panel runs in a child process: in this one it would share the event loop and the
core with the sync and bill its own JSON work to the sync's wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import math
import multiprocessing
import os
import pstats
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.tracking.status_sync import RoundReport, StatusSync
from bot.services.tracking.tracker import OrderTracker
from bot.testing.panel import CANCELED, COMPLETED, IN_PROGRESS, PARTIAL, FakePanel
from bot.upstream.client import HttpPanelClient
from storage.database import Database, describe_target, utc_now
from storage.repository import Repository

CUSTOMERS = 1_000
SERVICE_ID = 7  # YouTube Views [Non Drop], rate 1.27819 per 1000
QUANTITY = 1_000
PRICE_MICROS = 1_469_919  # what a customer paid: 1.27819 × 1.15 markup, rounded up
CREDIT_MICROS = 10**15  # plenty for every order a customer has


# --------------------------------------------------------------------------- the panel process


def panel_process(connection: Connection, latency: float) -> None:
    """Serves a FakePanel over HTTP and does what the parent asks, one command at a time."""
    asyncio.run(_serve_panel(connection, latency))


async def _serve_panel(connection: Connection, latency: float) -> None:
    loop = asyncio.get_running_loop()
    async with FakePanel(latency=latency, record_calls=False) as panel:
        connection.send((panel.url, panel.api_key))
        while True:
            command, argument = await loop.run_in_executor(None, connection.recv)
            if command == "stop":
                return
            connection.send(_panel_command(panel, command, argument))


def _panel_command(panel: FakePanel, command: str, argument: Any) -> Any:
    if command == "seed":
        links = (f"https://youtube.com/watch?v={index}" for index in range(argument))
        return [
            panel.create_order(SERVICE_ID, link, QUANTITY, status=IN_PROGRESS).order_id
            for link in links
        ]
    if command == "move":
        for order_id, status, remains in argument:
            panel.set_status(order_id, status, remains=remains)
        return len(argument)
    if command == "calls":
        return panel.count("status")
    raise ValueError(command)


class PanelProcess:
    def __init__(self, latency: float) -> None:
        self._connection, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=panel_process, args=(child, latency), daemon=True
        )
        self._process.start()
        self.url, self.api_key = self._connection.recv()

    def ask(self, command: str, argument: Any = None) -> Any:
        self._connection.send((command, argument))
        return self._connection.recv()

    def stop(self) -> None:
        self._connection.send(("stop", None))
        self._process.join(timeout=10)


# --------------------------------------------------------------------------- seeding


async def seed(database: Database, panel: PanelProcess, orders: int) -> list[int]:
    """N active orders (and their customers, credits and charges) here and on the panel;
    returns the panel's order ids: local order ``i + 1`` is panel order ``ids[i]``."""
    upstream_ids: list[int] = panel.ask("seed", orders)
    now = utc_now()
    await database.execute_many(
        "INSERT INTO users (id, language, first_name, created_at, last_seen_at)"
        " VALUES (?, 'en', 'Bench', ?, ?)",
        ((user_id, now, now) for user_id in range(1, CUSTOMERS + 1)),
    )
    await database.execute_many(
        "INSERT INTO ledger (user_id, kind, amount, reference, created_at)"
        " VALUES (?, 'admin_credit', ?, 'bench', ?)",
        ((user_id, CREDIT_MICROS, now) for user_id in range(1, CUSTOMERS + 1)),
    )
    await database.execute_many(
        "INSERT INTO orders (id, user_id, confirm_token, upstream_id, service_id, service_name,"
        " service_type, category, rate, refill_allowed, cancel_allowed, link, quantity, price,"
        " status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'YouTube Views [Non Drop]', 'Default', 'YouTube', '1.27819',"
        " 1, 0, ?, ?, ?, ?, ?, ?)",
        (
            (
                index + 1,
                index % CUSTOMERS + 1,
                f"bench-{index}",
                upstream_id,
                SERVICE_ID,
                f"https://youtube.com/watch?v={index}",
                QUANTITY,
                PRICE_MICROS,
                IN_PROGRESS,
                now,
                now,
            )
            for index, upstream_id in enumerate(upstream_ids)
        ),
    )
    await database.execute_many(
        "INSERT INTO ledger (user_id, kind, amount, reference, created_at)"
        " VALUES (?, 'order_charge', ?, ?, ?)",
        (
            (index % CUSTOMERS + 1, -PRICE_MICROS, f"order:{index + 1}", now)
            for index in range(orders)
        ),
    )
    return upstream_ids


def plan_changes(
    upstream_ids: list[int], fraction: float, rng: random.Random
) -> list[tuple[int, str, int | None]]:
    """~``fraction`` of the orders move: half Completed, a third Partial, the rest Canceled."""
    moving = rng.sample(upstream_ids, round(len(upstream_ids) * fraction))
    changes: list[tuple[int, str, int | None]] = []
    for position, upstream_id in enumerate(moving):
        share = position / len(moving)
        if share < 0.5:
            changes.append((upstream_id, COMPLETED, None))
        elif share < 5 / 6:
            changes.append((upstream_id, PARTIAL, rng.randrange(1, QUANTITY)))
        else:
            changes.append((upstream_id, CANCELED, None))
    return changes


# --------------------------------------------------------------------------- measuring


@dataclass
class Measured:
    name: str
    report: RoundReport
    calls: int
    seconds: float
    cpu_seconds: float
    traced_peak: int | None = None

    def line(self) -> str:
        expected_calls = math.ceil(self.report.orders / 100)
        calls_ok = "ok" if self.calls == expected_calls else f"EXPECTED {expected_calls}"
        rate = self.report.orders / self.seconds if self.seconds else 0.0
        text = (
            f"  {self.name:<24} {self.report.orders:>7} orders  {self.calls:>5} status calls"
            f" ({calls_ok})  {self.report.changes:>6} changes  {self.seconds:6.2f} s"
            f" (CPU {self.cpu_seconds:5.2f} s)  {rate:7,.0f} rows/s"
        )
        if self.report.failed_batches:
            text += f"  {self.report.failed_batches} FAILED BATCHES"
        if self.traced_peak is not None:
            text += f"  heap peak {self.traced_peak / 2**20:6.1f} MiB"
        return text


async def measure(
    name: str, sync: StatusSync, panel: PanelProcess, *, trace: bool, profile: str | None
) -> Measured:
    calls_before = panel.ask("calls")
    if trace:
        tracemalloc.start()
    profiler = _start_profile(profile)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = await sync.run_round()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    _stop_profile(profiler, name)
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    calls = panel.ask("calls") - calls_before
    return Measured(name, report, calls, seconds, cpu_seconds, peak)


def _start_profile(profile: str | None) -> Any:
    if profile == "cprofile":
        profiler = cProfile.Profile()
        profiler.enable()
        return profiler
    if profile == "pyinstrument":
        from pyinstrument import Profiler  # optional: pip install pyinstrument

        profiler = Profiler(async_mode="enabled")
        profiler.start()
        return profiler
    return None


def _stop_profile(profiler: Any, name: str) -> None:
    if profiler is None:
        return
    if isinstance(profiler, cProfile.Profile):
        profiler.disable()
        print(f"--- cProfile: {name} (top 30 by own time)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    else:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


async def check_exactly_once(
    database: Database, changes: list[tuple[int, str, int | None]], upstream_ids: list[int]
) -> list[str]:
    """What must hold after the rounds: one refund each, one message each, balances intact."""
    local = {upstream_id: index + 1 for index, upstream_id in enumerate(upstream_ids)}
    problems: list[str] = []
    refunded = {
        row[0]: row[1]
        for row in await database.fetch_all(
            "SELECT reference, amount FROM ledger WHERE kind = 'order_refund'"
        )
    }
    refunds = await database.fetch_value("SELECT COUNT(*) FROM ledger WHERE kind = 'order_refund'")
    if refunds != len(refunded):
        problems.append(f"{refunds} refunds for {len(refunded)} orders")
    messages = await database.fetch_value("SELECT COUNT(*) FROM outbox")
    if messages != len(changes):
        problems.append(f"{messages} messages queued for {len(changes)} changes")
    for upstream_id, status, remains in changes:
        reference = f"order:{local[upstream_id]}"
        due = {
            COMPLETED: 0,
            CANCELED: PRICE_MICROS,
            PARTIAL: PRICE_MICROS * (remains or 0) // QUANTITY,
        }[status]
        if refunded.get(reference, 0) != due:
            problems.append(f"{reference}: refunded {refunded.get(reference)}, {due} due")
    mismatched = await Repository(database).ledger.mismatched_balances()
    if mismatched:
        problems.append(f"balances differ from their ledgers: {mismatched[:10]}")
    return problems[:20]


@asynccontextmanager
async def fresh_target(server_url: str | None, folder: str) -> AsyncIterator[Path | str]:
    """A new SQLite file, or a new database on the PostgreSQL server (dropped after)."""
    if server_url is None:
        yield Path(folder) / "bench.sqlite3"
        return
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def scenario(
    orders: int,
    panel: PanelProcess,
    fraction: float,
    *,
    concurrency: int,
    trace: bool,
    profile: str | None,
    database_url: str | None = None,
) -> list[Measured]:
    with tempfile.TemporaryDirectory(prefix="bench-status-sync-") as folder:
        async with fresh_target(database_url, folder) as target:
            return await _scenario(
                target,
                orders,
                panel,
                fraction,
                concurrency=concurrency,
                trace=trace,
                profile=profile,
            )


async def _scenario(
    target: Path | str,
    orders: int,
    panel: PanelProcess,
    fraction: float,
    *,
    concurrency: int,
    trace: bool,
    profile: str | None,
) -> list[Measured]:
    database = await Database.open(target)
    client = HttpPanelClient(panel.url, panel.api_key, max_concurrency=concurrency)
    try:
        started = time.perf_counter()
        upstream_ids = await seed(database, panel, orders)
        if not trace:
            print(f"  seeded {orders:,} orders in {time.perf_counter() - started:.1f} s")
        repo = Repository(database)
        # As bot/app.py: as many workers as the panel takes calls, 8 at least.
        sync = StatusSync(repo, client, OrderTracker(repo, client), concurrency=max(8, concurrency))
        rounds = [
            await measure("first round (counters)", sync, panel, trace=trace, profile=None),
            await measure("no changes", sync, panel, trace=trace, profile=profile),
        ]
        changes = plan_changes(upstream_ids, fraction, random.Random(orders))
        panel.ask("move", changes)
        label = f"{fraction:.0%} changed"
        rounds.append(await measure(label, sync, panel, trace=trace, profile=profile))
        problems = await check_exactly_once(database, changes, upstream_ids)
        if problems:
            print("  PROBLEMS:\n" + "\n".join(f"    {problem}" for problem in problems))
            raise SystemExit(1)
        return rounds
    finally:
        await client.aclose()
        await database.close()


def max_rss_mib() -> float:
    # Linux reports kilobytes, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


async def main(arguments: argparse.Namespace, panel: PanelProcess) -> None:
    try:
        engine = describe_target(arguments.database_url) if arguments.database_url else "SQLite"
        print(
            f"status sync benchmark: latency {arguments.latency * 1000:.0f} ms per panel call,"
            f" {arguments.concurrency} in flight, Python {sys.version.split()[0]}, {engine},"
            " load average"
            f" {' '.join(f'{load:.1f}' for load in os.getloadavg())}"
        )
        for orders in arguments.orders:
            print(f"\n{orders:,} active orders")
            for measured in await scenario(
                orders,
                panel,
                arguments.changed,
                concurrency=arguments.concurrency,
                trace=False,
                profile=arguments.profile,
                database_url=arguments.database_url,
            ):
                print(measured.line())
            print(f"  ru_maxrss so far {max_rss_mib():.0f} MiB")
            if arguments.memory:
                print("  again with tracemalloc (slower, not timed):")
                for measured in await scenario(
                    orders,
                    panel,
                    arguments.changed,
                    concurrency=arguments.concurrency,
                    trace=True,
                    profile=None,
                    database_url=arguments.database_url,
                ):
                    peak = (measured.traced_peak or 0) / 2**20
                    print(f"  {measured.name:<24} heap peak {peak:6.1f} MiB")
                print(f"  ru_maxrss so far {max_rss_mib():.0f} MiB")
    finally:
        panel.stop()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per panel call")
    parser.add_argument("--changed", type=float, default=0.3, help="share of orders that move")
    parser.add_argument(
        "--concurrency", type=int, default=4, help="panel calls in flight (PANEL_CONCURRENCY)"
    )
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"], default=None)
    parser.add_argument(
        "--no-memory", dest="memory", action="store_false", help="skip the tracemalloc pass"
    )
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL server to run on instead of SQLite"
    )
    return parser.parse_args()


if __name__ == "__main__":
    options = parse_arguments()
    # Started before any event loop exists here, so the forked panel process starts clean.
    asyncio.run(main(options, PanelProcess(options.latency)))
