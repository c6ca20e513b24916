"""Watches the reseller's balance on the panel and tells admins once per low crossing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.core.money import Money
from bot.upstream import PanelAPI
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


class PanelBalanceWatch:
    def __init__(
        self,
        repo: Repository,
        panel: PanelAPI,
        alert_admins: Callable[[LowPanelBalance], Awaitable[object]],
        threshold: Decimal | None,
    ) -> None:
        self._repo = repo
        self._panel = panel
        self._alert_admins = alert_admins
        self.threshold = threshold
        # Checks that overlap (the periodic one and any other caller) would both read "not
        # alerted yet" before either stores the mark, and both alert for one crossing.
        self._lock = asyncio.Lock()

    async def check(self) -> bool | None:
        """Read the panel balance; alert admins when it first falls under the threshold.

        Returns True when an alert was sent, False when not, None when there is nothing to
        watch. The "already alerted" mark is stored, so a restart does not alert again, and is
        cleared when the balance recovers, so the next crossing alerts once more.
        """
        if self.threshold is None:
            return None
        async with self._lock:
            return await self._check(self.threshold)

    async def _check(self, threshold: Decimal) -> bool:
        balance = await self._panel.balance()
        alerted = await self._repo.settings.get(ALERTED_KEY) == "1"
        if balance.amount >= threshold:
            if alerted:
                await self._repo.settings.set(ALERTED_KEY, None)
                logger.info("Panel balance recovered to %s", balance.amount)
            return False
        if alerted:
            return False
        await self._repo.settings.set(ALERTED_KEY, "1")
        logger.warning("Panel balance %s is under the alert threshold", balance.amount)
        await self._alert_admins(
            LowPanelBalance(
                balance=Money.from_decimal(balance.amount),
                threshold=Money.from_decimal(threshold),
                currency=balance.currency or "USD",
            )
        )
        return True
