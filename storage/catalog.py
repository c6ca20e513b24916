"""The cached upstream catalog: categories and services, refreshed from the panel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import aiosqlite

from storage.database import Database, utc_now


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    service_count: int = 0
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Service:
    id: int
    category_id: int
    category: str
    name: str
    type: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str
    active: bool
    hidden: bool = False

    @property
    def offered(self) -> bool:
        """Customers can see and order it."""
        return self.active and not self.hidden


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A service as the catalog sync writes it (the panel's view, already filtered)."""

    id: int
    category: str
    name: str
    type: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str = ""


@dataclass(slots=True)
class CatalogChanges:
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)


def _service(row: aiosqlite.Row) -> Service:
    return Service(
        id=row["id"],
        category_id=row["category_id"],
        category=row["category"],
        name=row["name"],
        type=row["type"],
        rate=Decimal(row["rate"]),
        min_quantity=row["min_quantity"],
        max_quantity=row["max_quantity"],
        refill=bool(row["refill"]),
        cancel=bool(row["cancel"]),
        dripfeed=bool(row["dripfeed"]),
        description=row["description"],
        active=bool(row["active"]),
        hidden=bool(row["hidden"]) or bool(row["category_hidden"]),
    )


_SERVICE_COLUMNS = "s.*, c.name AS category, c.hidden AS category_hidden"
# What customers see: services still on the panel and not hidden, in categories not hidden.
_OFFERED = "s.active = 1 AND s.hidden = 0"
_CATEGORY_OFFERED = "c.active = 1 AND c.hidden = 0"
# Answers kept between catalog changes; past this many the memory starts over.
_REMEMBERED_LIMIT = 10_000
# Rows a refresh reads or writes per trip to the database: a customer's read waits for one.
WRITE_BATCH = 500

T = TypeVar("T")


class CatalogRepository:
    """The catalog tables. Customers' reads (every screen of the order journey) are answered
    from memory between two changes of the catalog: every change goes through this class
    (:meth:`replace`, :meth:`set_hidden`), which then forgets what it remembered. So there is
    one instance per database, the one of the ``Repository`` facade."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._remembered: dict[tuple[Any, ...], Any] = {}
        self._generation = 0
        self._replacing = asyncio.Lock()

    async def _remember(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        if key in self._remembered:
            value: T = self._remembered[key]
            return value
        generation = self._generation
        value = await load()
        # Not an answer read before a change that finished meanwhile, nor a miss (a forged
        # id must not grow the memory).
        if generation == self._generation and value is not None:
            if len(self._remembered) >= _REMEMBERED_LIMIT:
                self._remembered.clear()
            self._remembered[key] = value
        return value

    def _forget(self) -> None:
        self._generation += 1
        self._remembered.clear()

    async def replace(self, records: list[ServiceRecord]) -> CatalogChanges:
        """Make the cache match the panel; vanished services become inactive, not deleted,
        so old orders and their cards keep working."""
        self._forget()
        try:
            return await self._replace(records)
        finally:
            self._forget()

    async def _replace(self, records: list[ServiceRecord]) -> CatalogChanges:
        # What to write is worked out from one read of each table, outside any transaction;
        # only rows that differ are written, a batch per transaction, so customers' reads
        # wait for one batch at most, never for the whole catalog. Replacements run one at a
        # time (the periodic refresh and /sync), so the rows read are still those in the
        # database when the batches are written. A crash between batches leaves every row
        # valid, and the next refresh writes what is still missing.
        async with self._replacing:
            changes = CatalogChanges()
            now = utc_now()
            names = list(dict.fromkeys(record.category for record in records))
            category_ids = await self._store_categories(names)
            stored = await self._stored_services()
            writes: list[tuple[object, ...]] = []
            for position, record in enumerate(records):
                values = (
                    category_ids[record.category],
                    record.name,
                    record.type,
                    str(record.rate),
                    record.min_quantity,
                    record.max_quantity,
                    int(record.refill),
                    int(record.cancel),
                    int(record.dripfeed),
                    record.description,
                )
                old = stored.get(record.id)
                if old is None:
                    changes.added.append(record.id)
                elif not old["active"] or _differs(old, values, record.rate):
                    changes.changed.append(record.id)
                elif old["position"] == position:
                    continue  # exactly as stored: nothing to write
                writes.append((*values, record.id, position, now))
            for batch in _batches(writes):
                await self._db.execute_many(
                    "INSERT INTO services (category_id, name, type, rate, min_quantity,"
                    " max_quantity, refill, cancel, dripfeed, description, id, position,"
                    " active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
                    " ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id,"
                    " name = excluded.name, type = excluded.type, rate = excluded.rate,"
                    " min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,"
                    " refill = excluded.refill, cancel = excluded.cancel,"
                    " dripfeed = excluded.dripfeed, description = excluded.description,"
                    " position = excluded.position, active = 1, updated_at = excluded.updated_at",
                    batch,
                )
            seen = {record.id for record in records}
            changes.removed = [
                service_id
                for service_id, row in stored.items()
                if service_id not in seen and row["active"]
            ]
            for removed in _batches([(now, service_id) for service_id in changes.removed]):
                await self._db.execute_many(
                    "UPDATE services SET active = 0, updated_at = ? WHERE id = ?", removed
                )
            return changes

    async def _stored_services(self) -> dict[int, aiosqlite.Row]:
        """Every service row, a page per read: one read of them all held the lock for long."""
        stored: dict[int, aiosqlite.Row] = {}
        last = -1
        while True:
            rows = await self._db.fetch_all(
                "SELECT id, category_id, name, type, rate, min_quantity, max_quantity,"
                " refill, cancel, dripfeed, description, position, active FROM services"
                " WHERE id > ? ORDER BY id LIMIT ?",
                (last, WRITE_BATCH),
            )
            stored.update((row["id"], row) for row in rows)
            if len(rows) < WRITE_BATCH:
                return stored
            last = rows[-1]["id"]

    async def _store_categories(self, names: list[str]) -> dict[str, int]:
        """Categories in the panel's order, the others inactive; their ids by name."""
        stored = {
            row["name"]: row
            for row in await self._db.fetch_all("SELECT id, name, position, active FROM categories")
        }
        upserts = [
            (name, position)
            for position, name in enumerate(names)
            if name not in stored
            or (stored[name]["position"], stored[name]["active"]) != (position, 1)
        ]
        wanted = set(names)
        retired = [
            (row["id"],) for name, row in stored.items() if row["active"] and name not in wanted
        ]
        if upserts or retired:
            async with self._db.transaction():
                if upserts:
                    await self._db.execute_many(
                        "INSERT INTO categories (name, position, active) VALUES (?, ?, 1)"
                        " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
                        " active = 1",
                        upserts,
                    )
                if retired:
                    await self._db.execute_many(
                        "UPDATE categories SET active = 0 WHERE id = ?", retired
                    )
        if all(name in stored for name in names):
            return {name: stored[name]["id"] for name in names}
        rows = await self._db.fetch_all("SELECT id, name FROM categories")
        return {row["name"]: row["id"] for row in rows}

    async def count_categories(self) -> int:
        async def load() -> int:
            return int(
                await self._db.fetch_value(
                    f"SELECT COUNT(*) FROM categories c WHERE {_CATEGORY_OFFERED} AND EXISTS"
                    f" (SELECT 1 FROM services s WHERE s.category_id = c.id AND {_OFFERED})"
                )
            )

        return await self._remember(("count_categories",), load)

    async def categories(self, *, offset: int = 0, limit: int = 10) -> list[Category]:
        """The categories customers can browse (with at least one offered service)."""

        async def load() -> tuple[Category, ...]:
            rows = await self._db.fetch_all(
                "SELECT c.id, c.name, COUNT(s.id) AS service_count FROM categories c"
                f" JOIN services s ON s.category_id = c.id AND {_OFFERED}"
                f" WHERE {_CATEGORY_OFFERED} GROUP BY c.id ORDER BY c.position, c.id"
                " LIMIT ? OFFSET ?",
                (limit, offset),
            )
            return tuple(Category(row["id"], row["name"], row["service_count"]) for row in rows)

        return list(await self._remember(("categories", offset, limit), load))

    async def all_categories(self) -> list[Category]:
        """Every category still on the panel, hidden ones included (for admins)."""
        rows = await self._db.fetch_all(
            "SELECT c.id, c.name, c.hidden, COUNT(s.id) AS service_count FROM categories c"
            " LEFT JOIN services s ON s.category_id = c.id AND s.active = 1"
            " WHERE c.active = 1 GROUP BY c.id ORDER BY c.position, c.id"
        )
        return [
            Category(row["id"], row["name"], row["service_count"], bool(row["hidden"]))
            for row in rows
        ]

    async def category(self, category_id: int) -> Category | None:
        """A category customers can browse, or None."""

        async def load() -> Category | None:
            row = await self._db.fetch_one(
                "SELECT c.id, c.name, COUNT(s.id) AS service_count FROM categories c"
                f" LEFT JOIN services s ON s.category_id = c.id AND {_OFFERED}"
                f" WHERE c.id = ? AND {_CATEGORY_OFFERED} GROUP BY c.id",
                (category_id,),
            )
            return None if row is None else Category(row["id"], row["name"], row["service_count"])

        return await self._remember(("category", category_id), load)

    async def services(
        self, category_id: int, *, offset: int = 0, limit: int = 10
    ) -> list[Service]:
        async def load() -> tuple[Service, ...]:
            rows = await self._db.fetch_all(
                f"SELECT {_SERVICE_COLUMNS} FROM services s"
                " JOIN categories c ON c.id = s.category_id"
                f" WHERE s.category_id = ? AND {_OFFERED} AND {_CATEGORY_OFFERED}"
                " ORDER BY s.position, s.id LIMIT ? OFFSET ?",
                (category_id, limit, offset),
            )
            return tuple(_service(row) for row in rows)

        return list(await self._remember(("services", category_id, offset, limit), load))

    async def offered_services(self) -> tuple[Service, ...]:
        """Every service customers can see, in catalog order (search reads this). The same
        tuple object comes back until the catalog changes, so callers may index it once."""

        async def load() -> tuple[Service, ...]:
            rows = await self._db.fetch_all(
                f"SELECT {_SERVICE_COLUMNS} FROM services s"
                " JOIN categories c ON c.id = s.category_id"
                f" WHERE {_OFFERED} AND {_CATEGORY_OFFERED} ORDER BY c.position, s.position, s.id"
            )
            return tuple(_service(row) for row in rows)

        return await self._remember(("offered_services",), load)

    async def set_hidden(self, scope: str, target_id: int, hidden: bool) -> bool:
        """Hide or show a category or service; False when there is no such one."""
        table = {"category": "categories", "service": "services"}[scope]
        self._forget()
        try:
            changed = await self._db.execute(
                f"UPDATE {table} SET hidden = ? WHERE id = ?", (int(hidden), target_id)
            )
        finally:
            self._forget()
        return changed > 0

    async def category_by_id(self, category_id: int) -> Category | None:
        """Any category, hidden or not (for admins)."""
        row = await self._db.fetch_one(
            "SELECT id, name, hidden FROM categories WHERE id = ?", (category_id,)
        )
        return None if row is None else Category(row["id"], row["name"], 0, bool(row["hidden"]))

    async def service(self, service_id: int) -> Service | None:
        """A service by id, active or not (old orders still name vanished services)."""

        async def load() -> Service | None:
            row = await self._db.fetch_one(
                f"SELECT {_SERVICE_COLUMNS} FROM services s"
                " JOIN categories c ON c.id = s.category_id WHERE s.id = ?",
                (service_id,),
            )
            return None if row is None else _service(row)

        return await self._remember(("service", service_id), load)

    async def count_services(self, *, active_only: bool = True) -> int:
        sql = "SELECT COUNT(*) FROM services" + (" WHERE active = 1" if active_only else "")
        return int(await self._db.fetch_value(sql))


def _differs(old: aiosqlite.Row, values: tuple[object, ...], rate: Decimal) -> bool:
    """Whether a stored service row differs from the values the refresh would write."""
    return (
        old["category_id"],
        old["name"],
        old["type"],
        old["min_quantity"],
        old["max_quantity"],
        old["refill"],
        old["cancel"],
        old["dripfeed"],
        old["description"],
    ) != (values[0], *values[1:3], *values[4:]) or Decimal(old["rate"]) != rate


def _batches(rows: list[T]) -> list[list[T]]:
    return [rows[start : start + WRITE_BATCH] for start in range(0, len(rows), WRITE_BATCH)]
