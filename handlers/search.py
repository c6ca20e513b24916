"""Search: /search <words>, 🔎 on the catalog, inline mode (@bot words), /start svc_<id>."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InlineQueryResultUnion,
    InputTextMessageContent,
    Message,
)

from bot.core.ids import parse_id
from bot.services.catalog import Pricing
from bot.services.search import INLINE_LIMIT, CatalogSearch
from bot.telegram import keyboards, render
from bot.telegram.callbacks import MenuAction, MenuCallback, SearchPage
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.repository import Repository

router = RouterTemplate(__name__)
logger = logging.getLogger(__name__)
SERVICE_PREFIX = "svc_"
# Results change only when the catalog does; short enough that a price change shows soon.
INLINE_CACHE_SECONDS = 30


def create_router() -> Router:
    return router.create()


class SearchFlow(StatesGroup):
    words = State()


async def _results(
    event: Message | CallbackQuery,
    text: str,
    page: int,
    i18n: Translator,
    catalog_search: CatalogSearch,
    pricing: Pricing,
) -> None:
    found = await catalog_search.page(text, page)
    if not found.query:
        await show(event, i18n("search-ask"), keyboards.flow_cancel(i18n))
        return
    if not found.items:
        await show(
            event,
            i18n("search-nothing", query=found.query),
            keyboards.search_results(i18n, found.query, [], pricing, 0, 1),
        )
        return
    await show(
        event,
        i18n("search-found", query=found.query, count=found.total),
        keyboards.search_results(i18n, found.query, found.items, pricing, found.page, found.pages),
    )


@router.message(Command("search"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.SEARCH))
async def search_screen(
    event: Message | CallbackQuery,
    state: FSMContext,
    i18n: Translator,
    catalog_search: CatalogSearch,
    pricing: Pricing,
    command: CommandObject | None = None,
) -> None:
    """Ask for words; ``/search words`` shows the results at once."""
    await state.clear()
    words = (command.args or "").strip() if command is not None else ""
    if words:
        await _results(event, words, 0, i18n, catalog_search, pricing)
        return
    await state.set_state(SearchFlow.words)
    await show(event, i18n("search-ask"), keyboards.flow_cancel(i18n))


@router.message(SearchFlow.words, F.text, ~F.text.startswith("/"))
async def search_words(
    message: Message,
    state: FSMContext,
    i18n: Translator,
    catalog_search: CatalogSearch,
    pricing: Pricing,
) -> None:
    await state.clear()
    await _results(message, message.text or "", 0, i18n, catalog_search, pricing)


@router.message(SearchFlow.words, ~F.text)
async def search_not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("search-ask"), reply_markup=keyboards.flow_cancel(i18n))


@router.callback_query(SearchPage.filter())
async def search_page(
    callback: CallbackQuery,
    callback_data: SearchPage,
    i18n: Translator,
    catalog_search: CatalogSearch,
    pricing: Pricing,
) -> None:
    await _results(callback, callback_data.query, callback_data.page, i18n, catalog_search, pricing)


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(SERVICE_PREFIX)))
async def start_at_service(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    pricing: Pricing,
) -> None:
    """A link from an inline result: the service's card, or why it cannot be shown."""
    await state.clear()
    raw = (command.args or "").removeprefix(SERVICE_PREFIX)
    service_id = parse_id(raw)
    service = await repo.catalog.service(service_id) if service_id is not None else None
    if service is None or not service.offered:
        await message.answer(i18n("search-service-gone"), reply_markup=keyboards.main_menu(i18n))
        return
    await message.answer(
        render.service_card(i18n, service, pricing),
        reply_markup=keyboards.service_card(i18n, service),
    )


@router.inline_query()
async def inline_search(
    query: InlineQuery,
    bot: Bot,
    i18n: Translator,
    catalog_search: CatalogSearch,
    pricing: Pricing,
) -> None:
    """``@bot words`` in any chat: matching services (the first ones for no words), each
    with a button that opens the bot at that service."""
    me = await bot.me()  # aiogram keeps the answer
    services = await catalog_search.find(query.query[:256], limit=INLINE_LIMIT)
    results: list[InlineQueryResultUnion] = []
    for service in services:
        price = render.plain(i18n, "inline-price", price=i18n.money(pricing.unit_price(service)))
        url = f"https://t.me/{me.username}?start={SERVICE_PREFIX}{service.id}"
        results.append(
            InlineQueryResultArticle(
                id=str(service.id),
                title=service.name[:256],
                description=price,
                input_message_content=InputTextMessageContent(
                    message_text=i18n(
                        "inline-message",
                        name=service.name,
                        category=service.category,
                        price=i18n.money(pricing.unit_price(service)),
                        id=str(service.id),
                    )
                ),
                reply_markup=keyboards.open_in_bot(i18n, url),
            )
        )
    button = (
        None
        if results
        else InlineQueryResultsButton(
            text=render.plain(i18n, "inline-nothing"), start_parameter="inline"
        )
    )
    try:
        await query.answer(
            results,
            cache_time=INLINE_CACHE_SECONDS,
            # Prices are the same for everyone, but texts are in the asker's language.
            is_personal=True,
            button=button,
        )
    except TelegramBadRequest as error:
        # The asker typed on (or gave up) before the answer arrived: Telegram calls the query
        # too old. Nobody is waiting for it any more; nothing else to do.
        logger.info("Inline query %s not answered: %s", query.id, error.message)
