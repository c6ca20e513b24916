"""The main menu is built once per translator: each shop setting it shows changes it."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.telegram import keyboards
from bot.telegram.i18n import Translations


def _rows(markup: InlineKeyboardMarkup) -> list[list[tuple[str, str | None, str | None]]]:
    return [
        [(b.text, b.callback_data, b.web_app.url if b.web_app else None) for b in row]
        for row in markup.inline_keyboard
    ]


def test_the_main_menu_is_reused_and_follows_language_invites_and_mini_app() -> None:
    translations = Translations("en")
    english, russian = translations.get("en"), translations.get("ru")
    plain = keyboards.main_menu(english)
    assert keyboards.main_menu(english) is plain  # built once, shared
    assert [len(row) for row in plain.inline_keyboard] == [1, 2, 2]
    assert _rows(keyboards.main_menu(russian))[0][0][0] == russian("menu-new-order")
    assert _rows(keyboards.main_menu(russian)) != _rows(plain)

    translations.use_currency("USD", "https://shop.example/app", invites=True)
    with_extras = keyboards.main_menu(translations.get("en"))
    rows = _rows(with_extras)
    assert rows[:3] == _rows(plain)
    assert rows[3] == [(english("menu-invite"), "m:invite", None)]
    assert rows[4] == [(english("menu-open-shop"), None, "https://shop.example/app")]

    translations.use_currency("USD")  # the programme ends, the Mini App goes: back as before
    assert _rows(keyboards.main_menu(translations.get("en"))) == _rows(plain)
    assert _rows(keyboards.main_menu(english)) == _rows(plain)  # the old translator's is intact
