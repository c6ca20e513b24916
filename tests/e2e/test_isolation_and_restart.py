"""Two customers who must not see each other's orders, and a bot restarted under a customer."""

from __future__ import annotations

from storage.ledger import EntryKind
from tests.e2e.conftest import ALICE, BOB, Storefront
from tests.e2e.journey import (
    FOLLOWERS,
    INSTAGRAM_LINK,
    confirm_data,
    ledger,
    money,
    orders_of,
)

BOB_LINK = "https://instagram.com/p/bob_post"


async def test_customers_never_see_each_others_orders(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    bob = storefront.user(BOB, first_name="Bob")
    await alice.start()
    await bob.start()
    await storefront.credit(ALICE, "10")
    await storefront.credit(BOB, "10")
    alice_card = await alice.reach_confirmation(link=INSTAGRAM_LINK)
    # Bob pressing a Confirm carrying Alice's token neither pays nor places anything.
    bob_welcome = storefront.telegram.messages(BOB)[0]
    stolen = await bob.press_data(bob_welcome.message_id, confirm_data(alice_card, alice.t))
    assert (stolen.text, stolen.show_alert) == (bob.t("order-confirmation-expired"), True)
    assert storefront.panel.count("add") == 0
    await alice.tap(alice.t("button-confirm"))
    # ... nor once her order exists: he is not told about it either.
    stolen = await bob.press_data(bob_welcome.message_id, confirm_data(alice_card, alice.t))
    assert stolen.text == bob.t("order-confirmation-expired")
    await bob.reach_confirmation(link=BOB_LINK, quantity="500")
    await bob.tap(bob.t("button-confirm"))
    [alice_order] = await orders_of(storefront, ALICE)
    [bob_order] = await orders_of(storefront, BOB)
    assert alice_order.upstream_id is not None

    t = bob.t
    menu = await bob.say("/menu")
    bobs_list = await bob.tap(t("menu-my-orders"), message_id=menu.message_id)
    assert bobs_list.text == t("orders-title", count=1)
    assert [text for text in bobs_list.button_texts if text.startswith("#")] == [
        t("orders-button", id=bob_order.id, service=FOLLOWERS.name, status=t("status-pending"))
    ]

    # Bob forges buttons naming Alice's order: every action looks like a missing order.
    before = bob.screen()
    panel_calls = len(storefront.panel.calls)
    for action in ("v", "r", "rf", "x"):
        answer = await bob.press_data(menu.message_id, f"o:{alice_order.id}:{action}:0")
        assert (answer.text, answer.show_alert) == (t("order-not-found"), True), action
    assert bob.screen() == before
    assert not any(
        INSTAGRAM_LINK in message.plain_text for message in storefront.telegram.messages(BOB)
    )
    assert len(storefront.panel.calls) == panel_calls  # nothing was asked about her order
    assert storefront.panel.orders[alice_order.upstream_id].status == "Pending"

    alice_list = await alice.tap(
        alice.t("menu-my-orders"), message_id=(await alice.say("/menu")).message_id
    )
    assert [text for text in alice_list.button_texts if text.startswith("#")] == [
        alice.t(
            "orders-button", id=alice_order.id, service=FOLLOWERS.name, status=t("status-pending")
        )
    ]
    assert await storefront.balance(ALICE) == money("8.92")
    assert await storefront.balance(BOB) == money("9.46")


async def test_restart_at_the_quantity_step_goes_on(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.begin_order(service=FOLLOWERS.name, category="Instagram")
    await alice.say(INSTAGRAM_LINK)

    await storefront.stop()
    async with storefront.running():
        confirmation = await alice.say("1000")
        assert confirmation.text == t(
            "confirm-card",
            service=FOLLOWERS.name,
            link=INSTAGRAM_LINK,
            quantity=1000,
            price="$1.08",
            balance="$10.00",
            after="$8.92",
        )
        placed = await alice.tap(t("button-confirm"))
        [order] = await orders_of(storefront, ALICE)
        assert placed.content.startswith(t("order-placed", id=order.id, service=FOLLOWERS.name))
        assert storefront.panel.calls_of("add") == [
            {"service": "1", "link": INSTAGRAM_LINK, "quantity": "1000"}
        ]
        assert await storefront.balance(ALICE) == money("8.92")


async def test_old_confirmation_card_after_restarts_pays_once(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    card = await alice.reach_confirmation()
    confirm = confirm_data(card, t)

    await storefront.stop()
    async with storefront.running():
        placed = await alice.tap(t("button-confirm"), message_id=card.message_id)
        [order] = await orders_of(storefront, ALICE)
        assert placed.content.startswith(t("order-placed", id=order.id, service=FOLLOWERS.name))

    async with storefront.running():
        late = await alice.press_data(card.message_id, confirm)
        assert (late.text, late.show_alert) == (t("order-already-placed"), True)
        assert storefront.panel.count("add") == 1
        assert await ledger(storefront, ALICE) == [
            (EntryKind.ADMIN_CREDIT, money("10"), None),
            (EntryKind.ORDER_CHARGE, -money("1.08"), f"order:{order.id}"),
        ]
        # The order survived the restarts as it was.
        [after] = await orders_of(storefront, ALICE)
        assert (after.id, after.status, after.upstream_id) == (order.id, "Pending", 10001)


async def test_a_confirmation_left_open_over_a_restart_charges_once_and_is_remembered(
    storefront: Storefront,
) -> None:
    """A second card for the same service is a new order; the first card stays paid-for."""
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    first = await alice.reach_confirmation()
    await alice.tap(t("button-confirm"), message_id=first.message_id)

    await storefront.stop()
    async with storefront.running():
        second = await alice.reach_confirmation(quantity="2000")
        assert second.message_id != first.message_id
        # The first card's Confirm cannot pay for the second order.
        late = await alice.press_data(first.message_id, confirm_data(first, t))
        assert late.text == t("order-already-placed")
        await alice.tap(t("button-confirm"), message_id=second.message_id)
        assert [add["quantity"] for add in storefront.panel.calls_of("add")] == ["1000", "2000"]
        assert await storefront.balance(ALICE) == money("6.76")
