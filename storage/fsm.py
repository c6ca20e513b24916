"""aiogram FSM storage in SQLite, so a customer halfway through an order survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.database import Database, utc_now


def _key(key: StorageKey) -> str:
    parts = [key.bot_id, key.chat_id, key.user_id, key.thread_id or 0, key.destiny]
    if key.business_connection_id:
        parts.append(key.business_connection_id)
    return ":".join(str(part) for part in parts)


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class SQLiteStorage(BaseStorage):
    """One row per chat/user key; data is JSON (only JSON-able values belong in FSM data)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._db.execute(
            "INSERT INTO fsm_states (key, state, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET state = excluded.state,"
            " updated_at = excluded.updated_at",
            (_key(key), _state_name(state), utc_now()),
        )

    async def get_state(self, key: StorageKey) -> str | None:
        value = await self._db.fetch_value(
            "SELECT state FROM fsm_states WHERE key = ?", (_key(key),)
        )
        return None if value is None else str(value)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO fsm_states (key, data, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
            " updated_at = excluded.updated_at",
            (_key(key), json.dumps(dict(data), ensure_ascii=False), utc_now()),
        )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        value = await self._db.fetch_value(
            "SELECT data FROM fsm_states WHERE key = ?", (_key(key),)
        )
        if not value:
            return {}
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}

    async def close(self) -> None:
        """The database belongs to the application, which closes it at shutdown."""
