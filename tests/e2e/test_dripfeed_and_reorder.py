"""Drip-feed and Order again, as a customer walks them: the panel gets runs and interval, the
price covers every run, a Partial refund shares it over all runs; an order is repeated at
today's price, or the customer is told what changed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.app import Services
from bot.services.ordering import MAX_INTERVAL_MINUTES, MAX_RUNS
from bot.services.stats import collect, daily
from bot.telegram.i18n import Markup, Translator
from bot.testing.panel import PARTIAL
from storage.ledger import EntryKind
from tests.e2e.conftest import ALICE, BOB, Storefront
from tests.e2e.journey import (
    FOLLOWERS,
    INSTAGRAM_LINK,
    POLL,
    confirm_data,
    ledger,
    money,
    orders_of,
    usd,
)

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")


def services(front: Storefront) -> Services:
    assert front.services is not None, "the bot is not running"
    return front.services


def dripfeed(t: Translator, quantity: int, runs: int, interval: int) -> Markup:
    """The quantity a card shows for a drip-feed order."""
    return Markup(
        t(
            "dripfeed-quantity",
            quantity=quantity,
            runs=runs,
            interval=interval,
            total=quantity * runs,
        )
    )


async def test_a_dripfeed_order_is_priced_per_run_placed_with_runs_and_synced(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    card = await alice.reach_confirmation(quantity="1000")
    assert card.button_texts == [t("button-confirm"), t("button-cancel"), t("button-dripfeed")]

    first_confirm = confirm_data(card, t)
    ask_runs = await alice.tap(t("button-dripfeed"), message_id=card.message_id)
    assert ask_runs.text == t("order-ask-runs", quantity=1000, maximum=MAX_RUNS)
    assert ask_runs.button_texts == [t("button-cancel")]
    for wrong in ("0", str(MAX_RUNS + 1), "two", "2.5", "-3"):
        refused = await alice.say(wrong)
        assert refused.text == t("order-runs-invalid", maximum=MAX_RUNS), wrong
        assert refused.button_texts == [t("button-cancel")]
    # A command is no answer: the fallback says so, and the form is still waiting for runs.
    unknown = await alice.say("/runs")
    assert unknown.text == t("fallback-unknown-command")
    ask_interval = await alice.say("5")
    assert ask_interval.text == t("order-ask-interval", runs=5, maximum=MAX_INTERVAL_MINUTES)
    for wrong in ("0", str(MAX_INTERVAL_MINUTES + 1), "1h", "0.5"):
        refused = await alice.say(wrong)
        assert refused.text == t(
            "order-interval-invalid", minimum=1, maximum=MAX_INTERVAL_MINUTES
        ), wrong
    drip_card = await alice.say("30")
    # 0.90 × 1.2 per 1000 × 1000 × 5 runs, exactly.
    assert drip_card.text == t(
        "confirm-card",
        service=FOLLOWERS.name,
        link=INSTAGRAM_LINK,
        quantity=dripfeed(t, 1000, 5, 30),
        price=usd(t, "5.40"),
        balance=usd(t, "100.00"),
        after=usd(t, "94.60"),
    )
    assert storefront.panel.count("add") == 0
    # The card before drip-feed was chosen no longer pays.
    stale = await alice.press_data(card.message_id, first_confirm)
    assert (stale.text, stale.show_alert) == (t("order-confirmation-expired"), True)

    placed = await alice.tap(t("button-confirm"), message_id=drip_card.message_id)
    [order] = await orders_of(storefront, ALICE)
    assert (order.quantity, order.runs, order.interval, order.price) == (
        1000,
        5,
        30,
        money("5.40"),
    )
    assert storefront.panel.calls_of("add") == [
        {
            "service": "1",
            "link": INSTAGRAM_LINK,
            "quantity": "1000",
            "runs": "5",
            "interval": "30",
        }
    ]
    assert t("order-card", id=order.id, service=FOLLOWERS.name, link=INSTAGRAM_LINK,
             quantity=dripfeed(t, 1000, 5, 30), charge=usd(t, "5.40"),
             status=t("status-pending"), start_count=t("word-unknown"),
             remains=t("word-unknown"), created=order.created_at,
             updated=order.updated_at) in (placed.text or "")  # fmt: skip
    assert await storefront.balance(ALICE) == money("94.60")
    # The owner's figures count the panel's cost of every run (0.90 per 1000 × 1000 × 5), in
    # /stats and in the chart and dashboard alike.
    figures = await collect(storefront.r, services(storefront).panels)
    [today] = await daily(storefront.r, 1)
    assert (figures.today.cost, today.cost) == (money("4.50"), money("4.50"))

    # The panel delivers 3,750 of the 5,000: the refund is the undelivered quarter of the
    # whole price, once, and the sync tells the chat.
    assert order.upstream_id is not None
    storefront.panel.set_status(order.upstream_id, PARTIAL, remains=1250, start_count=10)
    mark = storefront.telegram.seq
    await services(storefront).status_sync.run_round()
    notice = await storefront.telegram.wait_for_message(
        ALICE, after=mark, contains=t("status-partial")
    )
    assert t("notify-refund", amount=usd(t, "1.35")) in (notice.text or "")
    assert await storefront.balance(ALICE) == money("95.95")
    refunds = [
        entry for entry in await ledger(storefront, ALICE) if entry[0] == EntryKind.ORDER_REFUND
    ]
    assert refunds == [(EntryKind.ORDER_REFUND, money("1.35"), f"order:{order.id}")]
    assert await storefront.r.ledger.mismatched_balances() == []


async def test_one_run_delivers_at_once_and_cancel_leaves_the_form(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, language="ru", first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    card = await alice.reach_confirmation(quantity="500")
    await alice.tap(t("button-dripfeed"), message_id=card.message_id)
    at_once = await alice.say("1")  # no interval asked: the plain card again
    assert at_once.text == t(
        "confirm-card",
        service=FOLLOWERS.name,
        link=INSTAGRAM_LINK,
        quantity=500,
        price=usd(t, "0.54"),
        balance=usd(t, "10.00"),
        after=usd(t, "9.46"),
    )
    await alice.tap(t("button-dripfeed"), message_id=at_once.message_id)
    await alice.say("3")
    left = await alice.tap(t("button-cancel"))
    assert left.text == t("flow-cancelled")
    assert storefront.panel.count("add") == 0
    assert await storefront.balance(ALICE) == money("10")


async def test_order_again_at_todays_price_or_saying_what_changed(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    await alice.reach_confirmation(quantity="1000")
    placed = await alice.tap(t("button-confirm"))
    [first] = await orders_of(storefront, ALICE)
    assert t("button-order-again") in placed.button_texts

    # The panel doubled its rate since: the same order, straight to a card at today's price.
    storefront.panel.services[FOLLOWERS.service_id].rate = Decimal("1.80")
    await services(storefront).catalog.refresh()
    answer = await alice.press(t("button-order-again"), message_id=placed.message_id)
    assert answer.text is None
    again = await alice.next_message()
    assert again.message_id != placed.message_id  # the order's card stays as it was
    assert again.text == t(
        "confirm-card",
        service=FOLLOWERS.name,
        link=INSTAGRAM_LINK,
        quantity=1000,
        price=usd(t, "2.16"),
        balance=usd(t, "98.92"),
        after=usd(t, "96.76"),
    )
    await alice.tap(t("button-confirm"), message_id=again.message_id)
    [_, second] = await orders_of(storefront, ALICE)
    assert (second.link, second.quantity, second.price) == (INSTAGRAM_LINK, 1000, money("2.16"))
    assert storefront.panel.calls_of("add")[1] == {
        "service": "1",
        "link": INSTAGRAM_LINK,
        "quantity": "1000",
    }

    # Someone else's order, by a forged button: nothing leaks, nothing starts.
    bob = storefront.user(BOB, first_name="Alice")
    await bob.start()
    stranger = await bob.press_data((await bob.say("/menu")).message_id, f"ra:{first.id}")
    assert (stranger.text, stranger.show_alert) == (bob.t("order-not-found"), True)

    # The smallest quantity went up: the customer is told which limit, and asked again.
    storefront.panel.services[FOLLOWERS.service_id].min_quantity = 2000
    await services(storefront).catalog.refresh()
    await alice.press(t("button-order-again"), message_id=placed.message_id)
    reasked = await alice.next_message()
    assert reasked.text == (
        t("reorder-limits-changed", limit="minimum", minimum=2000, maximum=10000, previous=1000)
        + "\n\n"
        + t("order-ask-quantity", min=2000, max=10000, price=usd(t, "2.16"))
    )
    card = await alice.say("2000")
    assert card.text is not None and usd(t, "4.32") in card.text
    await alice.tap(t("button-cancel"), message_id=card.message_id)

    # The largest one went down below it.
    storefront.panel.services[FOLLOWERS.service_id].min_quantity = 50
    storefront.panel.services[FOLLOWERS.service_id].max_quantity = 500
    await services(storefront).catalog.refresh()
    await alice.press(t("button-order-again"), message_id=placed.message_id)
    reasked = await alice.next_message()
    assert reasked.text is not None and reasked.text.startswith(
        t("reorder-limits-changed", limit="maximum", minimum=50, maximum=500, previous=1000)
    )

    # The service is gone from the panel: a clear answer, and the flow is not touched.
    del storefront.panel.services[FOLLOWERS.service_id]
    await services(storefront).catalog.refresh()
    screen = alice.screen()
    gone = await alice.press(t("button-order-again"), message_id=placed.message_id)
    assert (gone.text, gone.show_alert) == (t("reorder-service-gone", id=first.id), True)
    assert alice.screen() == screen
    assert len(await orders_of(storefront, ALICE)) == 2


async def test_order_again_of_dripfeed_and_poll_orders(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    card = await alice.reach_confirmation(quantity="1000")
    await alice.tap(t("button-dripfeed"), message_id=card.message_id)
    await alice.say("4")
    drip_card = await alice.say("15")
    drip_placed = await alice.tap(t("button-confirm"), message_id=drip_card.message_id)

    await alice.begin_order(service=POLL.name, category="Telegram")
    await alice.say("https://t.me/alice_channel/42")
    await alice.say("200")
    poll_card = await alice.say("3")
    poll_placed = await alice.tap(t("button-confirm"), message_id=poll_card.message_id)

    # Runs and interval, the poll's answer: all repeated, nothing asked.
    await alice.press(t("button-order-again"), message_id=drip_placed.message_id)
    again = await alice.next_message()
    assert again.text is not None
    assert str(dripfeed(t, 1000, 4, 15)) in again.text and usd(t, "4.32") in again.text
    await alice.press(t("button-order-again"), message_id=poll_placed.message_id)
    poll_again = await alice.next_message()
    assert poll_again.text is not None and t("confirm-card", service=POLL.name,
        link="https://t.me/alice_channel/42", quantity=200, price=usd(t, "0.18"),
        balance=usd(t, "95.5"), after=usd(t, "95.32")) == poll_again.text  # fmt: skip
    await alice.tap(t("button-confirm"), message_id=poll_again.message_id)
    assert storefront.panel.calls_of("add")[-1] == {
        "service": "5",
        "link": "https://t.me/alice_channel/42",
        "quantity": "200",
        "answer_number": "3",
    }

    # The panel stopped offering drip-feed for the service: said so, nothing started.
    storefront.panel.services[FOLLOWERS.service_id].dripfeed = False
    await services(storefront).catalog.refresh()
    refused = await alice.press(t("button-order-again"), message_id=drip_placed.message_id)
    assert (refused.text, refused.show_alert) == (t("reorder-dripfeed-unavailable"), True)
