"""A request middleware for the Bot's HTTP session that keeps aiogram's reply models alive.

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
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

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
