"""Broadcasts and their per-recipient state, so an interrupted one resumes where it stopped."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, Row, utc_now
from storage.errors import ConstraintError, StorageError

DRAFT = "draft"
RUNNING = "running"
DONE = "done"
STOPPED = "stopped"
DISCARDED = "discarded"

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"


class BroadcastAlreadyRunningError(StorageError):
    """Another broadcast is running; two never run at once."""


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    admin_id: int
    source_chat_id: int
    source_message_id: int
    status: str
    progress_chat_id: int | None
    progress_message_id: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class BroadcastCounts:
    pending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed + self.blocked

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.blocked


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        admin_id=row["admin_id"],
        source_chat_id=row["source_chat_id"],
        source_message_id=row["source_message_id"],
        status=row["status"],
        progress_chat_id=row["progress_chat_id"],
        progress_message_id=row["progress_message_id"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


# Who a broadcast goes to: everyone who has not blocked the bot and is not banned.
_AUDIENCE = "FROM users WHERE banned = 0 AND blocked_bot = 0"


class BroadcastRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def audience_size(self) -> int:
        return int(await self._db.fetch_value(f"SELECT COUNT(*) {_AUDIENCE}"))

    async def create_draft(self, admin_id: int, chat_id: int, message_id: int) -> int:
        return await self._db.insert(
            "INSERT INTO broadcasts (admin_id, source_chat_id, source_message_id, status,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (admin_id, chat_id, message_id, DRAFT, utc_now()),
        )

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else _broadcast(row)

    async def running(self) -> Broadcast | None:
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE status = ?", (RUNNING,))
        return None if row is None else _broadcast(row)

    async def start(self, broadcast_id: int) -> int | None:
        """Freeze the audience and mark the draft running; returns the number of recipients,
        or None when it is no longer a draft (another press started or dropped it first)."""
        try:
            async with self._db.transaction():
                changed = await self._db.execute(
                    "UPDATE broadcasts SET status = ?, started_at = ? WHERE id = ? AND status = ?",
                    (RUNNING, utc_now(), broadcast_id, DRAFT),
                )
                if not changed:
                    return None
                await self._db.execute(
                    "INSERT INTO broadcast_recipients (broadcast_id, user_id, state)"
                    f" SELECT ?, id, ? {_AUDIENCE}",
                    (broadcast_id, PENDING),
                )
        except ConstraintError as error:
            if "broadcasts.status" in str(error) or "UNIQUE" in str(error):
                raise BroadcastAlreadyRunningError(str(broadcast_id)) from None
            raise
        return (await self.counts(broadcast_id)).total

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def discard(self, broadcast_id: int) -> bool:
        """Drop a draft; False when it is not one any more (a started broadcast is stopped,
        never discarded, so it keeps its place under the one-running rule until it ends)."""
        changed = await self._db.execute(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ? AND status = ?",
            (DISCARDED, utc_now(), broadcast_id, DRAFT),
        )
        return changed > 0

    async def finish(self, broadcast_id: int, status: str) -> bool:
        changed = await self._db.execute(
            "UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ? AND status IN (?, ?)",
            (status, utc_now(), broadcast_id, RUNNING, DRAFT),
        )
        return changed > 0

    async def pending(self, broadcast_id: int, *, limit: int = 200) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT user_id FROM broadcast_recipients WHERE broadcast_id = ? AND state = ?"
            " ORDER BY user_id LIMIT ?",
            (broadcast_id, PENDING, limit),
        )
        return [row[0] for row in rows]

    async def mark(
        self, broadcast_id: int, user_id: int, state: str, error: str | None = None
    ) -> None:
        await self._db.execute(
            "UPDATE broadcast_recipients SET state = ?, error = ?, attempts = attempts + 1,"
            " updated_at = ? WHERE broadcast_id = ? AND user_id = ?",
            (state, error, utc_now(), broadcast_id, user_id),
        )

    async def counts(self, broadcast_id: int) -> BroadcastCounts:
        rows = await self._db.fetch_all(
            "SELECT state, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?"
            " GROUP BY state",
            (broadcast_id,),
        )
        found = {row[0]: row[1] for row in rows}
        return BroadcastCounts(
            pending=found.get(PENDING, 0),
            sent=found.get(SENT, 0),
            failed=found.get(FAILED, 0),
            blocked=found.get(BLOCKED, 0),
        )

    async def prune_recipients(self, *, before: str, limit: int) -> int:
        """Delete up to ``limit`` recipient rows of broadcasts that ended (done, stopped or
        discarded) before ``before``; a running broadcast's are never touched."""
        return await self._db.execute(
            "DELETE FROM broadcast_recipients WHERE (broadcast_id, user_id) IN ("
            " SELECT r.broadcast_id, r.user_id FROM broadcast_recipients r"
            " JOIN broadcasts b ON b.id = r.broadcast_id"
            " WHERE b.status IN (?, ?, ?) AND COALESCE(b.finished_at, b.created_at) < ?"
            " LIMIT ?)",
            (DONE, STOPPED, DISCARDED, before, limit),
        )
