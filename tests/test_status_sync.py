"""The status sync and order tracking against the fake panel over real HTTP (no Telegram).

Orders are seeded the way ``OrderingService.place`` writes them (charge and order row in one
transaction); what the panel says is set on the FakePanel, and a round of the real StatusSync
with the real HttpPanelClient reads it. Money is checked against literal amounts, the ledger and
the outbox are read back from the database, and "restart" means closing the Database and
opening the same file again.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.errors import (
    OrderNotFoundError,
    OrderNotUnknownError,
    OrderOutcomeUnknownError,
    PanelCheckUnavailableError,
    PanelIdTakenError,
    PanelOrderNotFoundError,
)
from bot.core.money import Money
from bot.services.ordering import OrderingService, PlacementAlert, Quote, order_reference
from bot.services.tracking import status_sync
from bot.services.tracking.status_sync import RoundReport, StatusSync
from bot.services.tracking.tracker import ActionRefusedError, OrderTracker
from bot.telegram import render
from bot.telegram.i18n import Translations
from bot.testing.panel import CANCELED, COMPLETED, IN_PROGRESS, PARTIAL, FakePanel
from bot.upstream import ItemError, OrderStatus
from bot.upstream.client import HttpPanelClient
from bot.upstream.parsing import MAX_COUNT
from storage.database import Database
from storage.ledger import EntryKind
from storage.orders import FAILED, PLACING, UNKNOWN, Order, OrderDraft
from storage.repository import Repository

ALICE, BOB = 2001, 2002
QUANTITY = 1000
START = "10000"  # each user's balance before the test
# 7.777777: a price whose shares do not come out round, so any float or rounding slip shows.
PRICE = Money(7_777_777)
# PRICE × 333 / 1000 = 2.589999741, rounded toward zero to the micro-unit.
PARTIAL_333_REFUND = Money(2_589_999)
# PRICE × 250 / 1000 = 1.94444425, rounded toward zero.
PARTIAL_250_REFUND = Money(1_944_444)
FOLLOWERS = "Instagram Followers [Refill 30d]"  # FakePanel service 1: refill and cancel
LINK = "https://instagram.com/p/status_sync"
RANK = {"Pending": 0, "In progress": 1, "Completed": 2, "Partial": 2, "Canceled": 2}


@dataclass
class World:
    """The database, the panel client and the services built on them, re-openable."""

    path: Path
    panel: FakePanel
    client: HttpPanelClient
    alerts: list[PlacementAlert] = field(default_factory=list)
    wakes: int = 0
    repo: Repository = field(init=False, repr=False)
    tracker: OrderTracker = field(init=False, repr=False)
    sync: StatusSync = field(init=False, repr=False)
    ordering: OrderingService = field(init=False, repr=False)
    _database: Database | None = None

    async def open(self, *, concurrency: int = 8) -> None:
        self._database = await Database.open(self.path)
        self.repo = Repository(self._database)
        self.tracker = OrderTracker(self.repo, self.client)
        self.sync = StatusSync(
            self.repo,
            self.client,
            self.tracker,
            concurrency=concurrency,
            on_notifications=self._wake,
            alert=self._alert,
            missing_grace=timedelta(hours=6),
        )
        self.ordering = OrderingService(self.repo, self.client, self._alert)

    async def close(self) -> None:
        if self._database is not None:
            await self._database.close()
            self._database = None

    async def restart(self, *, concurrency: int = 8) -> None:
        await self.close()
        await self.open(concurrency=concurrency)

    def _wake(self) -> None:
        self.wakes += 1

    async def _alert(self, alert: PlacementAlert) -> None:
        self.alerts.append(alert)

    # --- seeding ------------------------------------------------------------------------

    async def add_user(self, user_id: int, balance: str = START) -> None:
        await self.repo.users.register(user_id, language="en", first_name="T", username=None)
        await self.repo.ledger.post(user_id, EntryKind.ADMIN_CREDIT, Money.parse(balance))

    async def place(self, user_id: int = ALICE) -> Order:
        """Through OrderingService.place: charge, then a real ``add`` on the panel."""
        return await self.ordering.place(user_id, quote())

    async def insert_placing(self, user_id: int = ALICE) -> int:
        """What place() commits before it calls the panel: the order row and its charge."""
        q = quote()
        async with self.repo.database.transaction():
            order_id = await self.repo.orders.create(draft(user_id, q))
            await self.repo.ledger.post(
                user_id, EntryKind.ORDER_CHARGE, -q.price, reference=order_reference(order_id)
            )
        return order_id

    async def seed_placed(self, count: int, user_id: int = ALICE) -> list[Order]:
        """Many placed orders without an HTTP ``add`` each (the panel order is seeded)."""
        orders: list[Order] = []
        async with self.repo.database.transaction():  # one commit: hundreds of rows are quick
            for _ in range(count):
                order_id = await self.insert_placing(user_id)
                upstream = self.panel.create_order(1, LINK, QUANTITY)
                assert await self.repo.orders.mark_placed(order_id, upstream.order_id, "Pending")
                orders.append(await self.order(order_id))
        return orders

    async def order(self, order_id: int) -> Order:
        order = await self.repo.orders.get(order_id)
        assert order is not None
        return order

    # --- reading back -------------------------------------------------------------------

    async def refunds(self) -> list[tuple[str, Money]]:
        rows = await self.repo.database.fetch_all(
            "SELECT reference, amount FROM ledger WHERE kind = ? ORDER BY id",
            (EntryKind.ORDER_REFUND.value,),
        )
        return [(row["reference"], Money(row["amount"])) for row in rows]

    async def ledger_rows(self) -> int:
        return int(await self.repo.database.fetch_value("SELECT COUNT(*) FROM ledger"))

    async def outbox(self) -> list[tuple[str, str, dict[str, Any]]]:
        rows = await self.repo.database.fetch_all(
            "SELECT dedupe_key, kind, payload FROM outbox ORDER BY id"
        )
        return [(row["dedupe_key"], row["kind"], json.loads(row["payload"])) for row in rows]

    async def status_rows(self, order_id: int) -> list[dict[str, Any]]:
        """The order-status notifications queued for one order, oldest first."""
        return [
            payload
            for _, kind, payload in await self.outbox()
            if kind == "order_status" and payload["order_id"] == order_id
        ]

    async def assert_books_balance(self) -> None:
        assert await self.repo.ledger.mismatched_balances() == []


def quote(quantity: int = QUANTITY, price: Money = PRICE) -> Quote:
    return Quote(
        token=secrets.token_urlsafe(12),
        service_id=1,
        service_name=FOLLOWERS,
        service_type="Default",
        category="Instagram",
        rate="0.90",
        refill_allowed=True,
        cancel_allowed=True,
        link=LINK,
        quantity=quantity,
        price_micros=price.micros,
    )


def draft(user_id: int, q: Quote) -> OrderDraft:
    return OrderDraft(
        user_id=user_id,
        confirm_token=q.token,
        service_id=q.service_id,
        service_name=q.service_name,
        service_type=q.service_type,
        category=q.category,
        rate=Decimal(q.rate),
        refill_allowed=q.refill_allowed,
        cancel_allowed=q.cancel_allowed,
        link=q.link,
        quantity=q.quantity,
        price=q.price,
        extras=q.extras,
    )


def status_call_ids(panel: FakePanel, since: int = 0) -> list[list[int]]:
    """The ids of every batch ``status`` call after the first ``since`` ones, in call order."""
    calls = panel.calls_of("status")[since:]
    assert all("orders" in params for params in calls), "the sync must use the batch form"
    return [[int(token) for token in params["orders"].split(",")] for params in calls]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with FakePanel(slow_seconds=2.0) as panel:
        # A short read timeout, so a "slow" panel fails a batch in half a second.
        timeout = httpx.Timeout(connect=1.0, read=0.5, write=1.0, pool=1.0)
        client = HttpPanelClient(
            panel.url, panel.api_key, timeout=timeout, connect_retries=0, retry_backoff=0.01
        )
        world = World(tmp_path / "sync.sqlite3", panel, client)
        await world.open()
        try:
            await world.add_user(ALICE)
            await world.add_user(BOB)
            yield world
        finally:
            await world.close()
            await client.aclose()


# --- the round: batches, order, what is skipped -----------------------------------------


async def test_a_round_asks_in_batches_of_100_from_where_the_last_one_stopped(
    world: World,
) -> None:
    await world.restart(concurrency=1)  # one batch at a time: the call order is the plan
    tracked = await world.seed_placed(250)
    # Orders a round must not ask about: final ones (with panel ids) and the local states.
    finished = await world.seed_placed(3)
    for order, final in zip(finished, (COMPLETED, PARTIAL, CANCELED), strict=True):
        await world.repo.orders.update_progress(
            order.id, status=final, remains=0, start_count=0, panel_charge=None, currency=None
        )
    unknown_id = await world.insert_placing()
    await world.repo.orders.mark_unknown(unknown_id, "ambiguous add")
    failed_id = await world.insert_placing()
    await world.repo.orders.mark_failed(failed_id, "refused")
    placing_id = await world.insert_placing()
    assert (await world.order(placing_id)).status == PLACING
    assert (await world.order(failed_id)).status == FAILED
    assert (await world.order(unknown_id)).status == UNKNOWN
    ids = [order.upstream_id for order in tracked]

    report = await world.sync.run_round()

    calls = status_call_ids(world.panel)
    assert [len(batch) for batch in calls] == [100, 100, 50]  # ⌈250/100⌉ calls, none over 100
    assert [upstream for batch in calls for upstream in batch] == ids  # in id order
    skipped = {order.upstream_id for order in finished}
    assert not skipped & {upstream for batch in calls for upstream in batch}
    assert report == RoundReport(
        orders=250, batches=3, failed_batches=0, changes=0, refills=0, seconds=report.seconds
    )

    # The round went through: the next starts after where it stopped, so with the orders
    # placed since, then from the lowest ids again.
    newer = [order.upstream_id for order in await world.seed_placed(20)]
    before = world.panel.count("status")
    await world.sync.run_round()
    asked = [upstream for batch in status_call_ids(world.panel, before) for upstream in batch]
    assert asked == newer + ids

    # A batch that fails holds the round's place (even across a restart): the next round
    # starts with it, and everyone is still asked once.
    failing = StatusSync(
        world.repo, FailingOnce(world.client, at_call=2), world.tracker, concurrency=1
    )  # type: ignore[arg-type]
    before = world.panel.count("status")
    report = await failing.run_round()
    assert (report.batches, report.failed_batches) == (3, 1)
    assert status_call_ids(world.panel, before) == [newer + ids[:80], ids[180:]]
    await world.restart(concurrency=1)
    before = world.panel.count("status")
    await world.sync.run_round()
    asked = [upstream for batch in status_call_ids(world.panel, before) for upstream in batch]
    assert asked == ids[80:] + newer + ids[:80]


# --- statuses, refunds, notifications ---------------------------------------------------


async def test_statuses_are_stored_and_refunds_are_exact_and_once(world: World) -> None:
    a, b, c, d = [await world.place() for _ in range(4)]
    assert all(order.status == "Pending" and order.upstream_id for order in (a, b, c, d))
    assert await world.repo.ledger.balance(ALICE) == Money.parse(START) - Money(4 * PRICE.micros)

    report = await world.sync.run_round()
    assert (report.orders, report.batches, report.changes) == (4, 1, 0)
    assert await world.outbox() == []  # Pending is what place() already stored

    for order in (a, b, c, d):
        assert order.upstream_id is not None
        world.panel.set_status(order.upstream_id, IN_PROGRESS, start_count=500, remains=1000)
    report = await world.sync.run_round()
    assert report.changes == 4
    assert world.wakes == 1  # the sender is told once per batch with changes

    assert a.upstream_id and b.upstream_id and c.upstream_id and d.upstream_id
    world.panel.set_status(a.upstream_id, COMPLETED)
    world.panel.set_status(b.upstream_id, PARTIAL, remains=333)
    world.panel.set_status(c.upstream_id, CANCELED)
    world.panel.set_status(d.upstream_id, IN_PROGRESS, remains=400)  # counters only
    report = await world.sync.run_round()
    assert report.changes == 3

    stored = {order.id: await world.order(order.id) for order in (a, b, c, d)}
    assert [stored[o.id].status for o in (a, b, c, d)] == [
        COMPLETED,
        PARTIAL,
        CANCELED,
        IN_PROGRESS,
    ]
    assert stored[b.id].remains == 333
    assert stored[d.id].remains == 400 and stored[d.id].start_count == 500
    assert await world.refunds() == [
        (order_reference(b.id), PARTIAL_333_REFUND),
        (order_reference(c.id), PRICE),
    ]
    for order in (a, b, c):
        rows = await world.status_rows(order.id)
        assert [(row["previous"], row["status"]) for row in rows] == [
            ("Pending", IN_PROGRESS),
            (IN_PROGRESS, stored[order.id].status),
        ]
    assert (await world.status_rows(b.id))[-1]["refund_micros"] == PARTIAL_333_REFUND.micros
    assert (await world.status_rows(b.id))[-1]["remains"] == 333
    assert (await world.status_rows(c.id))[-1]["refund_micros"] == PRICE.micros
    assert (await world.status_rows(a.id))[-1]["refund_micros"] == 0
    assert len(await world.status_rows(d.id)) == 1  # the remains moving is no message

    expected = Money.parse(START) - Money(4 * PRICE.micros) + PARTIAL_333_REFUND + PRICE
    assert await world.repo.ledger.balance(ALICE) == expected
    await world.assert_books_balance()

    # Later reports of the same final states, by any path, change nothing.
    rows_before, ledger_before = await world.outbox(), await world.ledger_rows()
    calls_before = world.panel.count("status")
    await world.sync.run_round()
    assert status_call_ids(world.panel, calls_before) == [[d.upstream_id]]
    _, change = await world.tracker.refresh(stored[b.id])
    assert change is None
    late = await world.tracker.apply_batch(
        [(b.id, OrderStatus(CANCELED, remains=1000)), (c.id, OrderStatus(CANCELED))]
    )
    assert late == []
    assert await world.outbox() == rows_before
    assert await world.ledger_rows() == ledger_before
    assert await world.repo.ledger.balance(ALICE) == expected


async def test_partial_with_unknown_remains_waits_for_the_count(world: World) -> None:
    """``"remains": "Unknown"`` on a Partial order: refunding nothing would lose the
    customer's money for good, so the order stays tracked until the panel gives the count."""
    order = await world.place()
    assert order.upstream_id is not None
    world.panel.set_status(order.upstream_id, PARTIAL, remains="Unknown")
    await world.sync.run_round()
    assert (await world.order(order.id)).status != PARTIAL
    assert await world.refunds() == []

    world.panel.set_status(order.upstream_id, PARTIAL, remains=250)
    await world.sync.run_round()
    assert (await world.order(order.id)).status == PARTIAL
    assert await world.refunds() == [(order_reference(order.id), PARTIAL_250_REFUND)]
    rows = await world.status_rows(order.id)
    assert [row["status"] for row in rows] == [PARTIAL]
    assert rows[0]["refund_micros"] == PARTIAL_250_REFUND.micros
    await world.assert_books_balance()


async def test_a_stale_answer_never_moves_an_order_back(world: World) -> None:
    """The sync's answer left the panel before a Refresh read a newer status; it arrives last."""
    order = await world.place()
    assert order.upstream_id is not None
    world.panel.slow_seconds = 0.2  # under the client's read timeout: late, not failed
    world.panel.fail_next("status", "slow")
    calls_before = world.panel.count("status")
    round_task = asyncio.create_task(world.sync.run_round())
    # Once the call is counted, the panel has already written its answer (Pending).
    await world.panel.wait_until(lambda: world.panel.count("status") > calls_before)
    world.panel.set_status(order.upstream_id, IN_PROGRESS, start_count=10)
    current, change = await world.tracker.refresh(order)
    assert change is not None and current.status == IN_PROGRESS
    await asyncio.wait_for(round_task, 5)

    assert (await world.order(order.id)).status == IN_PROGRESS
    assert [row["status"] for row in await world.status_rows(order.id)] == [IN_PROGRESS]


# --- exactly once, whatever the interleaving ---------------------------------------------


async def test_refunds_and_messages_happen_once_under_races_and_restarts(world: World) -> None:
    tracked = await world.seed_placed(30)
    partial, running, pending = tracked[:10], tracked[10:20], tracked[20:]
    for order in partial:
        assert order.upstream_id is not None
        world.panel.set_status(order.upstream_id, PARTIAL, remains=250)
    for order in running:
        assert order.upstream_id is not None
        world.panel.set_status(order.upstream_id, IN_PROGRESS, start_count=7)
    # Orders whose add was ambiguous (the panel did create them): admins settle these.
    unknown: list[tuple[int, int]] = []
    for _ in range(6):
        order_id = await world.insert_placing(BOB)
        await world.repo.orders.mark_unknown(order_id, "ambiguous add")
        unknown.append((order_id, world.panel.create_order(1, LINK, QUANTITY).order_id))

    async def settle(how: str, order_id: int, upstream_id: int) -> tuple[str, int]:
        if how == "failed":
            await world.ordering.settle_failed(order_id)
        else:
            await world.ordering.settle_placed(order_id, upstream_id)
        return how, order_id

    work = [
        world.sync.run_round(),
        *(world.tracker.refresh(order) for order in tracked),
        *(world.tracker.request_cancel(order) for order in tracked),
        *(world.ordering.settle_failed(order.id) for order in tracked),  # not unknown: refused
        world.sync.run_round(),
        *(world.tracker.refresh(order) for order in tracked),
        *(settle(how, o, u) for o, u in unknown for how in ("failed", "placed", "failed")),
        world.ordering.recover_interrupted(),
    ]
    results = await asyncio.gather(*work, return_exceptions=True)
    errors = [result for result in results if isinstance(result, BaseException)]
    assert {type(error) for error in errors} <= {ActionRefusedError, OrderNotUnknownError}
    # Every tracked order refused the admin's settle; each unknown one was settled once.
    assert sum(isinstance(e, OrderNotUnknownError) for e in errors) == 30 + 2 * len(unknown)
    settled = [r for r in results if isinstance(r, tuple) and isinstance(r[0], str)]
    assert sorted(order_id for _, order_id in settled) == sorted(o for o, _ in unknown)
    # Cancels of the Partial (final) orders are refused by the panel, the rest accepted.
    assert sum(isinstance(e, ActionRefusedError) for e in errors) == len(partial)

    await world.sync.run_round()  # quiescent: whatever is left over is picked up now
    await check_exactly_once(world, partial, running + pending, settled)

    # A restart, then every path again: nothing more is refunded or queued.
    rows, ledger_rows = await world.outbox(), await world.ledger_rows()
    await world.restart()
    await world.sync.run_round()
    for order in tracked:
        await world.tracker.refresh(order)
    await world.tracker.apply_batch(
        [(order.id, OrderStatus(CANCELED, remains=QUANTITY)) for order in tracked]
    )
    for order_id, _ in unknown:
        with pytest.raises(OrderNotUnknownError):
            await world.ordering.settle_failed(order_id)
    assert await world.ordering.recover_interrupted() == []
    assert await world.outbox() == rows
    assert await world.ledger_rows() == ledger_rows
    await check_exactly_once(world, partial, running + pending, settled)


async def check_exactly_once(
    world: World,
    partial: list[Order],
    canceled: list[Order],
    settled: list[tuple[str, int]],
) -> None:
    refunds = await world.refunds()
    references = Counter(reference for reference, _ in refunds)
    assert all(count == 1 for count in references.values()), references
    by_reference = dict(refunds)
    for order in partial + canceled:
        stored = await world.order(order.id)
        want_status, want_refund = (
            (PARTIAL, PARTIAL_250_REFUND) if order in partial else (CANCELED, PRICE)
        )
        assert stored.status == want_status
        assert by_reference[order_reference(order.id)] == want_refund
        rows = await world.status_rows(order.id)
        # One message per change: a chain from Pending to the final status, never backwards,
        # and the refund it mentions is the one the ledger holds.
        assert rows[0]["previous"] == "Pending"
        for before, after in itertools.pairwise(rows):
            assert after["previous"] == before["status"]
            assert RANK[after["status"]] > RANK[before["status"]]
        assert rows[-1]["status"] == want_status
        assert rows[-1]["refund_micros"] == want_refund.micros
        assert sum(row["refund_micros"] for row in rows) == want_refund.micros
    settled_keys = Counter(key for key, kind, _ in await world.outbox() if kind == "order_settled")
    for how, order_id in settled:
        assert settled_keys[f"order:{order_id}:settled"] == 1
        stored = await world.order(order_id)
        if how == "failed":
            assert stored.status == FAILED
            assert by_reference[order_reference(order_id)] == PRICE
        else:
            assert stored.status == "Pending" and stored.upstream_id is not None
            assert order_reference(order_id) not in by_reference
    assert len(refunds) == len(partial) + len(canceled) + sum(h == "failed" for h, _ in settled)

    start = Money.parse(START)
    alice = start - Money(30 * PRICE.micros) + Money(len(partial) * PARTIAL_250_REFUND.micros)
    alice += Money(len(canceled) * PRICE.micros)
    assert await world.repo.ledger.balance(ALICE) == alice
    refunded_bob = sum(h == "failed" for h, _ in settled)
    bob = start - Money(len(settled) * PRICE.micros) + Money(refunded_bob * PRICE.micros)
    assert await world.repo.ledger.balance(BOB) == bob
    await world.assert_books_balance()


async def test_a_change_seen_before_a_restart_is_refunded_once_after_it(world: World) -> None:
    order = await world.place()
    assert order.upstream_id is not None
    world.panel.set_status(order.upstream_id, IN_PROGRESS, start_count=3)
    await world.sync.run_round()
    await world.restart()
    world.panel.set_status(order.upstream_id, PARTIAL, remains=333)
    await world.sync.run_round()
    await world.restart()
    await world.sync.run_round()
    await world.tracker.refresh(order)
    await world.restart()
    await world.tracker.apply_batch([(order.id, OrderStatus(PARTIAL, remains=333))])

    assert await world.refunds() == [(order_reference(order.id), PARTIAL_333_REFUND)]
    assert [row["status"] for row in await world.status_rows(order.id)] == [IN_PROGRESS, PARTIAL]
    await world.assert_books_balance()


# --- failed batches ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["html502", "truncated", "error:Incorrect request", "slow"])
async def test_a_failed_batch_is_counted_logged_and_asked_again(
    world: World, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    await world.restart(concurrency=1)
    orders = await world.seed_placed(150)
    world.panel.advance_all(IN_PROGRESS)
    world.panel.fail_next("status", fault)

    with caplog.at_level(logging.WARNING):
        report = await world.sync.run_round()

    assert (report.orders, report.batches, report.failed_batches) == (150, 2, 1)
    calls = status_call_ids(world.panel)
    assert len(calls) == 2
    behind = [o.upstream_id for o in orders if (await world.order(o.id)).status == "Pending"]
    assert behind == calls[0]  # the spoiled batch, and only it, is left behind
    assert report.changes == 150 - len(behind)
    assert any(
        record.levelno >= logging.WARNING and "status" in record.getMessage()
        for record in caplog.records
    ), "the failed batch was not logged"

    report = await world.sync.run_round()
    assert (report.failed_batches, report.changes) == (0, len(behind))
    assert status_call_ids(world.panel, 2)[0] == behind  # asked again, first
    assert {(await world.order(o.id)).status for o in orders} == {IN_PROGRESS}


class FailingOnce:
    """A panel whose ``at_call``-th ``statuses`` call raises: the sync must not trust its
    panel."""

    def __init__(self, client: HttpPanelClient, *, at_call: int = 1) -> None:
        self._client = client
        self._calls = 0
        self._at_call = at_call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus | ItemError]:
        self._calls += 1
        if self._calls == self._at_call:
            raise RuntimeError("the panel client broke")
        return await self._client.statuses(order_ids)


class StallingAt:
    """A panel whose ``at_call``-th ``statuses`` call never answers (the process stops)."""

    def __init__(self, client: HttpPanelClient, *, at_call: int) -> None:
        self._client = client
        self._calls = 0
        self._at_call = at_call
        self.stalled = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus | ItemError]:
        self._calls += 1
        if self._calls == self._at_call:
            self.stalled.set()
            await asyncio.Event().wait()
        return await self._client.statuses(order_ids)


async def test_a_round_cut_short_resumes_where_it_stopped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status_sync, "CURSOR_SAVE_BATCHES", 1)  # saved after every batch
    ids = [order.upstream_id for order in await world.seed_placed(450)]
    panel = StallingAt(world.client, at_call=3)
    sync = StatusSync(world.repo, panel, world.tracker, concurrency=1)  # type: ignore[arg-type]
    round_task = asyncio.create_task(sync.run_round())
    await asyncio.wait_for(panel.stalled.wait(), 5)
    round_task.cancel()  # a restart in the middle of the third batch
    with pytest.raises(asyncio.CancelledError):
        await round_task
    await world.restart(concurrency=1)
    before = world.panel.count("status")
    await world.sync.run_round()
    asked = [upstream for batch in status_call_ids(world.panel, before) for upstream in batch]
    assert asked == ids[200:] + ids[:200]  # the unasked first, everyone once


async def test_a_batch_that_raises_does_not_stop_the_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    orders = await world.seed_placed(150)
    world.panel.advance_all(IN_PROGRESS)
    panel = FailingOnce(world.client)
    sync = StatusSync(world.repo, panel, world.tracker, concurrency=1)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        report = await sync.run_round()
    assert (report.batches, report.failed_batches, report.changes) == (2, 1, 50)
    assert any("failed" in record.getMessage() for record in caplog.records)
    report = await sync.run_round()
    assert (report.failed_batches, report.changes) == (0, 100)
    assert {(await world.order(o.id)).status for o in orders} == {IN_PROGRESS}


# --- one order's impossible numbers never hold up the others ---------------------------


async def test_impossible_panel_numbers_never_block_a_batch(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.panel.numbers_as_strings = False  # real JSON numbers, as large as the panel likes
    orders = await world.seed_placed(6)
    negative, huge_remains, huge_start, *healthy = orders
    up = {order.id: order.upstream_id for order in orders}
    assert all(up.values())
    world.panel.set_status(up[negative.id], PARTIAL, remains=-5)  # type: ignore[index]
    world.panel.set_status(up[huge_remains.id], PARTIAL, remains=10**20)  # type: ignore[index]
    world.panel.set_status(up[huge_start.id], IN_PROGRESS, start_count=10**20)  # type: ignore[index]
    for order in healthy:
        world.panel.set_status(up[order.id], COMPLETED)  # type: ignore[index]

    with caplog.at_level(logging.WARNING):
        report = await world.sync.run_round()
        assert report.failed_batches == 0
        assert {(await world.order(o.id)).status for o in healthy} == {COMPLETED}
        # A negative count means nothing: the Partial waits for a real one, refunding nothing.
        assert (await world.order(negative.id)).status == "Pending"
        # Counts past any real order are clamped: "everything remains" refunds everything.
        assert (await world.order(huge_remains.id)).status == PARTIAL
        started = await world.order(huge_start.id)
        assert started.status == IN_PROGRESS and started.start_count == MAX_COUNT
        assert await world.refunds() == [(order_reference(huge_remains.id), PRICE)]

        # Refresh on such an order answers without a traceback.
        current, change = await world.tracker.refresh(negative)
        assert current.status == "Pending" and change is None
    assert not [record for record in caplog.records if record.exc_info]
    await world.assert_books_balance()


async def test_an_order_whose_change_cannot_be_stored_is_skipped_alone(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Whatever slips past parsing (here a Partial with remains < 0, straight to the tracker),
    # the batch's other orders are stored and the bad one is logged, then asked again.
    orders = await world.seed_placed(3)
    bad, *good = orders
    answers = [(bad.id, OrderStatus(PARTIAL, remains=-5))]
    answers += [(order.id, OrderStatus(COMPLETED, remains=0)) for order in good]
    with caplog.at_level(logging.WARNING):
        changes = await world.tracker.apply_batch(answers)
    assert sorted(change.order_id for change in changes) == sorted(o.id for o in good)
    assert {(await world.order(o.id)).status for o in good} == {COMPLETED}
    assert (await world.order(bad.id)).status == "Pending"
    assert any(f"Order {bad.id}" in record.getMessage() for record in caplog.records)
    assert await world.refunds() == []
    assert (await world.outbox())[0][0] == f"order:{good[0].id}:status:{COMPLETED}"
    await world.assert_books_balance()


async def test_an_unknown_status_word_never_moves_an_order_back(world: World) -> None:
    order = await world.place()
    assert order.upstream_id is not None
    world.panel.set_status(order.upstream_id, IN_PROGRESS, start_count=5)
    await world.sync.run_round()
    world.panel.set_status(order.upstream_id, "Awaiting")
    report = await world.sync.run_round()
    assert report.changes == 0
    assert (await world.order(order.id)).status == IN_PROGRESS
    assert [row["status"] for row in await world.status_rows(order.id)] == [IN_PROGRESS]


async def test_a_panel_id_taken_or_too_large_makes_the_order_unknown_at_once(world: World) -> None:
    # The charge is held either way; the order must show up in /unknown with the admins told,
    # not sit in "placing" until the next restart.
    first = await world.place()
    world.panel.fail_next("add", f'raw200:{{"order": {first.upstream_id}}}')
    with pytest.raises(OrderOutcomeUnknownError):
        await world.place()
    world.panel.fail_next("add", 'raw200:{"order": 9223372036854775808}')  # 2**63
    with pytest.raises(OrderOutcomeUnknownError):
        await world.place()

    unknown = await world.repo.orders.with_status(UNKNOWN)
    assert len(unknown) == 2
    assert [alert.order.id for alert in world.alerts] == [order.id for order in unknown]
    assert {alert.kind for alert in world.alerts} == {"unknown"}
    assert str(first.upstream_id) in (unknown[0].error or "")
    assert await world.repo.orders.with_status(PLACING) == []
    assert await world.repo.ledger.balance(ALICE) == Money.parse(START) - Money(3 * PRICE.micros)
    await world.assert_books_balance()


async def test_an_order_the_panel_forgot_is_reported_once_then_listed_for_settling(
    world: World,
) -> None:
    forgotten, back_again, healthy = await world.seed_placed(3)
    for order in (forgotten, back_again):
        assert order.upstream_id is not None
        del world.panel.orders[order.upstream_id]  # "Incorrect order ID" from now on
    report = await world.sync.run_round()
    assert report.missing == 2 and report.unknown == 0
    assert [(alert.kind, alert.order.id) for alert in world.alerts] == [
        ("missing", forgotten.id),
        ("missing", back_again.id),
    ]
    report = await world.sync.run_round()
    assert report.missing == 0 and len(world.alerts) == 2  # told once, still asked about

    # One comes back (the panel was confused): it is tracked as before, and forgiven.
    assert back_again.upstream_id is not None
    world.panel.orders[back_again.upstream_id] = world.panel.create_order(1, LINK, QUANTITY)
    world.panel.orders[back_again.upstream_id].order_id = back_again.upstream_id
    await world.sync.run_round()
    # Past the grace period (6 hours here), the other one is given to an admin.
    seven_hours_ago = (datetime.now(UTC) - timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S")
    await world.repo.database.execute(
        "UPDATE orders SET missing_since = ? WHERE missing_since IS NOT NULL", (seven_hours_ago,)
    )
    report = await world.sync.run_round()
    assert report.unknown == 1
    assert [order.id for order in await world.repo.orders.with_status(UNKNOWN)] == [forgotten.id]
    stored = await world.order(forgotten.id)
    assert str(forgotten.upstream_id) in (stored.error or "")
    assert (await world.order(back_again.id)).status == "Pending"
    assert (await world.order(healthy.id)).status == "Pending"

    calls_before = world.panel.count("status")
    await world.sync.run_round()
    asked = {upstream for ids in status_call_ids(world.panel, calls_before) for upstream in ids}
    assert forgotten.upstream_id not in asked  # no longer polled
    assert asked == {back_again.upstream_id, healthy.upstream_id}
    # An admin settles it as usual (here: it was never on the panel), refunded once.
    settled = await world.ordering.settle_failed(forgotten.id)
    assert settled.status == FAILED
    assert (order_reference(forgotten.id), PRICE) in await world.refunds()
    assert len(world.alerts) == 2
    await world.assert_books_balance()


async def test_settle_checks_the_panel_id_with_the_panel_first(world: World) -> None:
    order_id = await world.insert_placing()
    await world.repo.orders.mark_unknown(order_id, "ambiguous add")
    with pytest.raises(PanelOrderNotFoundError) as refused:
        await world.ordering.settle_placed(order_id, 424242)  # the panel has no such order
    assert refused.value.arguments["upstream_id"] == "424242"
    world.panel.fail_next("status", "html502")
    on_panel = world.panel.create_order(1, LINK, QUANTITY)
    with pytest.raises(PanelCheckUnavailableError):
        await world.ordering.settle_placed(order_id, on_panel.order_id)
    assert (await world.order(order_id)).status == UNKNOWN  # nothing changed either time
    assert await world.outbox() == []

    placed = await world.ordering.settle_placed(order_id, on_panel.order_id)
    assert (placed.status, placed.upstream_id) == ("Pending", on_panel.order_id)
    en = Translations("en").get("en")
    assert "424242" in en.error(refused.value)
    assert en.error(refused.value) != "admin-settle-panel-unknown"


# --- statuses the reference does not list -----------------------------------------------


async def test_unknown_and_differently_spelled_statuses(world: World) -> None:
    processing, lower, cancelled, refunded, awaiting, flapping = [
        await world.place() for _ in range(6)
    ]
    up = {order.id: order.upstream_id for order in (processing, lower, cancelled)}
    up |= {order.id: order.upstream_id for order in (refunded, awaiting, flapping)}
    assert all(up.values())
    panel = world.panel
    panel.status_spelling = {CANCELED: "Cancelled"}
    panel.set_status(up[processing.id], "Processing", start_count=1)
    panel.set_status(up[lower.id], "processing", start_count=1)
    panel.set_status(up[cancelled.id], CANCELED)
    panel.set_status(up[refunded.id], "Refunded")
    panel.set_status(up[awaiting.id], "Awaiting")
    panel.set_status(up[flapping.id], IN_PROGRESS, start_count=1)

    report = await world.sync.run_round()
    assert (report.failed_batches, report.changes) == (0, 6)
    statuses = {o.id: (await world.order(o.id)).status for o in (processing, lower, flapping)}
    assert set(statuses.values()) == {IN_PROGRESS}
    assert (await world.order(cancelled.id)).status == CANCELED
    # "Refunded" means the panel gave everything back: canceled, refunded in full.
    assert (await world.order(refunded.id)).status == CANCELED
    assert (await world.order(awaiting.id)).status == "Awaiting"  # kept as the panel said
    # Only a status whose meaning is clear moves money.
    assert sorted(await world.refunds()) == sorted(
        [(order_reference(cancelled.id), PRICE), (order_reference(refunded.id), PRICE)]
    )
    en = Translations("en").get("en")
    assert render.status_label(en, "Awaiting") == "Awaiting"
    assert render.status_label(en, IN_PROGRESS) == en("status-in-progress")

    rows_before = await world.outbox()
    panel.set_status(up[processing.id], IN_PROGRESS)
    panel.set_status(up[flapping.id], "Processing")
    calls_before = panel.count("status")
    report = await world.sync.run_round()
    assert report.changes == 0
    assert await world.outbox() == rows_before  # Processing ↔ In progress is no news
    asked = {upstream for ids in status_call_ids(panel, calls_before) for upstream in ids}
    assert up[awaiting.id] in asked  # unknown statuses stay polled
    assert up[cancelled.id] not in asked and up[refunded.id] not in asked

    panel.set_status(up[awaiting.id], COMPLETED)
    report = await world.sync.run_round()
    assert report.changes == 1
    rows = await world.status_rows(awaiting.id)
    assert [(row["previous"], row["status"]) for row in rows] == [
        ("Pending", "Awaiting"),
        ("Awaiting", COMPLETED),
    ]
    await world.assert_books_balance()


# --- refills ----------------------------------------------------------------------------


async def test_refill_statuses_move_in_batches_and_each_change_is_queued(world: World) -> None:
    orders = [await world.place() for _ in range(3)]
    world.panel.advance_all(COMPLETED)
    await world.sync.run_round()
    refill_ids = [await world.tracker.request_refill(await world.order(o.id)) for o in orders]
    upstream = sorted(world.panel.refills)
    assert len(upstream) == 3

    def refill_calls(since: int) -> list[list[int]]:
        calls = world.panel.calls_of("refill_status")[since:]
        assert all("refills" in params for params in calls)
        return [[int(token) for token in params["refills"].split(",")] for params in calls]

    await world.sync.run_round()  # all Pending, as requested: nothing to say
    assert refill_calls(0) == [upstream]
    assert [kind for _, kind, _ in await world.outbox()].count("refill_status") == 0

    world.panel.set_refill_status(upstream[0], "processing")
    world.panel.set_refill_status(upstream[1], COMPLETED)
    world.panel.set_refill_status(upstream[2], "Rejected")
    wakes = world.wakes
    report = await world.sync.run_round()
    assert report.refills == 3
    assert world.wakes == wakes + 1
    world.panel.set_refill_status(upstream[0], IN_PROGRESS)  # the same as processing
    await world.sync.run_round()
    assert refill_calls(1) == [upstream, [upstream[0]]]  # finished refills are not asked again
    world.panel.set_refill_status(upstream[0], COMPLETED)
    await world.sync.run_round()
    await world.sync.run_round()
    assert len(refill_calls(0)) == 4  # the last round had no refill left to ask about

    refill_rows = [
        (key, payload["status"])
        for key, kind, payload in await world.outbox()
        if kind == "refill_status"
    ]
    first, second, third = refill_ids
    assert sorted(refill_rows) == sorted(
        [
            (f"refill:{first}:status:{IN_PROGRESS}", IN_PROGRESS),
            (f"refill:{second}:status:{COMPLETED}", COMPLETED),
            (f"refill:{third}:status:Rejected", "Rejected"),
            (f"refill:{first}:status:{COMPLETED}", COMPLETED),
        ]
    )
    stored = {
        refill.id: refill.status for o in orders for refill in await world.repo.orders.refills(o.id)
    }
    assert stored == {first: COMPLETED, second: COMPLETED, third: "Rejected"}


# --- orders in an unknown state ---------------------------------------------------------


async def test_interrupted_orders_become_unknown_and_admins_settle_them(world: World) -> None:
    # Three orders left "placing" by a crash between the charge and the panel's answer.
    kept, refunded, duplicate = [await world.insert_placing() for _ in range(3)]
    tracked = await world.place()  # an ordinary order, already tracked

    await world.restart()
    recovered = await world.ordering.recover_interrupted()
    assert [order.id for order in recovered] == [kept, refunded, duplicate]
    assert all(order.status == UNKNOWN for order in recovered)
    assert [(alert.kind, alert.order.id) for alert in world.alerts] == [
        ("unknown", kept),
        ("unknown", refunded),
        ("unknown", duplicate),
    ]
    assert await world.ordering.recover_interrupted() == []  # alerted once, not every start
    await world.sync.run_round()
    asked = {upstream for ids in status_call_ids(world.panel) for upstream in ids}
    assert asked == {tracked.upstream_id}  # an unknown order has nothing to ask about

    # It was on the panel after all: track it from now on.
    on_panel = world.panel.create_order(1, LINK, QUANTITY)
    placed = await world.ordering.settle_placed(kept, on_panel.order_id)
    assert (placed.status, placed.upstream_id) == ("Pending", on_panel.order_id)
    world.panel.set_status(on_panel.order_id, COMPLETED)
    calls_before = world.panel.count("status")
    await world.sync.run_round()
    assert on_panel.order_id in status_call_ids(world.panel, calls_before)[0]
    assert (await world.order(kept)).status == COMPLETED

    # It was not: refund once.
    before = await world.repo.ledger.balance(ALICE)
    failed = await world.ordering.settle_failed(refunded)
    assert failed.status == FAILED
    assert await world.repo.ledger.balance(ALICE) == before + PRICE
    for attempt in (
        world.ordering.settle_failed(refunded),
        world.ordering.settle_placed(refunded, 424242),
        world.ordering.settle_failed(kept),
        world.ordering.settle_failed(tracked.id),
    ):
        with pytest.raises(OrderNotUnknownError):
            await attempt
    with pytest.raises(OrderNotFoundError):
        await world.ordering.settle_failed(999_999)

    # A panel id another order already carries is refused, and nothing of it is kept.
    with pytest.raises(PanelIdTakenError):
        assert tracked.upstream_id is not None
        await world.ordering.settle_placed(duplicate, tracked.upstream_id)
    assert (await world.order(duplicate)).status == UNKNOWN

    assert await world.refunds() == [(order_reference(refunded), PRICE)]
    settled = [
        (key, payload["outcome"], payload["refund_micros"])
        for key, kind, payload in await world.outbox()
        if kind == "order_settled"
    ]
    assert settled == [
        (f"order:{kept}:settled", "placed", 0),
        (f"order:{refunded}:settled", "failed", PRICE.micros),
    ]
    await world.assert_books_balance()
