"""Referrals, promo codes, search and mass orders below the handlers (storage and services)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from aiogram import Bot

from bot.core.errors import (
    MassLineError,
    OrderRefusedError,
    PromoAlreadyRedeemedError,
    PromoDiscountPendingError,
    PromoDiscountUsedError,
    PromoExpiredError,
    PromoSpecError,
    PromoTooManyAttemptsError,
    PromoUnknownError,
    PromoUsedUpError,
)
from bot.core.money import Money
from bot.services.catalog import Pricing
from bot.services.mass_order import ConfirmedBatch, MassOrders
from bot.services.ordering import OrderingService, make_quote
from bot.services.payments import StarsTopups, TopupCrediting, TopupError, TopupLimits
from bot.services.payments.manual import PROOF_TEXT, ManualTopups, Proof
from bot.services.promotions import (
    Promotions,
    WrongCodeLimiter,
    normalize_code,
    parse_promo_spec,
)
from bot.services.referrals import Clawback, ReferralProgram, invite_code_from_start
from bot.services.search import CatalogSearch, normalize, search_query, words
from bot.upstream import PanelAPI, PanelRefusedError
from storage.catalog import ServiceRecord
from storage.database import Database
from storage.errors import ConstraintError, DuplicateEntryError
from storage.ledger import EntryKind
from storage.repository import Repository
from tests.test_payments import FakeStarsBot

ALICE, BOB, CAROL = 1001, 1002, 1003
TODAY = "2026-06-15"


def money(text: str) -> Money:
    return Money.parse(text)


@pytest.fixture
async def repo(engine_database: Database) -> AsyncIterator[Repository]:
    repository = Repository(engine_database)
    for user_id in (ALICE, BOB, CAROL):
        await repository.users.register(user_id, language="en", first_name="", username=None)
    yield repository


class StubPanel:
    """Accepts every order (only ``add`` is called by these tests)."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.added = 0
        self.refuse = refuse

    async def add(self, order: object) -> int:
        if self.refuse:
            raise PanelRefusedError("Incorrect link", action="add")
        self.added += 1
        return 70_000 + self.added


def stub_ordering(repo: Repository) -> OrderingService:
    return OrderingService(repo, cast(PanelAPI, StubPanel()))


def record(service_id: int, name: str, category: str, **extra: object) -> ServiceRecord:
    values: dict[str, object] = {
        "id": service_id,
        "category": category,
        "name": name,
        "type": "Default",
        "rate": Decimal("1.00"),
        "min_quantity": 10,
        "max_quantity": 1000,
        "refill": False,
        "cancel": False,
        "dripfeed": False,
    }
    values.update(extra)
    return ServiceRecord(**values)  # type: ignore[arg-type]


# --- money ----------------------------------------------------------------------------------


def test_percent_share_rounds_down_to_the_micro_unit() -> None:
    assert Money(1_000_001).percent(Decimal(5)) == Money(50_000)  # 50_000.05 → 50_000
    assert Money(999).percent(Decimal("33.33")) == Money(332)
    assert money("10").percent(Decimal(0)) == Money(0)
    assert money("10").percent(Decimal(100)) == money("10")
    with pytest.raises(ValueError):
        money("10").percent(Decimal(101))


# --- referrals ------------------------------------------------------------------------------


def test_invite_codes_are_read_from_start_arguments() -> None:
    assert invite_code_from_start("ref_Abc23") == "abc23"
    for argument in (None, "", "ref_", "svc_12", "ref_a:b", "ref_" + "a" * 40, "ref_ё"):
        assert invite_code_from_start(argument) is None


async def test_a_referral_is_bound_once_never_to_oneself_never_changed(repo: Repository) -> None:
    program = ReferralProgram(repo, Decimal(5))
    code = await program.code_for(ALICE)
    assert code == await program.code_for(ALICE)  # stable
    assert str(ALICE) not in code
    assert await program.bind(ALICE, code, is_new_user=True) is None  # self
    assert await program.bind(BOB, code, is_new_user=False) is None  # not their first /start
    assert await program.bind(BOB, "nosuchcode", is_new_user=True) is None
    assert await program.bind(BOB, code, is_new_user=True) == ALICE
    carol_code = await program.code_for(CAROL)
    assert await program.bind(BOB, carol_code, is_new_user=True) is None  # never re-bound
    assert await repo.referrals.referrer_of(BOB) == ALICE
    # The database itself refuses what the service never tries.
    for sql, params in (
        ("UPDATE referrals SET referrer_id = ? WHERE user_id = ?", (CAROL, BOB)),
        ("DELETE FROM referrals WHERE user_id = ?", (BOB,)),
        (
            "INSERT INTO referrals (user_id, referrer_id, created_at) VALUES (?, ?, 'x')",
            (CAROL,) * 2,
        ),
    ):
        with pytest.raises(ConstraintError):
            await repo.database.execute(sql, params)
    assert (await program.stats(ALICE)).joined == 1


async def test_percent_zero_turns_the_programme_off(repo: Repository) -> None:
    program = ReferralProgram(repo, Decimal(0))
    code = await program.code_for(ALICE)
    assert not program.enabled
    assert await program.bind(BOB, code, is_new_user=True) is None


async def test_the_bonus_is_credited_once_per_payment_with_its_message(repo: Repository) -> None:
    woken: list[bool] = []
    program = ReferralProgram(repo, Decimal(5))
    await program.bind(BOB, await program.code_for(ALICE), is_new_user=True)
    topups = StarsTopups(
        repo,
        stars_per_unit=Decimal(50),
        minimum=Decimal(1),
        maximum=Decimal(500),
        crediting=TopupCrediting(
            repo, "USD", on_queued=lambda: woken.append(True), referrals=program
        ),
    )
    payload = f"topup:{money('10.00').micros}"
    for _ in range(2):  # Telegram delivers the same payment twice
        await topups.credit(
            user_id=BOB, charge_id="charge-1", provider_charge_id=None, payload=payload, stars=500
        )
    assert await repo.ledger.balance(BOB) == money("10")
    assert await repo.ledger.balance(ALICE) == money("0.5")
    assert (await program.stats(ALICE)).earned == money("0.5")
    assert len(woken) == 1
    queued = await repo.outbox.due()
    assert [(m.user_id, m.kind, m.payload) for m in queued] == [
        (ALICE, "referral_bonus", {"amount_micros": 500_000})
    ]
    # Not inside a payment's transaction: refused, so no caller can credit it on its own.
    with pytest.raises(RuntimeError):
        await program.reward_payment(BOB, money("1"), "charge-2")
    # Admin credits are not payments: nothing for the referrer.
    await repo.ledger.post(BOB, EntryKind.ADMIN_CREDIT, money("100"))
    assert await repo.ledger.balance(ALICE) == money("0.5")
    assert await repo.ledger.mismatched_balances() == []


async def test_every_rail_pays_the_bonus_through_the_one_crediting_path(
    repo: Repository,
) -> None:
    """A manual transfer an admin approves is a payment like a Stars one: bonus once."""
    program = ReferralProgram(repo, Decimal("2.5"))
    await program.bind(BOB, await program.code_for(ALICE), is_new_user=True)
    crediting = TopupCrediting(repo, "USD", referrals=program)
    manual = ManualTopups(
        repo,
        crediting,
        TopupLimits(minimum=money("1"), maximum=money("500"), presets=()),
        instructions="IBAN …",
        currency="USD",
    )
    checkout = await manual.create(BOB, money("40"))
    await manual.attach_proof(checkout.topup_id, BOB, Proof(PROOF_TEXT, BOB, 1, "paid"))
    await manual.approve(checkout.topup_id, admin_id=1)
    with pytest.raises(TopupError):
        await manual.approve(checkout.topup_id, admin_id=1)  # decided already
    assert await repo.ledger.balance(ALICE) == money("1")  # 2.5% of 40
    kinds = await repo.database.fetch_all(
        "SELECT kind, amount FROM ledger WHERE user_id = ? ORDER BY id", (ALICE,)
    )
    assert [(row["kind"], row["amount"]) for row in kinds] == [("referral", 1_000_000)]


async def test_a_banned_referrer_earns_nothing_and_a_refund_takes_the_bonus_back_once(
    repo: Repository,
) -> None:
    program = ReferralProgram(repo, Decimal(10))
    await program.bind(BOB, await program.code_for(ALICE), is_new_user=True)
    topups = StarsTopups(
        repo,
        stars_per_unit=Decimal(1),
        minimum=Decimal(1),
        maximum=Decimal(500),
        crediting=TopupCrediting(repo, "USD", referrals=program),
    )

    async def pays(charge_id: str, amount: str) -> None:
        await topups.credit(
            user_id=BOB,
            charge_id=charge_id,
            provider_charge_id=None,
            payload=f"topup:{money(amount).micros}",
            stars=int(money(amount).as_decimal()),
        )

    await repo.users.set_banned(ALICE, True)
    await pays("while-banned", "50")
    assert await repo.ledger.balance(ALICE) == Money.zero()  # not booked while banned
    await repo.users.set_banned(ALICE, False)
    await pays("c1", "20")
    await pays("c2", "30")
    assert await repo.ledger.balance(ALICE) == money("5")  # 2 + 3, nothing for the banned one
    bot = cast(Bot, FakeStarsBot())

    # The refund of c1 takes its whole bonus back; a second /refund changes nothing.
    refunded = await topups.refund(bot, "c1")
    assert refunded.clawback == Clawback(ALICE, money("2"), money("2"))
    with pytest.raises(TopupError, match="admin-refund-already"):
        await topups.refund(bot, "c1")
    assert await repo.ledger.balance(ALICE) == money("3")
    # The payment that earned nothing takes nothing back.
    assert (await topups.refund(bot, "while-banned")).clawback is None
    # Alice spent most of c2's bonus: what is left is taken, never below zero.
    await repo.ledger.post(ALICE, EntryKind.ORDER_CHARGE, -money("2"), reference="order:1")
    refunded = await topups.refund(bot, "c2")
    assert refunded.clawback == Clawback(ALICE, money("3"), money("1"))
    assert refunded.clawback.kept == money("2")
    assert await repo.ledger.balance(ALICE) == Money.zero()
    reversals = await repo.database.fetch_all(
        "SELECT amount, reference FROM ledger WHERE user_id = ? AND kind = 'referral_reversal'"
        " ORDER BY id",
        (ALICE,),
    )
    assert [(row["amount"], row["reference"]) for row in reversals] == [
        (-2_000_000, "c1"),
        (-1_000_000, "c2"),
    ]
    assert (await program.stats(ALICE)).earned == money("2")  # 5 earned, 3 taken back
    # The database itself takes a reversal once per payment.
    await repo.ledger.post(CAROL, EntryKind.ADMIN_CREDIT, money("1"))
    with pytest.raises(DuplicateEntryError):
        await repo.ledger.post(CAROL, EntryKind.REFERRAL_REVERSAL, -Money(1), reference="c1")
    assert await repo.ledger.mismatched_balances() == []


# --- promo codes ----------------------------------------------------------------------------


def test_promo_specs_are_parsed_strictly() -> None:
    spec = parse_promo_spec(["summer", "2.50", "uses=3", "until=2026-07-01"], TODAY)
    assert (spec.code, spec.amount, spec.percent, spec.max_uses, spec.valid_until) == (
        "SUMMER",
        money("2.5"),
        None,
        3,
        "2026-07-01",
    )
    assert parse_promo_spec(["Off10", "10%"], TODAY).percent == Decimal(10)
    bad = {
        ("X",): "promo-admin-usage",
        ("a b", "5"): "promo-admin-bad-code",
        ("CODE", "100%"): "promo-admin-bad-percent",
        ("CODE", "0%"): "promo-admin-bad-percent",
        ("CODE", "-5"): "promo-admin-bad-amount",
        ("CODE", "5", "until=2026-01-01"): "promo-admin-bad-date",
        ("CODE", "5", "until=2026-1-1"): "promo-admin-bad-date",
        ("CODE", "5", "uses=0"): "promo-admin-usage",
        # str.isdigit() is true for these, and int() refuses or misreads them.
        ("CODE", "5", "uses=²"): "promo-admin-usage",
        ("CODE", "5", "uses=٣"): "promo-admin-usage",
        ("CODE", "5", "uses=99999999999999999999"): "promo-admin-usage",
        ("CODE", "5", "colour=red"): "promo-admin-usage",
    }
    for arguments, message_id in bad.items():
        with pytest.raises(PromoSpecError) as caught:
            parse_promo_spec(list(arguments), TODAY)
        assert caught.value.message_id == message_id, arguments
    assert normalize_code(" summer-26 ") == "SUMMER-26"
    assert normalize_code("лето") is None


async def test_an_amount_code_credits_once_per_user(repo: Repository) -> None:
    promotions = Promotions(repo, today=lambda: TODAY)
    await promotions.create(["gift", "3"], admin_id=1)
    redeemed = await promotions.redeem(ALICE, "GiFt")
    assert redeemed.amount == money("3") and redeemed.balance == money("3")
    with pytest.raises(PromoAlreadyRedeemedError):
        await promotions.redeem(ALICE, "gift")
    assert await repo.ledger.balance(ALICE) == money("3")
    assert (await repo.promos.get("GIFT")).used == 1  # type: ignore[union-attr]
    with pytest.raises(PromoSpecError):
        await promotions.create(["GIFT", "1"], admin_id=1)  # exists


async def test_a_capped_code_never_passes_its_cap_under_concurrency(
    repo: Repository, tmp_path: Path
) -> None:
    promotions = Promotions(repo, today=lambda: TODAY)
    await promotions.create(["FEW", "1", "uses=3"], admin_id=1)
    users = list(range(5000, 5040))
    for user_id in users:
        await repo.users.register(user_id, language="en", first_name="", username=None)
    results = await asyncio.gather(
        *(promotions.redeem(user_id, "few") for user_id in users), return_exceptions=True
    )
    assert sum(1 for result in results if not isinstance(result, BaseException)) == 3
    assert all(isinstance(r, PromoUsedUpError) for r in results if isinstance(r, BaseException))
    assert (await repo.promos.get("FEW")).used == 3  # type: ignore[union-attr]
    promo_rows = await repo.database.fetch_value("SELECT COUNT(*) FROM ledger WHERE kind = 'promo'")
    redemptions = await repo.database.fetch_value("SELECT COUNT(*) FROM promo_redemptions")
    assert (promo_rows, redemptions) == (3, 3)


async def test_expired_and_switched_off_codes(repo: Repository) -> None:
    day = ["2026-06-15"]
    promotions = Promotions(repo, today=lambda: day[0])
    await promotions.create(["LATE", "1", "until=2026-06-15"], admin_id=1)
    await promotions.create(["GONE", "1"], admin_id=1)
    await promotions.turn_off("gone")
    with pytest.raises(PromoUnknownError):
        await promotions.redeem(ALICE, "GONE")
    day[0] = "2026-06-16"
    with pytest.raises(PromoExpiredError):
        await promotions.redeem(ALICE, "LATE")
    with pytest.raises(PromoSpecError):
        await promotions.turn_off("nosuch")


async def test_five_wrong_codes_in_ten_minutes_make_the_user_wait(repo: Repository) -> None:
    now = [1000.0]
    limiter = WrongCodeLimiter(clock=lambda: now[0])
    promotions = Promotions(repo, limiter=limiter, today=lambda: TODAY)
    await promotions.create(["REAL", "1"], admin_id=1)
    for _ in range(5):
        with pytest.raises(PromoUnknownError):
            await promotions.redeem(ALICE, "WRONG")
    with pytest.raises(PromoTooManyAttemptsError) as caught:
        await promotions.redeem(ALICE, "REAL")  # even a right one, until the window passes
    assert caught.value.arguments["minutes"] == 10
    await promotions.redeem(BOB, "REAL")  # others are not affected
    now[0] += 601
    assert (await promotions.redeem(ALICE, "REAL")).amount == money("1")


async def test_a_percent_code_discounts_the_next_order_once(repo: Repository) -> None:
    promotions = Promotions(repo, today=lambda: TODAY)
    await promotions.create(["TEN", "10%"], admin_id=1)
    await promotions.create(["TWENTY", "20%"], admin_id=1)
    await repo.catalog.replace([record(1, "Followers", "Instagram")])
    service = await repo.catalog.service(1)
    assert service is not None
    await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, money("10"))
    redeemed = await promotions.redeem(ALICE, "ten")
    assert redeemed.percent == Decimal(10) and redeemed.amount is None
    with pytest.raises(PromoDiscountPendingError):  # one discount waits at a time
        await promotions.redeem(ALICE, "twenty")
    full = make_quote(service, Pricing(Decimal(0)), link="https://x.io/a", quantity=999)
    quote = await promotions.apply_discount(ALICE, full)
    assert full.price == Money(999_000)
    assert quote.discount == Money(99_900) and quote.price == Money(899_100)
    assert quote.promo_code == "TEN"
    ordering = stub_ordering(repo)
    again = await promotions.apply_discount(ALICE, full)  # a second card shows it too …
    await ordering.place(ALICE, quote)
    assert await repo.ledger.balance(ALICE) == money("10") - Money(899_100)
    with pytest.raises(PromoDiscountUsedError):  # … but only one order gets it
        await ordering.place(ALICE, again.__class__(**{**again.to_data(), "token": "t2"}))
    assert await repo.ledger.balance(ALICE) == money("10") - Money(899_100)
    assert await promotions.apply_discount(ALICE, full) == full
    assert await repo.orders.count_for_user(ALICE) == 1
    # An order the panel refuses gives the money and the discount back, once.
    await promotions.redeem(ALICE, "twenty")
    balance = await repo.ledger.balance(ALICE)
    refusing = OrderingService(repo, cast(PanelAPI, StubPanel(refuse=True)))
    quote = await promotions.apply_discount(ALICE, dataclasses.replace(full, token="t3"))
    assert quote.promo_code == "TWENTY"
    with pytest.raises(OrderRefusedError):
        await refusing.place(ALICE, quote)
    refused = (await repo.orders.for_user(ALICE))[0]
    await refusing.fail_and_refund(refused.id, "again")  # a second refund changes nothing
    assert await repo.ledger.balance(ALICE) == balance
    assert (await promotions.apply_discount(ALICE, full)).promo_code == "TWENTY"


async def test_one_order_spends_a_discount_however_it_is_placed(repo: Repository) -> None:
    """Two orders confirmed at once with the same discount on their cards: one spends it,
    the other is charged nothing; a mass order gives it to its first valid line only."""
    promotions = Promotions(repo, today=lambda: TODAY)
    await promotions.create(["TEN", "10%"], admin_id=1)
    await repo.catalog.replace([record(1, "Followers", "Instagram")])
    await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, money("10"))
    await promotions.redeem(ALICE, "TEN")
    ordering = stub_ordering(repo)
    mass = MassOrders(repo, Pricing(Decimal(0)), ordering)
    draft = await mass.parse(
        "1 | not a link | 100\n1 | https://x.io/a | 500\n1 | https://x.io/b | 1000", ALICE
    )
    first, second = draft.valid
    assert (first.price, first.discount, first.promo_code) == (money("0.45"), money("0.05"), "TEN")
    assert (second.price, second.promo_code) == (money("1"), None)
    assert draft.total == money("1.45")

    service = await repo.catalog.service(1)
    assert service is not None
    full = make_quote(service, Pricing(Decimal(0)), link="https://x.io/a", quantity=100)
    cards = [
        await promotions.apply_discount(ALICE, dataclasses.replace(full, token=token))
        for token in ("c1", "c2")
    ]
    outcomes = await asyncio.gather(
        *(ordering.place(ALICE, card) for card in cards), return_exceptions=True
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "Order",
        "PromoDiscountUsedError",
    ]
    assert await repo.ledger.balance(ALICE) == money("10") - money("0.09")
    assert await repo.orders.count_for_user(ALICE) == 1

    # The mass order's first line showed the discount, spent meanwhile: that line is not
    # placed (nothing charged) and the next one is.
    result = await mass.place(ALICE, ConfirmedBatch.from_data(draft.to_data()))
    assert [(item.outcome, type(item.reason).__name__) for item in result.outcomes] == [
        ("refused", "PromoDiscountUsedError"),
        ("placed", "NoneType"),
    ]
    assert await repo.ledger.balance(ALICE) == money("10") - money("0.09") - money("1")
    assert await repo.ledger.mismatched_balances() == []


# --- search ---------------------------------------------------------------------------------


def test_normalization_ignores_case_and_accents_in_any_script() -> None:
    assert normalize("Café ÉTÉ") == "cafe ete"
    assert words("Подписчики Ёлка, YouTube!") == ["подписчики", "елка", "youtube"]
    assert normalize("Straße") == "strasse"
    assert search_query("  Insta   LIKES ") == "insta likes"
    assert len(search_query("слово " * 30).encode()) <= 40


async def test_search_matches_every_word_best_first_and_hides_hidden(repo: Repository) -> None:
    await repo.catalog.replace(
        [
            record(1, "Instagram Followers [Refill 30d]", "Instagram"),
            record(2, "Instagram Likes", "Instagram"),
            record(3, "Likes on Reels, fast", "Instagram"),
            record(4, "YouTube Просмотры", "Ютуб"),
            record(5, "Café likes", "Other"),
            record(6, "Secret likes", "Instagram"),
        ]
    )
    await repo.catalog.set_hidden("service", 6, True)
    search = CatalogSearch(repo)
    found = [service.id for service in await search.find("LIKES instagram")]
    # Whole word in the name beats a category match; shorter names first on a tie.
    assert found == [2, 3]
    assert [s.id for s in await search.find("просмотр")] == [4]
    assert [s.id for s in await search.find("ютуб")] == [4]
    assert [s.id for s in await search.find("cafe")] == [5]
    assert 6 not in [s.id for s in await search.find("secret")]
    assert await search.find("nothing-like-this") == []
    page = await search.page("likes", 0, size=2)
    assert (page.total, page.pages, [s.id for s in page.items]) == (3, 2, [5, 2])
    last = await search.page("likes", 9, size=2)
    assert (last.page, [s.id for s in last.items]) == (1, [3])


# --- mass orders ----------------------------------------------------------------------------


async def test_mass_lines_are_checked_like_single_orders(repo: Repository) -> None:
    await repo.catalog.replace(
        [
            record(1, "Followers", "Instagram"),
            record(2, "Comments", "Instagram", type="Custom Comments"),
            record(3, "Channel boost", "Telegram", type="Package", min_quantity=1, max_quantity=1),
            record(4, "Hidden one", "Instagram"),
        ]
    )
    await repo.catalog.set_hidden("service", 4, True)
    pricing = Pricing(Decimal(0))
    mass = MassOrders(repo, pricing, stub_ordering(repo))
    draft = await mass.parse(
        "1 | https://instagram.com/a | 100\n"
        "\n"
        "1 | not a link | 100\n"
        "1 | https://instagram.com/a | 5\n"
        "2 | https://instagram.com/a | 10\n"
        "3 | @mychannel\n"
        "4 | https://instagram.com/a | 100\n"
        "99 | https://instagram.com/a | 100\n"
        "just words\n",
        ALICE,
    )
    reasons = [None if line.error is None else line.error.message_id for line in draft.lines]
    assert reasons == [
        None,
        "mass-reason-link",
        "mass-reason-quantity",
        "mass-reason-type",
        None,
        "mass-reason-unknown-service",
        "mass-reason-unknown-service",
        "mass-reason-format",
    ]
    assert draft.total == money("0.1") + money("1")
    assert len({quote.token for quote in draft.valid}) == 2
    with pytest.raises(MassLineError):
        await mass.parse("1 | https://a.io | 10\n" * 101, ALICE)
    with pytest.raises(MassLineError):
        await mass.parse(" \n ", ALICE)
