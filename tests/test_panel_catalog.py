"""The catalog over several panels, in storage: grouping, stable ids, routes, the migration."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.core.money import Money
from storage.catalog import CatalogRepository, ServiceRecord
from storage.database import Database, available_migrations
from storage.engines import sqlite as sqlite_engine
from storage.errors import DuplicateUpstreamIdError
from storage.orders import OrderDraft, OrderRepository
from storage.repository import Repository

PANELS = ["main", "backup"]


def record(service_id: int, name: str, rate: str = "1.00", **overrides: object) -> ServiceRecord:
    values: dict[str, object] = {
        "id": service_id,
        "category": "Instagram",
        "name": name,
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


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[CatalogRepository]:
    database = await Database.open(tmp_path / "c.sqlite3")
    try:
        yield CatalogRepository(database)
    finally:
        await database.close()


async def test_alike_services_of_two_panels_are_one_shop_service_with_a_stable_id(
    catalog: CatalogRepository,
) -> None:
    await catalog.replace_panels(
        {
            "main": [record(1, "Followers", "0.90"), record(2, "Likes"), record(3, "Likes")],
            "backup": [
                record(71, "  FOLLOWERS ", "0.80", category="instagram"),
                record(72, "Likes", "0.50"),
                record(73, "Views"),
            ],
        },
        PANELS,
    )
    route = await catalog.route(1, PANELS)
    assert [(m.panel, m.service_id) for m in route] == [("backup", 71), ("main", 1)]  # cheapest
    shop = await catalog.service(1)
    assert shop is not None and shop.rate == Decimal("0.80") and shop.name == "  FOLLOWERS "
    # A panel's own look-alikes stay apart: one service per panel in a shop service.
    assert [(m.panel, m.service_id) for m in await catalog.route(2, PANELS)] == [
        ("backup", 72),
        ("main", 2),
    ]
    assert [(m.panel, m.service_id) for m in await catalog.route(3, PANELS)] == [("main", 3)]
    views = await catalog.panel_service("backup", 73)
    assert views is not None and views.shop_service_id > 3

    # Again, in another order, with the backup's followers under a new id: same shop ids.
    changes = await catalog.replace_panels(
        {
            "backup": [record(73, "Views"), record(74, "followers", "0.85"), record(72, "Likes")],
            "main": [record(3, "Likes"), record(2, "Likes"), record(1, "Followers", "0.90")],
        },
        PANELS,
    )
    assert changes.added == [] and changes.removed == []
    assert [(m.panel, m.service_id) for m in await catalog.route(1, PANELS)] == [
        ("backup", 74),
        ("main", 1),
    ]
    again = await catalog.panel_service("backup", 73)
    assert again is not None and again.shop_service_id == views.shop_service_id

    # A panel that did not refresh keeps its catalog; a panel no longer in use is left out.
    await catalog.replace_panels({"main": [record(1, "Followers", "0.90")]}, PANELS)
    assert [m.panel for m in await catalog.route(1, PANELS)] == ["backup", "main"]
    assert [m.panel for m in await catalog.route(1, ["main"])] == ["main"]


async def test_a_pinned_route_regroups_and_auto_returns_to_cheapest(
    catalog: CatalogRepository,
) -> None:
    await catalog.replace_panels(
        {
            "main": [record(1, "Followers", "0.90"), record(2, "Followers HQ", "2.00")],
            "backup": [record(71, "Followers", "0.80"), record(72, "Followers HQ", "1.50")],
        },
        PANELS,
    )
    # Service 1 is served by the main panel's HQ followers first, then the backup's plain ones.
    await catalog.set_route(1, [("main", 2), ("backup", 71)], PANELS)
    route = await catalog.route(1, PANELS)
    assert [(m.panel, m.service_id) for m in route] == [("main", 2), ("backup", 71)]
    shop = await catalog.service(1)
    assert shop is not None and shop.rate == Decimal("2.00")
    # A refresh keeps the route and the regrouping.
    await catalog.replace_panels(
        {
            "main": [record(1, "Followers", "0.90"), record(2, "Followers HQ", "2.00")],
            "backup": [record(71, "Followers", "0.80"), record(72, "Followers HQ", "1.50")],
        },
        PANELS,
    )
    assert [(m.panel, m.service_id) for m in await catalog.route(1, PANELS)] == [
        ("main", 2),
        ("backup", 71),
    ]
    await catalog.set_route(1, None, PANELS)
    assert [(m.panel, m.service_id) for m in await catalog.route(1, PANELS)] == [
        ("backup", 71),
        ("main", 1),
        ("main", 2),
    ]


async def test_the_migration_keeps_ids_and_gives_old_rows_to_the_main_panel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = [m for m in available_migrations() if m[0] < 11]
    # The SQLite engine applies the migrations: stop it before the panels one (0011).
    monkeypatch.setattr(sqlite_engine, "available_migrations", lambda engine="sqlite": before)
    path = tmp_path / "old.sqlite3"
    old = await Database.open(path)
    await old.execute(
        "INSERT INTO categories (id, name, position, active) VALUES (5, 'Instagram', 0, 1)"
    )
    await old.execute(
        "INSERT INTO services (id, category_id, name, type, rate, min_quantity, max_quantity,"
        " refill, cancel, dripfeed, position, active, updated_at)"
        " VALUES (42, 5, 'Followers', 'Default', '0.9', 10, 1000, 1, 0, 0, 0, 1, 'x')"
    )
    await old.execute(
        "INSERT INTO users (id, language, created_at, last_seen_at) VALUES (1, 'en', 'x', 'x')"
    )
    await old.execute(
        "INSERT INTO orders (user_id, confirm_token, upstream_id, service_id, service_name,"
        " service_type, category, rate, refill_allowed, cancel_allowed, link, quantity, price,"
        " status, created_at, updated_at) VALUES (1, 't', 777, 42, 'Followers', 'Default',"
        " 'Instagram', '0.9', 1, 0, 'https://x.example', 100, 90000, 'Pending', 'x', 'x')"
    )
    await old.close()
    monkeypatch.undo()

    database = await Database.open(path)
    try:
        repo = Repository(database)
        # Ordering works before the first refresh: the old service routes to the main panel.
        assert [(m.panel, m.service_id) for m in await repo.catalog.route(42, ["first"])] == [
            ("", 42)
        ]
        [order] = await repo.orders.for_user(1)
        assert (order.panel, order.upstream_id, order.panel_service_id) == ("", 777, 42)
        await repo.catalog.adopt_legacy("first")
        await repo.orders.adopt_legacy("first")
        changes = await repo.catalog.replace_panels(
            {"first": [record(42, "Followers", "0.9")]}, ["first"]
        )
        assert (changes.added, changes.removed) == ([], [])
        assert [m.panel for m in await repo.catalog.route(42, ["first"])] == ["first"]
        assert len(await repo.orders.sync_queue(["first"])) == 1
    finally:
        await database.close()


async def test_a_panel_order_id_is_unique_per_panel(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "o.sqlite3")
    try:
        repo = Repository(database)
        await repo.users.register(1, language="en", first_name="a", username=None)
        orders: OrderRepository = repo.orders

        def draft(token: str, panel: str) -> OrderDraft:
            return OrderDraft(
                user_id=1, confirm_token=token, service_id=1, service_name="F",
                service_type="Default", category="I", rate=Decimal("1"), refill_allowed=False,
                cancel_allowed=False, link="https://x.example", quantity=100,
                price=Money.parse("1"), panel=panel,
            )  # fmt: skip

        first = await orders.create(draft("a", "main"))
        second = await orders.create(draft("b", "backup"))
        third = await orders.create(draft("c", "main"))
        assert await orders.mark_placed(first, 500, "Pending")
        assert await orders.mark_placed(second, 500, "Pending")  # same id, other panel
        with pytest.raises(DuplicateUpstreamIdError):
            await orders.mark_placed(third, 500, "Pending")
        assert await orders.active_by_panel() == {"main": 1, "backup": 1}
        assert not await orders.move_to_panel(first, "main", "backup", 9)  # not placing
        assert await orders.move_to_panel(third, "main", "backup", 9)
        assert not await orders.move_to_panel(third, "main", "backup", 9)  # moved already
    finally:
        await database.close()


def test_sqlite_is_new_enough_to_rename_columns() -> None:
    # The migration renames orders.upstream_id (SQLite 3.25+).
    assert sqlite3.sqlite_version_info >= (3, 25, 0)
