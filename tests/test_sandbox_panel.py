"""The demo panel behaves like a real one: catalog, validation, charges, timing, persistence."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.upstream.errors import PanelRefusedError
from bot.upstream.sandbox import FIRST_ORDER_ID, FIRST_REFILL_ID, SandboxPanel
from bot.upstream.types import (
    STATUS_CANCELED,
    STATUS_COMPLETED,
    STATUS_IN_PROGRESS,
    STATUS_PARTIAL,
    STATUS_PENDING,
    SUPPORTED_SERVICE_TYPES,
    TYPE_CUSTOM_COMMENTS,
    TYPE_DEFAULT,
    TYPE_PACKAGE,
    TYPE_POLL,
    ItemError,
    NewOrder,
    OrderStatus,
    PanelAPI,
    PanelService,
)

START = 1_700_000_000.0
# Every order is final this long after it was placed (40 s pending + 5 min delivery at most).
ALL_DONE = 400.0
LINK = "https://instagram.com/demo.account"
STEP = 5.0
ALL_DONE_STEPS = int(ALL_DONE / STEP)

# Services of the demo catalog the tests rely on.
FOLLOWERS = 101  # Default, refill and cancel, 1.20 per 1000, 50..10000
LIKES = 102  # Default, drip-feed, no refill, no cancel, 0.12 per 1000, 10..50000
COMMENTS = 104  # Custom Comments, 8.50 per 1000, 5..500
STARTER_PACKAGE = 105  # Package, 9.90
MENTIONS = 106  # Mentions with Hashtags: the storefront cannot order it
POLL = 204  # Poll, 0.95 per 1000, 50..10000


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def panel(clock: FakeClock) -> SandboxPanel:
    return SandboxPanel(clock=clock)


def test_sandbox_satisfies_the_panel_protocol() -> None:
    sandbox: PanelAPI = SandboxPanel()  # mypy checks the structure here
    protocol_methods = {
        name
        for name, _ in inspect.getmembers(PanelAPI, inspect.isfunction)
        if not name.startswith("_")
    }
    assert protocol_methods == {
        "services", "add", "status", "statuses", "refill", "refills",
        "refill_status", "refill_statuses", "cancel", "balance", "aclose",
    }  # fmt: skip
    for name in protocol_methods:
        method = getattr(sandbox, name)
        assert inspect.iscoroutinefunction(method), name
        # Parameter names and kinds; their types are mypy's part, through the annotation above.
        expected = inspect.signature(getattr(PanelAPI, name)).parameters
        actual = inspect.signature(getattr(SandboxPanel, name)).parameters
        assert [(p.name, p.kind) for p in actual.values()] == [
            (p.name, p.kind) for p in expected.values()
        ], name


async def test_catalog_spans_platforms_and_every_supported_type(panel: SandboxPanel) -> None:
    services = await panel.services()

    assert 15 <= len(services) <= 25
    assert len({service.service_id for service in services}) == len(services)
    assert {service.category for service in services} >= {
        "Instagram",
        "Telegram",
        "YouTube",
        "TikTok",
        "X (Twitter)",
    }
    types = {service.type for service in services}
    assert types >= {TYPE_DEFAULT, TYPE_PACKAGE, TYPE_CUSTOM_COMMENTS, TYPE_POLL}
    assert types - SUPPORTED_SERVICE_TYPES, "an unorderable type must exercise the catalog filter"
    defaults = [service for service in services if service.type == TYPE_DEFAULT]
    assert any(service.dripfeed for service in defaults)
    assert any(service.refill for service in defaults)
    assert any(service.cancel for service in defaults)
    assert any(not (service.refill or service.cancel) for service in defaults)
    for service in services:
        assert isinstance(service.rate, Decimal) and service.rate > 0
        assert -service.rate.as_tuple().exponent <= 5  # type: ignore[operator]
        assert 1 <= service.min_quantity <= service.max_quantity
        assert service.name and service.description
        if service.type == TYPE_PACKAGE:
            assert service.min_quantity == service.max_quantity == 1


async def test_catalog_is_a_copy(panel: SandboxPanel) -> None:
    services = await panel.services()
    services.clear()
    assert await panel.services()


async def test_order_moves_from_pending_through_progress_to_completed(
    panel: SandboxPanel, clock: FakeClock
) -> None:
    order_id = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=1000))
    assert order_id == FIRST_ORDER_ID

    pending = await panel.status(order_id)
    assert pending.status == STATUS_PENDING
    assert (pending.remains, pending.start_count) == (1000, None)
    assert pending.charge == Decimal("1.2") and pending.currency == "USD"
    clock.advance(19)
    assert (await panel.status(order_id)).status == STATUS_PENDING
    clock.advance(21)
    assert (await panel.status(order_id)).status == STATUS_IN_PROGRESS, "pending 20–40 s"

    seen: list[OrderStatus] = []
    for _ in range(ALL_DONE_STEPS):
        clock.advance(STEP)
        seen.append(await panel.status(order_id))
    in_progress = [status for status in seen if status.status == STATUS_IN_PROGRESS]
    assert len(in_progress) * STEP >= 120, "delivery lasts a few minutes"
    assert all(status.start_count is not None for status in in_progress)
    assert len({status.start_count for status in in_progress}) == 1
    remains = [status.remains for status in in_progress if status.remains is not None]
    assert len(remains) == len(in_progress)
    assert remains == sorted(remains, reverse=True)
    assert any(0 < remaining < 1000 for remaining in remains)
    final = seen[-1]
    assert final.status == STATUS_COMPLETED and final.is_final
    assert (final.remains, final.charge) == (0, Decimal("1.2"))


async def test_about_fifteen_percent_end_partial_and_are_refunded(
    clock: FakeClock,
) -> None:
    panel = SandboxPanel(clock=clock)
    order = NewOrder(service_id=FOLLOWERS, link=LINK, quantity=1000)
    order_ids = [await panel.add(order) for _ in range(200)]
    spent = Decimal("1.2") * 200
    assert (await panel.balance()).amount == Decimal(1000) - spent

    clock.advance(ALL_DONE)
    statuses = await panel.statuses(order_ids)
    partial = {
        order_id: status
        for order_id, status in statuses.items()
        if isinstance(status, OrderStatus) and status.status == STATUS_PARTIAL
    }
    assert len(partial) == 30
    refunded = Decimal(0)
    for status in partial.values():
        assert status.remains is not None and 0 < status.remains < 1000
        assert status.start_count is not None
        assert status.charge == Decimal("1.2") * (1000 - status.remains) / 1000
        refunded += Decimal("1.2") - status.charge
    assert (await panel.balance()).amount == Decimal(1000) - spent + refunded
    others = [status for order_id, status in statuses.items() if order_id not in partial]
    assert all(isinstance(status, OrderStatus) and status.remains == 0 for status in others)

    # While delivering, a Partial order never shows more delivered than it finally delivers.
    later_panel = SandboxPanel(clock=clock)
    for _ in range(3):
        partial_id = await later_panel.add(order)
    seen: list[OrderStatus] = []
    for _ in range(ALL_DONE_STEPS):
        clock.advance(STEP)
        seen.append(await later_panel.status(partial_id))
    final = seen[-1]
    assert final.status == STATUS_PARTIAL and final.remains is not None
    delivering = [status for status in seen if status.status == STATUS_IN_PROGRESS]
    assert delivering
    assert all(
        status.remains is not None and status.remains >= final.remains for status in delivering
    )


async def test_balance_decreases_by_the_exact_charge(panel: SandboxPanel) -> None:
    await panel.add(NewOrder(service_id=LIKES, link=LINK, quantity=1234))

    balance = await panel.balance()
    assert balance.amount == Decimal(1000) - Decimal("0.12") * 1234 / 1000
    assert balance.amount == Decimal("999.85192")
    assert balance.currency == "USD"


async def test_drip_feed_charges_every_run(panel: SandboxPanel) -> None:
    order_id = await panel.add(
        NewOrder(service_id=LIKES, link=LINK, quantity=500, runs=4, interval=30)
    )

    status = await panel.status(order_id)
    assert status.charge == Decimal("0.24")  # 0.12 × 500 × 4 / 1000
    assert status.remains == 2000
    assert (await panel.balance()).amount == Decimal("999.76")


async def test_package_costs_its_rate(panel: SandboxPanel) -> None:
    order_id = await panel.add(NewOrder(service_id=STARTER_PACKAGE, link=LINK))

    assert (await panel.status(order_id)).charge == Decimal("9.90")
    assert (await panel.balance()).amount == Decimal("990.10")


async def test_custom_comments_count_lines(panel: SandboxPanel) -> None:
    comments = "Great shot!\nLove it\n\nSo good\nWow\nAmazing colours\nNice\n"
    order_id = await panel.add(NewOrder(service_id=COMMENTS, link=LINK, comments=comments))

    status = await panel.status(order_id)
    assert status.remains == 6
    assert status.charge == Decimal("0.051")  # 8.50 × 6 / 1000
    assert (await panel.balance()).amount == Decimal("999.949")


async def test_poll_takes_an_answer_number(panel: SandboxPanel) -> None:
    order = NewOrder(service_id=POLL, link="https://t.me/demo/15", quantity=100, answer_number="2")
    order_id = await panel.add(order)

    assert (await panel.status(order_id)).charge == Decimal("0.095")


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (NewOrder(service_id=999, link=LINK, quantity=100), "Incorrect service ID"),
        (NewOrder(service_id=FOLLOWERS, link=LINK, quantity=49), "Quantity less than minimal 50"),
        (
            NewOrder(service_id=FOLLOWERS, link=LINK, quantity=10001),
            "Quantity more than maximum 10000",
        ),
        (NewOrder(service_id=FOLLOWERS, link=LINK), "Incorrect request"),
        (NewOrder(service_id=FOLLOWERS, link="demo.account", quantity=100), "Bad link"),
        (NewOrder(service_id=FOLLOWERS, link="ftp://example.com/x", quantity=100), "Bad link"),
        (NewOrder(service_id=FOLLOWERS, link="", quantity=100), "Bad link"),
        (NewOrder(service_id=COMMENTS, link=LINK), "Incorrect request"),
        (NewOrder(service_id=COMMENTS, link=LINK, comments="\n \n"), "Incorrect request"),
        (
            NewOrder(service_id=COMMENTS, link=LINK, comments="one\ntwo"),
            "Quantity less than minimal 5",
        ),
        (NewOrder(service_id=POLL, link=LINK, quantity=100), "Incorrect request"),
        (
            NewOrder(service_id=POLL, link=LINK, quantity=100, answer_number="first"),
            "Incorrect request",
        ),
        (NewOrder(service_id=MENTIONS, link=LINK, quantity=1000), "Incorrect request"),
        # Drip-feed only where the service offers it, and always with both runs and interval.
        (
            NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100, runs=2, interval=10),
            "Incorrect request",
        ),
        (NewOrder(service_id=LIKES, link=LINK, quantity=100, runs=2), "Incorrect request"),
        (
            NewOrder(service_id=LIKES, link=LINK, quantity=100, runs=0, interval=10),
            "Incorrect request",
        ),
        (
            NewOrder(service_id=LIKES, link=LINK, quantity=5, runs=10, interval=10),
            "Quantity less than minimal 10",
        ),
    ],
)
async def test_add_refuses_like_a_real_panel(
    panel: SandboxPanel, order: NewOrder, message: str
) -> None:
    with pytest.raises(PanelRefusedError) as caught:
        await panel.add(order)

    assert caught.value.detail == message
    assert caught.value.action == "add"
    assert (await panel.balance()).amount == Decimal(1000)


@pytest.mark.parametrize(
    "link",
    ["https://www.instagram.com/p/Cx1/", "http://youtu.be/abc", "t.me/demo", "@demo_channel"],
)
async def test_add_accepts_the_usual_link_forms(panel: SandboxPanel, link: str) -> None:
    assert await panel.add(NewOrder(service_id=FOLLOWERS, link=link, quantity=100))


async def test_add_refuses_when_the_balance_is_short(clock: FakeClock) -> None:
    panel = SandboxPanel(clock=clock, starting_balance=Decimal("1.5"))
    await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=1000))  # 1.20

    with pytest.raises(PanelRefusedError) as caught:
        await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=500))  # 0.60
    assert caught.value.detail == "Not enough funds on balance"
    assert caught.value.is_insufficient_funds
    assert await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=250))  # 0.30 fits
    assert (await panel.balance()).amount == Decimal(0)


async def test_cancel_refunds_the_order_shortly_after_the_request(
    panel: SandboxPanel, clock: FakeClock
) -> None:
    order_id = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=1000))
    clock.advance(100)  # delivering now
    before = await panel.status(order_id)
    assert before.status == STATUS_IN_PROGRESS

    assert await panel.cancel([order_id]) == {order_id: None}
    clock.advance(5)
    assert await panel.status(order_id) == before, "frozen while the cancel goes through"
    assert await panel.cancel([order_id]) == {order_id: None}, "asking twice is harmless"
    clock.advance(5)
    canceled = await panel.status(order_id)
    assert canceled.status == STATUS_CANCELED and canceled.is_final
    assert (canceled.remains, canceled.charge) == (1000, Decimal(0))
    assert canceled.start_count == before.start_count
    assert (await panel.balance()).amount == Decimal(1000)
    clock.advance(ALL_DONE)
    assert await panel.status(order_id) == canceled


async def test_cancel_refusals(panel: SandboxPanel, clock: FakeClock) -> None:
    no_cancel = await panel.add(NewOrder(service_id=LIKES, link=LINK, quantity=100))
    done = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))
    clock.advance(ALL_DONE)

    results = await panel.cancel([no_cancel, done, 42])
    assert results == {
        no_cancel: ItemError("Cancel is disabled for this service"),
        done: ItemError("Order cannot be canceled"),
        42: ItemError("Incorrect order ID"),
    }
    assert (await panel.status(done)).status == STATUS_COMPLETED


async def test_refill_flow(panel: SandboxPanel, clock: FakeClock) -> None:
    order_id = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))
    with pytest.raises(PanelRefusedError) as caught:
        await panel.refill(order_id)
    assert caught.value.detail == "Refill is available only for completed orders"
    assert caught.value.action == "refill"

    clock.advance(ALL_DONE)
    refill_id = await panel.refill(order_id)
    assert refill_id == FIRST_REFILL_ID
    assert await panel.refill_status(refill_id) == STATUS_PENDING
    with pytest.raises(PanelRefusedError, match="already in progress"):
        await panel.refill(order_id)
    clock.advance(30)
    assert await panel.refill_status(refill_id) == STATUS_IN_PROGRESS
    clock.advance(120)
    assert await panel.refill_status(refill_id) == STATUS_COMPLETED
    assert await panel.refills([order_id]) == {order_id: FIRST_REFILL_ID + 1}
    assert (await panel.status(order_id)).status == STATUS_COMPLETED


async def test_refill_refusals_per_id(panel: SandboxPanel, clock: FakeClock) -> None:
    no_refill = await panel.add(NewOrder(service_id=LIKES, link=LINK, quantity=100))
    completed = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))
    clock.advance(ALL_DONE)
    fresh = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))

    results = await panel.refills([no_refill, completed, fresh, 7])
    assert results == {
        no_refill: ItemError("Refill is disabled for this service"),
        completed: FIRST_REFILL_ID,
        fresh: ItemError("Refill is available only for completed orders"),
        7: ItemError("Incorrect order ID"),
    }


async def test_refill_refused_for_a_partial_order(panel: SandboxPanel, clock: FakeClock) -> None:
    for _ in range(3):
        partial_id = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))
    clock.advance(ALL_DONE)
    assert (await panel.status(partial_id)).status == STATUS_PARTIAL

    with pytest.raises(PanelRefusedError, match="only for completed orders"):
        await panel.refill(partial_id)


async def test_batch_calls_report_unknown_ids_per_item(panel: SandboxPanel) -> None:
    order_id = await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))

    statuses = await panel.statuses([order_id, 1, 555])
    assert isinstance(statuses[order_id], OrderStatus)
    assert statuses[1] == statuses[555] == ItemError("Incorrect order ID")
    assert await panel.refill_statuses([FIRST_REFILL_ID, 3]) == {
        FIRST_REFILL_ID: ItemError("Refill not found"),
        3: ItemError("Refill not found"),
    }
    assert await panel.statuses([]) == {}


async def test_single_forms_raise_for_unknown_ids(panel: SandboxPanel) -> None:
    with pytest.raises(PanelRefusedError) as caught:
        await panel.status(123)
    assert caught.value.detail == "Incorrect order ID"
    assert caught.value.action == "status"
    with pytest.raises(PanelRefusedError, match=r"^Incorrect order ID$"):
        await panel.refill(123)
    with pytest.raises(PanelRefusedError, match=r"^Refill not found$"):
        await panel.refill_status(123)


async def test_state_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    state_path = tmp_path / "demo" / "sandbox.json"
    first = SandboxPanel(state_path=state_path, clock=clock, starting_balance=Decimal("50"))
    followers = await first.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=1000))
    likes = await first.add(NewOrder(service_id=LIKES, link=LINK, quantity=1234))
    canceled = await first.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=500))
    await first.cancel([canceled])
    clock.advance(ALL_DONE)
    refill_id = await first.refill(followers)
    await first.aclose()
    before = await first.statuses([followers, likes, canceled])

    # The starting balance of a new instance does not replace the saved one.
    second = SandboxPanel(state_path=state_path, clock=clock, starting_balance=Decimal("1000"))
    assert await second.statuses([followers, likes, canceled]) == before
    assert await second.balance() == await first.balance()
    assert (await second.balance()).amount == Decimal("50") - Decimal("1.2") - Decimal("0.14808")
    assert await second.refill_status(refill_id) == STATUS_PENDING
    assert await second.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100)) == (
        canceled + 1
    )
    clock.advance(200)
    assert await second.refills([likes, canceled]) == {
        likes: ItemError("Refill is disabled for this service"),
        canceled: ItemError("Refill is available only for completed orders"),
    }
    second_refill = await second.refill(followers)
    assert second_refill == refill_id + 1

    saved = json.loads(state_path.read_text(encoding="utf-8"))
    assert saved["starting_balance"] == "50"
    assert {Decimal(order["charge"]) for order in saved["orders"]} >= {
        Decimal("1.2"),
        Decimal("0.14808"),
    }
    assert all(isinstance(order["charge"], str) for order in saved["orders"])
    assert [path.name for path in state_path.parent.iterdir()] == ["sandbox.json"]
    third = SandboxPanel(state_path=state_path, clock=clock)
    assert await third.refill_status(second_refill) == STATUS_PENDING


async def test_memory_only_without_a_state_path(clock: FakeClock) -> None:
    first = SandboxPanel(clock=clock)
    await first.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))

    second = SandboxPanel(clock=clock)
    assert await second.statuses([FIRST_ORDER_ID]) == {
        FIRST_ORDER_ID: ItemError("Incorrect order ID")
    }
    assert (await second.balance()).amount == Decimal(1000)


async def test_unreadable_state_is_set_aside(tmp_path: Path, clock: FakeClock) -> None:
    state_path = tmp_path / "sandbox.json"
    state_path.write_text('{"version": 1, "orders": [', encoding="utf-8")

    panel = SandboxPanel(state_path=state_path, clock=clock)
    assert (await panel.balance()).amount == Decimal(1000)
    assert (tmp_path / "sandbox.json.unreadable").read_text(encoding="utf-8").startswith("{")
    assert not state_path.exists()
    await panel.add(NewOrder(service_id=FOLLOWERS, link=LINK, quantity=100))
    assert state_path.exists()


def _service_by_id(services: list[PanelService], service_id: int) -> PanelService:
    return next(service for service in services if service.service_id == service_id)


async def test_service_ids_used_by_these_tests_have_the_expected_shape(
    panel: SandboxPanel,
) -> None:
    services = await panel.services()
    followers = _service_by_id(services, FOLLOWERS)
    assert (followers.type, followers.refill, followers.cancel) == (TYPE_DEFAULT, True, True)
    likes = _service_by_id(services, LIKES)
    assert (likes.dripfeed, likes.refill, likes.cancel) == (True, False, False)
    assert _service_by_id(services, COMMENTS).type == TYPE_CUSTOM_COMMENTS
    assert _service_by_id(services, STARTER_PACKAGE).type == TYPE_PACKAGE
    assert _service_by_id(services, POLL).type == TYPE_POLL
    assert _service_by_id(services, MENTIONS).type not in SUPPORTED_SERVICE_TYPES
