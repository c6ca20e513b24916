"""Languages: Telegram's language_code at first contact, the Language menu, notifications."""

from __future__ import annotations

import re

import pytest

from bot.app import BOT_COMMANDS
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront
from tests.e2e.journey import COMMENTS, INSTAGRAM_LINK, usd

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")

CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")
# The commands of the customer's journey; app.BOT_COMMANDS may list more.
JOURNEY_COMMANDS = {"start", "order", "orders", "balance", "language", "help", "cancel"}


async def test_a_russian_telegram_user_is_answered_in_russian(storefront: Storefront) -> None:
    english = storefront.translations.get("en")
    russian = storefront.translations.get("ru")
    alice = storefront.user(ALICE, language="ru", first_name="Alice")

    welcome = await alice.start()
    assert welcome.text == russian("welcome", name="Alice")
    assert welcome.text != english("welcome", name="Alice")
    assert CYRILLIC.search(welcome.plain_text)
    assert welcome.button_texts[0] == russian("menu-new-order")
    assert all(CYRILLIC.search(text) for text in welcome.button_texts)
    user = await storefront.r.users.get(ALICE)
    assert user is not None and user.language == "ru"

    # Regional variants count as the language; languages we do not ship fall back to English.
    await storefront.telegram.send_message(BOB, "/start", language_code="uk")
    bob_welcome = await storefront.telegram.wait_for_message(BOB)
    assert bob_welcome.text == english("welcome", name="Test User")


async def test_russian_plural_forms_in_the_comments_step(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, language="ru", first_name="Alice")
    await alice.start()
    await alice.begin_order(service=COMMENTS.name, category="Instagram")
    await alice.say(INSTAGRAM_LINK)

    for lines, words in ((1, "1 строку"), (3, "3 строки"), (511, "511 строк"), (521, "521 строку")):
        reply = await alice.say("\n".join(f"комментарий {n}" for n in range(lines)))
        assert reply.text == alice.t("order-comments-invalid", minimum=5, maximum=500, count=lines)
        assert f"({words})" in reply.plain_text or f" {words})" in reply.plain_text, (
            lines,
            reply.plain_text,
        )


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_language_menu_choice_persists_and_reaches_notifications(
    storefront: Storefront,
) -> None:
    english = storefront.translations.get("en")
    russian = storefront.translations.get("ru")
    alice = storefront.user(ALICE, language="en", first_name="Alice")
    welcome = await alice.start()
    assert welcome.text == english("welcome", name="Alice")

    choose = await alice.tap(english("menu-language"))
    assert choose.text == english("language-choose")
    assert choose.button_texts == ["✓ English", "Русский", english("button-main-menu")]
    answer = await alice.press("Русский")
    assert answer.text == russian("language-saved")
    menu = alice.telegram.message(ALICE, choose.message_id)
    assert menu.text == russian("menu-title")
    assert menu.button_texts[0] == russian("menu-new-order")
    user = await storefront.r.users.get(ALICE)
    assert user is not None and user.language == "ru"

    # Telegram still says "en" on every update; the choice wins, message after message.
    alice.language = "ru"
    help_text = await alice.say("/help")
    assert help_text.text == russian("help")
    fallback = await alice.say("привет")
    assert fallback.text == russian("fallback-text")
    # ... over a restart too.
    await storefront.stop()
    async with storefront.running():
        again = await alice.say("/menu")
        assert again.text == russian("menu-title")

        await storefront.telegram.send_message(ADMIN, f"/addbalance {ALICE} 5")
        admin_reply = await storefront.telegram.wait_for_message(ADMIN)
        assert admin_reply.text == english(
            "admin-balance-credited", user_id=ALICE, amount="$5.00", balance="$5.00"
        )
        notice = await alice.next_message()
        five = usd(russian, "5")
        assert notice.text == russian("balance-credited-notice", amount=five, balance=five)
        assert notice.text != english("balance-credited-notice", amount=five, balance=five)

        # And back to English.
        choose = await alice.tap(russian("menu-language"), message_id=again.message_id)
        assert choose.button_texts[:2] == ["English", "✓ Русский"]
        answer = await alice.press("English")
        assert answer.text == english("language-saved")
        alice.language = "en"
        assert (await alice.say("/help")).text == english("help")


async def test_bot_commands_are_registered_in_every_language(storefront: Storefront) -> None:
    telegram = storefront.telegram
    for language in ("en", "ru"):
        i18n = storefront.translations.get(language)
        commands = telegram.commands_for(language_code=language)
        assert commands == [
            {"command": name, "description": i18n(description_id)}
            for name, description_id in BOT_COMMANDS
        ], language
        assert {command["command"] for command in commands} >= JOURNEY_COMMANDS
    russian = telegram.commands_for(language_code="ru")
    english = telegram.commands_for(language_code="en")
    assert all(CYRILLIC.search(command["description"]) for command in russian)
    assert russian != english
    # Clients in other languages get the default language's list.
    assert telegram.commands_for(language_code="") == english
