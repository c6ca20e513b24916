"""Helpers for the owner's-controls tests: a person in a chat (admin or customer), seeding.

Kept apart from the customer journey helpers so the admin tests do not depend on files other
features are still changing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.telegram.i18n import Translator
from storage.repository import Repository
from tests.e2e.conftest import Storefront
from tests.fakes.panel import default_services
from tests.fakes.telegram import BotMessage, CallbackAnswer, FakeTelegramServer

CATALOG = default_services()
FOLLOWERS = CATALOG[1]  # Instagram, Default, rate 0.90 per 1000, 50–10000
LIKES = CATALOG[2]  # Instagram, Default, rate 0.12 per 1000, 10–5000
PACKAGE = CATALOG[3]  # Telegram, Package, 4.5 per package
VIEWS = CATALOG[7]  # YouTube, Default, rate 1.27819 per 1000
INSTAGRAM_LINK = "https://instagram.com/p/owner_tests"


@dataclass
class Person:
    """Someone writing to the bot: they type, press buttons and read what it sent back."""

    front: Storefront
    user_id: int
    language: str = "en"
    first_name: str = "Tester"

    @property
    def tg(self) -> FakeTelegramServer:
        return self.front.telegram

    @property
    def t(self) -> Translator:
        return self.front.translations.get(self.language)

    async def start(self) -> BotMessage:
        await self.tg.send_message(
            self.user_id, "/start", language_code=self.language, first_name=self.first_name
        )
        return await self.tg.wait_for_message(
            self.user_id, where=lambda message: self.t("menu-new-order") in message.button_texts
        )

    async def say(self, text: str) -> BotMessage:
        """Send a text; the bot's first reply to it."""
        await self.tg.send_message(self.user_id, text, language_code=self.language)
        return await self.tg.wait_for_message(self.user_id)

    async def next_message(self, *, contains: str | None = None) -> BotMessage:
        return await self.tg.wait_for_message(self.user_id, contains=contains)

    async def press(self, button: str, *, message_id: int | None = None) -> CallbackAnswer:
        query = await self.tg.click_button(self.user_id, button, message_id=message_id)
        return await self.tg.wait_for_callback_answer(query)

    async def press_data(self, message_id: int, data: str) -> CallbackAnswer:
        """Press a button with arbitrary data on one of the bot's messages (a forged button)."""
        query = await self.tg.click(self.user_id, message_id, data)
        return await self.tg.wait_for_callback_answer(query)

    async def tap(self, button: str, *, message_id: int | None = None) -> BotMessage:
        """Press a button and return the next screen (the pressed message edited, or a new one)."""
        await self.press(button, message_id=message_id)
        return await self.tg.wait_for_message(self.user_id)

    async def tap_edit(self, button: str, *, message_id: int) -> BotMessage:
        """Press a button and return the pressed message once edited (ignores other messages)."""
        await self.press(button, message_id=message_id)
        return await self.tg.wait_for_message(
            self.user_id, where=lambda message: message.message_id == message_id
        )

    # --- walks through the catalog --------------------------------------------------------

    async def open_category(self, category: str) -> BotMessage:
        """/order, then the category: the screen listing its services with their prices."""
        categories = await self.say("/order")
        return await self.tap_edit(f"{category} (", message_id=categories.message_id)

    def category_labels(self, categories: BotMessage) -> list[str]:
        return [text for text in categories.button_texts if text.endswith(")")]

    async def catalog_categories(self) -> list[str]:
        """The category names a customer is offered right now."""
        screen = await self.say("/order")
        return [text.rsplit(" (", 1)[0] for text in self.category_labels(screen)]

    async def service_labels(self, category: str) -> list[str]:
        screen = await self.open_category(category)
        return [text for text in screen.button_texts if " · " in text]

    async def open_service(self, category: str, service_name: str) -> BotMessage:
        screen = await self.open_category(category)
        return await self.tap_edit(service_name, message_id=screen.message_id)

    async def reach_confirmation(
        self, category: str, service_name: str, *, quantity: str = "1000"
    ) -> BotMessage:
        card = await self.open_service(category, service_name)
        await self.tap_edit(self.t("button-order-this"), message_id=card.message_id)
        await self.say(INSTAGRAM_LINK)
        return await self.say(quantity)


def service_label(t: Translator, name: str, price: str) -> str:
    """A service button as the catalog shows it."""
    return t("service-button", name=name, price=price)


async def send_formatted_text(
    telegram: FakeTelegramServer, user_id: int, text: str, entities: list[dict[str, Any]]
) -> int:
    """The user sends a text with formatting (entities), as Telegram delivers it.

    FakeTelegramServer's public ``send_message`` only marks commands; a formatted text needs
    its entities stored with the message so that ``copyMessage`` copies them.
    """
    return await telegram._send_user_message(user_id, {"text": text, "entities": entities})


async def seed_users(
    repo: Repository, user_ids: range | list[int], *, language: str = "en"
) -> None:
    async with repo.database.transaction():  # one commit for all of them
        for user_id in user_ids:
            await repo.users.register(
                user_id, language=language, first_name=f"User {user_id}", username=None
            )


def copies_by_chat(telegram: FakeTelegramServer, chat_ids: range | list[int]) -> Counter[int]:
    """How many copied messages each chat received (only successful copies create one)."""
    counts: Counter[int] = Counter()
    for chat_id in chat_ids:
        received = [m for m in telegram.messages(chat_id) if m.method == "copyMessage"]
        if received:
            counts[chat_id] = len(received)
    return counts
