"""What the e2e tests share besides the storefront fixture and the test user
(:class:`bot.testing.user.ChatUser`, made by ``storefront.user(...)``): the catalog of the fake
panel, readings of the database, seeding, and amounts as a language writes them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.core.money import Money
from bot.telegram.i18n import Translator
from bot.testing.panel import default_services
from bot.testing.telegram import BotMessage, FakeTelegram
from bot.testing.user import DEFAULT_LINK
from storage.ledger import EntryKind, LedgerEntry
from storage.orders import Order
from storage.repository import Repository
from tests.e2e.conftest import Storefront

_CATALOG = default_services()
FOLLOWERS = _CATALOG[1]  # Default, Instagram, 50–10000, refill + cancel, rate 0.90
LIKES = _CATALOG[2]  # Default, Instagram, 10–5000, neither refill nor cancel
PACKAGE = _CATALOG[3]  # Package, Telegram, rate 4.5 per package
COMMENTS = _CATALOG[4]  # Custom Comments, Instagram, 5–500 lines, cancel, rate 12.00
POLL = _CATALOG[5]  # Poll, Telegram, 100–100000, rate 0.75
VIEWS = _CATALOG[7]  # YouTube, Default, rate 1.27819 per 1000
INSTAGRAM_LINK = DEFAULT_LINK


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


def service_label(t: Translator, name: str, price: str) -> str:
    """A service button as the catalog shows it."""
    return t("service-button", name=name, price=price)


async def send_formatted_text(
    telegram: FakeTelegram, user_id: int, text: str, entities: list[dict[str, Any]]
) -> int:
    """The user sends a text with formatting (entities), as Telegram delivers it."""
    return await telegram.send_formatted_message(user_id, text, entities)


async def seed_users(
    repo: Repository, user_ids: range | list[int], *, language: str = "en"
) -> None:
    async with repo.database.transaction():  # one commit for all of them
        for user_id in user_ids:
            await repo.users.register(
                user_id, language=language, first_name=f"User {user_id}", username=None
            )


def copies_by_chat(telegram: FakeTelegram, chat_ids: range | list[int]) -> Counter[int]:
    """How many copied messages each chat received (only successful copies create one)."""
    counts: Counter[int] = Counter()
    for chat_id in chat_ids:
        received = [m for m in telegram.messages(chat_id) if m.method == "copyMessage"]
        if received:
            counts[chat_id] = len(received)
    return counts
