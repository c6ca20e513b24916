"""Star payments: what was paid, what was credited, whether it was refunded."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.money import Money
from storage.database import Database, Row, utc_now
from storage.errors import ConstraintError

PAID = "paid"
REFUNDING = "refunding"
REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Payment:
    charge_id: str
    provider_charge_id: str | None
    user_id: int
    stars: int
    amount: Money
    payload: str
    status: str
    created_at: str
    refunded_at: str | None


def _payment(row: Row) -> Payment:
    return Payment(
        charge_id=row["charge_id"],
        provider_charge_id=row["provider_charge_id"],
        user_id=row["user_id"],
        stars=row["stars"],
        amount=Money(row["amount"]),
        payload=row["payload"],
        status=row["status"],
        created_at=row["created_at"],
        refunded_at=row["refunded_at"],
    )


class PaymentRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(
        self,
        *,
        charge_id: str,
        provider_charge_id: str | None,
        user_id: int,
        stars: int,
        amount: Money,
        payload: str,
    ) -> bool:
        """Record a payment; False when this charge id was recorded before."""
        try:
            await self._db.execute(
                "INSERT INTO payments (charge_id, provider_charge_id, user_id, stars, amount,"
                " payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (charge_id, provider_charge_id, user_id, stars, amount.micros, payload, utc_now()),
            )
        except ConstraintError as error:
            if "charge_id" in str(error):
                return False
            raise
        return True

    async def get(self, charge_id: str) -> Payment | None:
        row = await self._db.fetch_one("SELECT * FROM payments WHERE charge_id = ?", (charge_id,))
        return None if row is None else _payment(row)

    async def set_status(self, charge_id: str, status: str, *, expected: str) -> bool:
        changed = await self._db.execute(
            "UPDATE payments SET status = ?, refunded_at = CASE WHEN ? = 'refunded'"
            " THEN ? ELSE refunded_at END WHERE charge_id = ? AND status = ?",
            (status, status, utc_now(), charge_id, expected),
        )
        return changed > 0
