"""What services raise for admins, written in each admin's language and sent to all of them."""

from __future__ import annotations

from bot.services.ordering import PlacementAlert
from bot.services.panel_watch import LowPanelBalance
from bot.telegram.i18n import Translator
from bot.telegram.messenger import Messenger


def with_panel(t: Translator, text: str, panel: str) -> str:
    """A shop with several panels says which one; a shop with one says what it always did."""
    return f"{text}\n{t('admin-alert-panel', panel=panel)}" if panel else text


class AdminAlerts:
    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger

    async def placement(self, alert: PlacementAlert) -> None:
        order = alert.order
        await self._messenger.send_admins(
            lambda t: with_panel(
                t,
                t(
                    f"admin-alert-{alert.kind.replace('_', '-')}",
                    order_id=order.id,
                    user_id=order.user_id,
                    service=order.service_name,
                    service_id=order.service_id,
                    link=order.link,
                    quantity=order.quantity or 1,
                    price=t.money(order.price),
                    detail=alert.detail,
                    panel=alert.panel,
                ),
                alert.panel,
            )
        )

    async def low_panel_balance(self, alert: LowPanelBalance) -> None:
        await self._messenger.send_admins(
            lambda t: with_panel(
                t,
                t(
                    "admin-alert-panel-balance",
                    balance=t.money(alert.balance, alert.currency),
                    threshold=t.money(alert.threshold, alert.currency),
                ),
                alert.panel,
            )
        )
