"""The notification outbox: messages owed to users, written with the change they report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.database import Database, Row, utc_now

# What a queued message reports; the outbox sender renders each kind in the user's language.
NOTIFY_ORDER_STATUS = "order_status"
NOTIFY_REFILL_STATUS = "refill_status"
NOTIFY_ORDER_SETTLED = "order_settled"
NOTIFY_TOPUP_PAID = "topup_paid"
NOTIFY_TOPUP_CLOSED = "topup_closed"  # expired or rejected
NOTIFY_REFERRAL_BONUS = "referral_bonus"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    user_id: int
    kind: str
    payload: dict[str, Any]
    dedupe_key: str
    attempts: int


def _message(row: Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        user_id=row["user_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        dedupe_key=row["dedupe_key"],
        attempts=row["attempts"],
    )


class OutboxRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, user_id: int, kind: str, dedupe_key: str, payload: dict[str, Any]) -> bool:
        """Queue a message; False when the same change was queued before (nothing written)."""
        changed = await self._db.execute(
            "INSERT INTO outbox (user_id, kind, payload, dedupe_key, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (user_id, kind, json.dumps(payload, sort_keys=True), dedupe_key, utc_now()),
        )
        return changed > 0

    async def add_many(self, messages: list[tuple[int, str, str, dict[str, Any]]]) -> None:
        """Queue several (user id, kind, dedupe key, payload) in one statement; a change
        queued before is skipped, as by :meth:`add`."""
        if not messages:
            return
        now = utc_now()
        await self._db.execute_many(
            "INSERT INTO outbox (user_id, kind, payload, dedupe_key, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            [
                (user_id, kind, json.dumps(payload, sort_keys=True), dedupe_key, now)
                for user_id, kind, dedupe_key, payload in messages
            ],
        )

    async def due(self, *, limit: int = 100) -> list[OutboxMessage]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE sent_at IS NULL AND dropped = 0"
            " AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY id LIMIT ?",
            (utc_now(), limit),
        )
        return [_message(row) for row in rows]

    async def mark_sent(self, message_id: int) -> None:
        await self._db.execute(
            "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (utc_now(), message_id),
        )

    async def mark_dropped(self, message_id: int, reason: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET dropped = 1, last_error = ?, attempts = attempts + 1 WHERE id = ?",
            (reason, message_id),
        )

    async def retry_later(self, message_id: int, reason: str, next_try_at: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_try_at = ?"
            " WHERE id = ?",
            (reason, next_try_at, message_id),
        )

    async def pending_count(self) -> int:
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dropped = 0"
            )
        )

    async def prune(self, *, before: str, limit: int) -> int:
        """Delete up to ``limit`` finished rows (sent, or given up) created before ``before``;
        a row still waiting to be sent is never touched. Returns how many went."""
        return await self._db.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
            " WHERE (sent_at IS NOT NULL OR dropped = 1) AND created_at < ? ORDER BY id LIMIT ?)",
            (before, limit),
        )
