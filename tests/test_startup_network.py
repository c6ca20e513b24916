"""Start-up without Telegram: ``python -m bot`` waits for the network instead of dying.

The real process is started against a Telegram address where nothing listens yet (a VPS
booting without its network); it must log one warning line per attempt, back off, and start
polling once Telegram answers. A token Telegram rejects stops it like a bad setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from pathlib import Path

import pytest

from bot.testing.panel import FakePanel
from bot.testing.telegram import FakeTelegramServer
from tests.service_harness import (
    bot_env,
    free_port,
    start_bot,
    tail,
    wait_until_polling,
)

WAITING = re.compile(r"cannot reach Telegram: .+; retrying in (\d+(?:\.\d+)?) s$")


class LateLink:
    """A TCP port that refuses connections until :meth:`open`, then forwards to ``target``."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target_port = target_port
        self._server: asyncio.Server | None = None

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self._target_port
        )

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            with contextlib.suppress(ConnectionError, RuntimeError):
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def wait_for_log(path: Path, pattern: re.Pattern[str], count: int, within: float) -> None:
    """Until the process has logged ``count`` lines matching ``pattern`` (a file has no event
    to wait on: it is read again every 50 ms, up to ``within`` seconds)."""
    deadline = time.monotonic() + within
    text = ""
    while time.monotonic() < deadline:
        text = await asyncio.to_thread(_read, path)
        if len([line for line in text.splitlines() if pattern.search(line)]) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {count} lines matching {pattern.pattern!r}\n{tail(text)}")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@pytest.mark.timeout(120)
async def test_telegram_unreachable_at_start_is_waited_for_with_one_line_per_try(
    tmp_path: Path,
) -> None:
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    async with FakePanel() as panel, FakeTelegramServer() as telegram:
        link = LateLink(int(telegram.base_url.rsplit(":", 1)[1]))
        env = bot_env(telegram, panel, database, TELEGRAM_API_URL=f"http://127.0.0.1:{link.port}")
        process = await start_bot(env, log_path)
        try:
            await wait_for_log(log_path, WAITING, 2, within=30)  # tried, backed off, tried
            await link.open()
            await wait_until_polling(telegram, process, 0, timeout=30)
            process.send_signal(signal.SIGTERM)
            assert await process.wait(30) == 0
        finally:
            await process.kill()
            await link.close()
        log = process.log()
    waits = [float(m.group(1)) for line in log.splitlines() if (m := WAITING.search(line))]
    assert waits[:2] == [1, 2]  # backing off
    assert "Traceback" not in log and "CRITICAL" not in log, tail(log)
    assert all(
        line.startswith(tuple("0123456789")) or not line.strip() for line in log.splitlines()
    )


@pytest.mark.timeout(60)
async def test_a_token_telegram_rejects_stops_with_one_line_and_exit_2(tmp_path: Path) -> None:
    async with FakePanel() as panel, FakeTelegramServer() as telegram:
        env = bot_env(telegram, panel, tmp_path / "storefront.sqlite3")
        env["BOT_TOKEN"] = "123456789:" + "x" * 35  # well formed, not this bot's: 401
        process = await start_bot(env, tmp_path / "bot.log")
        try:
            code = await process.wait(30)
        finally:
            await process.kill()
        log = process.log()
    assert code == 2, tail(log)
    assert "Traceback" not in log, tail(log)
    errors = [line for line in log.splitlines() if line.startswith("Configuration error")]
    assert len(errors) == 1 and "BOT_TOKEN" in errors[0], tail(log)
    assert "x" * 35 not in log  # the token itself is never written
    assert telegram.calls_to("getUpdates") == []
