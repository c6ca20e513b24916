"""Which services are Telegram's (and so also take t.me/… and @username links): one rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.services.ordering import is_telegram_service, normalize_link
from storage.catalog import Service


def service(category: str, name: str) -> Service:
    return Service(
        id=1,
        category_id=1,
        category=category,
        name=name,
        type="Default",
        rate=Decimal("1"),
        min_quantity=10,
        max_quantity=1000,
        refill=False,
        cancel=False,
        dripfeed=False,
        description="",
        active=True,
    )


@pytest.mark.parametrize(
    ("category", "name", "telegram"),
    [
        ("Telegram", "Members", True),
        ("Telegram Post Views [Cheap]", "Views", True),
        ("🇷🇺 Telegram Members", "Real members", True),
        ("Social / TELEGRAM", "Members", True),
        ("New services", "Telegram Post Views", True),  # the category names no platform
        ("New services", "⭐ Telegram reactions", True),
        # What the old substring guess took for Telegram:
        ("Instagram", "Instagram Followers (Telegram support 24/7)", False),
        ("YouTube", "Views from t.me ads", False),
        ("Telegramm-Club", "Followers", False),  # another word
        ("", "Instagram Likes", False),
    ],
)
def test_the_rule(category: str, name: str, telegram: bool) -> None:
    assert is_telegram_service(service(category, name)) is telegram


def test_telegram_services_take_short_links() -> None:
    tg = is_telegram_service(service("Telegram", "Members"))
    assert normalize_link("@shop_channel", telegram=tg) == "https://t.me/shop_channel"
    assert normalize_link("t.me/shop_channel", telegram=tg) == "https://t.me/shop_channel"
