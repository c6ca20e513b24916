"""Top-ups with Telegram Stars, end to end: invoice, pre-checkout, payment, refund, history.

Everything goes through the fake Telegram server and the real Dispatcher: the tests press the
buttons a customer presses, answer as Telegram answers (pre-checkout, ``successful_payment``,
``refundStarPayment``) and read what the bot sent and what it wrote to the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from bot.app import run
from bot.core.money import Money
from bot.telegram.callbacks import LedgerPage, TopupCallback
from bot.telegram.i18n import Translator
from bot.testing.harness import make_bot
from bot.testing.telegram import BotMessage
from bot.testing.user import ChatUser
from storage.ledger import EntryKind
from storage.payments import PAID, REFUNDED, REFUNDING
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront, make_settings

IVAN = 100_000_003
PRESETS = ["$5.00", "$10.00", "$25.00", "$50.00"]  # the default TOPUP_PRESETS, in English
WAIT = 5.0  # seconds any wait may take before the test fails
NBSP = "\xa0"  # CLDR puts a no-break space between a Russian amount and its symbol


def money(text: str) -> Money:
    return Money.parse(text)


async def invoice_for(user: ChatUser, preset: str) -> BotMessage:
    """/topup and a preset button: the invoice the bot sent."""
    await user.say("/topup")
    invoice = await user.tap_next(preset)
    assert invoice.invoice is not None, f"expected an invoice, got {invoice.plain_text!r}"
    return invoice


class LogWatch(logging.Handler):
    """Waits for log lines: the only trace of work that sends nothing to Telegram."""

    def __init__(self, logger_name: str) -> None:
        super().__init__(level=logging.INFO)
        self.logger = logging.getLogger(logger_name)
        self.lines: list[str] = []
        self._changed = asyncio.Event()

    def __enter__(self) -> LogWatch:
        self._level = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self._changed.set()  # emitted on the event loop's thread, by a handler of the bot

    def count(self, needle: str) -> int:
        return sum(needle in line for line in self.lines)

    async def wait_for(self, needle: str, times: int) -> None:
        try:
            async with asyncio.timeout(WAIT):
                while self.count(needle) < times:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"Logged {needle!r} {self.count(needle)} times, not {times}: {self.lines}"
            ) from None


async def restart(front: Storefront, **settings: object) -> None:
    """Restart the bot on the same database with some settings changed."""
    await front.stop()
    front.settings = make_settings(front.panel, front.database_path, **settings)
    await front.start()


async def admin_says(front: Storefront, text: str) -> BotMessage:
    await front.telegram.send_message(ADMIN, text)
    return await front.telegram.wait_for_message(ADMIN)


async def ledger_of(front: Storefront, user_id: int) -> list[tuple[EntryKind, Money, str | None]]:
    """The user's ledger, oldest first."""
    entries = await front.r.ledger.recent(user_id, limit=1000)
    return [(entry.kind, entry.amount, entry.reference) for entry in reversed(entries)]


async def pay(chat: ChatUser, preset: str) -> str:
    """Top up with a preset and wait for the receipt; returns the charge id."""
    await invoice_for(chat, preset)
    charge_id = await chat.telegram.pay_invoice(chat.user_id)
    await chat.telegram.wait_for_message(chat.user_id, contains=charge_id)
    return charge_id


# --- choosing an amount and the invoice -------------------------------------------------


async def test_topup_presets_send_a_stars_invoice_that_credits_the_amount_shown(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()

    choose = await alice.say("/topup")
    assert choose.text == t(
        "topup-choose", unit="$1.00", rate="50", minimum="$1.00", maximum="$200.00"
    )
    assert choose.button_texts == [*PRESETS, t("topup-button-other"), t("button-main-menu")]

    invoice = await alice.tap_next("$10.00")
    assert invoice.method == "sendInvoice"
    params = invoice.params
    assert params["currency"] == "XTR"
    assert params.get("provider_token", "") == ""  # Stars: no payment provider
    assert [price["amount"] for price in params["prices"]] == [500]  # 10 × 50 Stars
    assert "$10.00" in params["title"]
    assert "500" in params["description"]

    # The payload maps back to the amount: paying credits exactly $10.00.
    charge_id = await alice.telegram.pay_invoice(ALICE)
    receipt = await alice.telegram.wait_for_message(ALICE, contains=charge_id)
    assert receipt.text == t(
        "topup-receipt", amount="$10.00", stars=500, balance="$10.00", charge_id=charge_id
    )
    assert await storefront.balance(ALICE) == money("10")


async def test_the_balance_screen_star_button_offers_the_same_presets(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    screen = await alice.say("/balance")
    assert screen.button_texts[:2] == [t("button-top-up-stars"), t("button-history")]

    choose = await alice.tap_next(t("button-top-up-stars"))
    assert choose.message_id == screen.message_id  # the balance screen turned into the choice
    assert choose.button_texts == [*PRESETS, t("topup-button-other"), t("button-main-menu")]
    invoice = await alice.tap_next("$25.00")
    assert invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 1250)


async def test_stars_are_rounded_up_at_a_rate_that_needs_it(storefront: Storefront) -> None:
    await restart(storefront, STARS_PER_UNIT="33", TOPUP_PRESETS="1.25,3")
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()

    choose = await alice.say("/topup")
    assert choose.text == t(
        "topup-choose", unit="$1.00", rate="33", minimum="$1.00", maximum="$200.00"
    )
    assert choose.button_texts[:2] == ["$1.25", "$3.00"]
    invoice = await alice.tap_next("$1.25")
    assert invoice.params["prices"][0]["amount"] == 42  # ceil(1.25 × 33 = 41.25)

    # What is credited is the amount shown, not Stars ÷ rate (42 / 33 = 1.2727…).
    charge_id = await alice.telegram.pay_invoice(ALICE)
    await alice.telegram.wait_for_message(ALICE, contains=charge_id)
    assert await storefront.balance(ALICE) == money("1.25")

    # An exact product is not rounded: 3 × 33 = 99.
    await alice.say("/topup")
    invoice = await alice.tap_next("$3.00")
    assert invoice.params["prices"][0]["amount"] == 99


async def test_other_amount_typed_as_12_5_sends_an_invoice_for_12_50(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    await alice.say("/topup")
    ask = await alice.tap_next(t("topup-button-other"))
    assert ask.text == t("topup-ask-amount")

    invoice = await alice.say("12.5")
    assert invoice.invoice is not None
    assert invoice.invoice["total_amount"] == 625
    assert "$12.50" in invoice.params["title"]
    charge_id = await alice.telegram.pay_invoice(ALICE)
    await alice.telegram.wait_for_message(ALICE, contains=charge_id)
    assert await storefront.balance(ALICE) == money("12.50")

    # The flow ended with the invoice: a number now is just a stray text.
    stray = await alice.say("7")
    assert stray.invoice is None
    assert stray.text == t("fallback-text")


async def test_bad_amounts_get_clear_messages_and_no_invoice(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    await alice.say("/topup")
    await alice.tap_next(t("topup-button-other"))

    limits = {"minimum": "$1.00", "maximum": "$200.00"}
    not_a_number = t("topup-amount-invalid", **limits)
    out_of_range = t("topup-out-of-range", **limits)
    expected = {
        "0": not_a_number,
        "-5": not_a_number,
        "abc": not_a_number,
        "1e3": not_a_number,
        "10.1234567": not_a_number,  # more decimals than money has
        "   ": not_a_number,
        "12.50 USD": not_a_number,
        "200.01": out_of_range,  # TOPUP_MAX is 200
        "100000": out_of_range,
        "0.99": out_of_range,  # TOPUP_MIN is 1
    }
    for text, message in expected.items():
        reply = await alice.say(text)
        assert reply.invoice is None, f"{text!r} got an invoice"
        assert reply.text == message, f"{text!r} got {reply.text!r}"
        assert reply.button_texts == [t("button-cancel")], text  # still in the flow

    await alice.telegram.send_sticker(ALICE)
    reply = await alice.telegram.wait_for_message(ALICE)
    assert reply.text == t("order-send-text")

    assert alice.telegram.calls_to("sendInvoice") == []
    # Still asking: the limits themselves are accepted, and a comma works as the separator.
    for text, stars in (("200", 10_000), ("1", 50), ("7,50", 375)):
        if text != "200":  # an invoice ends the flow: ask again
            await alice.say("/topup")
            await alice.tap_next(t("topup-button-other"))
        invoice = await alice.say(text)
        assert invoice.invoice is not None, f"{text!r}: {invoice.plain_text!r}"
        assert invoice.invoice["total_amount"] == stars


async def test_a_forged_preset_outside_the_limits_sends_no_invoice(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    choose = await alice.say("/topup")
    # A negative amount cannot even be unpacked: it is an outdated button (random-updates test).
    for micros in (1, 200_000_001):
        reply = await alice.tap_data(
            choose.message_id, TopupCallback.model_construct(micros=micros).pack()
        )
        assert reply.invoice is None
        assert reply.text == t("topup-out-of-range", minimum="$1.00", maximum="$200.00")
    assert alice.telegram.calls_to("sendInvoice") == []


# --- pre-checkout -------------------------------------------------------------------------


async def test_pre_checkout_is_answered_ok_at_once_without_asking_the_panel(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    await alice.start()
    invoice = await invoice_for(alice, "$10.00")
    assert invoice.invoice is not None

    # A slow panel must not delay the answer: Telegram gives up after 10 seconds.
    storefront.panel.latency = 3.0
    panel_calls = len(storefront.panel.calls)
    started = time.monotonic()
    query = await alice.telegram.pre_checkout(
        ALICE,
        currency="XTR",
        total_amount=invoice.invoice["total_amount"],
        invoice_payload=invoice.params["payload"],
    )
    answer = await alice.telegram.wait_for_pre_checkout_answer(query)
    elapsed = time.monotonic() - started
    storefront.panel.latency = 0.0
    assert answer.ok is True
    assert answer.error_message is None
    assert elapsed < 2.0, f"pre-checkout took {elapsed:.2f}s"  # < the panel's 3 s alone
    assert len(storefront.panel.calls) == panel_calls
    # Nothing is credited before the payment itself.
    assert await storefront.balance(ALICE) == Money.zero()
    assert await storefront.r.database.fetch_value("SELECT COUNT(*) FROM payments") == 0


async def test_pre_checkout_refuses_what_does_not_match_the_invoice(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    invoice = await invoice_for(alice, "$10.00")
    payload = invoice.params["payload"]
    other_payload = (await invoice_for(alice, "$25.00")).params["payload"]
    invalid = t("topup-invalid-invoice")
    out_of_range = t("topup-out-of-range", minimum="$1.00", maximum="$200.00")

    cases = [
        ("tampered payload", "XTR", 500, "topup:abc", invalid),
        ("payload of another invoice", "XTR", 500, other_payload, invalid),
        ("foreign payload", "XTR", 500, "order:7", invalid),
        ("wrong total", "XTR", 499, payload, invalid),
        ("wrong currency", "USD", 500, payload, invalid),
        ("above TOPUP_MAX", "XTR", 10_050, "topup:201000000", out_of_range),
        ("below TOPUP_MIN", "XTR", 25, "topup:500000", out_of_range),
    ]
    for name, currency, total, invoice_payload, message in cases:
        query = await alice.telegram.pre_checkout(
            ALICE, currency=currency, total_amount=total, invoice_payload=invoice_payload
        )
        answer = await alice.telegram.wait_for_pre_checkout_answer(query)
        assert answer.ok is False, name
        assert answer.error_message == message, f"{name}: {answer.error_message!r}"

    # The genuine invoice still passes.
    query = await alice.telegram.pre_checkout(
        ALICE, currency="XTR", total_amount=500, invoice_payload=payload
    )
    assert (await alice.telegram.wait_for_pre_checkout_answer(query)).ok is True


async def test_pre_checkout_refuses_a_banned_user(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    invoice = await invoice_for(alice, "$10.00")
    banned = await admin_says(storefront, f"/ban {ALICE}")
    assert banned.text == t("admin-banned", user_id=ALICE)

    query = await alice.telegram.pre_checkout(
        ALICE, currency="XTR", total_amount=500, invoice_payload=invoice.params["payload"]
    )
    answer = await alice.telegram.wait_for_pre_checkout_answer(query)
    assert answer.ok is False
    assert answer.error_message == t("banned")


# --- the payment ------------------------------------------------------------------------


async def test_a_payment_is_credited_once_with_a_receipt_and_a_ledger_entry(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    invoice = await invoice_for(alice, "$10.00")
    charge_id = await alice.telegram.pay_invoice(ALICE)
    receipt = await alice.telegram.wait_for_message(ALICE, contains=charge_id)
    assert receipt.text == t(
        "topup-receipt", amount="$10.00", stars=500, balance="$10.00", charge_id=charge_id
    )

    assert await storefront.balance(ALICE) == money("10")
    assert await ledger_of(storefront, ALICE) == [(EntryKind.TOPUP, money("10"), charge_id)]
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None
    assert (payment.user_id, payment.stars, payment.amount, payment.status) == (
        ALICE,
        500,
        money("10"),
        PAID,
    )
    assert payment.payload == invoice.params["payload"]

    # Telegram delivers the same payment again, twice at once: nothing more is credited.
    sent_before = len(alice.telegram.messages(ALICE))
    with LogWatch("handlers.payments") as log:
        for _ in range(2):
            await alice.telegram.successful_payment(
                ALICE,
                currency="XTR",
                total_amount=500,
                invoice_payload=invoice.params["payload"],
                telegram_payment_charge_id=charge_id,
            )
        await log.wait_for("delivered again", times=2)
    assert await storefront.balance(ALICE) == money("10")
    assert len(await ledger_of(storefront, ALICE)) == 1
    assert len(alice.telegram.messages(ALICE)) == sent_before  # no second receipt


async def test_two_payments_credit_twice(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    await alice.start()
    first = await pay(alice, "$10.00")
    second = await pay(alice, "$5.00")
    assert first != second
    assert await storefront.balance(ALICE) == money("15")
    assert await ledger_of(storefront, ALICE) == [
        (EntryKind.TOPUP, money("10"), first),
        (EntryKind.TOPUP, money("5"), second),
    ]
    receipts = [m for m in alice.telegram.messages(ALICE) if m.text and first in m.text]
    assert len(receipts) == 1
    assert (alice.telegram.last_message(ALICE) or receipts[0]).contains("$15.00")


async def test_a_banned_users_payment_is_still_credited(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    invoice = await invoice_for(alice, "$10.00")
    query = await alice.telegram.pre_checkout(
        ALICE, currency="XTR", total_amount=500, invoice_payload=invoice.params["payload"]
    )
    assert (await alice.telegram.wait_for_pre_checkout_answer(query)).ok is True
    # Banned between the pre-checkout and the payment: the Stars are taken all the same.
    await admin_says(storefront, f"/ban {ALICE}")

    charge_id = await alice.telegram.successful_payment(
        ALICE, currency="XTR", total_amount=500, invoice_payload=invoice.params["payload"]
    )
    receipt = await alice.telegram.wait_for_message(ALICE, contains=charge_id)
    assert receipt.text == t(
        "topup-receipt", amount="$10.00", stars=500, balance="$10.00", charge_id=charge_id
    )
    assert await storefront.balance(ALICE) == money("10")
    # …while everything else stays closed to them.
    assert (await alice.say("/balance")).text == t("banned")


async def test_a_payment_is_credited_whatever_flow_the_chat_is_in(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    invoice = await invoice_for(alice, "$10.00")
    # She starts typing a custom amount, then pays the earlier invoice.
    await alice.say("/topup")
    await alice.tap_next(t("topup-button-other"))
    charge_id = await alice.telegram.pay_invoice(ALICE)
    await alice.telegram.wait_for_message(ALICE, contains=charge_id)
    assert await storefront.balance(ALICE) == money("10")
    assert invoice.invoice is not None
    # The custom-amount flow is still waiting for her amount.
    assert (await alice.say("3")).invoice is not None


async def test_an_admin_composing_a_broadcast_is_credited_for_a_payment(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN)
    await admin.start()
    invoice = await invoice_for(admin, "$10.00")
    await admin.say("/broadcast")
    charge_id = await admin.telegram.successful_payment(
        ADMIN, currency="XTR", total_amount=500, invoice_payload=invoice.params["payload"]
    )
    reply = await admin.telegram.wait_for_message(ADMIN)
    assert reply.contains(charge_id), reply.plain_text
    assert await storefront.balance(ADMIN) == money("10")


# --- refunds ------------------------------------------------------------------------------


async def test_refund_of_an_unspent_top_up(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    charge_id = await pay(alice, "$10.00")
    await storefront.credit(ALICE, "2")  # other money on the balance stays

    reply = await admin_says(storefront, f"/refund {charge_id}")
    assert reply.text == t("admin-refund-done", amount="$10.00")
    assert storefront.telegram.calls_to("refundStarPayment") == [
        {"user_id": ALICE, "telegram_payment_charge_id": charge_id}
    ]
    assert storefront.telegram.refunds == [(ALICE, charge_id)]
    assert await storefront.balance(ALICE) == money("2")
    assert (await ledger_of(storefront, ALICE))[-1] == (
        EntryKind.TOPUP_REFUND,
        -money("10"),
        charge_id,
    )
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None
    assert payment.status == REFUNDED
    assert payment.refunded_at is not None
    notice = await alice.telegram.wait_for_message(ALICE, contains="500")
    assert notice.text == t("topup-refunded-notice", stars=500, amount="$10.00")

    again = await admin_says(storefront, f"/refund {charge_id}")
    assert again.text == t("admin-refund-already")
    assert len(storefront.telegram.calls_to("refundStarPayment")) == 1
    assert await storefront.balance(ALICE) == money("2")


async def test_refund_is_refused_when_the_top_up_was_spent(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    charge_id = await pay(alice, "$10.00")
    await storefront.r.ledger.post(
        ALICE, EntryKind.ORDER_CHARGE, -money("6.50"), reference="order:1"
    )
    ledger_before = await ledger_of(storefront, ALICE)

    reply = await admin_says(storefront, f"/refund {charge_id}")
    assert reply.text == t("admin-refund-spent", balance="$3.50")
    assert storefront.telegram.calls_to("refundStarPayment") == []
    assert await ledger_of(storefront, ALICE) == ledger_before
    assert await storefront.balance(ALICE) == money("3.50")
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == PAID


async def test_refund_usage_unknown_charge_and_customers(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    charge_id = await pay(alice, "$10.00")

    assert (await admin_says(storefront, "/refund")).text == t("admin-refund-usage")
    assert (await admin_says(storefront, "/refund a b")).text == t("admin-refund-usage")
    unknown = await admin_says(storefront, "/refund stxNOPE")
    assert unknown.text == t("admin-refund-not-found")
    # For a customer /refund does not exist, whatever the charge id.
    reply = await alice.say(f"/refund {charge_id}")
    assert reply.text == t("fallback-unknown-command")

    assert storefront.telegram.calls_to("refundStarPayment") == []
    assert await storefront.balance(ALICE) == money("10")
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == PAID


async def test_refund_refused_by_telegram_gives_the_money_back_and_can_be_retried(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    charge_id = await pay(alice, "$10.00")
    # The bot's own Stars balance is too low (the owner withdrew it): Telegram says no.
    storefront.telegram.fail_next(
        "refundStarPayment", error_code=400, description="Bad Request: BALANCE_TOO_LOW"
    )
    reply = await admin_says(storefront, f"/refund {charge_id}")
    assert reply.text == t("admin-refund-refused", reason="Bad Request: BALANCE_TOO_LOW")
    assert await storefront.balance(ALICE) == money("10")
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == PAID
    assert storefront.telegram.refunds == []
    assert await storefront.r.ledger.mismatched_balances() == []

    # The owner tops the bot's Stars up and tries again: now it goes through.
    again = await admin_says(storefront, f"/refund {charge_id}")
    assert again.text == t("admin-refund-done", amount="$10.00")
    assert storefront.telegram.refunds == [(ALICE, charge_id)]
    assert await storefront.balance(ALICE) == Money.zero()
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == REFUNDED
    notice = t("topup-refunded-notice", stars=500, amount="$10.00")
    await alice.telegram.wait_for_message(ALICE, contains=notice)
    assert [m.text for m in alice.telegram.messages(ALICE) if m.text == notice] == [notice]


async def test_refund_after_a_network_failure_is_held_and_finished_by_a_second_refund(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    charge_id = await pay(alice, "$10.00")
    storefront.telegram.fail_next("refundStarPayment", error_code=502, description="Bad Gateway")
    reply = await admin_says(storefront, f"/refund {charge_id}")
    assert reply.text == t("admin-refund-retry", reason="Bad Gateway")
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == REFUNDING
    assert await storefront.balance(ALICE) == Money.zero()  # held: cannot be spent meanwhile

    done = await admin_says(storefront, f"/refund {charge_id}")
    assert done.text == t("admin-refund-done", amount="$10.00")
    assert storefront.telegram.refunds == [(ALICE, charge_id)]
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == REFUNDED
    assert await ledger_of(storefront, ALICE) == [
        (EntryKind.TOPUP, money("10"), charge_id),
        (EntryKind.TOPUP_REFUND, -money("10"), charge_id),
    ]


async def test_refund_whose_answer_was_lost_but_telegram_did_it_is_finished(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    charge_id = await pay(alice, "$10.00")
    storefront.telegram.fail_next("refundStarPayment", error_code=500, description="Internal")
    await admin_says(storefront, f"/refund {charge_id}")
    # Telegram did refund (say, the answer was lost on the way back).
    bot = make_bot(storefront.telegram)
    try:
        assert await bot.refund_star_payment(ALICE, charge_id) is True
    finally:
        await bot.session.close()

    done = await admin_says(storefront, f"/refund {charge_id}")
    assert done.text == t("admin-refund-done", amount="$10.00")
    payment = await storefront.r.payments.get(charge_id)
    assert payment is not None and payment.status == REFUNDED
    assert await storefront.balance(ALICE) == Money.zero()


# --- the ledger view ----------------------------------------------------------------------


async def test_history_pages_through_every_movement_newest_first(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    # (what the line says, amount as shown), in the order they happen.
    movements: list[tuple[str, str]] = []

    await admin_says(storefront, f"/addbalance {ALICE} 5 welcome bonus")
    await alice.telegram.wait_for_message(ALICE, contains="💰")
    movements.append((t("ledger-admin-credit-reason", reason="welcome bonus"), "+$5.00"))
    first = await pay(alice, "$10.00")
    movements.append((t("ledger-topup-stars"), "+$10.00"))
    for order_id in range(1, 16):
        await storefront.r.ledger.post(
            ALICE, EntryKind.ORDER_CHARGE, -money("0.50"), reference=f"order:{order_id}"
        )
        movements.append((t("ledger-order-charge", order_id=order_id), "-$0.50"))
    await storefront.r.ledger.post(
        ALICE, EntryKind.ORDER_CHARGE, -money("0.123456"), reference="order:16"
    )
    movements.append((t("ledger-order-charge", order_id=16), "-$0.123456"))
    await storefront.r.ledger.post(
        ALICE, EntryKind.ORDER_REFUND, money("0.25"), reference="order:3"
    )
    movements.append((t("ledger-order-refund", order_id=3), "+$0.25"))
    second = await pay(alice, "$25.00")
    movements.append((t("ledger-topup-stars"), "+$25.00"))
    refunded = await admin_says(storefront, f"/refund {second}")
    assert refunded.text == t("admin-refund-done", amount="$25.00")
    await alice.telegram.wait_for_message(ALICE, contains="↩️")
    movements.append((t("ledger-topup-refund-stars"), "-$25.00"))
    await admin_says(storefront, f"/subbalance {ALICE} 1 correction")
    await alice.telegram.wait_for_message(ALICE, contains="correction")
    movements.append((t("ledger-admin-debit-reason", reason="correction"), "-$1.00"))
    assert len(movements) == 22
    # 5 + 10 − 15 × 0.50 − 0.123456 + 0.25 + 25 − 25 − 1
    assert await storefront.balance(ALICE) == money("6.626544")

    screen = await alice.say("/balance")
    assert screen.plain_text.startswith(
        t("balance-title", balance="$6.626544").replace("<b>", "").replace("</b>", "")
    )

    newest_first = list(reversed(movements))
    now = datetime.now(UTC)

    def check_page(message: BotMessage, number: int) -> None:
        lines = message.plain_text.split("\n")
        assert lines[0] == re.sub(r"</?b>", "", t("history-title", count=22))
        shown = lines[2:]
        wanted = newest_first[number * 10 : number * 10 + 10]
        assert len(shown) == len(wanted), shown
        # Never a raw reference: no charge id, no admin's Telegram id.
        assert str(ADMIN) not in message.plain_text
        assert first not in message.plain_text and second not in message.plain_text
        for line, (what, amount) in zip(shown, wanted, strict=True):
            date, rest = line[:16], line[16:]
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", date), line
            written = datetime.strptime(date, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            assert abs(now - written) < timedelta(minutes=5), line  # just now, in UTC
            assert rest == f" · {amount} · {what}", line

    page = await alice.tap_next(t("button-history"))
    check_page(page, 0)
    assert page.button_texts == ["1/3", t("button-next"), t("button-back")]
    page = await alice.tap_next(t("button-next"))
    check_page(page, 1)
    assert page.button_texts == [t("button-previous"), "2/3", t("button-next"), t("button-back")]
    page = await alice.tap_next(t("button-next"))
    check_page(page, 2)
    assert page.button_texts == [t("button-previous"), "3/3", t("button-back")]
    page = await alice.tap_next(t("button-previous"))
    check_page(page, 1)
    # A stale or forged page number shows the nearest real page.
    page = await alice.tap_data(page.message_id, LedgerPage(page=99).pack())
    check_page(page, 2)
    back = await alice.tap_next(t("button-back"))
    assert back.plain_text.startswith("💰")

    # Another customer sees only their own (empty) history.
    bob = storefront.user(BOB)
    await bob.start()
    await bob.say("/balance")
    assert (await bob.tap_next(t("button-history"))).text == t("history-empty")


# --- support, languages, currency, commands -----------------------------------------------


async def test_paysupport_explains_refunds_and_names_the_contact(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    reply = await alice.say("/paysupport")

    def stars_only(t: Translator, contact: str) -> str:
        parts = [t("paysupport-title"), t("paysupport-stars", contact=contact, minutes=0)]
        return "\n\n".join([*parts, t("paysupport-spent")])

    # Only Stars is enabled: only Stars is described.
    assert reply.text == stars_only(t, t("paysupport-contact-admin"))
    assert "Crypto Pay" not in reply.text

    await restart(storefront, SUPPORT_CONTACT="@shop_help")
    reply = await alice.say("/paysupport")
    assert reply.text == stars_only(t, "@shop_help")
    assert "@shop_help" in reply.plain_text
    ivan = storefront.user(IVAN, language="ru")
    await ivan.start()
    reply = await ivan.say("/paysupport")
    assert reply.text == stars_only(ivan.t, "@shop_help")
    assert reply.text != stars_only(t, "@shop_help")


async def test_amounts_are_written_the_way_each_language_writes_them(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    ivan = storefront.user(IVAN, language="ru")
    for chat in (alice, ivan):
        await chat.start()
        await storefront.credit(chat.user_id, "12.50")

    english = await alice.say("/balance")
    assert english.text is not None
    assert english.text.startswith(alice.t("balance-title", balance="$12.50"))
    russian = await ivan.say("/balance")
    assert russian.text is not None
    assert russian.text.startswith(ivan.t("balance-title", balance=f"12,50{NBSP}$"))

    choose = await ivan.say("/topup")
    assert choose.button_texts[:4] == [f"{amount},00{NBSP}$" for amount in (5, 10, 25, 50)]
    invoice = await ivan.tap_next(f"10,00{NBSP}$")
    assert f"10,00{NBSP}$" in invoice.params["title"]


async def test_shop_currency_setting_is_used_in_prices(storefront: Storefront) -> None:
    await restart(storefront, SHOP_CURRENCY="eur")
    alice = storefront.user(ALICE)
    await alice.start()
    choose = await alice.say("/topup")
    assert choose.button_texts[:4] == ["€5.00", "€10.00", "€25.00", "€50.00"]
    assert choose.text is not None and "€1.00 = 50 ⭐" in choose.text


async def test_an_invoice_title_stays_within_telegrams_32_characters(
    storefront: Storefront,
) -> None:
    await restart(storefront, SHOP_CURRENCY="CHF")
    ivan = storefront.user(IVAN, language="ru")
    t = ivan.t
    await ivan.start()
    await ivan.say("/topup")
    await ivan.tap_next(t("topup-button-other"))
    invoice = await ivan.say("199,999999")
    assert invoice.invoice is not None, invoice.plain_text
    amount = f"199,999999{NBSP}CHF"
    assert len(t("topup-invoice-title", amount=amount)) > 32  # the case being tested
    assert invoice.params["title"] == amount
    assert amount in invoice.params["description"]
    assert invoice.invoice["total_amount"] == 10_000  # ceil(199.999999 × 50)


async def test_without_shop_currency_the_panels_currency_is_used(storefront: Storefront) -> None:
    """The real start-up (``bot.app.run``): it asks the panel for its currency."""
    await storefront.stop()
    storefront.panel.currency = "EUR"
    settings = make_settings(
        storefront.panel,
        storefront.database_path,
        TELEGRAM_API_URL=storefront.telegram.base_url,
    )
    assert settings.SHOP_CURRENCY is None
    bot_run = asyncio.create_task(run(settings))
    try:
        alice = storefront.user(ALICE)
        await alice.start()
        choose = await alice.say("/topup")
        assert choose.button_texts[:4] == ["€5.00", "€10.00", "€25.00", "€50.00"]
    finally:
        await stop_as_on_sigterm(bot_run)


async def stop_as_on_sigterm(bot_run: asyncio.Task[None]) -> None:
    """Stop ``run()`` the way ``docker stop`` does: its polling handles SIGTERM gracefully."""
    loop = asyncio.get_running_loop()
    try:
        if bot_run.done():
            bot_run.result()
        # Only with the loop's handler in place: the default action would end pytest itself.
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None), "no handler"
        os.kill(os.getpid(), signal.SIGTERM)
        async with asyncio.timeout(5):
            await bot_run
    finally:
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signal_number)
        if not bot_run.done():
            bot_run.cancel()
            with suppress(asyncio.CancelledError):
                await bot_run


async def test_bot_commands_offer_topup_and_paysupport_in_every_language(
    storefront: Storefront,
) -> None:
    for language in ("en", "ru"):
        t = storefront.translations.get(language)
        commands = storefront.telegram.commands_for(language_code=language)
        assert {"command": "topup", "description": t("command-topup")} in commands
        assert {"command": "paysupport", "description": t("command-paysupport")} in commands
    english = storefront.translations.get("en")
    russian = storefront.translations.get("ru")
    assert english("command-topup") != russian("command-topup")
    default = storefront.telegram.commands_for()
    assert {"command": "paysupport", "description": english("command-paysupport")} in default
