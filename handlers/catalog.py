"""Browsing: categories → services → a service card."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.services.catalog import Pricing
from bot.telegram import keyboards, render
from bot.telegram.callbacks import (
    CategoriesPage,
    CategoryCallback,
    MenuAction,
    MenuCallback,
    ServiceCallback,
)
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.repository import Repository

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


async def _categories_screen(
    repo: Repository, i18n: Translator, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    total = await repo.catalog.count_categories()
    pages = keyboards.page_count(total, keyboards.PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    items = await repo.catalog.categories(
        offset=page * keyboards.PAGE_SIZE, limit=keyboards.PAGE_SIZE
    )
    text = i18n("catalog-categories") if items else i18n("catalog-empty")
    return text, keyboards.categories(i18n, items, page, pages)


@router.message(Command("order"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.NEW_ORDER))
async def new_order(
    event: Message | CallbackQuery, state: FSMContext, repo: Repository, i18n: Translator
) -> None:
    await state.clear()
    text, markup = await _categories_screen(repo, i18n, 0)
    await show(event, text, markup)


@router.callback_query(CategoriesPage.filter())
async def categories_page(
    callback: CallbackQuery,
    callback_data: CategoriesPage,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
) -> None:
    await state.clear()
    text, markup = await _categories_screen(repo, i18n, callback_data.page)
    await show(callback, text, markup)


@router.callback_query(CategoryCallback.filter())
async def category(
    callback: CallbackQuery,
    callback_data: CategoryCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    pricing: Pricing,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    found = await repo.catalog.category(callback_data.category_id)
    if found is None or found.service_count == 0:
        callback_answer.text = i18n("catalog-category-gone")
        callback_answer.show_alert = True
        text, markup = await _categories_screen(repo, i18n, 0)
        await show(callback, text, markup)
        return
    pages = keyboards.page_count(found.service_count, keyboards.PAGE_SIZE)
    page = min(max(callback_data.page, 0), pages - 1)
    items = await repo.catalog.services(
        found.id, offset=page * keyboards.PAGE_SIZE, limit=keyboards.PAGE_SIZE
    )
    await show(
        callback,
        i18n("catalog-services", category=found.name),
        keyboards.services(i18n, found.id, items, pricing, page, pages),
    )


@router.callback_query(ServiceCallback.filter())
async def service_card(
    callback: CallbackQuery,
    callback_data: ServiceCallback,
    repo: Repository,
    i18n: Translator,
    pricing: Pricing,
    callback_answer: CallbackAnswer,
) -> None:
    service = await repo.catalog.service(callback_data.service_id)
    if service is None or not service.offered:
        callback_answer.text = i18n("service-unavailable")
        callback_answer.show_alert = True
        return
    await show(
        callback,
        render.service_card(i18n, service, pricing),
        keyboards.service_card(i18n, service),
    )
