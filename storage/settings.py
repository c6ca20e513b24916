"""Run-time settings an admin changes from the chat, and markups per category or service."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.database import Database, utc_now

CATEGORY = "category"
SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Markup:
    scope: str
    target_id: int
    percent: Decimal


class SettingsRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, key: str) -> str | None:
        value = await self._db.fetch_value("SELECT value FROM settings WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set(self, key: str, value: str | None) -> None:
        if value is None:
            await self._db.execute("DELETE FROM settings WHERE key = ?", (key,))
            return
        await self._db.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (key, value, utc_now()),
        )

    async def markups(self) -> list[Markup]:
        rows = await self._db.fetch_all("SELECT scope, target_id, percent FROM markups")
        return [Markup(row[0], row[1], Decimal(row[2])) for row in rows]

    async def set_markup(self, scope: str, target_id: int, percent: Decimal | None) -> None:
        """Set an override; None removes it (the next level up applies again)."""
        if percent is None:
            await self._db.execute(
                "DELETE FROM markups WHERE scope = ? AND target_id = ?", (scope, target_id)
            )
            return
        await self._db.execute(
            "INSERT INTO markups (scope, target_id, percent) VALUES (?, ?, ?)"
            " ON CONFLICT (scope, target_id) DO UPDATE SET percent = excluded.percent",
            (scope, target_id, str(percent)),
        )
