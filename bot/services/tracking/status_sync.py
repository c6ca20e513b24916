"""The background status sync: every placed, unfinished order is asked about in batches.

One round reads the (id, panel id) pairs of all trackable orders, in id order from where the
panel's last round stopped, and a few workers take them 100 at a time: ask the panel, store
what the batch's answers change in one transaction (statuses, refunds, notifications), take
the next. An answer that changes nothing writes nothing. A batch that fails is logged and
asked again next round, first; it never stops the others.

An order the panel says it does not know is reported to admins once; if the panel still does
not know it after the grace period, it becomes ``unknown``: listed in /unknown for an admin to
settle, and no longer asked about.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.services.ordering import AlertSink, PlacementAlert
from bot.services.tracking.tracker import OrderTracker
from bot.upstream import ItemError, OrderStatus, PanelAPI
from bot.upstream.client import BATCH_LIMIT
from bot.upstream.panels import Panel, Panels, as_panels
from storage.database import format_time
from storage.orders import Refill
from storage.repository import Repository

logger = logging.getLogger(__name__)

# A round records how far it got every this many batches (and at its end): one small write
# per 2,000 orders, and a round cut short asks again at most that many of the orders it did.
CURSOR_SAVE_BATCHES = 20


@dataclass(slots=True)
class RoundReport:
    orders: int = 0
    batches: int = 0
    failed_batches: int = 0
    changes: int = 0
    refills: int = 0
    missing: int = 0  # orders the panel newly said it does not know
    unknown: int = 0  # orders it has not known for the whole grace period
    seconds: float = 0.0


class StatusSync:
    def __init__(
        self,
        repo: Repository,
        panel: PanelAPI | Panels,
        tracker: OrderTracker,
        *,
        concurrency: int = 8,
        on_notifications: Callable[[], None] | None = None,
        alert: AlertSink | None = None,
        missing_grace: timedelta = timedelta(hours=24),
    ) -> None:
        self._repo = repo
        self._panels = as_panels(panel)
        self._tracker = tracker
        self._concurrency = concurrency
        self._on_notifications = on_notifications
        self._alert = alert
        self._missing_grace = missing_grace
        self._lock = asyncio.Lock()

    async def run_round(self) -> RoundReport:
        """One pass over every trackable order and refill, each panel asked about its own
        orders, side by side. Rounds never overlap."""
        async with self._lock:
            report = RoundReport()
            started = time.monotonic()
            await asyncio.gather(*(self._sync_panel(panel, report) for panel in self._panels))
            await self._sync_refills(report)
            await self._give_up_on_missing(report)
            report.seconds = time.monotonic() - started
            if report.orders or report.refills:
                logger.info(
                    "Status sync: %d orders in %d batches (%d failed), %d changes, %.1fs",
                    report.orders,
                    report.batches,
                    report.failed_batches,
                    report.changes,
                    report.seconds,
                )
            return report

    async def _sync_panel(self, panel: Panel, report: RoundReport) -> None:
        # Orders from before several panels carry no name: they are the main panel's.
        names = [panel.name, ""] if panel is self._panels.main else [panel.name]
        start = await self._repo.orders.sync_cursor(panel.name)
        queue = await self._repo.orders.sync_queue(names, after=start)
        batch_count = -(-len(queue) // BATCH_LIMIT)
        report.orders += len(queue)
        report.batches += batch_count
        # Workers share one iterator, so batches start in queue order (a round cut short, or
        # a batch that fails, is where the next round starts), and the panel always has
        # ``concurrency`` calls to answer, never a drained pipeline. Each panel has its own
        # workers (and its client its own limit): a slow panel holds up only its orders.
        cursor = _Cursor(start)
        batches = enumerate(queue.batches(BATCH_LIMIT))
        await asyncio.gather(
            *(
                self._work(panel, batches, report, cursor)
                for _ in range(min(self._concurrency, batch_count))
            )
        )
        await self._save_cursor(panel.name, cursor)

    async def _work(
        self,
        panel: Panel,
        batches: Iterator[tuple[int, list[tuple[int, int]]]],
        report: RoundReport,
        cursor: _Cursor,
    ) -> None:
        for index, batch in batches:
            if await self._sync_batch(panel.api, batch, report):
                cursor.stored(index, batch[-1][0])
                if cursor.unsaved >= CURSOR_SAVE_BATCHES:
                    # Now and then, so a round cut short (a restart) resumes near where it was.
                    await self._save_cursor(panel.name, cursor)

    async def _save_cursor(self, name: str, cursor: _Cursor) -> None:
        order_id = cursor.take_unsaved()
        if order_id is None:
            return
        try:
            await self._repo.orders.save_sync_cursor(name, order_id)
        except Exception:  # only where the next round starts is lost: not worth a failed round
            logger.exception("Could not record where the status round of %s got to", name)

    async def _sync_batch(
        self, panel: PanelAPI, batch: list[tuple[int, int]], report: RoundReport
    ) -> bool:
        """Ask about one batch and store the answers; False if any is to be asked again."""
        local_by_upstream = {upstream_id: order_id for order_id, upstream_id in batch}
        upstream_ids = list(local_by_upstream)
        try:
            results = await panel.statuses(upstream_ids)
        except Exception:
            report.failed_batches += 1
            logger.exception("Status batch of %d orders failed", len(upstream_ids))
            return False
        statuses: list[tuple[int, OrderStatus]] = []
        missing: dict[int, str] = {}
        transient = 0
        for upstream_id in upstream_ids:
            result = results.get(upstream_id)
            if isinstance(result, OrderStatus):
                statuses.append((local_by_upstream[upstream_id], result))
            elif isinstance(result, ItemError) and result.transient:
                transient += 1
            elif isinstance(result, ItemError):
                missing[local_by_upstream[upstream_id]] = result.message
        if missing:
            await self._note_missing(missing, report)
        if transient:
            report.failed_batches += 1  # the client logged why; next round asks again
        try:
            changes = await self._tracker.apply_batch(statuses)
        except Exception:
            report.failed_batches += 1
            logger.exception("Could not store a batch of %d statuses", len(statuses))
            return False
        report.changes += len(changes)
        if changes and self._on_notifications is not None:
            self._on_notifications()
        return not transient

    async def _note_missing(self, missing: dict[int, str], report: RoundReport) -> None:
        """The panel says it does not know these orders: admins hear of each one once."""
        try:
            newly = await self._repo.orders.mark_missing(list(missing), format_time(_now()))
        except Exception:
            logger.exception("Could not record %d orders the panel does not know", len(missing))
            return
        report.missing += len(newly)
        for order_id in newly:
            logger.warning("Panel does not know order %s: %s", order_id, missing[order_id])
            order = await self._repo.orders.get(order_id)
            if order is not None and self._alert is not None:
                try:
                    panel = order.panel or self._panels.main.name
                    tag = panel if self._panels.several else ""
                    await self._alert(PlacementAlert(order, "missing", missing[order_id], tag))
                except Exception:  # the alert is best effort; the order is recorded anyway
                    logger.exception("Could not alert admins about order %s", order_id)

    async def _give_up_on_missing(self, report: RoundReport) -> None:
        """Orders unknown to the panel for the whole grace period go to /unknown."""
        now = _now()
        try:
            given_up = await self._repo.orders.unknown_after_missing(
                format_time(now - self._missing_grace), format_time(now)
            )
        except Exception:
            logger.exception("Could not move orders the panel forgot to /unknown")
            return
        report.unknown += len(given_up)
        for order_id in given_up:
            logger.warning(
                "Order %s: unknown to the panel past the grace period; /unknown", order_id
            )

    async def _sync_refills(self, report: RoundReport) -> None:
        by_panel = await self._repo.orders.refills_to_sync_by_panel()
        report.refills = sum(len(refills) for refills in by_panel.values())
        for name, refills in by_panel.items():
            panel = self._panels.get(name)
            if panel is None:
                logger.warning(
                    "%d refills are on panel %r, which is not configured", len(refills), name
                )
                continue
            try:
                await self._sync_panel_refills(panel.api, refills)
            except Exception:
                logger.exception("Refill statuses of panel %s failed", name)

    async def _sync_panel_refills(self, panel: PanelAPI, refills: list[Refill]) -> None:
        by_upstream = {
            refill.upstream_id: refill.id for refill in refills if refill.upstream_id is not None
        }
        if not by_upstream:
            return
        results = await panel.refill_statuses(list(by_upstream))
        changed = False
        for upstream_id, result in results.items():
            if isinstance(result, str) and upstream_id in by_upstream:
                changed |= await self._tracker.apply_refill_status(by_upstream[upstream_id], result)
        if changed and self._on_notifications is not None:
            self._on_notifications()


class _Cursor:
    """How far a panel's round has got: the last order id of the batches stored without a
    gap from the round's start. A batch that failed holds it, so the next round starts there."""

    def __init__(self, order_id: int) -> None:
        self._order_id = order_id
        self._saved = order_id
        self.unsaved = 0  # batches it moved past since it was last saved
        self._next = 0  # the first batch (by index) not stored yet
        self._ends: dict[int, int] = {}  # stored batches past a gap: index → last order id

    def stored(self, index: int, last_order_id: int) -> None:
        self._ends[index] = last_order_id
        while self._next in self._ends:
            self._order_id = self._ends.pop(self._next)
            self._next += 1
            self.unsaved += 1

    def take_unsaved(self) -> int | None:
        """The order id to save, if it moved since the last save (then counted as saved)."""
        if self._order_id == self._saved:
            return None
        self._saved, self.unsaved = self._order_id, 0
        return self._order_id


def _now() -> datetime:
    return datetime.now(UTC)
