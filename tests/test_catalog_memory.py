"""The catalog's reads are answered from memory between changes, and never outlive one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from storage.catalog import CatalogRepository, ServiceRecord
from storage.database import Database


def record(service_id: int, category: str, rate: str = "1.00") -> ServiceRecord:
    return ServiceRecord(
        id=service_id,
        category=category,
        name=f"Service {service_id}",
        type="Default",
        rate=Decimal(rate),
        min_quantity=10,
        max_quantity=1000,
        refill=False,
        cancel=False,
        dripfeed=False,
    )


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "catalog.sqlite3")
    try:
        yield database
    finally:
        await database.close()


def count_reads(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    fetch_all = database.fetch_all

    async def counting(sql: str, params: Any = ()) -> Any:
        reads.append(sql)
        return await fetch_all(sql, params)

    monkeypatch.setattr(database, "fetch_all", counting)
    return reads


async def test_journey_reads_hit_the_database_once(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram"), record(2, "Instagram"), record(3, "TikTok")])
    reads = count_reads(database, monkeypatch)
    for _ in range(3):
        assert await catalog.count_categories() == 2
        [instagram, _tiktok] = await catalog.categories(offset=0, limit=8)
        assert await catalog.category(instagram.id) == instagram
        assert [s.id for s in await catalog.services(instagram.id, offset=0, limit=8)] == [1, 2]
        service = await catalog.service(2)
        assert service is not None and service.rate == Decimal("1.00")
    assert len(reads) == 5


async def test_a_change_is_seen_at_once(database: Database) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram"), record(2, "TikTok")])
    [instagram, tiktok] = await catalog.categories()
    assert (await catalog.service(1)) is not None

    await catalog.set_hidden("category", tiktok.id, True)
    assert [c.id for c in await catalog.categories()] == [instagram.id]
    assert await catalog.count_categories() == 1
    assert await catalog.category(tiktok.id) is None

    await catalog.replace([record(1, "Instagram", "2.50"), record(3, "Instagram")])
    service = await catalog.service(1)
    assert service is not None and service.rate == Decimal("2.50")
    assert [s.id for s in await catalog.services(instagram.id)] == [1, 3]
    [only] = await catalog.categories()
    assert only.service_count == 2


async def test_an_answer_read_across_a_change_is_not_kept(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram", "1.00")])
    reading, release = asyncio.Event(), asyncio.Event()
    fetch_all = database.fetch_all

    async def slow(sql: str, params: Any = ()) -> Any:
        rows = await fetch_all(sql, params)
        reading.set()
        await release.wait()
        return rows

    monkeypatch.setattr(database, "fetch_all", slow)
    stale = asyncio.create_task(catalog.service(1))
    await asyncio.wait_for(reading.wait(), 5)
    monkeypatch.setattr(database, "fetch_all", fetch_all)
    await catalog.replace([record(1, "Instagram", "9.00")])
    release.set()
    old = await stale
    assert old is not None and old.rate == Decimal("1.00")  # read before the change finished
    fresh = await catalog.service(1)
    assert fresh is not None and fresh.rate == Decimal("9.00")


async def test_misses_are_not_remembered_and_lists_are_copies(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = CatalogRepository(database)
    await catalog.replace([record(1, "Instagram")])
    reads = count_reads(database, monkeypatch)
    for forged in range(1000, 1010):
        assert await catalog.service(forged) is None
    assert len(reads) == 10
    assert catalog._remembered == {}
    listed = await catalog.categories()
    listed.clear()
    assert len(await catalog.categories()) == 1


async def test_a_refresh_writes_only_what_differs_a_batch_at_a_time(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.catalog.WRITE_BATCH", 2)  # so 5 services take 3 batches
    catalog = CatalogRepository(database)
    first = [record(i, "Instagram" if i < 4 else "TikTok") for i in range(1, 6)]
    changes = await catalog.replace(first)
    assert (changes.added, changes.changed, changes.removed) == ([1, 2, 3, 4, 5], [], [])
    writes: list[int] = []
    # What each panel sells is written (in batches too) before the shop's services.
    panel_writes: list[int] = []
    execute_many = database.execute_many

    async def counting(sql: str, rows: Any) -> None:
        rows = list(rows)
        (panel_writes if "panel_services" in sql else writes).append(len(rows))
        await execute_many(sql, rows)

    monkeypatch.setattr(database, "execute_many", counting)
    unchanged = await catalog.replace(first)
    assert (unchanged.added, unchanged.changed, unchanged.removed) == ([], [], [])
    assert writes == []  # nothing differs: nothing written, not even a timestamp
    assert panel_writes == []

    # A new rate, a service moved to another category, one gone, one new, the rest reordered.
    second = [
        record(5, "TikTok"),
        record(1, "Instagram", "1.5"),
        record(2, "TikTok"),
        record(6, "YouTube"),
        record(3, "Instagram", "1.000"),  # the same rate, spelled otherwise
    ]
    changes = await catalog.replace(second)
    assert (changes.added, changes.changed, changes.removed) == ([6], [1, 2], [4])
    # The three categories (reordered, one new), the five services in batches of two (3 only
    # moved), then the removal.
    assert writes == [3, 2, 2, 1, 1]
    assert panel_writes == [2, 2, 1, 1]  # the five that differ or are new, then 4 retired
    [tiktok, instagram, youtube] = await catalog.categories()
    assert (tiktok.name, instagram.name, youtube.name) == ("TikTok", "Instagram", "YouTube")
    assert [s.id for s in await catalog.services(tiktok.id)] == [5, 2]
    assert [s.id for s in await catalog.services(instagram.id)] == [1, 3]
    gone = await catalog.service(4)
    assert gone is not None and not gone.active
    moved = await catalog.service(1)
    assert moved is not None and moved.rate == Decimal("1.5")
