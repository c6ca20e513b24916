"""Read-only figures for the owner's /stats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.money import Money
from storage.database import Database


@dataclass(frozen=True, slots=True)
class OrderCostRow:
    status: str
    service_type: str
    rate: Decimal
    quantity: int | None
    panel_charge: Decimal | None
    runs: int | None = None


@dataclass(frozen=True, slots=True)
class RailTotal:
    """Paid top-ups of one payment rail: how many, and how much."""

    rail: str
    count: int
    amount: Money


class StatsRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def users(self, since_today: str, since_week: str) -> tuple[int, int, int, int, int]:
        """(total, new today, new in 7 days, blocked the bot, banned)."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*), SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN created_at >= ? THEN 1 ELSE 0 END), SUM(blocked_bot),"
            " SUM(banned) FROM users",
            (since_today, since_week),
        )
        assert row is not None
        return tuple(int(value or 0) for value in row)  # type: ignore[return-value]

    async def orders_since(self, since: str) -> int:
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM orders WHERE created_at >= ? AND status <> 'failed'",
                (since,),
            )
        )

    async def paid_since(self, since: str) -> int:
        """What customers paid for orders (charges minus order refunds), in micro-units."""
        value = await self._db.fetch_value(
            "SELECT COALESCE(SUM(-amount), 0) FROM ledger"
            " WHERE kind IN ('order_charge', 'order_refund') AND created_at >= ?",
            (since,),
        )
        return int(value)

    async def order_costs_since(self, since: str) -> list[OrderCostRow]:
        rows = await self._db.fetch_all(
            "SELECT status, service_type, rate, quantity, panel_charge, runs FROM orders"
            " WHERE created_at >= ? AND status <> 'failed'",
            (since,),
        )
        return [
            OrderCostRow(
                status=row[0],
                service_type=row[1],
                rate=Decimal(row[2]),
                quantity=row[3],
                panel_charge=None if row[4] is None else Decimal(row[4]),
                runs=row[5],
            )
            for row in rows
        ]

    async def daily_paid_since(self, since: str) -> dict[str, int]:
        """What customers paid for orders per UTC day (``YYYY-MM-DD``), in micro-units."""
        rows = await self._db.fetch_all(
            "SELECT substr(created_at, 1, 10) AS day, SUM(-amount) FROM ledger"
            " WHERE kind IN ('order_charge', 'order_refund') AND created_at >= ? GROUP BY day",
            (since,),
        )
        return {row[0]: int(row[1]) for row in rows}

    async def daily_order_costs_since(self, since: str) -> list[tuple[str, OrderCostRow]]:
        """Each order not failed since ``since``, with the UTC day it was placed."""
        rows = await self._db.fetch_all(
            "SELECT substr(created_at, 1, 10), status, service_type, rate, quantity, panel_charge"
            " FROM orders WHERE created_at >= ? AND status <> 'failed'",
            (since,),
        )
        return [
            (
                row[0],
                OrderCostRow(
                    status=row[1],
                    service_type=row[2],
                    rate=Decimal(row[3]),
                    quantity=row[4],
                    panel_charge=None if row[5] is None else Decimal(row[5]),
                ),
            )
            for row in rows
        ]

    async def topups_since(self, since: str) -> list[RailTotal]:
        """Paid top-ups per rail since a time."""
        rows = await self._db.fetch_all(
            "SELECT rail, COUNT(*), COALESCE(SUM(amount), 0) FROM topups"
            " WHERE status = 'paid' AND paid_at >= ? GROUP BY rail ORDER BY rail",
            (since,),
        )
        return [RailTotal(row[0], int(row[1]), Money(int(row[2]))) for row in rows]

    async def order_costs_by_panel_since(self, since: str) -> list[tuple[int, str, OrderCostRow]]:
        """(order id, panel, cost figures) of each order not failed since ``since``."""
        rows = await self._db.fetch_all(
            "SELECT id, panel, status, service_type, rate, quantity, panel_charge, runs"
            " FROM orders WHERE created_at >= ? AND status <> 'failed'",
            (since,),
        )
        return [
            (
                row[0],
                row[1],
                OrderCostRow(
                    status=row[2],
                    service_type=row[3],
                    rate=Decimal(row[4]),
                    quantity=row[5],
                    panel_charge=None if row[6] is None else Decimal(row[6]),
                    runs=row[7],
                ),
            )
            for row in rows
        ]

    async def paid_by_reference_since(self, since: str) -> dict[str, int]:
        """What customers paid (charges minus refunds) per ledger reference, in micro-units."""
        rows = await self._db.fetch_all(
            "SELECT reference, SUM(-amount) FROM ledger"
            " WHERE kind IN ('order_charge', 'order_refund') AND created_at >= ?"
            " GROUP BY reference",
            (since,),
        )
        return {row[0]: int(row[1]) for row in rows}
