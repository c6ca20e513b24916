"""Last line of defence: an unexpected exception is logged with its traceback and the user
gets a short apology in their language, never the exception text."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.telegram.i18n import Translations, Translator
from bot.telegram.routing import RouterTemplate

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


logger = logging.getLogger(__name__)


@router.errors()
async def unexpected_error(
    event: ErrorEvent, bot: Bot, translations: Translations, **data: Any
) -> bool:
    update = event.update
    logger.error(
        "Update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    i18n = data.get("i18n")
    translator = i18n if isinstance(i18n, Translator) else translations.get(None)
    callback = update.callback_query
    message = update.message
    chat_id = None
    if callback is not None:
        chat_id = callback.from_user.id
        try:
            await callback.answer(translator("error-generic"), show_alert=True)
            return True
        except Exception:  # already answered by the middleware: tell them in the chat
            pass
    elif message is not None and message.chat.type == "private":
        chat_id = message.chat.id
    if chat_id is not None:
        try:
            await bot.send_message(chat_id, translator("error-generic"))
        except Exception:
            logger.warning("Could not tell user %s about the failure", chat_id)
    return True
