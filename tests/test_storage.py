"""Storage on both engines (SQLite; PostgreSQL with -m postgres): migrations, the ledger's
invariants under concurrency, and each repository."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import aiosqlite
import pytest

from bot.core.money import Money
from storage.catalog import CatalogRepository, ServiceRecord
from storage.database import (
    Database,
    available_migrations,
    format_time,
    parse_time,
    split_sql_script,
)
from storage.engines.sqlite import SQLiteDatabase
from storage.errors import (
    ConstraintError,
    DuplicateEntryError,
    DuplicateOrderError,
    InsufficientBalanceError,
    UnknownUserError,
)
from storage.ledger import EntryKind, OnceEntry
from storage.orders import FAILED, PLACING, UNKNOWN, OrderDraft, OrderRepository
from storage.repository import Repository
from storage.users import UserRepository
from tests.databases import ENGINES, database_target

# Every wait on another task is bounded, so a broken lock fails the test instead of hanging it.
WAIT = 5.0
ALICE, BOB = 1001, 1002


def units(amount: str) -> Money:
    return Money.from_decimal(Decimal(amount))


@pytest.fixture(params=ENGINES)
async def database(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    async with database_target(request.param, tmp_path) as target:
        database = await Database.open(target)
        try:
            yield database
        finally:
            await database.close()


def sqlite_only(database: Database) -> None:
    if database.engine != "sqlite":
        pytest.skip("about SQLite itself")


@pytest.fixture
def repo(database: Database) -> Repository:
    return Repository(database)


async def add_user(repo: Repository, user_id: int, balance: str = "0") -> None:
    await repo.users.register(user_id, language="en", first_name=f"user{user_id}", username=None)
    if Decimal(balance):
        await repo.ledger.post(user_id, EntryKind.ADMIN_CREDIT, units(balance), note="seed")


# --- migrations -------------------------------------------------------------------------


async def test_an_empty_database_gets_every_migration_in_order(tmp_path: Path) -> None:
    shipped = [version for version, _, _ in available_migrations()]
    assert shipped, "no migration files found"
    assert shipped == sorted(shipped)
    connection = await aiosqlite.connect(str(tmp_path / "empty.sqlite3"), isolation_level=None)
    connection.row_factory = aiosqlite.Row
    database = SQLiteDatabase(connection)
    try:
        assert await database.migrate() == shipped
        rows = await database.fetch_all(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY rowid"
        )
        assert [row["version"] for row in rows] == shipped
        assert [row["name"] for row in rows] == [name for _, name, _ in available_migrations()]
        assert all(row["applied_at"] for row in rows)
        # A second run on the same connection has nothing left to do.
        assert await database.migrate() == []
    finally:
        await connection.close()


async def test_opening_a_migrated_database_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    first = await Database.open(path)
    await first.close()
    second = await Database.open(path)
    try:
        assert await second.migrate() == []
        count = await second.fetch_value("SELECT COUNT(*) FROM schema_migrations")
        assert count == len(available_migrations())
    finally:
        await second.close()


async def test_an_existing_database_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "x.sqlite3"  # the folder is created on open
    first = await Database.open(path)
    try:
        repo = Repository(first)
        await add_user(repo, ALICE, "12.50")
        applied_before = await first.fetch_all("SELECT * FROM schema_migrations")
    finally:
        await first.close()

    second = await Database.open(path)
    try:
        repo = Repository(second)
        user = await repo.users.get(ALICE)
        assert user is not None and user.first_name == f"user{ALICE}"
        assert await repo.ledger.balance(ALICE) == units("12.50")
        assert await repo.ledger.count(ALICE) == 1
        applied_after = await second.fetch_all("SELECT * FROM schema_migrations")
        assert [tuple(row) for row in applied_after] == [tuple(row) for row in applied_before]
    finally:
        await second.close()


async def test_wal_mode_and_foreign_keys_are_on(database: Database) -> None:
    if database.engine == "sqlite":
        assert await database.fetch_value("PRAGMA journal_mode") == "wal"
        assert await database.fetch_value("PRAGMA foreign_keys") == 1
    with pytest.raises(ConstraintError, match="FOREIGN KEY"):
        await database.execute(
            "INSERT INTO refills (order_id, status, created_at, updated_at)"
            " VALUES (424242, 'Pending', 'now', 'now')"
        )


def test_split_sql_script_keeps_trigger_bodies_whole() -> None:
    script = """
-- a comment before anything
CREATE TABLE a (
    id INTEGER PRIMARY KEY, -- trailing comment; with a semicolon
    note TEXT DEFAULT 'x;y'
);

CREATE TRIGGER a_guard BEFORE UPDATE ON a
BEGIN
    SELECT RAISE(ABORT, 'no;');
    INSERT INTO a (note) VALUES ('second statement of the body');
END;
CREATE INDEX a_by_note ON a (note);
"""
    statements = split_sql_script(script)
    assert len(statements) == 3
    assert statements[0].startswith("CREATE TABLE a")
    assert statements[1].startswith("CREATE TRIGGER a_guard")
    assert "RAISE(ABORT" in statements[1] and statements[1].rstrip().endswith("END;")
    assert statements[2] == "CREATE INDEX a_by_note ON a (note);"
    assert all(sqlite3.complete_statement(statement) for statement in statements)


def test_split_sql_script_on_the_shipped_migrations() -> None:
    for _, name, sql in available_migrations():
        statements = split_sql_script(sql)
        assert statements, name
        for statement in statements:
            assert sqlite3.complete_statement(statement), (name, statement)
            # Exactly one statement each: what remains after it must not be another one.
            assert statement.rstrip().endswith(";"), (name, statement)
        triggers = [s for s in statements if "CREATE TRIGGER" in s]
        assert all(s.rstrip().endswith("END;") for s in triggers), name
    _, _, initial = available_migrations()[0]
    assert len([s for s in split_sql_script(initial) if "CREATE TRIGGER" in s]) == 3


# --- ledger -----------------------------------------------------------------------------


async def test_credits_and_debits_change_the_balance(repo: Repository) -> None:
    await add_user(repo, ALICE)
    assert await repo.ledger.balance(ALICE) == Money(0)
    await repo.ledger.post(ALICE, EntryKind.TOPUP, units("10"), reference="pay-1")
    await repo.ledger.post(ALICE, EntryKind.ORDER_CHARGE, -units("2.25"), reference="order-1")
    await repo.ledger.post(ALICE, EntryKind.ADMIN_DEBIT, -units("0.75"), note="fee")
    assert await repo.ledger.balance(ALICE) == units("7")
    user = await repo.users.get(ALICE)
    assert user is not None and user.balance == units("7")
    assert await repo.ledger.sum_for_user(ALICE) == units("7")
    entries = await repo.ledger.recent(ALICE, limit=2)
    assert [entry.kind for entry in entries] == [EntryKind.ADMIN_DEBIT, EntryKind.ORDER_CHARGE]
    assert entries[1].amount == -units("2.25") and entries[1].reference == "order-1"
    assert entries[0].note == "fee"
    older = await repo.ledger.recent(ALICE, limit=2, offset=2)
    assert [entry.kind for entry in older] == [EntryKind.TOPUP]
    assert await repo.ledger.count(ALICE) == 3
    assert await repo.ledger.exists(EntryKind.ORDER_CHARGE, "order-1")
    assert not await repo.ledger.exists(EntryKind.ORDER_REFUND, "order-1")


async def test_an_overdraft_is_refused_and_writes_nothing(repo: Repository) -> None:
    await add_user(repo, ALICE, "1.00")
    with pytest.raises(InsufficientBalanceError):
        await repo.ledger.post(ALICE, EntryKind.ORDER_CHARGE, -units("1.000001"), reference="o1")
    assert await repo.ledger.balance(ALICE) == units("1.00")
    assert await repo.ledger.count(ALICE) == 1
    assert not await repo.ledger.exists(EntryKind.ORDER_CHARGE, "o1")
    # The refused reference is still free, and the whole balance can be spent.
    await repo.ledger.post(ALICE, EntryKind.ORDER_CHARGE, -units("1.00"), reference="o1")
    assert await repo.ledger.balance(ALICE) == Money(0)


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (EntryKind.ORDER_CHARGE, "-1"),
        (EntryKind.ORDER_REFUND, "1"),
        (EntryKind.TOPUP, "1"),
        (EntryKind.TOPUP_REFUND, "-1"),
        (EntryKind.TOPUP_REFUND_UNDONE, "1"),
    ],
)
async def test_exactly_once_kinds_refuse_a_second_entry(
    repo: Repository, kind: EntryKind, amount: str
) -> None:
    await add_user(repo, ALICE, "10")
    await repo.ledger.post(ALICE, kind, units(amount), reference="ref-7")
    with pytest.raises(DuplicateEntryError):
        await repo.ledger.post(ALICE, kind, units(amount), reference="ref-7")
    assert await repo.ledger.balance(ALICE) == units("10") + units(amount)
    assert await repo.ledger.count(ALICE) == 2
    # The same reference under another kind is a different entry.
    other = EntryKind.TOPUP if kind is not EntryKind.TOPUP else EntryKind.ORDER_REFUND
    await repo.ledger.post(ALICE, other, units("1"), reference="ref-7")


async def test_a_batch_of_exactly_once_entries_skips_what_is_booked(
    repo: Repository, database: Database
) -> None:
    await add_user(repo, ALICE)
    await add_user(repo, BOB)
    await repo.ledger.post(ALICE, EntryKind.ORDER_REFUND, units("1"), reference="order:1")
    entries = [
        OnceEntry(ALICE, units("1"), "order:1", "Canceled"),  # booked before: skipped
        OnceEntry(ALICE, units("0.25"), "order:2", "Partial"),
        OnceEntry(BOB, units("2"), "order:3"),
        OnceEntry(BOB, units("2"), "order:3"),  # twice in the batch: once
    ]
    async with database.transaction():
        written = await repo.ledger.post_once_many(EntryKind.ORDER_REFUND, entries)
    assert written == {"order:2", "order:3"}
    assert await repo.ledger.balance(ALICE) == units("1.25")
    assert await repo.ledger.balance(BOB) == units("2")
    assert await repo.ledger.post_once_many(EntryKind.ORDER_REFUND, entries) == set()
    assert await repo.ledger.mismatched_balances() == []
    # A failed batch writes nothing, and says why in the storage's own terms.
    with pytest.raises(UnknownUserError):
        async with database.transaction():
            await repo.ledger.post_once_many(
                EntryKind.ORDER_REFUND,
                [OnceEntry(BOB, units("1"), "order:4"), OnceEntry(404, units("1"), "order:5")],
            )
    assert not await repo.ledger.exists(EntryKind.ORDER_REFUND, "order:4")
    with pytest.raises(ValueError):
        await repo.ledger.post_once_many(EntryKind.ADMIN_CREDIT, [OnceEntry(BOB, units("1"), "x")])
    with pytest.raises(ValueError):
        await repo.ledger.post_once_many(
            EntryKind.ORDER_REFUND, [OnceEntry(BOB, -units("1"), "order:9")]
        )


async def test_a_batch_of_messages_is_queued_once_per_change(repo: Repository) -> None:
    await add_user(repo, ALICE)
    messages = [
        (ALICE, "order_status", "order:1:status:Completed", {"order_id": 1}),
        (ALICE, "order_status", "order:2:status:Canceled", {"order_id": 2}),
    ]
    await repo.outbox.add_many(messages)
    await repo.outbox.add_many(messages[1:])
    assert not await repo.outbox.add(ALICE, "order_status", "order:1:status:Completed", {})
    due = await repo.outbox.due()
    assert [(message.dedupe_key, message.payload) for message in due] == [
        ("order:1:status:Completed", {"order_id": 1}),
        ("order:2:status:Canceled", {"order_id": 2}),
    ]


async def test_admin_entries_can_repeat(repo: Repository) -> None:
    await add_user(repo, ALICE)
    for _ in range(3):
        await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("2"), reference="gift")
    await repo.ledger.post(ALICE, EntryKind.ADMIN_DEBIT, -units("1"), reference="gift")
    await repo.ledger.post(ALICE, EntryKind.ADMIN_DEBIT, -units("1"), reference="gift")
    assert await repo.ledger.balance(ALICE) == units("4")


async def test_an_admin_command_message_changes_a_balance_once(repo: Repository) -> None:
    # The per-message shape ``admin:<chat>:<message>`` is in the once-only index; the old
    # ``admin:<admin id>`` rows (written before migration 0005) repeat and stay readable.
    await add_user(repo, ALICE)
    await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("2"), reference="admin:9:41")
    with pytest.raises(DuplicateEntryError):
        await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("2"), reference="admin:9:41")
    await repo.ledger.post(ALICE, EntryKind.ADMIN_DEBIT, -units("1"), reference="admin:9:42")
    with pytest.raises(DuplicateEntryError):
        await repo.ledger.post(ALICE, EntryKind.ADMIN_DEBIT, -units("1"), reference="admin:9:42")
    for _ in range(2):
        await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("1"), reference="admin:9")
    assert await repo.ledger.balance(ALICE) == units("3")


async def test_the_ledger_is_append_only(repo: Repository, database: Database) -> None:
    await add_user(repo, ALICE, "5")
    with pytest.raises(ConstraintError, match="append-only"):
        await database.execute("UPDATE ledger SET amount = 999999999")
    with pytest.raises(ConstraintError, match="append-only"):
        await database.execute("DELETE FROM ledger")
    assert await repo.ledger.count(ALICE) == 1
    assert await repo.ledger.balance(ALICE) == units("5")
    # The failed statements left no transaction open behind them.
    await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("1"))
    assert await repo.ledger.balance(ALICE) == units("6")


async def test_the_balance_column_cannot_go_negative_directly(database: Database) -> None:
    repo = Repository(database)
    await add_user(repo, ALICE)
    with pytest.raises(ConstraintError, match="CHECK"):
        await database.execute("UPDATE users SET balance = -1 WHERE id = ?", (ALICE,))


async def test_zero_amounts_are_refused(repo: Repository) -> None:
    await add_user(repo, ALICE)
    with pytest.raises(ValueError):
        await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, Money(0))
    assert await repo.ledger.count(ALICE) == 0


async def test_posting_for_an_unknown_user_is_refused(repo: Repository) -> None:
    with pytest.raises(UnknownUserError):
        await repo.ledger.post(424242, EntryKind.ADMIN_CREDIT, units("1"))
    assert await repo.database.fetch_value("SELECT COUNT(*) FROM ledger") == 0


async def test_balances_match_the_ledger(repo: Repository) -> None:
    await add_user(repo, ALICE, "3")
    await add_user(repo, BOB)
    assert await repo.ledger.mismatched_balances() == []
    assert await repo.ledger.balance(424242) == Money(0)  # unknown user: nothing to spend


# --- concurrency --------------------------------------------------------------------------


class Rollback(Exception):
    """Raised inside a grouped transaction to undo it."""


@dataclass
class Expected:
    """What the tasks report they did; the database must agree exactly."""

    balance: Counter[int] = field(default_factory=Counter)
    refused_charges: int = 0
    refund_winners: Counter[str] = field(default_factory=Counter)
    refund_losers: Counter[str] = field(default_factory=Counter)


async def test_concurrent_posts_keep_every_invariant(repo: Repository) -> None:
    users = [2001, 2002, 2003, 2004, 2005]
    for user_id in users:
        await add_user(repo, user_id, "1.00")
    expected = Expected()
    for user_id in users:
        expected.balance[user_id] = units("1.00").micros
    ledger = repo.ledger
    rng = random.Random(20240611)
    start = asyncio.Event()

    async def charge(user_id: int, reference: str, amount: Money) -> None:
        await start.wait()
        try:
            await ledger.post(user_id, EntryKind.ORDER_CHARGE, -amount, reference=reference)
        except InsufficientBalanceError:
            expected.refused_charges += 1
        else:
            expected.balance[user_id] -= amount.micros

    async def refund(user_id: int, reference: str, amount: Money) -> None:
        await start.wait()
        try:
            await ledger.post(user_id, EntryKind.ORDER_REFUND, amount, reference=reference)
        except DuplicateEntryError:
            expected.refund_losers[reference] += 1
        else:
            expected.refund_winners[reference] += 1
            expected.balance[user_id] += amount.micros

    async def credit(user_id: int, amount: Money) -> None:
        await start.wait()
        await ledger.post(user_id, EntryKind.ADMIN_CREDIT, amount, note="concurrent credit")
        expected.balance[user_id] += amount.micros

    async def rolled_back_group(user_id: int, index: int) -> None:
        await start.wait()
        with pytest.raises(Rollback):
            async with repo.database.transaction():
                await ledger.post(
                    user_id, EntryKind.ADMIN_CREDIT, units("50"), note=f"gone-{index}"
                )
                await ledger.post(
                    user_id, EntryKind.ORDER_CHARGE, -units("0.01"), reference=f"gone-{index}"
                )
                raise Rollback

    async def overdrawn_group(user_id: int, index: int) -> None:
        # The second post fails inside the group: the first must not survive either.
        await start.wait()
        with pytest.raises(InsufficientBalanceError):
            async with repo.database.transaction():
                await ledger.post(user_id, EntryKind.ADMIN_CREDIT, units("1"), note=f"gone-{index}")
                await ledger.post(
                    user_id, EntryKind.ORDER_CHARGE, -units("1000"), reference=f"gone-{index}"
                )

    async def committed_group(user_id: int, index: int) -> None:
        await start.wait()
        async with repo.database.transaction():
            await ledger.post(user_id, EntryKind.ADMIN_CREDIT, units("0.30"), note=f"kept-{index}")
            await ledger.post(
                user_id, EntryKind.ORDER_CHARGE, -units("0.10"), reference=f"kept-{index}"
            )
        expected.balance[user_id] += units("0.20").micros

    tasks = []
    refund_references = []
    for index in range(200):
        user_id = rng.choice(users)
        roll = index % 8
        if roll in (0, 1, 2):
            amount = Money(rng.randrange(50_000, 400_000))
            tasks.append(charge(user_id, f"charge-{index}", amount))
        elif roll == 3:
            reference = f"refund-{index}"
            refund_references.append(reference)
            amount = Money(rng.randrange(10_000, 100_000))
            # The same refund raced three times (e.g. status sync, admin button, retry).
            tasks.extend(refund(user_id, reference, amount) for _ in range(3))
        elif roll == 4:
            tasks.append(credit(user_id, Money(rng.randrange(10_000, 200_000))))
        elif roll == 5:
            tasks.append(rolled_back_group(user_id, index))
        elif roll == 6:
            tasks.append(overdrawn_group(user_id, index))
        else:
            tasks.append(committed_group(user_id, index))
    running = [asyncio.create_task(task) for task in tasks]
    start.set()
    await asyncio.wait_for(asyncio.gather(*running), timeout=WAIT * 4)

    assert expected.refused_charges > 0, "the scenario must include refused overdrafts"
    for user_id in users:
        balance = await ledger.balance(user_id)
        assert balance == await ledger.sum_for_user(user_id)
        assert not balance.is_negative
        assert balance.micros == expected.balance[user_id]
    assert await ledger.mismatched_balances() == []

    for reference in refund_references:
        assert expected.refund_winners[reference] == 1
        assert expected.refund_losers[reference] == 2
        count = await repo.database.fetch_value(
            "SELECT COUNT(*) FROM ledger WHERE kind = 'order_refund' AND reference = ?",
            (reference,),
        )
        assert count == 1
    gone = await repo.database.fetch_value(
        "SELECT COUNT(*) FROM ledger WHERE note LIKE 'gone-%' OR reference LIKE 'gone-%'"
    )
    assert gone == 0
    kept_notes = await repo.database.fetch_value(
        "SELECT COUNT(*) FROM ledger WHERE note LIKE 'kept-%'"
    )
    kept_references = await repo.database.fetch_value(
        "SELECT COUNT(*) FROM ledger WHERE reference LIKE 'kept-%'"
    )
    assert kept_notes == kept_references == 25
    # Nothing is left holding the transaction.
    assert await repo.database.fetch_value("SELECT 1") == 1
    await ledger.post(users[0], EntryKind.ADMIN_CREDIT, units("1"))


async def test_another_task_never_joins_an_open_transaction(repo: Repository) -> None:
    await add_user(repo, ALICE)
    await add_user(repo, BOB)
    a_inserted = asyncio.Event()
    b_started = asyncio.Event()

    async def task_a() -> None:
        async with repo.database.transaction():
            await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("7"), note="from A")
            a_inserted.set()
            # Set by B just before it posts; B runs on to its first suspension point (the
            # lock, or the connection's queue if it wrongly joined) before A resumes here.
            await asyncio.wait_for(b_started.wait(), WAIT)
            raise Rollback

    async def task_b() -> None:
        b_started.set()
        await repo.ledger.post(BOB, EntryKind.ADMIN_CREDIT, units("3"), note="from B")

    a = asyncio.create_task(task_a())
    await asyncio.wait_for(a_inserted.wait(), WAIT)
    b = asyncio.create_task(task_b())
    results = await asyncio.wait_for(asyncio.gather(a, b, return_exceptions=True), WAIT)
    assert isinstance(results[0], Rollback)
    assert results[1] is None

    assert await repo.ledger.balance(ALICE) == Money(0)
    assert await repo.ledger.count(ALICE) == 0
    assert await repo.ledger.balance(BOB) == units("3")
    notes = await repo.database.fetch_all("SELECT note FROM ledger")
    assert [row["note"] for row in notes] == ["from B"]


async def test_a_task_can_nest_transactions(repo: Repository) -> None:
    await add_user(repo, ALICE)
    async with repo.database.transaction(), repo.database.transaction():
        await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("1"))
    with pytest.raises(Rollback):
        async with repo.database.transaction():
            await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("2"))
            async with repo.database.transaction():
                await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("4"))
            raise Rollback
    assert await repo.ledger.balance(ALICE) == units("1")


async def test_after_commit_waits_for_the_outermost_commit_and_skips_a_rollback(
    repo: Repository,
) -> None:
    await add_user(repo, ALICE)
    seen: list[str] = []
    repo.database.after_commit(lambda: seen.append("no transaction: at once"))
    assert seen == ["no transaction: at once"]

    # What a woken sender does: read in a task of its own (another connection on PostgreSQL).
    readers: list[asyncio.Task[Money]] = []

    def wake_a_reader() -> None:
        seen.append("committed")
        readers.append(asyncio.create_task(repo.ledger.balance(ALICE)))

    async with repo.database.transaction():
        async with repo.database.transaction():
            await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("1"))
            repo.database.after_commit(wake_a_reader)
        assert seen == ["no transaction: at once"]  # the inner block is not the commit
    assert seen == ["no transaction: at once", "committed"]
    assert await readers[0] == units("1")

    with pytest.raises(Rollback):
        async with repo.database.transaction():
            await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, units("2"))
            repo.database.after_commit(lambda: seen.append("rolled back"))
            raise Rollback
    async with repo.database.transaction():
        pass  # a later transaction of the same task does not inherit the dropped callback
    assert seen == ["no transaction: at once", "committed"]


# --- users ----------------------------------------------------------------------------------


async def test_register_creates_once_and_keeps_the_language(database: Database) -> None:
    users = UserRepository(database)
    user, created = await users.register(ALICE, language="ru", first_name="Ann", username="ann")
    assert created
    assert (user.id, user.language, user.first_name, user.username) == (ALICE, "ru", "Ann", "ann")
    assert user.balance == Money(0) and not user.banned and not user.blocked_bot

    await users.set_blocked_bot(ALICE, True)
    user, created = await users.register(ALICE, language="en", first_name="Anna", username=None)
    assert not created
    assert user.language == "ru"  # picked once, kept
    assert (user.first_name, user.username) == ("Anna", None)
    assert not user.blocked_bot  # writing to the bot again means it is no longer blocked
    assert await users.count() == 1


async def test_set_language_and_ban(database: Database) -> None:
    users = UserRepository(database)
    await users.register(ALICE, language="en", first_name="Ann", username=None)
    await users.set_language(ALICE, "ru")
    assert await users.set_banned(ALICE, True)
    user = await users.get(ALICE)
    assert user is not None and user.language == "ru" and user.banned
    assert await users.set_banned(ALICE, False)
    user = await users.get(ALICE)
    assert user is not None and not user.banned
    assert await users.set_banned(424242, True) is False
    assert await users.get(424242) is None
    assert await users.count() == 1


# --- catalog --------------------------------------------------------------------------------


def record(
    service_id: int, category: str, rate: str = "1.00", **overrides: object
) -> ServiceRecord:
    values: dict[str, object] = {
        "id": service_id,
        "category": category,
        "name": f"Service {service_id}",
        "type": "Default",
        "rate": Decimal(rate),
        "min_quantity": 10,
        "max_quantity": 1000,
        "refill": False,
        "cancel": False,
        "dripfeed": False,
    }
    values.update(overrides)
    return ServiceRecord(**values)  # type: ignore[arg-type]


async def test_catalog_sync_reports_added_changed_and_removed(database: Database) -> None:
    catalog = CatalogRepository(database)
    first = await catalog.replace(
        [record(1, "Instagram", "0.90"), record(2, "Instagram"), record(3, "TikTok", "0.27819")]
    )
    assert sorted(first.added) == [1, 2, 3]
    assert first.changed == [] and first.removed == []
    service = await catalog.service(3)
    assert service is not None and service.rate == Decimal("0.27819") and service.active
    assert service.category == "TikTok"
    tiktok_id = service.category_id

    # Same catalog again: nothing to report.
    same = await catalog.replace(
        [record(1, "Instagram", "0.90"), record(2, "Instagram"), record(3, "TikTok", "0.27819")]
    )
    assert (same.added, same.changed, same.removed) == ([], [], [])

    second = await catalog.replace(
        [record(1, "Instagram", "0.90"), record(2, "Instagram", "1.50"), record(4, "YouTube")]
    )
    assert second.added == [4]
    assert second.changed == [2]
    assert second.removed == [3]
    vanished = await catalog.service(3)
    assert vanished is not None and not vanished.active
    assert vanished.rate == Decimal("0.27819") and vanished.category == "TikTok"
    repriced = await catalog.service(2)
    assert repriced is not None and repriced.rate == Decimal("1.50")
    assert await catalog.count_services() == 3
    assert await catalog.count_services(active_only=False) == 4
    assert await catalog.category(tiktok_id) is None  # no active services left in it

    third = await catalog.replace(
        [
            record(1, "Instagram", "0.90"),
            record(2, "Instagram", "1.50"),
            record(3, "TikTok", "0.27819"),
            record(4, "YouTube"),
        ]
    )
    assert third.added == [] and third.removed == []
    assert third.changed == [3]
    back = await catalog.service(3)
    assert back is not None and back.active and back.category_id == tiktok_id


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Renamed"},
        {"type": "Package"},
        {"min_quantity": 20},
        {"max_quantity": 5000},
        {"refill": True},
        {"cancel": True},
        {"dripfeed": True},
        {"description": "Now with a description"},
        {"category": "Elsewhere"},
    ],
)
async def test_any_field_change_is_a_change(database: Database, change: dict[str, object]) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram")])
    change = dict(change)  # the parameter is shared by this test's runs on both engines
    category = change.pop("category", "Instagram")
    changes = await catalog.replace([record(1, str(category), **change)])
    assert (changes.added, changes.changed, changes.removed) == ([], [1], [])
    stored = await catalog.service(1)
    assert stored is not None and stored.category == category
    for name, value in change.items():
        assert getattr(stored, name) == value


async def test_an_equal_rate_written_differently_is_not_a_change(database: Database) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram", "0.9")])
    changes = await catalog.replace([record(1, "Instagram", "0.90")])
    assert changes.changed == []


async def test_categories_paginate_and_count_only_active_ones(database: Database) -> None:
    catalog = CatalogRepository(database)
    names = [f"Category {letter}" for letter in "ABCDEFG"]
    records = [record(index + 1, name) for index, name in enumerate(names)]
    records.append(record(100, "Category A"))  # A has two services
    await catalog.replace(records)
    assert await catalog.count_categories() == 7

    first_page = await catalog.categories(offset=0, limit=3)
    second_page = await catalog.categories(offset=3, limit=3)
    last_page = await catalog.categories(offset=6, limit=3)
    assert [c.name for c in first_page] == names[:3]
    assert [c.name for c in second_page] == names[3:6]
    assert [c.name for c in last_page] == names[6:]
    assert first_page[0].service_count == 2 and first_page[1].service_count == 1
    assert await catalog.categories(offset=9, limit=3) == []
    ids = {c.name: c.id for c in [*first_page, *second_page, *last_page]}

    a_services = await catalog.services(ids["Category A"])
    assert [s.id for s in a_services] == [1, 100]
    assert [s.id for s in await catalog.services(ids["Category A"], offset=1, limit=1)] == [100]

    # B and C vanish; the rest keep their ids even in a different order.
    remaining = [r for r in records if r.category not in ("Category B", "Category C")]
    await catalog.replace(list(reversed(remaining)))
    assert await catalog.count_categories() == 5
    listed = await catalog.categories(limit=10)
    assert {c.name for c in listed} == set(names) - {"Category B", "Category C"}
    assert all(ids[c.name] == c.id for c in listed)
    # Order follows the panel's latest listing (first appearance of each category).
    assert [c.name for c in listed] == [f"Category {letter}" for letter in "AGFED"]
    assert await catalog.category(ids["Category B"]) is None
    assert await catalog.services(ids["Category B"]) == []

    await catalog.replace(records)
    restored = await catalog.categories(limit=10)
    assert [c.name for c in restored] == names
    assert all(ids[c.name] == c.id for c in restored)


async def test_an_empty_sync_deactivates_everything_without_deleting(database: Database) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram"), record(2, "TikTok")])
    changes = await catalog.replace([])
    assert sorted(changes.removed) == [1, 2]
    assert await catalog.count_categories() == 0
    assert await catalog.categories() == []
    old = await catalog.service(1)
    assert old is not None and not old.active


# --- orders ---------------------------------------------------------------------------------


def draft(user_id: int, token: str, **overrides: object) -> OrderDraft:
    values: dict[str, object] = {
        "user_id": user_id,
        "confirm_token": token,
        "service_id": 101,
        "service_name": "Instagram Followers",
        "service_type": "Default",
        "category": "Instagram",
        "rate": Decimal("0.90"),
        "refill_allowed": True,
        "cancel_allowed": False,
        "link": "https://instagram.com/some.account",
        "quantity": 1000,
        "price": units("0.90"),
    }
    values.update(overrides)
    return OrderDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
async def orders(repo: Repository) -> OrderRepository:
    await add_user(repo, ALICE)
    await add_user(repo, BOB)
    return repo.orders


async def test_a_new_order_is_placing_with_its_snapshot(orders: OrderRepository) -> None:
    extras = {"comments": "nice\nприкольно 👍", "runs": 3, "nested": {"a": [1, 2]}}
    order_id = await orders.create(draft(ALICE, "tok-1", extras=extras, rate=Decimal("0.27819")))
    order = await orders.get(order_id)
    assert order is not None
    assert order.status == PLACING
    assert order.user_id == ALICE and order.upstream_id is None
    assert order.rate == Decimal("0.27819") and str(order.rate) == "0.27819"
    assert order.price == units("0.90")
    assert order.extras == extras
    assert order.refill_allowed and not order.cancel_allowed
    assert order.quantity == 1000 and order.panel_charge is None and order.error is None
    assert await orders.by_token("tok-1") == order
    assert await orders.by_token("tok-unknown") is None
    assert await orders.get(order_id + 1000) is None

    package_id = await orders.create(draft(ALICE, "tok-2", quantity=None))
    package = await orders.get(package_id)
    assert package is not None and package.quantity is None and package.extras == {}


async def test_a_dripfeed_order_records_its_runs_and_interval(orders: OrderRepository) -> None:
    drip = await orders.get(await orders.create(draft(ALICE, "tok-drip", runs=5, interval=30)))
    assert drip is not None
    assert (drip.quantity, drip.runs, drip.interval, drip.total_quantity) == (1000, 5, 30, 5000)
    plain = await orders.get(await orders.create(draft(ALICE, "tok-plain")))
    assert plain is not None and (plain.runs, plain.interval, plain.total_quantity) == (
        None,
        None,
        1000,
    )
    # One run is no drip-feed, and runs never come without minutes between them.
    for token, runs, interval in (("one", 1, 30), ("zero", 3, 0), ("no-pause", 3, None)):
        with pytest.raises(ConstraintError):
            await orders.create(draft(ALICE, token, runs=runs, interval=interval))


async def test_the_same_confirmation_cannot_create_two_orders(orders: OrderRepository) -> None:
    await orders.create(draft(ALICE, "tok-1"))
    with pytest.raises(DuplicateOrderError):
        await orders.create(draft(ALICE, "tok-1", link="https://instagram.com/other"))
    assert await orders.count_for_user(ALICE) == 1


async def test_orders_need_a_positive_price_and_a_known_user(orders: OrderRepository) -> None:
    with pytest.raises(ConstraintError):
        await orders.create(draft(ALICE, "tok-free", price=Money(0)))
    with pytest.raises(ConstraintError):
        await orders.create(draft(424242, "tok-stranger"))
    assert await orders.count_for_user(ALICE) == 0


async def test_lifecycle_transitions_only_from_allowed_states(orders: OrderRepository) -> None:
    placed = await orders.create(draft(ALICE, "placed"))
    assert await orders.mark_placed(placed, 5001, "Pending")
    order = await orders.get(placed)
    assert order is not None and (order.status, order.upstream_id) == ("Pending", 5001)
    # Once the panel has it, no local state can take over.
    assert not await orders.mark_placed(placed, 5002, "Pending")
    assert not await orders.mark_failed(placed, "late failure")
    assert not await orders.mark_unknown(placed, "late timeout")
    order = await orders.get(placed)
    assert order is not None and (order.status, order.upstream_id) == ("Pending", 5001)

    failed = await orders.create(draft(ALICE, "failed"))
    assert await orders.mark_failed(failed, "Not enough funds on balance")
    assert not await orders.mark_placed(failed, 5003, "Pending")
    assert not await orders.mark_unknown(failed, "timeout")
    assert not await orders.mark_failed(failed, "again")
    order = await orders.get(failed)
    assert order is not None
    assert (order.status, order.error, order.upstream_id) == (
        FAILED,
        "Not enough funds on balance",
        None,
    )

    unknown = await orders.create(draft(ALICE, "unknown"))
    assert await orders.mark_unknown(unknown, "read timeout")
    assert not await orders.mark_unknown(unknown, "again")
    order = await orders.get(unknown)
    assert order is not None and (order.status, order.error) == (UNKNOWN, "read timeout")
    assert [o.id for o in await orders.with_status(UNKNOWN)] == [unknown]
    # An admin settles an unknown order either way.
    assert await orders.mark_placed(unknown, 5004, "In progress")
    order = await orders.get(unknown)
    assert order is not None and order.status == "In progress" and order.error is None

    unknown_then_failed = await orders.create(draft(ALICE, "unknown-failed"))
    assert await orders.mark_unknown(unknown_then_failed, "read timeout")
    assert await orders.mark_failed(unknown_then_failed, "settled by admin: never placed")

    assert not await orders.mark_placed(424242, 1, "Pending")


async def test_progress_updates_keep_known_charge(orders: OrderRepository) -> None:
    order_id = await orders.create(draft(ALICE, "tok"))
    await orders.mark_placed(order_id, 77, "Pending")
    await orders.update_progress(
        order_id,
        status="Partial",
        remains=157,
        start_count=3572,
        panel_charge=Decimal("0.27819"),
        currency="USD",
    )
    await orders.update_progress(
        order_id, status="Partial", remains=157, start_count=3572, panel_charge=None, currency=None
    )
    order = await orders.get(order_id)
    assert order is not None
    assert (order.status, order.remains, order.start_count) == ("Partial", 157, 3572)
    assert order.panel_charge == Decimal("0.27819") and order.currency == "USD"


async def test_orders_for_user_newest_first_with_paging(orders: OrderRepository) -> None:
    alice_ids = [await orders.create(draft(ALICE, f"alice-{n}")) for n in range(7)]
    bob_id = await orders.create(draft(BOB, "bob-0"))
    newest_first = list(reversed(alice_ids))

    first = await orders.for_user(ALICE)
    assert [o.id for o in first] == newest_first[:5]
    second = await orders.for_user(ALICE, offset=5, limit=5)
    assert [o.id for o in second] == newest_first[5:]
    assert await orders.for_user(ALICE, offset=7) == []
    assert [o.id for o in await orders.for_user(ALICE, offset=2, limit=2)] == newest_first[2:4]
    assert await orders.count_for_user(ALICE) == 7
    assert [o.id for o in await orders.for_user(BOB)] == [bob_id]
    assert await orders.count_for_user(BOB) == 1
    assert await orders.count_for_user(424242) == 0


async def test_refills_are_added_and_listed_newest_first(orders: OrderRepository) -> None:
    order_id = await orders.create(draft(ALICE, "tok"))
    other_id = await orders.create(draft(ALICE, "tok-other"))
    first = await orders.add_refill(order_id, 9001, "Pending")
    second = await orders.add_refill(order_id, None, "Rejected")
    await orders.add_refill(other_id, 9003, "Pending")
    refills = await orders.refills(order_id)
    assert [r.id for r in refills] == [second, first]
    assert [(r.upstream_id, r.status) for r in refills] == [(None, "Rejected"), (9001, "Pending")]
    assert all(r.order_id == order_id for r in refills)
    assert await orders.refills(other_id + 1000) == []
    with pytest.raises(ConstraintError):
        await orders.add_refill(other_id + 1000, 1, "Pending")


def test_stored_times_convert_in_one_place() -> None:
    # Every timestamp column holds this text, on both engines; storage.database converts both
    # ways (defined with the engines' shared code, storage/engines/base.py, and re-exported),
    # and no other production module writes or parses the shape itself (bot/testing: fakes).
    moment = datetime(2026, 12, 1, 14, 5, 9, tzinfo=UTC)
    assert format_time(moment) == "2026-12-01 14:05:09"
    assert format_time(moment.astimezone(timezone(timedelta(hours=3)))) == "2026-12-01 14:05:09"
    assert parse_time("2026-12-01 14:05:09") == moment
    with pytest.raises(ValueError):
        parse_time("yesterday")
    root = Path(__file__).resolve().parents[1]
    sources = [
        path
        for folder in ("bot", "handlers", "storage")
        for path in (root / folder).rglob("*.py")
        if "testing" not in path.relative_to(root).parts
    ]
    writers = [
        path.relative_to(root).as_posix()
        for path in sources
        if "%H:%M:%S" in path.read_text(encoding="utf-8")
    ]
    assert writers == ["storage/engines/base.py"]


# --- both engines, one schema -------------------------------------------------------------

SQLITE_SCHEMA = {
    "columns": "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    "indexes": "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    "triggers": "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'",
    "unique": "SELECT m.name, group_concat(i.name, ',') FROM sqlite_master m,"
    " pragma_index_list(m.name) l, pragma_index_info(l.name) i"
    " WHERE m.type = 'table' AND l.origin = 'u' GROUP BY m.name, l.name",
}
POSTGRES_SCHEMA = {
    "columns": "SELECT table_name, column_name FROM information_schema.columns"
    " WHERE table_schema = 'public'",
    # Indexes made by a CREATE INDEX (those behind a key or UNIQUE column are constraints).
    "indexes": "SELECT tablename, indexname FROM pg_indexes i WHERE schemaname = 'public'"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    "triggers": "SELECT DISTINCT event_object_table, trigger_name FROM information_schema.triggers"
    " WHERE trigger_schema = 'public'",
    "unique": "SELECT c.conrelid::regclass::text, string_agg(a.attname, ',' ORDER BY k.n)"
    " FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY AS k(attnum, n), pg_attribute a"
    " WHERE c.contype = 'u' AND a.attrelid = c.conrelid AND a.attnum = k.attnum"
    " AND c.connamespace = 'public'::regnamespace"
    " GROUP BY c.conrelid, c.conname",
}


@pytest.mark.postgres
async def test_both_engines_end_with_the_same_schema(tmp_path: Path) -> None:
    """Tables, columns, named indexes, triggers and UNIQUE columns match after migrating."""
    found: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for engine, queries in (("sqlite", SQLITE_SCHEMA), ("postgres", POSTGRES_SCHEMA)):
        async with database_target(engine, tmp_path) as target:
            database = await Database.open(target)
            try:
                found[engine] = {
                    what: {(str(row[0]), str(row[1])) for row in await database.fetch_all(sql)}
                    for what, sql in queries.items()
                }
            finally:
                await database.close()
    for what in SQLITE_SCHEMA:
        assert found["postgres"][what] == found["sqlite"][what], what
    assert ("ledger", "ledger_once") in found["postgres"]["indexes"]
    assert ("ledger", "ledger_apply") in found["postgres"]["triggers"]
