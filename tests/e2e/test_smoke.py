from __future__ import annotations

from tests.e2e.conftest import ALICE, Storefront


async def test_start_shows_menu(storefront: Storefront) -> None:
    tg = storefront.telegram
    await tg.send_message(ALICE, "/start", first_name="Alice", language_code="en")
    welcome = await tg.wait_for_message(ALICE, contains="Hello")
    assert any("New order" in text for text in welcome.button_texts)
    await storefront.credit(ALICE, "100")
    await tg.click_button(ALICE, "New order")
    categories = await tg.wait_for_message(ALICE, contains="Choose a category")
    print(categories.button_texts)
    await tg.click_button(ALICE, "Instagram (3)")
    services = await tg.wait_for_message(ALICE)
    print(services.plain_text, services.button_texts)
    await tg.click_button(ALICE, "Instagram Followers [Refill 30d] · 1.08 USD")
    card = await tg.wait_for_message(ALICE)
    print(card.plain_text, card.button_texts)
    await tg.click_button(ALICE, "🛒 Order this")
    print((await tg.wait_for_message(ALICE)).plain_text)
    await tg.send_message(ALICE, "https://instagram.com/alice")
    print((await tg.wait_for_message(ALICE)).plain_text)
    await tg.send_message(ALICE, "1000")
    confirm = await tg.wait_for_message(ALICE)
    print(confirm.plain_text, confirm.button_texts)
    await tg.click_button(ALICE, "✅ Confirm and pay")
    placed = await tg.wait_for_message(ALICE)
    print(placed.plain_text, placed.button_texts)
    print(await storefront.balance(ALICE))
