"""Read-only figures for the owner's /stats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.money import Money
from storage.database import Database


@dataclass(frozen=True, slots=True)
class OrderCostRow:
    order_id: int
    panel: str
    day: str  # the UTC day it was placed, YYYY-MM-DD
    status: str
    service_type: str
    rate: Decimal
    quantity: int | None
    panel_charge: Decimal | None
    runs: int | None


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
        """The cost figures of each order not failed since ``since`` (one query serves every
        total, per period, per panel and per day, so they all count the same way)."""
        rows = await self._db.fetch_all(
            "SELECT id, panel, substr(created_at, 1, 10), status, service_type, rate, quantity,"
            " panel_charge, runs FROM orders WHERE created_at >= ? AND status <> 'failed'",
            (since,),
        )
        return [
            OrderCostRow(
                order_id=row[0],
                panel=row[1],
                day=row[2],
                status=row[3],
                service_type=row[4],
                rate=Decimal(row[5]),
                quantity=row[6],
                panel_charge=None if row[7] is None else Decimal(row[7]),
                runs=row[8],
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

    async def topups_since(self, since: str) -> list[RailTotal]:
        """Paid top-ups per rail since a time."""
        rows = await self._db.fetch_all(
            "SELECT rail, COUNT(*), COALESCE(SUM(amount), 0) FROM topups"
            " WHERE status = 'paid' AND paid_at >= ? GROUP BY rail ORDER BY rail",
            (since,),
        )
        return [RailTotal(row[0], int(row[1]), Money(int(row[2]))) for row in rows]

    async def paid_by_reference_since(self, since: str) -> dict[str, int]:
        """What customers paid (charges minus refunds) per ledger reference, in micro-units."""
        rows = await self._db.fetch_all(
            "SELECT reference, SUM(-amount) FROM ledger"
            " WHERE kind IN ('order_charge', 'order_refund') AND created_at >= ?"
            " GROUP BY reference",
            (since,),
        )
        return {row[0]: int(row[1]) for row in rows}
