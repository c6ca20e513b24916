"""aiogram FSM storage in the database, so a customer halfway through an order survives a
restart (and, on PostgreSQL, reaches any worker)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.database import Database, utc_now

# Chats whose state is kept in memory; older ones are read from SQLite again when they return.
DEFAULT_CACHE_SIZE = 20_000


def _key(key: StorageKey) -> str:
    parts = [key.bot_id, key.chat_id, key.user_id, key.thread_id or 0, key.destiny]
    if key.business_connection_id:
        parts.append(key.business_connection_id)
    return ":".join(str(part) for part in parts)


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class _Row(NamedTuple):
    state: str | None
    data: str  # JSON text: every get_data() hands out a fresh dict the caller may change


_EMPTY = _Row(None, "{}")  # what a key without a row reads as


class DatabaseStorage(BaseStorage):
    """One row per chat/user key; data is JSON (only JSON-able values belong in FSM data).

    aiogram reads the state on every update and handlers read and write it several times
    more, so on SQLite this process keeps a copy of the rows it has seen (it is the only
    writer of the table): reads come from memory, a write that changes nothing (``clear()``
    on a chat with no flow, most of the catalog's screens) is skipped, and every other write
    reaches SQLite before the call returns, so a restart still resumes the flow where it was.
    On a database other processes write too (PostgreSQL, several workers: the next update of
    a chat may reach any of them) nothing is kept: every read asks the database.
    """

    def __init__(self, database: Database, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self._db = database
        self._cache: OrderedDict[str, _Row] = OrderedDict()
        self._cache_size = 0 if database.shared else cache_size
        self._writing: dict[str, int] = {}  # writes under way per key

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = _state_name(state)
        text_key = _key(key)
        row = await self._row(text_key)
        if row.state != name or text_key in self._writing:
            await self._write(
                text_key,
                row._replace(state=name),
                "INSERT INTO fsm_states (key, state, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at",
                (text_key, name, utc_now()),
            )

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._row(_key(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        text = json.dumps(dict(data), ensure_ascii=False)
        text_key = _key(key)
        row = await self._row(text_key)
        if row.data != text or text_key in self._writing:
            await self._write(
                text_key,
                row._replace(data=text),
                "INSERT INTO fsm_states (key, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
                " updated_at = excluded.updated_at",
                (text_key, text, utc_now()),
            )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        loaded = json.loads((await self._row(_key(key))).data)
        return loaded if isinstance(loaded, dict) else {}

    async def close(self) -> None:
        """The database belongs to the application, which closes it at shutdown."""

    async def _row(self, key: str) -> _Row:
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        found = await self._db.fetch_one("SELECT state, data FROM fsm_states WHERE key = ?", (key,))
        row = _EMPTY if found is None else _Row(found["state"], found["data"] or "{}")
        # A write that started while this read waited for the database is newer: keep it.
        if key not in self._cache:
            self._remember(key, row)
        return self._cache.get(key, row)

    async def _write(self, key: str, row: _Row, sql: str, params: tuple[Any, ...]) -> None:
        if self._db.in_transaction():
            # The caller's transaction may still roll back: read the key from the database
            # (once that transaction is over) next time.
            self._cache.pop(key, None)
            await self._db.execute(sql, params)
            return
        # The copy changes first, in call order; the database's lock runs the statements in
        # that same order, so after the last write both hold the last value.
        self._remember(key, row)
        self._writing[key] = self._writing.get(key, 0) + 1
        try:
            await self._db.execute(sql, params)
        except BaseException:
            self._cache.pop(key, None)  # unknown now: read it from the database next time
            raise
        finally:
            remaining = self._writing.pop(key) - 1
            if remaining:
                self._writing[key] = remaining

    def _remember(self, key: str, row: _Row) -> None:
        self._cache[key] = row
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


SQLiteStorage = DatabaseStorage  # the name it had while SQLite was the only engine
