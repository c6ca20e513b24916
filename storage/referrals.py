"""Invite codes and who invited whom (bound once, never changed: see migration 0007)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.money import Money
from storage.database import Database, utc_now
from storage.errors import ConstraintError


@dataclass(frozen=True, slots=True)
class ReferralStats:
    joined: int
    earned: Money


class ReferralRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def code_of(self, user_id: int) -> str | None:
        value = await self._db.fetch_value(
            "SELECT code FROM referral_codes WHERE user_id = ?", (user_id,)
        )
        return None if value is None else str(value)

    async def add_code(self, user_id: int, code: str) -> bool:
        """Give the user this code unless they have one; False if the code is taken by
        someone else (the caller draws another)."""
        try:
            await self._db.execute(
                "INSERT INTO referral_codes (user_id, code, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO NOTHING",
                (user_id, code, utc_now()),
            )
        except ConstraintError as error:
            if "code" in str(error):
                return False
            raise
        return True

    async def owner_of(self, code: str) -> int | None:
        value = await self._db.fetch_value(
            "SELECT user_id FROM referral_codes WHERE code = ?", (code,)
        )
        return None if value is None else int(value)

    async def bind(self, user_id: int, referrer_id: int) -> bool:
        """Record that ``referrer_id`` invited ``user_id``; False if the user already has a
        referrer or names themselves (the table's key and CHECK decide, not a prior read)."""
        if user_id == referrer_id:
            return False
        changed = await self._db.execute(
            "INSERT INTO referrals (user_id, referrer_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user_id, referrer_id, utc_now()),
        )
        return changed > 0

    async def referrer_of(self, user_id: int) -> int | None:
        value = await self._db.fetch_value(
            "SELECT referrer_id FROM referrals WHERE user_id = ?", (user_id,)
        )
        return None if value is None else int(value)

    async def stats(self, referrer_id: int) -> ReferralStats:
        row = await self._db.fetch_one(
            "SELECT (SELECT COUNT(*) FROM referrals WHERE referrer_id = ?) AS joined,"
            " (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ?"
            " AND kind IN ('referral', 'referral_reversal')) AS earned",
            (referrer_id, referrer_id),
        )
        assert row is not None  # an aggregate always has a row
        return ReferralStats(joined=int(row["joined"]), earned=Money(int(row["earned"])))
