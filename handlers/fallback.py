"""Catch-alls, registered last: anything no other router took gets a short helpful answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.telegram import keyboards
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("fallback-unknown-command"), reply_markup=keyboards.main_menu(i18n))


@router.message(F.text)
async def stray_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("fallback-text"), reply_markup=keyboards.main_menu(i18n))


@router.message()
async def unsupported_message(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("fallback-unsupported"), reply_markup=keyboards.main_menu(i18n))


@router.callback_query()
async def stale_button(
    callback: CallbackQuery, i18n: Translator, callback_answer: CallbackAnswer
) -> None:
    callback_answer.text = i18n("button-outdated")
    callback_answer.show_alert = True
