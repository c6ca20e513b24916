"""/stats for admins: users, orders, revenue, cost, profit, the panel's balance."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.services.stats import collect
from bot.telegram import keyboards, render
from bot.telegram.callbacks import AdminAction, AdminCallback
from bot.telegram.filters import IsAdmin
from bot.telegram.i18n import Translator
from bot.upstream import PanelAPI
from handlers.common import show
from storage.repository import Repository

router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())


@router.message(Command("stats"))
async def stats_command(
    message: Message, repo: Repository, panel: PanelAPI, i18n: Translator, currency: str
) -> None:
    stats = await collect(repo, panel)
    await message.answer(
        render.stats(i18n, stats, currency), reply_markup=keyboards.admin_back(i18n)
    )


@router.callback_query(AdminCallback.filter(F.action == AdminAction.STATS))
async def stats_button(
    callback: CallbackQuery, repo: Repository, panel: PanelAPI, i18n: Translator, currency: str
) -> None:
    stats = await collect(repo, panel)
    await show(callback, render.stats(i18n, stats, currency), keyboards.admin_back(i18n))
