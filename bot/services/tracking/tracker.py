"""Following an order after it was placed: statuses, refunds, refills and cancels.

Every status change is stored together with its refund (if any) and the notification it
owes the user (an outbox row keyed by the change), in one transaction. Whoever sees the
change first (the sync, the Refresh button, a cancel) records it; the others find it done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.core.errors import StorefrontError
from bot.core.money import Money
from bot.services.ordering import order_reference
from bot.upstream import (
    ItemError,
    OrderStatus,
    PanelAPI,
    PanelOutcomeUnknownError,
    PanelRefusedError,
    PanelUnreachableError,
    UpstreamError,
)
from bot.upstream.panels import Panels, as_panels
from bot.upstream.types import (
    FINAL_STATUSES,
    STATUS_CANCELED,
    STATUS_IN_PROGRESS,
    STATUS_PARTIAL,
    STATUS_PENDING,
    STATUS_PROCESSING,
)
from storage.database import utc_now
from storage.ledger import EntryKind, OnceEntry
from storage.orders import FAILED, LOCAL_STATES, Order, Progress, SyncState
from storage.outbox import NOTIFY_ORDER_STATUS, NOTIFY_REFILL_STATUS
from storage.repository import Repository

logger = logging.getLogger(__name__)

FINAL_REFILL_STATUSES = frozenset({"Completed", "Rejected", "Error"})
# Known statuses only move forward (final ones are never left at all). An answer that left the
# panel before a newer one was stored (the sync's batch against a Refresh) must neither move
# the order back nor tell the user it did. A status word the shop does not know ranks with
# Pending: it is taken after Pending, never after In progress (it could mean anything).
_PROGRESS_RANK = {
    STATUS_PENDING: 0,
    STATUS_IN_PROGRESS: 1,
    **dict.fromkeys(FINAL_STATUSES, 2),
}


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES or status == FAILED


def is_trackable(order: Order) -> bool:
    """Placed with the panel and not finished: the sync should ask about it."""
    return (
        order.upstream_id is not None
        and order.status not in LOCAL_STATES
        and not is_final(order.status)
    )


def refund_due(order: SyncState, status: OrderStatus) -> Money:
    """What the customer gets back for a final status: all of it when canceled, the
    undelivered share (charge × remains / quantity, rounded down) when partial. A drip-feed
    order's remains count over all its runs, as its price does."""
    if status.status == STATUS_CANCELED:
        return Money(order.price_micros)
    if status.status == STATUS_PARTIAL and status.remains and order.total_quantity:
        return Money(order.price_micros).share(status.remains, order.total_quantity)
    return Money.zero()


@dataclass(frozen=True, slots=True)
class StatusChange:
    order_id: int
    previous_status: str
    status: str
    refund: Money


def _trackable(state: SyncState) -> bool:
    return state.placed and state.status not in LOCAL_STATES and not is_final(state.status)


def _decide(state: SyncState, status: OrderStatus, progress: list[Progress]) -> OrderStatus | None:
    """What one answer changes: the row update goes to ``progress``; returns the answer
    (its status normalized) when the order's status moved, so it is booked and told."""
    if status.status == STATUS_PROCESSING:
        # Same meaning as In progress on many panels: not a change worth a message.
        status = replace(status, status=STATUS_IN_PROGRESS)
    if _PROGRESS_RANK.get(status.status, 0) < _PROGRESS_RANK.get(state.status, 0):
        logger.info("Order %s: stale %s after %s ignored", state.id, status.status, state.status)
        return None
    if status.status == STATUS_PARTIAL and status.remains is None and state.quantity:
        # Refunding nothing would be final: wait until the panel says how much is missing.
        logger.warning("Order %s is Partial but the panel gives no remains; asking again", state.id)
        return None
    if (
        status.status == state.status
        and status.remains == state.remains
        and status.start_count == state.start_count
        and (
            status.charge is None
            or (state.panel_charge is not None and status.charge == Decimal(state.panel_charge))
        )
    ):
        return None
    progress.append(
        Progress(
            state.id,
            status.status,
            status.remains,
            status.start_count,
            status.charge,
            status.currency,
        )
    )
    return None if status.status == state.status else status


def _decide_all(
    states: dict[int, SyncState], results: list[tuple[int, OrderStatus]]
) -> tuple[list[Progress], dict[int, OrderStatus], list[int]]:
    """What the answers change: the rows to update, the status changes (normalized), and
    the orders the panel knows again after saying it did not."""
    progress: list[Progress] = []
    moved: dict[int, OrderStatus] = {}
    found_again: list[int] = []
    for order_id, status in results:
        state = states.get(order_id)
        if state is None:
            continue
        if state.missing:
            found_again.append(order_id)
        if not _trackable(state):
            continue
        decided = _decide(state, status, progress)
        if decided is not None:
            moved[order_id] = decided
    return progress, moved, found_again


_REFUSED_MESSAGE_IDS = {"refill": "order-refill-refused", "cancel": "order-cancel-refused"}


class ActionRefusedError(StorefrontError):
    """The panel refused a refill or cancel; ``detail`` is its text, shown as the reason."""

    def __init__(self, action: str, detail: str) -> None:
        self.message_id = _REFUSED_MESSAGE_IDS[action]
        super().__init__(reason=detail)
        self.detail = detail


def _refusal_or_trouble(outcome: ItemError | None, action: str) -> Exception:
    """The panel said no (its words go to the user), or the call itself failed (the user is
    told the panel is busy, never a connection error text)."""
    if outcome is not None and not outcome.transient:
        return ActionRefusedError(action, outcome.message)
    detail = outcome.message if outcome is not None else "no answer for this order"
    return PanelOutcomeUnknownError(detail, action=action)


class OrderTracker:
    def __init__(self, repo: Repository, panel: PanelAPI | Panels) -> None:
        self._repo = repo
        self._panels = as_panels(panel)

    def panel_of(self, order: Order) -> PanelAPI:
        """The client of the panel the order is on; refills and cancels go there only."""
        panel = self._panels.get(order.panel)
        if panel is None:
            # A panel removed from the settings: nothing can reach it, nothing is sent.
            raise PanelUnreachableError(f"panel {order.panel!r} is not configured", action="order")
        return panel.api

    async def apply(self, order: Order, status: OrderStatus) -> StatusChange | None:
        changes = await self.apply_batch([(order.id, status)])
        return changes[0] if changes else None

    async def apply_batch(self, results: list[tuple[int, OrderStatus]]) -> list[StatusChange]:
        """Store what the panel says about several orders in one transaction.

        The answers are compared with the orders as stored; where they change something, the
        orders are read again inside the transaction, so a stale copy can never undo a newer
        state; an order already final is left alone. Returns the status changes (orders whose
        counters alone moved are updated silently). An answer that cannot be stored (whatever
        slipped past parsing) is logged and skipped alone: the batch is then stored order by
        order, and the others move on.
        """
        if not results:
            return []
        # Most answers change nothing: they cost this one read, no transaction, no write.
        states = {
            state.id: state
            for state in await self._repo.orders.sync_states([order_id for order_id, _ in results])
        }
        progress, moved, found_again = _decide_all(states, results)
        if not progress and not found_again:
            return []
        writing = {update.order_id for update in progress}.union(found_again)
        database = self._repo.database
        async with database.transaction():
            now = utc_now()
            # Under the write lock: a Refresh may have stored a newer answer since the read.
            current = {
                state.id: state for state in await self._repo.orders.sync_states(list(writing))
            }
            if any(current.get(order_id) != states[order_id] for order_id in writing):
                answers = [
                    (order_id, status) for order_id, status in results if order_id in writing
                ]
                progress, moved, found_again = _decide_all(current, answers)
            if found_again:
                await self._repo.orders.clear_missing(found_again)
            if not progress:
                return []
            try:
                async with database.savepoint():
                    return await self._store(progress, moved, current, now)
            except Exception:
                logger.warning(
                    "A batch of %d answers failed to store; one by one now", len(progress)
                )
            changes: list[StatusChange] = []
            for update in progress:
                alone = (
                    {update.order_id: moved[update.order_id]} if update.order_id in moved else {}
                )
                try:
                    async with database.savepoint():
                        changes += await self._store([update], alone, current, now)
                except Exception as error:
                    logger.warning(
                        "Order %s: the panel's answer %s could not be stored (%s: %s);"
                        " asking again next round",
                        update.order_id,
                        update,
                        type(error).__name__,
                        error,
                    )
        return changes

    async def _store(
        self,
        progress: list[Progress],
        moved: dict[int, OrderStatus],
        current: dict[int, SyncState],
        now: str,
    ) -> list[StatusChange]:
        await self._repo.orders.update_progress_many(progress, now)
        return await self._book(list(moved.items()), current, now) if moved else []

    async def _book(
        self, moved: list[tuple[int, OrderStatus]], orders: dict[int, SyncState], now: str
    ) -> list[StatusChange]:
        """The status changes: their refunds booked once each, their messages queued."""
        refunds: list[OnceEntry] = []
        for order_id, status in moved:
            due = refund_due(orders[order_id], status)
            if due.is_positive:
                refunds.append(
                    OnceEntry(
                        orders[order_id].user_id, due, order_reference(order_id), status.status
                    )
                )
        booked = await self._repo.ledger.post_once_many(EntryKind.ORDER_REFUND, refunds)
        due_of = {entry.reference: entry.amount for entry in refunds}
        messages: list[tuple[int, str, str, dict[str, object]]] = []
        changes: list[StatusChange] = []
        for order_id, status in moved:
            order = orders[order_id]
            reference = order_reference(order_id)
            if reference in due_of and reference not in booked:
                logger.info("Order %s was already refunded", order_id)
            refund = due_of[reference] if reference in booked else Money.zero()
            messages.append(
                (
                    order.user_id,
                    NOTIFY_ORDER_STATUS,
                    f"order:{order_id}:status:{status.status}",
                    {
                        "order_id": order_id,
                        "status": status.status,
                        "previous": order.status,
                        "refund_micros": refund.micros,
                        "start_count": status.start_count,
                        "remains": status.remains,
                    },
                )
            )
            logger.info("Order %s: %s → %s", order_id, order.status, status.status)
            changes.append(StatusChange(order_id, order.status, status.status, refund))
        await self._repo.outbox.add_many(messages)
        return changes

    async def refresh(self, order: Order) -> tuple[Order, StatusChange | None]:
        """Ask the panel for the order's status now (the Refresh button)."""
        if order.upstream_id is None or not is_trackable(order):
            return order, None
        status = await self.panel_of(order).status(order.upstream_id)
        change = await self.apply(order, status)
        current = await self._repo.orders.get(order.id)
        return (current or order), change

    async def request_refill(self, order: Order) -> int:
        """Ask the panel for a refill; returns the local refill id."""
        if order.upstream_id is None:
            raise ActionRefusedError("refill", "order was not placed")
        try:
            refill_id = await self.panel_of(order).refill(order.upstream_id)
        except PanelRefusedError as error:
            raise ActionRefusedError("refill", error.detail) from None
        return await self._repo.orders.add_refill(order.id, refill_id, "Pending")

    async def request_cancel(self, order: Order) -> None:
        """Ask the panel to cancel; the refund follows when the panel reports Canceled."""
        if order.upstream_id is None:
            raise ActionRefusedError("cancel", "order was not placed")
        result = await self.panel_of(order).cancel([order.upstream_id])
        outcome = result.get(order.upstream_id, ItemError("no answer"))
        if isinstance(outcome, ItemError):
            raise _refusal_or_trouble(outcome, "cancel")
        try:
            await self.refresh(order)
        except UpstreamError as error:
            logger.info("Status after cancel of order %s not read yet: %s", order.id, error)

    async def apply_refill_status(self, refill_id: int, status: str) -> bool:
        """Store a refill's new status and queue its notification; False if unchanged."""
        if status == STATUS_PROCESSING:
            status = STATUS_IN_PROGRESS  # as for orders: the same meaning, nothing to tell
        async with self._repo.database.transaction():
            refill = await self._repo.orders.refill(refill_id)
            if refill is None or refill.status == status:
                return False
            if refill.status in FINAL_REFILL_STATUSES:
                return False
            order = await self._repo.orders.get(refill.order_id)
            await self._repo.orders.update_refill(refill_id, status)
            if order is not None:
                await self._repo.outbox.add(
                    order.user_id,
                    NOTIFY_REFILL_STATUS,
                    f"refill:{refill_id}:status:{status}",
                    {"order_id": order.id, "refill_id": refill_id, "status": status},
                )
        return True
