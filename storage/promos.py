"""Promo codes and their redemptions.

The total cap is claimed with one conditional UPDATE (``used < max_uses``) inside the
redeeming transaction, never by reading the count first, so concurrent redemptions cannot
pass it; a CHECK on the table backs that up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.money import Money
from storage.database import Database, Row, utc_now
from storage.errors import ConstraintError


class PromoCodeExistsError(Exception):
    """A code with that name exists already."""


class AlreadyRedeemedError(Exception):
    """This user redeemed this code before."""


class DiscountPendingError(Exception):
    """The user already has a discount waiting for their next order."""


@dataclass(frozen=True, slots=True)
class PromoCode:
    code: str
    amount: Money | None
    percent: Decimal | None
    max_uses: int | None
    used: int
    valid_until: str | None
    active: bool
    created_at: str


@dataclass(frozen=True, slots=True)
class PendingDiscount:
    code: str
    percent: Decimal


def _code(row: Row) -> PromoCode:
    return PromoCode(
        code=row["code"],
        amount=None if row["amount"] is None else Money(row["amount"]),
        percent=None if row["percent"] is None else Decimal(row["percent"]),
        max_uses=row["max_uses"],
        used=row["used"],
        valid_until=row["valid_until"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


class PromoRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self,
        code: str,
        *,
        amount: Money | None,
        percent: Decimal | None,
        max_uses: int | None,
        valid_until: str | None,
        created_by: int,
    ) -> None:
        try:
            await self._db.execute(
                "INSERT INTO promo_codes (code, amount, percent, max_uses, valid_until,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    None if amount is None else amount.micros,
                    None if percent is None else str(percent),
                    max_uses,
                    valid_until,
                    created_by,
                    utc_now(),
                ),
            )
        except ConstraintError as error:
            if "promo_codes.code" in str(error):
                raise PromoCodeExistsError(code) from None
            raise

    async def get(self, code: str) -> PromoCode | None:
        row = await self._db.fetch_one("SELECT * FROM promo_codes WHERE code = ?", (code,))
        return None if row is None else _code(row)

    async def all(self, *, limit: int = 50) -> list[PromoCode]:
        rows = await self._db.fetch_all(
            "SELECT * FROM promo_codes ORDER BY active DESC, created_at DESC, code LIMIT ?",
            (limit,),
        )
        return [_code(row) for row in rows]

    async def deactivate(self, code: str) -> bool:
        changed = await self._db.execute(
            "UPDATE promo_codes SET active = 0 WHERE code = ? AND active = 1", (code,)
        )
        return changed > 0

    async def claim_use(self, code: str, today: str) -> bool:
        """Take one use of the code if it is active, not expired and not used up.

        Call inside the redeeming transaction: a rollback gives the use back.
        """
        changed = await self._db.execute(
            "UPDATE promo_codes SET used = used + 1 WHERE code = ? AND active = 1"
            " AND (max_uses IS NULL OR used < max_uses)"
            " AND (valid_until IS NULL OR valid_until >= ?)",
            (code, today),
        )
        return changed > 0

    async def add_redemption(self, code: str, user_id: int, percent: Decimal | None) -> None:
        """Record that the user redeemed the code (a pending discount for a percent code)."""
        try:
            await self._db.execute(
                "INSERT INTO promo_redemptions (code, user_id, percent, created_at)"
                " VALUES (?, ?, ?, ?)",
                (code, user_id, None if percent is None else str(percent), utc_now()),
            )
        except ConstraintError as error:
            if "UNIQUE" not in str(error):
                raise
            # Either key may be the one SQLite names first: ask which one holds.
            again = await self._db.fetch_value(
                "SELECT 1 FROM promo_redemptions WHERE code = ? AND user_id = ?", (code, user_id)
            )
            if again:
                raise AlreadyRedeemedError(code) from None
            raise DiscountPendingError(code) from None

    async def pending_discount(self, user_id: int) -> PendingDiscount | None:
        row = await self._db.fetch_one(
            "SELECT code, percent FROM promo_redemptions"
            " WHERE user_id = ? AND percent IS NOT NULL AND order_id IS NULL",
            (user_id,),
        )
        return None if row is None else PendingDiscount(row["code"], Decimal(row["percent"]))

    async def consume_discount(self, user_id: int, code: str, order_id: int) -> bool:
        """Spend the pending discount on an order; False if it is not pending any more.

        Call inside the transaction that charges the order.
        """
        changed = await self._db.execute(
            "UPDATE promo_redemptions SET order_id = ?, consumed_at = ?"
            " WHERE code = ? AND user_id = ? AND percent IS NOT NULL AND order_id IS NULL",
            (order_id, utc_now(), code, user_id),
        )
        return changed > 0

    async def restore_discount(self, order_id: int) -> bool:
        """Give back the discount a failed order spent (unless another one waits already,
        one at a time). Call inside the transaction that refunds the order."""
        changed = await self._db.execute(
            "UPDATE promo_redemptions SET order_id = NULL, consumed_at = NULL"
            " WHERE order_id = ? AND NOT EXISTS (SELECT 1 FROM promo_redemptions AS waiting"
            " WHERE waiting.user_id = promo_redemptions.user_id"
            " AND waiting.percent IS NOT NULL AND waiting.order_id IS NULL)",
            (order_id,),
        )
        return changed > 0
