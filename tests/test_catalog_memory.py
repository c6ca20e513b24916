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
