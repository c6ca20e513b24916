"""What the fake Telegram records: the calls a bot made, its messages and its answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

TEST_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"

JsonDict = dict[str, Any]


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


@dataclass(frozen=True)
class InlineAnswer:
    seq: int
    inline_query_id: str
    results: list[JsonDict]
    cache_time: int | None
    is_personal: bool
    button: JsonDict | None
