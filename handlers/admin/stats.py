"""/stats for admins: users, orders, revenue, cost, profit, the panel's balance, and a chart
of orders and profit per day."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.services.stats import collect, daily
from bot.telegram import charts, keyboards, render
from bot.telegram.callbacks import AdminAction, AdminCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from bot.upstream.panels import Panels
from handlers.common import show
from storage.repository import Repository

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(Command("stats"))
@router.callback_query(AdminCallback.filter(F.action == AdminAction.STATS))
async def stats_screen(
    event: Message | CallbackQuery,
    repo: Repository,
    panels: Panels,
    i18n: Translator,
) -> None:
    stats = await collect(repo, panels)
    await show(event, render.stats(i18n, stats), keyboards.admin_back(i18n))
    if isinstance(event, Message):
        # The command also posts the chart; the admin menu's button edits its message in
        # place, where a photo after it would break the navigation.
        chart = await charts.daily_chart(i18n, await daily(repo, charts.CHART_DAYS))
        await event.answer_photo(
            BufferedInputFile(chart, "stats.png"), caption=i18n("stats-chart-caption")
        )
