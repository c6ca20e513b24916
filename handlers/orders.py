"""My orders: the list, an order card, and Refresh / Refill / Cancel on it."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.services.tracking.tracker import ActionRefusedError, OrderTracker, is_final
from bot.telegram import keyboards, render
from bot.telegram.callbacks import MenuAction, MenuCallback, OrderAction, OrderCallback, OrdersPage
from bot.telegram.i18n import Translator
from bot.upstream import UpstreamError
from bot.upstream.types import STATUS_COMPLETED
from handlers.common import show
from storage.orders import Order
from storage.repository import Repository
from storage.users import User

router = Router(name=__name__)
logger = logging.getLogger(__name__)


async def _orders_screen(
    repo: Repository, i18n: Translator, user: User, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    total = await repo.orders.count_for_user(user.id)
    pages = keyboards.page_count(total, keyboards.ORDERS_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    items = await repo.orders.for_user(
        user.id, offset=page * keyboards.ORDERS_PAGE_SIZE, limit=keyboards.ORDERS_PAGE_SIZE
    )
    text = i18n("orders-title", count=total) if items else i18n("orders-empty")
    return text, keyboards.orders_list(i18n, items, page, pages)


@router.message(Command("orders"))
async def orders_command(message: Message, repo: Repository, i18n: Translator, user: User) -> None:
    text, markup = await _orders_screen(repo, i18n, user, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(MenuCallback.filter(F.action == MenuAction.ORDERS))
async def orders_menu(
    callback: CallbackQuery, repo: Repository, i18n: Translator, user: User
) -> None:
    text, markup = await _orders_screen(repo, i18n, user, 0)
    await show(callback, text, markup)


@router.callback_query(OrdersPage.filter())
async def orders_page(
    callback: CallbackQuery,
    callback_data: OrdersPage,
    repo: Repository,
    i18n: Translator,
    user: User,
) -> None:
    text, markup = await _orders_screen(repo, i18n, user, callback_data.page)
    await show(callback, text, markup)


async def _show_order(
    callback: CallbackQuery, i18n: Translator, order: Order, page: int, currency: str
) -> None:
    await show(
        callback, render.order_card(i18n, order, currency), keyboards.order_card(i18n, order, page)
    )


@router.callback_query(OrderCallback.filter())
async def order_action(
    callback: CallbackQuery,
    callback_data: OrderCallback,
    repo: Repository,
    i18n: Translator,
    user: User,
    tracker: OrderTracker,
    currency: str,
    callback_answer: CallbackAnswer,
) -> None:
    order = await repo.orders.get(callback_data.order_id)
    if order is None or order.user_id != user.id:
        # Someone else's order (or a forged button) looks exactly like a missing one.
        callback_answer.text = i18n("order-not-found")
        callback_answer.show_alert = True
        return
    page = callback_data.page
    action = callback_data.action
    if action == OrderAction.VIEW:
        await _show_order(callback, i18n, order, page, currency)
        return

    if action == OrderAction.REFRESH:
        try:
            order, _ = await tracker.refresh(order)
            callback_answer.text = i18n("order-refreshed")
        except UpstreamError as error:
            logger.warning("Refresh of order %s failed: %r", order.id, error)
            callback_answer.text = i18n("panel-busy")
            callback_answer.show_alert = True
        await _show_order(callback, i18n, order, page, currency)
        return

    if action == OrderAction.REFILL:
        if not (order.refill_allowed and order.status == STATUS_COMPLETED):
            callback_answer.text = i18n("order-refill-not-available")
            callback_answer.show_alert = True
            return
        try:
            await tracker.request_refill(order)
            callback_answer.text = i18n("order-refill-requested")
        except ActionRefusedError as error:
            callback_answer.text = render.plain(i18n, "order-refill-refused", reason=error.detail)
        except UpstreamError as error:
            logger.warning("Refill of order %s failed: %r", order.id, error)
            callback_answer.text = i18n("panel-busy")
        callback_answer.show_alert = True
        return

    if action == OrderAction.CANCEL:
        if not order.cancel_allowed or order.upstream_id is None or is_final(order.status):
            callback_answer.text = i18n("order-cancel-not-available")
            callback_answer.show_alert = True
            return
        try:
            await tracker.request_cancel(order)
            callback_answer.text = i18n("order-cancel-requested")
        except ActionRefusedError as error:
            callback_answer.text = render.plain(i18n, "order-cancel-refused", reason=error.detail)
        except UpstreamError as error:
            logger.warning("Cancel of order %s failed: %r", order.id, error)
            callback_answer.text = i18n("panel-busy")
        callback_answer.show_alert = True
        refreshed = await repo.orders.get(order.id)
        await _show_order(callback, i18n, refreshed or order, page, currency)
