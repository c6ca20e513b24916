"""Several supplier panels behind one shop: the registry, by name, the main panel first.

Each :class:`Panel` has its own client (its own timeouts and concurrency limit) and its own
currency. Every call goes through a small recorder that keeps the panel's last failure, for
``/panels``; the clients themselves stay as they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from bot.upstream.errors import UpstreamError
from bot.upstream.types import (
    ItemError,
    NewOrder,
    OrderStatus,
    PanelAPI,
    PanelBalance,
    PanelService,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class PanelHealth:
    """What the shop last saw of a panel: its last failure and when, its last success."""

    last_error: str | None = None
    last_error_at: datetime | None = None
    last_ok_at: datetime | None = None


def _stamp() -> datetime:
    return datetime.now(UTC)


class RecordingPanel:
    """A :class:`PanelAPI` that passes every call on and notes how it went."""

    def __init__(self, api: PanelAPI, health: PanelHealth) -> None:
        self._api = api
        self._health = health

    @property
    def inner(self) -> PanelAPI:
        return self._api

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            result = await call()
        except UpstreamError as error:
            self._health.last_error = error.detail
            self._health.last_error_at = _stamp()
            raise
        self._health.last_ok_at = _stamp()
        return result

    async def services(self) -> list[PanelService]:
        return await self._call(self._api.services)

    async def add(self, order: NewOrder) -> int:
        return await self._call(lambda: self._api.add(order))

    async def status(self, order_id: int) -> OrderStatus:
        return await self._call(lambda: self._api.status(order_id))

    async def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus | ItemError]:
        return await self._call(lambda: self._api.statuses(order_ids))

    async def refill(self, order_id: int) -> int:
        return await self._call(lambda: self._api.refill(order_id))

    async def refills(self, order_ids: list[int]) -> dict[int, int | ItemError]:
        return await self._call(lambda: self._api.refills(order_ids))

    async def refill_status(self, refill_id: int) -> str:
        return await self._call(lambda: self._api.refill_status(refill_id))

    async def refill_statuses(self, refill_ids: list[int]) -> dict[int, str | ItemError]:
        return await self._call(lambda: self._api.refill_statuses(refill_ids))

    async def cancel(self, order_ids: list[int]) -> dict[int, ItemError | None]:
        return await self._call(lambda: self._api.cancel(order_ids))

    async def balance(self) -> PanelBalance:
        return await self._call(self._api.balance)

    async def aclose(self) -> None:
        await self._api.aclose()


@dataclass(slots=True)
class Panel:
    """One supplier: its name (as orders record it), its client and its currency."""

    name: str
    api: PanelAPI
    # As the panel's balance names it, upper case; "" until known (or when it names none).
    currency: str = ""
    health: PanelHealth = field(default_factory=PanelHealth)


class Panels:
    """The shop's panels by name, the main one first.

    Currency rule: rates are compared and priced only in the shop currency. The main panel's
    rates are taken to be in it (SHOP_CURRENCY defaults to the main panel's currency, as for a
    shop with one panel); another panel whose balance names a different currency is left out
    of the catalog and of routing, with a warning, until its currency matches.
    """

    def __init__(self, panels: Sequence[Panel]) -> None:
        if not panels:
            raise ValueError("at least one panel")
        names = [panel.name for panel in panels]
        if len(names) != len(set(names)):
            raise ValueError("panel names must be unique")
        self._panels = {
            panel.name: Panel(
                panel.name,
                panel.api
                if isinstance(panel.api, RecordingPanel)
                else RecordingPanel(panel.api, panel.health),
                panel.currency,
                panel.health,
            )
            for panel in panels
        }
        self.main = next(iter(self._panels.values()))
        self.shop_currency = ""

    @classmethod
    def single(cls, name: str, api: PanelAPI) -> Panels:
        return cls([Panel(name, api)])

    def __iter__(self) -> Iterator[Panel]:
        return iter(self._panels.values())

    def __len__(self) -> int:
        return len(self._panels)

    @property
    def several(self) -> bool:
        return len(self._panels) > 1

    @property
    def names(self) -> list[str]:
        return list(self._panels)

    def get(self, name: str | None) -> Panel | None:
        """The panel of that name; None or "" is the main panel (orders from before panels)."""
        if not name:
            return self.main
        return self._panels.get(name)

    def use_currency(self, currency: str) -> None:
        self.shop_currency = currency.upper()

    def accepts(self, panel: Panel) -> bool:
        """Whether the panel's rates can be priced in the shop currency (see the class doc)."""
        if panel is self.main or not panel.currency or not self.shop_currency:
            return True
        return panel.currency == self.shop_currency

    def usable(self) -> list[Panel]:
        """The panels whose catalog and routing the shop uses, main first."""
        return [panel for panel in self if self.accepts(panel)]

    async def detect_currencies(self) -> None:
        """Read every panel's currency (its balance), side by side; failures are logged."""

        async def detect(panel: Panel) -> None:
            try:
                balance = await panel.api.balance()
            except UpstreamError as error:
                logger.warning("Could not read the currency of panel %s: %r", panel.name, error)
                return
            self.note_balance(panel, balance)

        await asyncio.gather(*(detect(panel) for panel in self))

    def note_balance(self, panel: Panel, balance: PanelBalance) -> None:
        """Remember the currency a balance answer names; warn when it leaves the panel out."""
        currency = (balance.currency or "").upper()
        if not currency or currency == panel.currency:
            return
        panel.currency = currency
        if not self.accepts(panel):
            logger.warning(
                "Panel %s works in %s, not the shop currency %s: it is left out of the"
                " catalog and of routing",
                panel.name,
                currency,
                self.shop_currency,
            )

    async def aclose(self) -> None:
        for panel in self:
            try:
                await panel.api.aclose()
            except Exception:  # one client failing to close must not keep the others open
                logger.exception("Could not close the client of panel %s", panel.name)


MAIN_PANEL = "main"


def as_panels(panel: PanelAPI | Panels) -> Panels:
    """The registry itself, or one client as a shop of one panel named ``main``."""
    return panel if isinstance(panel, Panels) else Panels.single(MAIN_PANEL, panel)
