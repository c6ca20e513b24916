"""Request middlewares for the Bot's HTTP session: reply models kept alive, one send budget.

aiogram parses every Bot API reply with ``Response[<the method's return type>]``, a pydantic
generic model it parametrizes on each call. Pydantic caches parametrized models only weakly,
so every full garbage collection throws them away and the next call rebuilds the schema:
tens of milliseconds each time, which under load was about half of the bot's CPU time.
One reference per return type is enough to make the cache hit for good.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.telegram.pacing import Budget, current_priority

if TYPE_CHECKING:
    from aiogram import Bot


class KeepResponseModels(BaseRequestMiddleware):
    """Holds ``Response[T]`` for every return type ``T`` the bot has used (a few dozen)."""

    def __init__(self) -> None:
        self._models: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._models:
            self._models[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


# Telegram counts every message the bot posts to a chat, whatever its kind.
_COUNTED_PREFIXES = ("send", "copy", "forward")


class SendBudgetMiddleware(BaseRequestMiddleware):
    """Every message to a chat draws on one send budget, with its sender's priority.

    The priority comes from the calling task (:func:`sending_as`): answers to an update,
    notifications or a broadcast. A message sent with ``allow_paid_broadcast`` draws on the
    paid budget instead (Telegram's separate, billed limit), when there is one.
    """

    def __init__(self, budget: Budget, paid_budget: Budget | None = None) -> None:
        self.budget = budget
        self.paid_budget = paid_budget

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not method.__api_method__.startswith(_COUNTED_PREFIXES):
            return await make_request(bot, method)
        budget = self.budget
        if self.paid_budget is not None and getattr(method, "allow_paid_broadcast", None):
            budget = self.paid_budget
        priority = current_priority()
        slot = await budget.acquire(priority)
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as error:
            budget.hold(error.retry_after)
            raise
        finally:
            budget.release(priority, slot)
