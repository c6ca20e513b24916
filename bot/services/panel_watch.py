"""Watches the reseller's balance on the panel and tells admins once per low crossing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.core.money import Money
from bot.upstream import PanelAPI, UpstreamError
from bot.upstream.panels import Panel, Panels, as_panels
from storage.repository import Repository

logger = logging.getLogger(__name__)

ALERTED_KEY = "panel_balance_alerted"
CHECK_SECONDS = 300


@dataclass(frozen=True, slots=True)
class LowPanelBalance:
    """What admins are told when the panel balance falls under the threshold."""

    balance: Money
    threshold: Money
    currency: str
    # The panel, when the shop has several ("" with one: the message needs no name).
    panel: str = ""


class PanelBalanceWatch:
    def __init__(
        self,
        repo: Repository,
        panel: PanelAPI | Panels,
        alert_admins: Callable[[LowPanelBalance], Awaitable[object]],
        threshold: Decimal | None,
    ) -> None:
        self._repo = repo
        self._panels = as_panels(panel)
        self._alert_admins = alert_admins
        self.threshold = threshold
        # Checks that overlap (the periodic one and any other caller) would both read "not
        # alerted yet" before either stores the mark, and both alert for one crossing.
        self._lock = asyncio.Lock()

    async def check(self) -> bool | None:
        """Read every panel's balance; alert admins when one first falls under the threshold
        (in that panel's currency).

        Returns True when an alert was sent, False when not, None when there is nothing to
        watch. The "already alerted" mark is stored per panel, so a restart does not alert
        again, and is cleared when the balance recovers, so the next crossing alerts once
        more. A panel that cannot be read does not stop the others; its error is raised
        after they were checked.
        """
        if self.threshold is None:
            return None
        async with self._lock:
            alerted = False
            failure: UpstreamError | None = None
            for panel in self._panels:
                try:
                    alerted |= await self._check(panel, self.threshold)
                except UpstreamError as error:
                    failure = failure or error
            if failure is not None and not alerted:
                raise failure
            return alerted

    def _key(self, panel: Panel) -> str:
        # The main panel keeps the mark it had before there were several panels.
        return ALERTED_KEY if panel is self._panels.main else f"{ALERTED_KEY}:{panel.name}"

    async def _check(self, panel: Panel, threshold: Decimal) -> bool:
        balance = await panel.api.balance()
        self._panels.note_balance(panel, balance)
        key = self._key(panel)
        alerted = await self._repo.settings.get(key) == "1"
        if balance.amount >= threshold:
            if alerted:
                await self._repo.settings.set(key, None)
                logger.info("Panel %s balance recovered to %s", panel.name, balance.amount)
            return False
        if alerted:
            return False
        await self._repo.settings.set(key, "1")
        logger.warning(
            "Panel %s balance %s is under the alert threshold", panel.name, balance.amount
        )
        await self._alert_admins(
            LowPanelBalance(
                balance=Money.from_decimal(balance.amount),
                threshold=Money.from_decimal(threshold),
                currency=balance.currency or "USD",
                panel=panel.name if self._panels.several else "",
            )
        )
        return True
