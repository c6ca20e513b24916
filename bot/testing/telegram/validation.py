"""Telegram's checks on what a bot sends (text limits, HTML parse mode, keyboards, parameters),
and the errors it answers with when one fails."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any, ClassVar

from bot.testing.telegram.records import JsonDict

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
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200


class ApiFailure(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


def bad_request(description: str) -> ApiFailure:
    return ApiFailure(400, f"Bad Request: {description}")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TelegramHtml(HTMLParser):
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
            raise bad_request(
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
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{tag}" '
                f"at byte offset {self._byte_offset()}"
            )
        new: JsonDict = {"type": entity_type, "offset": self._length, "length": 0}
        entity: JsonDict | None = new
        if tag == "a":
            entity = None if not attributes.get("href") else {**new, "url": attributes["href"]}
        elif tag == "blockquote" and "expandable" in attributes:
            new["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            new["custom_emoji_id"] = attributes.get("emoji-id") or ""
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
        raise bad_request(
            f'can\'t parse entities: Unsupported start tag "{tag}" '
            f"at byte offset {self._byte_offset()}"
        )

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            raise bad_request(
                f"can't parse entities: Unexpected end tag at byte offset {self._byte_offset()}"
            )
        open_tag, entity = self._open.pop()
        if open_tag != tag:
            raise bad_request(
                f"can't parse entities: Unmatched end tag at byte offset "
                f'{self._byte_offset()}, expected "</{open_tag}>", found "</{tag}>"'
            )
        if entity is not None:
            entity["length"] = self._length - entity["offset"]

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        self._length += utf16_length(data)


def render(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    """Visible text and entities, as Telegram computes them for the given parse mode."""
    if parse_mode and parse_mode.upper() == "HTML":
        return TelegramHtml.parse(text)
    return text, []


def decode_parameter(name: str, value: str) -> Any:
    if name in _STRING_PARAMETERS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def scope_key(scope: JsonDict | None) -> str:
    """A readable key for a BotCommandScope: "default", "chat:42", "chat_member:-1:42"."""
    if not scope:
        return "default"
    parts = [str(scope["type"])]
    parts += [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
    return ":".join(parts)


def update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


def render_checked(
    text: str, parse_mode: str | None, *, limit: int, empty: str
) -> tuple[str, list[JsonDict]]:
    """Visible text and entities of a text or caption, refused as Telegram refuses them."""
    plain, entities = render(text, parse_mode)
    if not plain.strip():
        raise bad_request(empty)
    if utf16_length(plain) > limit:
        raise bad_request(
            "message is too long" if limit == MAX_TEXT_LENGTH else "message caption is too long"
        )
    return plain, entities


def caption_fields(params: JsonDict) -> JsonDict:
    """The BotMessage fields of a request's caption (none without one)."""
    caption = params.get("caption")
    if caption is None:
        return {}
    parse_mode = params.get("parse_mode")
    plain, entities = render(caption, parse_mode)
    if utf16_length(plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return {
        "caption": caption,
        "parse_mode": parse_mode,
        "plain_text": plain,
        "entities": entities,
    }


def checked_reply_markup(params: JsonDict) -> JsonDict | None:
    """The request's reply markup, refused as Telegram refuses a malformed inline keyboard."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            actions = _INLINE_BUTTON_ACTIONS.intersection(button)
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup
