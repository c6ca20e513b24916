"""The FSM storage: what a handler wrote is in SQLite when the call returns, whatever it keeps
in memory to spare the database a read per update."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from storage.database import Database
from storage.fsm import SQLiteStorage

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)
OTHER = StorageKey(bot_id=1, chat_id=43, user_id=43)


class Flow(StatesGroup):
    link = State()
    quantity = State()


class Rollback(Exception):
    pass


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "fsm.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def rows(database: Database) -> dict[str, tuple[Any, Any]]:
    found = await database.fetch_all("SELECT key, state, data FROM fsm_states")
    return {row["key"]: (row["state"], row["data"]) for row in found}


async def test_a_flow_is_in_the_database_when_the_call_returns(database: Database) -> None:
    storage = SQLiteStorage(database)
    state = FSMContext(storage, KEY)
    await state.set_state(Flow.link)
    await state.update_data(service_id=7)
    await state.update_data(link="https://t.me/x")

    # A restart: a new storage with nothing in memory reads the flow back.
    restarted = FSMContext(SQLiteStorage(database), KEY)
    assert await restarted.get_state() == Flow.link.state
    assert await restarted.get_data() == {"service_id": 7, "link": "https://t.me/x"}
    await restarted.clear()
    assert await FSMContext(SQLiteStorage(database), KEY).get_state() is None


async def test_reads_come_from_memory_after_the_first(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SQLiteStorage(database)
    await storage.set_state(KEY, Flow.quantity)
    reads = 0
    fetch_all = database.fetch_all

    async def counting(sql: str, params: Any = ()) -> Any:
        nonlocal reads
        reads += 1
        return await fetch_all(sql, params)

    monkeypatch.setattr(database, "fetch_all", counting)
    for _ in range(5):
        assert await storage.get_state(KEY) == Flow.quantity.state
        assert await storage.get_data(KEY) == {}
    assert reads == 0
    assert await storage.get_state(OTHER) is None
    assert await storage.get_state(OTHER) is None
    assert reads == 1  # an unknown chat is read once, then known to be empty


async def test_a_write_that_changes_nothing_is_skipped(database: Database) -> None:
    storage = SQLiteStorage(database)
    await FSMContext(storage, KEY).clear()  # a chat with no flow, as most screens do
    assert await rows(database) == {}
    await storage.set_state(KEY, Flow.link)
    await storage.set_state(KEY, Flow.link)
    await storage.set_data(KEY, {"a": 1})
    assert list((await rows(database)).values()) == [(Flow.link.state, '{"a": 1}')]


async def test_handed_out_data_is_a_copy(database: Database) -> None:
    storage = SQLiteStorage(database)
    await storage.set_data(KEY, {"quote": {"price": 1}})
    data = await storage.get_data(KEY)
    data["quote"]["price"] = 999
    data["extra"] = True
    assert await storage.get_data(KEY) == {"quote": {"price": 1}}


async def test_concurrent_writes_leave_memory_and_database_alike(database: Database) -> None:
    storage = SQLiteStorage(database)
    states = [Flow.link, None, Flow.quantity, Flow.link, None, Flow.quantity] * 5
    await asyncio.gather(*(storage.set_state(KEY, state) for state in states))
    await asyncio.gather(*(storage.set_data(KEY, {"n": n}) for n in range(30)))
    expected_state = states[-1].state if states[-1] is not None else None
    assert await storage.get_state(KEY) == expected_state
    assert await storage.get_data(KEY) == {"n": 29}
    fresh = SQLiteStorage(database)
    assert await fresh.get_state(KEY) == expected_state
    assert await fresh.get_data(KEY) == {"n": 29}


async def test_a_failed_write_is_not_believed(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SQLiteStorage(database)
    await storage.set_state(KEY, Flow.link)
    execute = database.execute

    async def failing(sql: str, params: Any = ()) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(database, "execute", failing)
    with pytest.raises(OSError):
        await storage.set_state(KEY, Flow.quantity)
    monkeypatch.setattr(database, "execute", execute)
    assert await storage.get_state(KEY) == Flow.link.state
    # ...and the same write, tried again, is not skipped as if it had happened.
    await storage.set_state(KEY, Flow.quantity)
    assert await SQLiteStorage(database).get_state(KEY) == Flow.quantity.state


async def test_a_write_in_a_rolled_back_transaction_is_forgotten(database: Database) -> None:
    storage = SQLiteStorage(database)
    await storage.set_state(KEY, Flow.link)
    with pytest.raises(Rollback):
        async with database.transaction():
            await storage.set_state(KEY, Flow.quantity)
            raise Rollback
    assert await storage.get_state(KEY) == Flow.link.state


async def test_chats_beyond_the_cache_are_read_again(database: Database) -> None:
    storage = SQLiteStorage(database, cache_size=3)
    keys = [StorageKey(bot_id=1, chat_id=n, user_id=n) for n in range(10)]
    for n, key in enumerate(keys):
        await storage.set_data(key, {"n": n})
    for n, key in enumerate(keys):
        assert await storage.get_data(key) == {"n": n}
