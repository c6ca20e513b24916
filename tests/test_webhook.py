"""Webhook mode over real HTTP on 127.0.0.1.

In-process tests run the real ``run_webhook`` (aiogram's aiohttp integration, the secret
check, /healthz) with the fake Telegram server answering the bot's requests, and play
Telegram's side themselves with plain HTTP POSTs. The last test runs ``python -m bot``:
Telegram (the fake) delivers updates to the webhook, retries those the bot was down for, and
the bot switches back to polling without losing any.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import bot.runtime.webhook
from bot.app import Services, build_dispatcher, build_services, webhook_routes
from bot.config import Settings
from bot.core.money import Money
from bot.runtime.webhook import Health, run_webhook
from bot.telegram.i18n import Translations
from bot.testing.cryptopay import DEFAULT_TOKEN as CRYPTOPAY_TOKEN
from bot.testing.cryptopay import FakeCryptoPay
from bot.testing.harness import make_bot
from bot.testing.panel import FakePanel
from bot.testing.telegram import FakeTelegramServer, WebhookTelegram
from bot.testing.user import ChatUser
from bot.upstream.client import HttpPanelClient
from bot.upstream.panels import Panel, Panels
from storage.database import Database
from storage.repository import Repository
from tests.e2e.conftest import make_settings
from tests.service_harness import (
    SERVICE_TIMEOUT,
    bot_env,
    database_problems,
    free_port,
    start_bot,
    tail,
    wait_until_polling,
    wait_until_webhook_set,
)

SECRET = "webhook-test-secret_ABCdef0123456789"
WENDY = 100_000_301
VICTOR = 100_000_302
USED_UPDATE_TYPES = ["callback_query", "inline_query", "message", "pre_checkout_query"]
_update_ids = itertools.count(500_000)
_message_ids = itertools.count(1)


def start_update(user_id: int, text: str = "/start") -> dict[str, Any]:
    """A private-chat message update as Telegram would POST it."""
    user = {"id": user_id, "is_bot": False, "first_name": "Wendy", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Wendy"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": next(_update_ids), "message": message}


class UpdateLines(logging.Handler):
    """The ``update=…`` lines of the bot.updates logger, by update id."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: dict[int, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        match = re.match(r"update=(\d+) ", text)
        if match:
            self.lines.setdefault(int(match.group(1)), []).append(text)


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class WebhookBot:
    """The storefront served by ``run_webhook`` in this process."""

    telegram: FakeTelegramServer
    panel: FakePanel
    settings: Settings
    translations: Translations
    port: int
    services: Services | None = None
    dispatcher_update_types: list[str] = field(default_factory=list)
    _stop: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None
    _resources: AsyncExitStack | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        assert self._task is None
        resources = AsyncExitStack()
        database = await Database.open(self.settings.DATABASE_PATH)
        resources.push_async_callback(database.close)
        panel_client = HttpPanelClient(
            self.panel.url, self.panel.api_key, connect_retries=0, retry_backoff=0.01
        )
        resources.push_async_callback(panel_client.aclose)
        bot = make_bot(self.telegram)
        resources.push_async_callback(bot.session.close)
        self.services = build_services(
            self.settings, Repository(database), panel_client, bot, self.translations
        )
        dispatcher = build_dispatcher(self.services)
        self.dispatcher_update_types = dispatcher.resolve_used_update_types()
        self._resources = resources
        self._stop = asyncio.Event()
        since = len(self.telegram.calls)
        self._task = asyncio.create_task(
            run_webhook(
                self.settings,
                dispatcher,
                bot,
                Health(database, panel_client),
                # As bot.app.run does: the webhook's server also serves the Mini App and the
                # payment providers' webhooks.
                add_routes=webhook_routes(self.services),
                stop=self._stop,
            )
        )
        # setWebhook comes once the server listens; a failed start-up raises here.
        waiting = asyncio.create_task(
            self.telegram.wait_for(
                lambda: any(c.method == "setWebhook" for c in self.telegram.calls[since:]),
                timeout=15,
            )
        )
        await asyncio.wait({waiting, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            waiting.cancel()
            self._task.result()
            raise AssertionError("run_webhook returned during start-up")
        await waiting

    async def stop(self) -> None:
        if self._task is None:
            return
        assert self._stop is not None and self._resources is not None
        self._stop.set()
        task, self._task = self._task, None
        try:
            await asyncio.wait_for(task, 15)
        finally:
            await self._resources.aclose()
            self.services = None

    async def post(
        self, update: dict[str, Any], secret: str | None = SECRET, path: str = "/tg"
    ) -> tuple[int, bytes]:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with (
            aiohttp.ClientSession() as client,
            client.post(self.base + path, json=update, headers=headers) as response,
        ):
            return response.status, await response.read()

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as client,
            client.get(self.base + "/healthz") as response,
        ):
            return response.status, await response.json()


@pytest.fixture
async def update_lines() -> AsyncIterator[UpdateLines]:
    logger = logging.getLogger("bot.updates")
    handler, level = UpdateLines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
async def errors() -> AsyncIterator[Errors]:
    handler = Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


async def _webhook_bot(
    stack: AsyncExitStack,
    tmp_path: Path,
    *,
    secret: str | None = SECRET,
    **settings: object,
) -> WebhookBot:
    panel = await stack.enter_async_context(FakePanel())
    telegram = await stack.enter_async_context(FakeTelegramServer())
    port = free_port()
    overrides: dict[str, object] = {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
        "WEBHOOK_PORT": port,
        "SHOP_CURRENCY": "USD",
    }
    if secret is not None:
        overrides["WEBHOOK_SECRET"] = secret
    overrides.update(settings)
    configured = make_settings(panel, tmp_path / "storefront.sqlite3", **overrides)
    front = WebhookBot(telegram, panel, configured, Translations(configured.DEFAULT_LANGUAGE), port)
    await front.start()
    stack.push_async_callback(front.stop)
    return front


@pytest.fixture
async def webhook(tmp_path: Path, errors: Errors) -> AsyncIterator[WebhookBot]:
    async with AsyncExitStack() as stack:
        yield await _webhook_bot(stack, tmp_path)
    assert [record.getMessage() for record in errors.records] == []


async def test_the_webhook_is_set_with_the_url_the_secret_and_the_update_types(
    webhook: WebhookBot,
) -> None:
    (call,) = webhook.telegram.calls_to("setWebhook")
    assert call["url"] == f"http://127.0.0.1:{webhook.port}/tg"
    assert call["secret_token"] == SECRET
    assert sorted(call["allowed_updates"]) == USED_UPDATE_TYPES
    assert sorted(webhook.dispatcher_update_types) == USED_UPDATE_TYPES
    # Explicitly false: updates waiting at Telegram while the bot was down are kept.
    assert call["drop_pending_updates"] is False
    assert webhook.telegram.calls_to("deleteWebhook") == []
    assert webhook.telegram.webhook_url == call["url"]


async def test_an_update_with_the_secret_is_handled_before_the_answer(
    webhook: WebhookBot, update_lines: UpdateLines
) -> None:
    update = start_update(WENDY)
    status, body = await webhook.post(update)
    assert status == 200
    # The reply went through the Bot API, not in the webhook response.
    assert body == b"{}"
    # Handled before the 200 (not in the background): the welcome is already at Telegram.
    welcome = webhook.telegram.last_message(WENDY)
    assert welcome is not None
    assert welcome.text == ChatUser(webhook.telegram, WENDY).t("welcome", name="Wendy")
    (line,) = update_lines.lines[update["update_id"]]
    assert f"user={WENDY} handler=handlers.start.start outcome=handled" in line
    assert webhook.services is not None
    assert await webhook.services.repo.users.get(WENDY) is not None


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper()],
    ids=["missing", "empty", "wrong", "longer", "shorter", "case"],
)
async def test_without_the_right_secret_401_and_nothing_happens(
    webhook: WebhookBot, update_lines: UpdateLines, secret: str | None
) -> None:
    update = start_update(VICTOR)
    status, body = await webhook.post(update, secret=secret)
    assert (status, body) == (401, b"Unauthorized")
    # The request was refused before the dispatcher saw it, so nothing can come later.
    assert webhook.telegram.messages(VICTOR) == []
    assert update["update_id"] not in update_lines.lines
    assert webhook.services is not None
    assert webhook.services.update_log.in_flight == 0
    assert await webhook.services.repo.users.get(VICTOR) is None

    # The same update with the secret is handled, once.
    assert (await webhook.post(update))[0] == 200
    assert len(webhook.telegram.messages(VICTOR)) == 1
    assert len(update_lines.lines[update["update_id"]]) == 1


async def test_the_webhook_server_takes_signed_crypto_pay_updates(
    tmp_path: Path, errors: Errors
) -> None:
    async with AsyncExitStack() as stack:
        cryptopay = await stack.enter_async_context(FakeCryptoPay())
        front = await _webhook_bot(
            stack,
            tmp_path,
            CRYPTOPAY_TOKEN=CRYPTOPAY_TOKEN,
            CRYPTOPAY_API_URL=cryptopay.url,
            CRYPTOPAY_POLL_SECONDS=3600,  # the webhook alone
        )
        assert (await front.post(start_update(WENDY)))[0] == 200
        assert front.services is not None and front.services.cryptopay is not None
        checkout = await front.services.cryptopay.create(WENDY, Money.parse("7"))
        [invoice] = cryptopay.invoices.values()
        cryptopay.mark_paid(invoice.invoice_id)
        body = cryptopay.update(invoice.invoice_id)
        url = front.base + "/cryptopay/webhook"
        forged = await cryptopay.post_webhook(url, body, signature="0" * 64)
        assert (forged.status_code, forged.json()) == (401, {"error": "bad signature"})
        for _ in range(2):
            signed = await cryptopay.post_webhook(url, body)
            assert (signed.status_code, signed.json()) == (200, {"ok": True})
        assert await front.services.repo.ledger.balance(WENDY) == Money.parse("7")
        topup = await front.services.repo.topups.get(checkout.topup_id)
        assert topup is not None and topup.status == "paid"
    assert [record.getMessage() for record in errors.records] == []


async def test_only_the_webhook_path_takes_updates(webhook: WebhookBot) -> None:
    status, _ = await webhook.post(start_update(VICTOR), path="/other")
    assert status == 404
    async with (
        aiohttp.ClientSession() as client,
        client.get(webhook.base + "/tg") as response,
    ):
        assert response.status == 405
    assert webhook.telegram.messages(VICTOR) == []


async def test_healthz_reports_the_database_and_the_panel(
    webhook: WebhookBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = webhook.panel.count("balance")
    assert await webhook.health() == (
        200,
        {"status": "ok", "database": "ok", "panel": "ok", "panels": {"main": "ok"}},
    )
    assert webhook.panel.count("balance") == checks + 1
    # A monitor polling every few seconds does not become panel traffic: cached for 30 s.
    assert (await webhook.health())[0] == 200
    assert webhook.panel.count("balance") == checks + 1

    await webhook.panel.stop()
    assert (await webhook.health())[0] == 200  # still the cached answer
    monkeypatch.setattr(bot.runtime.webhook, "PANEL_HEALTH_TTL_SECONDS", 0.0)
    assert await webhook.health() == (
        503,
        {
            "status": "degraded",
            "database": "ok",
            "panel": "unreachable",
            "panels": {"main": "unreachable"},
        },
    )

    assert webhook.services is not None
    database = webhook.services.repo.database

    async def broken(*args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(database, "fetch_value", broken)
    assert await webhook.health() == (
        503,
        {
            "status": "degraded",
            "database": "error",
            "panel": "unreachable",
            "panels": {"main": "unreachable"},
        },
    )


async def test_healthz_reports_each_panel_and_stays_up_while_one_can_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.runtime.webhook, "PANEL_HEALTH_TTL_SECONDS", 0.0)
    backup_key = "backup-panel-key-0123456789abcdef"
    async with FakePanel() as main, FakePanel(api_key=backup_key) as backup:
        panels = Panels(
            [
                Panel(name, HttpPanelClient(fake.url, fake.api_key, connect_retries=0))
                for name, fake in (("main", main), ("backup", backup))
            ]
        )
        panels.use_currency("USD")
        database = await Database.open(tmp_path / "health.sqlite3")
        app = web.Application()
        app.router.add_get("/healthz", Health(database, panels).handle)
        try:
            async with TestClient(TestServer(app)) as client:

                async def health() -> tuple[int, dict[str, Any]]:
                    async with client.get("/healthz") as response:
                        text = await response.text()
                        for secret in (main.api_key, backup_key, main.url, backup.url):
                            assert secret not in text
                        return response.status, await response.json()

                assert await health() == (
                    200,
                    {
                        "status": "ok",
                        "database": "ok",
                        "panel": "ok",
                        "panels": {"main": "ok", "backup": "ok"},
                    },
                )
                await main.stop()  # the backup still serves: the shop is up
                status, report = await health()
                assert (status, report["status"]) == (200, "partial")
                assert report["panels"] == {"main": "unreachable", "backup": "ok"}
                assert report["panel"] == "unreachable"
                backup.currency = "EUR"  # answers, but cannot be priced in the shop currency
                status, report = await health()
                assert (status, report["status"]) == (503, "degraded")
                assert report["panels"] == {"main": "unreachable", "backup": "unused"}
        finally:
            await panels.aclose()
            await database.close()


async def test_restart_sets_the_webhook_again_and_never_deletes_it(
    webhook: WebhookBot, update_lines: UpdateLines
) -> None:
    first = start_update(WENDY)
    assert (await webhook.post(first))[0] == 200
    await webhook.stop()
    # Stopped: nothing listens, and the webhook stays set at Telegram, so updates wait there.
    assert webhook.telegram.calls_to("deleteWebhook") == []
    assert webhook.telegram.webhook_url
    with pytest.raises(aiohttp.ClientConnectionError):
        await webhook.post(start_update(WENDY))

    await webhook.start()
    calls = webhook.telegram.calls_to("setWebhook")
    assert len(calls) == 2
    assert calls[0] == calls[1]
    assert webhook.services is not None
    assert await webhook.services.repo.users.get(WENDY) is not None  # the same database
    second = start_update(WENDY, "/help")
    assert (await webhook.post(second))[0] == 200
    assert "handler=handlers.start.help_screen" in update_lines.lines[second["update_id"]][0]
    await webhook.stop()
    assert webhook.telegram.calls_to("deleteWebhook") == []


async def test_without_a_configured_secret_each_run_makes_up_its_own(
    tmp_path: Path, errors: Errors
) -> None:
    async with AsyncExitStack() as stack:
        front = await _webhook_bot(stack, tmp_path, secret=None)
        first = front.telegram.calls_to("setWebhook")[-1]["secret_token"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", first), first
        assert (await front.post(start_update(WENDY), secret=None))[0] == 401
        assert (await front.post(start_update(WENDY), secret=first))[0] == 200

        await front.stop()
        await front.start()
        second = front.telegram.calls_to("setWebhook")[-1]["secret_token"]
        assert second != first
        assert (await front.post(start_update(WENDY), secret=first))[0] == 401
        assert (await front.post(start_update(WENDY), secret=second))[0] == 200
    assert errors.records == []


@pytest.mark.timeout(240)
async def test_python_m_bot_keeps_updates_across_restarts_and_back_to_polling(
    tmp_path: Path,
) -> None:
    """The real process: webhook set at start, kept at stop; updates sent while it is down
    are delivered after the restart; a switch to polling deletes the webhook without
    dropping what is pending, and polls it."""
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    async with FakePanel() as panel, WebhookTelegram() as telegram:
        webhook_env = bot_env(
            telegram,
            panel,
            database,
            WEBHOOK_URL=url,
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
        )
        process = await start_bot(webhook_env, log_path)
        try:
            await wait_until_webhook_set(telegram, process, 0)
            (call,) = telegram.calls_to("setWebhook")
            assert (call["url"], call["secret_token"], call["drop_pending_updates"]) == (
                url,
                SECRET,
                False,
            )
            assert sorted(call["allowed_updates"]) == USED_UPDATE_TYPES
            await ChatUser(telegram, WENDY, timeout=SERVICE_TIMEOUT).start()
            async with (
                aiohttp.ClientSession() as client,
                client.get(f"http://127.0.0.1:{port}/healthz") as response,
            ):
                assert response.status == 200
                assert await response.json() == {
                    "status": "ok",
                    "database": "ok",
                    "panel": "ok",
                    "panels": {"main": "ok"},
                }

            process.send_signal(signal.SIGTERM)
            assert await process.wait(30) == 0, tail(process.log())
            assert telegram.calls_to("deleteWebhook") == []

            # Victor writes while the bot is down: Telegram cannot deliver it and keeps it.
            update_id = await telegram.send_message(VICTOR, "/start", first_name="Victor")
            await telegram.wait_for(
                lambda: any(d.update_id == update_id for d in telegram.deliveries)
            )
            assert not telegram.delivered(update_id)
            assert telegram.pending_updates == 1

            since = len(telegram.calls)
            process = await start_bot(webhook_env, log_path)
            await wait_until_webhook_set(telegram, process, since)
            menu = ChatUser(telegram, VICTOR).t("menu-new-order")
            await telegram.wait_for_message(
                VICTOR, where=lambda m: menu in m.button_texts, timeout=15
            )
            await telegram.wait_for(lambda: telegram.delivered(update_id))
            assert len(telegram.calls_to("setWebhook")) == 2
            process.send_signal(signal.SIGTERM)
            assert await process.wait(30) == 0, tail(process.log())
            assert telegram.calls_to("deleteWebhook") == []

            # Back to polling: a message sent meanwhile is polled, not dropped.
            pending = await telegram.send_message(WENDY, "/help")
            polling_env = {k: v for k, v in webhook_env.items() if not k.startswith("WEBHOOK_")}
            since = len(telegram.calls)
            process = await start_bot(polling_env, log_path)
            await wait_until_polling(telegram, process, since)
            assert telegram.calls_to("deleteWebhook") == [{"drop_pending_updates": False}]
            help_text = ChatUser(telegram, WENDY).t("help")
            await telegram.wait_for_message(WENDY, where=lambda m: m.text == help_text, timeout=15)
            assert not telegram.delivered(pending)
            process.send_signal(signal.SIGTERM)
            assert await process.wait(30) == 0, tail(process.log())
            assert database_problems(database) == []
            assert "Traceback" not in process.log(), tail(process.log())
        finally:
            await process.kill()
