"""The Bot API side of the fake Telegram: every method the storefront calls, answered from the
recorded chats with Telegram's checks and error descriptions, but no transport. The HTTP server
(:mod:`bot.testing.telegram.server`) and the in-process session (:mod:`bot.testing.in_process`)
both hand requests to :meth:`FakeBotApi.call`."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bot.testing.telegram.chats import Chats
from bot.testing.telegram.limits import Refusals
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
from bot.testing.telegram.updates import UpdateQueue
from bot.testing.telegram.validation import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_TEXT_LENGTH,
    MESSAGE_NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiFailure,
    bad_request,
    caption_fields,
    checked_reply_markup,
    render,
    render_checked,
    scope_key,
)

Method = Callable[[JsonDict], Awaitable[Any]]
MAX_INLINE_RESULTS = 50


class FakeBotApi:
    """The bot's side of the fake: methods, recorded calls and errors, knobs for refusals."""

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
            "supports_inline_queries": True,
        }
        # Knobs tests may change at any time (the refusals' too, through the properties below).
        self.latency = latency
        self.refusals = Refusals(rate_limit_per_second=rate_limit_per_second)

        # Recorded state.
        self.chats = Chats(self.bot_user)
        self.updates = UpdateQueue()
        self.calls: list[ApiCall] = []
        self.errors: list[ApiError] = []
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.pre_checkout_answers: dict[str, PreCheckoutAnswer] = {}
        self.inline_answers: dict[str, InlineAnswer] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.bot_settings: dict[str, Any] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}  # chat id (None: default) -> button
        self.refunds: list[tuple[int, str]] = []
        self.webhook_url = ""
        # Called as observer(method, params, result) the moment a request succeeds, e.g. to
        # time the bot's answers in a benchmark without scanning the recorded messages.
        self.observers: list[Callable[[str, JsonDict, Any], None]] = []

        self._open_callback_queries: set[str] = set()
        self._open_pre_checkout_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self._charges: dict[str, tuple[int, bool]] = {}  # charge id -> (user id, refunded)
        self._file_ids = itertools.count(1)
        # Notified after every request and every recorded change: what the waits wait on.
        self._changed = asyncio.Condition()

        methods: dict[str, Method] = {
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
            "answerInlineQuery": self._answer_inline_query,
            "refundStarPayment": self._refund_star_payment,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, method) for name, method in methods.items()}

    # ------------------------------------------------------------------ knobs

    @property
    def rate_limit_per_second(self) -> int | None:
        """Sent messages allowed in any sliding second (None: no limit)."""
        return self.refusals.rate_limit_per_second

    @rate_limit_per_second.setter
    def rate_limit_per_second(self, value: int | None) -> None:
        self.refusals.rate_limit_per_second = value

    @property
    def paid_rate_limit_per_second(self) -> int:
        """Sends with ``allow_paid_broadcast`` allowed in any sliding second."""
        return self.refusals.paid_rate_limit_per_second

    @paid_rate_limit_per_second.setter
    def paid_rate_limit_per_second(self, value: int) -> None:
        self.refusals.paid_rate_limit_per_second = value

    @property
    def rate_limit_retry_after(self) -> int | None:
        """The ``retry_after`` of a flood refusal (None: the time left in the window)."""
        return self.refusals.retry_after

    @rate_limit_retry_after.setter
    def rate_limit_retry_after(self, value: int | None) -> None:
        self.refusals.retry_after = value

    @property
    def rate_limited_count(self) -> int:
        return self.refusals.rate_limited

    @property
    def paid_broadcasts(self) -> int:
        """Sends accepted with ``allow_paid_broadcast``."""
        return self.refusals.paid_broadcasts

    @property
    def blocked_users(self) -> set[int]:
        return self.refusals.blocked_users

    @property
    def missing_chats(self) -> set[int]:
        return self.refusals.missing_chats

    @property
    def dropped_updates(self) -> list[JsonDict]:
        return self.updates.dropped

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
        self.refusals.fail_next(
            method,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            chat_id=chat_id,
            times=times,
        )

    # ------------------------------------------------------------------ one request

    async def call(self, requested: str, params: JsonDict, *, token: str) -> tuple[int, JsonDict]:
        """Answer one Bot API request: (HTTP status, body) as Telegram would send them."""
        method, handler = self._methods.get(requested.lower(), (requested, None))
        self.calls.append(ApiCall(method, params))
        await self._notify()  # a long poll may be waited on while it is still pending
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            if token != self.token:
                raise ApiFailure(401, "Unauthorized")
            if handler is None:
                raise ApiFailure(404, "Not Found")
            self.refusals.check(method, params)
            try:
                result = await handler(params)
            except ApiFailure:
                raise
            except Exception as error:
                # A bug in the fake (or a request it cannot make sense of) must not look like
                # a network problem: answer as Telegram does when it fails.
                raise ApiFailure(500, f"Internal Server Error: {error!r}") from error
            for observer in self.observers:
                observer(method, params, result)
            body: JsonDict = {"ok": True, "result": result}
            status = 200
        except ApiFailure as failure:
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
        return status, body

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ recording messages

    def _record(self, message: BotMessage) -> BotMessage:
        """Store a new message or version (subclasses watch here)."""
        return self.chats.record(message)

    def _new_message(self, method: str, kind: str, params: JsonDict, **fields: Any) -> JsonDict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        chat = self.chats.chat(chat_id)
        message = BotMessage(
            seq=self.chats.next_seq(),
            chat_id=chat_id,
            message_id=chat.take_message_id(),
            method=method,
            kind=kind,
            date=int(time.time()),
            reply_markup=checked_reply_markup(params),
            params=params,
            **fields,
        )
        return self.chats.message_dict(self._record(message))

    def _edit(self, current: BotMessage, method: str, params: JsonDict, **changes: Any) -> JsonDict:
        # An edit without reply_markup removes the inline keyboard, as on Telegram.
        changes["reply_markup"] = checked_reply_markup(params)
        # Telegram compares what the user would see: rendered text, entities and keyboard.
        compared = [name for name in ("plain_text", "entities", "reply_markup") if name in changes]
        if all(getattr(current, name) == changes[name] for name in compared):
            raise ApiFailure(400, MESSAGE_NOT_MODIFIED)
        edited = replace(
            current,
            **changes,
            seq=self.chats.next_seq(),
            method=method,
            version=current.version + 1,
            edit_date=int(time.time()),
            params=params,
        )
        return self.chats.message_dict(self._record(edited))

    # ------------------------------------------------------------------ Bot API methods

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        allowed = params.get("allowed_updates")
        return await self.updates.get_updates(
            offset=params.get("offset"),
            limit=min(max(int(params.get("limit") or 100), 1), 100),
            timeout=max(float(params.get("timeout") or 0), 0.0),
            allowed=list(allowed) if allowed is not None else None,
        )

    async def _delete_webhook(self, params: JsonDict) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _set_webhook(self, params: JsonDict) -> bool:
        self.webhook_url = str(params.get("url", ""))
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending),
        }

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH" if commands else "commands must be non-empty")
        for command in commands:
            name = str(command.get("command", ""))
            if not (
                1 <= len(name) <= 32
                and all(c.islower() or c.isdigit() or c == "_" for c in name)
                and name.isascii()
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (scope_key(params.get("scope")), str(params.get("language_code", "")))
        self.commands[key] = commands
        return True

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        key = (scope_key(params.get("scope")), str(params.get("language_code", "")))
        self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        key = (scope_key(params.get("scope")), str(params.get("language_code", "")))
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
            raise bad_request("can't parse menu button")
        if button["type"] == "web_app" and not str(
            button.get("web_app", {}).get("url", "")
        ).startswith("https://"):
            raise bad_request("BUTTON_URL_INVALID")
        chat_id = params.get("chat_id")
        self.menu_buttons[None if chat_id is None else int(chat_id)] = button
        return True

    async def _send_message(self, params: JsonDict) -> JsonDict:
        text = params.get("text")
        if not isinstance(text, str):
            raise bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain, entities = render_checked(
            text, parse_mode, limit=MAX_TEXT_LENGTH, empty="message text is empty"
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
                raise bad_request(f"there is no {kind} in the request")
            return self._new_message(
                method, kind, params, file=file, file_id=file_id, **caption_fields(params)
            )

        return send_media

    async def _copy_message(self, params: JsonDict) -> JsonDict:
        source_chat = self.chats.get(int(params.get("from_chat_id") or 0))
        message_id = params.get("message_id")
        fields: JsonDict
        if source_chat is None or message_id in source_chat.deleted:
            raise bad_request("message to copy not found")
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
            raise bad_request("message to copy not found")
        fields.update(caption_fields(params))
        copied = self._new_message("copyMessage", fields.pop("kind"), params, **fields)
        return {"message_id": copied["message_id"]}

    async def _send_chat_action(self, params: JsonDict) -> bool:
        return True

    async def _send_invoice(self, params: JsonDict) -> JsonDict:
        prices = params.get("prices")
        if not isinstance(prices, list) or not prices:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        currency = str(params.get("currency", ""))
        total = sum(int(price["amount"]) for price in prices)
        if total <= 0 or (currency == "XTR" and len(prices) != 1):
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
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
        current = self.chats.target(params)
        if current.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = params.get("text")
        if not isinstance(text, str):
            raise bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain, entities = render_checked(
            text, parse_mode, limit=MAX_TEXT_LENGTH, empty="message text is empty"
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
        current = self.chats.target(params)
        if current.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        fields = caption_fields(params) or {
            "caption": None,
            "parse_mode": None,
            "plain_text": "",
            "entities": [],
        }
        return self._edit(current, "editMessageCaption", params, **fields)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        current = self.chats.target(params)
        return self._edit(current, "editMessageReplyMarkup", params)

    async def _delete_message(self, params: JsonDict) -> bool:
        chat = self.chats.get(int(params.get("chat_id") or 0))
        message_id = params.get("message_id")
        known = chat is not None and (
            message_id in chat.bot_messages or message_id in chat.user_messages
        )
        if chat is None or not known or not isinstance(message_id, int):
            raise bad_request("message to delete not found")
        if message_id in chat.deleted:
            raise bad_request("message to delete not found")
        chat.deleted.add(message_id)
        return True

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callback_queries:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.get("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self.callback_answers[query_id] = CallbackAnswer(
            seq=self.chats.next_seq(),
            callback_query_id=query_id,
            text=text,
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=params.get("cache_time"),
        )
        return True

    async def _answer_inline_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._open_inline_queries:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        results = params.get("results")
        if not isinstance(results, list) or len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if any(not 1 <= len(result_id.encode()) <= 64 for result_id in ids):
            raise bad_request("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            if result.get("type") != "article" or not result.get("title"):
                raise bad_request("RESULT_TYPE_INVALID")
            if "message_text" in content:
                render(str(content["message_text"]), content.get("parse_mode"))
        self._open_inline_queries.discard(query_id)
        button = params.get("button")
        self.inline_answers[query_id] = InlineAnswer(
            seq=self.chats.next_seq(),
            inline_query_id=query_id,
            results=results,
            cache_time=params.get("cache_time"),
            is_personal=bool(params.get("is_personal", False)),
            button=button if isinstance(button, dict) else None,
        )
        return True

    async def _answer_pre_checkout_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("pre_checkout_query_id", ""))
        if query_id not in self._open_pre_checkout_queries:
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        ok = bool(params.get("ok"))
        if not ok and not params.get("error_message"):
            raise bad_request("error_message is required when ok is false")
        self._open_pre_checkout_queries.discard(query_id)
        self.pre_checkout_answers[query_id] = PreCheckoutAnswer(
            seq=self.chats.next_seq(),
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
            raise bad_request("CHARGE_ID_INVALID")
        if charge[1]:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        self._charges[charge_id] = (charge[0], True)
        self.refunds.append((charge[0], charge_id))
        return True
