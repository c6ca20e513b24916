"""Small helpers shared by the routers: one screen, whether a command or a button asked."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.telegram.i18n import Translator
from storage.orders import Order
from storage.repository import Repository

logger = logging.getLogger(__name__)


async def show(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show a screen: as a reply to a command, or in place of the pressed message (a new
    message if that one cannot be edited: too old, deleted, or not a text message)."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
        return
    message = event.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
            logger.debug("Could not edit message, sending a new one: %s", error.message)
    await send_new(event, text, markup)


async def send_new(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send a new message to whoever sent the command or pressed the button, leaving the
    pressed message as it is."""
    if isinstance(event, Message):
        return await event.answer(text, reply_markup=markup)
    if event.bot is None:
        return None
    return await event.bot.send_message(event.from_user.id, text, reply_markup=markup)


async def own_order(
    repo: Repository,
    order_id: int,
    user_id: int,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> Order | None:
    """The order a button names, if it is the presser's; else None, with an alert."""
    order = await repo.orders.get(order_id)
    if order is None or order.user_id != user_id:
        # Someone else's order (or a forged button) looks exactly like a missing one.
        callback_answer.text = i18n("order-not-found")
        callback_answer.show_alert = True
        return None
    return order
