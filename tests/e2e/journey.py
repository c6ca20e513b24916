"""A customer as the tests play them: they type, press buttons and read what the bot sent.

Every press waits for the bot's answer to the callback query, so a handler that forgets to
answer fails the test that pressed (after a timeout that names the query).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.money import Money
from bot.telegram.i18n import Translator
from storage.ledger import EntryKind, LedgerEntry
from storage.orders import Order
from tests.e2e.conftest import Storefront
from tests.fakes.panel import default_services
from tests.fakes.telegram import BotMessage, CallbackAnswer, FakeTelegramServer

_CATALOG = default_services()
FOLLOWERS = _CATALOG[1]  # Default, Instagram, 50–10000, refill + cancel, rate 0.90
LIKES = _CATALOG[2]  # Default, Instagram, 10–5000, neither refill nor cancel
PACKAGE = _CATALOG[3]  # Package, Telegram, rate 4.5 per package
COMMENTS = _CATALOG[4]  # Custom Comments, Instagram, 5–500 lines, cancel, rate 12.00
POLL = _CATALOG[5]  # Poll, Telegram, 100–100000, rate 0.75
INSTAGRAM_LINK = "https://instagram.com/p/alice_post"


@dataclass
class Customer:
    front: Storefront
    user_id: int
    language: str = "en"
    first_name: str = "Alice"

    @property
    def tg(self) -> FakeTelegramServer:
        return self.front.telegram

    @property
    def t(self) -> Translator:
        """The translator of the language the customer expects to be spoken to in."""
        return self.front.translations.get(self.language)

    async def start(self) -> BotMessage:
        await self.tg.send_message(
            self.user_id, "/start", language_code=self.language, first_name=self.first_name
        )
        return await self.tg.wait_for_message(self.user_id)

    async def say(self, text: str) -> BotMessage:
        """Send a text and return the bot's first reply to it."""
        await self.tg.send_message(self.user_id, text, language_code=self.language)
        return await self.tg.wait_for_message(self.user_id)

    async def next_message(self, *, contains: str | None = None) -> BotMessage:
        return await self.tg.wait_for_message(self.user_id, contains=contains)

    async def press(self, button: str, *, message_id: int | None = None) -> CallbackAnswer:
        """Press a button (on the latest keyboard unless ``message_id``) and wait for the answer."""
        query = await self.tg.click_button(self.user_id, button, message_id=message_id)
        return await self.tg.wait_for_callback_answer(query)

    async def press_data(self, message_id: int, data: str) -> CallbackAnswer:
        """Press a button carrying arbitrary data, as a stale or forged button would."""
        query = await self.tg.click(self.user_id, message_id, data)
        return await self.tg.wait_for_callback_answer(query)

    async def tap(self, button: str, *, message_id: int | None = None) -> BotMessage:
        """Press a button and return the screen it leads to: the pressed message, edited.

        Waiting for that message (rather than for any next one) keeps a notification that
        the bot sends meanwhile, e.g. about a status the press discovered, out of the way.
        """
        if message_id is None:
            with_keyboard = [
                message for message in self.tg.messages(self.user_id) if message.buttons
            ]
            assert with_keyboard, f"no keyboard to press {button!r} on"
            message_id = with_keyboard[-1].message_id
        await self.press(button, message_id=message_id)
        return await self.tg.wait_for_message(
            self.user_id, where=lambda message: message.message_id == message_id
        )

    def screen(self) -> list[tuple[int, int]]:
        """Every bot message in the chat with its version: equal snapshots mean nothing moved."""
        return [
            (message.message_id, message.version)
            for message in self.tg.messages(self.user_id, include_deleted=True)
        ]

    # --- walks ------------------------------------------------------------------------------

    async def open_service(self, service_name: str, category: str) -> BotMessage:
        """From the main menu to a service card."""
        await self.tap(self.t("menu-new-order"), message_id=await self._menu_message_id())
        await self.tap(f"{category} (")
        return await self.tap(service_name)

    async def begin_order(self, service_name: str, category: str) -> BotMessage:
        """From the main menu to the link prompt of a service."""
        await self.open_service(service_name, category)
        return await self.tap(self.t("button-order-this"))

    async def reach_confirmation(
        self,
        *,
        link: str = INSTAGRAM_LINK,
        quantity: str = "1000",
        service_name: str = FOLLOWERS.name,
        category: str = FOLLOWERS.category,
    ) -> BotMessage:
        """Walk a Default service up to its confirmation card."""
        await self.begin_order(service_name, category)
        await self.say(link)
        return await self.say(quantity)

    async def _menu_message_id(self) -> int:
        """The latest message with the main menu, after /menu if there is none."""
        new_order = self.t("menu-new-order")
        for message in reversed(self.tg.messages(self.user_id)):
            if new_order in message.button_texts:
                return message.message_id
        return (await self.say("/menu")).message_id


def confirm_data(card: BotMessage, t: Translator) -> str:
    """The callback data of the Confirm button on a confirmation card."""
    return str(card.button(t("button-confirm"))["callback_data"])


async def ledger(front: Storefront, user_id: int) -> list[tuple[EntryKind, Money, str | None]]:
    """The user's ledger, oldest first, as (kind, amount, reference)."""
    entries: list[LedgerEntry] = await front.r.ledger.recent(user_id, limit=1000)
    return [(entry.kind, entry.amount, entry.reference) for entry in reversed(entries)]


async def orders_of(front: Storefront, user_id: int) -> list[Order]:
    """The user's orders, oldest first."""
    return list(reversed(await front.r.orders.for_user(user_id, limit=1000)))


def money(text: str) -> Money:
    return Money.parse(text)


def usd(t: Translator, amount: str) -> str:
    """An amount of the shop's currency (USD here) as the customer's language writes it."""
    value = -money(amount[1:]) if amount.startswith("-") else money(amount)
    return t.money(value, "USD")
