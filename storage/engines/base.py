"""What both engines share: the Database interface, stored times, migration files."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

Params = Sequence[Any] | dict[str, Any]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


# Timestamps are stored as UTC text of this one shape (on both engines), which sorts and
# compares correctly; format_time and parse_time are the only conversions between it and a
# datetime.
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


class Row(Protocol):
    """A result row of either engine: by column name or by position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def describe_target(target: str | Path) -> str:
    """Where the data lives, for a log line: a PostgreSQL URL without its password."""
    if not is_postgres_url(target):
        return str(target)
    parts = urlsplit(str(target))
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{user}{parts.hostname or ''}{port}{parts.path}"


class Database(ABC):
    """What repositories and services use, whichever engine holds the data.

    :meth:`transaction` is one atomic unit of writes, re-entrant per task: a service wraps
    several repository calls in one transaction and the repositories' own ``transaction()``
    calls join it. On both engines transactions take the one write lock of the database
    (SQLite's ``BEGIN IMMEDIATE``; a transaction-level advisory lock on PostgreSQL), so a
    transaction that reads and then writes never races another transaction, in any process.
    A lone write statement needs no transaction: it is atomic on its own (triggers included).
    """

    engine: ClassVar[str]
    _commit_callbacks: dict[asyncio.Task[Any], list[Callable[[], None]]]

    def __init__(self) -> None:
        self._commit_callbacks = {}

    # True when other processes may write the same data (PostgreSQL): per-process memories
    # of rows (FSM state, the catalog's answers) must not be trusted between calls.
    shared: ClassVar[bool]

    @classmethod
    async def open(cls, target: Path | str) -> Database:
        """Open and migrate the database at a SQLite path or a ``postgresql://`` URL."""
        engine = ENGINES["postgres" if is_postgres_url(target) else "sqlite"]
        return await engine.open(target)

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One atomic unit of writes. Never await the network inside it."""

    @abstractmethod
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A part of this task's open transaction that fails alone: on an exception its writes
        are rolled back and the exception goes on, the rest of the transaction stays."""

    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether the calling task has a transaction open (its writes may still roll back)."""

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this task's transaction has committed (at once when none is
        open); dropped if it rolls back. For waking another task to read what was written:
        woken before the commit, a reader on another connection (PostgreSQL) finds nothing
        yet and goes back to sleep."""
        current = asyncio.current_task()
        if current is None or not self.in_transaction():
            callback()
            return
        self._commit_callbacks.setdefault(current, []).append(callback)

    def _run_commit_callbacks(self, task: asyncio.Task[Any] | None, committed: bool) -> None:
        """The engines call this when ``task``'s outermost transaction has ended."""
        callbacks = self._commit_callbacks.pop(task, []) if task is not None else []
        if committed:
            for callback in callbacks:
                callback()

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement (inside the current transaction, or its own); rows changed."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table with an ``id`` key and return the new row's id."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """One statement for many parameter rows, all in one transaction."""

    @abstractmethod
    async def execute_returning(self, sql: str, params: Params = ()) -> list[Row]:
        """Run one write statement with a ``RETURNING`` clause, as :meth:`execute` does
        (constraint failures raise :class:`ConstraintError`); returns its rows."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row; meant for queries that find one row (by key, or an aggregate)."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @abstractmethod
    async def migrate(self) -> list[int]:
        """Apply the numbered migrations not yet recorded, in order; return those applied."""

    def claim(self, name: str) -> AbstractAsyncContextManager[None]:
        """Mark ``name`` as being worked on by this process for the block (e.g. an order on
        its way to the panel), so :meth:`claimed` tells a live worker's work from the work of
        one that died. One process (SQLite): nothing else runs, nothing to mark."""
        return nullcontext()

    async def claimed(self, name: str) -> bool:
        """Whether a live process holds the claim on ``name``."""
        return False

    def leader_lock(self) -> LeaderLock:
        """The lock the worker that runs the background work holds (see LeaderLock)."""
        return SoleProcess()


# Filled by the engine modules as storage.database imports them.
ENGINES: dict[str, type[Database]] = {}


class LeaderLock(ABC):
    """Held by one process at a time for as long as it lives: the one that runs the
    background work. On SQLite there is one process per file, which always holds it."""

    @abstractmethod
    async def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another process holds it."""

    @abstractmethod
    async def still_held(self) -> bool:
        """Whether this process still holds it (False once its connection is gone)."""

    @abstractmethod
    async def release(self) -> None: ...


class SoleProcess(LeaderLock):
    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def available_migrations(engine: str = "sqlite") -> list[tuple[int, str, str]]:
    """The migration files shipped in ``storage/migrations``, sorted by their number; for
    PostgreSQL a file of the same name in ``storage/migrations/postgres`` replaces one whose
    SQL differs (triggers, partial-index predicates)."""
    folder = resources.files("storage").joinpath("migrations")
    overrides = folder.joinpath(engine) if engine != "sqlite" else None
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if not match:
            continue
        source = entry
        if overrides is not None and overrides.joinpath(entry.name).is_file():
            source = overrides.joinpath(entry.name)
        found.append((int(match.group(1)), entry.name, source.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError("two migrations share a number")
    return found


def split_sql_script(script: str) -> list[str]:
    """Split a SQLite migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
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
