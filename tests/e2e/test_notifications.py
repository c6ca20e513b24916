"""Order notifications end to end: the real dispatcher and sender, fake Telegram, fake panel.

Orders are placed through the ordering service (the customer's walk through the menus is
another file's subject); the panel moves them with ``FakePanel.set_status``, a status round is
run by hand, and the background sender delivers what the round queued. Every wait is on a
condition with a deadline.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest

from bot.app import Services
from bot.core.errors import OrderOutcomeUnknownError
from bot.core.money import Money
from bot.services.ordering import make_quote, order_reference
from bot.services.tracking.status_sync import StatusSync
from bot.services.tracking.tracker import OrderTracker
from bot.telegram import render
from bot.telegram.i18n import Translator
from bot.testing.panel import CANCELED, COMPLETED, IN_PROGRESS, PARTIAL
from bot.testing.telegram import BotMessage
from bot.upstream.client import HttpPanelClient
from storage.database import Database
from storage.ledger import EntryKind
from storage.orders import FAILED, UNKNOWN, Order
from storage.repository import Repository
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront

CURRENCY = "USD"
LINK = "https://instagram.com/p/notified"
# Service 1 at rate 0.90 per 1000 with the fixture's 20 % markup: 1000 units cost 1.08.
PRICE = Money(1_080_000)
REFUND_250_OF_1000 = Money(270_000)  # 1.08 × 250 / 1000


def services(front: Storefront) -> Services:
    assert front.services is not None, "the bot is not running"
    return front.services


async def start_user(front: Storefront, user_id: int, language: str = "en") -> None:
    """/start, waiting for the welcome: the user exists in the database afterwards."""
    mark = front.telegram.seq
    await front.telegram.send_message(user_id, "/start", language_code=language)
    await front.telegram.wait_for_message(user_id, after=mark)


async def place(front: Storefront, user_id: int) -> Order:
    """Charge and place an order of 1000 units of service 1, as Confirm would."""
    service = await front.r.catalog.service(1)
    assert service is not None
    quote = make_quote(service, services(front).pricing, link=LINK, quantity=1000)
    assert quote.price == PRICE
    return await services(front).ordering.place(user_id, quote)


async def place_unknown(front: Storefront, user_id: int) -> tuple[int, int]:
    """An order whose ``add`` answer was lost (the panel did create it): (order, panel id)."""
    front.panel.fail_next("add", "html502")
    with pytest.raises(OrderOutcomeUnknownError) as raised:
        await place(front, user_id)
    order_id = int(raised.value.arguments["order_id"])
    return order_id, max(front.panel.orders)


def move(front: Storefront, order: Order, status: str, **counters: int) -> None:
    assert order.upstream_id is not None
    front.panel.set_status(order.upstream_id, status, **counters)


async def sync_round(front: Storefront) -> None:
    await services(front).status_sync.run_round()


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for a condition on the bot's database, which the fake server cannot signal."""
    timeout = 5.0
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


async def outbox_settled(front: Storefront) -> bool:
    return await front.r.outbox.pending_count() == 0


def notifications(front: Storefront, user_id: int, t: Translator) -> list[BotMessage]:
    """Every notification in the chat as first sent (the Open order button marks them)."""
    first_versions = [
        front.telegram.history(user_id, message.message_id)[0]
        for message in front.telegram.messages(user_id)
    ]
    return [m for m in first_versions if m.button_texts == [t("button-open-order")]]


async def next_notification(
    front: Storefront, user_id: int, t: Translator, order: Order, after: int
) -> BotMessage:
    return await front.telegram.wait_for_message(
        user_id,
        after=after,
        where=lambda m: (
            m.button_texts == [t("button-open-order")] and f"#{order.id} " in (m.text or "")
        ),
    )


def assert_status_message(
    message: BotMessage,
    t: Translator,
    order: Order,
    status_id: str,
    *,
    start_count: int | None = None,
    remains: int | None = None,
    refund: Money | None = None,
) -> None:
    """Order number, service and status in the user's language; counters and refund if due."""
    text = message.text or ""
    lines = text.split("\n")
    status = t(status_id)
    assert lines[0] == t(
        "notify-order-status", id=order.id, service=order.service_name, status=status
    )
    if start_count is not None:
        assert t("notify-start-count", start_count=str(start_count)) in lines
    if remains is not None:
        assert t("notify-remains", remains=str(remains)) in lines
    # The refund line with any amount in it, to tell "no refund mentioned" from a wrong one.
    any_refund = re.compile(re.escape(t("notify-refund", amount="\x00")).replace("\x00", ".+"))
    refund_lines = [line for line in lines if any_refund.fullmatch(line)]
    if refund is None:
        assert refund_lines == [], text
    else:
        assert refund_lines == [t("notify-refund", amount=t.money(refund, CURRENCY))], text
    assert message.button_texts == [t("button-open-order")]


# --- every change, once, in the user's language -----------------------------------------


async def test_each_change_reaches_the_user_once_in_their_language(
    storefront: Storefront,
) -> None:
    en, ru = storefront.translations.get("en"), storefront.translations.get("ru")
    assert ru("notify-order-status", id=1, service="s", status="x") != en(
        "notify-order-status", id=1, service="s", status="x"
    )
    await start_user(storefront, ALICE, "en")
    await start_user(storefront, BOB, "ru")
    await storefront.credit(ALICE, "10")
    await storefront.credit(BOB, "10")
    alice_done, alice_partial = await place(storefront, ALICE), await place(storefront, ALICE)
    bob_done, bob_canceled = await place(storefront, BOB), await place(storefront, BOB)
    everyone = [(ALICE, en, alice_done), (ALICE, en, alice_partial)]
    everyone += [(BOB, ru, bob_done), (BOB, ru, bob_canceled)]

    mark = storefront.telegram.seq
    for _, _, order in everyone:
        move(storefront, order, IN_PROGRESS, start_count=120, remains=1000)
    await sync_round(storefront)
    for user_id, t, order in everyone:
        message = await next_notification(storefront, user_id, t, order, mark)
        assert_status_message(
            message, t, order, "status-in-progress", start_count=120, remains=1000
        )

    mark = storefront.telegram.seq
    move(storefront, alice_done, COMPLETED)
    move(storefront, bob_done, COMPLETED)
    move(storefront, alice_partial, PARTIAL, remains=250)
    move(storefront, bob_canceled, CANCELED)
    await sync_round(storefront)
    done = await next_notification(storefront, ALICE, en, alice_done, mark)
    assert_status_message(done, en, alice_done, "status-completed", start_count=120)
    done_ru = await next_notification(storefront, BOB, ru, bob_done, mark)
    assert_status_message(done_ru, ru, bob_done, "status-completed", start_count=120)
    partial = await next_notification(storefront, ALICE, en, alice_partial, mark)
    assert_status_message(
        partial, en, alice_partial, "status-partial", remains=250, refund=REFUND_250_OF_1000
    )
    canceled = await next_notification(storefront, BOB, ru, bob_canceled, mark)
    assert_status_message(canceled, ru, bob_canceled, "status-canceled", refund=PRICE)

    # A round with nothing new queues nothing; everything queued went out exactly once.
    await sync_round(storefront)
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    for user_id, t in ((ALICE, en), (BOB, ru)):
        sent = Counter(message.text for message in notifications(storefront, user_id, t))
        assert len(sent) == 4 and set(sent.values()) == {1}, sent
    assert await storefront.balance(ALICE) == Money(10_000_000 - 2 * PRICE.micros + 270_000)
    assert await storefront.balance(BOB) == Money(10_000_000 - PRICE.micros)

    # The button opens the order's card, in the user's language.
    for user_id, t, order, message in (
        (ALICE, en, alice_done, done),
        (BOB, ru, bob_canceled, canceled),
    ):
        query = await storefront.telegram.click_button(
            user_id, t("button-open-order"), message_id=message.message_id
        )
        await storefront.telegram.wait_for_callback_answer(query)
        card = await storefront.telegram.wait_for_message(
            user_id, where=lambda m, mid=message.message_id: m.message_id == mid and m.edited
        )
        current = await storefront.r.orders.get(order.id)
        assert current is not None
        assert card.text == render.order_card(t, current)


# --- users who blocked the bot, Telegram's flood limits ----------------------------------


async def test_a_user_who_blocked_the_bot_is_marked_and_not_messaged_again(
    storefront: Storefront,
) -> None:
    en = storefront.translations.get("en")
    tg = storefront.telegram
    await start_user(storefront, ALICE)
    await start_user(storefront, BOB)
    await storefront.credit(ALICE, "10")
    await storefront.credit(BOB, "10")
    first, second = await place(storefront, ALICE), await place(storefront, ALICE)
    bobs = await place(storefront, BOB)

    def sends_to_alice() -> int:
        return sum(1 for params in tg.calls_to("sendMessage") if params["chat_id"] == ALICE)

    before = sends_to_alice()
    tg.blocked_users.add(ALICE)
    mark = tg.seq
    move(storefront, first, IN_PROGRESS)
    move(storefront, bobs, IN_PROGRESS)
    await sync_round(storefront)
    await next_notification(storefront, BOB, en, bobs, mark)
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    user = await storefront.r.users.get(ALICE)
    assert user is not None and user.blocked_bot
    assert sends_to_alice() == before + 1  # the one attempt that learned it

    mark = tg.seq
    move(storefront, first, COMPLETED)
    move(storefront, second, PARTIAL, remains=250)
    move(storefront, bobs, COMPLETED)
    await sync_round(storefront)
    await next_notification(storefront, BOB, en, bobs, mark)
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    assert sends_to_alice() == before + 1  # changes are stored, not sent
    assert await storefront.r.ledger.exists(EntryKind.ORDER_REFUND, order_reference(second.id))

    # Once she talks to the bot again, she hears about later changes.
    tg.blocked_users.discard(ALICE)
    await start_user(storefront, ALICE)
    user = await storefront.r.users.get(ALICE)
    assert user is not None and not user.blocked_bot
    third = await place(storefront, ALICE)
    mark = tg.seq
    move(storefront, third, IN_PROGRESS)
    await sync_round(storefront)
    await next_notification(storefront, ALICE, en, third, mark)


async def test_telegram_retry_after_is_waited_out_and_the_message_sent_once(
    storefront: Storefront,
) -> None:
    en = storefront.translations.get("en")
    tg = storefront.telegram
    await start_user(storefront, ALICE)
    await storefront.credit(ALICE, "10")
    order = await place(storefront, ALICE)
    tg.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=ALICE,
    )
    mark = tg.seq
    move(storefront, order, IN_PROGRESS)
    started = time.monotonic()
    await sync_round(storefront)
    message = await next_notification(storefront, ALICE, en, order, mark)
    assert time.monotonic() - started >= 1.0  # not before Telegram said it may
    assert [error.error_code for error in tg.errors if error.method == "sendMessage"] == [429]
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    assert [m.message_id for m in notifications(storefront, ALICE, en)] == [message.message_id]


async def test_a_burst_under_a_flood_limit_arrives_complete_and_once(
    storefront: Storefront,
) -> None:
    en = storefront.translations.get("en")
    tg = storefront.telegram
    await start_user(storefront, ALICE)
    await storefront.credit(ALICE, "10")
    orders = [await place(storefront, ALICE) for _ in range(4)]
    tg.rate_limit_per_second = 2
    try:
        mark = tg.seq
        for order in orders:
            move(storefront, order, IN_PROGRESS)
        await sync_round(storefront)
        for order in orders:
            await next_notification(storefront, ALICE, en, order, mark)
        await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    finally:
        tg.rate_limit_per_second = None
    # The limit was hit, and then waited out rather than hammered until it let go.
    assert 1 <= tg.rate_limited_count <= 2
    sent = Counter(message.text for message in notifications(storefront, ALICE, en))
    assert len(sent) == 4 and set(sent.values()) == {1}


async def test_concurrent_delivery_passes_send_each_message_once(storefront: Storefront) -> None:
    """Anything may call deliver_due (a test, a wake, the loop): it must not double-send."""
    en = storefront.translations.get("en")
    await start_user(storefront, ALICE)
    await storefront.credit(ALICE, "10")
    order = await place(storefront, ALICE)
    for status in ("Awaiting", "Queued", "Starting"):  # stored without waking the sender
        await storefront.r.outbox.add(
            ALICE,
            "order_status",
            f"order:{order.id}:status:{status}",
            {"order_id": order.id, "status": status, "previous": "Pending", "refund_micros": 0},
        )
    outbox = services(storefront).outbox
    await asyncio.gather(*(outbox.deliver_due() for _ in range(3)))
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    texts = [message.text for message in notifications(storefront, ALICE, en)]
    assert sorted(texts) == sorted(
        en("notify-order-status", id=order.id, service=order.service_name, status=status)
        for status in ("Awaiting", "Queued", "Starting")
    )


async def test_a_notification_that_cannot_be_rendered_holds_back_no_other(
    storefront: Storefront,
) -> None:
    en = storefront.translations.get("en")
    await start_user(storefront, ALICE)
    await storefront.credit(ALICE, "10")
    order = await place(storefront, ALICE)
    # A row no renderer can read (a bug, or a payload of an older shape) comes first.
    await storefront.r.outbox.add(ALICE, "order_status", "poison", {"order_id": "not a number"})
    await storefront.r.outbox.add(
        ALICE,
        "order_status",
        f"order:{order.id}:status:Queued",
        {"order_id": order.id, "status": "Queued", "previous": "Pending", "refund_micros": 0},
    )
    await services(storefront).outbox.deliver_due()
    texts = [message.text for message in notifications(storefront, ALICE, en)]
    assert texts == [
        en("notify-order-status", id=order.id, service=order.service_name, status="Queued")
    ]
    # The bad row waits for a later try (and is dropped after the last one), said in the log.
    [poison] = await storefront.r.database.fetch_all(
        "SELECT id, sent_at, dropped, attempts, next_try_at FROM outbox WHERE dedupe_key = 'poison'"
    )
    assert (poison[1], poison[2], poison[3]) == (None, 0, 1) and poison[4] is not None
    assert [record.getMessage() for record in storefront.errors.records] == [
        f"Notification {poison[0]} could not be delivered; trying it later"
    ]
    storefront.errors.records.clear()


# --- nothing is lost across a stop ------------------------------------------------------


async def test_a_change_stored_while_the_bot_was_down_is_sent_after_restart_once(
    storefront: Storefront,
) -> None:
    en = storefront.translations.get("en")
    tg = storefront.telegram
    await start_user(storefront, ALICE)
    await storefront.credit(ALICE, "10")
    order = await place(storefront, ALICE)
    await storefront.stop()

    # The change is stored (with its refund and its message) and then the process is gone
    # before any sender ran: the state a crash right after the round's commit leaves.
    move(storefront, order, PARTIAL, remains=250)
    database = await Database.open(storefront.settings.database_target)
    client = HttpPanelClient(storefront.panel.url, storefront.panel.api_key)
    try:
        repo = Repository(database)
        report = await StatusSync(repo, client, OrderTracker(repo, client)).run_round()
        assert report.changes == 1
        assert await repo.outbox.pending_count() == 1
    finally:
        await client.aclose()
        await database.close()
    assert notifications(storefront, ALICE, en) == []

    mark = tg.seq
    await storefront.start()
    message = await next_notification(storefront, ALICE, en, order, mark)
    assert_status_message(
        message, en, order, "status-partial", remains=250, refund=REFUND_250_OF_1000
    )

    await storefront.stop()
    await storefront.start()
    # Whatever the restarted sender was going to send is out once this pass is done.
    await services(storefront).outbox.deliver_due()
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    assert [m.message_id for m in notifications(storefront, ALICE, en)] == [message.message_id]
    assert await storefront.balance(ALICE) == Money(10_000_000 - PRICE.micros + 270_000)


# --- orders in an unknown state: /unknown and /settle ---------------------------------------


async def test_admins_settle_unknown_orders_and_users_are_told(storefront: Storefront) -> None:
    en, ru = storefront.translations.get("en"), storefront.translations.get("ru")
    tg = storefront.telegram
    await start_user(storefront, ALICE, "en")
    await start_user(storefront, BOB, "ru")
    await start_user(storefront, ADMIN, "en")
    await storefront.credit(ALICE, "10")
    await storefront.credit(BOB, "10")
    placed_id, placed_upstream = await place_unknown(storefront, ALICE)
    failed_id, _ = await place_unknown(storefront, BOB)
    clash_id, _ = await place_unknown(storefront, ALICE)
    await tg.wait_for_message(ADMIN, contains=f"#{clash_id}")  # alerted as each happened

    async def admin(text: str, contains: str | None = None) -> BotMessage:
        mark = tg.seq
        await tg.send_message(ADMIN, text)
        return await tg.wait_for_message(ADMIN, after=mark, contains=contains)

    listing = await admin("/unknown")
    assert listing.text is not None
    assert listing.text.startswith(en("admin-unknown-title", count=3))
    for order_id in (placed_id, failed_id, clash_id):
        assert f"#{order_id}</b>" in listing.text

    # For anyone else these commands do not exist, and nothing is settled.
    for user_id, t, text in ((ALICE, en, "/unknown"), (BOB, ru, f"/settle {failed_id} failed")):
        mark = tg.seq
        await tg.send_message(user_id, text)
        reply = await tg.wait_for_message(user_id, after=mark)
        assert reply.text == t("fallback-unknown-command")
    stored = await storefront.r.orders.get(failed_id)
    assert stored is not None and stored.status == UNKNOWN

    # A panel id must be a positive number; anything else is a typo, not a settlement.
    for typo in ("0", "-5", "12a", "١٢"):
        reply = await admin(f"/settle {placed_id} {typo}")
        assert reply.text == en("admin-settle-usage"), typo
    stored = await storefront.r.orders.get(placed_id)
    assert stored is not None and stored.status == UNKNOWN

    # It was on the panel: the customer is told and the order is tracked from now on.
    mark = tg.seq
    reply = await admin(f"/settle {placed_id} {placed_upstream}")
    assert reply.text == en(
        "admin-settled-placed", order_id=placed_id, upstream_id=str(placed_upstream)
    )
    confirmed = await tg.wait_for_message(ALICE, after=mark, contains=f"#{placed_id}")
    placed = await storefront.r.orders.get(placed_id)
    assert placed is not None and placed.upstream_id == placed_upstream
    assert confirmed.text == en("notify-order-confirmed", id=placed_id, service=placed.service_name)
    assert confirmed.button_texts == [en("button-open-order")]
    mark = tg.seq
    move(storefront, placed, IN_PROGRESS, start_count=5)
    await sync_round(storefront)
    moving = await next_notification(storefront, ALICE, en, placed, mark)
    assert_status_message(moving, en, placed, "status-in-progress", start_count=5)

    # It was not: the customer is refunded once and told, in Russian.
    mark = tg.seq
    reply = await admin(f"/settle {failed_id} failed")
    assert reply.text == en(
        "admin-settled-failed", order_id=failed_id, amount=en.money(PRICE, CURRENCY)
    )
    told = await tg.wait_for_message(BOB, after=mark, contains=f"#{failed_id}")
    failed = await storefront.r.orders.get(failed_id)
    assert failed is not None and failed.status == FAILED
    assert told.text == ru(
        "notify-order-not-placed",
        id=failed_id,
        service=failed.service_name,
        amount=ru.money(PRICE, CURRENCY),
    )
    again = await admin(f"/settle {failed_id} failed")
    assert again.text == en("admin-settle-not-unknown", order_id=failed_id, status=FAILED)
    assert await storefront.balance(BOB) == Money.parse("10")
    refunds = [
        entry
        for entry in await storefront.r.ledger.recent(BOB, limit=100)
        if entry.kind == EntryKind.ORDER_REFUND
    ]
    assert [(entry.reference, entry.amount) for entry in refunds] == [
        (order_reference(failed_id), PRICE)
    ]

    # A panel id another order already has is refused; the order keeps waiting.
    clash = await admin(f"/settle {clash_id} {placed_upstream}")
    assert clash.text == en("admin-settle-duplicate", upstream_id=str(placed_upstream))
    listing = await admin("/unknown")
    assert listing.text is not None
    assert listing.text.startswith(en("admin-unknown-title", count=1))
    assert f"#{clash_id}</b>" in listing.text
    await eventually(lambda: outbox_settled(storefront), "the outbox to empty")
    assert len(notifications(storefront, BOB, ru)) == 1
    assert await storefront.r.ledger.mismatched_balances() == []
