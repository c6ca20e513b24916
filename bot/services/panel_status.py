"""What /panels shows: each panel's balance and currency, reachability, active orders and
last error."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.upstream import PanelBalance, UpstreamError
from bot.upstream.panels import Panel, Panels
from storage.database import format_time
from storage.repository import Repository

# /panels answers even when a panel hangs: its client's own timeout could be half a minute.
BALANCE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class PanelStatus:
    name: str
    main: bool
    balance: PanelBalance | None  # None: not reachable now
    error: str | None  # why not reachable now, else the last failure seen
    error_at: str | None
    active_orders: int
    used: bool  # False: its currency is not the shop's, it is left out


async def _balance(panels: Panels, panel: Panel) -> tuple[PanelBalance | None, str | None]:
    try:
        balance = await asyncio.wait_for(panel.api.balance(), BALANCE_TIMEOUT_SECONDS)
    except UpstreamError as error:
        return None, error.detail
    except TimeoutError:
        return None, f"no answer in {BALANCE_TIMEOUT_SECONDS:.0f} s"
    panels.note_balance(panel, balance)
    return balance, None


async def panel_statuses(panels: Panels, repo: Repository) -> list[PanelStatus]:
    """Every panel, the main one first; balances are read side by side."""
    balances = await asyncio.gather(*(_balance(panels, panel) for panel in panels))
    active = await repo.orders.active_by_panel()
    statuses = []
    for panel, (balance, error) in zip(panels, balances, strict=True):
        count = active.get(panel.name, 0)
        if panel is panels.main:
            count += active.get("", 0)  # orders from before several panels
        statuses.append(
            PanelStatus(
                name=panel.name,
                main=panel is panels.main,
                balance=balance,
                error=error or panel.health.last_error,
                error_at=None
                if error or panel.health.last_error_at is None
                else format_time(panel.health.last_error_at),
                active_orders=count,
                used=panels.accepts(panel),
            )
        )
    return statuses
