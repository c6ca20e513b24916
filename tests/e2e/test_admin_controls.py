"""The owner's controls through the chat: stats, users and balances, bans, prices, the catalog,
and the panel-balance alerts."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.money import Money
from bot.services.ordering import make_quote
from bot.services.stats import Period, collect
from bot.testing.panel import CANCELED, COMPLETED, IN_PROGRESS, FakeService
from storage.ledger import EntryKind
from storage.orders import FAILED, Order
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront, make_settings
from tests.e2e.journey import (
    FOLLOWERS,
    INSTAGRAM_LINK,
    LIKES,
    VIEWS,
    seed_users,
    service_label,
)

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")

CAROL = 100_000_003
DAVE = 100_000_004
EVE = 100_000_005


class AdminReference:
    """Equal to the ledger reference of any one admin command message: admin:<chat>:<message>."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.fullmatch(rf"admin:{ADMIN}:[0-9]+", other) is not None

    def __repr__(self) -> str:
        return f"admin:{ADMIN}:<message id>"


async def place(front: Storefront, user_id: int, service_id: int, quantity: int) -> Order:
    """Place an order as the confirmation card would (the order flow has its own tests)."""
    assert front.services is not None
    service = await front.r.catalog.service(service_id)
    assert service is not None
    quote = make_quote(
        service, front.services.pricing, link=INSTAGRAM_LINK + str(service_id), quantity=quantity
    )
    return await front.services.ordering.place(user_id, quote)


async def backdate_user(front: Storefront, user_id: int, days: int) -> None:
    when = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
    await front.r.database.execute("UPDATE users SET created_at = ? WHERE id = ?", (when, user_id))


async def category_id(front: Storefront, name: str) -> int:
    for category in await front.r.catalog.all_categories():
        if category.name == name:
            return category.id
    raise AssertionError(f"no category {name!r}")


# --- /stats ---------------------------------------------------------------------------------


async def test_stats_count_users_orders_and_money_exactly(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    await storefront.user(ALICE, first_name="Alice").start()
    await storefront.user(BOB, first_name="Bob").start()
    await seed_users(storefront.r, [CAROL, DAVE, EVE])
    await backdate_user(storefront, CAROL, days=30)  # neither today nor this week
    await backdate_user(storefront, DAVE, days=3)  # this week, not today
    await storefront.r.users.set_blocked_bot(EVE, True)
    await storefront.r.users.set_banned(DAVE, True)

    await storefront.credit(ALICE, "20")
    completed = await place(storefront, ALICE, FOLLOWERS.service_id, 1000)  # $1.08, costs 0.90
    running = await place(storefront, ALICE, LIKES.service_id, 500)  # $0.072, costs 0.06
    canceled = await place(storefront, ALICE, VIEWS.service_id, 1000)  # $1.533828, refunded
    storefront.panel.fail_next("add", "error:Incorrect link")
    refused = await _refused(storefront, ALICE, FOLLOWERS.service_id, 100)
    assert refused.status == FAILED
    for order, status in ((completed, COMPLETED), (running, IN_PROGRESS), (canceled, CANCELED)):
        assert order.upstream_id is not None
        storefront.panel.set_status(order.upstream_id, status)
    assert storefront.services is not None
    await storefront.services.status_sync.run_round()
    assert await storefront.balance(ALICE) == Money.parse("18.848")  # 20 - 1.08 - 0.072

    stats = await admin.say("/stats")
    t = admin.t
    period = {"orders": 3, "revenue": "$1.152", "cost": "$0.96", "profit": "$0.192"}
    assert stats.text == "\n\n".join(
        [
            t("stats-users", total=6, today=4, week=5, blocked=1, banned=1),
            t(
                "stats-orders",
                active=1,
                by_status="canceled: 1, completed: 1, in progress: 1, not placed (refunded): 1",
            ),
            t("stats-today", **period),
            t("stats-week", **period),
            t("stats-all-time", **period),
            t(
                "stats-panel-balance", balance="$999.04"
            ),  # 1000 - 0.90 - 0.06 (the views were refunded)
        ]
    )
    # Then the chart of the last 30 days, drawn by matplotlib.
    chart = await admin.next_message()
    assert (chart.kind, chart.caption) == ("photo", t("stats-chart-caption"))
    assert chart.file is not None and chart.file.content.startswith(b"\x89PNG")
    storefront.panel.balance = Decimal("12.5")
    assert t("stats-panel-balance", balance="$12.50") in (await admin.say("/stats")).text

    # The periods move with the clock: seen from three days and then eight days later, what
    # happened today leaves "today", then "7 days"; all time keeps it.
    everything = Period(3, Money.parse("1.152"), Money.parse("0.96"))
    nothing = Period(0, Money.zero(), Money.zero())
    later = await collect(
        storefront.r, storefront.services.panel, datetime.now(UTC) + timedelta(days=3)
    )
    assert (later.users_today, later.users_week, later.users_total) == (0, 5, 6)
    assert (later.today, later.week, later.all_time) == (nothing, everything, everything)
    later = await collect(
        storefront.r, storefront.services.panel, datetime.now(UTC) + timedelta(days=8)
    )
    assert (later.users_today, later.users_week) == (0, 0)
    assert (later.today, later.week, later.all_time) == (nothing, nothing, everything)
    assert everything.profit == Money.parse("0.192")


async def _refused(front: Storefront, user_id: int, service_id: int, quantity: int) -> Order:
    from bot.core.errors import OrderRefusedError

    try:
        await place(front, user_id, service_id, quantity)
    except OrderRefusedError as error:
        order = await front.r.orders.get(int(error.arguments["order_id"]))
        assert order is not None
        return order
    raise AssertionError("the panel was expected to refuse the order")


# --- users and balances ---------------------------------------------------------------------


async def test_user_card_shows_who_they_are(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    await storefront.telegram.send_message(
        BOB, "/start", language_code="ru", first_name="Bob", username="bob_the_buyer"
    )
    await storefront.telegram.wait_for_message(BOB)
    await storefront.credit(BOB, "7.5")
    await place(storefront, BOB, FOLLOWERS.service_id, 1000)
    bob = await storefront.r.users.get(BOB)
    assert bob is not None

    card = await admin.say(f"/user {BOB}")
    assert card.text == admin.t(
        "admin-user-card",
        user_id=BOB,
        name="Bob",
        username="@bob_the_buyer",
        language="ru",
        balance="$6.42",
        orders=1,
        created=bob.created_at,
        last_seen=bob.last_seen_at,
        banned="no",
        blocked="no",
    )
    assert (await admin.say("/user 555")).text == admin.t("admin-user-not-found", user_id=555)
    assert (await admin.say("/user bob")).text == admin.t("admin-user-usage")


async def test_balance_changes_need_a_reason_to_debit_never_go_below_zero_and_are_told(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    bob = storefront.user(BOB, language="ru", first_name="Bob")
    t = admin.t
    await admin.start()
    await bob.start()

    credited = await admin.say(f"/addbalance {BOB} 10 welcome bonus")
    assert credited.text == t(
        "admin-balance-credited", user_id=BOB, amount="$10.00", balance="$10.00"
    )
    notice = await bob.next_message()
    assert notice.text == bob.t(
        "balance-credited-notice", amount="10,00\xa0$", balance="10,00\xa0$"
    )

    # A debit without a reason is refused with the usage text, and nothing is written.
    assert (await admin.say(f"/subbalance {BOB} 3")).text == t("admin-subbalance-usage")
    assert (await admin.say(f"/subbalance {BOB} 3   ")).text == t("admin-subbalance-usage")
    too_much = await admin.say(f"/subbalance {BOB} 10.01 refund by card")
    assert too_much.text == t("admin-subbalance-too-much", balance="$10.00")
    assert await storefront.balance(BOB) == Money.parse("10")

    debited = await admin.say(f"/subbalance {BOB} 2.5 refund by card")
    assert debited.text == t("admin-balance-debited", user_id=BOB, amount="$2.50", balance="$7.50")
    notice = await bob.next_message()
    assert notice.text == bob.t(
        "balance-debited-notice", amount="2,50\xa0$", balance="7,50\xa0$", reason="refund by card"
    )
    everything = await admin.say(f"/subbalance {BOB} 7.5 closing the account")
    assert everything.text == t(
        "admin-balance-debited", user_id=BOB, amount="$7.50", balance="$0.00"
    )
    assert (await admin.say(f"/subbalance {BOB} 0.01 one more cent")).text == t(
        "admin-subbalance-too-much", balance="$0.00"
    )
    assert (await admin.say("/addbalance 555 5 nobody")).text == t(
        "admin-user-not-found", user_id=555
    )

    entries = list(reversed(await storefront.r.ledger.recent(BOB, limit=10)))
    assert [(entry.kind, entry.amount, entry.reference, entry.note) for entry in entries] == [
        (EntryKind.ADMIN_CREDIT, Money.parse("10"), AdminReference(), "welcome bonus"),
        (EntryKind.ADMIN_DEBIT, -Money.parse("2.5"), AdminReference(), "refund by card"),
        (EntryKind.ADMIN_DEBIT, -Money.parse("7.5"), AdminReference(), "closing the account"),
    ]
    assert await storefront.balance(BOB) == Money.zero()
    assert await storefront.r.ledger.mismatched_balances() == []


async def test_a_balance_command_delivered_twice_changes_the_balance_once(
    storefront: Storefront,
) -> None:
    # Telegram redelivers an update whose handling it did not see finish (webhook mode, or a
    # crash before the offset moved): the same command message must not credit twice.
    admin = storefront.user(ADMIN, first_name="Owner")
    bob = storefront.user(BOB, first_name="Bob")
    t = admin.t
    await admin.start()
    await bob.start()
    telegram = storefront.telegram

    async def deliver(message_id: int, text: str) -> str:
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": ADMIN, "type": "private", "first_name": "Owner"},
            "from": telegram.set_user(ADMIN),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.index(" ")}],
        }
        after = telegram.seq
        await telegram.send_update({"message": message})
        return (await telegram.wait_for_message(ADMIN, after=after)).text

    for _ in range(2):
        credited = await deliver(90_001, f"/addbalance {BOB} 4 gift")
    assert credited == t("admin-balance-already-done", user_id=BOB)
    for _ in range(2):
        debited = await deliver(90_002, f"/subbalance {BOB} 1 fee")
    assert debited == t("admin-balance-already-done", user_id=BOB)
    # A new command message is a new change, even with the same words.
    assert await deliver(90_003, f"/addbalance {BOB} 4 gift") == t(
        "admin-balance-credited", user_id=BOB, amount="$4.00", balance="$7.00"
    )
    assert await storefront.balance(BOB) == Money.parse("7")
    assert await storefront.r.ledger.count(BOB) == 3
    await bob.next_message(contains="$7.00")
    notices = [
        message
        for message in telegram.messages(BOB)
        if message.contains("💰") and not message.button_texts
    ]
    assert len(notices) == 3, [message.text for message in notices]  # one per change


async def test_ban_turns_a_user_away_politely_and_unban_lets_them_back(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    bob = storefront.user(BOB, first_name="Bob")
    t = admin.t
    await admin.start()
    welcome = await bob.start()
    audience = await storefront.r.broadcasts.audience_size()

    assert (await admin.say(f"/ban {BOB}")).text == t("admin-banned", user_id=BOB)
    assert (await admin.say(f"/ban {ADMIN}")).text == t("admin-ban-self")
    assert (await admin.say("/ban 555")).text == t("admin-user-not-found", user_id=555)
    assert (await admin.say("/ban")).text == t("admin-ban-usage")

    before = len(storefront.telegram.messages(BOB))
    for text in ("hello", "/start", "/order", "/stats"):
        reply = await bob.say(text)
        assert (reply.text, reply.buttons) == (bob.t("banned"), []), text
    answer = await bob.press(bob.t("menu-new-order"), message_id=welcome.message_id)
    assert (answer.text, answer.show_alert) == (bob.t("banned"), True)
    assert len(storefront.telegram.messages(BOB)) == before + 4  # one line per message
    assert storefront.telegram.message(BOB, welcome.message_id).version == welcome.version
    assert await storefront.r.broadcasts.audience_size() == audience - 1  # no broadcasts either

    assert (await admin.say(f"/unban {BOB}")).text == t("admin-unbanned", user_id=BOB)
    assert (await bob.say("/start")).text == bob.t("welcome", name="Bob")
    categories = await bob.tap(bob.t("menu-new-order"), message_id=welcome.message_id)
    assert categories.text == bob.t("catalog-categories")
    assert await storefront.r.broadcasts.audience_size() == audience


# --- prices ---------------------------------------------------------------------------------


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_markups_change_prices_at_once_and_placed_orders_keep_theirs(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    # Three customers share the looking around, so none of them hits the per-user flood limit:
    # Alice browses Instagram, Bob YouTube, Carol orders.
    alice = storefront.user(ALICE, first_name="Alice")
    bob = storefront.user(BOB, first_name="Bob")
    carol = storefront.user(CAROL, first_name="Carol")
    t = admin.t
    for person in (admin, alice, bob, carol):
        await person.start()
    await storefront.credit(CAROL, "50")
    instagram = await category_id(storefront, "Instagram")

    async def prices() -> list[str]:
        """The buttons of the followers, the likes and the views, as customers see them."""
        shown = await alice.service_labels("Instagram") + await bob.service_labels("YouTube")
        names = (FOLLOWERS.name, LIKES.name, VIEWS.name)
        return [label for label in shown if label.startswith(names)]

    def labels(followers: str, likes: str, views: str) -> list[str]:
        return [
            service_label(alice.t, FOLLOWERS.name, followers),
            service_label(alice.t, LIKES.name, likes),
            service_label(alice.t, VIEWS.name, views),
        ]

    async def confirmation_price(quantity: str = "1000") -> str:
        card = await carol.reach_confirmation(
            category="Instagram", service=FOLLOWERS.name, quantity=quantity
        )
        [line] = [line for line in card.plain_text.splitlines() if line.startswith("Price:")]
        return line

    # The default markup of the settings: 20 %.
    assert await prices() == labels("$1.08", "$0.144", "$1.533828")
    card = await carol.reach_confirmation(category="Instagram", service=FOLLOWERS.name)
    assert "Price: $1.08" in card.plain_text
    await carol.press(carol.t("button-confirm"), message_id=card.message_id)
    await carol.next_message(contains="✅")
    [order] = await storefront.r.orders.for_user(CAROL, limit=10)
    assert order.price == Money.parse("1.08")

    reply = await admin.say("/markup 50")
    assert reply.text == t("admin-markup-global-set", percent="50")
    assert await prices() == labels("$1.35", "$0.18", "$1.917285")
    assert await confirmation_price("2000") == "Price: $2.70"

    reply = await admin.say(f"/markup category {instagram} 10")
    assert reply.text == t("admin-markup-set", scope="category", id=instagram, percent="10")
    assert await prices() == labels("$0.99", "$0.132", "$1.917285")  # YouTube keeps 50 %

    reply = await admin.say(f"/markup service {FOLLOWERS.service_id} 0")
    assert reply.text == t("admin-markup-set", scope="service", id=1, percent="0")
    assert await prices() == labels("$0.90", "$0.132", "$1.917285")
    assert await confirmation_price() == "Price: $0.90"

    reply = await admin.say(f"/markup service {FOLLOWERS.service_id} reset")
    assert reply.text == t("admin-markup-reset", scope="service", id=1)
    assert await prices() == labels("$0.99", "$0.132", "$1.917285")
    await admin.say(f"/markup category {instagram} reset")
    assert await prices() == labels("$1.35", "$0.18", "$1.917285")
    assert (await admin.say("/markup")).text.startswith(t("admin-markup-current", percent="50"))
    assert (await admin.say("/markup service 999 5")).text == t(
        "admin-catalog-not-found", scope="service", id=999
    )
    assert (await admin.say("/markup -5")).text == t("admin-markup-usage")

    # The order placed at 20 % still costs what the customer paid, in the shop and the ledger.
    [still] = await storefront.r.orders.for_user(CAROL, limit=10)
    assert still.price == Money.parse("1.08")
    orders = await carol.say("/orders")
    opened = await carol.tap(f"#{order.id}", message_id=orders.message_id)
    assert "Charge: $1.08" in opened.plain_text
    assert await storefront.balance(CAROL) == Money.parse("48.92")

    # Settings persist: after a restart the prices are the same.
    await storefront.stop()
    await storefront.start()
    assert await prices() == labels("$1.35", "$0.18", "$1.917285")


# --- the catalog ----------------------------------------------------------------------------


async def test_hide_and_show_categories_and_services(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    t = admin.t
    await admin.start()
    await alice.start()
    youtube = await category_id(storefront, "YouTube")
    assert await alice.catalog_categories() == ["Instagram", "Telegram", "YouTube"]

    card = await alice.open_service(category="Instagram", service=FOLLOWERS.name)
    reply = await admin.say(f"/hide service {FOLLOWERS.service_id}")
    assert reply.text == t("admin-hidden", scope="service", id=1)
    answer = await alice.press(alice.t("button-order-this"), message_id=card.message_id)
    assert (answer.text, answer.show_alert) == (alice.t("service-unavailable"), True)
    assert FOLLOWERS.name not in " ".join(await alice.service_labels("Instagram"))

    youtube_list = await alice.open_category("YouTube")
    reply = await admin.say(f"/hide category {youtube}")
    assert reply.text == t("admin-hidden", scope="category", id=youtube)
    assert await alice.catalog_categories() == ["Instagram", "Telegram"]
    answer = await alice.press(VIEWS.name, message_id=youtube_list.message_id)
    assert (answer.text, answer.show_alert) == (alice.t("service-unavailable"), True)
    catalog = await admin.say("/catalog")
    assert f"<code>{youtube}</code> · YouTube · 1 services · hidden: yes" in catalog.text

    assert (await admin.say(f"/show category {youtube}")).text == t(
        "admin-shown", scope="category", id=youtube
    )
    assert (await admin.say(f"/show service {FOLLOWERS.service_id}")).text == t(
        "admin-shown", scope="service", id=1
    )
    assert await alice.catalog_categories() == ["Instagram", "Telegram", "YouTube"]
    assert FOLLOWERS.name in " ".join(await alice.service_labels("Instagram"))
    prompt = await alice.tap(alice.t("button-order-this"), message_id=card.message_id)
    assert prompt.text == alice.t("order-ask-link", service=FOLLOWERS.name)
    assert (await admin.say("/hide service 999")).text == t(
        "admin-catalog-not-found", scope="service", id=999
    )
    assert (await admin.say("/hide 1")).text == t("admin-hide-usage")


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_sync_reports_changes_and_a_vanished_service_keeps_its_old_orders(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    await admin.start()
    await alice.start()
    await storefront.credit(ALICE, "10")
    old_order = await place(storefront, ALICE, VIEWS.service_id, 1000)

    panel_services = storefront.panel.services
    del panel_services[VIEWS.service_id]
    panel_services[8] = FakeService(
        8, "TikTok Views", "Default", "TikTok", Decimal("0.05"), 100, 100000
    )
    panel_services[LIKES.service_id].rate = Decimal("0.15")
    panel_services[FOLLOWERS.service_id].max_quantity = 20000

    reply = await admin.say("/sync")
    assert reply.text == admin.t(
        "admin-sync-done",
        added=1,
        removed=1,
        changed=2,
        added_ids="8",
        removed_ids="7",
        changed_ids="1, 2",
    )
    assert await alice.catalog_categories() == ["Instagram", "Telegram", "TikTok"]
    assert service_label(alice.t, LIKES.name, "$0.18") in await alice.service_labels("Instagram")
    again = await admin.say("/sync")
    assert again.text == admin.t(
        "admin-sync-done",
        added=0,
        removed=0,
        changed=0,
        added_ids="-",
        removed_ids="-",
        changed_ids="-",
    )

    orders = await alice.say("/orders")
    opened = await alice.tap(f"#{old_order.id}", message_id=orders.message_id)
    assert f"Service: {VIEWS.name}" in opened.text
    assert "Charge: $1.533828" in opened.text

    # The service coming back is reported as changed (it is active again), not as new.
    panel_services[VIEWS.service_id] = VIEWS
    assert (await admin.say("/sync")).text == admin.t(
        "admin-sync-done",
        added=0,
        removed=0,
        changed=1,
        added_ids="-",
        removed_ids="-",
        changed_ids="7",
    )
    assert "YouTube" in await alice.catalog_categories()


# --- the panel's balance ----------------------------------------------------------------------


async def restart_with_alert(front: Storefront, threshold: str) -> None:
    await front.stop()
    front.settings = make_settings(
        front.panel, front.database_path, PANEL_BALANCE_ALERT=Decimal(threshold)
    )
    calls = front.panel.count("balance")
    await front.start()
    # The periodic check runs once at start-up; let it be answered before the test moves the
    # balance, so its outcome is known (the balance is above the threshold: no alert).
    await front.panel.wait_until(lambda: front.panel.count("balance") > calls)


def alerts(front: Storefront, message_id: str) -> list[str]:
    prefix = front.translations.get("en")(message_id, balance="X", threshold="X").split("X")[0]
    return [
        message.text
        for message in front.telegram.messages(ADMIN)
        if message.text is not None and message.text.startswith(prefix)
    ]


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_a_low_panel_balance_alerts_admins_once_per_crossing(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    await restart_with_alert(storefront, "100")
    assert storefront.services is not None
    watch = storefront.services.panel_watch
    expected = admin.t("admin-alert-panel-balance", balance="$50.00", threshold="$100.00")

    storefront.panel.balance = Decimal("50")
    assert await watch.check() is True
    await storefront.telegram.wait_for_message(ADMIN, contains=expected)
    assert await watch.check() is False
    storefront.panel.balance = Decimal("40")
    assert await watch.check() is False  # still the same crossing
    assert alerts(storefront, "admin-alert-panel-balance") == [expected]

    # A restart does not alert again for the same crossing.
    await storefront.stop()
    await storefront.start()
    assert storefront.services is not None
    watch = storefront.services.panel_watch
    assert await watch.check() is False

    storefront.panel.balance = Decimal("100")  # back at the threshold: recovered
    assert await watch.check() is False
    storefront.panel.balance = Decimal("99.99")
    assert await watch.check() is True
    second = admin.t("admin-alert-panel-balance", balance="$99.99", threshold="$100.00")
    await storefront.telegram.wait_for_message(ADMIN, contains=second)
    assert alerts(storefront, "admin-alert-panel-balance") == [expected, second]


async def test_overlapping_balance_checks_alert_once(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    await restart_with_alert(storefront, "100")
    assert storefront.services is not None
    watch = storefront.services.panel_watch
    storefront.panel.balance = Decimal("10")
    outcomes = await asyncio.gather(*(watch.check() for _ in range(3)))
    assert sorted(outcomes) == [False, False, True]
    assert len(alerts(storefront, "admin-alert-panel-balance")) == 1


async def test_an_order_refused_for_the_panels_funds_alerts_admins_and_refunds(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    await admin.start()
    await alice.start()
    await storefront.credit(ALICE, "5")
    storefront.panel.balance = Decimal("0.5")  # the order costs the shop 0.90

    card = await alice.reach_confirmation(category="Instagram", service=FOLLOWERS.name)
    await alice.press(alice.t("button-confirm"), message_id=card.message_id)
    refused = await alice.next_message()
    [order] = await storefront.r.orders.for_user(ALICE, limit=10)
    assert refused.text == alice.t(
        "order-refused", reason=alice.t("refusal-supplier-funds"), price="$1.08"
    )
    # The admins heard of it before the customer's answer went out.
    [alert] = [m for m in storefront.telegram.messages(ADMIN) if "#" in (m.text or "")]
    assert alert.seq < refused.seq
    assert alert.text == admin.t(
        "admin-alert-supplier-funds",
        order_id=order.id,
        service=FOLLOWERS.name,
        price="$1.08",
        detail="Not enough funds on balance",
        user_id=ALICE,
        service_id=FOLLOWERS.service_id,
        link=INSTAGRAM_LINK,
        quantity=1000,
    )
    assert order.status == FAILED
    entries = list(reversed(await storefront.r.ledger.recent(ALICE, limit=10)))
    assert [(entry.kind, entry.amount) for entry in entries] == [
        (EntryKind.ADMIN_CREDIT, Money.parse("5")),
        (EntryKind.ORDER_CHARGE, -Money.parse("1.08")),
        (EntryKind.ORDER_REFUND, Money.parse("1.08")),
    ]
    assert await storefront.balance(ALICE) == Money.parse("5")
