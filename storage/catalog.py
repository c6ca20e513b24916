"""The cached upstream catalog: categories and services, refreshed from the panel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from storage.database import Database, Row, utc_now


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
    # Panels whose catalog could not be read this time (they keep their last one): the reason.
    failed_panels: dict[str, str] = field(default_factory=dict)


# What a panel's service offers, held alike by Service, ServiceRecord and RouteMember.
_OFFER_FIELDS = (
    "category",
    "name",
    "type",
    "rate",
    "min_quantity",
    "max_quantity",
    "refill",
    "cancel",
    "dripfeed",
    "description",
)


def _offer_of_row(row: Row) -> dict[str, Any]:
    """A stored service row's offer, typed as the dataclasses hold it (either table)."""
    return {
        "category": row["category"],
        "name": row["name"],
        "type": row["type"],
        "rate": Decimal(row["rate"]),
        "min_quantity": row["min_quantity"],
        "max_quantity": row["max_quantity"],
        "refill": bool(row["refill"]),
        "cancel": bool(row["cancel"]),
        "dripfeed": bool(row["dripfeed"]),
        "description": row["description"],
    }


def _offer_of(source: ServiceRecord | RouteMember) -> dict[str, Any]:
    return {name: getattr(source, name) for name in _OFFER_FIELDS}


def _service(row: Row) -> Service:
    return Service(
        id=row["id"],
        category_id=row["category_id"],
        **_offer_of_row(row),
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
    from memory between two changes of the catalog (on SQLite; on PostgreSQL several workers
    change it, so nothing is remembered): every change goes through this class
    (:meth:`replace`, :meth:`set_hidden`), which then forgets what it remembered. So there is
    one instance per database, the one of the ``Repository`` facade."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._remembered: dict[tuple[Any, ...], Any] = {}
        self._generation = 0
        self._replacing = asyncio.Lock()

    async def _remember(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        if self._db.shared:
            # Other workers change the catalog too (the leader's refresh, an admin's /hide on
            # any worker), and this instance would not hear of it: ask the database each time.
            return await load()
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

    async def replace(self, records: list[ServiceRecord], *, panel: str = "main") -> CatalogChanges:
        """The catalog of a shop with one panel: ``records`` are all it sells."""
        return await self.replace_panels({panel: records}, [panel])

    async def replace_panels(
        self, fresh: dict[str, list[ServiceRecord]], panels: list[str]
    ) -> CatalogChanges:
        """Store what each panel in ``fresh`` sells now and rebuild the shop's services.

        ``panels`` are the panels in use, the main one first (the order breaks ties between
        equal rates); a panel in use but not in ``fresh`` keeps its last catalog, one no longer
        in use is left out. Vanished services become inactive, not deleted, so old orders and
        their cards keep working.
        """
        self._forget()
        try:
            async with self._replacing:
                return await self._replace_panels(fresh, panels)
        finally:
            self._forget()

    async def _replace_panels(
        self, fresh: dict[str, list[ServiceRecord]], panels: list[str]
    ) -> CatalogChanges:
        # As for the shop's services below: what to write is worked out outside any
        # transaction and only rows that differ are written, a batch per transaction.
        now = utc_now()
        # Rows from before several panels were the main panel's.
        await self._db.execute("UPDATE panel_services SET panel = ? WHERE panel = ''", (panels[0],))
        stored = {
            (row["panel"], row["service_id"]): row
            for row in await self._db.fetch_all("SELECT * FROM panel_services")
        }
        shops = {
            row["id"]: row
            for row in await self._db.fetch_all(
                "SELECT s.id, s.name, s.type, s.pinned_route, c.name AS category FROM services s"
                " JOIN categories c ON c.id = s.category_id"
            )
        }
        # Members that stay after this refresh: a panel service that vanished no longer holds
        # its panel's place in a shop service (a new id for the same thing joins it).
        listed = {(panel, record.id) for panel, records in fresh.items() for record in records}
        staying = {
            key: row
            for key, row in stored.items()
            if key in listed or (key[0] not in fresh and key[0] in panels and row["active"])
        }
        grouping = _Grouping(shops, staying, main=panels[0])
        members = {key: _member(row) for key, row in stored.items()}
        writes: list[tuple[object, ...]] = []
        retired: list[tuple[object, ...]] = []
        for panel, records in fresh.items():
            for position, record in enumerate(records):
                key = (panel, record.id)
                old = stored.get(key)
                shop_id = (
                    old["shop_service_id"] if old is not None else grouping.assign(panel, record)
                )
                member = _member_of(panel, record, shop_id, position, old)
                if old is None or _member(old) != member:
                    writes.append(
                        (
                            panel,
                            record.id,
                            shop_id,
                            record.category,
                            record.name,
                            record.type,
                            str(record.rate),
                            record.min_quantity,
                            record.max_quantity,
                            int(record.refill),
                            int(record.cancel),
                            int(record.dripfeed),
                            record.description,
                            position,
                            now,
                        )
                    )
                members[key] = member
            for key, row in stored.items():
                if key[0] == panel and key not in listed and row["active"]:
                    retired.append((now, panel, key[1]))
                    members[key] = replace(members[key], active=False)
        for batch in _batches(writes):
            await self._db.execute_many(
                "INSERT INTO panel_services (panel, service_id, shop_service_id, category,"
                " name, type, rate, min_quantity, max_quantity, refill, cancel, dripfeed,"
                " description, position, active, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
                " ON CONFLICT (panel, service_id) DO UPDATE SET"
                " category = excluded.category, name = excluded.name, type = excluded.type,"
                " rate = excluded.rate, min_quantity = excluded.min_quantity,"
                " max_quantity = excluded.max_quantity, refill = excluded.refill,"
                " cancel = excluded.cancel, dripfeed = excluded.dripfeed,"
                " description = excluded.description, position = excluded.position,"
                " active = 1, updated_at = excluded.updated_at",
                batch,
            )
        for batch in _batches(retired):
            await self._db.execute_many(
                "UPDATE panel_services SET active = 0, updated_at = ?"
                " WHERE panel = ? AND service_id = ?",
                batch,
            )
        pinned = {shop_id for shop_id, row in shops.items() if row["pinned_route"]}
        return await self._write_services(_shop_records(members.values(), pinned, panels))

    async def _rebuild_services(self, panels: list[str]) -> CatalogChanges:
        """Rewrite the shop's services from the members as stored (after a route change)."""
        members = [_member(row) for row in await self._db.fetch_all("SELECT * FROM panel_services")]
        pinned = {
            row[0]
            for row in await self._db.fetch_all("SELECT id FROM services WHERE pinned_route = 1")
        }
        return await self._write_services(_shop_records(members, pinned, panels))

    async def _write_services(self, records: list[ServiceRecord]) -> CatalogChanges:
        # What to write is worked out from one read of each table, outside any transaction;
        # only rows that differ are written, a batch per transaction, so customers' reads
        # wait for one batch at most, never for the whole catalog. Replacements run one at a
        # time (the periodic refresh and /sync), so the rows read are still those in the
        # database when the batches are written. A crash between batches leaves every row
        # valid, and the next refresh writes what is still missing.
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

    async def _stored_services(self) -> dict[int, Row]:
        """Every service row, a page per read: one read of them all held the lock for long."""
        stored: dict[int, Row] = {}
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

    # --- routes -------------------------------------------------------------------------

    async def adopt_legacy(self, main_panel: str) -> int:
        """Panel services from before several panels are the main panel's."""
        return await self._db.execute(
            "UPDATE panel_services SET panel = ? WHERE panel = ''", (main_panel,)
        )

    async def members(self, shop_service_id: int) -> tuple[bool, list[RouteMember]]:
        """(route set by an admin, every panel service of the shop service, active or not)."""
        pinned = await self._db.fetch_value(
            "SELECT pinned_route FROM services WHERE id = ?", (shop_service_id,)
        )
        rows = await self._db.fetch_all(
            "SELECT * FROM panel_services WHERE shop_service_id = ? ORDER BY panel, service_id",
            (shop_service_id,),
        )
        return bool(pinned), [_member(row) for row in rows]

    async def route(self, shop_service_id: int, panels: list[str]) -> list[RouteMember]:
        """The panel services that may serve the shop service, in the order to try them."""
        pinned, members = await self.members(shop_service_id)
        return route_order(members, pinned=pinned, panels=panels)

    async def all_members(self) -> list[RouteMember]:
        """Every active panel service (for /catalog)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM panel_services WHERE active = 1 ORDER BY shop_service_id, panel"
        )
        return [_member(row) for row in rows]

    async def panel_counts_by_category(self) -> dict[int, dict[str, int]]:
        """How many offered services of each category each panel serves (for /catalog)."""
        rows = await self._db.fetch_all(
            "SELECT s.category_id, p.panel, COUNT(*) FROM panel_services p"
            " JOIN services s ON s.id = p.shop_service_id"
            " WHERE p.active = 1 AND s.active = 1 GROUP BY s.category_id, p.panel"
            " ORDER BY s.category_id, p.panel"
        )
        counts: dict[int, dict[str, int]] = {}
        for row in rows:
            counts.setdefault(row[0], {})[row[1]] = row[2]
        return counts

    async def panel_service(self, panel: str, service_id: int) -> RouteMember | None:
        row = await self._db.fetch_one(
            "SELECT * FROM panel_services WHERE panel = ? AND service_id = ?", (panel, service_id)
        )
        return None if row is None else _member(row)

    async def set_route(
        self, shop_service_id: int, route: list[tuple[str, int]] | None, panels: list[str]
    ) -> CatalogChanges:
        """Pin the route (these panel services, in this order, join the shop service; its other
        members stay out of it), or with None go back to cheapest first. The caller checked
        that the shop service and every named panel service exist."""
        self._forget()
        try:
            async with self._replacing:
                async with self._db.transaction():
                    await self._db.execute(
                        "UPDATE panel_services SET route_position = NULL WHERE shop_service_id = ?",
                        (shop_service_id,),
                    )
                    for position, (panel, service_id) in enumerate(route or []):
                        await self._db.execute(
                            "UPDATE panel_services SET shop_service_id = ?, route_position = ?"
                            " WHERE panel = ? AND service_id = ?",
                            (shop_service_id, position, panel, service_id),
                        )
                    await self._db.execute(
                        "UPDATE services SET pinned_route = ? WHERE id = ?",
                        (int(route is not None), shop_service_id),
                    )
                return await self._rebuild_services(panels)

        finally:
            self._forget()

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


@dataclass(frozen=True, slots=True)
class RouteMember:
    """One panel's service inside a shop service."""

    panel: str
    service_id: int
    shop_service_id: int
    category: str
    name: str
    type: str
    rate: Decimal  # in the panel's currency
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str
    position: int
    active: bool
    route_position: int | None

    def as_record(self, shop_service_id: int) -> ServiceRecord:
        return ServiceRecord(id=shop_service_id, **_offer_of(self))


def _member(row: Row) -> RouteMember:
    return RouteMember(
        panel=row["panel"],
        service_id=row["service_id"],
        shop_service_id=row["shop_service_id"],
        **_offer_of_row(row),
        position=row["position"],
        active=bool(row["active"]),
        route_position=row["route_position"],
    )


def route_order(
    members: list[RouteMember], *, pinned: bool, panels: list[str]
) -> list[RouteMember]:
    """The active members on panels in use, in the order to try them: as an admin set them,
    else cheapest first (equal rates: the panel listed first, the main panel before others).
    Rows from before several panels ("" as their panel) are the main panel's."""
    rank = {name: index for index, name in enumerate(panels)}
    usable = [
        member
        for member in members
        if member.active and (member.panel in rank or (member.panel == "" and panels))
    ]

    def panel_rank(member: RouteMember) -> int:
        return rank.get(member.panel, 0)

    if pinned:
        chosen = [member for member in usable if member.route_position is not None]
        return sorted(chosen, key=lambda member: member.route_position or 0)
    return sorted(usable, key=lambda member: (member.rate, panel_rank(member), member.position))


def grouping_key(category: str, name: str, service_type: str) -> tuple[str, str, str]:
    """Services alike on different panels: same category, name and type, whatever the case
    and spacing."""
    return tuple(" ".join(text.split()).casefold() for text in (category, name, service_type))  # type: ignore[return-value]


class _Grouping:
    """Gives a panel service seen for the first time its shop service."""

    def __init__(
        self,
        shops: dict[int, Row],
        members: dict[tuple[str, int], Row],
        *,
        main: str,
    ) -> None:
        self._main = main
        self._taken = set(shops)
        self._by_key: dict[tuple[str, str, str], list[int]] = {}
        self._panels_of: dict[int, set[str]] = {}
        for shop_id, row in sorted(shops.items()):
            self._add(shop_id, grouping_key(row["category"], row["name"], row["type"]))
        for (panel, _), row in members.items():
            shop_id = row["shop_service_id"]
            self._panels_of.setdefault(shop_id, set()).add(panel)
            self._add(shop_id, grouping_key(row["category"], row["name"], row["type"]))

    def _add(self, shop_id: int, key: tuple[str, str, str]) -> None:
        ids = self._by_key.setdefault(key, [])
        if shop_id not in ids:
            ids.append(shop_id)
            ids.sort()

    def assign(self, panel: str, record: ServiceRecord) -> int:
        """The alike shop service that has nothing of this panel yet (a shop service takes
        one service per panel, so a panel's own look-alikes stay apart); else the panel's
        own id for the main panel (so a shop of one panel keeps the panel's ids); else a new
        id."""
        key = grouping_key(record.category, record.name, record.type)
        shop_id = next(
            (
                candidate
                for candidate in self._by_key.get(key, [])
                if panel not in self._panels_of.get(candidate, set())
            ),
            None,
        )
        if shop_id is None:
            if panel == self._main and record.id not in self._taken:
                shop_id = record.id
            else:
                shop_id = max(self._taken, default=0) + 1
        self._taken.add(shop_id)
        self._panels_of.setdefault(shop_id, set()).add(panel)
        self._add(shop_id, key)
        return shop_id


def _member_of(
    panel: str, record: ServiceRecord, shop_id: int, position: int, old: Row | None
) -> RouteMember:
    return RouteMember(
        panel=panel,
        service_id=record.id,
        shop_service_id=shop_id,
        **_offer_of(record),
        position=position,
        active=True,
        route_position=None if old is None else old["route_position"],
    )


def _shop_records(
    members: Iterable[RouteMember], pinned: set[int], panels: list[str]
) -> list[ServiceRecord]:
    """Each shop service as its route's first member describes it, in the order the panels
    list them (the main panel's catalog first)."""
    rank = {name: index for index, name in enumerate(panels)}
    by_shop: dict[int, list[RouteMember]] = {}
    usable = [m for m in members if m.active and m.panel in rank]
    for member in sorted(usable, key=lambda m: (rank[m.panel], m.position)):
        by_shop.setdefault(member.shop_service_id, []).append(member)
    records = []
    for shop_id, group in by_shop.items():
        route = route_order(group, pinned=shop_id in pinned, panels=panels)
        if route:
            records.append(route[0].as_record(shop_id))
    return records


def _differs(old: Row, values: tuple[object, ...], rate: Decimal) -> bool:
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
