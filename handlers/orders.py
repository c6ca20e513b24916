"""My orders: the list, an order card, and Refresh / Refill / Cancel on it."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.services.tracking.tracker import ActionRefusedError, OrderTracker, is_final
from bot.telegram import keyboards, render
from bot.telegram.callbacks import MenuAction, MenuCallback, OrderAction, OrderCallback, OrdersPage
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from bot.upstream import UpstreamError
from bot.upstream.types import STATUS_COMPLETED
from handlers.common import own_order, show
from storage.orders import Order
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)
logger = logging.getLogger(__name__)


def create_router() -> Router:
    return router.create()


@router.message(Command("orders"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.ORDERS))
@router.callback_query(OrdersPage.filter())
async def orders_list(
    event: Message | CallbackQuery,
    repo: Repository,
    i18n: Translator,
    user: User,
    callback_data: MenuCallback | OrdersPage | None = None,
) -> None:
    total = await repo.orders.count_for_user(user.id)
    pages = keyboards.page_count(total, keyboards.ORDERS_PAGE_SIZE)
    asked = callback_data.page if isinstance(callback_data, OrdersPage) else 0
    page = min(max(asked, 0), pages - 1)
    items = await repo.orders.for_user(
        user.id, offset=page * keyboards.ORDERS_PAGE_SIZE, limit=keyboards.ORDERS_PAGE_SIZE
    )
    text = i18n("orders-title", count=total) if items else i18n("orders-empty")
    await show(event, text, keyboards.orders_list(i18n, items, page, pages))


async def _show_order(callback: CallbackQuery, i18n: Translator, order: Order, page: int) -> None:
    await show(callback, render.order_card(i18n, order), keyboards.order_card(i18n, order, page))


@router.callback_query(OrderCallback.filter(F.action == OrderAction.VIEW))
async def order_card(
    callback: CallbackQuery,
    callback_data: OrderCallback,
    repo: Repository,
    i18n: Translator,
    user: User,
    callback_answer: CallbackAnswer,
) -> None:
    order = await own_order(repo, callback_data.order_id, user.id, i18n, callback_answer)
    if order is not None:
        await _show_order(callback, i18n, order, callback_data.page)


@router.callback_query(OrderCallback.filter(F.action == OrderAction.REFRESH))
async def refresh_order(
    callback: CallbackQuery,
    callback_data: OrderCallback,
    repo: Repository,
    i18n: Translator,
    user: User,
    tracker: OrderTracker,
    callback_answer: CallbackAnswer,
) -> None:
    order = await own_order(repo, callback_data.order_id, user.id, i18n, callback_answer)
    if order is None:
        return
    try:
        order, _ = await tracker.refresh(order)
        callback_answer.text = i18n("order-refreshed")
    except UpstreamError as error:
        logger.warning("Refresh of order %s failed: %r", order.id, error)
        callback_answer.text = i18n("panel-busy")
        callback_answer.show_alert = True
    await _show_order(callback, i18n, order, callback_data.page)


@router.callback_query(OrderCallback.filter(F.action == OrderAction.REFILL))
async def refill_order(
    callback: CallbackQuery,
    callback_data: OrderCallback,
    repo: Repository,
    i18n: Translator,
    user: User,
    tracker: OrderTracker,
    callback_answer: CallbackAnswer,
) -> None:
    order = await own_order(repo, callback_data.order_id, user.id, i18n, callback_answer)
    if order is None:
        return
    callback_answer.show_alert = True
    if not (order.refill_allowed and order.status == STATUS_COMPLETED):
        callback_answer.text = i18n("order-refill-not-available")
        return
    try:
        await tracker.request_refill(order)
        callback_answer.text = i18n("order-refill-requested")
    except ActionRefusedError as error:
        callback_answer.text = i18n.error(error, plain=True)
    except UpstreamError as error:
        logger.warning("Refill of order %s failed: %r", order.id, error)
        callback_answer.text = i18n("panel-busy")


@router.callback_query(OrderCallback.filter(F.action == OrderAction.CANCEL))
async def cancel_order(
    callback: CallbackQuery,
    callback_data: OrderCallback,
    repo: Repository,
    i18n: Translator,
    user: User,
    tracker: OrderTracker,
    callback_answer: CallbackAnswer,
) -> None:
    order = await own_order(repo, callback_data.order_id, user.id, i18n, callback_answer)
    if order is None:
        return
    callback_answer.show_alert = True
    if not order.cancel_allowed or order.upstream_id is None or is_final(order.status):
        callback_answer.text = i18n("order-cancel-not-available")
        return
    try:
        await tracker.request_cancel(order)
        callback_answer.text = i18n("order-cancel-requested")
    except ActionRefusedError as error:
        callback_answer.text = i18n.error(error, plain=True)
    except UpstreamError as error:
        logger.warning("Cancel of order %s failed: %r", order.id, error)
        callback_answer.text = i18n("panel-busy")
    refreshed = await repo.orders.get(order.id)
    await _show_order(callback, i18n, refreshed or order, callback_data.page)
