"""The admin menu and its help screens."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.telegram import keyboards
from bot.telegram.callbacks import AdminAction, AdminCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(Command("admin"))
@router.callback_query(AdminCallback.filter(F.action == AdminAction.MENU))
async def admin_menu(event: Message | CallbackQuery, i18n: Translator) -> None:
    await show(event, i18n("admin-menu"), keyboards.admin_menu(i18n))


@router.callback_query(AdminCallback.filter(F.action == AdminAction.USERS))
async def users_help(callback: CallbackQuery, i18n: Translator) -> None:
    await show(callback, i18n("admin-users-help"), keyboards.admin_back(i18n))
