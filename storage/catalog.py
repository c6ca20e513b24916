"""The cached upstream catalog: categories and services, refreshed from the panel."""

from __future__ import annotations

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
        changes = CatalogChanges()
        now = utc_now()
        async with self._db.transaction():
            existing = {
                row["id"]: row
                for row in await self._db.fetch_all(
                    f"SELECT {_SERVICE_COLUMNS} FROM services s"
                    " JOIN categories c ON c.id = s.category_id"
                )
            }
            category_ids: dict[str, int] = {}
            for position, name in enumerate(dict.fromkeys(record.category for record in records)):
                await self._db.execute(
                    "INSERT INTO categories (name, position, active) VALUES (?, ?, 1)"
                    " ON CONFLICT (name) DO UPDATE SET position = excluded.position, active = 1",
                    (name, position),
                )
                category_ids[name] = int(
                    await self._db.fetch_value("SELECT id FROM categories WHERE name = ?", (name,))
                )
            if category_ids:
                marks = ",".join("?" * len(category_ids))
                await self._db.execute(
                    f"UPDATE categories SET active = 0 WHERE id NOT IN ({marks})",
                    tuple(category_ids.values()),
                )
            else:
                await self._db.execute("UPDATE categories SET active = 0")
            seen: set[int] = set()
            for position, record in enumerate(records):
                seen.add(record.id)
                old = existing.get(record.id)
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
                if old is None:
                    changes.added.append(record.id)
                elif not old["active"] or _differs(_service(old), record):
                    changes.changed.append(record.id)
                await self._db.execute(
                    "INSERT INTO services (category_id, name, type, rate, min_quantity,"
                    " max_quantity, refill, cancel, dripfeed, description, id, position,"
                    " active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
                    " ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id,"
                    " name = excluded.name, type = excluded.type, rate = excluded.rate,"
                    " min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,"
                    " refill = excluded.refill, cancel = excluded.cancel,"
                    " dripfeed = excluded.dripfeed, description = excluded.description,"
                    " position = excluded.position, active = 1, updated_at = excluded.updated_at",
                    (*values, record.id, position, now),
                )
            for service_id, row in existing.items():
                if service_id not in seen and row["active"]:
                    changes.removed.append(service_id)
                    await self._db.execute(
                        "UPDATE services SET active = 0, updated_at = ? WHERE id = ?",
                        (now, service_id),
                    )
        return changes

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


def _differs(old: Service, new: ServiceRecord) -> bool:
    return (
        old.name != new.name
        or old.type != new.type
        or old.rate != new.rate
        or old.min_quantity != new.min_quantity
        or old.max_quantity != new.max_quantity
        or old.refill != new.refill
        or old.cancel != new.cancel
        or old.dripfeed != new.dripfeed
        or old.category != new.category
        or old.description != new.description
    )
