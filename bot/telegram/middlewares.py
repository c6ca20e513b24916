"""Outer middlewares: the user of every update and their language; answers sent first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineQuery,
    Message,
    PreCheckoutQuery,
    TelegramObject,
    User,
)

from bot.config import Settings
from bot.runtime.observability import mark_outcome
from bot.telegram.i18n import Translations
from bot.telegram.pacing import Priority, sending_as
from storage.repository import Repository
from storage.users import User as StoredUser

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# Refreshing name and last-seen on every update would cost a write per update; once in a
# while is enough for the admin's "last seen".
LAST_SEEN_REFRESH = timedelta(minutes=5)


class UserContextMiddleware(BaseMiddleware):
    """Registers the sender, puts ``user``, ``i18n`` and ``is_admin`` into handler data,
    keeps the bot to private chats and turns banned users away with one polite line."""

    def __init__(self, repo: Repository, translations: Translations, settings: Settings) -> None:
        self._repo = repo
        self._translations = translations
        self._settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        telegram_user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type != ChatType.PRIVATE:
            mark_outcome(data, "ignored:not-private")
            return None  # the storefront lives in private chats only
        if telegram_user is None or telegram_user.is_bot:
            return await handler(event, data)

        inline = isinstance(getattr(event, "event", event), InlineQuery)
        if inline and await self._repo.users.get(telegram_user.id) is None:
            # Searching from another chat is not talking to the shop: no user row, so their
            # first /start later still counts as their first (referrals bind on it).
            language = self._translations.resolve_language(telegram_user.language_code)
            data["i18n"] = self._translations.get(language)
            data["user"] = None
            data["user_is_new"] = False
            data["is_admin"] = self._settings.is_admin(telegram_user.id)
            return await handler(event, data)
        user, created = await register_user(
            self._repo,
            self._translations,
            telegram_user.id,
            language_code=telegram_user.language_code,
            first_name=telegram_user.first_name,
            username=telegram_user.username,
        )
        i18n = self._translations.get(user.language)
        data["user"] = user
        # Whether this very update created the user (a referral binds only then).
        data["user_is_new"] = created
        data["i18n"] = i18n
        data["is_admin"] = self._settings.is_admin(user.id)

        if user.banned and not data["is_admin"]:
            mark_outcome(data, "banned")
            inner = getattr(event, "event", event)
            if isinstance(inner, Message) and inner.successful_payment is not None:
                return await handler(event, data)  # paid is paid: credit it anyway
            if isinstance(inner, PreCheckoutQuery):
                await inner.answer(ok=False, error_message=i18n("banned"))
                return None
            if isinstance(inner, Message):
                await inner.answer(i18n("banned"))
            elif isinstance(inner, CallbackQuery):
                await inner.answer(i18n("banned"), show_alert=True)
            return None
        return await handler(event, data)


async def remember_user(
    repo: Repository,
    translations: Translations,
    user_id: int,
    *,
    language_code: str | None,
    first_name: str | None,
    username: str | None,
) -> StoredUser:
    """The stored user, registered on first contact and refreshed once in a while; the
    language comes from Telegram's until the user picks one (the Mini App signs in so too)."""
    user, _ = await register_user(
        repo,
        translations,
        user_id,
        language_code=language_code,
        first_name=first_name,
        username=username,
    )
    return user


async def register_user(
    repo: Repository,
    translations: Translations,
    user_id: int,
    *,
    language_code: str | None,
    first_name: str | None,
    username: str | None,
) -> tuple[StoredUser, bool]:
    """As :func:`remember_user`, and whether this call created the user."""
    user = await repo.users.get(user_id)
    created = False
    if user is None or _stale(user.last_seen) or user.blocked_bot:
        user, created = await repo.users.register(
            user_id,
            language=translations.resolve_language(language_code),
            first_name=first_name or "",
            username=username,
        )
    return user, created


def _stale(last_seen: datetime | None) -> bool:
    return last_seen is None or datetime.now(UTC) - last_seen > LAST_SEEN_REFRESH


class AnswersFirst(BaseMiddleware):
    """What a handler sends answers the user's update: it goes before notifications and
    broadcasts in the send budget (tasks the handler starts, like a broadcast, set their own)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        with sending_as(Priority.ANSWER):
            return await handler(event, data)
