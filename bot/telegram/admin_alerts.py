"""What services raise for admins, written in each admin's language and sent to all of them."""

from __future__ import annotations

from bot.services.ordering import PlacementAlert
from bot.services.panel_watch import LowPanelBalance
from bot.telegram.messenger import Messenger


class AdminAlerts:
    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger

    async def placement(self, alert: PlacementAlert) -> None:
        order = alert.order
        await self._messenger.send_admins(
            lambda t: t(
                f"admin-alert-{alert.kind.replace('_', '-')}",
                order_id=order.id,
                user_id=order.user_id,
                service=order.service_name,
                service_id=order.service_id,
                link=order.link,
                quantity=order.quantity or 1,
                price=t.money(order.price),
                detail=alert.detail,
            )
        )

    async def low_panel_balance(self, alert: LowPanelBalance) -> None:
        await self._messenger.send_admins(
            lambda t: t(
                "admin-alert-panel-balance",
                balance=t.money(alert.balance, alert.currency),
                threshold=t.money(alert.threshold, alert.currency),
            )
        )
