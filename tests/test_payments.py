"""Stars top-ups below the handlers: the rate, the limits, crediting once, refunds, settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from fractions import Fraction
from typing import cast

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import RefundStarPayment
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import detect_currency
from bot.config import ConfigurationError, Settings, load_settings
from bot.core.money import Money
from bot.services.payments import StarsRefund, StarsTopups, TopupError
from bot.telegram.i18n import Translations
from bot.upstream import PanelAPI, UpstreamError
from bot.upstream.types import PanelBalance
from storage.database import Database
from storage.ledger import EntryKind
from storage.payments import PAID, REFUNDED, REFUNDING
from storage.repository import Repository

ALICE = 1001
TRANSLATIONS = Translations("en")
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


WAIT = 5.0  # every wait on another task is bounded


def money(text: str) -> Money:
    return Money.parse(text)


@pytest.fixture
async def repo(engine_database: Database) -> AsyncIterator[Repository]:
    repository = Repository(engine_database)
    await repository.users.register(ALICE, language="en", first_name="Alice", username=None)
    yield repository


def topups(repo: Repository | None = None, rate: str = "50") -> StarsTopups:
    return StarsTopups(
        cast(Repository, repo),
        stars_per_unit=Decimal(rate),
        minimum=Decimal("1"),
        maximum=Decimal("200"),
    )


# --- the rate and the limits ----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    micros=st.integers(min_value=1_000_000, max_value=200_000_000),
    rate=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2),
)
def test_stars_are_the_amount_times_the_rate_rounded_up(micros: int, rate: Decimal) -> None:
    quote = topups(rate=str(rate)).quote(Money(micros))
    exact = Fraction(micros, 1_000_000) * Fraction(rate)
    # The customer never pays less than the amount is worth, and never a whole Star more.
    assert quote.stars >= 1
    assert quote.stars >= exact
    assert quote.stars - 1 < exact or quote.stars == 1
    assert quote.amount == Money(micros)


@pytest.mark.parametrize(
    ("amount", "rate", "stars"),
    [("1.25", "33", 42), ("3", "33", 99), ("10", "50", 500), ("1", "0.5", 1), ("1.01", "1", 2)],
)
def test_known_quotes(amount: str, rate: str, stars: int) -> None:
    assert topups(rate=rate).quote(money(amount)).stars == stars


def test_the_limits_are_inclusive_and_a_refusal_names_them() -> None:
    service = topups()
    assert service.quote(money("1")).stars == 50
    assert service.quote(money("200")).stars == 10_000
    for outside in (Money(999_999), Money(200_000_001), Money(0), Money(-1)):
        with pytest.raises(TopupError) as refused:
            service.quote(outside)
        assert refused.value.message_id == "topup-out-of-range"
        assert refused.value.arguments == {"minimum": money("1"), "maximum": money("200")}


def test_an_amount_over_telegrams_stars_limit_is_refused_with_the_limit_named() -> None:
    # Settings are checked at start-up; the service holds the line for any other caller.
    service = topups(rate="51")
    assert service.quote(money("196.07")).stars == 10_000  # ceil(9999.57)
    with pytest.raises(TopupError) as refused:
        service.quote(money("196.08"))  # 10000.08 → 10001 Stars
    assert refused.value.message_id == "topup-over-stars-limit"
    assert refused.value.arguments == {"stars": 10_001, "limit": 10_000}
    text = TRANSLATIONS.get("en")(refused.value.message_id, **refused.value.arguments)
    assert "10,000" in text or "10000" in text


def test_the_payload_maps_back_to_the_amount() -> None:
    service = topups()
    quote = service.quote(money("12.345678"))
    assert service.quote_payload(quote.payload) == quote
    assert len(quote.payload.encode()) <= 128  # Telegram's payload limit


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "topup:",
        "topup:abc",
        "topup:-5000000",
        "topup:1.5",
        "topup: 5000000",
        "order:5000000",
        "topup:5000000:x",
        "topup:" + "9" * 19,
    ],
)
def test_payloads_that_are_not_ours_are_refused(payload: str) -> None:
    with pytest.raises(TopupError) as refused:
        topups().quote_payload(payload)
    assert refused.value.message_id == "topup-invalid-invoice"


async def test_pre_checkout_checks(repo: Repository) -> None:
    service = topups(repo)
    payload = service.quote(money("10")).payload
    await service.check_pre_checkout(ALICE, payload, "XTR", 500)

    refusals = [
        ((9999, payload, "XTR", 500), "topup-start-first"),
        ((ALICE, payload, "XTR", 501), "topup-invalid-invoice"),
        ((ALICE, payload, "xtr", 500), "topup-invalid-invoice"),
        ((ALICE, "topup:600000000", "XTR", 30_000), "topup-out-of-range"),
    ]
    for arguments, message_id in refusals:
        with pytest.raises(TopupError) as refused:
            await service.check_pre_checkout(*arguments)
        assert refused.value.message_id == message_id, arguments
    await repo.users.set_banned(ALICE, True)
    with pytest.raises(TopupError, match="banned"):
        await service.check_pre_checkout(ALICE, payload, "XTR", 500)


# --- crediting ----------------------------------------------------------------------------


async def test_the_same_charge_delivered_many_times_at_once_is_credited_once(
    repo: Repository,
) -> None:
    service = topups(repo)
    payload = service.quote(money("10")).payload
    results = await asyncio.gather(
        *(
            service.credit(
                user_id=ALICE, charge_id="stx1", provider_charge_id="", payload=payload, stars=500
            )
            for _ in range(8)
        )
    )
    assert sorted(result.first_time for result in results) == [False] * 7 + [True]
    assert all(result.balance == money("10") for result in results)
    assert await repo.ledger.balance(ALICE) == money("10")
    assert await repo.ledger.count(ALICE) == 1
    payment = await repo.payments.get("stx1")
    assert payment is not None
    assert (payment.amount, payment.stars, payment.status) == (money("10"), 500, PAID)
    assert await repo.ledger.mismatched_balances() == []


async def test_an_unreadable_payload_is_still_credited_by_its_stars(repo: Repository) -> None:
    credited = await topups(repo, rate="33").credit(
        user_id=ALICE, charge_id="stx2", provider_charge_id=None, payload="legacy", stars=42
    )
    assert credited.first_time
    assert credited.amount == money("1.272727")  # 42 / 33, paid is paid
    assert await repo.ledger.balance(ALICE) == money("1.272727")


# --- refunds ------------------------------------------------------------------------------


class FakeStarsBot:
    """Only what refunds use of a Bot: refundStarPayment, with scripted failures."""

    def __init__(self) -> None:
        self.failures: list[Exception] = []
        self.refunded: list[str] = []
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.called = asyncio.Event()

    async def refund_star_payment(self, user_id: int, telegram_payment_charge_id: str) -> bool:
        self.calls += 1
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        method = RefundStarPayment(
            user_id=user_id, telegram_payment_charge_id=telegram_payment_charge_id
        )
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, TelegramBadRequest | TelegramNetworkError):
                failure.method = method
            raise failure
        if telegram_payment_charge_id in self.refunded:
            raise TelegramBadRequest(method, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunded.append(telegram_payment_charge_id)
        return True


def refused(description: str) -> TelegramBadRequest:
    return TelegramBadRequest(
        RefundStarPayment(user_id=0, telegram_payment_charge_id=""), description
    )


async def calls_reach(fake: FakeStarsBot, count: int) -> None:
    """Wait (5 s at most) until Telegram has been asked ``count`` times."""

    async def reached() -> None:
        while fake.calls < count:
            fake.called.clear()
            await fake.called.wait()

    await asyncio.wait_for(reached(), 5)


async def paid(repo: Repository, service: StarsTopups, charge_id: str, amount: str) -> None:
    await service.credit(
        user_id=ALICE,
        charge_id=charge_id,
        provider_charge_id="",
        payload=service.quote(money(amount)).payload,
        stars=service.quote(money(amount)).stars,
    )


async def test_refunds_refused_by_telegram_can_be_tried_again(repo: Repository) -> None:
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    fake = FakeStarsBot()
    bot = cast(Bot, fake)
    fake.failures = [refused("Bad Request: BALANCE_TOO_LOW")] * 2
    for _ in range(2):
        with pytest.raises(TopupError) as error:
            await service.refund(bot, "stx1")
        assert error.value.message_id == "admin-refund-refused"
        assert await repo.ledger.balance(ALICE) == money("10")
        payment = await repo.payments.get("stx1")
        assert payment is not None and payment.status == PAID

    assert (await service.refund(bot, "stx1")).amount == money("10")
    assert fake.refunded == ["stx1"]
    assert await repo.ledger.balance(ALICE) == Money.zero()
    entries = [
        (entry.kind, entry.amount, entry.reference)
        for entry in reversed(await repo.ledger.recent(ALICE, limit=10))
    ]
    assert entries == [
        (EntryKind.TOPUP, money("10"), "stx1"),
        (EntryKind.TOPUP_REFUND, -money("10"), "stx1"),
        (EntryKind.TOPUP_REFUND_UNDONE, money("10"), "stx1"),
        (EntryKind.TOPUP_REFUND, -money("10"), "stx1#2"),
        (EntryKind.TOPUP_REFUND_UNDONE, money("10"), "stx1#2"),
        (EntryKind.TOPUP_REFUND, -money("10"), "stx1#3"),
    ]
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == REFUNDED
    with pytest.raises(TopupError, match="admin-refund-already"):
        await service.refund(bot, "stx1")
    assert await repo.ledger.mismatched_balances() == []


async def test_two_refunds_at_once_debit_once(repo: Repository) -> None:
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, money("50"))
    fake = FakeStarsBot()
    fake.gate = asyncio.Event()
    bot = cast(Bot, fake)
    first = asyncio.create_task(service.refund(bot, "stx1"))
    second = asyncio.create_task(service.refund(bot, "stx1"))
    # Telegram answers only when the gate opens: one refund waits there while the other
    # finds the payment being refunded and gives up.
    await asyncio.wait_for(fake.called.wait(), WAIT)
    await asyncio.wait({first, second}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    fake.gate.set()
    results = await asyncio.gather(first, second, return_exceptions=True)

    assert StarsRefund(money("10")) in results
    for result in results:
        if isinstance(result, TopupError):
            assert result.message_id == "admin-refund-in-progress"
        else:
            assert result == StarsRefund(money("10"))
    assert fake.refunded == ["stx1"]
    assert await repo.ledger.balance(ALICE) == money("50")  # debited once, not twice
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == REFUNDED


async def test_a_refund_telegram_did_not_confirm_is_finished_later(repo: Repository) -> None:
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    fake = FakeStarsBot()
    bot = cast(Bot, fake)
    fake.failures = [
        TelegramNetworkError(RefundStarPayment(user_id=0, telegram_payment_charge_id=""), "t/o")
    ]
    with pytest.raises(TopupError, match="admin-refund-retry"):
        await service.refund(bot, "stx1")
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == REFUNDING
    assert await repo.ledger.balance(ALICE) == Money.zero()

    fake.refunded.append("stx1")  # it had gone through: Telegram says already refunded
    assert (await service.refund(bot, "stx1")).amount == money("10")
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == REFUNDED
    assert await repo.ledger.balance(ALICE) == Money.zero()
    assert await repo.ledger.count(ALICE) == 2


async def test_two_refunds_telegram_refuses_put_the_money_back_once(repo: Repository) -> None:
    # Refund A debits and claims the payment; refund B finds it refunding and asks Telegram
    # too; Telegram refuses both. Only one of them may put the money back.
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    fake = FakeStarsBot()
    fake.gate = asyncio.Event()
    fake.failures = [refused("Bad Request: BALANCE_TOO_LOW")] * 2
    bot = cast(Bot, fake)
    first = asyncio.create_task(service.refund(bot, "stx1"))
    await calls_reach(fake, 1)
    second = asyncio.create_task(service.refund(bot, "stx1"))
    await calls_reach(fake, 2)
    fake.gate.set()
    results = await asyncio.gather(first, second, return_exceptions=True)

    assert all(isinstance(result, TopupError) for result in results)
    assert await repo.ledger.balance(ALICE) == money("10")  # not 20
    assert await repo.ledger.mismatched_balances() == []
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == PAID
    # The next attempt still works, and its undo (if any) is a new reference.
    fake.gate = None
    assert (await service.refund(bot, "stx1")).amount == money("10")
    assert await repo.ledger.balance(ALICE) == Money.zero()


async def test_two_refunds_after_a_crash_mid_refund_put_the_money_back_once(
    repo: Repository,
) -> None:
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    fake = FakeStarsBot()
    bot = cast(Bot, fake)
    fake.failures = [
        TelegramNetworkError(RefundStarPayment(user_id=0, telegram_payment_charge_id=""), "t/o")
    ]
    with pytest.raises(TopupError, match="admin-refund-retry"):
        await service.refund(bot, "stx1")  # as a crash would: debited, left refunding
    fake.gate = asyncio.Event()
    fake.failures = [refused("Bad Request: BALANCE_TOO_LOW")] * 2
    first = asyncio.create_task(service.refund(bot, "stx1"))
    second = asyncio.create_task(service.refund(bot, "stx1"))
    await calls_reach(fake, 3)
    fake.gate.set()
    results = await asyncio.gather(first, second, return_exceptions=True)

    assert [getattr(result, "message_id", None) for result in results] == [
        "admin-refund-refused"
    ] * 2
    assert await repo.ledger.balance(ALICE) == money("10")  # not 20
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == PAID


async def test_a_stale_undo_never_undoes_a_later_attempt(repo: Repository) -> None:
    # B saw attempt 1 refunding; A's refusal put the money back and C started attempt 2;
    # B's refusal must not put attempt 2's money back while C waits for Telegram.
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    fake = FakeStarsBot()
    bot = cast(Bot, fake)
    fake.failures = [
        TelegramNetworkError(RefundStarPayment(user_id=0, telegram_payment_charge_id=""), "t/o")
    ]
    with pytest.raises(TopupError, match="admin-refund-retry"):
        await service.refund(bot, "stx1")
    fake.failures = [refused("Bad Request: BALANCE_TOO_LOW")]
    with pytest.raises(TopupError, match="admin-refund-refused"):
        await service.refund(bot, "stx1")  # attempt 1 undone
    gate = fake.gate = asyncio.Event()
    second_attempt = asyncio.create_task(service.refund(bot, "stx1"))
    await calls_reach(fake, 3)
    assert await repo.ledger.balance(ALICE) == Money.zero()
    # A stale refusal of attempt 1 arrives now.
    await service._undo_refund(ALICE, "stx1", money("10"), attempt_reference="stx1")
    assert await repo.ledger.balance(ALICE) == Money.zero()
    gate.set()
    assert (await second_attempt).amount == money("10")
    assert await repo.ledger.balance(ALICE) == Money.zero()
    assert await repo.ledger.mismatched_balances() == []


async def test_a_spent_top_up_is_not_refunded(repo: Repository) -> None:
    service = topups(repo)
    await paid(repo, service, "stx1", "10")
    await repo.ledger.post(ALICE, EntryKind.ORDER_CHARGE, -money("0.01"), reference="order:1")
    fake = FakeStarsBot()
    with pytest.raises(TopupError) as error:
        await service.refund(cast(Bot, fake), "stx1")
    assert error.value.message_id == "admin-refund-spent"
    assert error.value.arguments == {"balance": money("9.99")}
    assert fake.calls == 0
    payment = await repo.payments.get("stx1")
    assert payment is not None and payment.status == PAID
    assert await repo.ledger.count(ALICE) == 2


# --- settings, currency, formatting ---------------------------------------------------------


def load(**values: str) -> Settings:
    return load_settings(BOT_TOKEN=TOKEN, SMM_API_URL="demo", _env_file=None, **values)


def test_topup_settings() -> None:
    defaults = load()
    assert defaults.TOPUP_MAX * defaults.STARS_PER_UNIT == 10_000  # exactly Telegram's limit
    assert load(TOPUP_MAX="1000", STARS_PER_UNIT="10").TOPUP_MAX == 1000
    configured = load(TOPUP_PRESETS=" 2.50, 10 ,20", STARS_PER_UNIT="33.5", SHOP_CURRENCY=" eur ")
    assert list(configured.TOPUP_PRESETS) == [Decimal("2.50"), Decimal("10"), Decimal("20")]
    assert str(configured.STARS_PER_UNIT) == "33.5"
    assert configured.SHOP_CURRENCY == "EUR"
    assert load().SHOP_CURRENCY is None  # then the panel's currency is used


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"TOPUP_PRESETS": "5,abc"}, "TOPUP_PRESETS"),
        ({"TOPUP_PRESETS": "5,10.123"}, "TOPUP_PRESETS"),
        ({"TOPUP_PRESETS": "0,5"}, "TOPUP_PRESETS"),  # 0 is the "Other amount" button
        ({"TOPUP_MAX": "20"}, "TOPUP_PRESETS"),  # the default presets go up to 50
        ({"TOPUP_MIN": "600"}, "TOPUP_MIN"),
        ({"STARS_PER_UNIT": "0"}, "STARS_PER_UNIT"),
        # 200 × 51 = 10,200 Stars: over Telegram's 10,000 per invoice.
        ({"STARS_PER_UNIT": "51"}, "TOPUP_MAX × STARS_PER_UNIT must not exceed 10000 Stars"),
        ({"TOPUP_MAX": "200.01"}, "TOPUP_MAX × STARS_PER_UNIT"),
        ({"SHOP_CURRENCY": "euro"}, "SHOP_CURRENCY"),
    ],
)
def test_bad_topup_settings_are_named(values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        load(**values)


class PanelWithCurrency:
    def __init__(self, currency: str | None) -> None:
        self.currency = currency

    async def balance(self) -> PanelBalance:
        if self.currency is None:
            raise UpstreamError("panel down", action="balance")
        return PanelBalance(amount=Decimal("10"), currency=self.currency)


@pytest.mark.parametrize(("currency", "used"), [("eur", "EUR"), ("", "USD"), (None, "USD")])
async def test_the_shop_currency_defaults_to_the_panels(currency: str | None, used: str) -> None:
    assert await detect_currency(cast(PanelAPI, PanelWithCurrency(currency))) == used


@pytest.mark.parametrize(
    ("language", "currency", "amount", "shown"),
    [
        ("en", "USD", "12.5", "$12.50"),
        ("ru", "USD", "12.5", "12,50\xa0$"),
        ("en", "EUR", "1234.5", "€1,234.50"),
        ("ru", "EUR", "1234.5", "1\xa0234,50\xa0€"),
        ("en", "USD", "0.0513", "$0.0513"),
        ("ru", "RUB", "7", "7,00\xa0₽"),
    ],
)
def test_amounts_per_language(language: str, currency: str, amount: str, shown: str) -> None:
    translator = TRANSLATIONS.get(language)
    assert translator.money(money(amount), currency) == shown
