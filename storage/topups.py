"""Top-ups of every payment rail: one row per attempt, moved along by guarded status changes.

Every move is ``UPDATE … WHERE status IN (expected)``: of two tasks racing to settle the same
top-up (a webhook and the poll, two admins), one changes the row and the other changes
nothing, and knows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.money import Money
from storage.database import Database, Row, utc_now
from storage.errors import ConstraintError

PENDING = "pending"
REVIEW = "review"
PAID = "paid"
EXPIRED = "expired"
REJECTED = "rejected"
FAILED = "failed"
OPEN_STATUSES = (PENDING, REVIEW)


@dataclass(frozen=True, slots=True)
class Topup:
    id: int
    rail: str
    user_id: int
    amount: Money
    currency: str
    status: str
    provider_payment_id: str | None
    pay_url: str | None
    expires_at: str | None
    proof_kind: str | None
    proof_chat_id: int | None
    proof_message_id: int | None
    proof_text: str | None
    decided_by: int | None
    reason: str | None
    created_at: str
    paid_at: str | None


def _topup(row: Row) -> Topup:
    return Topup(
        id=row["id"],
        rail=row["rail"],
        user_id=row["user_id"],
        amount=Money(row["amount"]),
        currency=row["currency"],
        status=row["status"],
        provider_payment_id=row["provider_payment_id"],
        pay_url=row["pay_url"],
        expires_at=row["expires_at"],
        proof_kind=row["proof_kind"],
        proof_chat_id=row["proof_chat_id"],
        proof_message_id=row["proof_message_id"],
        proof_text=row["proof_text"],
        decided_by=row["decided_by"],
        reason=row["reason"],
        created_at=row["created_at"],
        paid_at=row["paid_at"],
    )


class TopupRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self, *, rail: str, user_id: int, amount: Money, currency: str, status: str = PENDING
    ) -> int:
        now = utc_now()
        return await self._db.insert(
            "INSERT INTO topups (rail, user_id, amount, currency, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rail, user_id, amount.micros, currency, status, now, now),
        )

    async def add_paid(
        self,
        *,
        rail: str,
        user_id: int,
        amount: Money,
        currency: str,
        provider_payment_id: str,
    ) -> int | None:
        """Record a top-up that arrived already paid (Stars); None if this payment was seen."""
        now = utc_now()
        try:
            return await self._db.insert(
                "INSERT INTO topups (rail, user_id, amount, currency, status, provider_payment_id,"
                " created_at, updated_at, paid_at) VALUES (?, ?, ?, ?, 'paid', ?, ?, ?, ?)",
                (rail, user_id, amount.micros, currency, provider_payment_id, now, now, now),
            )
        except ConstraintError as error:
            if "UNIQUE" in str(error):
                return None
            raise

    async def get(self, topup_id: int) -> Topup | None:
        row = await self._db.fetch_one("SELECT * FROM topups WHERE id = ?", (topup_id,))
        return None if row is None else _topup(row)

    async def by_provider_id(self, rail: str, provider_payment_id: str) -> Topup | None:
        row = await self._db.fetch_one(
            "SELECT * FROM topups WHERE rail = ? AND provider_payment_id = ?",
            (rail, provider_payment_id),
        )
        return None if row is None else _topup(row)

    async def attach_invoice(
        self, topup_id: int, *, provider_payment_id: str, pay_url: str, expires_at: str | None
    ) -> bool:
        """The provider's id and link for a pending top-up (False if it already has an id)."""
        try:
            changed = await self._db.execute(
                "UPDATE topups SET provider_payment_id = ?, pay_url = ?, expires_at = ?,"
                " updated_at = ? WHERE id = ? AND provider_payment_id IS NULL",
                (provider_payment_id, pay_url, expires_at, utc_now(), topup_id),
            )
        except ConstraintError as error:
            if "UNIQUE" in str(error):
                return False
            raise
        return changed > 0

    async def move(
        self,
        topup_id: int,
        status: str,
        *,
        expected: Iterable[str],
        provider_payment_id: str | None = None,
        decided_by: int | None = None,
        reason: str | None = None,
        amount: Money | None = None,
    ) -> bool:
        """Change the status if it is one of ``expected``; False if someone else moved it."""
        now = utc_now()
        statuses = tuple(expected)
        marks = ",".join("?" * len(statuses))
        changed = await self._db.execute(
            "UPDATE topups SET status = ?, updated_at = ?,"
            " provider_payment_id = COALESCE(provider_payment_id, ?),"
            " decided_by = COALESCE(?, decided_by), reason = COALESCE(?, reason),"
            " amount = COALESCE(?, amount),"
            " paid_at = CASE WHEN ? = 'paid' THEN ? ELSE paid_at END"
            f" WHERE id = ? AND status IN ({marks})",
            (
                status,
                now,
                provider_payment_id,
                decided_by,
                reason,
                None if amount is None else amount.micros,
                status,
                now,
                topup_id,
                *statuses,
            ),
        )
        return changed > 0

    async def set_proof(
        self,
        topup_id: int,
        *,
        user_id: int,
        kind: str,
        chat_id: int,
        message_id: int,
        text: str | None,
    ) -> bool:
        """The customer's proof of a manual transfer; the request goes to review once."""
        changed = await self._db.execute(
            "UPDATE topups SET status = 'review', proof_kind = ?, proof_chat_id = ?,"
            " proof_message_id = ?, proof_text = ?, updated_at = ?"
            " WHERE id = ? AND user_id = ? AND status = 'pending'",
            (kind, chat_id, message_id, text, utc_now(), topup_id, user_id),
        )
        return changed > 0

    async def fail_stale(self, rail: str, *, before: str) -> int:
        """Pending top-ups created before ``before`` that never got a provider id: failed."""
        return await self._db.execute(
            "UPDATE topups SET status = 'failed', updated_at = ? WHERE rail = ?"
            " AND status = 'pending' AND provider_payment_id IS NULL AND created_at < ?",
            (utc_now(), rail, before),
        )

    async def open(
        self,
        rail: str,
        *,
        status: str = PENDING,
        limit: int = 1000,
        created_before: str | None = None,
    ) -> list[Topup]:
        """Open top-ups of one rail, oldest first (only those created before
        ``created_before``, when given)."""
        if created_before is None:
            rows = await self._db.fetch_all(
                "SELECT * FROM topups WHERE rail = ? AND status = ? ORDER BY id LIMIT ?",
                (rail, status, limit),
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM topups WHERE rail = ? AND status = ? AND created_at < ?"
                " ORDER BY id LIMIT ?",
                (rail, status, created_before, limit),
            )
        return [_topup(row) for row in rows]
