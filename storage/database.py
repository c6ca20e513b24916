"""The one SQLite connection of the process, its transactions and its migrations."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


# Timestamps are stored as UTC text of this one shape, which sorts and compares correctly;
# format_time and parse_time are the only conversions between it and a datetime.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_time(moment: datetime) -> str:
    """A moment as the database stores it (UTC; a naive datetime is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """A stored timestamp as an aware UTC datetime; ValueError if it is not one."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def utc_now() -> str:
    """Now, as the database stores it."""
    return format_time(datetime.now(UTC))


class Database:
    """Wraps the shared aiosqlite connection.

    Every statement runs under an asyncio lock: on a shared connection, a statement from
    another task would otherwise silently join (and commit or roll back with) someone else's
    transaction. :meth:`transaction` holds the lock around ``BEGIN IMMEDIATE`` … ``COMMIT``;
    it is re-entrant per task, so a service can wrap several repository calls in one
    transaction and the repositories' own ``transaction()`` calls simply join it. A lone
    write statement needs no BEGIN: SQLite commits it atomically on its own.

    Each call is one trip to aiosqlite's thread: under load those trips, serialized by the
    lock, are what limits the bot, so reads fetch everything in one and writes skip BEGIN.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating the folder), configure and migrate the database."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        database = cls(connection)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            await database.migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        async with self._lock:
            await self._connection.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One atomic unit of writes. Never await the network inside it."""
        current = asyncio.current_task()
        if current is not None and self._owner is current:
            yield  # joining the transaction this task already holds
            return
        async with self._lock:
            self._owner = current
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield
                    await self._connection.execute("COMMIT")
                except BaseException:
                    # Also after a failed COMMIT, so the next BEGIN does not find it open.
                    if self._connection.in_transaction:
                        await self._connection.execute("ROLLBACK")
                    raise
            finally:
                self._owner = None

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of this task's open transaction that fails alone: on an exception its writes
        are rolled back and the exception goes on, the rest of the transaction stays."""
        if not self.in_transaction():
            raise RuntimeError("a savepoint needs this task's open transaction")
        # One fixed name: SQLite nests savepoints of the same name, innermost first.
        await self._connection.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            await self._connection.execute("ROLLBACK TO part")
            await self._connection.execute("RELEASE part")
            raise
        await self._connection.execute("RELEASE part")

    def in_transaction(self) -> bool:
        """Whether the calling task has a transaction open (its writes may still roll back)."""
        current = asyncio.current_task()
        return current is not None and self._owner is current

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[None]:
        """Reads wait for another task's open transaction, so they never see rows that are
        not committed yet (and may be rolled back); inside one's own transaction they join."""
        current = asyncio.current_task()
        if current is not None and self._owner is current:
            yield
            return
        async with self._lock:
            yield

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[None]:
        """One write statement: inside this task's transaction it joins it; otherwise it runs
        alone under the lock, where SQLite's autocommit makes it atomic (triggers included)
        without the two extra trips to the database thread BEGIN and COMMIT would cost."""
        current = asyncio.current_task()
        if current is not None and self._owner is current:
            yield
            return
        async with self._lock:
            yield

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement (inside the current transaction, or its own); rows changed."""
        async with self._statement():
            cursor = await self._connection.execute(sql, params)
            return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row id."""
        async with self._statement():
            cursor = await self._connection.execute(sql, params)
            row_id = cursor.lastrowid
        if row_id is None:
            raise RuntimeError("INSERT produced no row id")
        return row_id

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction():
            await self._connection.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """The first row; meant for queries that find one row (by key, or an aggregate)."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        # One trip to the database thread (execute, fetch and close there), not three.
        async with self._reading():
            return list(await self._connection.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    # --- migrations -------------------------------------------------------------------

    async def migrate(self) -> list[int]:
        """Apply the numbered migrations not yet recorded, in order; return those applied."""
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in await self.fetch_all("SELECT version FROM schema_migrations")}
        done: list[int] = []
        for version, name, sql in available_migrations():
            if version in applied:
                continue
            logger.info("Applying database migration %04d (%s)", version, name)
            async with self.transaction():
                for statement in split_sql_script(sql):
                    await self._connection.execute(statement)
                await self._connection.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, utc_now()),
                )
            done.append(version)
        return done


def available_migrations() -> list[tuple[int, str, str]]:
    """The migration files shipped in ``storage/migrations``, sorted by their number."""
    folder = resources.files("storage").joinpath("migrations")
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError("two migrations share a number")
    return found


def split_sql_script(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements: list[str] = []
    buffer: list[str] = []
    for line in script.splitlines():
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("--")):
            continue
        buffer.append(line)
        candidate = "\n".join(buffer)
        if sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buffer = []
    if buffer and "\n".join(buffer).strip():
        statements.append("\n".join(buffer))
    return statements
