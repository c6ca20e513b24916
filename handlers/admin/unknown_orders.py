"""Orders whose placement is unknown: /unknown lists them, /settle decides each one."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core.errors import StorefrontError
from bot.core.ids import MAX_PANEL_ID, parse_id
from bot.services.ordering import OrderingService
from bot.telegram import keyboards
from bot.telegram.admin_alerts import with_panel
from bot.telegram.callbacks import AdminAction, AdminCallback
from bot.telegram.i18n import Translator
from bot.telegram.outbox_sender import OutboxSender
from bot.telegram.routing import RouterTemplate
from bot.upstream.panels import Panels
from handlers.common import show
from storage.orders import UNKNOWN
from storage.repository import Repository

router = RouterTemplate(__name__)
MAX_UNKNOWN_LISTED = 20


def create_router() -> Router:
    return router.create()


@router.message(Command("unknown"))
@router.callback_query(AdminCallback.filter(F.action == AdminAction.UNKNOWN))
async def unknown_orders(
    event: Message | CallbackQuery, repo: Repository, panels: Panels, i18n: Translator
) -> None:
    orders = await repo.orders.with_status(UNKNOWN, limit=MAX_UNKNOWN_LISTED)
    if not orders:
        await show(event, i18n("admin-unknown-none"), keyboards.admin_back(i18n))
        return

    def on_panel(text: str, panel: str) -> str:
        # With several panels each order says which one to check.
        if not panels.several:
            return text
        named = panels.get(panel)
        return with_panel(i18n, text, named.name if named else panel)

    lines = [
        on_panel(
            i18n(
                "admin-unknown-line",
                order_id=order.id,
                user_id=order.user_id,
                service_id=order.service_id,
                service=order.service_name,
                link=order.link,
                quantity=order.quantity or 1,
                price=i18n.money(order.price),
                created=order.created_at,
                detail=order.error or "-",
            ),
            order.panel,
        )
        for order in orders
    ]
    text = i18n("admin-unknown-title", count=len(orders)) + "\n\n" + "\n\n".join(lines)
    await show(event, text, keyboards.admin_back(i18n))


@router.message(Command("settle"))
async def settle(
    message: Message,
    command: CommandObject,
    ordering: OrderingService,
    i18n: Translator,
    outbox: OutboxSender,
    panels: Panels,
) -> None:
    parts = (command.args or "").split()
    order_id = parse_id(parts[0]) if len(parts) == 2 else None
    if order_id is None:
        await message.answer(i18n("admin-settle-usage"))
        return
    outcome = parts[1].lower()
    # "<panel>:<panel id>": the order is on another panel than the one it was sent to.
    panel_name, colon, panel_order = outcome.rpartition(":")
    panel: str | None = None
    if colon:
        if panels.get(panel_name) is None or not panel_name:
            await message.answer(
                i18n("admin-panel-unknown", panel=panel_name, panels=", ".join(panels.names))
            )
            return
        panel, outcome = panel_name, panel_order
    # Panel ids are positive: a 0 would be "tracked" with a panel that never knows it.
    upstream_id = parse_id(outcome, maximum=MAX_PANEL_ID)
    try:
        if outcome == "failed" and panel is None:
            order = await ordering.settle_failed(order_id)
            text = i18n(
                "admin-settled-failed",
                order_id=order.id,
                amount=i18n.money(order.price),
            )
        elif upstream_id is not None:
            order = await ordering.settle_placed(order_id, upstream_id, panel)
            text = i18n("admin-settled-placed", order_id=order.id, upstream_id=str(upstream_id))
        else:
            await message.answer(i18n("admin-settle-usage"))
            return
    except StorefrontError as error:
        await message.answer(i18n.error(error))
        return
    outbox.wake()
    await message.answer(text)
