"""Whole customer journeys that end well: every service type, my orders, refill, cancel."""

from __future__ import annotations

import pytest

from bot.testing.panel import CANCELED, COMPLETED
from storage.ledger import EntryKind
from tests.e2e.conftest import ALICE, LANES, Storefront
from tests.e2e.journey import (
    COMMENTS,
    FOLLOWERS,
    INSTAGRAM_LINK,
    PACKAGE,
    POLL,
    ledger,
    money,
    orders_of,
    usd,
)

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")


# The whole journey on both lanes: over real HTTP as in production, and in process.
@pytest.mark.parametrize("storefront", LANES, indirect=True)
@pytest.mark.parametrize("language", ["en", "ru"])
async def test_default_order_from_start_to_my_orders(storefront: Storefront, language: str) -> None:
    alice = storefront.user(ALICE, language=language, first_name="Alice")
    t = alice.t
    if language == "ru":  # the journey must really be in Russian, not the English fallback
        english = storefront.translations.get("en")
        assert t("menu-new-order") != english("menu-new-order")
    else:
        assert usd(t, "1.08") == "$1.08"

    welcome = await alice.start()
    assert welcome.text == t("welcome", name="Alice")
    assert welcome.button_texts == [
        t("menu-new-order"),
        t("menu-my-orders"),
        t("menu-balance"),
        t("menu-language"),
        t("menu-help"),
        t("menu-invite"),  # REFERRAL_PERCENT is 5 by default
    ]
    await storefront.credit(ALICE, "100")

    categories = await alice.tap(t("menu-new-order"))
    assert categories.message_id == welcome.message_id  # the menu turned into the catalog
    assert categories.text == t("catalog-categories")
    assert categories.button_texts == [
        "Instagram (3)",
        "Telegram (2)",
        "YouTube (1)",
        t("button-search"),
        t("button-main-menu"),
    ]  # the Subscriptions service (a type we cannot order) is hidden

    services = await alice.tap("Instagram (3)")
    assert services.text == t("catalog-services", category="Instagram")
    assert services.button_texts == [
        t("service-button", name=FOLLOWERS.name, price=usd(t, "1.08")),
        t("service-button", name="Instagram Likes", price=usd(t, "0.144")),
        t("service-button", name=COMMENTS.name, price=usd(t, "14.40")),
        t("button-back"),
    ]  # rate × 1.2 markup, per 1000

    card = await alice.tap(FOLLOWERS.name)
    assert card.text == t(
        "service-card",
        name=FOLLOWERS.name,
        category="Instagram",
        type=t("service-type-default"),
        price=usd(t, "1.08"),
        per_package="no",
        min=50,
        max=10000,
        refill=t("word-yes"),
        cancel=t("word-yes"),
        description="-",
        howto=t("service-howto-default"),
    ) + "\n\n" + t("service-card-id", id=str(FOLLOWERS.service_id))

    prompt = await alice.tap(t("button-order-this"))
    assert prompt.text == t("order-ask-link", service=FOLLOWERS.name)
    assert prompt.button_texts == [t("button-cancel")]

    ask_quantity = await alice.say(INSTAGRAM_LINK)
    assert ask_quantity.text == t("order-ask-quantity", min=50, max=10000, price=usd(t, "1.08"))

    confirmation = await alice.say("1000")
    assert confirmation.text == t(
        "confirm-card",
        service=FOLLOWERS.name,
        link=INSTAGRAM_LINK,
        quantity=1000,
        price=usd(t, "1.08"),
        balance=usd(t, "100.00"),
        after=usd(t, "98.92"),
    )
    assert confirmation.button_texts == [
        t("button-confirm"),
        t("button-cancel"),
        t("button-dripfeed"),  # the panel marks this service dripfeed
    ]
    assert storefront.panel.count("add") == 0  # nothing is ordered before Confirm

    placed = await alice.tap(t("button-confirm"))
    [order] = await orders_of(storefront, ALICE)
    assert placed.message_id == confirmation.message_id
    assert placed.text == (
        t("order-placed", id=order.id, service=FOLLOWERS.name)
        + "\n\n"
        + t(
            "order-card",
            id=order.id,
            service=FOLLOWERS.name,
            link=INSTAGRAM_LINK,
            quantity=1000,
            charge=usd(t, "1.08"),
            status=t("status-pending"),
            start_count=t("word-unknown"),
            remains=t("word-unknown"),
            created=order.created_at,
            updated=order.updated_at,
        )
    )
    # Charged exactly the quoted price, once; the panel got exactly one add with our params.
    assert await storefront.balance(ALICE) == money("98.92")
    assert await ledger(storefront, ALICE) == [
        (EntryKind.ADMIN_CREDIT, money("100"), None),
        (EntryKind.ORDER_CHARGE, -money("1.08"), f"order:{order.id}"),
    ]
    assert storefront.panel.calls_of("add") == [
        {"service": "1", "link": INSTAGRAM_LINK, "quantity": "1000"}
    ]
    [upstream] = storefront.panel.orders.values()
    assert (order.upstream_id, order.status, order.price) == (
        upstream.order_id,
        "Pending",
        money("1.08"),
    )

    storefront.panel.set_status(upstream.order_id, "In progress", start_count=3572, remains=400)
    await alice.say("/menu")
    my_orders = await alice.tap(t("menu-my-orders"))
    assert my_orders.text == t("orders-title", count=1)
    assert my_orders.button_texts == [
        t("orders-button", id=order.id, service=FOLLOWERS.name, status=t("status-pending")),
        t("button-main-menu"),
    ]
    order_card = await alice.tap(f"#{order.id}")
    assert order_card.button_texts == [
        t("button-refresh"),
        t("button-cancel-order"),
        t("button-order-again"),
        t("button-back"),
    ]  # refill only once completed

    refreshed = await alice.tap(t("button-refresh"))
    [order] = await orders_of(storefront, ALICE)
    assert refreshed.text == t(
        "order-card",
        id=order.id,
        service=FOLLOWERS.name,
        link=INSTAGRAM_LINK,
        quantity=1000,
        charge=usd(t, "1.08"),
        status=t("status-in-progress"),
        start_count="3572",
        remains="400",
        created=order.created_at,
        updated=order.updated_at,
    )
    back = await alice.tap(t("button-back"))
    assert back.text == t("orders-title", count=1)


async def test_refill_is_offered_once_completed_and_reaches_the_panel(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.reach_confirmation()
    placed = await alice.tap(t("button-confirm"))
    assert t("button-refill") not in placed.button_texts

    [order] = await orders_of(storefront, ALICE)
    assert order.upstream_id is not None
    # A Refill button forged before the order completed is refused without asking the panel.
    refused = await alice.press_data(placed.message_id, f"o:{order.id}:rf:0")
    assert (refused.text, refused.show_alert) == (t("order-refill-not-available"), True)
    assert storefront.panel.count("refill") == 0

    storefront.panel.set_status(order.upstream_id, COMPLETED, start_count=120)
    completed = await alice.tap(t("button-refresh"))
    assert t("status-completed") in completed.plain_text
    assert completed.button_texts == [
        t("button-refill"),
        t("button-order-again"),
        t("button-back"),
    ]

    answer = await alice.press(t("button-refill"))
    assert (answer.text, answer.show_alert) == (t("order-refill-requested"), True)
    assert storefront.panel.calls_of("refill") == [{"order": str(order.upstream_id)}]
    [panel_refill] = storefront.panel.refills.values()
    [refill] = await storefront.r.orders.refills(order.id)
    assert (refill.upstream_id, panel_refill.order_id) == (
        panel_refill.refill_id,
        order.upstream_id,
    )
    # A refill costs nothing.
    assert await storefront.balance(ALICE) == money("8.92")


async def test_cancel_refunds_once_when_the_panel_reports_canceled(
    storefront: Storefront,
) -> None:
    storefront.panel.cancel_immediately = False  # the panel only records the request
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.reach_confirmation()
    placed = await alice.tap(t("button-confirm"))
    refresh_data = str(placed.button(t("button-refresh"))["callback_data"])
    [order] = await orders_of(storefront, ALICE)
    assert order.upstream_id is not None

    answer = await alice.press(t("button-cancel-order"))
    assert (answer.text, answer.show_alert) == (t("order-cancel-requested"), True)
    assert storefront.panel.calls_of("cancel") == [{"orders": str(order.upstream_id)}]
    assert storefront.panel.orders[order.upstream_id].cancel_requested
    # Asked, not canceled yet: no refund.
    assert await storefront.balance(ALICE) == money("8.92")

    storefront.panel.set_status(order.upstream_id, CANCELED)
    canceled = await alice.tap(t("button-refresh"))
    assert t("status-canceled") in canceled.plain_text
    # Final: nothing more to do with it but order it again.
    assert canceled.button_texts == [t("button-order-again"), t("button-back")]
    assert await storefront.balance(ALICE) == money("10")

    # The old Refresh button, pressed again and again, never refunds a second time.
    for _ in range(3):
        again = await alice.press_data(placed.message_id, refresh_data)
        assert again.text is not None
    refunds = [
        entry for entry in await ledger(storefront, ALICE) if entry[0] == EntryKind.ORDER_REFUND
    ]
    assert refunds == [(EntryKind.ORDER_REFUND, money("1.08"), f"order:{order.id}")]
    assert await storefront.balance(ALICE) == money("10")
    assert await storefront.r.ledger.mismatched_balances() == []


async def test_cancel_on_a_panel_that_cancels_at_once_refunds_right_away(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.reach_confirmation()
    placed = await alice.tap(t("button-confirm"))

    answer = await alice.press(t("button-cancel-order"))
    assert answer.text == t("order-cancel-requested")
    card = alice.telegram.message(ALICE, placed.message_id)  # edited before the answer was sent
    assert t("status-canceled") in card.plain_text
    assert await storefront.balance(ALICE) == money("10")
    assert [entry[0] for entry in await ledger(storefront, ALICE)] == [
        EntryKind.ADMIN_CREDIT,
        EntryKind.ORDER_CHARGE,
        EntryKind.ORDER_REFUND,
    ]


async def test_package_asks_no_quantity_and_accepts_telegram_short_links(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")

    card = await alice.open_service(service=PACKAGE.name, category="Telegram")
    assert t("service-howto-package") in card.content
    prompt = await alice.tap(t("button-order-this"))
    assert prompt.text == t("order-ask-link-telegram", service=PACKAGE.name)

    confirmation = await alice.say("t.me/alice_channel")  # straight to the card: no quantity
    assert confirmation.text == t(
        "confirm-card",
        service=PACKAGE.name,
        link="https://t.me/alice_channel",
        quantity=1,
        price="$5.40",
        balance="$10.00",
        after="$4.60",
    )
    await alice.tap(t("button-confirm"))
    assert storefront.panel.calls_of("add") == [
        {"service": "3", "link": "https://t.me/alice_channel"}
    ]
    assert await storefront.balance(ALICE) == money("4.60")


async def test_telegram_username_is_sent_to_the_panel_as_a_t_me_link(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.begin_order(service=PACKAGE.name, category="Telegram")
    confirmation = await alice.say("@alice_channel")
    assert "https://t.me/alice_channel" in confirmation.plain_text
    await alice.tap(alice.t("button-confirm"))
    [add] = storefront.panel.calls_of("add")
    assert add["link"] == "https://t.me/alice_channel"


async def test_custom_comments_quantity_is_the_number_of_lines(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.begin_order(service=COMMENTS.name, category="Instagram")

    ask = await alice.say(INSTAGRAM_LINK)
    assert ask.text == t("order-ask-comments", min=5, max=500)

    too_few = await alice.say("Nice!\nGreat post\nWow")
    assert too_few.text == t("order-comments-invalid", minimum=5, maximum=500, count=3)
    assert "3" in too_few.plain_text and "5" in too_few.plain_text
    too_many = await alice.say("\n".join(f"comment {number}" for number in range(501)))
    assert too_many.text == t("order-comments-invalid", minimum=5, maximum=500, count=501)

    comments = ["Nice!", "Great <b>post</b>", "Wow", "Love it", "So good", "Amazing"]
    # Blank lines are not comments.
    confirmation = await alice.say("\n".join(comments[:3]) + "\n\n  \n" + "\n".join(comments[3:]))
    assert confirmation.text == t(
        "confirm-card",
        service=COMMENTS.name,
        link=INSTAGRAM_LINK,
        quantity=6,
        price="$0.0864",  # 12.00 × 1.2 per 1000 × 6
        balance="$10.00",
        after="$9.9136",
    )
    await alice.tap(t("button-confirm"))
    assert storefront.panel.calls_of("add") == [
        {
            "service": "4",
            "link": INSTAGRAM_LINK,
            "quantity": "6",
            "comments": "\n".join(comments),
        }
    ]
    assert await storefront.balance(ALICE) == money("9.9136")


async def test_poll_asks_for_the_answer_number(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.begin_order(service=POLL.name, category="Telegram")

    await alice.say("https://t.me/alice_channel/42")
    ask_answer = await alice.say("200")
    assert ask_answer.text == t("order-ask-answer")
    for wrong in ("0", "first", "-1", "101", "1.5"):
        rejected = await alice.say(wrong)
        assert rejected.text == t("order-answer-invalid", maximum=100), wrong
    confirmation = await alice.say("2")
    assert confirmation.text == t(
        "confirm-card",
        service=POLL.name,
        link="https://t.me/alice_channel/42",
        quantity=200,
        price="$0.18",  # 0.75 × 1.2 per 1000 × 200
        balance="$10.00",
        after="$9.82",
    )
    await alice.tap(t("button-confirm"))
    assert storefront.panel.calls_of("add") == [
        {
            "service": "5",
            "link": "https://t.me/alice_channel/42",
            "quantity": "200",
            "answer_number": "2",
        }
    ]
    assert await storefront.balance(ALICE) == money("9.82")


async def test_cancel_on_the_confirmation_card_charges_nothing(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    card = await alice.reach_confirmation()
    confirm = str(card.button(t("button-confirm"))["callback_data"])

    cancelled = await alice.tap(t("button-cancel"))
    assert cancelled.text == t("order-cancelled-before-payment")
    # The card's old Confirm button no longer pays.
    late = await alice.press_data(card.message_id, confirm)
    assert (late.text, late.show_alert) == (t("order-confirmation-expired"), True)
    assert storefront.panel.count("add") == 0
    assert await storefront.balance(ALICE) == money("10")
    assert await orders_of(storefront, ALICE) == []


@pytest.mark.postgres
@pytest.mark.storefront(lane="http")
async def test_the_whole_journey_on_postgres(storefront: Storefront) -> None:
    """The same journey with DATABASE_URL (every e2e test: E2E_DATABASE=postgres)."""
    assert storefront.repo is not None and storefront.repo.database.engine == "postgres"
    await test_default_order_from_start_to_my_orders(storefront, "en")
