"""What a customer can get wrong: every bad input gets a clear answer and changes nothing."""

from __future__ import annotations

import pytest

from bot.testing.user import ChatUser
from tests.e2e.conftest import ALICE, Storefront
from tests.e2e.journey import (
    FOLLOWERS,
    INSTAGRAM_LINK,
    LIKES,
    PACKAGE,
    money,
    orders_of,
)

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")

BAD_QUANTITIES = [
    "one thousand",
    "-100",
    "+100",
    "100.5",
    "100,5",
    "1e3",
    "   ",
    "\u00a0",
    "99999999999999999999999999",
    "49",
    "10001",
    "0",
    "²",
]


async def _at_quantity_step(storefront: Storefront) -> ChatUser:
    alice = storefront.user(ALICE, first_name="Alice")
    await alice.start()
    await storefront.credit(ALICE, "100")
    await alice.begin_order(service=FOLLOWERS.name, category="Instagram")
    await alice.say(INSTAGRAM_LINK)
    return alice


async def test_bad_quantities_name_the_range_and_ask_again(storefront: Storefront) -> None:
    alice = await _at_quantity_step(storefront)
    t = alice.t
    expected = t("order-quantity-invalid", minimum=50, maximum=10000)
    assert "50" in expected and "10,000" in expected

    for text in BAD_QUANTITIES:
        reply = await alice.say(text)
        assert reply.text == expected, f"quantity {text!r}: {reply.plain_text!r}"
        assert reply.button_texts == [t("button-cancel")], text
        assert storefront.panel.count("add") == 0

    # Still at the quantity step: a good number (with a thousands space) goes on.
    confirmation = await alice.say("1 000")
    assert t("confirm-card").split("\n")[0] in confirmation.content
    assert "1,000" in confirmation.plain_text
    assert await orders_of(storefront, ALICE) == []
    assert await storefront.balance(ALICE) == money("100")


BAD_LINKS = [
    "instagram.com/alice",
    "www.instagram.com/alice",
    "ftp://instagram.com/alice",
    "https://instagram .com/alice",
    "https://instagram.com/alice more",
    "javascript:alert(1)",
    "https://",
    "https://localhost/alice",
    "@alice",  # only Telegram services take a username
    "t.me/alice",  # ... or a t.me link without a scheme
    "https://" + "a" * 2000 + ".com",
]
BAD_TELEGRAM_LINKS = [
    "https://t.me/bad channel",
    "ftp://t.me/x",
    "@a",
    "javascript:alert(1)",
    "t.me",
]


async def test_bad_links_are_refused_with_a_reprompt(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await alice.begin_order(service=LIKES.name, category="Instagram")

    for link in BAD_LINKS:
        reply = await alice.say(link)
        assert reply.text == t("order-link-invalid", telegram=False), link
        assert reply.button_texts == [t("button-cancel")], link
    # Still at the link step.
    ask_quantity = await alice.say(INSTAGRAM_LINK)
    assert ask_quantity.text == t("order-ask-quantity", min=10, max=5000, price="$0.144")


async def test_telegram_services_refuse_what_is_not_a_telegram_link(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    await alice.start()
    await alice.begin_order(service=PACKAGE.name, category="Telegram")
    for link in BAD_TELEGRAM_LINKS:
        reply = await alice.say(link)
        assert reply.text == alice.t("order-link-invalid", telegram=True), link
    confirmation = await alice.say("https://t.me/alice_channel")
    assert alice.t("button-confirm") in confirmation.button_texts


async def test_photo_or_sticker_where_text_is_expected(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await alice.begin_order(service=FOLLOWERS.name, category="Instagram")

    await alice.telegram.send_photo(ALICE, caption=INSTAGRAM_LINK)
    reply = await alice.next_message()
    assert reply.text == t("order-send-text")
    await alice.say(INSTAGRAM_LINK)
    await alice.telegram.send_sticker(ALICE)
    reply = await alice.next_message()
    assert reply.text == t("order-send-text")
    # The flow is where it was: the quantity still counts.
    confirmation = await alice.say("100")
    assert "Quantity" in confirmation.plain_text or "100" in confirmation.plain_text
    assert t("button-confirm") in confirmation.button_texts


async def test_messages_outside_any_flow_get_a_short_helpful_answer(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    menu = [t("menu-new-order"), t("menu-my-orders"), t("menu-balance")]

    text = await alice.say("hello, I want followers")
    assert text.text == t("fallback-text")
    assert text.button_texts[:3] == menu
    number = await alice.say("1000")  # a quantity outside the flow is just text
    assert number.text == t("fallback-text")

    await alice.telegram.send_photo(ALICE)
    photo = await alice.next_message()
    assert photo.text == t("fallback-unsupported")
    await alice.telegram.send_sticker(ALICE)
    sticker = await alice.next_message()
    assert sticker.text == t("fallback-unsupported")

    unknown = await alice.say("/frobnicate now")
    assert unknown.text == t("fallback-unknown-command")
    assert unknown.button_texts[:3] == menu
    assert await orders_of(storefront, ALICE) == []


async def test_cancel_command_leaves_the_flow(storefront: Storefront) -> None:
    alice = await _at_quantity_step(storefront)
    t = alice.t
    cancelled = await alice.say("/cancel")
    assert cancelled.text == t("flow-cancelled")
    after = await alice.say("1000")
    assert after.text == t("fallback-text")  # no longer read as a quantity
    nothing = await alice.say("/cancel")
    assert nothing.text == t("flow-nothing-to-cancel")
    assert storefront.panel.count("add") == 0


async def test_cancel_button_on_a_prompt_leaves_the_flow(storefront: Storefront) -> None:
    alice = await _at_quantity_step(storefront)
    t = alice.t
    cancelled = await alice.tap(t("button-cancel"))
    assert cancelled.text == t("flow-cancelled")
    assert (await alice.say("1000")).text == t("fallback-text")


# Button data a stale, forged or malformed button can carry, pressed on the welcome message.
STALE_CALLBACKS = [
    ("o:999999:v:0", "order-not-found"),
    ("o:999999:x:0", "order-not-found"),
    ("o:abc:v:0", "button-outdated"),
    ("zz:1", "button-outdated"),
    ("", "button-outdated"),
    ("cf:bogus:ok", "order-confirmation-expired"),
    ("cf:bogus:no", "order-confirmation-expired"),
    ("cf:bogus:zz", "button-outdated"),
    ("s:999999", "service-unavailable"),
    ("os:999999", "service-unavailable"),
    ("l:xx", "button-outdated"),
    ("m:nope", "button-outdated"),
]


async def test_stale_or_malformed_buttons_get_an_alert_and_change_nothing(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    welcome = await alice.start()
    await storefront.credit(ALICE, "100")
    before = alice.screen()

    for data, message_id in STALE_CALLBACKS:
        answer = await alice.press_data(welcome.message_id, data)
        assert (answer.text, answer.show_alert) == (t(message_id), True), data
        assert alice.screen() == before, f"{data!r} changed the chat"
    assert await orders_of(storefront, ALICE) == []
    assert await storefront.balance(ALICE) == money("100")
    # The panel heard nothing but the start-up catalog sync.
    assert {action for action, _ in storefront.panel.calls} == {"services"}


async def test_a_vanished_category_falls_back_to_the_catalog(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    welcome = await alice.start()
    answer = await alice.press_data(welcome.message_id, "c:999999:0")
    assert (answer.text, answer.show_alert) == (t("catalog-category-gone"), True)
    assert alice.telegram.message(ALICE, welcome.message_id).text == t("catalog-categories")


async def test_user_input_is_escaped_everywhere_it_is_shown(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="<b>Al</b> & co")
    t = alice.t
    welcome = await alice.start()
    assert "<b>Al</b> & co" in welcome.plain_text  # shown as typed, not as markup
    await storefront.credit(ALICE, "100")
    await alice.begin_order(service=FOLLOWERS.name, category="Instagram")
    link = "https://instagram.com/p/<i>x</i>?a=1&b=2"
    await alice.say(link)
    confirmation = await alice.say("100")
    assert f"Link: {link}" in confirmation.plain_text
    placed = await alice.tap(t("button-confirm"))
    assert link in placed.plain_text


async def test_an_unknown_command_mid_flow_is_called_unknown_and_the_flow_goes_on(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    await alice.begin_order(service=FOLLOWERS.name, category="Instagram")

    at_link = await alice.say("/frobnicate")
    assert at_link.text == t("fallback-unknown-command")
    await alice.say(INSTAGRAM_LINK)
    at_quantity = await alice.say(f"/addbalance {ALICE} 100")
    assert at_quantity.text == t("fallback-unknown-command")
    confirmation = await alice.say("1000")
    assert t("button-confirm") in confirmation.button_texts
    assert await storefront.balance(ALICE) == money("100")


async def test_at_the_confirmation_text_points_to_the_card_and_commands_still_work(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    card = await alice.reach_confirmation()
    assert (await alice.say("yes please")).text == t("order-press-confirm")
    await alice.telegram.send_sticker(ALICE)
    assert (await alice.next_message()).text == t("order-press-confirm")
    assert (await alice.say("/frobnicate")).text == t("fallback-unknown-command")
    assert (await alice.say("/help")).text == t("help")
    # None of that touched the card: it still pays.
    placed = await alice.tap(t("button-confirm"), message_id=card.message_id)
    assert t("button-refresh") in placed.button_texts
