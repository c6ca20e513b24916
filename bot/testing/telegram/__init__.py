"""A fake Telegram Bot API for tests and benchmarks, split by concern:

- ``records``: what it records (calls, errors, bot messages and their versions, answers);
- ``validation``: Telegram's checks on what a bot sends, and its error descriptions;
- ``limits``: refusals before a method runs (flood limit, injected failures, blocked users);
- ``chats``: the chats' state; ``updates``: the update queue and ``getUpdates`` long polling;
- ``api``: the Bot API methods (:class:`FakeBotApi`), no transport;
- ``users``: the people writing to the bot and the waits (:class:`FakeTelegram`);
- ``server``: the HTTP server (:class:`FakeTelegramServer`);
- ``webhook``: Telegram's side of a webhook (:class:`WebhookTelegram`).
"""

from bot.testing.telegram.api import FakeBotApi
from bot.testing.telegram.records import (
    TEST_TOKEN,
    ApiCall,
    ApiError,
    BotMessage,
    CallbackAnswer,
    InlineAnswer,
    JsonDict,
    PreCheckoutAnswer,
    UploadedFile,
)
from bot.testing.telegram.server import FakeTelegramServer
from bot.testing.telegram.users import FakeTelegram
from bot.testing.telegram.webhook import Delivery, WebhookTelegram

__all__ = [
    "TEST_TOKEN",
    "ApiCall",
    "ApiError",
    "BotMessage",
    "CallbackAnswer",
    "Delivery",
    "FakeBotApi",
    "FakeTelegram",
    "FakeTelegramServer",
    "InlineAnswer",
    "JsonDict",
    "PreCheckoutAnswer",
    "UploadedFile",
    "WebhookTelegram",
]
