"""A fake Telegram Bot API server for end-to-end tests.

The real aiogram ``Bot`` talks to it over HTTP (``TelegramAPIServer.from_base(server.base_url)``)
and the real ``Dispatcher`` polls it with ``getUpdates``. Tests play the user: they queue
updates (``send_message``, ``click_button``, ``pay_invoice``) and wait for what the bot sent
(``wait_for_message``, ``wait_for_callback_answer``). The waiting helpers take ``timeout=``
themselves (hence the ASYNC109 exemptions) so that a failing wait says what it waited for and
what the bot did instead, which a bare ``asyncio.timeout`` around the call cannot.

Errors use Telegram's status codes and descriptions, so aiogram raises its real exception
classes (``TelegramBadRequest``, ``TelegramForbiddenError``, ``TelegramRetryAfter``, ...).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Self, TypeVar

from aiohttp import web

__all__ = [
    "TEST_TOKEN",
    "ApiCall",
    "ApiError",
    "BotMessage",
    "CallbackAnswer",
    "FakeTelegramServer",
    "PreCheckoutAnswer",
    "UploadedFile",
]

TEST_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"

JsonDict = dict[str, Any]
T = TypeVar("T")

MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Parameters documented as String: everything else arrives JSON-encoded from aiogram
# (numbers, booleans, objects), and a text such as "42" or "[1]" must stay a string.
_STRING_PARAMETERS = frozenset(
    {
        "action",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "currency",
        "description",
        "document",
        "emoji",
        "error_message",
        "inline_message_id",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "payload",
        "photo",
        "pre_checkout_query_id",
        "provider_token",
        "secret_token",
        "short_description",
        "start_parameter",
        "sticker",
        "telegram_payment_charge_id",
        "text",
        "title",
        "url",
        "video",
        "voice",
    }
)
_INLINE_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_MAX_TEXT_LENGTH = 4096
_MAX_CAPTION_LENGTH = 1024
_MAX_CALLBACK_DATA_BYTES = 64
_MAX_CALLBACK_ANSWER_LENGTH = 200


class ApiCall(NamedTuple):
    """One request the bot made, in arrival order; unpacks as ``method, params``."""

    method: str
    params: JsonDict


@dataclass(frozen=True)
class ApiError:
    """An error response the server gave."""

    method: str
    params: JsonDict
    error_code: int
    description: str
    retry_after: int | None = None


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class BotMessage:
    """One version of a message the bot sent: version 0 is the original, n the n-th edit."""

    seq: int
    chat_id: int
    message_id: int
    method: str
    kind: str
    date: int
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    plain_text: str = ""
    entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None
    version: int = 0
    edit_date: int | None = None
    file_id: str | None = None
    file: UploadedFile | None = None
    invoice: JsonDict | None = None
    params: JsonDict = field(default_factory=dict)

    @property
    def edited(self) -> bool:
        return self.version > 0

    @property
    def content(self) -> str:
        """The text or caption as the bot sent it (markup included)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[JsonDict]:
        """Inline keyboard buttons, row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def contains(self, needle: str) -> bool:
        """True if the visible text or the raw markup contains ``needle``."""
        return needle in self.plain_text or needle in self.content

    def button(self, text: str) -> JsonDict:
        """The inline button whose text equals ``text``, else the only one containing it."""
        exact = [button for button in self.buttons if button["text"] == text]
        partial = [button for button in self.buttons if text in button["text"]]
        found = exact or partial
        if len(found) != 1:
            problem = "No button" if not found else "Several buttons"
            raise AssertionError(
                f"{problem} matching {text!r} in message {self.message_id} "
                f"(chat {self.chat_id}); buttons: {self.button_texts}"
            )
        return found[0]


@dataclass(frozen=True)
class CallbackAnswer:
    seq: int
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class PreCheckoutAnswer:
    seq: int
    pre_checkout_query_id: str
    ok: bool
    error_message: str | None


@dataclass
class _Chat:
    chat_id: int
    next_message_id: int = 1
    # message_id -> versions, oldest first
    bot_messages: dict[int, list[BotMessage]] = field(default_factory=dict)
    user_messages: dict[int, JsonDict] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _InjectedError:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


class _ApiFailure(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


def _bad_request(description: str) -> _ApiFailure:
    return _ApiFailure(400, f"Bad Request: {description}")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    """Telegram's HTML parse mode: visible text plus entities, with Telegram's parse errors."""

    _ENTITY_TYPES: ClassVar[dict[str, str]] = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "tg-spoiler": "spoiler",
        "span": "spoiler",
        "a": "text_link",
        "code": "code",
        "pre": "pre",
        "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
    }

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._parts: list[str] = []
        self._length = 0
        self._open: list[tuple[str, JsonDict | None]] = []
        self._entities: list[JsonDict] = []

    @classmethod
    def parse(cls, source: str) -> tuple[str, list[JsonDict]]:
        parser = cls(source)
        parser.feed(source)
        parser.close()
        if parser._open:
            tag = parser._open[-1][0]
            raise _bad_request(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        entities = [entity for entity in parser._entities if entity["length"] > 0]
        entities.sort(key=lambda entity: entity["offset"])  # stable: outer entities first
        return "".join(parser._parts), entities

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self._source.split("\n")
        prefix = (
            "\n".join(lines[: line - 1]) + ("\n" if line > 1 else "") + lines[line - 1][:column]
        )
        return len(prefix.encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        entity_type = self._ENTITY_TYPES.get(tag)
        if entity_type is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise _bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" '
                f"at byte offset {self._byte_offset()}"
            )
        entity: JsonDict | None = {"type": entity_type, "offset": self._length, "length": 0}
        if tag == "a":
            entity = None if not attributes.get("href") else {**entity, "url": attributes["href"]}
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "code" and self._open and self._open[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            parent = self._open[-1][1]
            language = (attributes.get("class") or "").removeprefix("language-")
            if parent is not None and language:
                parent["language"] = language
            entity = None
        if entity is not None:
            self._entities.append(entity)
        self._open.append((tag, entity))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Telegram has no void elements: "<br/>" is rejected like "<br>".
        raise _bad_request(
            f'can\'t parse entities: Unsupported start tag "{tag}" '
            f"at byte offset {self._byte_offset()}"
        )

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            raise _bad_request(
                f"can't parse entities: Unexpected end tag at byte offset {self._byte_offset()}"
            )
        open_tag, entity = self._open.pop()
        if open_tag != tag:
            raise _bad_request(
                f"can't parse entities: Unmatched end tag at byte offset "
                f'{self._byte_offset()}, expected "</{open_tag}>", found "</{tag}>"'
            )
        if entity is not None:
            entity["length"] = self._length - entity["offset"]

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        self._length += _utf16_length(data)


def _render(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    """Visible text and entities, as Telegram computes them for the given parse mode."""
    if parse_mode and parse_mode.upper() == "HTML":
        return _TelegramHtml.parse(text)
    return text, []


def _decode_parameter(name: str, value: str) -> Any:
    if name in _STRING_PARAMETERS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _scope_key(scope: JsonDict | None) -> str:
    """A readable key for a BotCommandScope: "default", "chat:42", "chat_member:-1:42"."""
    if not scope:
        return "default"
    parts = [str(scope["type"])]
    parts += [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
    return ":".join(parts)


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


class FakeTelegramServer:
    """An in-process Bot API server on 127.0.0.1 that records everything the bot does.

    async with FakeTelegramServer() as telegram, running_bot(dispatcher, make_bot(telegram)):
        await telegram.send_message(USER, "/start")
        menu = await telegram.wait_for_message(USER, contains="Welcome")
        await telegram.click_button(USER, "New order")
        reply = await telegram.wait_for_message(USER)
    """

    def __init__(
        self,
        token: str = TEST_TOKEN,
        *,
        bot_username: str = "test_store_bot",
        bot_first_name: str = "Test Store",
        latency: float = 0.0,
        rate_limit_per_second: int | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        # Knobs tests may change at any time.
        self.latency = latency
        self.rate_limit_per_second = rate_limit_per_second
        self.rate_limit_retry_after: int | None = None  # None: time left in the window
        # Sends with allow_paid_broadcast count against this limit instead (Telegram: 1,000/s,
        # billed in Stars); paid_broadcasts counts them.
        self.paid_rate_limit_per_second = 1000
        self.paid_broadcasts = 0
        self.blocked_users: set[int] = set()
        self.missing_chats: set[int] = set()

        # Recorded state.
        self.calls: list[ApiCall] = []
        self.errors: list[ApiError] = []
        self.rate_limited_count = 0
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.pre_checkout_answers: dict[str, PreCheckoutAnswer] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.bot_settings: dict[str, Any] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}  # chat id (None: default) -> button
        self.refunds: list[tuple[int, str]] = []
        self.webhook_url = ""
        self.dropped_updates: list[JsonDict] = []
        # Called as observer(method, params, result) the moment a request succeeds, e.g. to
        # time the bot's answers in a benchmark without scanning the recorded messages.
        self.observers: list[Callable[[str, JsonDict, Any], None]] = []

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, JsonDict] = {}
        self._events: list[BotMessage] = []
        self._seq = 0
        self._cursors: dict[int, int] = {}
        self._update_ids = itertools.count(100_001)
        self._query_ids = itertools.count(7_000_000_001)
        self._charge_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._updates: list[JsonDict] = []
        self._allowed_updates: list[str] = []
        self._open_callback_queries: set[str] = set()
        self._open_pre_checkout_queries: set[str] = set()
        self._charges: dict[str, tuple[int, bool]] = {}  # charge id -> (user id, refunded)
        self._injected: list[_InjectedError] = []
        self._send_times: deque[float] = deque()
        self._paid_send_times: deque[float] = deque()
        self._poll_generation = 0
        self._release_generation = 0
        self._closing = False
        self._changed = asyncio.Condition()
        self._updates_changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

        handlers: dict[str, Callable[[JsonDict], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setMyDescription": self._set_bot_setting("description"),
            "setMyShortDescription": self._set_bot_setting("short_description"),
            "setChatMenuButton": self._set_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_media("photo"),
            "sendDocument": self._send_media("document"),
            "sendVideo": self._send_media("video"),
            "copyMessage": self._copy_message,
            "sendChatAction": self._send_chat_action,
            "sendInvoice": self._send_invoice,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "answerPreCheckoutQuery": self._answer_pre_checkout_query,
            "refundStarPayment": self._refund_star_payment,
        }
        # Telegram matches method names case-insensitively.
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """The URL to pass to ``TelegramAPIServer.from_base``."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._base_url

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Telegram's upload limit
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        await self.release_pending_polls()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def release_pending_polls(self) -> None:
        """Answer any waiting ``getUpdates`` with an empty list right away."""
        self._release_generation += 1
        async with self._updates_changed:
            self._updates_changed.notify_all()

    # ------------------------------------------------------------------ user side: updates

    @property
    def seq(self) -> int:
        """The latest event sequence number (user actions and bot messages share it)."""
        return self._seq

    @property
    def unanswered_callback_queries(self) -> set[str]:
        """Ids of callback queries the bot has not answered (yet)."""
        return set(self._open_callback_queries)

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._updates)

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        """Create or update the profile used in this user's updates."""
        user = self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "Test User", "language_code": "en"},
        )
        if first_name is not None:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
        if username is not None:
            user["username"] = username
        return user

    async def send_update(self, update: JsonDict) -> int:
        """Queue a raw update (an ``update_id`` is assigned if missing); returns its id."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        async with self._updates_changed:
            self._updates_changed.notify_all()
        return int(update["update_id"])

    async def send_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> int:
        """The user writes ``text`` to the bot in their private chat; returns the update id."""
        self.set_user(
            user_id, first_name=first_name, language_code=language_code, username=username
        )
        content: JsonDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_length(command)}
            ]
        return await self._send_user_message(user_id, content)

    async def send_photo(
        self, user_id: int, *, caption: str | None = None, file_id: str = "user-photo"
    ) -> int:
        sizes = [
            {
                "file_id": f"{file_id}-{width}",
                "file_unique_id": f"u-{file_id}-{width}",
                "width": width,
                "height": width,
            }
            for width in (90, 320, 800)
        ]
        content: JsonDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return await self._send_user_message(user_id, content)

    async def send_sticker(self, user_id: int, *, emoji: str = "👍") -> int:
        sticker = {
            "file_id": "user-sticker",
            "file_unique_id": "u-user-sticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._send_user_message(user_id, {"sticker": sticker})

    async def click(self, user_id: int, message_id: int, callback_data: str) -> str:
        """The user presses a callback button on a bot message; returns the callback query id."""
        chat = self._chats.get(user_id)
        if chat is None or message_id not in chat.bot_messages or message_id in chat.deleted:
            raise AssertionError(f"No bot message {message_id} in chat {user_id} to click on")
        query_id = str(next(self._query_ids))
        self._open_callback_queries.add(query_id)
        current = chat.bot_messages[message_id][-1]
        await self._user_action(
            user_id,
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.set_user(user_id),
                    "message": self._message_dict(current),
                    "chat_instance": f"instance-{user_id}",
                    "data": callback_data,
                }
            },
        )
        return query_id

    async def click_button(
        self, user_id: int, button_text: str, *, message_id: int | None = None
    ) -> str:
        """Press the button whose text equals (or contains) ``button_text``.

        Looks in ``message_id`` if given, else in the user's latest bot message with an
        inline keyboard. Returns the callback query id.
        """
        if message_id is None:
            with_keyboard = [message for message in self.messages(user_id) if message.buttons]
            if not with_keyboard:
                raise AssertionError(
                    f"No bot message with an inline keyboard in chat {user_id}; "
                    f"messages: {[message.plain_text for message in self.messages(user_id)]}"
                )
            message = with_keyboard[-1]
        else:
            message = self.message(user_id, message_id)
        button = message.button(button_text)
        if "callback_data" not in button:
            raise AssertionError(f"Button {button['text']!r} is not a callback button: {button}")
        return await self.click(user_id, message.message_id, button["callback_data"])

    async def pre_checkout(
        self, user_id: int, *, currency: str, total_amount: int, invoice_payload: str
    ) -> str:
        """The user confirms a payment; returns the pre-checkout query id."""
        query_id = str(next(self._query_ids))
        self._open_pre_checkout_queries.add(query_id)
        await self._user_action(
            user_id,
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": self.set_user(user_id),
                    "currency": currency,
                    "total_amount": total_amount,
                    "invoice_payload": invoice_payload,
                }
            },
        )
        return query_id

    async def successful_payment(
        self,
        user_id: int,
        *,
        currency: str,
        total_amount: int,
        invoice_payload: str,
        telegram_payment_charge_id: str | None = None,
    ) -> str:
        """Telegram reports the payment as a service message; returns the charge id."""
        charge_id = telegram_payment_charge_id or f"stxTEST{next(self._charge_ids):08d}"
        self._charges[charge_id] = (user_id, False)
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": invoice_payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        await self._send_user_message(user_id, {"successful_payment": payment})
        return charge_id

    async def pay_invoice(self, user_id: int, *, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Pay the latest invoice in the chat: pre-checkout, then the payment; returns the charge.

        Raises AssertionError if the bot declines the pre-checkout query.
        """
        invoices = [message for message in self.messages(user_id) if message.invoice]
        if not invoices:
            raise AssertionError(f"No invoice in chat {user_id}")
        invoice = invoices[-1]
        assert invoice.invoice is not None
        currency = invoice.invoice["currency"]
        total_amount = invoice.invoice["total_amount"]
        payload = str(invoice.params["payload"])
        query_id = await self.pre_checkout(
            user_id, currency=currency, total_amount=total_amount, invoice_payload=payload
        )
        answer = await self.wait_for_pre_checkout_answer(query_id, timeout=timeout)
        if not answer.ok:
            raise AssertionError(f"The bot declined the payment: {answer.error_message!r}")
        return await self.successful_payment(
            user_id, currency=currency, total_amount=total_amount, invoice_payload=payload
        )

    # ------------------------------------------------------------------ test side: inspection

    def messages(self, user_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """Current version of every bot message in the chat, oldest first."""
        chat = self._chats.get(user_id)
        if chat is None:
            return []
        return [
            versions[-1]
            for message_id, versions in sorted(chat.bot_messages.items())
            if include_deleted or message_id not in chat.deleted
        ]

    def last_message(self, user_id: int) -> BotMessage | None:
        messages = self.messages(user_id)
        return messages[-1] if messages else None

    def message(self, user_id: int, message_id: int) -> BotMessage:
        versions = self.history(user_id, message_id)
        if not versions:
            raise AssertionError(f"No bot message {message_id} in chat {user_id}")
        return versions[-1]

    def history(self, user_id: int, message_id: int) -> list[BotMessage]:
        """Every version of one bot message, the original first."""
        chat = self._chats.get(user_id)
        return list(chat.bot_messages.get(message_id, [])) if chat else []

    def is_deleted(self, user_id: int, message_id: int) -> bool:
        chat = self._chats.get(user_id)
        return chat is not None and message_id in chat.deleted

    def calls_to(self, method: str) -> list[JsonDict]:
        """Parameters of every call to ``method`` (case-insensitive), in order."""
        return [call.params for call in self.calls if call.method.lower() == method.lower()]

    def commands_for(
        self, *, language_code: str = "", scope: JsonDict | None = None
    ) -> list[JsonDict]:
        return self.commands.get((_scope_key(scope), language_code), [])

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` (optionally for one chat) fail."""
        self._injected.append(
            _InjectedError(method.lower(), error_code, description, retry_after, chat_id, times)
        )

    # ------------------------------------------------------------------ test side: waiting

    async def wait_for(
        self,
        predicate: Callable[[], T],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        description: str = "",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every request); return it."""
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    return await self._changed.wait_for(predicate)
            except TimeoutError:
                what = description or getattr(predicate, "__name__", "condition")
                raise AssertionError(
                    f"Timed out after {timeout}s waiting for {what}\n{self.describe()}"
                ) from None

    async def wait_for_message(
        self,
        user_id: int,
        *,
        after: int | None = None,
        contains: str | None = None,
        where: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next bot message in the chat, new or edited, after a point in the conversation.

        The point is ``after`` (a ``seq``) if given, else the later of the user's last action
        and the last message this method returned for the chat; so a reply that arrived before
        the call still counts, and consecutive calls walk through the replies in order.
        """
        start = after if after is not None else self._cursors.get(user_id, 0)

        def next_message() -> BotMessage | None:
            for message in self._events:
                if (
                    message.seq > start
                    and message.chat_id == user_id
                    and (contains is None or message.contains(contains))
                    and (where is None or where(message))
                ):
                    return message
            return None

        wanted = f"a bot message in chat {user_id} after #{start}"
        if contains is not None:
            wanted += f" containing {contains!r}"
        message = await self.wait_for(next_message, timeout=timeout, description=wanted)
        self._cursors[user_id] = max(self._cursors.get(user_id, 0), message.seq)
        return message

    async def wait_for_callback_answer(
        self,
        callback_query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        return await self.wait_for(
            lambda: self.callback_answers.get(callback_query_id),
            timeout=timeout,
            description=f"an answer to callback query {callback_query_id}",
        )

    async def wait_for_pre_checkout_answer(
        self,
        pre_checkout_query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> PreCheckoutAnswer:
        return await self.wait_for(
            lambda: self.pre_checkout_answers.get(pre_checkout_query_id),
            timeout=timeout,
            description=f"an answer to pre-checkout query {pre_checkout_query_id}",
        )

    def describe(self) -> str:
        """A short account of recent traffic, for failure messages."""
        lines = ["Recent API calls:"]
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        lines += [f"  {method} {_short(params)}" for method, params in recent] or ["  (none)"]
        if self.errors:
            lines.append("Recent API errors:")
            lines += [
                f"  {error.method}: {error.error_code} {error.description}"
                for error in self.errors[-5:]
            ]
        if self._updates:
            lines.append(f"Updates not yet confirmed by the bot: {len(self._updates)}")
        if self.dropped_updates:
            types = sorted({_update_type(update) for update in self.dropped_updates})
            lines.append(
                f"Updates dropped because the bot's allowed_updates {self._allowed_updates} "
                f"exclude them: {types}"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        requested = request.match_info["method"]
        params = await self._read_parameters(request)
        method, handler = self._handlers.get(requested.lower(), (requested, None))
        self.calls.append(ApiCall(method, params))
        await self._notify()  # a long poll may be waited on while it is still pending
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            if request.match_info["token"] != self.token:
                raise _ApiFailure(401, "Unauthorized")
            if handler is None:
                raise _ApiFailure(404, "Not Found")
            self._check_injected(method, params)
            self._check_chat(method, params)
            try:
                result = await handler(params)
            except _ApiFailure:
                raise
            except Exception as error:
                # A bug in the fake (or a request it cannot make sense of) must not look like
                # a network problem: answer as Telegram does when it fails.
                raise _ApiFailure(500, f"Internal Server Error: {error!r}") from error
            for observer in self.observers:
                observer(method, params, result)
            body: JsonDict = {"ok": True, "result": result}
            status = 200
        except _ApiFailure as failure:
            self.errors.append(
                ApiError(
                    method, params, failure.error_code, failure.description, failure.retry_after
                )
            )
            body = {
                "ok": False,
                "error_code": failure.error_code,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            status = failure.error_code
        await self._notify()
        return web.json_response(body, status=status)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _read_parameters(self, request: web.Request) -> JsonDict:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            raw.update(await request.json())
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = UploadedFile(
                        value.filename, value.content_type, value.file.read()
                    )
                else:
                    raw[name] = value
        params: JsonDict = {}
        for name, value in raw.items():
            decoded = _decode_parameter(name, value) if isinstance(value, str) else value
            if isinstance(decoded, str) and decoded.startswith("attach://"):
                decoded = files.get(decoded.removeprefix("attach://"), decoded)
            params[name] = decoded
        return params

    def _check_injected(self, method: str, params: JsonDict) -> None:
        for injected in self._injected:
            if injected.method == method.lower() and injected.chat_id in (
                None,
                params.get("chat_id"),
            ):
                injected.times -= 1
                if injected.times <= 0:
                    self._injected.remove(injected)
                raise _ApiFailure(injected.error_code, injected.description, injected.retry_after)

    def _check_chat(self, method: str, params: JsonDict) -> None:
        chat_id = params.get("chat_id")
        lowered = method.lower()
        paid = lowered.startswith(("send", "copy")) and params.get("allow_paid_broadcast") is True
        if lowered.startswith(("send", "copy", "forward")) and self.rate_limit_per_second:
            limit = self.paid_rate_limit_per_second if paid else self.rate_limit_per_second
            times = self._paid_send_times if paid else self._send_times
            now = time.monotonic()
            while times and times[0] <= now - 1.0:
                times.popleft()
            if len(times) >= limit:
                self.rate_limited_count += 1
                retry_after = self.rate_limit_retry_after or max(1, math.ceil(times[0] + 1.0 - now))
                raise _ApiFailure(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            times.append(now)
        if chat_id in self.blocked_users:
            raise _ApiFailure(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            raise _bad_request("chat not found")
        if paid:
            self.paid_broadcasts += 1

    # ------------------------------------------------------------------ state helpers

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _chat(self, chat_id: int) -> _Chat:
        return self._chats.setdefault(chat_id, _Chat(chat_id))

    def _chat_dict(self, chat_id: int) -> JsonDict:
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
        chat: JsonDict = {"id": chat_id, "type": "private"}
        user = self._users.get(chat_id)
        chat["first_name"] = user["first_name"] if user else "Test User"
        if user and "username" in user:
            chat["username"] = user["username"]
        return chat

    async def _user_action(self, user_id: int, update: JsonDict) -> int:
        # The cursor moves to the action, so the next wait_for_message sees only replies to it.
        self._cursors[user_id] = self._next_seq()
        return await self.send_update(update)

    async def _send_user_message(self, user_id: int, content: JsonDict) -> int:
        chat = self._chat(user_id)
        message = {
            "message_id": chat.take_message_id(),
            "date": int(time.time()),
            "chat": self._chat_dict(user_id),
            "from": self.set_user(user_id),
            **content,
        }
        chat.user_messages[message["message_id"]] = message
        return await self._user_action(user_id, {"message": message})

    def _record(self, message: BotMessage) -> BotMessage:
        self._chat(message.chat_id).bot_messages.setdefault(message.message_id, []).append(message)
        self._events.append(message)
        return message

    def _message_dict(self, message: BotMessage) -> JsonDict:
        """The Message object Telegram would return for this version."""
        result: JsonDict = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self._chat_dict(message.chat_id),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.kind == "text":
            result["text"] = message.plain_text
            if message.entities:
                result["entities"] = message.entities
        elif message.caption is not None:
            result["caption"] = message.plain_text
            if message.entities:
                result["caption_entities"] = message.entities
        file_id = message.file_id or "file"
        unique_id = f"u-{file_id}"
        if message.kind == "photo":
            result["photo"] = [
                {"file_id": file_id, "file_unique_id": unique_id, "width": 90, "height": 90},
                {"file_id": file_id, "file_unique_id": unique_id, "width": 800, "height": 800},
            ]
        elif message.kind == "document":
            document: JsonDict = {"file_id": file_id, "file_unique_id": unique_id}
            if message.file is not None:
                document["file_name"] = message.file.filename
                document["file_size"] = len(message.file.content)
            result["document"] = document
        elif message.kind == "video":
            result["video"] = {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": 640,
                "height": 360,
                "duration": 1,
            }
        elif message.kind == "invoice" and message.invoice is not None:
            result["invoice"] = message.invoice
        # Only inline keyboards are part of a message; reply keyboards live on the client.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result

    def _target(self, params: JsonDict) -> BotMessage:
        """The current version of the bot message an edit names, or Telegram's error."""
        if "inline_message_id" in params:
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if chat_id is None or message_id is None:
            raise _bad_request("message to edit not found")
        chat = self._chat(int(chat_id))
        if message_id in chat.user_messages:
            raise _bad_request("message can't be edited")
        if message_id not in chat.bot_messages or message_id in chat.deleted:
            raise _bad_request("message to edit not found")
        return chat.bot_messages[message_id][-1]

    def _edit(self, current: BotMessage, method: str, params: JsonDict, **changes: Any) -> JsonDict:
        # An edit without reply_markup removes the inline keyboard, as on Telegram.
        changes["reply_markup"] = self._reply_markup(params)
        # Telegram compares what the user would see: rendered text, entities and keyboard.
        compared = [name for name in ("plain_text", "entities", "reply_markup") if name in changes]
        if all(getattr(current, name) == changes[name] for name in compared):
            raise _ApiFailure(400, MESSAGE_NOT_MODIFIED)
        edited = replace(
            current,
            **changes,
            seq=self._next_seq(),
            method=method,
            version=current.version + 1,
            edit_date=int(time.time()),
            params=params,
        )
        return self._message_dict(self._record(edited))

    @staticmethod
    def _reply_markup(params: JsonDict) -> JsonDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                actions = _INLINE_BUTTON_ACTIONS.intersection(button)
                if not actions:
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if (
                    data is not None
                    and not 1 <= len(str(data).encode()) <= _MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _render_checked(
        text: str, parse_mode: str | None, *, limit: int, empty: str
    ) -> tuple[str, list[JsonDict]]:
        plain, entities = _render(text, parse_mode)
        if not plain.strip():
            raise _bad_request(empty)
        if _utf16_length(plain) > limit:
            raise _bad_request(
                "message is too long"
                if limit == _MAX_TEXT_LENGTH
                else "message caption is too long"
            )
        return plain, entities

    def _new_message(self, method: str, kind: str, params: JsonDict, **fields: Any) -> JsonDict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        chat = self._chat(chat_id)
        message = BotMessage(
            seq=self._next_seq(),
            chat_id=chat_id,
            message_id=chat.take_message_id(),
            method=method,
            kind=kind,
            date=int(time.time()),
            reply_markup=self._reply_markup(params),
            params=params,
            **fields,
        )
        return self._message_dict(self._record(message))

    def _caption_fields(self, params: JsonDict) -> JsonDict:
        caption = params.get("caption")
        if caption is None:
            return {}
        parse_mode = params.get("parse_mode")
        plain, entities = _render(caption, parse_mode)
        if _utf16_length(plain) > _MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return {
            "caption": caption,
            "parse_mode": parse_mode,
            "plain_text": plain,
            "entities": entities,
        }

    # ------------------------------------------------------------------ Bot API methods

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        self._poll_generation += 1
        generation, released = self._poll_generation, self._release_generation
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._updates_changed:
            # A new poll ends the previous one, as on Telegram.
            self._updates_changed.notify_all()
            while True:
                if generation != self._poll_generation:
                    raise _ApiFailure(409, GET_UPDATES_CONFLICT)
                self._confirm(offset)
                batch = self._deliverable()[:limit]
                remaining = deadline - asyncio.get_running_loop().time()
                if batch or remaining <= 0 or released != self._release_generation or self._closing:
                    return batch
                try:
                    async with asyncio.timeout(remaining):
                        await self._updates_changed.wait()
                except TimeoutError:
                    pass

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]

    def _deliverable(self) -> list[JsonDict]:
        if not self._allowed_updates:
            return self._updates
        kept = []
        for update in self._updates:
            if _update_type(update) in self._allowed_updates:
                kept.append(update)
            else:
                self.dropped_updates.append(update)
        self._updates = kept
        return kept

    async def _delete_webhook(self, params: JsonDict) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _set_webhook(self, params: JsonDict) -> bool:
        self.webhook_url = str(params.get("url", ""))
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request(
                "BOT_COMMANDS_TOO_MUCH" if commands else "commands must be non-empty"
            )
        for command in commands:
            name = str(command.get("command", ""))
            if not (
                1 <= len(name) <= 32
                and all(c.islower() or c.isdigit() or c == "_" for c in name)
                and name.isascii()
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), str(params.get("language_code", "")))
        self.commands[key] = commands
        return True

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        key = (_scope_key(params.get("scope")), str(params.get("language_code", "")))
        self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        key = (_scope_key(params.get("scope")), str(params.get("language_code", "")))
        return self.commands.get(key, [])

    def _set_bot_setting(self, name: str) -> Callable[[JsonDict], Awaitable[bool]]:
        async def set_setting(params: JsonDict) -> bool:
            language_code = str(params.get("language_code", ""))
            self.bot_settings[f"{name}:{language_code}"] = params.get(name, "")
            return True

        return set_setting

    async def _set_chat_menu_button(self, params: JsonDict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad_request("can't parse menu button")
        if button["type"] == "web_app" and not str(
            button.get("web_app", {}).get("url", "")
        ).startswith("https://"):
            raise _bad_request("BUTTON_URL_INVALID")
        chat_id = params.get("chat_id")
        self.menu_buttons[None if chat_id is None else int(chat_id)] = button
        return True

    async def _send_message(self, params: JsonDict) -> JsonDict:
        text = params.get("text")
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain, entities = self._render_checked(
            text, parse_mode, limit=_MAX_TEXT_LENGTH, empty="message text is empty"
        )
        return self._new_message(
            "sendMessage",
            "text",
            params,
            text=text,
            parse_mode=parse_mode,
            plain_text=plain,
            entities=entities,
        )

    def _send_media(self, kind: str) -> Callable[[JsonDict], Awaitable[JsonDict]]:
        method = "send" + kind.capitalize()

        async def send_media(params: JsonDict) -> JsonDict:
            media = params.get(kind)
            if isinstance(media, UploadedFile):
                file, file_id = media, f"{kind}-{next(self._file_ids)}"
            elif isinstance(media, str) and media:
                file, file_id = None, media
            else:
                raise _bad_request(f"there is no {kind} in the request")
            return self._new_message(
                method, kind, params, file=file, file_id=file_id, **self._caption_fields(params)
            )

        return send_media

    async def _copy_message(self, params: JsonDict) -> JsonDict:
        source_chat = self._chats.get(int(params.get("from_chat_id") or 0))
        message_id = params.get("message_id")
        fields: JsonDict
        if source_chat is None or message_id in source_chat.deleted:
            raise _bad_request("message to copy not found")
        if message_id in source_chat.bot_messages:
            source = source_chat.bot_messages[message_id][-1]
            fields = {
                name: getattr(source, name)
                for name in (
                    "kind",
                    "text",
                    "caption",
                    "parse_mode",
                    "plain_text",
                    "entities",
                    "file_id",
                    "file",
                    "invoice",
                )
            }
        elif message_id in source_chat.user_messages:
            user_message = source_chat.user_messages[message_id]
            kind = next(
                (kind for kind in ("text", "photo", "document", "video") if kind in user_message),
                "other",
            )
            content = user_message.get("text", user_message.get("caption"))
            fields = {
                "kind": kind,
                "plain_text": content or "",
                "entities": user_message.get("entities", []),
            }
            fields["text" if kind == "text" else "caption"] = content
        else:
            raise _bad_request("message to copy not found")
        fields.update(self._caption_fields(params))
        copied = self._new_message("copyMessage", fields.pop("kind"), params, **fields)
        return {"message_id": copied["message_id"]}

    async def _send_chat_action(self, params: JsonDict) -> bool:
        return True

    async def _send_invoice(self, params: JsonDict) -> JsonDict:
        prices = params.get("prices")
        if not isinstance(prices, list) or not prices:
            raise _bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        currency = str(params.get("currency", ""))
        total = sum(int(price["amount"]) for price in prices)
        if total <= 0 or (currency == "XTR" and len(prices) != 1):
            raise _bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        invoice = {
            "title": str(params.get("title", "")),
            "description": str(params.get("description", "")),
            "start_parameter": str(params.get("start_parameter", "")),
            "currency": currency,
            "total_amount": total,
        }
        return self._new_message(
            "sendInvoice",
            "invoice",
            params,
            invoice=invoice,
            plain_text=f"{invoice['title']}\n{invoice['description']}",
        )

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        current = self._target(params)
        if current.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str):
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain, entities = self._render_checked(
            text, parse_mode, limit=_MAX_TEXT_LENGTH, empty="message text is empty"
        )
        return self._edit(
            current,
            "editMessageText",
            params,
            text=text,
            parse_mode=parse_mode,
            plain_text=plain,
            entities=entities,
        )

    async def _edit_message_caption(self, params: JsonDict) -> JsonDict:
        current = self._target(params)
        if current.kind == "text":
            raise _bad_request("there is no caption in the message to edit")
        fields = self._caption_fields(params) or {
            "caption": None,
            "parse_mode": None,
            "plain_text": "",
            "entities": [],
        }
        return self._edit(current, "editMessageCaption", params, **fields)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        current = self._target(params)
        return self._edit(current, "editMessageReplyMarkup", params)

    async def _delete_message(self, params: JsonDict) -> bool:
        chat = self._chats.get(int(params.get("chat_id") or 0))
        message_id = params.get("message_id")
        known = chat is not None and (
            message_id in chat.bot_messages or message_id in chat.user_messages
        )
        if chat is None or not known or message_id in chat.deleted:
            raise _bad_request("message to delete not found")
        chat.deleted.add(int(message_id))
        return True

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callback_queries:
            raise _bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.get("text")
        if text is not None and len(text) > _MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = CallbackAnswer(
            seq=self._next_seq(),
            callback_query_id=query_id,
            text=text,
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=params.get("cache_time"),
        )
        return True

    async def _answer_pre_checkout_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("pre_checkout_query_id", ""))
        if query_id not in self._open_pre_checkout_queries:
            raise _bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        ok = bool(params.get("ok"))
        if not ok and not params.get("error_message"):
            raise _bad_request("error_message is required when ok is false")
        self._open_pre_checkout_queries.discard(query_id)
        self.pre_checkout_answers[query_id] = PreCheckoutAnswer(
            seq=self._next_seq(),
            pre_checkout_query_id=query_id,
            ok=ok,
            error_message=params.get("error_message"),
        )
        return True

    async def _refund_star_payment(self, params: JsonDict) -> bool:
        charge_id = str(params.get("telegram_payment_charge_id", ""))
        user_id = params.get("user_id")
        charge = self._charges.get(charge_id)
        if charge is None or charge[0] != user_id:
            raise _bad_request("CHARGE_ID_INVALID")
        if charge[1]:
            raise _bad_request("CHARGE_ALREADY_REFUNDED")
        self._charges[charge_id] = (charge[0], True)
        self.refunds.append((charge[0], charge_id))
        return True


def _short(params: JsonDict, width: int = 120) -> str:
    shown = {
        name: (f"<file {value.filename}>" if isinstance(value, UploadedFile) else value)
        for name, value in params.items()
    }
    text = json.dumps(shown, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
