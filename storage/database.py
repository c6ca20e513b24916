"""The database of the process: one interface, two engines (SQLite, PostgreSQL).

Repositories write plain SQL with ``?`` placeholders and call the methods of :class:`Database`
(``Database.open`` takes a SQLite path or a ``postgresql://`` URL); everything that differs
between the engines (placeholders, transactions and locking, row ids, constraint errors, DDL
types, migration files) lives in ``storage/engines/``.
"""

from __future__ import annotations

from storage.engines import postgres, sqlite
from storage.engines.base import (
    TIME_FORMAT,
    Database,
    LeaderLock,
    Params,
    Row,
    SoleProcess,
    available_migrations,
    describe_target,
    format_time,
    is_postgres_url,
    parse_time,
    split_sql_script,
    utc_now,
)

ENGINE_MODULES = (sqlite, postgres)  # imported for their registration in ENGINES

__all__ = [
    "TIME_FORMAT",
    "Database",
    "LeaderLock",
    "Params",
    "Row",
    "SoleProcess",
    "available_migrations",
    "describe_target",
    "format_time",
    "is_postgres_url",
    "parse_time",
    "split_sql_script",
    "utc_now",
]
