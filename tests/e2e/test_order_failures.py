"""Orders that do not simply go through: short balance, double presses, a panel that says no,
a panel whose answer is lost, a panel that cannot be reached."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.testing.user import ChatUser
from storage.ledger import EntryKind
from tests.e2e.conftest import ADMIN, ALICE, Storefront
from tests.e2e.journey import (
    FOLLOWERS,
    INSTAGRAM_LINK,
    confirm_data,
    ledger,
    money,
    orders_of,
)

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")


class AdminReference:
    """Equal to the ledger reference of any one admin command message: admin:<chat>:<message>."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.fullmatch(rf"admin:{ADMIN}:[0-9]+", other) is not None

    def __repr__(self) -> str:
        return f"admin:{ADMIN}:<message id>"


async def test_short_balance_says_what_is_missing_and_confirm_works_after_a_top_up(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "1")

    card = await alice.reach_confirmation()
    assert card.text == (
        t(
            "confirm-card",
            service=FOLLOWERS.name,
            link=INSTAGRAM_LINK,
            quantity=1000,
            price="$1.08",
            balance="$1.00",
            after="-$0.08",
        )
        + "\n\n"
        + t("confirm-not-enough", missing="$0.08")
    )
    assert card.button_texts == [
        t("button-confirm"),
        t("button-cancel"),
        t("button-dripfeed"),
        t("button-top-up"),
    ]

    answer = await alice.press(t("button-confirm"), message_id=card.message_id)
    assert answer.show_alert is False
    short = await alice.next_message()
    assert short.text == t("order-not-enough-balance", balance="$1.00", missing="$0.08")
    assert t("button-top-up") in short.button_texts
    assert storefront.panel.count("add") == 0
    assert await storefront.balance(ALICE) == money("1")
    assert await ledger(storefront, ALICE) == [(EntryKind.ADMIN_CREDIT, money("1"), None)]
    # Nothing was charged, so no order exists either (not even a failed one).
    assert await orders_of(storefront, ALICE) == []

    how_to = await alice.tap(t("button-top-up"), message_id=short.message_id)
    assert t("balance-how-to-top-up", user_id=ALICE) in how_to.content
    assert t("balance-title", balance="$1.00") in how_to.content

    await storefront.telegram.send_message(ADMIN, f"/addbalance {ALICE} 5", language_code="en")
    admin_reply = await storefront.telegram.wait_for_message(ADMIN)
    english = storefront.translations.get("en")
    assert admin_reply.text == english(
        "admin-balance-credited", user_id=ALICE, amount="$5.00", balance="$6.00"
    )
    notice = await alice.next_message()
    assert notice.text == t("balance-credited-notice", amount="$5.00", balance="$6.00")

    placed = await alice.tap(t("button-confirm"), message_id=card.message_id)
    [order] = await orders_of(storefront, ALICE)
    assert placed.content.startswith(t("order-placed", id=order.id, service=FOLLOWERS.name))
    assert await storefront.balance(ALICE) == money("4.92")
    assert await ledger(storefront, ALICE) == [
        (EntryKind.ADMIN_CREDIT, money("1"), None),
        (EntryKind.ADMIN_CREDIT, money("5"), AdminReference()),
        (EntryKind.ORDER_CHARGE, -money("1.08"), f"order:{order.id}"),
    ]
    assert storefront.panel.count("add") == 1


async def test_confirm_pressed_twice_places_one_order(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    card = await alice.reach_confirmation()
    confirm = confirm_data(card, t)

    # The first press is still waiting for the panel when the second one is handled.
    storefront.panel.latency = 0.2
    first = await alice.telegram.click(ALICE, card.message_id, confirm)
    second = await alice.telegram.click(ALICE, card.message_id, confirm)
    answers = [await alice.telegram.wait_for_callback_answer(query) for query in (first, second)]
    storefront.panel.latency = 0
    assert sorted((answer.text or "", answer.show_alert) for answer in answers) == [
        ("", False),
        (t("order-already-placed"), True),
    ]

    # And once more, much later, with the Confirm button of the old card.
    late = await alice.press_data(card.message_id, confirm)
    assert (late.text, late.show_alert) == (t("order-already-placed"), True)

    [order] = await orders_of(storefront, ALICE)
    assert storefront.panel.count("add") == 1
    assert len(storefront.panel.orders) == 1
    assert await ledger(storefront, ALICE) == [
        (EntryKind.ADMIN_CREDIT, money("10"), None),
        (EntryKind.ORDER_CHARGE, -money("1.08"), f"order:{order.id}"),
    ]
    assert await storefront.balance(ALICE) == money("8.92")


async def test_cancel_pressed_while_confirm_is_charging_does_not_say_cancelled(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    card = await alice.reach_confirmation()
    cancel = str(card.button(t("button-cancel"))["callback_data"])

    storefront.panel.latency = 0.5  # Confirm has charged and waits for the panel's add
    confirm = await alice.telegram.click(ALICE, card.message_id, confirm_data(card, t))
    await storefront.panel.wait_until(lambda: storefront.panel.count("add") == 1)
    answer = await alice.press_data(card.message_id, cancel)
    assert (answer.text, answer.show_alert) == (t("order-already-being-placed"), True)
    await alice.telegram.wait_for_callback_answer(confirm)
    storefront.panel.latency = 0

    [order] = await orders_of(storefront, ALICE)
    placed = alice.telegram.message(ALICE, card.message_id)
    assert placed.content.startswith(t("order-placed", id=order.id, service=FOLLOWERS.name))
    said = [message.text for message in alice.telegram.messages(ALICE)]
    assert t("order-cancelled-before-payment") not in said
    assert await storefront.balance(ALICE) == money("8.92")


async def test_many_presses_at_once_still_place_one_order(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    card = await alice.reach_confirmation()
    confirm = confirm_data(card, t)

    queries = [await alice.telegram.click(ALICE, card.message_id, confirm) for _ in range(5)]
    answers = await asyncio.gather(*(alice.telegram.wait_for_callback_answer(q) for q in queries))
    assert [answer.text for answer in answers].count(t("order-already-placed")) == 4
    assert storefront.panel.count("add") == 1
    assert await storefront.balance(ALICE) == money("8.92")


@pytest.mark.parametrize(
    ("fault", "reason_id", "admin_alert_id"),
    [
        (
            "error:Not enough funds on balance",
            "refusal-supplier-funds",
            "admin-alert-supplier-funds",
        ),
        ("error:Bad link", "refusal-bad-link", None),
        ("error:Quantity less than minimal 50", "refusal-quantity", None),
        ("error:Quantity more than maximum 10000", "refusal-quantity", None),
        ("error500:Incorrect service ID", "refusal-service", None),
        ("error:Invalid API key", "refusal-supplier-setup", "admin-alert-supplier-setup"),
    ],
)
async def test_panel_refusal_is_explained_and_refunded_once(
    storefront: Storefront, fault: str, reason_id: str, admin_alert_id: str | None
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    card = await alice.reach_confirmation()

    storefront.panel.fail_next("add", fault)
    refused = await alice.tap(t("button-confirm"))
    assert refused.text == t("order-refused", reason=t(reason_id), price="$1.08")
    assert refused.button_texts[0] == t("menu-new-order")

    [order] = await orders_of(storefront, ALICE)
    assert (order.status, order.upstream_id) == ("failed", None)
    assert await storefront.balance(ALICE) == money("100")
    assert await ledger(storefront, ALICE) == [
        (EntryKind.ADMIN_CREDIT, money("100"), None),
        (EntryKind.ORDER_CHARGE, -money("1.08"), f"order:{order.id}"),
        (EntryKind.ORDER_REFUND, money("1.08"), f"order:{order.id}"),
    ]
    assert storefront.panel.count("add") == 1
    assert storefront.panel.orders == {}

    # The old card cannot try again (nor claim the order was placed), and My orders shows it.
    again = await alice.press_data(card.message_id, confirm_data(card, t))
    assert (again.text, again.show_alert) == (t("order-confirmation-expired"), True)
    assert storefront.panel.count("add") == 1
    my_orders = await alice.tap(t("menu-my-orders"))
    # The label may shorten the service name, never the status.
    label = my_orders.button_texts[0]
    assert label.startswith(f"#{order.id} · Instagram Followers"), label
    assert label.endswith(t("status-failed")) and len(label) <= 60, label
    failed_card = await alice.tap(f"#{order.id}")
    assert t("status-failed") in failed_card.plain_text
    # Nothing to refresh or cancel; it can be ordered again.
    assert failed_card.button_texts == [t("button-order-again"), t("button-back")]

    admin_messages = storefront.telegram.messages(ADMIN)
    if admin_alert_id is None:
        assert admin_messages == []
    else:
        english = storefront.translations.get("en")
        [alert] = admin_messages
        assert alert.text == english(
            admin_alert_id,
            order_id=order.id,
            service=FOLLOWERS.name,
            price="$1.08",
            detail=fault.split(":", 1)[1],
        )
    assert await storefront.balance(ALICE) == money("100")


@pytest.mark.storefront(panel_read_timeout=0.3)
@pytest.mark.parametrize(("fault", "detail"), [("html502", "502"), ("slow", "ReadTimeout")])
async def test_lost_panel_answer_leaves_the_order_being_verified(
    storefront: Storefront, fault: str, detail: str
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    card = await alice.reach_confirmation()

    storefront.panel.fail_next("add", fault)
    verifying = await alice.tap(t("button-confirm"))
    [order] = await orders_of(storefront, ALICE)
    assert verifying.text == t("order-outcome-unknown", order_id=order.id, price="$1.08")

    # Not refunded and not retried: the panel may well have the order (here it does).
    assert order.status == "unknown"
    assert order.error is not None and detail in order.error
    assert await storefront.balance(ALICE) == money("98.92")
    assert [kind for kind, _, _ in await ledger(storefront, ALICE)] == [
        EntryKind.ADMIN_CREDIT,
        EntryKind.ORDER_CHARGE,
    ]
    assert storefront.panel.count("add") == 1
    assert len(storefront.panel.orders) == 1

    [alert] = storefront.telegram.messages(ADMIN)
    english = storefront.translations.get("en")
    assert alert.text == english(
        "admin-alert-unknown",
        order_id=order.id,
        user_id=ALICE,
        service=FOLLOWERS.name,
        service_id=FOLLOWERS.service_id,
        link=INSTAGRAM_LINK,
        quantity=1000,
        price="$1.08",
        detail=order.error,
    )
    assert detail in alert.plain_text

    again = await alice.press_data(card.message_id, confirm_data(card, t))
    assert again.text == t("order-already-placed")
    my_orders = await alice.tap(t("menu-my-orders"))
    assert my_orders.button_texts[0] == t(
        "orders-button", id=order.id, service=FOLLOWERS.name, status=t("status-unknown")
    )
    assert storefront.panel.count("add") == 1


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_unreachable_panel_refunds_and_says_so(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    card = await alice.reach_confirmation()

    await storefront.panel.stop()
    unavailable = await alice.tap(t("button-confirm"))
    assert unavailable.text == t("panel-unavailable", price="$1.08")
    [order] = await orders_of(storefront, ALICE)
    assert order.status == "failed"
    assert await storefront.balance(ALICE) == money("100")
    assert [kind for kind, _, _ in await ledger(storefront, ALICE)] == [
        EntryKind.ADMIN_CREDIT,
        EntryKind.ORDER_CHARGE,
        EntryKind.ORDER_REFUND,
    ]
    assert storefront.panel.count("add") == 0
    again = await alice.press_data(card.message_id, confirm_data(card, t))
    assert again.text == t("order-confirmation-expired")


async def _completed_order(storefront: Storefront, alice: ChatUser) -> int:
    """Place an order, let the panel complete it, Refresh; returns the card's message id."""
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.reach_confirmation()
    placed = await alice.tap(t("button-confirm"))
    [order] = await orders_of(storefront, ALICE)
    assert order.upstream_id is not None
    storefront.panel.set_status(order.upstream_id, "Completed")
    completed = await alice.tap(t("button-refresh"), message_id=placed.message_id)
    assert t("button-refill") in completed.button_texts
    return placed.message_id


async def test_refill_refused_by_the_panel_shows_its_reason_as_written(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    card = await _completed_order(storefront, alice)
    storefront.panel.fail_next("refill", "error:Refill <off> for 24h & more")
    answer = await alice.press(alice.t("button-refill"), message_id=card)
    # An alert is plain text: the reason must not arrive HTML-escaped.
    assert answer.text == alice.t("order-refill-refused", reason="x").replace(
        "x", "Refill <off> for 24h & more"
    )
    assert answer.show_alert
    [order] = await orders_of(storefront, ALICE)
    assert await storefront.r.orders.refills(order.id) == []


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_refresh_while_the_panel_is_down_says_so(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.reach_confirmation()
    placed = await alice.tap(t("button-confirm"))

    await storefront.panel.stop()
    answer = await alice.press(t("button-refresh"), message_id=placed.message_id)
    assert (answer.text, answer.show_alert) == (t("panel-busy"), True)
    [order] = await orders_of(storefront, ALICE)
    assert order.status == "Pending"
    assert await storefront.balance(ALICE) == money("8.92")


@pytest.mark.parametrize("button", ["button-refill", "button-cancel-order"])
@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_refill_or_cancel_while_the_panel_is_down_is_not_called_a_refusal(
    storefront: Storefront, button: str
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    card = await _completed_order(storefront, alice)
    if button == "button-cancel-order":
        # Cancel is offered only before the order is final: a fresh one.
        await alice.reach_confirmation()
        card = (await alice.tap(alice.t("button-confirm"))).message_id
    await storefront.panel.stop()
    answer = await alice.press(alice.t(button), message_id=card)
    assert answer.text == alice.t("panel-busy")
