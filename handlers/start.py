"""/start, /menu, /cancel, /help and the main menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.telegram import keyboards
from bot.telegram.callbacks import MenuAction, MenuCallback
from bot.telegram.i18n import Translator
from handlers.common import show
from storage.users import User

router = Router(name=__name__)


@router.message(CommandStart())
async def start(message: Message, state: FSMContext, i18n: Translator, user: User) -> None:
    await state.clear()
    await message.answer(
        i18n("welcome", name=user.first_name or "🙂"), reply_markup=keyboards.main_menu(i18n)
    )


@router.message(Command("menu"))
async def menu(message: Message, state: FSMContext, i18n: Translator) -> None:
    await state.clear()
    await message.answer(i18n("menu-title"), reply_markup=keyboards.main_menu(i18n))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, i18n: Translator) -> None:
    had_flow = await state.get_state() is not None
    await state.clear()
    text = i18n("flow-cancelled") if had_flow else i18n("flow-nothing-to-cancel")
    await message.answer(text, reply_markup=keyboards.main_menu(i18n))


@router.message(Command("help"))
async def help_command(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("help"), reply_markup=keyboards.back_to_menu(i18n))


@router.callback_query(MenuCallback.filter(F.action == MenuAction.MAIN))
async def main_menu(callback: CallbackQuery, state: FSMContext, i18n: Translator) -> None:
    await state.clear()
    await show(callback, i18n("menu-title"), keyboards.main_menu(i18n))


@router.callback_query(MenuCallback.filter(F.action == MenuAction.HELP))
async def help_button(callback: CallbackQuery, i18n: Translator) -> None:
    await show(callback, i18n("help"), keyboards.back_to_menu(i18n))
