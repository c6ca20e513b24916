"""/start, /menu, /cancel, /help and the main menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.telegram import keyboards
from bot.telegram.callbacks import MenuAction, MenuCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(CommandStart())
async def start(message: Message, state: FSMContext, i18n: Translator, user: User) -> None:
    await state.clear()
    await message.answer(
        i18n("welcome", name=user.first_name or "🙂"), reply_markup=keyboards.main_menu(i18n)
    )


@router.message(Command("menu"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.MAIN))
async def main_menu(event: Message | CallbackQuery, state: FSMContext, i18n: Translator) -> None:
    await state.clear()
    await show(event, i18n("menu-title"), keyboards.main_menu(i18n))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, i18n: Translator) -> None:
    had_flow = await state.get_state() is not None
    await state.clear()
    text = i18n("flow-cancelled") if had_flow else i18n("flow-nothing-to-cancel")
    await message.answer(text, reply_markup=keyboards.main_menu(i18n))


@router.message(Command("help"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.HELP))
async def help_screen(event: Message | CallbackQuery, i18n: Translator) -> None:
    await show(event, i18n("help"), keyboards.back_to_menu(i18n))
