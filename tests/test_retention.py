"""Old notifications and ended broadcasts' recipients are pruned in small batches; nothing
still to be sent is ever touched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.retention import Retention
from storage.broadcasts import DONE, RUNNING, STOPPED
from storage.database import Database, format_time
from storage.repository import Repository

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD = format_time(NOW - timedelta(days=31))
RECENT = format_time(NOW - timedelta(days=29))
USERS = range(1, 8)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    database = await Database.open(tmp_path / "retention.sqlite3")
    try:
        repository = Repository(database)
        for user_id in USERS:
            await repository.users.register(user_id, language="en", first_name="", username=None)
        yield repository
    finally:
        await database.close()


async def outbox_row(repo: Repository, key: str, created: str, state: str) -> None:
    await repo.outbox.add(1, "order_status", key, {})
    await repo.database.execute(
        "UPDATE outbox SET created_at = ? WHERE dedupe_key = ?", (created, key)
    )
    if state == "sent":
        await repo.database.execute(
            "UPDATE outbox SET sent_at = ? WHERE dedupe_key = ?", (created, key)
        )
    elif state == "dropped":
        await repo.database.execute("UPDATE outbox SET dropped = 1 WHERE dedupe_key = ?", (key,))


async def broadcast(repo: Repository, status: str, finished: str) -> int:
    broadcast_id = await repo.broadcasts.create_draft(900, 900, 1)
    await repo.database.execute(
        "UPDATE broadcasts SET status = ?, created_at = ?, finished_at = ? WHERE id = ?",
        (status, finished, None if status == RUNNING else finished, broadcast_id),
    )
    for user_id in USERS:
        await repo.database.execute(
            "INSERT INTO broadcast_recipients (broadcast_id, user_id, state) VALUES (?, ?, ?)",
            (broadcast_id, user_id, "sent"),
        )
    return broadcast_id


async def test_only_finished_history_past_the_retention_period_is_pruned(
    repo: Repository,
) -> None:
    for index in range(5):
        await outbox_row(repo, f"old-sent-{index}", OLD, "sent")
    await outbox_row(repo, "old-dropped", OLD, "dropped")
    await outbox_row(repo, "old-pending", OLD, "pending")  # still to be sent: kept
    await outbox_row(repo, "recent-sent", RECENT, "sent")
    done = await broadcast(repo, DONE, OLD)
    stopped = await broadcast(repo, STOPPED, OLD)
    running = await broadcast(repo, RUNNING, OLD)  # a running broadcast's list is kept
    recent = await broadcast(repo, DONE, RECENT)

    statements: list[str] = []
    execute = repo.database.execute

    async def counting(sql: str, params: object = ()) -> int:
        statements.append(sql)
        return await execute(sql, params)  # type: ignore[arg-type]

    repo.database.execute = counting  # type: ignore[method-assign]
    pruned = await Retention(repo, days=30, batch=2).prune(now=NOW)
    repo.database.execute = execute  # type: ignore[method-assign]

    assert (pruned.outbox, pruned.recipients) == (6, 14)
    assert len(statements) == 3 + 1 + 7 + 1  # batches of 2, and the empty one that ends each
    keys = [row[0] for row in await repo.database.fetch_all("SELECT dedupe_key FROM outbox")]
    assert sorted(keys) == ["old-pending", "recent-sent"]
    left = await repo.database.fetch_all(
        "SELECT broadcast_id, COUNT(*) FROM broadcast_recipients GROUP BY broadcast_id"
    )
    assert {row[0]: row[1] for row in left} == {running: len(USERS), recent: len(USERS)}
    assert done != stopped
    assert await Retention(repo, days=30).prune(now=NOW) == type(pruned)(0, 0)
