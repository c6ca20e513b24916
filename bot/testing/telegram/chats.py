"""The chats the fake Telegram keeps: every version of every bot message, the users' messages
and profiles, and one sequence number shared by user actions and bot messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.testing.telegram.records import BotMessage, JsonDict
from bot.testing.telegram.validation import bad_request


@dataclass
class Chat:
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


class Chats:
    """Private chats (positive ids) and groups (negative ids) by id, created on first use."""

    def __init__(self, bot_user: JsonDict) -> None:
        self.bot_user = bot_user
        self.users: dict[int, JsonDict] = {}
        # Every bot message version, in the order they were made.
        self.events: list[BotMessage] = []
        self.seq = 0
        self._chats: dict[int, Chat] = {}

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def get(self, chat_id: int) -> Chat | None:
        return self._chats.get(chat_id)

    def chat(self, chat_id: int) -> Chat:
        return self._chats.setdefault(chat_id, Chat(chat_id))

    def set_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        user = self.users.setdefault(
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

    def chat_dict(self, chat_id: int) -> JsonDict:
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
        chat: JsonDict = {"id": chat_id, "type": "private"}
        user = self.users.get(chat_id)
        chat["first_name"] = user["first_name"] if user else "Test User"
        if user and "username" in user:
            chat["username"] = user["username"]
        return chat

    def user_message(self, user_id: int, content: JsonDict) -> JsonDict:
        """A message from the user in their private chat, stored so the bot can copy it."""
        chat = self.chat(user_id)
        message = {
            "message_id": chat.take_message_id(),
            "date": int(time.time()),
            "chat": self.chat_dict(user_id),
            "from": self.set_user(user_id),
            **content,
        }
        chat.user_messages[message["message_id"]] = message
        return message

    def record(self, message: BotMessage) -> BotMessage:
        self.chat(message.chat_id).bot_messages.setdefault(message.message_id, []).append(message)
        self.events.append(message)
        return message

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """Current version of every bot message in the chat, oldest first."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            versions[-1]
            for message_id, versions in sorted(chat.bot_messages.items())
            if include_deleted or message_id not in chat.deleted
        ]

    def history(self, chat_id: int, message_id: int) -> list[BotMessage]:
        """Every version of one bot message, the original first."""
        chat = self._chats.get(chat_id)
        return list(chat.bot_messages.get(message_id, [])) if chat else []

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        chat = self._chats.get(chat_id)
        return chat is not None and message_id in chat.deleted

    def target(self, params: JsonDict) -> BotMessage:
        """The current version of the bot message an edit names, or Telegram's error."""
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if chat_id is None or message_id is None:
            raise bad_request("message to edit not found")
        chat = self.chat(int(chat_id))
        if message_id in chat.user_messages:
            raise bad_request("message can't be edited")
        if message_id not in chat.bot_messages or message_id in chat.deleted:
            raise bad_request("message to edit not found")
        return chat.bot_messages[message_id][-1]

    def message_dict(self, message: BotMessage) -> JsonDict:
        """The Message object Telegram would return for this version."""
        result: JsonDict = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self.chat_dict(message.chat_id),
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
