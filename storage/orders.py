"""Orders (with the service snapshot the user confirmed) and their refills."""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from bot.core.money import Money
from storage.database import Database, Row, utc_now
from storage.errors import ConstraintError, DuplicateOrderError, DuplicateUpstreamIdError

# Local lifecycle states, before (or instead of) the panel's own statuses.
PLACING = "placing"  # charged, the add request is on its way
UNKNOWN = "unknown"  # the add may or may not have reached the panel: an admin settles it
FAILED = "failed"  # the panel refused, or provably never got the request: refunded
LOCAL_STATES = frozenset({PLACING, UNKNOWN, FAILED})


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """A confirmed order about to be charged and placed."""

    user_id: int
    confirm_token: str
    service_id: int
    service_name: str
    service_type: str
    category: str
    rate: Decimal
    refill_allowed: bool
    cancel_allowed: bool
    link: str
    quantity: int | None
    price: Money
    extras: dict[str, Any] = field(default_factory=dict)
    runs: int | None = None  # drip-feed: quantity delivered this many times
    interval: int | None = None  # drip-feed: minutes between runs
    # The panel tried first and its service id ("" and the shop's id: the main panel's).
    panel: str = ""
    panel_service_id: int | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    user_id: int
    upstream_id: int | None
    service_id: int
    service_name: str
    service_type: str
    category: str
    rate: Decimal
    refill_allowed: bool
    cancel_allowed: bool
    link: str
    quantity: int | None
    extras: dict[str, Any]
    price: Money
    panel_charge: Decimal | None
    currency: str | None
    status: str
    remains: int | None
    start_count: int | None
    error: str | None
    created_at: str
    updated_at: str
    runs: int | None = None
    interval: int | None = None
    # The panel the order is on (or was last sent to), and that panel's service id.
    panel: str = ""
    panel_service_id: int | None = None
    confirm_token: str = ""

    @property
    def total_quantity(self) -> int | None:
        """Units to deliver in all: the quantity times the drip-feed runs."""
        return None if self.quantity is None else self.quantity * (self.runs or 1)


class Progress(NamedTuple):
    """What the panel last said about an order, as stored by ``update_progress_many``."""

    order_id: int
    status: str
    remains: int | None
    start_count: int | None
    panel_charge: Decimal | None
    currency: str | None


class SyncState(NamedTuple):
    """The few columns a status answer is compared with (``sync_states``), as stored. A
    tuple, built straight from the row: a whole :class:`Order` (or a frozen dataclass) costs
    several times as much to build, 100,000 of them in a large round."""

    id: int
    status: str
    remains: int | None
    start_count: int | None
    panel_charge: str | None  # as stored: compared as a Decimal only when the panel sends one
    upstream_id: int | None
    quantity: int | None
    missing_since: str | None  # when the panel first said it does not know the order
    # What a status change books: whose balance a refund goes to, and its share.
    user_id: int
    price_micros: int
    runs: int | None

    @property
    def placed(self) -> bool:
        """It has a panel id."""
        return self.upstream_id is not None

    @property
    def missing(self) -> bool:
        return self.missing_since is not None

    @property
    def total_quantity(self) -> int | None:
        """Units to deliver in all: the quantity times the drip-feed runs."""
        return None if self.quantity is None else self.quantity * (self.runs or 1)


@dataclass(slots=True)
class SyncQueue:
    """(id, upstream id) of the orders a sync round asks about, in order, packed in one array
    (16 bytes an order: a list of tuples would take seven times that at 100,000 orders)."""

    pairs: array[int] = field(default_factory=lambda: array("q"))

    def __len__(self) -> int:
        return len(self.pairs) // 2

    def batches(self, size: int) -> Iterator[list[tuple[int, int]]]:
        """The (id, upstream id) pairs, ``size`` at a time, in queue order."""
        for start in range(0, len(self.pairs), 2 * size):
            chunk = self.pairs[start : start + 2 * size]
            yield list(zip(chunk[::2], chunk[1::2], strict=True))


@dataclass(frozen=True, slots=True)
class Refill:
    id: int
    order_id: int
    upstream_id: int | None
    status: str
    created_at: str
    updated_at: str


def _order(row: Row) -> Order:
    return Order(
        id=row["id"],
        user_id=row["user_id"],
        upstream_id=row["upstream_id"],
        service_id=row["service_id"],
        service_name=row["service_name"],
        service_type=row["service_type"],
        category=row["category"],
        rate=Decimal(row["rate"]),
        refill_allowed=bool(row["refill_allowed"]),
        cancel_allowed=bool(row["cancel_allowed"]),
        link=row["link"],
        quantity=row["quantity"],
        # Most orders have no extras: skipping the parse matters to a sync of 100,000 orders.
        extras={} if row["extras"] in (None, "", "{}") else json.loads(row["extras"]),
        price=Money(row["price"]),
        panel_charge=None if row["panel_charge"] is None else Decimal(row["panel_charge"]),
        currency=row["currency"],
        status=row["status"],
        remains=row["remains"],
        start_count=row["start_count"],
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        runs=row["runs"],
        interval=row["interval_minutes"],
        panel=row["panel"],
        panel_service_id=row["panel_service_id"],
        confirm_token=row["confirm_token"],
    )


def _refill(row: Row) -> Refill:
    return Refill(
        id=row["id"],
        order_id=row["order_id"],
        upstream_id=row["upstream_id"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class OrderRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(self, draft: OrderDraft) -> int:
        """Insert the order in state ``placing``; raises DuplicateOrderError for a reused token."""
        now = utc_now()
        try:
            return await self._db.insert(
                "INSERT INTO orders (user_id, confirm_token, service_id, service_name,"
                " service_type, category, rate, refill_allowed, cancel_allowed, link, quantity,"
                " extras, price, runs, interval_minutes, status, created_at, updated_at, panel,"
                " panel_service_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.user_id,
                    draft.confirm_token,
                    draft.service_id,
                    draft.service_name,
                    draft.service_type,
                    draft.category,
                    str(draft.rate),
                    int(draft.refill_allowed),
                    int(draft.cancel_allowed),
                    draft.link,
                    draft.quantity,
                    json.dumps(draft.extras, ensure_ascii=False, sort_keys=True),
                    draft.price.micros,
                    draft.runs,
                    draft.interval,
                    PLACING,
                    now,
                    now,
                    draft.panel,
                    draft.service_id if draft.panel_service_id is None else draft.panel_service_id,
                ),
            )
        except ConstraintError as error:
            if "confirm_token" in str(error):
                raise DuplicateOrderError(draft.confirm_token) from None
            raise

    async def get(self, order_id: int) -> Order | None:
        row = await self._db.fetch_one("SELECT * FROM orders WHERE id = ?", (order_id,))
        return None if row is None else _order(row)

    async def by_token(self, confirm_token: str) -> Order | None:
        row = await self._db.fetch_one(
            "SELECT * FROM orders WHERE confirm_token = ?", (confirm_token,)
        )
        return None if row is None else _order(row)

    async def for_user(self, user_id: int, *, offset: int = 0, limit: int = 5) -> list[Order]:
        rows = await self._db.fetch_all(
            "SELECT * FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [_order(row) for row in rows]

    async def count_for_user(self, user_id: int) -> int:
        return int(
            await self._db.fetch_value("SELECT COUNT(*) FROM orders WHERE user_id = ?", (user_id,))
        )

    async def with_status(self, status: str, *, limit: int = 1000) -> list[Order]:
        rows = await self._db.fetch_all(
            "SELECT * FROM orders WHERE status = ? ORDER BY id LIMIT ?", (status, limit)
        )
        return [_order(row) for row in rows]

    async def mark_placed(
        self, order_id: int, upstream_id: int, status: str, *, panel: str | None = None
    ) -> bool:
        """Record the panel's order id (on ``panel``, else the panel the order was sent to);
        only an order still placing or unknown can be placed."""
        try:
            changed = await self._db.execute(
                "UPDATE orders SET upstream_id = ?, status = ?, error = NULL, missing_since = NULL,"
                " updated_at = ?, panel = COALESCE(?, panel) WHERE id = ? AND status IN (?, ?)",
                (upstream_id, status, utc_now(), panel, order_id, PLACING, UNKNOWN),
            )
        except ConstraintError as error:
            if "upstream_id" in str(error):
                raise DuplicateUpstreamIdError(str(upstream_id)) from None
            raise
        return changed > 0

    async def move_to_panel(
        self, order_id: int, from_panel: str, to_panel: str, panel_service_id: int
    ) -> bool:
        """Send a placing order to the next panel of its route: only while it is still placing
        on ``from_panel`` (whatever else happened to it meanwhile wins)."""
        changed = await self._db.execute(
            "UPDATE orders SET panel = ?, panel_service_id = ?, updated_at = ?"
            " WHERE id = ? AND status = ? AND panel = ?",
            (to_panel, panel_service_id, utc_now(), order_id, PLACING, from_panel),
        )
        return changed > 0

    async def adopt_legacy(self, main_panel: str) -> int:
        """Orders from before several panels are the main panel's."""
        return await self._db.execute("UPDATE orders SET panel = ? WHERE panel = ''", (main_panel,))

    async def active_by_panel(self) -> dict[str, int]:
        """Placed orders not final yet, per panel."""
        rows = await self._db.fetch_all(
            "SELECT panel, COUNT(*) FROM orders WHERE upstream_id IS NOT NULL"
            " AND status NOT IN ('Completed', 'Partial', 'Canceled', 'failed', 'unknown',"
            " 'placing') GROUP BY panel"
        )
        return {row[0]: row[1] for row in rows}

    async def mark_failed(self, order_id: int, error: str) -> bool:
        changed = await self._db.execute(
            "UPDATE orders SET status = ?, error = ?, updated_at = ?"
            " WHERE id = ? AND status IN (?, ?)",
            (FAILED, error, utc_now(), order_id, PLACING, UNKNOWN),
        )
        return changed > 0

    async def mark_unknown(self, order_id: int, error: str) -> bool:
        changed = await self._db.execute(
            "UPDATE orders SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status = ?",
            (UNKNOWN, error, utc_now(), order_id, PLACING),
        )
        return changed > 0

    async def update_progress(
        self,
        order_id: int,
        *,
        status: str,
        remains: int | None,
        start_count: int | None,
        panel_charge: Decimal | None,
        currency: str | None,
    ) -> None:
        await self.update_progress_many(
            [Progress(order_id, status, remains, start_count, panel_charge, currency)], utc_now()
        )

    async def update_progress_many(self, updates: list[Progress], now: str) -> None:
        """Store what the panel said about several orders in one statement."""
        if not updates:
            return
        await self._db.execute_many(
            "UPDATE orders SET status = ?, remains = ?, start_count = ?,"
            " panel_charge = COALESCE(?, panel_charge), currency = COALESCE(?, currency),"
            " updated_at = ? WHERE id = ?",
            [
                (
                    update.status,
                    update.remains,
                    update.start_count,
                    None if update.panel_charge is None else str(update.panel_charge),
                    update.currency,
                    now,
                    update.order_id,
                )
                for update in updates
            ],
        )

    # --- status sync --------------------------------------------------------------------

    async def sync_queue(self, panels: list[str] | None = None, *, after: int = 0) -> SyncQueue:
        """Placed orders that are not final (on one of ``panels``, else on any), in id order
        from the first after ``after`` (where the last round stopped), then from the lowest."""
        on_panels = ""
        if panels is not None:
            on_panels = f" AND panel IN ({','.join('?' * len(panels))})"
        queue = SyncQueue()
        for part in (" AND id > ?", " AND id <= ?"):
            rows = await self._db.fetch_all(
                "SELECT id, upstream_id FROM orders INDEXED BY orders_to_sync"
                " WHERE upstream_id IS NOT NULL"
                " AND status NOT IN ('Completed', 'Partial', 'Canceled', 'failed', 'unknown',"
                f" 'placing'){on_panels}{part} ORDER BY id",
                (*(panels or ()), after),
            )
            for row in rows:
                queue.pairs.extend((row[0], row[1]))
        return queue

    async def sync_cursor(self, panel: str) -> int:
        """The order id the last round of ``panel`` stopped after (0: none yet)."""
        value = await self._db.fetch_value(
            "SELECT order_id FROM sync_cursors WHERE panel = ?", (panel,)
        )
        return int(value or 0)

    async def save_sync_cursor(self, panel: str, order_id: int) -> None:
        await self._db.execute(
            "INSERT INTO sync_cursors (panel, order_id, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (panel) DO UPDATE SET order_id = excluded.order_id,"
            " updated_at = excluded.updated_at",
            (panel, order_id, utc_now()),
        )

    async def sync_states(self, order_ids: list[int]) -> list[SyncState]:
        """What the panel's answers about these orders are compared with. Nothing is
        written: an answer that changes nothing costs this one read."""
        if not order_ids:
            return []
        marks = ",".join("?" * len(order_ids))
        rows = await self._db.fetch_all(
            "SELECT id, status, remains, start_count, panel_charge, upstream_id, quantity,"
            f" missing_since, user_id, price, runs FROM orders WHERE id IN ({marks})",
            tuple(order_ids),
        )
        return [SyncState._make(row) for row in rows]

    async def clear_missing(self, order_ids: list[int]) -> None:
        """The panel knows these orders again: no longer on their way to /unknown."""
        if not order_ids:
            return
        marks = ",".join("?" * len(order_ids))
        await self._db.execute(
            f"UPDATE orders SET missing_since = NULL WHERE id IN ({marks})"
            " AND missing_since IS NOT NULL",
            tuple(order_ids),
        )

    async def get_many(self, order_ids: list[int]) -> list[Order]:
        if not order_ids:
            return []
        marks = ",".join("?" * len(order_ids))
        rows = await self._db.fetch_all(
            f"SELECT * FROM orders WHERE id IN ({marks}) ORDER BY id", tuple(order_ids)
        )
        return [_order(row) for row in rows]

    async def mark_missing(self, order_ids: list[int], now: str) -> list[int]:
        """The panel says it does not know these orders; returns those it did know until now
        (their first time missing is recorded once, so admins hear of each once)."""
        newly: list[int] = []
        async with self._db.transaction():
            for order_id in order_ids:
                if await self._db.execute(
                    "UPDATE orders SET missing_since = ? WHERE id = ? AND missing_since IS NULL",
                    (now, order_id),
                ):
                    newly.append(order_id)
        return newly

    async def unknown_after_missing(self, missing_before: str, now: str) -> list[int]:
        """Orders the panel has not known since before ``missing_before`` become ``unknown``
        (listed for an admin to settle, no longer polled); returns their ids."""
        async with self._db.transaction():
            rows = await self._db.fetch_all(
                "SELECT id FROM orders INDEXED BY orders_missing"
                " WHERE missing_since IS NOT NULL AND missing_since <= ?"
                " AND upstream_id IS NOT NULL"
                " AND status NOT IN ('Completed', 'Partial', 'Canceled', 'failed', 'unknown',"
                " 'placing') ORDER BY id",
                (missing_before,),
            )
            order_ids = [row[0] for row in rows]
            for order_id in order_ids:
                await self._db.execute(
                    "UPDATE orders SET status = ?, updated_at = ?,"
                    " error = 'the panel has not known panel order ' || upstream_id"
                    " || ' since ' || missing_since || ' UTC'"
                    " WHERE id = ? AND missing_since <= ?",
                    (UNKNOWN, now, order_id, missing_before),
                )
        return order_ids

    async def count_by_status(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT status, COUNT(*) FROM orders GROUP BY status")
        return {row[0]: row[1] for row in rows}

    # --- refills ----------------------------------------------------------------------

    async def add_refill(self, order_id: int, upstream_id: int | None, status: str) -> int:
        now = utc_now()
        return await self._db.insert(
            "INSERT INTO refills (order_id, upstream_id, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (order_id, upstream_id, status, now, now),
        )

    async def refills(self, order_id: int) -> list[Refill]:
        rows = await self._db.fetch_all(
            "SELECT * FROM refills WHERE order_id = ? ORDER BY id DESC", (order_id,)
        )
        return [_refill(row) for row in rows]

    async def refill(self, refill_id: int) -> Refill | None:
        row = await self._db.fetch_one("SELECT * FROM refills WHERE id = ?", (refill_id,))
        return None if row is None else _refill(row)

    async def refills_to_sync(self) -> list[Refill]:
        rows = await self._db.fetch_all(
            "SELECT * FROM refills INDEXED BY refills_to_sync WHERE upstream_id IS NOT NULL"
            " AND status NOT IN ('Completed', 'Rejected', 'Error')"
            " ORDER BY checked_at NULLS FIRST, id"
        )
        return [_refill(row) for row in rows]

    async def refills_to_sync_by_panel(self) -> dict[str, list[Refill]]:
        """The refills to ask about, by the panel of their order."""
        rows = await self._db.fetch_all(
            "SELECT r.*, o.panel AS order_panel FROM refills r INDEXED BY refills_to_sync"
            " JOIN orders o ON o.id = r.order_id WHERE r.upstream_id IS NOT NULL"
            " AND r.status NOT IN ('Completed', 'Rejected', 'Error') ORDER BY r.checked_at, r.id"
        )
        by_panel: dict[str, list[Refill]] = {}
        for row in rows:
            by_panel.setdefault(row["order_panel"], []).append(_refill(row))
        return by_panel

    async def update_refill(self, refill_id: int, status: str) -> None:
        now = utc_now()
        await self._db.execute(
            "UPDATE refills SET status = ?, updated_at = ?, checked_at = ? WHERE id = ?",
            (status, now, now, refill_id),
        )
