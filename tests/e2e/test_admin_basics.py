"""Who the bot talks to: admins crediting balances, everyone else, banned users, groups."""

from __future__ import annotations

import re
import time

import pytest

from bot.core.money import Money
from storage.ledger import EntryKind
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront
from tests.e2e.journey import ledger, money

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")

GROUP_CHAT = -1_001_234_567_890


class AdminReference:
    """Equal to the ledger reference of any one admin command message: admin:<chat>:<message>."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.fullmatch(rf"admin:{ADMIN}:[0-9]+", other) is not None

    def __repr__(self) -> str:
        return f"admin:{ADMIN}:<message id>"


async def test_addbalance_from_a_non_admin_is_just_an_unknown_command(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    await alice.start()
    unknown = await alice.say("/frobnicate 1 2")
    for attempt in (f"/addbalance {ALICE} 50", "/addbalance", f"/addbalance {BOB} 1"):
        reply = await alice.say(attempt)
        assert (reply.text, reply.button_texts) == (unknown.text, unknown.button_texts), attempt
    assert reply.text == alice.t("fallback-unknown-command")
    assert await ledger(storefront, ALICE) == []
    assert await storefront.balance(ALICE) == Money.zero()


async def test_addbalance_usage_mistakes_get_the_usage_text(storefront: Storefront) -> None:
    english = storefront.translations.get("en")
    alice = storefront.user(ALICE, first_name="Alice")
    await alice.start()
    admin = storefront.user(ADMIN, first_name="Admin")
    await admin.start()

    for command in (
        "/addbalance",
        f"/addbalance {ALICE}",
        "/addbalance alice 5",
        f"/addbalance {ALICE} five",
        f"/addbalance {ALICE} -5",
        f"/addbalance {ALICE} 0",
        f"/addbalance {ALICE} 1.1234567",
        f"/addbalance 5 {ALICE}.5x",
    ):
        reply = await admin.say(command)
        assert reply.text == english("admin-addbalance-usage"), command

    # The reason goes into the customer's notice and history: one Telegram message each.
    for command in (f"/addbalance {ALICE} 5 ", f"/subbalance {ALICE} 5 "):
        too_long = await admin.say(command + "r" * 201)
        assert too_long.text == english("admin-reason-too-long", length=201, maximum=200)
        # Telegram counts an emoji as two: 101 of them are past the limit too.
        too_long = await admin.say(command + "🎁" * 101)
        assert too_long.text == english("admin-reason-too-long", length=202, maximum=200)

    stranger = await admin.say("/addbalance 555 5")
    assert stranger.text == english("admin-user-not-found", user_id=555)
    assert await ledger(storefront, ALICE) == []

    credited = await admin.say(f"/addbalance {ALICE} 2.5 welcome bonus")
    assert credited.text == english(
        "admin-balance-credited", user_id=ALICE, amount="$2.50", balance="$2.50"
    )
    notice = await alice.next_message()
    assert notice.text == alice.t("balance-credited-notice", amount="$2.50", balance="$2.50")
    assert await ledger(storefront, ALICE) == [
        (EntryKind.ADMIN_CREDIT, money("2.5"), AdminReference())
    ]

    balance = await alice.tap(
        alice.t("menu-balance"), message_id=(await alice.say("/menu")).message_id
    )
    assert balance.content.startswith(alice.t("balance-title", balance="$2.50"))
    assert "+$2.50" in balance.plain_text
    assert balance.content.endswith(alice.t("balance-how-to-top-up", user_id=ALICE))

    # A page of history full of the longest reasons is still one message.
    for _ in range(10):
        await admin.say(f"/addbalance {ALICE} 1 " + "🎁" * 100)
    history = await alice.tap(alice.t("button-history"), message_id=balance.message_id)
    assert history.plain_text.count("🎁" * 100) == 10


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_a_banned_user_gets_one_polite_line_and_nothing_else(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    welcome = await alice.start()
    await storefront.credit(ALICE, "10")
    assert await storefront.r.users.set_banned(ALICE, True)
    count_before = len(alice.telegram.messages(ALICE))

    for text in ("hello", "/start", "/orders", "https://instagram.com/p/x"):
        reply = await alice.say(text)
        assert (reply.text, reply.buttons) == (t("banned"), []), text
    await alice.telegram.send_photo(ALICE)
    assert (await alice.next_message()).text == t("banned")
    answer = await alice.press(t("menu-new-order"), message_id=welcome.message_id)
    assert (answer.text, answer.show_alert) == (t("banned"), True)

    await storefront.stop()  # lets every handler finish, so nothing can still be on its way
    assert len(alice.telegram.messages(ALICE)) == count_before + 5
    assert alice.telegram.message(ALICE, welcome.message_id).version == welcome.version
    assert storefront.panel.count("add") == 0


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_group_chats_are_ignored(storefront: Storefront) -> None:
    telegram = storefront.telegram
    stranger = {"id": BOB, "is_bot": False, "first_name": "Bob", "language_code": "en"}
    for text in ("/start", "/start@test_store_bot", "hello", "/addbalance 1 1"):
        await telegram.send_update(
            {
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": GROUP_CHAT, "type": "supergroup", "title": "Group"},
                    "from": stranger,
                    "text": text,
                    **(
                        {
                            "entities": [
                                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                            ]
                        }
                        if text.startswith("/")
                        else {}
                    ),
                }
            }
        )
    # A private message queued after them is answered: the group ones were handled first.
    alice = storefront.user(ALICE, first_name="Alice")
    await alice.start()
    assert await storefront.r.users.get(BOB) is None  # not even registered

    await storefront.stop()
    assert telegram.messages(GROUP_CHAT) == []
    assert telegram.messages(BOB) == []
    assert all(call.get("chat_id") != GROUP_CHAT for call in telegram.calls_to("sendMessage"))
