"""The fake Telegram as the tests use it: the Bot API (:class:`FakeBotApi`) plus the people
writing to the bot (they send messages, press buttons, pay invoices) and waits for what the bot
did. The waits take ``timeout=`` themselves (hence the ASYNC109 exemptions) so that a failing
wait says what it waited for and what the bot did instead, which a bare ``asyncio.timeout``
around the call cannot."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from bot.testing.telegram.api import FakeBotApi
from bot.testing.telegram.records import (
    BotMessage,
    CallbackAnswer,
    InlineAnswer,
    JsonDict,
    PreCheckoutAnswer,
    UploadedFile,
)
from bot.testing.telegram.validation import scope_key, update_type, utf16_length

T = TypeVar("T")


class FakeTelegram(FakeBotApi):
    """Telegram without a transport; :class:`FakeTelegramServer` serves it over HTTP."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cursors: dict[int, int] = {}
        self._query_ids = itertools.count(7_000_000_001)
        self._charge_ids = itertools.count(1)

    # ------------------------------------------------------------------ user side: updates

    @property
    def seq(self) -> int:
        """The latest event sequence number (user actions and bot messages share it)."""
        return self.chats.seq

    @property
    def unanswered_callback_queries(self) -> set[str]:
        """Ids of callback queries the bot has not answered (yet)."""
        return set(self._open_callback_queries)

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self.updates.pending)

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        """Create or update the profile used in this user's updates."""
        return self.chats.set_user(
            user_id, first_name=first_name, language_code=language_code, username=username
        )

    async def send_update(self, update: JsonDict) -> int:
        """Queue a raw update (an ``update_id`` is assigned if missing); returns its id."""
        queued = await self.updates.push(update)
        return int(queued["update_id"])

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
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
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
        chat = self.chats.get(user_id)
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
                    "message": self.chats.message_dict(current),
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

    async def inline_query(self, user_id: int, query: str, *, offset: str = "") -> str:
        """The user types ``@bot <query>`` in some chat; returns the inline query id."""
        query_id = str(next(self._query_ids))
        self._open_inline_queries.add(query_id)
        await self.send_update(
            {
                "inline_query": {
                    "id": query_id,
                    "from": self.set_user(user_id),
                    "query": query,
                    "offset": offset,
                    "chat_type": "supergroup",
                }
            }
        )
        return query_id

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
        return self.chats.messages(user_id, include_deleted=include_deleted)

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
        return self.chats.history(user_id, message_id)

    def is_deleted(self, user_id: int, message_id: int) -> bool:
        return self.chats.is_deleted(user_id, message_id)

    def calls_to(self, method: str) -> list[JsonDict]:
        """Parameters of every call to ``method`` (case-insensitive), in order."""
        return [call.params for call in self.calls if call.method.lower() == method.lower()]

    def commands_for(
        self, *, language_code: str = "", scope: JsonDict | None = None
    ) -> list[JsonDict]:
        return self.commands.get((scope_key(scope), language_code), [])

    # ------------------------------------------------------------------ test side: waiting

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        description: str = "",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every request); return it."""
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    result = await self._changed.wait_for(predicate)
                    assert result is not None  # Condition.wait_for returns a truthy result
                    return result
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
            for message in self.chats.events:
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

    async def wait_for_inline_answer(
        self,
        inline_query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InlineAnswer:
        return await self.wait_for(
            lambda: self.inline_answers.get(inline_query_id),
            timeout=timeout,
            description=f"an answer to inline query {inline_query_id}",
        )

    def describe(self) -> str:
        """A short account of recent traffic, for failure messages."""
        lines = ["Recent API calls:"]
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        lines += [f"  {method} {short(params)}" for method, params in recent] or ["  (none)"]
        if self.errors:
            lines.append("Recent API errors:")
            lines += [
                f"  {error.method}: {error.error_code} {error.description}"
                for error in self.errors[-5:]
            ]
        if self.updates.pending:
            lines.append(f"Updates not yet confirmed by the bot: {len(self.updates.pending)}")
        if self.updates.dropped:
            types = sorted({update_type(update) for update in self.updates.dropped})
            lines.append(
                f"Updates dropped because the bot's allowed_updates {self.updates.allowed_updates} "
                f"exclude them: {types}"
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ the user's side

    async def _user_action(self, user_id: int, update: JsonDict) -> int:
        # The cursor moves to the action, so the next wait_for_message sees only replies to it.
        self._cursors[user_id] = self.chats.next_seq()
        return await self.send_update(update)

    async def _send_user_message(self, user_id: int, content: JsonDict) -> int:
        message = self.chats.user_message(user_id, content)
        return await self._user_action(user_id, {"message": message})

    async def send_formatted_message(
        self, user_id: int, text: str, entities: list[JsonDict]
    ) -> int:
        """The user sends a text with formatting (``entities``), as Telegram delivers it."""
        return await self._send_user_message(user_id, {"text": text, "entities": entities})


def short(params: JsonDict, width: int = 120) -> str:
    shown = {
        name: (f"<file {value.filename}>" if isinstance(value, UploadedFile) else value)
        for name, value in params.items()
    }
    text = json.dumps(shown, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
