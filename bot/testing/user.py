"""The one test user: someone in a private chat with the bot who sends, clicks, reads and waits.

It talks to a :class:`~bot.testing.telegram.FakeTelegram`, so the same user (and the same test)
works over real HTTP (:class:`~bot.testing.telegram.FakeTelegramServer` polled by the bot) and in
process (:mod:`bot.testing.in_process`). Every press waits for the bot's answer to the callback
query, so a handler that forgets to answer fails the test that pressed, naming the query.

Waits start at the user's last action: a reply that arrived before the call still counts, and
consecutive waits walk through the replies in order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.telegram.i18n import Translations, Translator
from bot.testing.panel import default_services
from bot.testing.telegram import BotMessage, CallbackAnswer, FakeTelegram

_CATALOG = default_services()
DEFAULT_SERVICE = _CATALOG[1]  # Followers: Default, Instagram, 50–10000
DEFAULT_LINK = "https://instagram.com/p/alice_post"

MessageFilter = Callable[[BotMessage], bool]


@functools.cache
def shared_translations(default_language: str = "en") -> Translations:
    """Parsing every .ftl file is most of a bot's start-up cost; the bundles never change."""
    return Translations(default_language)


def has_button(message: BotMessage, text: str) -> bool:
    """True if a button of ``message`` contains ``text``."""
    return any(text in button["text"] for button in message.buttons)


@dataclass
class ChatUser:
    """A Telegram user writing to the bot in their private chat."""

    telegram: FakeTelegram
    user_id: int
    language: str = "en"
    first_name: str | None = None  # None: the fake's default profile ("Test User")
    # What the user expects the bot to say, in ``language``.
    translations: Translations = field(default_factory=shared_translations)
    # How long any one wait may take before the test fails, saying what it waited for.
    timeout: float = 5.0

    @property
    def t(self) -> Translator:
        """The translator of the language the user expects to be spoken to in (the shipped one
        a Telegram ``language_code`` such as ``ru-RU`` resolves to)."""
        return self.translations.get(self.translations.resolve_language(self.language))

    # --- sending ------------------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Send a text (a command if it starts with "/") without waiting; the update id."""
        return await self.telegram.send_message(
            self.user_id, text, language_code=self.language, first_name=self.first_name
        )

    async def say(
        self, text: str, *, where: MessageFilter | None = None, contains: str | None = None
    ) -> BotMessage:
        """Send a text; the bot's first message after it (that matches, if asked)."""
        await self.send(text)
        return await self.next_message(where=where, contains=contains)

    async def start(self) -> BotMessage:
        """/start; the message with the main menu."""
        menu = self.t("menu-new-order")
        return await self.say("/start", where=lambda message: menu in message.button_texts)

    # --- clicking -----------------------------------------------------------------------

    def keyboard(self) -> BotMessage:
        """The latest bot message with an inline keyboard."""
        with_keyboard = [m for m in self.telegram.messages(self.user_id) if m.buttons]
        assert with_keyboard, f"no bot message with a keyboard in chat {self.user_id}"
        return with_keyboard[-1]

    async def click(self, button: str, *, message_id: int | None = None) -> str:
        """Press the button whose text equals (else contains) ``button``, on ``message_id`` or
        the latest keyboard, without waiting; the callback query id."""
        message = (
            self.keyboard()
            if message_id is None
            else self.telegram.message(self.user_id, message_id)
        )
        data = message.button(button).get("callback_data")
        assert data is not None, f"button {button!r} is not a callback button"
        return await self.click_data(message.message_id, str(data))

    async def click_data(self, message_id: int, data: str) -> str:
        """Press a button carrying ``data`` on a bot message, as a stale or forged button
        would, without waiting; the callback query id."""
        return await self.telegram.click(self.user_id, message_id, data)

    async def answer_to(self, query_id: str) -> CallbackAnswer:
        """The bot's answer to a callback query."""
        return await self.telegram.wait_for_callback_answer(query_id, timeout=self.timeout)

    async def press(self, button: str, *, message_id: int | None = None) -> CallbackAnswer:
        """Press a button (on the latest keyboard unless ``message_id``); the bot's answer."""
        return await self.answer_to(await self.click(button, message_id=message_id))

    async def press_data(self, message_id: int, data: str) -> CallbackAnswer:
        """Press a button carrying arbitrary data; the bot's answer."""
        return await self.answer_to(await self.click_data(message_id, data))

    async def tap(self, button: str, *, message_id: int | None = None) -> BotMessage:
        """Press a button; the screen it leads to: the pressed message, edited.

        Waiting for that message (rather than for any next one) keeps a notification that
        the bot sends meanwhile out of the way.
        """
        if message_id is None:
            message_id = self.keyboard().message_id
        await self.press(button, message_id=message_id)
        return await self.next_message(where=lambda message: message.message_id == message_id)

    async def tap_next(
        self, button: str, *, message_id: int | None = None, where: MessageFilter | None = None
    ) -> BotMessage:
        """Press a button; the next bot message (the pressed one edited, or a new one)."""
        await self.press(button, message_id=message_id)
        return await self.next_message(where=where)

    async def tap_data(self, message_id: int, data: str) -> BotMessage:
        """Press a button carrying arbitrary data; the next bot message."""
        await self.press_data(message_id, data)
        return await self.next_message()

    # --- reading ------------------------------------------------------------------------

    async def next_message(
        self,
        *,
        where: MessageFilter | None = None,
        contains: str | None = None,
        after: int | None = None,
    ) -> BotMessage:
        """The next bot message in the chat (new or edited), after ``after`` (a ``seq``) if
        given, else after the user's last action and the last message a wait returned."""
        return await self.telegram.wait_for_message(
            self.user_id, after=after, contains=contains, where=where, timeout=self.timeout
        )

    def last_message(self) -> BotMessage:
        """The latest bot message in the chat (its current version)."""
        message = self.telegram.last_message(self.user_id)
        assert message is not None, f"the bot sent nothing to chat {self.user_id}"
        return message

    def messages(self) -> list[BotMessage]:
        """Every bot message in the chat, current versions, oldest first."""
        return self.telegram.messages(self.user_id)

    def screen(self) -> list[tuple[int, int]]:
        """Every bot message in the chat with its version: equal snapshots mean nothing moved."""
        return [
            (message.message_id, message.version)
            for message in self.telegram.messages(self.user_id, include_deleted=True)
        ]

    # --- walks through the shop -----------------------------------------------------------

    async def menu(self) -> BotMessage:
        """The latest message with the main menu, after /menu if there is none."""
        new_order = self.t("menu-new-order")
        for message in reversed(self.telegram.messages(self.user_id)):
            if new_order in message.button_texts:
                return message
        return await self.say("/menu")

    async def open_category(self, category: str) -> BotMessage:
        """/order, then the category: the screen listing its services with their prices."""
        categories = await self.say("/order")
        return await self.tap(f"{category} (", message_id=categories.message_id)

    @staticmethod
    def category_labels(categories: BotMessage) -> list[str]:
        return [text for text in categories.button_texts if text.endswith(")")]

    async def catalog_categories(self) -> list[str]:
        """The category names a customer is offered right now."""
        screen = await self.say("/order")
        return [text.rsplit(" (", 1)[0] for text in self.category_labels(screen)]

    async def service_labels(self, category: str) -> list[str]:
        screen = await self.open_category(category)
        return [text for text in screen.button_texts if " · " in text]

    async def open_service(
        self, *, service: str = DEFAULT_SERVICE.name, category: str = DEFAULT_SERVICE.category
    ) -> BotMessage:
        """From the main menu to a service card."""
        await self.tap(self.t("menu-new-order"), message_id=(await self.menu()).message_id)
        await self.tap(f"{category} (")
        return await self.tap(service)

    async def begin_order(
        self, *, service: str = DEFAULT_SERVICE.name, category: str = DEFAULT_SERVICE.category
    ) -> BotMessage:
        """From the main menu to the link prompt of a service."""
        await self.open_service(service=service, category=category)
        return await self.tap(self.t("button-order-this"))

    async def reach_confirmation(
        self,
        *,
        service: str = DEFAULT_SERVICE.name,
        category: str = DEFAULT_SERVICE.category,
        link: str = DEFAULT_LINK,
        quantity: int | str = 1000,
    ) -> BotMessage:
        """Walk a Default service up to its confirmation card."""
        await self.begin_order(service=service, category=category)
        await self.say(link)
        confirm = self.t("button-confirm")
        return await self.say(str(quantity), where=lambda message: has_button(message, confirm))

    # --- an admin's conveniences ----------------------------------------------------------

    async def add_balance(self, user_id: int, amount: str) -> BotMessage:
        """/addbalance as an admin; the bot's confirmation."""
        done = self.t("admin-balance-credited", user_id=user_id, amount="@", balance="@")
        before, _, middle = done.partition("@")
        middle = middle.partition("@")[0]  # " to user <id>. Their balance: "
        return await self.say(
            f"/addbalance {user_id} {amount}",
            where=lambda m: m.plain_text.startswith(before) and middle in m.plain_text,
        )
