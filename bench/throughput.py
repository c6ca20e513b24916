"""Throughput of the storefront against the framework's own ceiling.

    python bench/throughput.py [--users 1000] [--concurrency 100] [--seed 7] [--repeat 1]
                               [--only storefront|echo] [--profile cprofile|pyinstrument]
                               [--scenario journey|light] [--offered-rate 200 --duration 10]

Simulated customers (``--users`` distinct ones, each with a balance credited beforehand through
the repository) walk the order journey: /start → New order → a category → a service → Order
this → a link → a quantity → Confirm. ``--concurrency`` of them are active at a time, each
sending its next update as soon as the previous one is done (a closed loop with no thinking
time), so the load shape depends on the seed and the options only.

Two processes, because they would otherwise share one event loop and one core:

* this one runs the bot exactly as production does (``build_services`` / ``build_dispatcher``,
  a real ``Dispatcher`` long-polling over HTTP, ``HttpPanelClient``, SQLite in a temporary
  folder, log lines at INFO into a file there), with throttling set so high it never triggers;
* a child process runs the fake Telegram server, the fake panel (a catalog of a thousand
  services) and the customers, and times every update from the moment it is queued at the fake
  server to the bot's first answer caused by it (sendMessage, editMessageText or
  answerCallbackQuery).

The same load is then sent to a minimal aiogram bot that only echoes (message → sendMessage,
callback → answerCallbackQuery): what aiogram, aiohttp and the fake cost without any of our
code, the ceiling the storefront is compared with.

``--scenario light``: the lightest screens. ``--users`` (500 by default) returning customers
each send ``/start`` once in a warm-up that is not measured, then ``/start`` and ``/menu``; the
bare bot answers every message with a keyboard the size of the main menu (six buttons in four
rows). ``--offered-rate N`` makes the load open-loop: updates are queued at N a second for
``--duration`` seconds whatever the answers, round robin over the customers, and the figures
are the customers' waits.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import html
import logging
import multiprocessing
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.app import build_dispatcher, build_services, create_bot, create_panel
from bot.config import Settings
from bot.core.money import Money
from bot.runtime.logging_setup import configure_logging
from bot.telegram.callbacks import (
    CategoryCallback,
    ConfirmAction,
    ConfirmCallback,
    FlowCallback,
    MenuAction,
    MenuCallback,
    OrderServiceCallback,
    ServiceCallback,
)
from bot.testing.harness import running_bot
from bot.testing.panel import FakePanel, FakeService
from bot.testing.telegram import TEST_TOKEN, FakeTelegramServer
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository

JsonDict = dict[str, Any]

STEP_TIMEOUT = 60.0
WARMED = "warmed"  # the world tells the bot its warm-up is over
FIRST_USER_ID = 500_000_000
CREDIT = "1000"
NAMES = ("Alice", "Борис", "Chen", "Dana & Co", "Émile", "<Frank>", "Gül", "Hana")

# --- the load: customers and the catalog, both from the seed ---------------------------------


@dataclass(frozen=True)
class Customer:
    user_id: int
    language: str
    first_name: str


def customers(seed: int, count: int) -> list[Customer]:
    """The simulated customers: distinct ids, 70% English and 30% Russian speakers."""
    rng = random.Random(seed)
    ids = rng.sample(range(FIRST_USER_ID, FIRST_USER_ID + 50 * count), count)
    return [
        Customer(user_id, "ru" if rng.random() < 0.3 else "en", rng.choice(NAMES))
        for user_id in ids
    ]


NETWORKS = ("Instagram", "TikTok", "YouTube", "Telegram", "Twitter/X", "Facebook", "Spotify")
KINDS = ("Followers", "Likes", "Views", "Comments", "Shares", "Saves")


def catalog(seed: int) -> list[FakeService]:
    """A panel the size of a real one: 42 categories, about a thousand services, mixed types.

    The first service of every category is a Default one, so every category offers the
    journey's link → quantity → confirm flow on its first page.
    """
    rng = random.Random(seed * 7919 + 1)
    services: list[FakeService] = []
    service_id = 1000
    for network in NETWORKS:
        for kind in KINDS:
            category = f"{network} {kind}"
            for index in range(rng.randint(12, 36)):
                service_id += 1
                kind_of_service = (
                    "Default"
                    if index == 0
                    else rng.choices(
                        ["Default", "Package", "Custom Comments", "Poll"], [85, 7, 5, 3]
                    )[0]
                )
                minimum = rng.choice([10, 50, 100, 500])
                services.append(
                    FakeService(
                        service_id=service_id,
                        name=f"{network} {kind} [{rng.choice(['HQ', 'Real', 'Fast', 'Mixed'])}]"
                        f" {rng.choice(['', '🔥 ', '♻️ R30 ', 'Non Drop '])}#{index + 1}",
                        type=kind_of_service,
                        category=category,
                        rate=Decimal(rng.randint(5, 5000)) / 1000,
                        min_quantity=1 if kind_of_service == "Package" else minimum,
                        max_quantity=1 if kind_of_service == "Package" else minimum * 1000,
                        refill=rng.random() < 0.4,
                        cancel=rng.random() < 0.3,
                        description=rng.choice(["", "Start 0-1h, speed 10k/day", "No refill"]),
                    )
                )
    return services


# --- the child process: fake Telegram, fake panel, customers --------------------------------


@dataclass
class _Chat:
    """What a customer has seen, kept up to date by the fake server's observer."""

    changed: asyncio.Event = field(default_factory=asyncio.Event)
    buttons: list[str] = field(default_factory=list)  # callback data of the latest screen
    message_id: int | None = None
    screens: int = 0  # messages sent or edited in the chat so far
    screens_before: int = 0  # ... when the update being timed was queued
    answered: set[str] = field(default_factory=set)  # callback query ids answered
    # Open loop: when each message still unanswered was queued, oldest first.
    pending: collections.deque[float] = field(default_factory=collections.deque)
    # The update being timed: when it was queued, and when the bot first answered it.
    queued_at: float | None = None
    answered_at: float | None = None

    def begin(self) -> None:
        """An update is about to be queued."""
        self.changed.clear()
        self.answered_at = None
        self.screens_before = self.screens
        self.queued_at = time.perf_counter()


@dataclass
class LoadResult:
    updates: int
    seconds: float
    latencies: list[float]
    failures: list[str]
    world_cpu: float


class World:
    """The customers' side, driven from the child process."""

    def __init__(self, telegram: FakeTelegramServer, panel: FakePanel, echo: bool) -> None:
        self.telegram = telegram
        self.panel = panel
        self.echo = echo
        self.chats: dict[int, _Chat] = {}
        self.latencies: list[float] = []
        self.updates = 0
        self._query_owner: dict[str, int] = {}
        self._open_expected = 0
        self._open_done = asyncio.Event()
        telegram.observers.append(self._observe)

    def _observe(self, method: str, params: JsonDict, result: Any) -> None:
        now = time.perf_counter()
        if method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            user_id = self._query_owner.get(query_id)
            if user_id is None:
                return
            chat = self.chats[user_id]
            chat.answered.add(query_id)
        elif method in ("sendMessage", "editMessageText"):
            chat_id = params.get("chat_id")
            if not isinstance(chat_id, int) or chat_id not in self.chats:
                return
            chat = self.chats[chat_id]
            markup = (result or {}).get("reply_markup") or {}
            chat.buttons = [
                button.get("callback_data", "")
                for row in markup.get("inline_keyboard", [])
                for button in row
            ]
            chat.message_id = int(result["message_id"])
            chat.screens += 1
            if chat.pending:  # open loop: one answer per message, in order
                self.latencies.append(now - chat.pending.popleft())
                if len(self.latencies) >= self._open_expected:
                    self._open_done.set()
                return
        else:
            return
        if chat.queued_at is not None and chat.answered_at is None:
            chat.answered_at = now
        chat.changed.set()

    async def _step(
        self,
        customer: Customer,
        send: Callable[[], Awaitable[str | None]],
        done: Callable[[_Chat, str | None], bool],
    ) -> None:
        """Queue one update, time its first answer, wait until the screen it leads to is shown."""
        chat = self.chats[customer.user_id]
        chat.begin()
        query_id = await send()
        if query_id is not None:
            self._query_owner[query_id] = customer.user_id
        self.updates += 1
        async with asyncio.timeout(STEP_TIMEOUT):
            while not (chat.answered_at is not None and done(chat, query_id)):
                await chat.changed.wait()
                chat.changed.clear()
        assert chat.answered_at is not None and chat.queued_at is not None
        self.latencies.append(chat.answered_at - chat.queued_at)
        chat.queued_at = None

    def _message(self, customer: Customer, text: str) -> Callable[[], Awaitable[str | None]]:
        async def send() -> str | None:
            await self.telegram.send_message(
                customer.user_id,
                text,
                language_code=customer.language,
                first_name=customer.first_name,
            )
            return None

        return send

    def _click(self, customer: Customer, data: str) -> Callable[[], Awaitable[str | None]]:
        async def send() -> str | None:
            chat = self.chats[customer.user_id]
            assert chat.message_id is not None
            return await self.telegram.click(customer.user_id, chat.message_id, data)

        return send

    async def journey(self, customer: Customer, seed: int) -> None:
        rng = random.Random(seed * 1_000_003 + customer.user_id)
        self.chats[customer.user_id] = chat = _Chat()
        new_order = MenuCallback(action=MenuAction.NEW_ORDER).pack()

        def screen_with(prefix: str) -> Callable[[_Chat, str | None], bool]:
            def done(chat: _Chat, query_id: str | None) -> bool:
                shown = chat.screens > chat.screens_before and any(
                    data.startswith(prefix) for data in chat.buttons
                )
                return shown and (query_id is None or query_id in chat.answered)

            return done

        def answered(chat: _Chat, query_id: str | None) -> bool:
            return query_id is None or query_id in chat.answered

        def pick(prefix: str, usable: Callable[[str], bool] = lambda _: True) -> str:
            if self.echo:
                return prefix + "1"
            choices = [data for data in chat.buttons if data.startswith(prefix) and usable(data)]
            if not choices:
                raise AssertionError(f"no {prefix!r} button among {chat.buttons}")
            return rng.choice(choices)

        def default_service(data: str) -> bool:
            service = self.panel.services[ServiceCallback.unpack(data).service_id]
            return service.type == "Default"

        link = f"https://instagram.com/p/{rng.getrandbits(40):x}"
        echo = self.echo
        await self._step(
            customer, self._message(customer, "/start"), answered if echo else screen_with("m:")
        )
        await self._step(
            customer,
            self._click(customer, new_order),
            answered if echo else screen_with(CategoryCallback.__prefix__ + ":"),
        )
        category = pick(CategoryCallback.__prefix__ + ":")
        await self._step(
            customer,
            self._click(customer, category),
            answered if echo else screen_with(ServiceCallback.__prefix__ + ":"),
        )
        service_data = pick(ServiceCallback.__prefix__ + ":", default_service)
        await self._step(
            customer,
            self._click(customer, service_data),
            answered if echo else screen_with(OrderServiceCallback.__prefix__ + ":"),
        )
        order_this = pick(OrderServiceCallback.__prefix__ + ":")
        await self._step(
            customer,
            self._click(customer, order_this),
            answered if echo else screen_with(FlowCallback.__prefix__ + ":"),
        )
        await self._step(
            customer,
            self._message(customer, link),
            answered if echo else screen_with(FlowCallback.__prefix__ + ":"),
        )
        if echo:
            quantity = 1000
        else:
            service = self.panel.services[ServiceCallback.unpack(service_data).service_id]
            quantity = rng.randint(service.min_quantity, min(service.max_quantity, 10_000))
        await self._step(
            customer,
            self._message(customer, str(quantity)),
            answered if echo else screen_with(ConfirmCallback.__prefix__ + ":"),
        )
        confirm = (
            "cf:1:ok"
            if echo
            else next(
                data
                for data in chat.buttons
                if data.startswith(ConfirmCallback.__prefix__ + ":")
                and ConfirmCallback.unpack(data).action == ConfirmAction.CONFIRM
            )
        )
        # Placed: the card of the order (its buttons lead to "my orders").
        await self._step(
            customer,
            self._click(customer, confirm),
            answered if echo else screen_with("op:"),
        )

    async def light(self, customer: Customer, commands: tuple[str, ...]) -> None:
        """The lightest screens: each command answered with the main menu (``m:`` buttons)."""
        self.chats.setdefault(customer.user_id, _Chat())

        def menu_shown(chat: _Chat, query_id: str | None) -> bool:
            return chat.screens > chat.screens_before and any(
                data.startswith(MenuCallback.__prefix__ + ":") for data in chat.buttons
            )

        for command in commands:
            await self._step(customer, self._message(customer, command), menu_shown)

    async def _closed_loop(
        self, plan: list[Customer], concurrency: int, walk: Callable[[Customer], Awaitable[None]]
    ) -> list[str]:
        waiting = list(reversed(plan))
        failures: list[str] = []

        async def worker() -> None:
            while waiting:
                customer = waiting.pop()
                try:
                    await walk(customer)
                except (TimeoutError, AssertionError) as error:
                    failures.append(f"user {customer.user_id}: {type(error).__name__} {error}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return failures

    async def _open_loop(self, plan: list[Customer], rate: float, count: int) -> list[str]:
        """Queues ``count`` messages at ``rate`` a second, whatever the answers."""
        self._open_expected = count
        started = time.perf_counter()
        for index in range(count):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            customer = plan[index % len(plan)]
            command = "/start" if (index // len(plan)) % 2 == 0 else "/menu"
            self.chats[customer.user_id].pending.append(time.perf_counter())
            await self.telegram.send_message(
                customer.user_id,
                command,
                language_code=customer.language,
                first_name=customer.first_name,
            )
            self.updates += 1
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                await self._open_done.wait()
        except TimeoutError:
            return [f"{count - len(self.latencies)} of {count} messages never answered"]
        return []

    async def run(
        self,
        plan: list[Customer],
        seed: int,
        concurrency: int,
        scenario: str = "journey",
        offered_rate: float | None = None,
        count: int = 0,
        warmed: Callable[[], None] = lambda: None,
    ) -> LoadResult:
        if scenario == "light":
            # The warm-up: every customer has /start-ed once before the measured load.
            warm_up = await self._closed_loop(
                plan, concurrency, lambda customer: self.light(customer, ("/start",))
            )
            if warm_up:
                return LoadResult(0, 1.0, [], warm_up, 0.0)
            self.latencies.clear()
            self.updates = 0
            warmed()  # the bot starts counting its CPU (and profiling) from here
        cpu = time.process_time()
        started = time.perf_counter()
        if offered_rate is not None:
            failures = await self._open_loop(plan, offered_rate, count)
        elif scenario == "light":
            failures = await self._closed_loop(
                plan, concurrency, lambda customer: self.light(customer, ("/start", "/menu"))
            )
        else:
            failures = await self._closed_loop(
                plan, concurrency, lambda customer: self.journey(customer, seed)
            )
        return LoadResult(
            self.updates,
            time.perf_counter() - started,
            list(self.latencies),
            failures,
            time.process_time() - cpu,
        )


def world_main(connection: Connection, seed: int, echo: bool) -> None:
    asyncio.run(_world(connection, seed, echo))


def _exit_with_parent(parent: int) -> None:
    """Ends the child if the bot's process dies, so a killed benchmark leaves nothing behind."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


async def _world(connection: Connection, seed: int, echo: bool) -> None:
    loop = asyncio.get_running_loop()
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    panel = FakePanel(services=catalog(seed), balance=Decimal(10**9), record_calls=False)
    async with panel, FakeTelegramServer() as telegram:
        world = World(telegram, panel, echo)
        connection.send((telegram.base_url, panel.url, panel.api_key))
        message = await loop.run_in_executor(None, connection.recv)
        if message == "stop":  # the bot could not start
            return
        plan, concurrency, load = message
        result = await world.run(
            plan, seed, concurrency, warmed=lambda: connection.send(WARMED), **load
        )
        connection.send(result)
        await loop.run_in_executor(None, connection.recv)  # the bot has stopped


# --- this process: the bot ------------------------------------------------------------------


def echo_dispatcher() -> Dispatcher:
    """The framework's ceiling: a bot that does nothing but answer."""
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(html.escape(message.text or "…", quote=False))

    @router.callback_query()
    async def acknowledge(callback: CallbackQuery) -> None:
        await callback.answer()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


def keyboard_dispatcher() -> Dispatcher:
    """The ceiling for the lightest screens: every message answered with a main-menu keyboard.

    Six buttons in four rows with the storefront's texts and ``m:`` callback data, built per
    answer as a bare bot would, and no middleware, database or translation.
    """
    router = Router(name="keyboard")

    @router.message()
    async def menu(message: Message) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(text="🛒 New order", callback_data="m:new")
        builder.button(text="📦 My orders", callback_data="m:orders")
        builder.button(text="💰 Balance", callback_data="m:balance")
        builder.button(text="🌐 Language", callback_data="m:language")
        builder.button(text="❓ Help", callback_data="m:help")
        builder.button(text="👥 Invite friends", callback_data="m:invite")
        builder.adjust(1, 2, 2, 1)
        name = html.escape(message.from_user.first_name if message.from_user else "🙂")
        await message.answer(
            f"👋 Welcome, {name}!\nPick what you need below.", reply_markup=builder.as_markup()
        )

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


@dataclass
class Figures:
    name: str
    updates: int
    seconds: float
    latencies: list[float]
    bot_cpu: float
    world_cpu: float
    failures: list[str]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index] * 1000


@contextlib.contextmanager
def profiling(kind: str | None, output: Path | None) -> Iterator[None]:
    if kind is None:
        yield
        return
    if kind == "pyinstrument":
        from pyinstrument import Profiler  # type: ignore[import-not-found,unused-ignore]

        profiler = Profiler(async_mode="disabled", interval=0.0005)
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()
            text = profiler.output_text(unicode=True, color=False, show_all=False)
            if output is not None:
                output.write_text(text, encoding="utf-8")
                print(f"pyinstrument report written to {output}")
            else:
                print(text)
        return
    # CPU time of the event loop's thread: waiting (for the database thread, the GIL, or a
    # core on a busy machine) is not counted, so the figures do not move with the load.
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        if output is not None:
            profile.dump_stats(output)
            print(f"cProfile stats written to {output} (python -m pstats {output})")
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


async def _seed_customers(repo: Repository, plan: list[Customer]) -> None:
    """Returning customers with a balance: known to the bot, last seen a day ago."""
    database = repo.database
    day_ago = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    async with database.transaction():
        for customer in plan:
            await repo.users.register(
                customer.user_id,
                language=customer.language,
                first_name=customer.first_name,
                username=None,
            )
            await repo.ledger.post(customer.user_id, EntryKind.ADMIN_CREDIT, Money.parse(CREDIT))
        await database.execute("UPDATE users SET last_seen_at = ?", (day_ago,))


@contextlib.asynccontextmanager
async def world_process(seed: int, echo: bool) -> AsyncIterator[tuple[Connection, JsonDict]]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=world_main, args=(theirs, seed, echo), daemon=True)
    process.start()
    loop = asyncio.get_running_loop()
    try:
        telegram_url, panel_url, api_key = await loop.run_in_executor(None, ours.recv)
        yield ours, {"telegram_url": telegram_url, "panel_url": panel_url, "api_key": api_key}
    finally:
        with contextlib.suppress(OSError):
            ours.send("stop")
        await loop.run_in_executor(None, process.join, 10)
        if process.is_alive():
            process.kill()


def _load(args: argparse.Namespace) -> JsonDict:
    """What the world sends: the scenario, and the offered rate of an open loop."""
    if args.offered_rate is None:
        return {"scenario": args.scenario}
    count = max(1, round(args.offered_rate * args.duration))
    return {"scenario": args.scenario, "offered_rate": args.offered_rate, "count": count}


async def _drive(
    connection: Connection,
    plan: list[Customer],
    args: argparse.Namespace,
    profile: str | None,
    profile_output: Path | None,
    warmed: Callable[[], None] = lambda: None,
) -> tuple[LoadResult, float]:
    """Sends the load and waits for its figures; the bot's CPU, its database trips and the
    profile cover the measured load only, not the light scenario's warm-up."""
    loop = asyncio.get_running_loop()
    connection.send((plan, args.concurrency, _load(args)))
    # Only the light scenario warms up; its figures come at once if the warm-up failed.
    message = (
        await loop.run_in_executor(None, connection.recv) if args.scenario == "light" else None
    )
    if message == WARMED:
        warmed()
        message = None
    with profiling(profile, profile_output):
        cpu, loop_cpu = time.process_time(), time.thread_time()
        if message is None:
            message = await loop.run_in_executor(None, connection.recv)
        result: LoadResult = message
        loop_cpu = time.thread_time() - loop_cpu
        cpu = time.process_time() - cpu
    per_update = loop_cpu / max(1, result.updates) * 1000
    print(f"  event loop thread: {per_update:.2f} ms CPU/update", flush=True)
    return result, cpu


async def run_storefront(plan: list[Customer], args: argparse.Namespace, workdir: Path) -> Figures:
    async with world_process(args.seed, echo=False) as (connection, urls):
        settings = _settings(
            urls,
            args,
            DATABASE_PATH=workdir / "storefront.sqlite3",
            PRICE_MARKUP_PERCENT=Decimal(20),
            SHOP_CURRENCY="USD",
            # Throttling must never trigger: the benchmark measures the handlers.
            THROTTLE_RATE=Decimal(100_000),
            THROTTLE_BURST=100_000,
        )
        _log_to_file(settings, workdir / "storefront.log")
        if args.aiogram_info == "off":
            logging.getLogger("aiogram.event").setLevel(logging.WARNING)
        database = await Database.open(settings.DATABASE_PATH)
        panel = create_panel(settings)
        bot = create_bot(settings)
        if args.json == "orjson":
            import orjson

            bot.session.json_loads = orjson.loads
            bot.session.json_dumps = lambda value: orjson.dumps(value).decode()
        try:
            repo = Repository(database)
            await _seed_customers(repo, plan)
            services = build_services(settings, repo, panel, bot)
            dispatcher = build_dispatcher(services)
            async with running_bot(dispatcher, bot, startup_timeout=30):
                trips, restart = _count_database_trips(database)
                result, bot_cpu = await _drive(
                    connection, plan, args, args.profile, args.profile_output, restart
                )
                per_update = trips() / max(1, result.updates)
                print(f"  database thread: {per_update:.2f} trips/update", flush=True)
            placed = int(await database.fetch_value("SELECT COUNT(*) FROM orders"))
            mismatched = await repo.ledger.mismatched_balances()
        finally:
            await panel.aclose()
            await database.close()
    failures = list(result.failures)
    if args.scenario == "journey" and placed != len(plan) - len(result.failures):
        failures.append(f"{placed} orders placed for {len(plan)} customers")
    if mismatched:
        failures.append(f"balances differ from the ledger for {len(mismatched)} users")
    return Figures(
        "storefront",
        result.updates,
        result.seconds,
        result.latencies,
        bot_cpu,
        result.world_cpu,
        failures,
    )


async def run_echo(plan: list[Customer], args: argparse.Namespace, workdir: Path) -> Figures:
    light = args.scenario == "light"
    async with world_process(args.seed, echo=not light) as (connection, urls):
        settings = _settings(urls, args, DATABASE_PATH=workdir / "unused.sqlite3")
        _log_to_file(settings, workdir / "echo.log")
        bot: Bot = create_bot(settings)
        dispatcher = keyboard_dispatcher() if light else echo_dispatcher()
        async with running_bot(dispatcher, bot):
            result, bot_cpu = await _drive(connection, plan, args, None, None)
    return Figures(
        "bare+kb" if light else "echo",
        result.updates,
        result.seconds,
        result.latencies,
        bot_cpu,
        result.world_cpu,
        list(result.failures),
    )


def _count_database_trips(database: Database) -> tuple[Callable[[], int], Callable[[], None]]:
    """Counts the calls that cross to aiosqlite's thread (each waits for that thread): how
    many so far, and a function that starts the count again (after the warm-up)."""
    connection = database._connection
    execute: Callable[..., Awaitable[Any]] = connection._execute
    count = 0

    async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return await execute(function, *args, **kwargs)

    def restart() -> None:
        nonlocal count
        count = 0

    setattr(connection, "_execute", counted)  # noqa: B010 (a private attribute, on purpose)
    return lambda: count, restart


def _settings(urls: JsonDict, args: argparse.Namespace, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "BOT_TOKEN": TEST_TOKEN,
        "SMM_API_URL": urls["panel_url"],
        "SMM_API_KEY": urls["api_key"],
        "TELEGRAM_API_URL": urls["telegram_url"],
        "LOG_LEVEL": args.log_level,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _log_to_file(settings: Settings, path: Path) -> None:
    """Production logging (format, level, redaction), written to a file instead of stderr."""
    configure_logging(settings)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(path.open("a", encoding="utf-8"))


def _median_run(runs: list[Figures]) -> Figures:
    return sorted(runs, key=lambda figures: figures.rate)[len(runs) // 2]


def print_table(results: list[Figures], args: argparse.Namespace) -> None:
    print()
    offered = "" if args.offered_rate is None else f" offered={args.offered_rate:g}/s"
    print(
        f"scenario={args.scenario}{offered} users={args.users} concurrency={args.concurrency} "
        f"seed={args.seed} repeat={args.repeat} (median run) cores={os.cpu_count()}"
    )
    header = (
        f"{'bot':<11}{'updates':>8}{'seconds':>9}{'updates/s':>11}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'CPU ms/update':>15}{'bot CPU':>9}"
        f"{'fake CPU':>10}"
    )
    print(header)
    print("-" * len(header))
    for figures in results:
        print(
            f"{figures.name:<11}{figures.updates:>8}{figures.seconds:>9.2f}{figures.rate:>11.1f}"
            f"{figures.percentile(0.50):>9.1f}{figures.percentile(0.95):>9.1f}"
            f"{figures.percentile(0.99):>9.1f}"
            f"{figures.bot_cpu / figures.updates * 1000:>15.2f}"
            f"{figures.bot_cpu / figures.seconds:>9.0%}{figures.world_cpu / figures.seconds:>10.0%}"
        )
    by_name = {figures.name: figures for figures in results}
    bare = by_name.get("echo") or by_name.get("bare+kb")
    if "storefront" in by_name and bare is not None:
        store, echo = by_name["storefront"], bare
        print(
            f"storefront / {echo.name}: {store.rate / echo.rate:.1%} of the ceiling's updates/s, "
            f"p50 ×{store.percentile(0.5) / echo.percentile(0.5):.1f}, "
            f"p99 ×{store.percentile(0.99) / echo.percentile(0.99):.1f}"
        )
    print(
        "CPU ms/update: the bot process's CPU time (all its threads) per update. bot/fake CPU:"
        " share of one core during the run; 'fake' is the process with the fake Telegram"
        " server, the fake panel and the customers."
    )


async def main_async(args: argparse.Namespace) -> int:
    plan = customers(args.seed, args.users)
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as folder:
        for name, run in (("storefront", run_storefront), ("echo", run_echo)):
            if args.only and args.only != name:
                continue
            runs = []
            for attempt in range(args.repeat):
                workdir = Path(folder) / f"{name}-{attempt}"
                workdir.mkdir()
                figures = await run(plan, args, workdir)
                print(
                    f"{figures.name} run {attempt + 1}: {figures.rate:.1f} updates/s, "
                    f"p50 {figures.percentile(0.5):.1f} ms, p99 {figures.percentile(0.99):.1f} ms",
                    flush=True,
                )
                runs.append(figures)
            results.append(_median_run(runs))
    print_table(results, args)
    failed = [failure for figures in results for failure in figures.failures]
    for failure in failed[:10]:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failed else 0


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--users", type=int, help="distinct customers (1000; 500 with --scenario light)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=100, help="customers active at a time (100)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of customers and catalog (7)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per bot; the median is shown")
    parser.add_argument("--only", choices=["storefront", "echo"], help="run one bot only")
    parser.add_argument("--log-level", default="INFO", help="the bots' LOG_LEVEL (INFO)")
    parser.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the bots' event loop"
    )
    parser.add_argument(
        "--json", choices=["json", "orjson"], default="json", help="the storefront's Bot JSON"
    )
    parser.add_argument(
        "--aiogram-info",
        choices=["on", "off"],
        default="on",
        help="aiogram's own INFO line per update in the storefront's log",
    )
    parser.add_argument(
        "--profile",
        choices=["cprofile", "pyinstrument"],
        help="profile the storefront's process during the load (pyinstrument: pip install)",
    )
    parser.add_argument("--profile-output", type=Path, help="where to write the profile")
    parser.add_argument(
        "--scenario",
        choices=["journey", "light"],
        default="journey",
        help="the order journey, or /start and /menu from returning customers (journey)",
    )
    parser.add_argument(
        "--offered-rate",
        type=float,
        help="open loop: updates queued at this rate a second, whatever the answers",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of offered load (10)")
    args = parser.parse_args(argv)
    if args.users is None:
        args.users = 500 if args.scenario == "light" else 1000
    if args.users < 1 or args.concurrency < 1 or args.repeat < 1:
        parser.error("--users, --concurrency and --repeat must be at least 1")
    if args.offered_rate is not None and (args.scenario != "light" or args.offered_rate <= 0):
        parser.error("--offered-rate needs --scenario light and a positive rate")
    return args


def main() -> None:
    args = parse_arguments()
    if args.loop == "uvloop":
        import uvloop  # the bot's process only: the world keeps its own loop

        sys.exit(uvloop.run(main_async(args)))
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
