"""The balance screen: what the user has, their last movements, how to top up, history."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.services.payments import Rails
from bot.telegram import keyboards, render
from bot.telegram.callbacks import LedgerPage, MenuAction, MenuCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)
RECENT_ENTRIES = 5
HISTORY_PAGE_SIZE = 10


def create_router() -> Router:
    return router.create()


@router.message(Command("balance"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.BALANCE))
async def balance_screen(
    event: Message | CallbackQuery, repo: Repository, i18n: Translator, user: User, rails: Rails
) -> None:
    balance = await repo.ledger.balance(user.id)
    entries = await repo.ledger.recent(user.id, limit=RECENT_ENTRIES)
    parts = [i18n("balance-title", balance=i18n.money(balance))]
    if entries:
        lines = "\n".join(render.ledger_line(i18n, entry) for entry in entries)
        parts.append(i18n("balance-recent") + "\n" + lines)
    several = len(rails.names) > 1
    how_to = "balance-how-to-top-up-rails" if several else "balance-how-to-top-up"
    parts.append(i18n(how_to, user_id=user.id))
    await show(event, "\n\n".join(parts), keyboards.balance_screen(i18n, several_rails=several))


@router.callback_query(LedgerPage.filter())
async def history(
    callback: CallbackQuery,
    callback_data: LedgerPage,
    repo: Repository,
    i18n: Translator,
    user: User,
) -> None:
    # Pages are always the presser's own ledger: the button carries only a page number.
    total = await repo.ledger.count(user.id)
    pages = keyboards.page_count(total, HISTORY_PAGE_SIZE)
    page = min(max(callback_data.page, 0), pages - 1)
    entries = await repo.ledger.recent(
        user.id, limit=HISTORY_PAGE_SIZE, offset=page * HISTORY_PAGE_SIZE
    )
    if entries:
        lines = "\n".join(render.ledger_line(i18n, entry) for entry in entries)
        text = i18n("history-title", count=total) + "\n\n" + lines
    else:
        text = i18n("history-empty")
    await show(callback, text, keyboards.ledger_pages(i18n, page, pages))
