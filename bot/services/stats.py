"""The owner's figures: users, orders, what customers paid, what the panel charged, profit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from bot.core.money import Money, panel_cost
from bot.services.catalog import is_package
from bot.services.ordering import order_reference
from bot.upstream import PanelAPI, PanelBalance, UpstreamError
from bot.upstream.panels import Panels, as_panels
from bot.upstream.types import FINAL_STATUSES, STATUS_CANCELED
from storage.database import format_time
from storage.orders import LOCAL_STATES
from storage.repository import Repository
from storage.stats import OrderCostRow, RailTotal

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Period:
    orders: int
    revenue: Money
    cost: Money
    # Paid top-ups by payment rail (Stars, Crypto Pay, manual…), ordered by rail.
    topups: tuple[RailTotal, ...] = ()

    @property
    def profit(self) -> Money:
        return self.revenue - self.cost


@dataclass(frozen=True, slots=True)
class Stats:
    users_total: int
    users_today: int
    users_week: int
    users_blocked: int
    users_banned: int
    orders_by_status: dict[str, int]
    active_orders: int
    today: Period
    week: Period
    all_time: Period
    panel_balance: PanelBalance | None
    # With several panels: each one's figures for the last 7 days and all time, main first.
    panels: list[PanelFigures] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PanelFigures:
    name: str
    balance: PanelBalance | None
    week: Period
    all_time: Period


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One UTC day: orders placed, what customers paid, what the panel charged."""

    day: date
    orders: int
    revenue: Money
    cost: Money

    @property
    def profit(self) -> Money:
        return self.revenue - self.cost


def _cost(row: OrderCostRow) -> Money:
    """What the panel charged: nothing for a canceled order, else its own figure when it gave
    one, else the expected price.

    A canceled order is refunded in full by the panel, yet panels may keep reporting the charge
    it was placed with; counting that figure made every canceled order a loss in /stats.
    """
    if row.status == STATUS_CANCELED:
        return Money.zero()
    if row.panel_charge is not None:
        return Money.from_decimal(row.panel_charge)
    return panel_cost(
        row.rate,
        row.quantity or 1,
        per_package=is_package(row.service_type),
        runs=row.runs or 1,
    )


async def _period(repo: Repository, since: str) -> Period:
    costs = await repo.stats.order_costs_since(since)
    cost = sum((_cost(row) for row in costs), Money.zero())
    return Period(
        orders=await repo.stats.orders_since(since),
        revenue=Money(await repo.stats.paid_since(since)),
        cost=cost,
        topups=tuple(await repo.stats.topups_since(since)),
    )


async def _by_panel(repo: Repository, since: str, names: list[str]) -> dict[str, Period]:
    """Orders placed since ``since``, per panel: what customers paid, what the panel charged."""
    paid = await repo.stats.paid_by_reference_since(since)
    orders: dict[str, int] = dict.fromkeys(names, 0)
    revenue: dict[str, Money] = dict.fromkeys(names, Money.zero())
    cost: dict[str, Money] = dict.fromkeys(names, Money.zero())
    main = names[0]
    for row in await repo.stats.order_costs_since(since):
        panel = row.panel or main  # orders from before several panels
        orders[panel] = orders.get(panel, 0) + 1
        revenue[panel] = revenue.get(panel, Money.zero()) + Money(
            paid.get(order_reference(row.order_id), 0)
        )
        cost[panel] = cost.get(panel, Money.zero()) + _cost(row)
    return {
        name: Period(orders=orders[name], revenue=revenue[name], cost=cost[name]) for name in orders
    }


async def _balance(panel: PanelAPI, name: str) -> PanelBalance | None:
    try:
        return await panel.balance()
    except UpstreamError as error:
        logger.warning("Balance of panel %s unavailable for /stats: %r", name, error)
        return None


async def collect(repo: Repository, panel: PanelAPI | Panels, now: datetime | None = None) -> Stats:
    panels = as_panels(panel)
    now = now or datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = now - timedelta(days=7)
    total, new_today, new_week, blocked, banned = await repo.stats.users(
        format_time(today), format_time(week)
    )
    by_status = await repo.orders.count_by_status()
    active = sum(
        count
        for status, count in by_status.items()
        if status not in LOCAL_STATES and status not in FINAL_STATUSES
    )
    try:
        balance: PanelBalance | None = await panels.main.api.balance()
    except UpstreamError as error:
        logger.warning("Panel balance unavailable for /stats: %r", error)
        balance = None
    per_panel: list[PanelFigures] = []
    if panels.several:
        names = panels.names
        week_by_panel = await _by_panel(repo, format_time(week), names)
        all_by_panel = await _by_panel(repo, "0000", names)
        for index, name in enumerate(all_by_panel):
            found = panels.get(name)
            per_panel.append(
                PanelFigures(
                    name=name,
                    balance=balance
                    if index == 0
                    else (None if found is None else await _balance(found.api, name)),
                    week=week_by_panel.get(name, Period(0, Money.zero(), Money.zero())),
                    all_time=all_by_panel[name],
                )
            )
    return Stats(
        users_total=total,
        users_today=new_today,
        users_week=new_week,
        users_blocked=blocked,
        users_banned=banned,
        orders_by_status=by_status,
        active_orders=active,
        today=await _period(repo, format_time(today)),
        week=await _period(repo, format_time(week)),
        all_time=await _period(repo, "0000"),
        panel_balance=balance,
        panels=per_panel,
    )


async def daily(repo: Repository, days: int, now: datetime | None = None) -> list[DayFigures]:
    """The last ``days`` UTC days, today last, every day present (zeros where nothing sold)."""
    today = (now or datetime.now(UTC)).date()
    first = today - timedelta(days=days - 1)
    since = f"{first.isoformat()} 00:00:00"
    paid = await repo.stats.daily_paid_since(since)
    orders: dict[str, int] = {}
    costs: dict[str, Money] = {}
    for row in await repo.stats.order_costs_since(since):
        orders[row.day] = orders.get(row.day, 0) + 1
        costs[row.day] = costs.get(row.day, Money.zero()) + _cost(row)
    figures = []
    for offset in range(days):
        key = (first + timedelta(days=offset)).isoformat()
        figures.append(
            DayFigures(
                day=first + timedelta(days=offset),
                orders=orders.get(key, 0),
                revenue=Money(paid.get(key, 0)),
                cost=costs.get(key, Money.zero()),
            )
        )
    return figures
