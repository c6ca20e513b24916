"""Choosing the language; every later message, notifications included, uses it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.telegram import keyboards
from bot.telegram.callbacks import LanguageCallback, MenuAction, MenuCallback
from bot.telegram.i18n import Translations, Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(Command("language"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.LANGUAGE))
async def language_screen(
    event: Message | CallbackQuery, i18n: Translator, translations: Translations
) -> None:
    await show(event, i18n("language-choose"), keyboards.languages(i18n, translations.languages))


@router.callback_query(LanguageCallback.filter())
async def pick_language(
    callback: CallbackQuery,
    callback_data: LanguageCallback,
    user: User,
    repo: Repository,
    translations: Translations,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.language not in translations.languages:
        callback_answer.text = translations.get(user.language)("button-outdated")
        callback_answer.show_alert = True
        return
    await repo.users.set_language(user.id, callback_data.language)
    i18n = translations.get(callback_data.language)
    callback_answer.text = i18n("language-saved")
    await show(callback, i18n("menu-title"), keyboards.main_menu(i18n))
