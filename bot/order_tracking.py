"""Following an order after it was placed: statuses, refunds, refills and cancels."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.money import Money
from bot.ordering import order_reference
from bot.upstream import ItemError, OrderStatus, PanelAPI, UpstreamError
from bot.upstream.types import FINAL_STATUSES, STATUS_CANCELED, STATUS_PARTIAL
from storage.errors import DuplicateEntryError
from storage.ledger import EntryKind
from storage.orders import LOCAL_STATES, Order
from storage.repository import Repository

logger = logging.getLogger(__name__)


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES or status == "failed"


def refund_due(order: Order, status: OrderStatus) -> Money:
    """What the customer gets back for a final status: all of it when canceled, the
    undelivered share (charge × remains / quantity, rounded down) when partial."""
    if status.status == STATUS_CANCELED:
        return order.price
    if status.status == STATUS_PARTIAL and status.remains and order.quantity:
        return order.price.share(status.remains, order.quantity)
    return Money.zero()


@dataclass(frozen=True, slots=True)
class StatusChange:
    order: Order
    previous_status: str
    refund: Money


class ActionRefusedError(Exception):
    """The panel refused a refill or cancel; ``detail`` is its text."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class OrderTracker:
    def __init__(self, repo: Repository, panel: PanelAPI) -> None:
        self._repo = repo
        self._panel = panel

    async def apply(self, order: Order, status: OrderStatus) -> StatusChange | None:
        """Store what the panel says about an order; refund once if it ended short.

        Returns the change when the status moved (None when only counters changed or the
        order is already final, in which case nothing is touched).
        """
        if order.upstream_id is None or order.status in LOCAL_STATES or is_final(order.status):
            return None
        refund = Money.zero()
        async with self._repo.database.transaction():
            await self._repo.orders.update_progress(
                order.id,
                status=status.status,
                remains=status.remains,
                start_count=status.start_count,
                panel_charge=status.charge,
                currency=status.currency,
            )
            due = refund_due(order, status)
            if due.is_positive:
                try:
                    await self._repo.ledger.post(
                        order.user_id,
                        EntryKind.ORDER_REFUND,
                        due,
                        reference=order_reference(order.id),
                        note=status.status,
                    )
                    refund = due
                except DuplicateEntryError:
                    logger.info("Order %s was already refunded", order.id)
        updated = await self._repo.orders.get(order.id)
        if updated is None or updated.status == order.status:
            return None
        return StatusChange(updated, order.status, refund)

    async def refresh(self, order: Order) -> tuple[Order, StatusChange | None]:
        """Ask the panel for the order's status now (the Refresh button)."""
        if order.upstream_id is None or is_final(order.status):
            return order, None
        status = await self._panel.status(order.upstream_id)
        change = await self.apply(order, status)
        current = await self._repo.orders.get(order.id)
        return (current or order), change

    async def request_refill(self, order: Order) -> int:
        """Ask the panel for a refill; returns the local refill id."""
        if order.upstream_id is None:
            raise ActionRefusedError("order was not placed")
        result = await self._panel.refills([order.upstream_id])
        outcome = result.get(order.upstream_id)
        if isinstance(outcome, ItemError) or outcome is None:
            raise ActionRefusedError(outcome.message if outcome else "no answer")
        return await self._repo.orders.add_refill(order.id, outcome, "Pending")

    async def request_cancel(self, order: Order) -> None:
        """Ask the panel to cancel; the refund follows when the panel reports Canceled."""
        if order.upstream_id is None:
            raise ActionRefusedError("order was not placed")
        result = await self._panel.cancel([order.upstream_id])
        outcome = result.get(order.upstream_id, ItemError("no answer"))
        if isinstance(outcome, ItemError):
            raise ActionRefusedError(outcome.message)
        try:
            await self.refresh(order)
        except UpstreamError as error:
            logger.info("Status after cancel of order %s not read yet: %s", order.id, error)
