"""SQLite: one aiosqlite connection per process, writes serialized by one asyncio lock."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.engines.base import (
    ENGINES,
    Database,
    Params,
    Row,
    available_migrations,
    split_sql_script,
    utc_now,
)
from storage.errors import ConstraintError, DatabaseUnavailableError

logger = logging.getLogger("storage.database")


def constraint_error(error: sqlite3.IntegrityError) -> ConstraintError:
    """SQLite's own text is the shape both engines report."""
    text = str(error)
    for prefix, kind in (
        ("UNIQUE constraint failed", ConstraintError.UNIQUE),
        ("CHECK constraint failed", ConstraintError.CHECK),
        ("FOREIGN KEY constraint failed", ConstraintError.FOREIGN_KEY),
        ("NOT NULL constraint failed", ConstraintError.NOT_NULL),
    ):
        if text.startswith(prefix):
            return ConstraintError(kind, text)
    return ConstraintError(ConstraintError.RULE, text)


@asynccontextmanager
async def _constraints() -> AsyncIterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise constraint_error(error) from None


class SQLiteDatabase(Database):
    """Wraps the shared aiosqlite connection.

    Every statement runs under an asyncio lock: on a shared connection, a statement from
    another task would otherwise silently join (and commit or roll back with) someone else's
    transaction. :meth:`transaction` holds the lock around ``BEGIN IMMEDIATE`` … ``COMMIT``.

    Each call is one trip to aiosqlite's thread: under load those trips, serialized by the
    lock, are what limits the bot, so reads fetch everything in one and writes skip BEGIN.
    """

    engine = "sqlite"
    shared = False

    def __init__(self, connection: aiosqlite.Connection) -> None:
        super().__init__()
        self._connection = connection
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, target: Path | str) -> SQLiteDatabase:
        """Open (creating the folder), configure and migrate the database."""
        try:
            if str(target) != ":memory:":
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            connection = await aiosqlite.connect(str(target), isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise DatabaseUnavailableError(
                f"cannot open the SQLite database {target} ({error}): check DATABASE_PATH"
            ) from None
        connection.row_factory = aiosqlite.Row
        database = cls(connection)
        try:
            try:
                await connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.Error as error:  # the file is not a database, or is read-only
                raise DatabaseUnavailableError(
                    f"cannot open the SQLite database {target} ({error}): check DATABASE_PATH"
                ) from None
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            # Statement and savepoint journals in memory, not in temporary files: a write
            # inside a savepoint (the sync stores each batch in one) cost three times as much
            # with every touched page copied out to a file first.
            await connection.execute("PRAGMA temp_store=MEMORY")
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
        current = asyncio.current_task()
        if current is not None and self._owner is current:
            yield  # joining the transaction this task already holds
            return
        committed = False
        async with self._lock:
            self._owner = current
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield
                    async with _constraints():  # deferred foreign keys are checked here
                        await self._connection.execute("COMMIT")
                    committed = True
                except BaseException:
                    # Also after a failed COMMIT, so the next BEGIN does not find it open.
                    if self._connection.in_transaction:
                        await self._connection.execute("ROLLBACK")
                    raise
            finally:
                self._owner = None
                self._run_commit_callbacks(current, committed)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
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
        current = asyncio.current_task()
        return current is not None and self._owner is current

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """Inside this task's transaction a statement joins it; otherwise it runs alone under
        the lock: a read never sees another task's uncommitted rows, and a lone write is made
        atomic by SQLite's autocommit (triggers included) without BEGIN and COMMIT trips."""
        current = asyncio.current_task()
        if current is not None and self._owner is current:
            yield
            return
        async with self._lock:
            yield

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._locked(), _constraints():
            cursor = await self._connection.execute(sql, params)
            return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._locked(), _constraints():
            cursor = await self._connection.execute(sql, params)
            row_id = cursor.lastrowid
        if row_id is None:
            raise RuntimeError("INSERT produced no row id")
        return row_id

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction(), _constraints():
            await self._connection.executemany(sql, rows)

    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._locked(), _constraints():
            return list(await self._connection.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        # One trip to the database thread (execute, fetch and close there), not three.
        async with self._locked():
            return list(await self._connection.execute_fetchall(sql, params))

    async def migrate(self) -> list[int]:
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in await self.fetch_all("SELECT version FROM schema_migrations")}
        done: list[int] = []
        for version, name, sql in available_migrations(self.engine):
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


ENGINES[SQLiteDatabase.engine] = SQLiteDatabase
