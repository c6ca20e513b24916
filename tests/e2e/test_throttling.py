"""Per-user throttling: a flood is dropped with one polite notice and delays no one else.

End to end, through the fake Telegram server and the real dispatcher, with the throttle's
clock in the test's hand: the flood happens "at one instant", so exactly the burst gets
through, and the refill is a step of the clock rather than a sleep. The flooder's chat is
held shut at the fake server while the flood is handled, which keeps the flood provably in
flight while another customer's /start is answered.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Message, Update

from bot.app import Services, build_dispatcher, build_services
from bot.telegram.callbacks import MenuAction, MenuCallback
from bot.telegram.i18n import Translations, Translator
from bot.telegram.throttling import Throttle, ThrottlingMiddleware
from bot.testing.harness import make_bot, running_bot
from bot.testing.panel import FakePanel
from bot.testing.telegram import FakeTelegramServer
from bot.upstream.client import HttpPanelClient
from storage.database import Database
from storage.repository import Repository
from tests.e2e.conftest import make_settings

FLOODER = 100_000_501
OTHER = 100_000_502
BURST = 10
RATE = 2.0  # tokens a second
FLOOD = 60


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --------------------------------------------------------------------------- unit: Throttle


def test_a_burst_goes_through_then_one_notice_then_silence() -> None:
    clock = ManualClock()
    throttle = Throttle(rate=RATE, burst=BURST, notice_every=10.0, clock=clock)
    assert [throttle.allow(1) for _ in range(BURST)] == [(True, False)] * BURST
    assert throttle.allow(1) == (False, True)
    assert [throttle.allow(1) for _ in range(50)] == [(False, False)] * 50


def test_tokens_refill_at_the_rate_and_never_beyond_the_burst() -> None:
    clock = ManualClock()
    throttle = Throttle(rate=RATE, burst=BURST, clock=clock)
    for _ in range(BURST):
        throttle.allow(1)
    clock.advance(0.4 / RATE)
    assert throttle.allow(1)[0] is False  # 0.4 of a token is not a token
    clock.advance(0.6 / RATE)
    assert throttle.allow(1)[0] is True  # the 0.4 was kept: now exactly one
    assert throttle.allow(1)[0] is False
    clock.advance(3 / RATE)
    assert [throttle.allow(1)[0] for _ in range(4)] == [True, True, True, False]
    clock.advance(3_600)  # an hour idle fills the bucket, no more
    assert sum(throttle.allow(1)[0] for _ in range(BURST * 3)) == BURST


def test_one_notice_per_period_of_flooding() -> None:
    clock = ManualClock()
    throttle = Throttle(rate=0.001, burst=1, notice_every=10.0, clock=clock)
    throttle.allow(1)
    notices = []
    for _ in range(40):  # 20 s of flooding, a refused update every half second
        notices.append(throttle.allow(1)[1])
        clock.advance(0.5)
    assert sum(notices) == 2
    assert notices[0] and notices[20]


def test_users_have_their_own_buckets() -> None:
    clock = ManualClock()
    throttle = Throttle(rate=RATE, burst=2, clock=clock)
    assert [throttle.allow(1)[0] for _ in range(3)] == [True, True, False]
    assert [throttle.allow(2)[0] for _ in range(3)] == [True, True, False]
    assert throttle.allow(1) == (False, False)  # user 2's notice did not use user 1's


def test_idle_users_are_forgotten() -> None:
    clock = ManualClock()
    throttle = Throttle(rate=RATE, burst=BURST, clock=clock)
    for user_id in range(10_000):
        throttle.allow(user_id)
    clock.advance(61)
    throttle.allow(-1)
    # Memory follows the users active in the last minute, not everyone ever seen.
    assert len(throttle._buckets) == 1


async def test_payments_are_never_throttled() -> None:
    throttle = Throttle(rate=0.001, burst=1, clock=ManualClock())
    throttle.allow(FLOODER)
    middleware = ThrottlingMiddleware(throttle)
    payment = Message.model_validate(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": FLOODER, "type": "private"},
            "from": {"id": FLOODER, "is_bot": False, "first_name": "F"},
            "successful_payment": {
                "currency": "XTR",
                "total_amount": 50,
                "invoice_payload": "p",
                "telegram_payment_charge_id": "c",
                "provider_payment_charge_id": "",
            },
        }
    )
    handled: list[object] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        handled.append(event)
        return "credited"

    update = Update(update_id=1, message=payment)
    user = payment.from_user
    for _ in range(5):
        assert await middleware(handler, update, {"event_from_user": user}) == "credited"
    assert len(handled) == 5


# --------------------------------------------------------------------------- end to end


class GatedTelegram(FakeTelegramServer):
    """Messages and edits to a chat whose gate is closed wait at the server until it opens."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gates: dict[int, asyncio.Event] = {}

    def close_gate(self, chat_id: int) -> asyncio.Event:
        gate = self.gates[chat_id] = asyncio.Event()
        return gate

    def open_all(self) -> None:
        for gate in self.gates.values():
            gate.set()

    async def _wait_gate(self, params: dict[str, Any]) -> None:
        gate = self.gates.get(params.get("chat_id"))  # type: ignore[arg-type]
        if gate is not None:
            await gate.wait()

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        await self._wait_gate(params)
        return await super()._send_message(params)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        await self._wait_gate(params)
        return await super()._edit_message_text(params)


class UpdateLines(logging.Handler):
    """The bot.updates lines, parsed."""

    PATTERN = re.compile(
        r"update=(?P<id>\d+) type=(?P<type>\S+) user=(?P<user>\S+) handler=(?P<handler>\S+) "
        r"outcome=(?P<outcome>\S+) ms="
    )

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[dict[str, str]] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        match = self.PATTERN.match(record.getMessage())
        if match:
            self.lines.append(match.groupdict())
            self._changed.set()

    async def wait_until(self, predicate: Callable[[], bool], what: str) -> None:
        """Re-checked after every line (the line comes after the update's last request)."""
        try:
            async with asyncio.timeout(5):
                while not predicate():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {self.lines[-5:]}") from None

    def of(self, user_id: int) -> list[dict[str, str]]:
        return [line for line in self.lines if line["user"] == str(user_id)]


@dataclass
class Shop:
    telegram: GatedTelegram
    services: Services
    translations: Translations
    clock: ManualClock
    updates: UpdateLines
    errors: list[logging.LogRecord] = field(default_factory=list)

    def t(self, language: str) -> Translator:
        return self.translations.get(language)


class _Errors(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Shop]:
    updates_logger = logging.getLogger("bot.updates")
    updates, level = UpdateLines(), updates_logger.level
    updates_logger.addHandler(updates)
    updates_logger.setLevel(logging.INFO)
    errors: list[logging.LogRecord] = []
    error_handler = _Errors(errors)
    logging.getLogger().addHandler(error_handler)
    try:
        async with FakePanel() as panel, GatedTelegram() as telegram:
            settings = make_settings(panel, tmp_path / "storefront.sqlite3")
            translations = Translations(settings.DEFAULT_LANGUAGE)
            database = await Database.open(settings.DATABASE_PATH)
            panel_client = HttpPanelClient(panel.url, panel.api_key, connect_retries=0)
            bot = make_bot(telegram)
            try:
                services = build_services(
                    settings, Repository(database), panel_client, bot, translations
                )
                clock = ManualClock()
                services.throttle = Throttle(rate=RATE, burst=BURST, clock=clock)
                dispatcher = build_dispatcher(services)
                async with running_bot(dispatcher, bot):
                    front = Shop(telegram, services, translations, clock, updates, errors)
                    try:
                        yield front
                    finally:
                        telegram.open_all()
            finally:
                await panel_client.aclose()
                await database.close()
    finally:
        updates_logger.removeHandler(updates)
        updates_logger.setLevel(level)
        logging.getLogger().removeHandler(error_handler)
    assert [record.getMessage() for record in errors] == []


async def _start(shop: Shop, user_id: int, language: str) -> Any:
    """/start, returning the welcome once the update's log line is written too."""
    menu = shop.t(language)("menu-new-order")
    after = shop.telegram.seq
    update_id = await shop.telegram.send_message(user_id, "/start", language_code=language)
    welcome = await shop.telegram.wait_for_message(
        user_id, after=after, where=lambda m: menu in m.button_texts
    )
    await shop.updates.wait_until(
        lambda: any(line["id"] == str(update_id) for line in shop.updates.lines), "/start"
    )
    return welcome


async def test_a_flood_is_dropped_with_one_notice_while_others_are_answered(shop: Shop) -> None:
    telegram = shop.telegram
    ru = shop.t("ru")
    menu = await _start(shop, FLOODER, "ru")  # one token of the burst
    lines_before = len(shop.updates.of(FLOODER))
    help_button = MenuCallback(action=MenuAction.HELP).pack()

    # The flooder's answers are held at Telegram, so the flood stays in flight.
    gate = telegram.close_gate(FLOODER)
    queries: list[str] = []
    for number in range(FLOOD):
        if number % 3 == 2:
            queries.append(await telegram.click(FLOODER, menu.message_id, help_button))
        else:
            await telegram.send_message(FLOODER, f"spam {number}", language_code="ru")
    # Everything the throttle drops is dropped at once: the press spinners stop right away.
    allowed = BURST - 1
    dropped = FLOOD - allowed
    await telegram.wait_for(
        lambda: sum(q in telegram.callback_answers for q in queries) >= len(queries) - allowed,
        description="the dropped presses answered",
    )

    # Another customer, meanwhile: answered while the flood is still being handled.
    welcome = await _start(shop, OTHER, "en")
    flood_lines = shop.updates.of(FLOODER)[lines_before:]
    assert len(flood_lines) < FLOOD, "the flood was over before the other user was answered"
    assert shop.services.update_log.in_flight >= allowed
    assert welcome.text == shop.t("en")("welcome", name="Test User")

    gate.set()
    await shop.updates.wait_until(
        lambda: len(shop.updates.of(FLOODER)) - lines_before == FLOOD, "every flood update"
    )
    await telegram.wait_for(lambda: all(q in telegram.callback_answers for q in queries))
    flood_lines = shop.updates.of(FLOODER)[lines_before:]
    outcomes = [line["outcome"] for line in flood_lines]
    assert outcomes.count("handled") == allowed
    assert outcomes.count("throttled") == dropped
    throttled = [line for line in flood_lines if line["outcome"] == "throttled"]
    assert all(line["handler"] == "-" for line in throttled)  # no handler ran for them

    # Exactly one polite notice, in the flooder's language, as a message or a press's toast.
    notice = ru("throttled")
    notices = [m for m in telegram.messages(FLOODER) if m.text == notice]
    toasts = [q for q in queries if telegram.callback_answers[q].text == notice]
    assert len(notices) + len(toasts) == 1
    assert all(telegram.callback_answers[q].show_alert is False for q in toasts)
    # Every press answered exactly once, none "too old".
    answers = [p["callback_query_id"] for p in telegram.calls_to("answerCallbackQuery")]
    assert sorted(a for a in answers if a in queries) == sorted(queries)
    # (Repeated presses of Help re-render the same screen: Telegram's "not modified".)
    assert [e for e in telegram.errors if "message is not modified" not in e.description] == []
    # The allowed messages got their normal answer; nothing else was said.
    replies = [m for m in telegram.messages(FLOODER) if m.seq > menu.seq and m.version == 0]
    allowed_texts = sum(
        1 for line in flood_lines if line["outcome"] == "handled" and line["type"] == "message"
    )
    assert len(replies) == allowed_texts + len(notices)
    assert all(m.text in (ru("fallback-text"), notice) for m in replies)

    # Once the bucket has refilled the flooder is answered normally again, with no notice.
    shop.clock.advance(BURST / RATE)
    again = await _start(shop, FLOODER, "ru")
    assert again.text != notice
    assert shop.updates.of(FLOODER)[-1]["outcome"] == "handled"
    assert shop.updates.of(FLOODER)[-1]["handler"] == "handlers.start.start"


async def test_another_flood_within_ten_seconds_gets_no_second_notice(shop: Shop) -> None:
    telegram = shop.telegram
    notice = shop.t("en")("throttled")
    await _start(shop, FLOODER, "en")

    async def flood() -> None:
        before = len(shop.updates.of(FLOODER))
        for number in range(BURST + 5):
            await telegram.send_message(FLOODER, f"spam {number}")
        await shop.updates.wait_until(
            lambda: len(shop.updates.of(FLOODER)) - before == BURST + 5, "the flood"
        )

    def notices() -> int:
        return sum(m.text == notice for m in telegram.messages(FLOODER))

    await flood()
    await telegram.wait_for(lambda: notices() == 1)
    shop.clock.advance(BURST / RATE)  # refilled, 5 s after the notice
    await flood()  # every update logged, so every notice it caused has been sent
    assert notices() == 1
    shop.clock.advance(BURST / RATE)  # 10 s after the notice
    await flood()
    await telegram.wait_for(lambda: notices() == 2)
