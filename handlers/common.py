"""Small helpers shared by the routers."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

logger = logging.getLogger(__name__)


async def show(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message with a new screen; send a new message if it cannot be
    edited (too old, deleted, or not a text message)."""
    message = callback.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
            logger.debug("Could not edit message, sending a new one: %s", error.message)
    await send_new(callback, text, markup)


async def send_new(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send a new message to whoever pressed the button, leaving the pressed one as it is."""
    if callback.bot is None:
        return None
    return await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
