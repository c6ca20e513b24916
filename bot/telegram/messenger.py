"""Sending messages from services and background tasks: blocked users, flood limits, admins."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.telegram.i18n import Translations, Translator
from storage.repository import Repository

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 60


class Messenger:
    """Sends a message to a user in their own language; never raises for a user's state."""

    def __init__(
        self,
        bot: Bot,
        repo: Repository,
        translations: Translations,
        admin_ids: frozenset[int],
    ) -> None:
        self._bot = bot
        self._repo = repo
        self._translations = translations
        self._admin_ids = admin_ids

    async def translator_for(self, user_id: int) -> Translator:
        user = await self._repo.users.get(user_id)
        return self._translations.get(user.language if user else None)

    async def send(
        self,
        user_id: int,
        render: Callable[[Translator], str],
        *,
        keyboard: Callable[[Translator], InlineKeyboardMarkup] | None = None,
    ) -> bool:
        """Render in the user's language and send; False when it could not be delivered."""
        translator = await self.translator_for(user_id)
        markup = keyboard(translator) if keyboard else None
        for _ in range(3):
            try:
                await self._bot.send_message(user_id, render(translator), reply_markup=markup)
                return True
            except TelegramRetryAfter as error:
                await asyncio.sleep(min(error.retry_after, MAX_RETRY_AFTER_SECONDS))
            except TelegramForbiddenError:
                await self._repo.users.set_blocked_bot(user_id, True)
                logger.info("User %s blocked the bot; not messaging them again", user_id)
                return False
            except TelegramAPIError as error:
                logger.warning("Could not message user %s: %s", user_id, error.message)
                return False
        return False

    async def send_admins(self, render: Callable[[Translator], str]) -> int:
        """Tell every admin; returns how many got it."""
        delivered = 0
        for admin_id in sorted(self._admin_ids):
            if await self.send(admin_id, render):
                delivered += 1
        if not self._admin_ids:
            logger.warning("No ADMIN_IDS configured: an admin alert went to the log only")
        return delivered
