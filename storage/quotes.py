"""Quotes shown by the Mini App, kept until confirmed (or too old to be honoured)."""

from __future__ import annotations

import json
from typing import Any

from storage.database import Database, utc_now


class QuoteRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def save(self, token: str, user_id: int, quote: dict[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO web_quotes (token, user_id, quote, created_at) VALUES (?, ?, ?, ?)",
            (token, user_id, json.dumps(quote, ensure_ascii=False, sort_keys=True), utc_now()),
        )

    async def get(self, token: str, user_id: int, *, since: str) -> dict[str, Any] | None:
        """The user's own quote with that token, issued at ``since`` or later."""
        row = await self._db.fetch_one(
            "SELECT quote FROM web_quotes WHERE token = ? AND user_id = ? AND created_at >= ?",
            (token, user_id, since),
        )
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        return data

    async def prune(self, *, before: str) -> int:
        """Forget quotes older than ``before``; their orders keep the token."""
        return await self._db.execute("DELETE FROM web_quotes WHERE created_at < ?", (before,))
