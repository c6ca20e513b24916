"""The ledger: every change of a balance is one append-only row.

A user's ``balance`` column is maintained by a trigger from these rows inside the same
statement, and a CHECK keeps it from going below zero, so the balance always equals the sum of
the ledger and an overdraft is refused by the database itself, whatever the interleaving.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.money import Money
from storage.database import Database, Row, utc_now
from storage.errors import (
    ConstraintError,
    DuplicateEntryError,
    InsufficientBalanceError,
    UnknownUserError,
)


class EntryKind(StrEnum):
    ORDER_CHARGE = "order_charge"
    ORDER_REFUND = "order_refund"
    ADMIN_CREDIT = "admin_credit"
    ADMIN_DEBIT = "admin_debit"
    TOPUP = "topup"
    TOPUP_REFUND = "topup_refund"
    # A Stars refund Telegram refused: the debit of that attempt put back (its reference).
    TOPUP_REFUND_UNDONE = "topup_refund_undone"
    REFERRAL = "referral"  # a referrer's share of an invited user's top-up
    # A referral bonus taken back (as far as the referrer's balance allows) when the payment
    # that earned it is refunded; its reference is the bonus's (the payment's), so once only.
    REFERRAL_REVERSAL = "referral_reversal"
    PROMO = "promo"  # an amount promo code redeemed


# Kinds that happen at most once per reference (enforced by a unique index), and the sign
# each kind's amount must have. Admin changes are once per command message too when their
# reference has the per-message shape (``admin_reference``); see migration 0005.
EXACTLY_ONCE_KINDS = frozenset(
    {
        EntryKind.ORDER_CHARGE,
        EntryKind.ORDER_REFUND,
        EntryKind.TOPUP,
        EntryKind.TOPUP_REFUND,
        EntryKind.TOPUP_REFUND_UNDONE,
        EntryKind.REFERRAL,
        EntryKind.REFERRAL_REVERSAL,
        EntryKind.PROMO,
    }
)
DEBIT_KINDS = frozenset(
    {
        EntryKind.ORDER_CHARGE,
        EntryKind.ADMIN_DEBIT,
        EntryKind.TOPUP_REFUND,
        EntryKind.REFERRAL_REVERSAL,
    }
)
# Rows per INSERT of post_once_many: well under SQLite's limit of bound parameters (32,766).
_ROWS_PER_STATEMENT = 500


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    user_id: int
    kind: EntryKind
    amount: Money
    reference: str | None
    note: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class OnceEntry:
    """One entry for :meth:`LedgerRepository.post_once_many`."""

    user_id: int
    amount: Money
    reference: str
    note: str | None = None


def _entry(row: Row) -> LedgerEntry:
    return LedgerEntry(
        id=row["id"],
        user_id=row["user_id"],
        kind=EntryKind(row["kind"]),
        amount=Money(row["amount"]),
        reference=row["reference"],
        note=row["note"],
        created_at=row["created_at"],
    )


class LedgerRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def post(
        self,
        user_id: int,
        kind: EntryKind,
        amount: Money,
        *,
        reference: str | None = None,
        note: str | None = None,
    ) -> int:
        """Record one balance change; raises if it would overdraw or was already recorded."""
        if not amount:
            raise ValueError("a ledger entry needs a non-zero amount")
        if amount.is_negative != (kind in DEBIT_KINDS):
            raise ValueError(f"a {kind.value} entry cannot have the amount {amount}")
        if kind in EXACTLY_ONCE_KINDS and not reference:
            raise ValueError(f"a {kind.value} entry needs a reference to be recorded once")
        try:
            return await self._db.insert(
                "INSERT INTO ledger (user_id, kind, amount, reference, note, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, kind.value, amount.micros, reference, note, utc_now()),
            )
        except ConstraintError as error:
            text = str(error)
            if "balance" in text and "CHECK" in text:
                raise InsufficientBalanceError(f"user {user_id}") from None
            if "UNIQUE" in text:
                raise DuplicateEntryError(f"{kind.value} {reference}") from None
            if "FOREIGN KEY" in text:
                raise UnknownUserError(str(user_id)) from None
            raise

    async def post_once_many(self, kind: EntryKind, entries: list[OnceEntry]) -> set[str]:
        """Record several credits or debits of an exactly-once kind; the references already
        recorded are skipped. Returns the references written now.

        The unique ``(kind, reference)`` index decides what is skipped, in the statement that
        writes (``ON CONFLICT DO NOTHING``): no read before it to go stale, whatever another
        worker writes meanwhile. (A read first cost a scan of all the kind's rows: no index
        serves ``kind = ?`` with the once-only index's partial condition.)
        """
        if kind not in EXACTLY_ONCE_KINDS:
            raise ValueError(f"{kind.value} entries are not recorded once per reference")
        for entry in entries:
            if not entry.amount or entry.amount.is_negative != (kind in DEBIT_KINDS):
                raise ValueError(f"a {kind.value} entry cannot have the amount {entry.amount}")
            if not entry.reference:
                raise ValueError(f"a {kind.value} entry needs a reference to be recorded once")
        first: dict[str, OnceEntry] = {}
        for entry in entries:
            first.setdefault(entry.reference, entry)  # twice in one batch: the first only
        fresh = list(first.values())
        written: set[str] = set()
        now = utc_now()
        for start in range(0, len(fresh), _ROWS_PER_STATEMENT):
            chunk = fresh[start : start + _ROWS_PER_STATEMENT]
            params: list[object] = []
            for entry in chunk:
                params += (entry.user_id, kind.value, entry.amount.micros, entry.reference)
                params += (entry.note, now)
            try:
                rows = await self._db.execute_returning(
                    "INSERT INTO ledger (user_id, kind, amount, reference, note, created_at)"
                    f" VALUES {','.join(['(?, ?, ?, ?, ?, ?)'] * len(chunk))}"
                    " ON CONFLICT DO NOTHING RETURNING reference",
                    params,
                )
            except ConstraintError as error:
                text = str(error)
                if "balance" in text and "CHECK" in text:
                    raise InsufficientBalanceError("a batch of entries") from None
                if "FOREIGN KEY" in text:
                    raise UnknownUserError("a batch of entries") from None
                raise
            written.update(row[0] for row in rows)
        return written

    async def balance(self, user_id: int) -> Money:
        value = await self._db.fetch_value("SELECT balance FROM users WHERE id = ?", (user_id,))
        return Money(int(value or 0))

    async def sum_for_user(self, user_id: int) -> Money:
        """The balance recomputed from the entries (for invariant checks)."""
        value = await self._db.fetch_value(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ?", (user_id,)
        )
        return Money(int(value))

    async def exists(self, kind: EntryKind, reference: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM ledger WHERE kind = ? AND reference = ?", (kind.value, reference)
        )
        return row is not None

    async def find(self, kind: EntryKind, reference: str) -> LedgerEntry | None:
        """The entry of an exactly-once kind under ``reference``, if there is one."""
        row = await self._db.fetch_one(
            "SELECT * FROM ledger WHERE kind = ? AND reference = ?", (kind.value, reference)
        )
        return None if row is None else _entry(row)

    async def recent(self, user_id: int, *, limit: int = 5, offset: int = 0) -> list[LedgerEntry]:
        rows = await self._db.fetch_all(
            "SELECT * FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [_entry(row) for row in rows]

    async def count(self, user_id: int) -> int:
        return int(
            await self._db.fetch_value("SELECT COUNT(*) FROM ledger WHERE user_id = ?", (user_id,))
        )

    async def mismatched_balances(self) -> list[int]:
        """Users whose stored balance differs from their ledger sum: must always be empty."""
        rows = await self._db.fetch_all(
            "SELECT u.id FROM users u LEFT JOIN"
            " (SELECT user_id, SUM(amount) AS total FROM ledger GROUP BY user_id) l"
            " ON l.user_id = u.id WHERE u.balance <> COALESCE(l.total, 0)"
        )
        return [row[0] for row in rows]
