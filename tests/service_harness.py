"""Running the storefront the way a service manager does, for the webhook, shutdown and log tests.

- :func:`start_bot`: ``python -m bot`` as a separate OS process with its own environment and
  log file. A fork server imports the bot once per test session (``import aiogram`` costs
  several seconds of CPU) and forks a child per start that runs ``runpy.run_module("bot",
  run_name="__main__")``, exactly what ``python -m bot`` runs; ``SERVICE_TEST_COLD_START=1``
  starts ``python -m bot`` from scratch each time instead.
- :func:`credit`: the admin's /addbalance; people are :class:`bot.testing.user.ChatUser`
  (with ``timeout=SERVICE_TIMEOUT``: a bot in another process answers a little later), and
  Telegram's side of a webhook is :class:`bot.testing.telegram.WebhookTelegram`.
- :func:`database_problems`: the invariants a stopped bot must leave behind.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bot.testing.panel import FakePanel
from bot.testing.telegram import FakeTelegramServer
from bot.testing.user import ChatUser

REPO_ROOT = Path(__file__).resolve().parent.parent
COLD_START = os.environ.get("SERVICE_TEST_COLD_START", "") not in ("", "0")
ADMIN = 900_000_001
# The fork server's one import of the bot, or a cold start, on a busy CI machine.
READY_TIMEOUT = 120.0 if COLD_START else 60.0
# Any one wait for the bot's answer.
SERVICE_TIMEOUT = 10.0

JsonDict = dict[str, Any]


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --------------------------------------------------------------------------- the bot process

_FORK_SERVER = r"""
import ctypes, json, os, runpy, select, signal, sys, traceback

def die_with_parent():
    try:  # PR_SET_PDEATHSIG: nothing outlives a test run that was itself killed
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))
    except (OSError, AttributeError):
        pass

def run_child(request):
    die_with_parent()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    code = 0
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

die_with_parent()
import bot.app  # noqa: F401  (the slow part of every start)
os.write(1, b"ready\n")
children, pending = set(), b""
while True:
    readable, _, _ = select.select([0], [], [], 0.02)
    if readable:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            pid = os.fork()
            if pid == 0:
                run_child(json.loads(line))
            children.add(pid)
            os.write(1, f"started {pid}\n".encode())
    for pid in list(children):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)
            os.write(1, f"exited {pid} {os.waitstatus_to_exitcode(status)}\n".encode())
"""


class _ForkServer:
    """One per test session: a process that imported the bot and forks bot processes."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._ready = threading.Event()
        self._started: queue.Queue[int] = queue.Queue()
        self._exits: dict[int, int] = {}
        self._changed = threading.Condition()
        self._write_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True, name="fork-server-reader").start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            word, _, rest = raw.decode().strip().partition(" ")
            if word == "ready":
                self._ready.set()
            elif word == "started":
                self._started.put(int(rest))
            elif word == "exited":
                pid, code = rest.split()
                with self._changed:
                    self._exits[int(pid)] = int(code)
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def start(self, env: dict[str, str], log_path: Path) -> int:
        if not self._ready.wait(READY_TIMEOUT):
            raise AssertionError(f"the fork server did not import the bot in {READY_TIMEOUT}s")
        request = {"env": env, "log": str(log_path), "cwd": str(REPO_ROOT)}
        with self._write_lock:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
            return self._started.get(timeout=10)

    def wait(self, pid: int, timeout: float) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits, timeout)
            return self._exits.get(pid)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


_fork_server: _ForkServer | None = None


def _server() -> _ForkServer:
    global _fork_server
    if _fork_server is None:
        _fork_server = _ForkServer()
        atexit.register(_fork_server.close)
    return _fork_server


class BotProcess:
    """One ``python -m bot`` process; its stdout and stderr go to ``log_path``."""

    def __init__(self, pid: int, log_path: Path, cold: asyncio.subprocess.Process | None) -> None:
        self.pid = pid
        self.log_path = log_path
        self.exit_code: int | None = None
        self._cold = cold

    def send_signal(self, signal_number: int) -> None:
        os.kill(self.pid, signal_number)

    async def wait(self, timeout: float) -> int:  # noqa: ASYNC109
        """The exit code (negative: killed by that signal); AssertionError after ``timeout``."""
        if self.exit_code is not None:
            return self.exit_code
        code: int | None
        if self._cold is not None:
            try:
                code = await asyncio.wait_for(self._cold.wait(), timeout)
            except TimeoutError:
                code = None
        else:
            code = await asyncio.to_thread(_server().wait, self.pid, timeout)
        if code is None:
            raise AssertionError(f"bot process {self.pid} still running after {timeout}s")
        self.exit_code = code
        return code

    async def kill(self) -> None:
        """SIGKILL if still running (clean-up after a failed test)."""
        if self.exit_code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(AssertionError):
                await self.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


async def start_bot(env: dict[str, str], log_path: Path) -> BotProcess:
    """Start ``python -m bot`` with exactly ``env`` as its environment."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT), **env}
    if COLD_START:
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=REPO_ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        return BotProcess(process.pid, log_path, process)
    pid = await asyncio.to_thread(_server().start, env, log_path)
    return BotProcess(pid, log_path, None)


def bot_env(
    telegram: FakeTelegramServer, panel: FakePanel, database_path: Path, **overrides: str
) -> dict[str, str]:
    """The environment of a bot talking to the fakes; ``overrides`` add or replace settings."""
    env = {
        "BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.base_url,
        "SMM_API_URL": panel.url,
        "SMM_API_KEY": panel.api_key,
        "ADMIN_IDS": str(ADMIN),
        "DATABASE_PATH": str(database_path),
        "PRICE_MARKUP_PERCENT": "20",
        "SHOP_CURRENCY": "USD",
        "DEFAULT_LANGUAGE": "en",
        "STATUS_POLL_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        # A test acts faster than any person: a few orders in a row would be throttled (the
        # notice replacing the answer a test waits for). Throttling has its own tests.
        "THROTTLE_BURST": "10000",
    }
    env.update(overrides)
    return env


def calls_since(telegram: FakeTelegramServer, index: int, method: str) -> list[JsonDict]:
    return [call.params for call in telegram.calls[index:] if call.method == method]


async def wait_until_polling(
    telegram: FakeTelegramServer,
    process: BotProcess,
    since: int,
    timeout: float = READY_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Until the process polls Telegram (start-up is over), or fail with its log."""
    await _wait_started(telegram, process, since, "getUpdates", timeout)


async def wait_until_webhook_set(
    telegram: FakeTelegramServer,
    process: BotProcess,
    since: int,
    timeout: float = READY_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Until the process has set its webhook (it listens already), or fail with its log."""
    await _wait_started(telegram, process, since, "setWebhook", timeout)


async def _wait_started(
    telegram: FakeTelegramServer,
    process: BotProcess,
    since: int,
    method: str,
    timeout: float,  # noqa: ASYNC109
) -> None:
    deadline = time.monotonic() + timeout
    while not calls_since(telegram, since, method):
        # Re-checked after every request the bot makes, and at least every second in case
        # the process died before making any.
        with contextlib.suppress(AssertionError):
            await telegram.wait_for(lambda: bool(calls_since(telegram, since, method)), timeout=1.0)
        if process.exit_code is None:
            with contextlib.suppress(AssertionError):
                await process.wait(0.01)
        if process.exit_code is not None or time.monotonic() > deadline:
            raise AssertionError(
                f"the bot never called {method} (exit code {process.exit_code})\n"
                f"{tail(process.log())}"
            )


def tail(text: str, lines: int = 60) -> str:
    return "----- bot log (last lines) -----\n" + "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- an admin


async def credit(telegram: FakeTelegramServer, user_id: int, amount: str) -> None:
    """The admin credits ``user_id`` with /addbalance and waits for the confirmation."""
    await ChatUser(telegram, ADMIN, timeout=SERVICE_TIMEOUT).add_balance(user_id, amount)


# --------------------------------------------------------------------------- the database


def read_database(path: Path) -> sqlite3.Connection:
    """The bot's SQLite file, read-only (the bot may still be running)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    connection.row_factory = sqlite3.Row
    return connection


def database_problems(path: Path, *, allow_placing: bool = False) -> list[str]:
    """Balances equal ledger sums and are never negative, the file is intact, no order is
    left ``placing`` (charged, with nobody deciding what happened at the panel) unless
    ``allow_placing`` (a stopped bot whose next start recovers it)."""
    problems: list[str] = []
    with contextlib.closing(read_database(path)) as database:
        integrity = [row[0] for row in database.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"integrity_check: {integrity}")
        for row in database.execute(
            "SELECT u.id, u.balance, COALESCE(SUM(l.amount), 0) AS total FROM users u"
            " LEFT JOIN ledger l ON l.user_id = u.id GROUP BY u.id"
        ):
            if row["balance"] != row["total"] or row["balance"] < 0:
                problems.append(
                    f"user {row['id']}: balance {row['balance']}, ledger sum {row['total']}"
                )
        orphans = database.execute(
            "SELECT COUNT(*) FROM ledger WHERE user_id NOT IN (SELECT id FROM users)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} ledger entries of unknown users")
        if not allow_placing:
            for row in database.execute("SELECT id FROM orders WHERE status = 'placing'"):
                problems.append(f"order {row['id']} left placing")
    return problems


def rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    with contextlib.closing(read_database(path)) as database:
        return database.execute(sql, params).fetchall()
