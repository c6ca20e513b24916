"""Logs of a real run: one line per update, warnings and tracebacks where due, no secrets.

``python -m bot`` runs at LOG_LEVEL=DEBUG through a journey with every kind of trouble: an
order placed, one the panel refuses (its refusal quoting the API key), one whose outcome is
unknown (a 502 echoing the key URL-encoded), a failing status check, two handlers that fail
(a message and a button), then webhook mode with a secret, including a forged request. The
whole captured output (stdout and stderr of both runs) must never contain the bot token, the
panel key or the webhook secret, in any spelling.
"""

from __future__ import annotations

import io
import logging
import re
import signal
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import aiohttp
import pytest

from bot.config import Settings
from bot.runtime.logging_setup import RedactingFormatter, secrets_of
from bot.testing.panel import FakePanel, default_services
from bot.testing.telegram import WebhookTelegram
from bot.testing.user import ChatUser
from storage.database import describe_target
from tests.service_harness import (
    ADMIN,
    SERVICE_TIMEOUT,
    BotProcess,
    bot_env,
    credit,
    database_problems,
    free_port,
    start_bot,
    tail,
    wait_until_polling,
    wait_until_webhook_set,
)

TOKEN = "7654321:AAHlogTestSecretPart_0123456789-abcdefXY"
PANEL_KEY = "pk/7hQ+e9=Zr&Lm%2Fx kEy~42"
WEBHOOK_SECRET = "whsec_LoggingTest-0123456789abcdefXYZ"
ALICE = 100_000_401
BOB = 100_000_402
FOLLOWERS = default_services()[1]

UPDATE_LINE = re.compile(
    r"^\S+ \S+ INFO bot\.updates: update=(?P<id>\d+) type=(?P<type>[a-z_]+) "
    r"user=(?P<user>\d+|-) handler=(?P<handler>\S+) outcome=(?P<outcome>\S+) "
    r"ms=(?P<ms>\d+\.\d)$",
    re.MULTILINE,
)


def spellings(secret: str) -> set[str]:
    """How a secret can show up in text: as is, URL-encoded, form-encoded."""
    forms = {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}
    if re.fullmatch(r"\d+:\S+", secret):  # a bot token: the part after the id is the secret
        forms.add(secret.split(":", 1)[1])
    return forms


def leaks(text: str, secrets: list[str], window: int = 12) -> list[str]:
    """Every spelling of every secret, or any 12-character piece of one, found in ``text``."""
    found = []
    for secret in secrets:
        for form in spellings(secret):
            pieces = {form[i : i + window] for i in range(max(1, len(form) - window + 1))}
            found += [piece for piece in pieces if piece in text]
    return sorted(set(found))


# --------------------------------------------------------------------------- the formatter


def _format(formatter: logging.Formatter, message: str, *args: object) -> str:
    try:
        raise RuntimeError(message % args)
    except RuntimeError:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, message, args, exc_info=sys.exc_info()
        )
    return formatter.format(record)


def test_the_formatter_redacts_every_spelling_including_in_tracebacks() -> None:
    settings = Settings(
        BOT_TOKEN=TOKEN,
        SMM_API_URL="https://panel.example/api/v2",
        SMM_API_KEY=PANEL_KEY,
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        _env_file=None,  # type: ignore[call-arg]
    )
    formatter = RedactingFormatter("%(levelname)s %(message)s", secrets_of(settings))
    secrets = [TOKEN, PANEL_KEY, WEBHOOK_SECRET]
    for secret in secrets:
        for form in spellings(secret):
            text = _format(formatter, "request to https://api.example/bot%s/x failed", form)
            assert leaks(text, secrets) == [], (form, text)
            assert "Traceback (most recent call last)" in text
            assert "***" in text


def test_every_panel_key_and_the_crypto_pay_token_are_redacted_as_used() -> None:
    # The clients send each key stripped of the spaces around it: that spelling is the one
    # a panel or a library may quote back.
    extra_key = "backup-Key_0123456789"
    crypto_token = "12345:AAcryptoPayToken_0123456789"
    settings = Settings(
        BOT_TOKEN=TOKEN,
        SMM_API_URL="https://panel.example/api/v2",
        SMM_API_KEY=f"  {PANEL_KEY}\n",
        SMM_EXTRA_PANELS=f'[{{"name": "backup", "url": "https://b.example/api/v2",'
        f' "key": " {extra_key} "}}]',
        CRYPTOPAY_TOKEN=crypto_token,
        _env_file=None,  # type: ignore[call-arg]
    )
    formatter = RedactingFormatter("%(levelname)s %(message)s", secrets_of(settings))
    secrets = [PANEL_KEY, extra_key, crypto_token]
    for secret in secrets:
        for form in spellings(secret):
            text = _format(formatter, "panel said: bad key %s", form)
            assert leaks(text, secrets) == [], (form, text)


def test_configured_logging_follows_log_level() -> None:
    from bot.runtime.logging_setup import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    quieted = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    stream = io.StringIO()
    try:
        for level, shown in (("DEBUG", True), ("INFO", False)):
            settings = Settings(
                BOT_TOKEN=TOKEN,
                SMM_API_URL="https://panel.example/api/v2",
                SMM_API_KEY=PANEL_KEY,
                LOG_LEVEL=level,
                _env_file=None,  # type: ignore[call-arg]
            )
            configure_logging(settings)
            root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
            logging.getLogger("bot.test").debug("debug line %s", level)
            logging.getLogger("bot.test").warning("key is %s", PANEL_KEY)
            assert (f"debug line {level}" in stream.getvalue()) is shown
        assert PANEL_KEY not in stream.getvalue()
        assert "WARNING bot.test: key is ***" in stream.getvalue()
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        for name, level in quieted.items():
            logging.getLogger(name).setLevel(level)


# --------------------------------------------------------------------------- a whole run


async def _confirm(shopper: ChatUser, link: str) -> str:
    card = await shopper.reach_confirmation(
        category="Instagram", service=FOLLOWERS.name, link=link, quantity=1000
    )
    after = shopper.telegram.seq
    query = await shopper.click(shopper.t("button-confirm"), message_id=card.message_id)
    await shopper.telegram.wait_for_callback_answer(query, timeout=15)
    reply = await shopper.telegram.wait_for_message(shopper.user_id, after=after, timeout=15)
    return reply.plain_text


async def _stop(process: BotProcess) -> None:
    process.send_signal(signal.SIGTERM)
    code = await process.wait(30)
    assert code == 0, tail(process.log())


@pytest.mark.timeout(300)
async def test_a_whole_run_logs_every_update_and_trouble_and_never_a_secret(
    tmp_path: Path,
) -> None:
    database = tmp_path / "storefront.sqlite3"
    log_path = tmp_path / "bot.log"
    port = free_port()
    async with FakePanel(api_key=PANEL_KEY) as panel, WebhookTelegram(token=TOKEN) as telegram:
        env = bot_env(telegram, panel, database, LOG_LEVEL="DEBUG")
        process = await start_bot(env, log_path)
        try:
            await wait_until_polling(telegram, process, 0)
            alice, bob, admin = (
                ChatUser(telegram, ALICE, timeout=SERVICE_TIMEOUT),
                ChatUser(telegram, BOB, timeout=SERVICE_TIMEOUT),
                ADMIN,
            )
            await ChatUser(telegram, admin, timeout=SERVICE_TIMEOUT).start()
            await alice.start()
            await bob.start()
            await credit(telegram, ALICE, "50")

            # Placed.
            placed = await _confirm(alice, "https://instagram.com/p/log_ok")
            assert placed.startswith("✅")
            # Refused, the panel quoting the key back in its refusal.
            panel.fail_next("add", f"error:Invalid API key {PANEL_KEY}")
            await _confirm(alice, "https://instagram.com/p/log_refused")
            # Outcome unknown: a 502 whose body echoes the request, form-encoded.
            echo = f"upstream said: key={quote_plus(PANEL_KEY)}&raw={PANEL_KEY}"
            panel.fail_next("add", f"raw502:{echo}")
            await _confirm(alice, "https://instagram.com/p/log_unknown")
            # A failing status check in the background (status sync runs every second).
            checks = panel.count("status")
            panel.fail_next("status", f"raw500:{echo}")
            await panel.wait_until(lambda: panel.count("status") >= checks + 2, within=15)

            # Two handlers fail: a message's reply and a button's screen.
            t = bob.t
            telegram.fail_next(
                "sendMessage",
                error_code=400,
                description="Bad Request: provoked failure",
                chat_id=BOB,
            )
            apology = t("error-generic")
            await bob.say("/help", where=lambda m: m.text == apology)
            menu = await bob.say("/menu", where=lambda m: t("menu-help") in m.button_texts)
            telegram.fail_next(
                "editMessageText",
                error_code=500,
                description="Internal Server Error: provoked",
                chat_id=BOB,
            )
            after = telegram.seq
            query = await bob.click(t("menu-help"), message_id=menu.message_id)
            await telegram.wait_for_callback_answer(query, timeout=15)
            # The button's spinner was stopped already; the apology comes in the chat.
            await telegram.wait_for_message(
                BOB, after=after, where=lambda m: m.text == apology, timeout=15
            )
            await _stop(process)

            # Webhook mode with a secret: a delivered update, a forged one, a health check.
            webhook_env = {
                **env,
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
                "WEBHOOK_PORT": str(port),
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
            since = len(telegram.calls)
            process = await start_bot(webhook_env, log_path)
            await wait_until_webhook_set(telegram, process, since)
            await alice.start()
            async with aiohttp.ClientSession() as client:
                forged = {"update_id": 1, "message": {"text": "/start"}}
                headers = {"X-Telegram-Bot-Api-Secret-Token": "not-" + WEBHOOK_SECRET}
                async with client.post(
                    f"http://127.0.0.1:{port}/tg", json=forged, headers=headers
                ) as response:
                    assert response.status == 401
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
            await _stop(process)
        finally:
            await process.kill()

        log = log_path.read_text(encoding="utf-8", errors="replace")
        print(f"captured {len(log.splitlines())} log lines")
        found = leaks(log, [TOKEN, PANEL_KEY, WEBHOOK_SECRET])
        assert found == [], f"secrets in the log: {found}"
        assert " DEBUG " in log, "LOG_LEVEL=DEBUG was not applied"

        # One line per update, with its type, user, handler, outcome and milliseconds.
        lines = {}
        for match in UPDATE_LINE.finditer(log):
            assert match["id"] not in lines, f"two lines for update {match['id']}"
            lines[match["id"]] = match
        sent = telegram.sent_updates
        assert sorted(lines) == sorted(str(update["update_id"]) for update in sent)
        for update in sent:
            line = lines[str(update["update_id"])]
            kind = next(key for key in update if key != "update_id")
            sender = update[kind]["from"]["id"]
            assert (line["type"], line["user"]) == (kind, str(sender)), line.group(0)
            assert line["handler"].startswith("handlers."), line.group(0)
            assert line["outcome"] in (
                "handled",
                "error:TelegramBadRequest",
                "error:TelegramServerError",
            )
        outcomes = [line["outcome"] for line in lines.values()]
        assert outcomes.count("error:TelegramBadRequest") == 1
        assert outcomes.count("error:TelegramServerError") == 1
        starts = [
            line
            for update in sent
            if update.get("message", {}).get("text") == "/start"
            for line in [lines[str(update["update_id"])]]
        ]
        assert starts and all(line["handler"] == "handlers.start.start" for line in starts)

        # Upstream trouble is a warning; handler errors are errors with their traceback.
        assert "WARNING bot.upstream.client: panel add failed: PanelRefusedError" in log
        assert "WARNING bot.upstream.client: panel add failed: PanelOutcomeUnknownError" in log
        assert "WARNING bot.upstream.client: panel status failed" in log
        errors = [
            block
            for block in re.split(r"\n(?=\S+ \S+ [A-Z]+ )", log)
            if " ERROR handlers.errors: " in block.splitlines()[0]
        ]
        assert len(errors) == 2, errors
        for block, exception in zip(
            errors, ("TelegramBadRequest", "TelegramServerError"), strict=True
        ):
            assert "Traceback (most recent call last):" in block
            assert f"aiogram.exceptions.{exception}: " in block

        # Users were told politely; never the exception.
        for user_id in (ALICE, BOB, ADMIN):
            for message in telegram.messages(user_id, include_deleted=True):
                for word in ("Traceback", "provoked", "TelegramBadRequest", "TelegramServer"):
                    assert word not in message.plain_text, message.plain_text
                assert leaks(message.plain_text, [TOKEN, WEBHOOK_SECRET, PANEL_KEY]) == []
        for callback_answer in telegram.callback_answers.values():
            assert "provoked" not in (callback_answer.text or "")
        assert database_problems(database) == []


@pytest.mark.timeout(240)
async def test_an_unusable_telegram_url_at_start_up_is_one_line_without_a_secret(
    tmp_path: Path,
) -> None:
    """An invalid TELEGRAM_API_URL (port 99999) makes the HTTP client fail with the whole
    request URL, token included, in its message; the process must still not print it. No
    network can fix such a URL, so it is a bad setting: one line naming it, exit code 2.

    (It was a crash logged with its traceback; waiting for Telegram briefly retried it.)"""
    log_path = tmp_path / "bot.log"
    async with FakePanel(api_key=PANEL_KEY) as panel, WebhookTelegram(token=TOKEN) as telegram:
        env = bot_env(
            telegram,
            panel,
            tmp_path / "storefront.sqlite3",
            TELEGRAM_API_URL="http://127.0.0.1:99999",
        )
        process = await start_bot(env, log_path)
        try:
            code = await process.wait(30)
        finally:
            await process.kill()
    log = process.log()
    assert code == 2, tail(log)
    errors = [line for line in log.splitlines() if line.startswith("Configuration error")]
    assert len(errors) == 1 and "TELEGRAM_API_URL" in errors[0], tail(log)
    assert "Traceback (most recent call last):" not in log, tail(log)
    assert "cannot reach Telegram" not in log, tail(log)  # not retried
    assert leaks(log, [TOKEN, PANEL_KEY]) == [], tail(log)


def test_the_database_url_and_its_password_are_redacted() -> None:
    url = "postgresql://shop:Pg-pass-1234@db.internal:5432/storefront"
    settings = Settings(
        BOT_TOKEN=TOKEN,
        SMM_API_URL="https://panel.example/api/v2",
        SMM_API_KEY=PANEL_KEY,
        DATABASE_URL=url,
        REDIS_URL="redis://:Redis-pass-99@cache:6379/0",
        _env_file=None,  # type: ignore[call-arg]
    )
    formatter = RedactingFormatter("%(levelname)s %(message)s", secrets_of(settings))
    for text in (f"connect to {url} failed", "password Pg-pass-1234 rejected", "Redis-pass-99"):
        line = _format(formatter, "%s", text)
        assert "Pg-pass-1234" not in line and "Redis-pass-99" not in line, line
    assert describe_target(url) == "postgresql://shop@db.internal:5432/storefront"
