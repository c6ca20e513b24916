"""One shop over two panels, through real HTTP: one catalog, failover that never buys twice,
statuses and refills on each order's own panel, routes set by an admin, /panels and /stats.

Both fake panels start with the same catalog and the same first order id, so the same panel
order id exists on both: each order must be asked about, refilled and settled on its own.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.errors import OrderRefusedError
from bot.services.ordering import make_quote
from bot.services.panel_watch import LowPanelBalance, PanelBalanceWatch
from bot.services.stats import Period, collect
from bot.services.tracking.status_sync import StatusSync
from bot.testing.panel import COMPLETED, IN_PROGRESS, FakePanel, FakeService
from storage.ledger import EntryKind
from storage.orders import UNKNOWN
from tests.e2e.conftest import ADMIN, ALICE, Storefront
from tests.e2e.journey import FOLLOWERS, ledger, money, orders_of

pytestmark = pytest.mark.storefront(extra_panels=("backup",), panel_read_timeout=1.5)

TIKTOK = FakeService(301, "TikTok Views", "Default", "TikTok", Decimal("0.05"), 100, 100000)


def backup(front: Storefront) -> FakePanel:
    return front.extra_panels["backup"]


async def sync(front: Storefront) -> StatusSync:
    assert front.services is not None
    return front.services.status_sync


async def reshape_backup(front: Storefront) -> None:
    """The backup panel sells followers a little dearer under its own id and spelling, and
    TikTok views only it has; its copy of service 1 is gone."""
    panel = backup(front)
    del panel.services[1]
    panel.services[101] = FakeService(
        101, "  instagram followers  [REFILL 30d]", "Default", "INSTAGRAM", Decimal("0.95"),
        50, 10000, refill=True, cancel=True,
    )  # fmt: skip
    panel.services[TIKTOK.service_id] = TIKTOK
    assert front.services is not None
    await front.services.catalog.refresh()


async def test_failover_on_refusal_charges_once_and_each_order_lives_on_its_panel(
    storefront: Storefront,
) -> None:
    await reshape_backup(storefront)
    main, spare = storefront.panel, backup(storefront)
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await admin.start()
    await alice.start()
    await storefront.credit(ALICE, "10")

    # One catalog: followers once (the cheapest panel's price), TikTok from the backup only.
    assert await alice.catalog_categories() == ["Instagram", "Telegram", "YouTube", "TikTok"]
    labels = await alice.service_labels("Instagram")
    assert sum(FOLLOWERS.name in label for label in labels) == 1
    await alice.say("/menu")
    pinned, members = await storefront.r.catalog.members(FOLLOWERS.service_id)
    assert not pinned
    active = sorted((m.panel, m.service_id) for m in members if m.active)
    assert active == [("backup", 101), ("main", 1)]

    # The main panel is out of funds: the order goes to the backup, charged once.
    main.balance = Decimal("0.5")
    await alice.reach_confirmation(quantity=1000)
    placed = await alice.tap(t("button-confirm"))
    [first] = await orders_of(storefront, ALICE)
    assert (first.panel, first.panel_service_id, first.status) == ("backup", 101, "Pending")
    [on_backup] = spare.orders.values()
    assert first.upstream_id == on_backup.order_id
    assert spare.calls_of("add")[0]["service"] == "101"
    assert (main.count("add"), spare.count("add")) == (1, 1)
    assert await ledger(storefront, ALICE) == [
        (EntryKind.ADMIN_CREDIT, money("10"), None),
        (EntryKind.ORDER_CHARGE, -money("1.08"), f"order:{first.id}"),
    ]
    refused = admin.t(
        "admin-alert-panel-refused",
        order_id=first.id,
        service=FOLLOWERS.name,
        price=admin.t.money(money("1.08")),
        detail="Not enough funds on balance",
    )
    alert = await admin.next_message(contains=refused)
    assert admin.t("admin-alert-panel", panel="main") in (alert.text or "")

    # The main panel has money again: the next order goes there (cheapest first). Its panel
    # order id is the same number as the first order's on the backup.
    main.balance = Decimal("1000")
    await alice.say("/menu")
    await alice.reach_confirmation(quantity=1000)
    await alice.tap(t("button-confirm"))
    [_, second] = await orders_of(storefront, ALICE)
    assert (second.panel, second.upstream_id) == ("main", first.upstream_id)

    # Statuses of both panels reach the chat, each asked of its own panel.
    assert first.upstream_id is not None and second.upstream_id is not None
    spare.set_status(first.upstream_id, COMPLETED, start_count=10)
    main.set_status(second.upstream_id, IN_PROGRESS, start_count=20)
    await (await sync(storefront)).run_round()
    expected = {f"#{first.id} ": t("status-completed"), f"#{second.id} ": t("status-in-progress")}
    told: set[str] = set()
    while len(told) < 2:
        message = await alice.next_message(
            where=lambda m: any(
                k in (m.text or "") and v in (m.text or "") for k, v in expected.items()
            )
        )
        told |= {k for k in expected if k in (message.text or "")}
    assert spare.calls_of("status")[-1] == {"orders": str(first.upstream_id)}
    assert main.calls_of("status")[-1] == {"orders": str(second.upstream_id)}

    # A refill goes to the order's own panel.
    completed = await alice.tap(t("button-refresh"), message_id=placed.message_id)
    assert t("button-refill") in completed.button_texts
    answer = await alice.press(t("button-refill"), message_id=placed.message_id)
    assert answer.text == t("order-refill-requested")
    assert spare.calls_of("refill") == [{"order": str(first.upstream_id)}]
    assert main.count("refill") == 0

    # /stats splits cost and profit by panel: the first order is the backup's (its charge,
    # 0.95, as the panel reported it), the second the main panel's.
    assert storefront.services is not None
    figures = await collect(storefront.r, storefront.services.panels)
    by_panel = {panel.name: panel.all_time for panel in figures.panels}
    assert by_panel["backup"] == Period(1, money("1.08"), money("0.95"))
    assert by_panel["main"] == Period(1, money("1.08"), money("0.90"))
    assert figures.all_time.cost == money("1.85")

    # PANEL_BALANCE_ALERT applies to each panel, once per crossing.
    alerts: list[LowPanelBalance] = []

    async def alert(low: LowPanelBalance) -> None:
        alerts.append(low)

    watch = PanelBalanceWatch(storefront.r, storefront.services.panels, alert, Decimal("100"))
    spare.balance = Decimal("50")
    assert await watch.check() is True
    assert await watch.check() is False
    main.balance = Decimal("10")
    assert await watch.check() is True
    assert [(low.panel, low.balance) for low in alerts] == [
        ("backup", money("50")),
        ("main", money("10")),
    ]

    # /panels lists both, /stats shows them.
    panels = await admin.say("/panels")
    assert "<b>main</b>" in (panels.text or "") and "<b>backup</b>" in (panels.text or "")
    stats = await admin.say(
        "/stats", where=lambda m: admin.t("stats-panels-title") in (m.text or "")
    )
    assert "<b>backup</b>: " in (stats.text or "")


async def test_an_unknown_outcome_is_never_sent_to_another_panel(storefront: Storefront) -> None:
    main, spare = storefront.panel, backup(storefront)
    main.slow_seconds = 5
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await admin.start()
    await alice.start()
    await storefront.credit(ALICE, "10")

    # The main panel took the request and never answered in time: the order may exist there.
    main.fail_next("add", "slow")
    await alice.reach_confirmation(quantity=1000)
    await alice.tap(t("button-confirm"))
    [order] = await orders_of(storefront, ALICE)
    assert (order.status, order.panel) == (UNKNOWN, "main")
    assert main.count("add") == 1
    assert spare.count("add") == 0  # never bought twice
    assert await storefront.balance(ALICE) == money("8.92")  # charged, not refunded

    listed = await admin.say("/unknown")
    assert admin.t("admin-alert-panel", panel="main") in (listed.text or "")
    # The admin finds it on the backup after all (an order typed there by hand).
    on_spare = spare.create_order(1, order.link, 1000)
    settled = await admin.say(f"/settle {order.id} backup:{on_spare.order_id}")
    assert settled.text == admin.t(
        "admin-settled-placed", order_id=order.id, upstream_id=str(on_spare.order_id)
    )
    current = await storefront.r.orders.get(order.id)
    assert current is not None
    assert (current.panel, current.upstream_id) == ("backup", on_spare.order_id)
    unknown_panel = await admin.say(f"/settle {order.id} nowhere:5")
    assert unknown_panel.text == admin.t(
        "admin-panel-unknown", panel="nowhere", panels="main, backup"
    )


async def test_routes_the_price_guard_and_a_panel_that_fails_to_refresh(
    storefront: Storefront,
) -> None:
    await reshape_backup(storefront)
    main, spare = storefront.panel, backup(storefront)
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    await storefront.user(ALICE).start()
    await storefront.credit(ALICE, "20")
    assert storefront.services is not None
    services = storefront.services

    async def place() -> str:
        service = await storefront.r.catalog.service(FOLLOWERS.service_id)
        assert service is not None
        quote = make_quote(service, services.pricing, link="https://instagram.com/x", quantity=1000)
        return (await services.ordering.place(ALICE, quote)).panel

    # An admin sends followers to the backup first, then the main panel.
    shown = await admin.say(f"/route {FOLLOWERS.service_id} backup:101,main:1")
    assert admin.t("admin-route-set", service_id=FOLLOWERS.service_id) in (shown.text or "")
    assert "backup:101 (0.95) → main:1 (0.9)" in (shown.text or "")
    assert await place() == "backup"
    assert (await admin.say("/route abc")).text == admin.t("admin-route-usage")
    assert (await admin.say("/route 1 backup101")).text == admin.t("admin-route-usage")
    nothing = await admin.say("/route 99999 auto")
    assert nothing.text == admin.t("admin-catalog-not-found", scope="service", id=99999)
    refused = await admin.say(f"/route {FOLLOWERS.service_id} backup:101,backup:7")
    assert refused.text == admin.t("admin-route-panel-twice")
    missing = await admin.say(f"/route {FOLLOWERS.service_id} backup:999")
    assert missing.text == admin.t("admin-route-no-service", panel="backup", id=999)
    # Back to cheapest first.
    auto = await admin.say(f"/route {FOLLOWERS.service_id} auto")
    assert admin.t("admin-route-auto", service_id=FOLLOWERS.service_id) in (auto.text or "")
    assert await place() == "main"

    # The backup got dearer than the customer's price: it is never used at a loss. The main
    # panel refuses for funds; the order fails and is refunded once with its reason.
    spare.services[101].rate = Decimal("5.00")
    await services.catalog.refresh()
    main.balance = Decimal("0")
    adds_before = spare.count("add")
    with pytest.raises(OrderRefusedError) as caught:
        await place()
    assert caught.value.arguments["reason_id"] == "refusal-supplier-funds"
    assert spare.count("add") == adds_before
    failed = (await orders_of(storefront, ALICE))[-1]
    assert failed.status == "failed" and failed.error == "Not enough funds on balance"
    refunds = [e for e in await ledger(storefront, ALICE) if e[0] is EntryKind.ORDER_REFUND]
    assert refunds == [(EntryKind.ORDER_REFUND, money("1.08"), f"order:{failed.id}")]

    # The backup fails to send its catalog: it keeps the last one, the main panel refreshes.
    spare.fail_next("services", "html502")
    main.services[2].rate = Decimal("0.20")
    reply = await admin.say("/sync")
    assert "backup" in (reply.text or "") and "502" in (reply.text or "")
    member = await storefront.r.catalog.panel_service("backup", TIKTOK.service_id)
    assert member is not None and member.active
    tiktok = await storefront.r.catalog.service(member.shop_service_id)
    assert tiktok is not None and tiktok.offered  # the backup's last catalog is kept
    # Likes: the main panel's new rate is stored, the backup's kept one is now the cheapest.
    _, likes = await storefront.r.catalog.members(2)
    assert {(m.panel, m.rate) for m in likes} == {
        ("main", Decimal("0.20")),
        ("backup", Decimal("0.12")),
    }
    shop_likes = await storefront.r.catalog.service(2)
    assert shop_likes is not None and shop_likes.rate == Decimal("0.12")

    catalog = await admin.say("/catalog")
    assert admin.t("admin-catalog-panels", panels="backup 3, main 3") in (catalog.text or "")
