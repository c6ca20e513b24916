"""Move a shop from SQLite to PostgreSQL in one command, and check the money after.

    python -m storage.copy --from data/storefront.sqlite3 --to postgresql://user:pw@host/db

The target is migrated to the same schema and must hold no data yet. Every table is copied in
dependency order (parents first), ids kept, in one transaction: a copy that fails leaves the
target empty. The ledger is copied row by row through its trigger, so every balance on the
target is rebuilt from its own ledger; then row counts, the ledger's totals per kind, and each
balance (target = source = its ledger) are compared. Stop the bot before copying.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storage.database import Database, describe_target, is_postgres_url

BATCH = 1000
# Rebuilt from the ledger by its trigger as the ledger's rows arrive (see migration 0001).
DERIVED = {("users", "balance"): 0}


class CopyError(Exception):
    """The copy cannot start, or its checks failed (the message says which)."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    ledger_total: int = 0
    users: int = 0


async def sqlite_tables(source: Database) -> list[str]:
    """The tables of the SQLite file, parents before the tables whose keys point at them."""
    names = [
        str(row[0])
        for row in await source.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name"
        )
    ]
    parents: dict[str, set[str]] = {}
    for name in names:
        rows = await source.fetch_all('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))
        parents[name] = {str(row[0]) for row in rows} - {name}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise CopyError("the tables' foreign keys form a cycle")
        ordered.extend(ready)
    return ordered


async def _columns(source: Database, table: str) -> tuple[list[str], list[str]]:
    """(every column, the primary key's columns) of a SQLite table."""
    rows = await source.fetch_all("SELECT name, pk FROM pragma_table_info(?)", (table,))
    columns = [str(row[0]) for row in rows]
    key = [str(row[0]) for row in sorted(rows, key=lambda row: int(row[1])) if int(row[1])]
    return columns, key or ["rowid"]


async def copy_database(source: Database, target: Database) -> CopyReport:
    """Copy every row of ``source`` (SQLite) into ``target`` (migrated, empty) and check."""
    if target.engine == source.engine:
        raise CopyError("the target must be another engine than the source")
    tables = await sqlite_tables(source)
    for table in tables:
        if await target.fetch_value(f"SELECT COUNT(*) FROM {table}"):
            raise CopyError(f"the target is not empty (table {table} has rows)")
    report = CopyReport()
    async with target.transaction():
        for table in tables:
            report.rows[table] = await _copy_table(source, target, table)
        for table in tables:
            if "id" in (await _columns(source, table))[0]:
                # The next id after the copied ones (an identity column's own sequence).
                await target.fetch_value(
                    "SELECT setval(pg_get_serial_sequence(?, 'id'),"
                    f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    " WHERE pg_get_serial_sequence(?, 'id') IS NOT NULL",
                    (table, table),
                )
        await _check(source, target, tables, report)
    return report


async def _copy_table(source: Database, target: Database, table: str) -> int:
    columns, key = await _columns(source, table)
    derived = {
        index: DERIVED[(table, c)] for index, c in enumerate(columns) if (table, c) in DERIVED
    }
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    select = f"SELECT {names} FROM {table} ORDER BY {', '.join(key)} LIMIT ? OFFSET ?"
    copied = 0
    while True:
        rows = await source.fetch_all(select, (BATCH, copied))
        if not rows:
            return copied
        values = [
            tuple(derived.get(index, value) for index, value in enumerate(row)) for row in rows
        ]
        await target.execute_many(insert, values)
        copied += len(rows)


async def _check(source: Database, target: Database, tables: list[str], report: CopyReport) -> None:
    for table in tables:
        there = int(await target.fetch_value(f"SELECT COUNT(*) FROM {table}"))
        if there != report.rows[table]:
            raise CopyError(f"{table}: {report.rows[table]} rows read, {there} in the target")
    totals = "SELECT kind, COALESCE(SUM(amount), 0), COUNT(*) FROM ledger GROUP BY kind"
    before = {row[0]: (int(row[1]), int(row[2])) for row in await source.fetch_all(totals)}
    after = {row[0]: (int(row[1]), int(row[2])) for row in await target.fetch_all(totals)}
    if before != after:
        raise CopyError(f"the ledger's totals differ: {before} before, {after} after")
    report.ledger_total = sum(total for total, _ in before.values())
    balances = "SELECT id, balance FROM users ORDER BY id"
    source_balances = {row[0]: int(row[1]) for row in await source.fetch_all(balances)}
    target_balances = {row[0]: int(row[1]) for row in await target.fetch_all(balances)}
    if source_balances != target_balances:
        differ = sorted(k for k in source_balances if source_balances[k] != target_balances.get(k))
        raise CopyError(f"balances differ from the source for users {differ[:20]}")
    mismatched = await target.fetch_all(
        "SELECT u.id FROM users u LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM ledger"
        " GROUP BY user_id) l ON l.user_id = u.id WHERE u.balance <> COALESCE(l.total, 0)"
    )
    if mismatched:
        raise CopyError(f"balances differ from their ledger for users {[r[0] for r in mismatched]}")
    report.users = len(target_balances)


async def copy(source_path: Path, target_url: str) -> CopyReport:
    """Open both (the SQLite file must exist: opening would create an empty one), copy."""
    if not is_postgres_url(target_url):
        raise CopyError("--to must be a postgresql:// URL")
    source = await Database.open(source_path)
    try:
        target = await Database.open(target_url)
        try:
            return await copy_database(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storage.copy", description="Copy a shop from SQLite to PostgreSQL."
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, help="SQLite file")
    parser.add_argument("--to", dest="target", required=True, help="postgresql://… URL")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"copy failed: no SQLite file at {args.source}", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(copy(args.source, args.target))
    except (CopyError, OSError) as error:
        print(f"copy failed: {error}", file=sys.stderr)
        return 1
    for table, count in report.rows.items():
        print(f"{table}: {count} rows")
    print(
        f"copied to {describe_target(args.target)}: {sum(report.rows.values())} rows;"
        f" ledger total {report.ledger_total} micro-units; {report.users} balances equal"
        " their ledger and the source"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
