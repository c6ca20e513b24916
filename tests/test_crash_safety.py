"""Crash safety: the real bot process is SIGKILLed again and again while people order.

Eight customers place 32 orders through the real order flow (fake Telegram over HTTP), the fake
panel moves every order along (Pending → In progress → Completed / Partial / Canceled), and the
bot process is killed with SIGKILL eight times, each time at a differently aimed moment (see
``KILL_MODES``), then started again on the same database. An order left ``unknown`` is settled
the way an admin would: ``/settle <order> <panel id>`` if the panel has an order with its
(unique) link, else ``/settle <order> failed``. At the end:

* every order is final and agrees with the panel, and the test placed no order it did not mean;
* every balance equals its ledger and the amount this test computes on its own (credits −
  prices + refunds: Partial refunds price × remains / quantity rounded down to 10⁻⁶, Canceled
  and failed the whole price); no charge or refund was booked twice;
* every customer got exactly one message per status change and per settlement. The only
  excused duplicate is the one the design accepts: the outbox marks a row sent right after
  Telegram accepted it, so a kill landing between the two resends that message after restart.
  A duplicate is excused only when the process that sent the first copy was killed before it
  had recorded that copy as sent: right after each kill, with the process gone, the test reads
  which outbox messages are recorded as sent, so a message resent although it was recorded
  fails the test, however soon or late the kill came.
* the bot logged no error (the test stops at the first one: a healthy run logs none).

How the bot is started: ``python -m bot`` spends 6-8 s of CPU importing aiogram (it builds some
440 pydantic models), which nine starts cannot afford in a one-minute test. So a fork server
imports the bot once and forks a child per start that runs ``runpy.run_module("bot",
run_name="__main__")``, exactly what ``python -m bot`` runs: each child is its own process with
its own database connection and sockets, killed with a real SIGKILL. ``CRASH_TEST_COLD_START=1``
runs ``python -m bot`` from scratch for every start instead (allow a few minutes).
``CRASH_TEST_SEED=<n>`` replays a run; the seed is printed at the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import asyncpg
import pytest

from bot.core.money import Money, format_money
from bot.telegram.i18n import Translations, Translator
from bot.testing.panel import CANCELED, COMPLETED, IN_PROGRESS, PARTIAL, FakePanel, FakeService
from bot.testing.telegram import TEST_TOKEN, BotMessage, FakeTelegramServer
from bot.testing.user import ChatUser
from storage.engines.postgres import translate
from tests.databases import fresh_postgres

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
COLD_START = os.environ.get("CRASH_TEST_COLD_START", "") not in ("", "0")

ADMIN = 900_000_001
CUSTOMERS = [100_000_101 + index for index in range(8)]
ORDERS_PER_CUSTOMER = 4
CREDIT = "25"  # per customer: many times what four orders below can cost
MARKUP_PERCENT = Decimal(15)
CURRENCY = "USD"

# Where each kill is aimed; every mode is used once per run, in a seeded order.
KILL_MODES = (
    "random",  # any moment
    "action",  # just after a customer sent a message or pressed a button (lost update)
    "confirm",  # just after a Confirm press (before, during or after the charge)
    "charged",  # charged and committed, the add not at the panel yet (settled as failed)
    "add",  # while the add is at the panel (placed, but the bot may never hear of it)
    "queued",  # a change stored with its message, not sent yet (must be sent after restart)
    "notify",  # just after a notification reached Telegram (the excusable duplicate)
    "startup",  # while the freshly restarted bot starts up
)
KILLS = len(KILL_MODES)

PANEL_LATENCY = 0.04  # so a kill can land while the panel is handling an add
# A customer's update is lost when a process that had confirmed it (aiogram confirms polled
# updates before their handlers finish) was killed before answering; an update it had not
# confirmed yet is delivered again after the restart. Customers notice a lost update at once;
# this is only the backstop for an answer that never comes for any other reason.
STEP_TIMEOUT = 30.0 if COLD_START else 10.0
# Requests the killed process had already sent are still finished by the fakes this soon.
IN_FLIGHT_GRACE = 0.2
READY_TIMEOUT = 60.0 if COLD_START else 20.0  # from a start to the first getUpdates
IMPORT_TIMEOUT = 90.0  # the fork server's one import of the bot, on a busy machine
SETTLE_TIMEOUT = 30.0  # after the last kill, for everything to become final and be told
FINAL_STATES = frozenset({COMPLETED, PARTIAL, CANCELED, "failed"})

# The fork server: imports the bot once, then forks one bot process per "start <log file>"
# and reaps it on "wait <pid>". Kept single-threaded, so forking it is safe.
FORK_SERVER = r"""
import ctypes, os, runpy, signal, sys, traceback

def die_with_parent():
    try:  # PR_SET_PDEATHSIG: nothing outlives a test run that was itself killed
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))
    except (OSError, AttributeError):
        pass

die_with_parent()
import bot.app  # noqa: F401  (the slow part of every start)
print("ready", flush=True)
for line in iter(sys.stdin.readline, ""):
    command, _, argument = line.strip().partition(" ")
    if command == "start":
        pid = os.fork()
        if pid == 0:
            die_with_parent()
            log = os.open(argument, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            code = 0
            try:
                runpy.run_module("bot", run_name="__main__", alter_sys=True)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        print(f"started {pid}", flush=True)
    elif command == "wait":
        _, status = os.waitpid(int(argument), 0)
        print(f"exited {argument} {os.waitstatus_to_exitcode(status)}", flush=True)
"""


async def poll_until(condition: Callable[[], object], interval: float) -> None:
    """Wait for state that nothing signals: another process's database, the panel's counters."""
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(interval)


# --------------------------------------------------------------------------- observing


class RecordingTelegram(FakeTelegramServer):
    """The fake Bot API, plus when each bot message arrived and when the bot last polled."""

    def __init__(self) -> None:
        super().__init__()
        self.received_at: dict[int, float] = {}  # BotMessage.seq -> time.monotonic()
        self.last_poll_at = 0.0
        self.confirmed_below = 0  # updates with a smaller id were taken by some process
        self.update_of_query: dict[str, int] = {}  # callback query id -> its update id
        self.on_message: Callable[[BotMessage], None] | None = None

    def _record(self, message: BotMessage) -> BotMessage:
        recorded = super()._record(message)
        self.received_at[recorded.seq] = time.monotonic()
        if self.on_message is not None:
            self.on_message(recorded)
        return recorded

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.last_poll_at = time.monotonic()
        self.confirmed_below = max(self.confirmed_below, int(params.get("offset") or 0))
        return await super()._get_updates(params)

    async def send_update(self, update: dict[str, Any]) -> int:
        update_id = await super().send_update(update)
        if "callback_query" in update:
            self.update_of_query[update["callback_query"]["id"]] = update_id
        return update_id


class ReadOnlyDatabase:
    """The bot's SQLite file, read the way an operator would: read-only, out of its way."""

    def __init__(self, path: Path) -> None:
        self._uri = f"file:{path}?mode=ro"
        self._connection: sqlite3.Connection | None = None

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        # One connection for the whole test: the kill modes poll it every half millisecond.
        # Each statement is its own read transaction, so it sees every commit made before it.
        for attempt in itertools.count():
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(self._uri, uri=True, timeout=5)
                    self._connection.row_factory = sqlite3.Row
                return self._connection.execute(sql, params).fetchall()
            except sqlite3.OperationalError:  # e.g. the file not created yet
                self.close()
                if attempt >= 200:
                    raise
                time.sleep(0.005)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def orders_by_link(self) -> dict[str, sqlite3.Row]:
        rows = self.rows("SELECT * FROM orders ORDER BY id")
        by_link = {row["link"]: row for row in rows}
        assert len(by_link) == len(rows), "two orders share a link: one was placed twice"
        return by_link

    def links_with_status(self, status: str) -> set[str]:
        return {
            row["link"] for row in self.rows("SELECT link FROM orders WHERE status = ?", (status,))
        }

    def notifications_sent(self) -> frozenset[tuple[int, str]]:
        """(order id, status or settlement) of every message the outbox recorded as sent."""
        sent: set[tuple[int, str]] = set()
        for row in self.rows("SELECT kind, payload FROM outbox WHERE sent_at IS NOT NULL"):
            payload = json.loads(row["payload"])
            if row["kind"] == "order_settled":
                sent.add((int(payload["order_id"]), f"settled:{payload['outcome']}"))
            else:
                sent.add((int(payload["order_id"]), str(payload.get("status"))))
        return frozenset(sent)

    def outbox_pending(self) -> int:
        sql = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dropped = 0"
        return int(self.rows(sql)[0][0])


# --------------------------------------------------------------------------- the bot process


class ForkServerLauncher:
    """Starts bot processes by forking a process that has already imported the bot."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self._env = env
        self.log_path = log_path
        self._server: asyncio.subprocess.Process | None = None

    async def open(self) -> None:
        self._server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            FORK_SERVER,
            cwd=REPO_ROOT,
            env=self._env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert await self._reply(IMPORT_TIMEOUT) == "ready"

    async def start(self) -> int:
        answer = await self._command(f"start {self.log_path}", 10.0)
        assert answer.startswith("started "), answer
        return int(answer.split()[1])

    async def wait(self, pid: int, seconds: float) -> int:
        answer = await self._command(f"wait {pid}", seconds)
        assert answer.startswith(f"exited {pid} "), answer
        return int(answer.split()[2])

    async def close(self) -> None:
        if self._server is not None and self._server.returncode is None:
            self._server.kill()
            await self._server.wait()

    async def _command(self, line: str, seconds: float) -> str:
        assert self._server is not None and self._server.stdin is not None
        self._server.stdin.write(line.encode() + b"\n")
        await self._server.stdin.drain()
        return await self._reply(seconds)

    async def _reply(self, seconds: float) -> str:
        assert self._server is not None and self._server.stdout is not None
        line = await asyncio.wait_for(self._server.stdout.readline(), seconds)
        return line.decode().strip()


class ColdStartLauncher:
    """Starts every bot process with ``python -m bot``, from nothing."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self._env = env
        self.log_path = log_path
        self._processes: dict[int, asyncio.subprocess.Process] = {}

    async def open(self) -> None:
        return None

    async def start(self) -> int:
        with _appending(self.log_path) as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=REPO_ROOT,
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self._processes[process.pid] = process
        return process.pid

    async def wait(self, pid: int, seconds: float) -> int:
        return await asyncio.wait_for(self._processes.pop(pid).wait(), seconds)

    async def close(self) -> None:
        for process in self._processes.values():
            if process.returncode is None:
                process.kill()
                await process.wait()


@contextlib.contextmanager
def _appending(path: Path) -> Iterator[BinaryIO]:
    with path.open("ab") as handle:
        yield handle


@dataclass(frozen=True)
class Kill:
    mode: str
    at: float  # time.monotonic() just before the signal
    uptime: float  # seconds since that process was started
    confirmed_below: int  # the updates it took with it, answered or not
    recorded: frozenset[tuple[int, str]]  # the notifications it had recorded as sent


class BotRunner:
    """One bot process at a time: start it, know when it polls, SIGKILL it, stop it."""

    def __init__(
        self,
        launcher: ForkServerLauncher | ColdStartLauncher,
        telegram: RecordingTelegram,
        database: ReadOnlyDatabase,
    ) -> None:
        self.launcher = launcher
        self.telegram = telegram
        self.database = database
        self.kills: list[Kill] = []
        self.starts = 0
        self.start_times: list[float] = []
        self.started_at = 0.0
        self.up = asyncio.Event()  # the current process polls: what is sent now gets handled
        self.start_error: str | None = None
        self._pid: int | None = None
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.starts += 1
        self.start_times.append(time.monotonic())
        with _appending(self.launcher.log_path) as log:
            log.write(f"\n===== start #{self.starts} =====\n".encode())
        self.started_at = time.monotonic()
        self._pid = await self.launcher.start()
        self._watch = asyncio.create_task(self._until_polling(self.started_at))

    async def _until_polling(self, started_at: float) -> None:
        deadline = started_at + READY_TIMEOUT
        while self.telegram.last_poll_at <= started_at:
            if time.monotonic() > deadline:
                self.start_error = f"bot start #{self.starts} never polled Telegram"
                break
            await asyncio.sleep(0.01)
        self.up.set()

    async def wait_up(self) -> None:
        await self.up.wait()
        if self.start_error is not None:
            raise AssertionError(self.start_error)

    def restarted_after(self, moment: float) -> float:
        """When the first process started after ``moment`` (infinity if none did)."""
        return next((at for at in self.start_times if at > moment), float("inf"))

    def lost(self, update_id: int, kills: int) -> bool:
        """Whether a process killed after the first ``kills`` kills took this update with it."""
        return any(
            kill.confirmed_below > update_id and time.monotonic() - kill.at > IN_FLIGHT_GRACE
            for kill in self.kills[kills:]
        )

    async def kill(self, mode: str) -> None:
        assert self._pid is not None
        pid, self._pid = self._pid, None
        self.up.clear()
        if self._watch is not None:
            self._watch.cancel()
        at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        confirmed_below = self.telegram.confirmed_below  # nothing can confirm any more now
        code = await self.launcher.wait(pid, 10.0)
        assert code == -signal.SIGKILL, f"the bot ended with {code} before it was killed"
        recorded = self.database.notifications_sent()  # the process is gone: this is final
        self.kills.append(Kill(mode, at, at - self.started_at, confirmed_below, recorded))

    async def stop(self) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        assert self._pid is not None
        pid, self._pid = self._pid, None
        self.up.clear()
        os.kill(pid, signal.SIGTERM)
        try:
            return await self.launcher.wait(pid, 15.0)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            await self.launcher.wait(pid, 10.0)
            raise AssertionError("the bot did not stop within 15 s of SIGTERM") from None

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await self.launcher.wait(self._pid, 10.0)
        await self.launcher.close()


# --------------------------------------------------------------------------- texts

# Arguments that hold numbers (templates may format them with NUMBER()) get a number.
_NUMBER_ARGUMENTS = frozenset({"id", "order_id", "user_id", "min", "max", "count"})
_NUMBER_SENTINEL = 918_273_645


def _sentinels(names: tuple[str, ...]) -> dict[str, object]:
    return {
        name: _NUMBER_SENTINEL + index if name in _NUMBER_ARGUMENTS else f"QQ{index}QQ"
        for index, name in enumerate(names)
    }


def _spellings(value: object) -> list[str]:
    """How an argument can appear in the text: a number with or without grouping."""
    return [f"{value:,}", str(value)] if isinstance(value, int) else [str(value)]


def text_pattern(t: Translator, message_id: str, *names: str) -> re.Pattern[str]:
    """A regex for the start of a translated message, one named group per argument."""
    values = _sentinels(names)
    pattern = re.escape(t(message_id, **values))
    for name, value in values.items():
        group = f"(?P<{name}>[0-9,]+)" if isinstance(value, int) else f"(?P<{name}>.+?)"
        for spelling in _spellings(value):
            pattern = pattern.replace(re.escape(spelling), group, 1)
    return re.compile(pattern)


def text_prefix(t: Translator, message_id: str, *names: str) -> str:
    """The fixed text a translated message starts with, up to its first argument."""
    values = _sentinels(names)
    text = t(message_id, **values)
    found = [
        text.find(spelling)
        for value in values.values()
        for spelling in _spellings(value)
        if spelling in text
    ]
    return text[: min(found, default=len(text))]


@dataclass(frozen=True)
class Texts:
    """What the bot says, from its own English translations, so wording changes don't matter."""

    t: Translator
    status_notice: re.Pattern[str]
    placed_notice: re.Pattern[str]
    not_placed_notice: re.Pattern[str]
    status_by_label: dict[str, str]

    @classmethod
    def english(cls) -> Texts:
        t = Translations("en").get("en")
        labels = {
            "pending": "Pending",
            "in-progress": IN_PROGRESS,
            "completed": COMPLETED,
            "partial": PARTIAL,
            "canceled": CANCELED,
        }
        return cls(
            t=t,
            status_notice=text_pattern(t, "notify-order-status", "id", "service", "status"),
            placed_notice=text_pattern(t, "notify-order-confirmed", "id", "service"),
            not_placed_notice=text_pattern(t, "notify-order-not-placed", "id", "service", "amount"),
            status_by_label={t(f"status-{key}"): status for key, status in labels.items()},
        )

    def notice_key(self, message: BotMessage) -> tuple[int, str] | None:
        """(order id, status or settlement) of a notification; None for any other message."""
        text = message.text or ""
        if match := self.status_notice.match(text):
            label = match["status"]
            return _number(match["id"]), self.status_by_label.get(label, label)
        if match := self.placed_notice.match(text):
            return _number(match["id"]), "settled:placed"
        if match := self.not_placed_notice.match(text):
            return _number(match["id"]), "settled:failed"
        return None


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _button_data(message: BotMessage, text: str) -> str | None:
    for button in message.buttons:
        if text in button["text"] and "callback_data" in button:
            return str(button["callback_data"])
    return None


def _has(message: BotMessage, button_text: str) -> bool:
    return _button_data(message, button_text) is not None


# --------------------------------------------------------------------------- the actors


@dataclass
class IntendedOrder:
    customer: int
    service: FakeService
    link: str  # unique: how the test finds the order in the database and on the panel
    quantity: int
    placed: bool = False
    flows: int = 0  # flows started; one more each time the bot died under the customer
    presses: int = 0  # Confirm presses, all on the one card of a flow


def price_micros(service: FakeService, quantity: int) -> int:
    """What the customer pays, from the panel's rate: rate × quantity / 1000 × (1 + markup),
    rounded up to the micro-unit."""
    value = service.rate * quantity / 1000 * (1 + MARKUP_PERCENT / 100)
    return int((value * 1_000_000).to_integral_value(rounding=ROUND_CEILING))


class Chaos:
    """Kills the bot at aimed moments, one mode after another, and starts it again."""

    def __init__(
        self,
        seed: int,
        runner: BotRunner,
        panel: FakePanel,
        database: ReadOnlyDatabase,
        texts: Texts,
    ) -> None:
        self._rng = random.Random(f"{seed}-chaos")
        self._runner = runner
        self._panel = panel
        self._db = database
        self.modes = list(KILL_MODES)
        self._rng.shuffle(self.modes)
        self.unaimed = 0
        self.customer_acted = asyncio.Event()
        self.confirm_pressed = asyncio.Event()
        self.notification_seen = asyncio.Event()
        runner.telegram.on_message = lambda message: (
            self.notification_seen.set() if texts.notice_key(message) else None
        )

    async def run(self) -> None:
        for mode in self.modes:
            if mode == "startup":
                # Counted from the last start (just now, unless this is the first kill).
                moment = self._runner.started_at + self._rng.uniform(0.0, 0.4)
                await asyncio.sleep(max(moment - time.monotonic(), 0.0))
            else:
                await self._runner.wait_up()
                await asyncio.sleep(self._rng.uniform(0.2, 0.8))
                await self._aim(mode)
            await self._runner.kill(mode)
            await asyncio.sleep(self._rng.uniform(0.0, 0.3))  # updates queue up meanwhile
            await self._runner.start()

    async def _aim(self, mode: str) -> None:
        uniform = self._rng.uniform
        if mode == "random":
            await asyncio.sleep(uniform(0.0, 1.5))
        elif mode == "action":
            self.customer_acted.clear()
            await self._then(self.customer_acted.wait(), uniform(0.0, 0.02))
        elif mode == "confirm":
            self.confirm_pressed.clear()
            await self._then(self.confirm_pressed.wait(), uniform(0.0, 0.03))
        elif mode == "charged":
            sent = lambda: {call.get("link") for call in self._panel.calls_of("add")}  # noqa: E731
            charged = lambda: self._db.links_with_status("placing") - sent()  # noqa: E731
            await self._then(poll_until(charged, 0.0005), 0.0)
        elif mode == "add":
            before = self._panel.count("add")
            added = poll_until(lambda: self._panel.count("add") > before, 0.001)
            await self._then(added, uniform(0.0, PANEL_LATENCY + 0.02))
        elif mode == "queued":
            newest = self._db.rows("SELECT COALESCE(MAX(id), 0) FROM outbox")[0][0]
            queued = lambda: self._db.rows("SELECT 1 FROM outbox WHERE id > ?", (newest,))  # noqa: E731
            await self._then(poll_until(queued, 0.0005), uniform(0.0, 0.01))
        elif mode == "notify":
            self.notification_seen.clear()
            await self._then(self.notification_seen.wait(), uniform(0.0, 0.004))

    async def _then(self, event: Awaitable[object], delay: float) -> None:
        """Wait for the event (at most 3 s: then the kill is unaimed), then ``delay`` more."""
        try:
            await asyncio.wait_for(event, 3.0)
        except TimeoutError:
            self.unaimed += 1
            return
        await asyncio.sleep(delay)


class Customer:
    """A person ordering through the bot, patient with a bot that died under them: a
    :class:`ChatUser` who notices when an answer was lost with the bot and tries again."""

    def __init__(
        self,
        user_id: int,
        seed: int,
        telegram: RecordingTelegram,
        runner: BotRunner,
        database: ReadOnlyDatabase,
        texts: Texts,
        chaos: Chaos,
    ) -> None:
        self.user_id = user_id
        self._rng = random.Random(f"{seed}-customer-{user_id}")
        self._tg = telegram
        self._chat = ChatUser(telegram, user_id, timeout=STEP_TIMEOUT)
        self._runner = runner
        self._db = database
        self._t = texts.t
        self._chaos = chaos

    async def place_all(self, orders: list[IntendedOrder]) -> None:
        await asyncio.sleep(self._rng.uniform(0.0, 1.5))
        for intended in orders:
            await self.place(intended)
            await asyncio.sleep(self._rng.uniform(0.2, 2.0))

    async def place(self, intended: IntendedOrder) -> None:
        while not intended.placed:
            intended.flows += 1
            assert intended.flows <= 25, f"order {intended.link} still not placed: {intended}"
            card = await self._reach_confirmation(intended)
            if card is None:
                continue  # the bot died somewhere in the flow: start it again
            await self._confirm(intended, card)
            # An answered press without an order means the card had expired: its handler is
            # done, so no order can come from it any more, and a new flow makes a new card.
            intended.placed = intended.link in self._db.orders_by_link()

    async def _reach_confirmation(self, intended: IntendedOrder) -> BotMessage | None:
        """New order → category → service → Order this → link → quantity: the card, or None."""
        t, service = self._t, intended.service
        category = f"{service.category} ("
        order_this = t("button-order-this")
        link_prompt = t("order-ask-link", service=service.name)
        quantity_prompt = text_prefix(t, "order-ask-quantity", "min", "max", "price")
        screen = await self._send("/order", lambda m: m.version == 0 and _has(m, category))
        if screen is not None:
            screen = await self._press(screen, category, lambda m: _has(m, service.name))
        if screen is not None:
            screen = await self._press(screen, service.name, lambda m: _has(m, order_this))
        if screen is not None:
            screen = await self._press(screen, order_this, lambda m: m.text == link_prompt)
        if screen is not None:
            screen = await self._send(
                intended.link,
                lambda m: m.version == 0 and (m.text or "").startswith(quantity_prompt),
            )
        if screen is not None:
            confirm = t("button-confirm")
            screen = await self._send(
                str(intended.quantity),
                lambda m: _has(m, confirm) and intended.link in (m.text or ""),
            )
        return screen

    async def _confirm(self, intended: IntendedOrder, card: BotMessage) -> None:
        """Press Confirm on this card until the bot answers; never on another card."""
        data = _button_data(card, self._t("button-confirm"))
        assert data is not None
        for _ in range(20):
            await self._runner.wait_up()
            kills = len(self._runner.kills)
            query = await self._chat.click_data(card.message_id, data)
            intended.presses += 1
            self._chaos.confirm_pressed.set()
            answered = self._chat.answer_to(query)
            update_id = self._tg.update_of_query[query]
            if await self._unless_lost(answered, update_id, kills) is not None:
                return
            # No answer: the press, or the bot handling it, died. The same card again.
        raise AssertionError(f"Confirm for {intended.link} was never answered")

    async def _send(self, text: str, expected: Callable[[BotMessage], bool]) -> BotMessage | None:
        await self._pause()
        after, kills = self._tg.seq, len(self._runner.kills)
        update_id = await self._chat.send(text)
        self._chaos.customer_acted.set()
        return await self._answer(after, update_id, kills, expected)

    async def _press(
        self, message: BotMessage, button: str, expected: Callable[[BotMessage], bool]
    ) -> BotMessage | None:
        data = _button_data(message, button)
        if data is None:
            return None
        await self._pause()
        after, kills = self._tg.seq, len(self._runner.kills)
        query = await self._chat.click_data(message.message_id, data)
        self._chaos.customer_acted.set()
        return await self._answer(after, self._tg.update_of_query[query], kills, expected)

    async def _answer(
        self, after: int, update_id: int, kills: int, expected: Callable[[BotMessage], bool]
    ) -> BotMessage | None:
        """The bot's answer to what the customer just did, or None if it never came."""
        return await self._unless_lost(
            self._chat.next_message(after=after, where=expected),
            update_id,
            kills,
        )

    async def _unless_lost(self, answer: Awaitable[T], update_id: int, kills: int) -> T | None:
        """The answer to an update; None when the bot died with it (or, rarely, timed out)."""
        waiting = asyncio.ensure_future(answer)
        lost = asyncio.ensure_future(poll_until(lambda: self._runner.lost(update_id, kills), 0.05))
        await asyncio.wait({waiting, lost}, return_when=asyncio.FIRST_COMPLETED)
        lost.cancel()
        if not waiting.done():
            waiting.cancel()
            return None
        try:
            return waiting.result()
        except AssertionError:  # the fake's wait timed out
            return None

    async def _pause(self) -> None:
        await self._runner.wait_up()
        await asyncio.sleep(self._rng.uniform(0.0, 0.08))


@dataclass
class Plan:
    steps: list[tuple[str, int | None, int | None]]  # (status, remains, start count)
    next_at: float


class PanelDriver:
    """Moves panel orders along one status at a time, each only after the bot has stored the
    previous one, so every move is a change the customer must hear of exactly once."""

    def __init__(self, seed: int, panel: FakePanel, database: ReadOnlyDatabase) -> None:
        self._rng = random.Random(f"{seed}-panel")
        self._panel = panel
        self._db = database
        self.plans: dict[int, Plan] = {}
        self.moves: dict[int, list[str]] = defaultdict(list)  # panel order id -> statuses

    def _plan(self, quantity: int) -> Plan:
        start_count = self._rng.randrange(0, 5000)
        remains = self._rng.randrange(1, quantity)
        shapes: list[list[tuple[str, int | None, int | None]]] = [
            [(IN_PROGRESS, None, start_count), (COMPLETED, None, None)],
            [(IN_PROGRESS, None, start_count), (PARTIAL, remains, None)],
            [(IN_PROGRESS, None, start_count), (CANCELED, None, None)],
            [(COMPLETED, None, start_count)],
            [(PARTIAL, remains, start_count)],
            [(CANCELED, None, None)],
        ]
        return Plan(self._rng.choice(shapes), time.monotonic() + self._rng.uniform(0.0, 0.8))

    def finished(self) -> bool:
        return all(not plan.steps for plan in self.plans.values())

    async def run(self) -> None:
        while True:
            stored = {
                row["upstream_id"]: row["status"]
                for row in self._db.rows("SELECT upstream_id, status FROM orders")
            }
            now = time.monotonic()
            for order_id in sorted(self._panel.orders):
                order = self._panel.orders[order_id]
                if order_id not in self.plans:
                    self.plans[order_id] = self._plan(order.quantity)
                plan = self.plans[order_id]
                if not plan.steps or stored.get(order_id) != order.status or now < plan.next_at:
                    continue
                status, remains, start_count = plan.steps.pop(0)
                self._panel.set_status(order_id, status, remains=remains, start_count=start_count)
                self.moves[order_id].append(status)
                plan.next_at = now + self._rng.uniform(0.1, 0.8)
            await asyncio.sleep(0.1)


class Admin:
    """Settles orders left unknown: placed if the panel has an order with their link."""

    def __init__(
        self,
        telegram: RecordingTelegram,
        runner: BotRunner,
        panel: FakePanel,
        database: ReadOnlyDatabase,
    ) -> None:
        self._chat = ChatUser(telegram, ADMIN)
        self._runner = runner
        self._panel = panel
        self._db = database
        self.decisions: dict[int, str] = {}  # order id -> "placed" | "failed"
        self.commands = 0
        self._last_sent: dict[int, float] = {}

    async def run(self) -> None:
        while True:
            await self._runner.wait_up()
            for order in self._db.rows("SELECT id, link FROM orders WHERE status = 'unknown'"):
                order_id = int(order["id"])
                if time.monotonic() - self._last_sent.get(order_id, -1e9) < STEP_TIMEOUT:
                    continue  # the last /settle may still be on its way (a lost one is resent)
                # A killed process's add may still be inside the panel: let it land first.
                await self._panel.wait_until(lambda: self._panel.in_flight == 0, within=5)
                on_panel = [o for o in self._panel.orders.values() if o.link == order["link"]]
                assert len(on_panel) <= 1, f"the panel has {len(on_panel)} orders for one link"
                decision = "placed" if on_panel else "failed"
                assert self.decisions.setdefault(order_id, decision) == decision
                argument = str(on_panel[0].order_id) if on_panel else "failed"
                self._last_sent[order_id] = time.monotonic()
                self.commands += 1
                await self._chat.send(f"/settle {order_id} {argument}")
            await asyncio.sleep(0.3)


# --------------------------------------------------------------------------- the test


class PostgresReader(ReadOnlyDatabase):
    """The same reads against the bot's PostgreSQL database (asyncpg on a thread of its own,
    so the test's synchronous reads never wait for the event loop they are called from)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._pg: Any = None

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        async def fetch() -> list[Any]:
            if self._pg is None:
                self._pg = await asyncpg.connect(self._url)
            result: list[Any] = await self._pg.fetch(translate(sql), *params)
            return result

        return asyncio.run_coroutine_threadsafe(fetch(), self._loop).result(timeout=10)

    def close(self) -> None:
        async def disconnect() -> None:
            if self._pg is not None:
                await self._pg.close()
                self._pg = None

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(disconnect(), self._loop).result(timeout=10)


@pytest.mark.timeout(400 if COLD_START else 150)
async def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    database_path = tmp_path / "storefront.sqlite3"
    await crash_test(tmp_path, ReadOnlyDatabase(database_path), DATABASE_PATH=str(database_path))


@pytest.mark.postgres
@pytest.mark.timeout(400 if COLD_START else 200)
async def test_sigkill_on_postgres_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    async with fresh_postgres() as url:
        reader = PostgresReader(url)
        try:
            await crash_test(tmp_path, reader, DATABASE_URL=url)
        finally:
            reader.close()
            reader._loop.call_soon_threadsafe(reader._loop.stop)


async def crash_test(tmp_path: Path, database: ReadOnlyDatabase, **database_env: str) -> None:
    seed = int(os.environ.get("CRASH_TEST_SEED") or random.SystemRandom().randrange(10**6))
    print(f"\ncrash test seed {seed} (replay: CRASH_TEST_SEED={seed})")
    began = time.monotonic()
    rng = random.Random(seed)
    texts = Texts.english()
    log_path = tmp_path / "bot.log"

    async with FakePanel(latency=PANEL_LATENCY) as panel, RecordingTelegram() as telegram:
        env = {
            **database_env,
            "BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_URL": telegram.base_url,
            "SMM_API_URL": panel.url,
            "SMM_API_KEY": panel.api_key,
            "ADMIN_IDS": str(ADMIN),
            "STATUS_POLL_SECONDS": "1",
            "LOG_LEVEL": "INFO",
            # Set explicitly, so a developer's .env cannot change what is computed here.
            "PRICE_MARKUP_PERCENT": str(MARKUP_PERCENT),
            "SHOP_CURRENCY": CURRENCY,
            "DEFAULT_LANGUAGE": "en",
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO_ROOT),
        }
        launcher = (ColdStartLauncher if COLD_START else ForkServerLauncher)(env, log_path)
        runner = BotRunner(launcher, telegram, database)
        background: list[asyncio.Task[None]] = []
        try:
            await launcher.open()
            await runner.start()
            await runner.wait_up()
            await credit_customers(telegram, texts)
            chaos_began = time.monotonic()

            services = [panel.services[7], panel.services[2]]  # YouTube Views, Instagram Likes
            intended: dict[int, list[IntendedOrder]] = defaultdict(list)
            for customer, number in itertools.product(CUSTOMERS, range(ORDERS_PER_CUSTOMER)):
                service = rng.choice(services)
                intended[customer].append(
                    IntendedOrder(
                        customer=customer,
                        service=service,
                        link=f"https://example.com/crash/{seed}/{customer}/{number}",
                        quantity=rng.randrange(max(service.min_quantity, 20), 1000),
                    )
                )
            every_order = [order for orders in intended.values() for order in orders]
            chaos = Chaos(seed, runner, panel, database, texts)
            driver = PanelDriver(seed, panel, database)
            admin = Admin(telegram, runner, panel, database)
            background = [
                asyncio.create_task(driver.run()),
                asyncio.create_task(admin.run()),
                asyncio.create_task(watch_log(log_path)),
            ]
            customers = [
                Customer(user_id, seed, telegram, runner, database, texts, chaos)
                for user_id in CUSTOMERS
            ]
            await supervised(
                asyncio.gather(chaos.run(), *(c.place_all(intended[c.user_id]) for c in customers)),
                background,
            )
            chaos_ended = time.monotonic()
            await supervised(
                wait_until_settled(telegram, database, driver, admin, texts), background
            )
            for task in background:
                task.cancel()
            exit_code = await runner.stop()
            errors = logged_errors(log_path, 0)[1]
            assert not errors, "the bot logged errors:\n" + "\n".join(errors[:20])

            report = check_outcome(
                telegram, panel, database, texts, runner, driver, admin, every_order
            )
            restarted_flows = sum(order.flows - 1 for order in every_order)
            repeated_presses = sum(order.presses - 1 for order in every_order)
            print(
                f"seed {seed}: {len(runner.kills)} kills "
                f"[{', '.join(f'{kill.mode} at {kill.uptime:.2f}s' for kill in runner.kills)}] "
                f"({chaos.unaimed} unaimed), {runner.starts} starts; "
                f"{len(every_order)} orders {dict(report.final_states)}; "
                f"settled by the admin {dict(Counter(admin.decisions.values()))} "
                f"with {admin.commands} /settle; {restarted_flows} flows restarted, "
                f"{repeated_presses} Confirm presses repeated; "
                f"{report.notifications} notifications, "
                f"{report.excused_duplicates} excused duplicate(s); exit code {exit_code}; "
                f"set-up {chaos_began - began:.1f}s, chaos {chaos_ended - chaos_began:.1f}s, "
                f"total {time.monotonic() - began:.1f}s"
            )
            if report.problems:
                pytest.fail(describe_failure(seed, report.problems, runner))
        except BaseException:
            print(log_tail(log_path))
            raise
        finally:
            for task in background:
                task.cancel()
            await runner.close()
            database.close()


async def supervised(work: Awaitable[T], background: list[asyncio.Task[None]]) -> T:
    """The result of ``work``, unless a background helper fails first: then its error, at once
    (a bot that logs errors or an admin that finds two panel orders for one link should not
    leave the customers retrying until the test times out)."""
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait({task, *background}, return_when=asyncio.FIRST_COMPLETED)
        for helper in background:
            if helper.done() and not task.done():
                task.cancel()
                helper.result()
                raise AssertionError(f"a background helper stopped: {helper}")
    return task.result()


def logged_errors(path: Path, offset: int) -> tuple[int, list[str]]:
    """Error lines the bot wrote from ``offset`` on (whole lines only), and where to go on."""
    with path.open("rb") as log:
        log.seek(offset)
        data = log.read()
    complete = data[: data.rfind(b"\n") + 1]
    lines = complete.decode("utf-8", errors="replace").splitlines()
    errors = [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    errors += [line for line in lines if line.startswith("Traceback")]
    return offset + len(complete), errors


async def watch_log(path: Path) -> None:
    """Fails the test as soon as the bot logs an error: a healthy run logs none, kills or not."""
    offset = 0
    while True:
        offset, errors = logged_errors(path, offset)
        if errors:
            raise AssertionError("the bot logged errors:\n" + "\n".join(errors[:20]))
        await asyncio.sleep(0.5)


async def credit_customers(telegram: RecordingTelegram, texts: Texts) -> None:
    """Before any kill: everyone says /start, and the admin credits each customer.

    A credit is not idempotent (resending a lost /addbalance could credit twice), so credits
    happen while nothing is being killed.
    """
    menu = texts.t("menu-new-order")
    for user_id in [ADMIN, *CUSTOMERS]:
        after = telegram.seq
        await telegram.send_message(user_id, "/start", language_code="en", first_name="Crash")
        await telegram.wait_for_message(
            user_id, after=after, where=lambda m: _has(m, menu), timeout=10
        )
    credited = text_prefix(texts.t, "admin-balance-credited", "amount", "user_id", "balance")
    for user_id in CUSTOMERS:
        after = telegram.seq
        await telegram.send_message(ADMIN, f"/addbalance {user_id} {CREDIT}")
        await telegram.wait_for_message(
            ADMIN,
            after=after,
            where=lambda m, uid=user_id: (
                (m.text or "").startswith(credited) and str(uid) in (m.text or "")
            ),
            timeout=10,
        )


async def wait_until_settled(
    telegram: RecordingTelegram,
    database: ReadOnlyDatabase,
    driver: PanelDriver,
    admin: Admin,
    texts: Texts,
) -> None:
    """Until every order is final and every message owed has reached Telegram."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        statuses = {row["status"] for row in database.orders_by_link().values()}
        received = {key for key, _ in notices(telegram, texts)}
        missing = set(expected_notices(database, driver, admin)) - received
        pending = database.outbox_pending()
        if statuses <= FINAL_STATES and driver.finished() and not pending and not missing:
            await asyncio.sleep(0.5)  # anything still on its way would show as a duplicate
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not settled {SETTLE_TIMEOUT:.0f}s after the last kill: statuses {statuses}, "
                f"outbox pending {pending}, messages missing {sorted(missing)}"
            )
        await asyncio.sleep(0.2)


def notices(
    telegram: RecordingTelegram, texts: Texts
) -> Iterator[tuple[tuple[int, str], BotMessage]]:
    """Every notification the customers received, keyed by (order id, what it reports)."""
    for user_id in CUSTOMERS:
        for message in telegram.messages(user_id):
            if (key := texts.notice_key(message)) is not None:
                yield key, message


def expected_notices(
    database: ReadOnlyDatabase, driver: PanelDriver, admin: Admin
) -> list[tuple[int, str]]:
    """(order id, status or settlement) of every message the customers are owed."""
    sql = "SELECT id, upstream_id FROM orders WHERE upstream_id IS NOT NULL"
    local_id = {row["upstream_id"]: int(row["id"]) for row in database.rows(sql)}
    owed = [
        (local_id[panel_order], status)
        for panel_order, statuses in driver.moves.items()
        for status in statuses
    ]
    owed += [(order_id, f"settled:{decision}") for order_id, decision in admin.decisions.items()]
    return owed


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    final_states: Counter[str] = field(default_factory=Counter)
    notifications: int = 0
    excused_duplicates: int = 0


def check_outcome(
    telegram: RecordingTelegram,
    panel: FakePanel,
    database: ReadOnlyDatabase,
    texts: Texts,
    runner: BotRunner,
    driver: PanelDriver,
    admin: Admin,
    intended: list[IntendedOrder],
) -> Report:
    report = Report()
    problems = report.problems
    orders = database.orders_by_link()
    by_id = {int(row["id"]): row for row in orders.values()}
    on_panel = {order.link: order for order in panel.orders.values()}

    # Exactly the orders intended, once each, here and on the panel.
    wanted = {order.link for order in intended}
    if set(orders) != wanted:
        problems.append(f"orders placed {sorted(set(orders) ^ wanted)} were not intended")
    panel_links = Counter(order.link for order in panel.orders.values())
    if any(count > 1 for count in panel_links.values()) or not set(panel_links) <= wanted:
        problems.append(f"the panel has other orders than intended: {panel_links}")
    untracked = set(panel.orders) - {row["upstream_id"] for row in orders.values()}
    if untracked:
        problems.append(f"panel orders no order here tracks: {sorted(untracked)}")

    # Each order final, agreeing with the panel; the money it should have moved.
    expected_balance = dict.fromkeys(CUSTOMERS, Money.parse(CREDIT).micros)
    refund_due: dict[int, int] = {}
    for want in intended:
        row = orders.get(want.link)
        if row is None:
            continue
        order_id, status = int(row["id"]), row["status"]
        report.final_states[status] += 1
        price = price_micros(want.service, want.quantity)
        if (row["user_id"], row["quantity"], row["price"]) != (want.customer, want.quantity, price):
            problems.append(
                f"order {order_id}: user, quantity, price {row['user_id']}, {row['quantity']}, "
                f"{row['price']}; expected {want.customer}, {want.quantity}, {price}"
            )
        if status not in FINAL_STATES:
            problems.append(f"order {order_id} is not final: {status}")
        upstream = on_panel.get(want.link)
        if upstream is None:
            if status != "failed":
                problems.append(f"order {order_id} is {status}, but the panel never got it")
            refund = price
        else:
            if (row["upstream_id"], status) != (upstream.order_id, upstream.status):
                problems.append(
                    f"order {order_id}: {status} as panel order {row['upstream_id']}; the panel"
                    f" has it as {upstream.order_id}, {upstream.status}"
                )
            refund = 0
            if upstream.status == CANCELED:
                refund = price
            elif upstream.status == PARTIAL:
                assert isinstance(upstream.remains, int)
                refund = price * upstream.remains // want.quantity  # rounded down
                if row["remains"] != upstream.remains:
                    problems.append(f"order {order_id}: remains {row['remains']} stored")
        refund_due[order_id] = refund
        expected_balance[want.customer] += refund - price

    # The ledger: one charge per order, one refund where due, balances as computed here.
    ledger = database.rows("SELECT kind, amount, reference FROM ledger")
    booked: dict[tuple[str, str], list[int]] = defaultdict(list)
    for entry in ledger:
        booked[entry["kind"], entry["reference"]].append(entry["amount"])
    for order_id, row in by_id.items():
        reference = f"order:{order_id}"
        charges, refunds = booked[("order_charge", reference)], booked[("order_refund", reference)]
        if charges != [-row["price"]]:
            problems.append(f"order {order_id} charged {charges}, price {row['price']}")
        due = refund_due.get(order_id, 0)
        if refunds != ([due] if due else []):
            problems.append(f"order {order_id} refunded {refunds}, {due} due")
    once = ("order_charge", "order_refund", "topup", "topup_refund")
    twice = [key for key, amounts in booked.items() if key[0] in once and len(amounts) > 1]
    if twice:
        problems.append(f"booked more than once: {twice}")
    balances = database.rows(
        "SELECT u.id, u.balance, COALESCE(SUM(l.amount), 0) AS total FROM users u"
        " LEFT JOIN ledger l ON l.user_id = u.id GROUP BY u.id"
    )
    for user in balances:
        expected = expected_balance.get(user["id"], user["total"])
        if not user["balance"] == user["total"] == expected:
            problems.append(
                f"user {user['id']}: balance {user['balance']}, ledger {user['total']}, "
                f"expected {expected}"
            )

    # Messages: one per change, to the order's customer, naming the refund if there was one.
    owed = Counter(expected_notices(database, driver, admin))
    copies: dict[tuple[int, str], list[BotMessage]] = defaultdict(list)
    for key, message in notices(telegram, texts):
        copies[key].append(message)
        row = by_id.get(key[0])
        if row is None or row["user_id"] != message.chat_id:
            problems.append(f"user {message.chat_id} was told about someone else's order {key}")
    report.notifications = sum(len(found) for found in copies.values())
    for key in sorted(set(owed) | set(copies)):
        found = sorted(copies.get(key, []), key=lambda message: message.seq)
        if owed[key] != 1 or not found:
            problems.append(f"{key}: {owed[key]} owed, {len(found)} received")
            continue
        for first, again in itertools.pairwise(found):
            arrived, again_at = telegram.received_at[first.seq], telegram.received_at[again.seq]
            # The kill that ended the process which sent the first copy: the first one not
            # followed by a start before the copy arrived (a request on its way when the process
            # died still arrives just after the kill).
            ended = next(
                (kill for kill in runner.kills if runner.restarted_after(kill.at) > arrived), None
            )
            if ended is not None and ended.at <= again_at and key not in ended.recorded:
                report.excused_duplicates += 1
                print(
                    f"excused duplicate {key}: its process was killed {ended.at - arrived:+.3f}s"
                    " from the first copy, before recording it as sent"
                )
            elif ended is None or ended.at > again_at:
                problems.append(
                    f"{key} sent twice, {again_at - arrived:.3f}s apart, by the same process"
                )
            else:
                problems.append(
                    f"{key} sent again after a restart although it was recorded as sent "
                    f"(killed {ended.at - arrived:+.3f}s from the first copy)"
                )
        order_id, what = key
        due = refund_due.get(order_id, 0)
        if what in (PARTIAL, CANCELED, "settled:failed") and due:
            amount = format_money(Money(due), CURRENCY)
            if amount not in (found[0].text or ""):
                problems.append(f"{key}: the message does not name the refund of {amount}")
    return report


def describe_failure(seed: int, problems: list[str], runner: BotRunner) -> str:
    listed = "\n".join(f"  - {problem}" for problem in problems)
    kills = "\n".join(
        f"  {number}. {kill.mode}, {kill.uptime:.3f}s after its start"
        for number, kill in enumerate(runner.kills, start=1)
    )
    return f"seed {seed}: {len(problems)} problem(s)\n{listed}\nkills:\n{kills}"


def log_tail(path: Path, lines: int = 400) -> str:
    if not path.exists():
        return "(the bot wrote no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return f"----- {path} (last {lines} lines) -----\n" + "\n".join(text[-lines:])
