"""Only ADMIN_IDS reach the owner's controls; to anyone else they do not exist.

A customer typing an admin command gets exactly what any unknown command gets, and a forged
admin button (its callback data typed by hand) gets the same "out of date" alert as any stale
button, with nothing done behind it.
"""

from __future__ import annotations

import pytest

from storage.broadcasts import DRAFT
from storage.ledger import EntryKind
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront
from tests.e2e.journey import send_formatted_text

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")

# Every admin command, bare and with arguments an admin would give (aimed at real targets,
# so that a leak would have something to act on).
ADMIN_COMMANDS = [
    "/admin",
    "/stats",
    "/broadcast",
    "/user",
    f"/user {BOB}",
    f"/addbalance {ALICE} 50 gift",
    f"/subbalance {BOB} 1 fee",
    f"/ban {BOB}",
    f"/unban {BOB}",
    "/unknown",
    "/settle 1 failed",
    "/markup 0",
    "/markup service 1 0",
    "/hide category 1",
    "/hide service 1",
    "/show service 1",
    "/sync",
    "/catalog",
    "/stats@test_store_bot",
    "/route 1",
    "/route 1 main:1",
    "/route 1 auto",
    "/panels",
    "/pending",
    "/refund stars-charge-1",
]

FORGED_ADMIN_BUTTONS = [
    "adm:menu",
    "adm:stats",
    "adm:bc",
    "adm:unk",
    "adm:users",
    "adm:cat",
    "adm:sync",
    "mr:1:ok",  # a manual top-up request's Approve and Reject
    "mr:1:no",
]


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_admin_commands_from_a_customer_look_like_unknown_commands(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    bob = storefront.user(BOB, first_name="Bob")
    await alice.start()
    await bob.start()
    await storefront.credit(BOB, "5")
    services_calls = storefront.panel.count("services")
    bob_messages = len(storefront.telegram.messages(BOB))

    unknown = await alice.say("/nonexistent")
    assert unknown.text == alice.t("fallback-unknown-command")
    for command in ADMIN_COMMANDS:
        reply = await alice.say(command)
        assert (reply.text, reply.reply_markup) == (unknown.text, unknown.reply_markup), command
        assert reply.method == "sendMessage", command

    # /promo is a customer's command too: "add …" from a customer is only a wrong code.
    wrong = await alice.say("/promo add FREE 100")
    assert wrong.text == alice.t("promo-unknown")
    assert await storefront.r.promos.all() == []

    # Nothing happened behind the unknown-command answers.
    assert [entry.kind for entry in await storefront.r.ledger.recent(ALICE, limit=10)] == []
    assert [entry.kind for entry in await storefront.r.ledger.recent(BOB, limit=10)] == [
        EntryKind.ADMIN_CREDIT
    ]
    bob_now = await storefront.r.users.get(BOB)
    assert bob_now is not None and not bob_now.banned
    assert await storefront.r.settings.markups() == []
    assert await storefront.r.settings.get("markup_percent") is None
    assert all(not category.hidden for category in await storefront.r.catalog.all_categories())
    assert storefront.panel.count("services") == services_calls  # /sync did not reach the panel
    assert storefront.panel.count("balance") == 0  # nor did /stats
    assert await storefront.r.broadcasts.running() is None
    # Bob was not told about a balance change either.
    assert len(storefront.telegram.messages(BOB)) == bob_messages


async def test_the_command_menu_shown_to_everyone_lists_no_admin_command(
    storefront: Storefront,
) -> None:
    admin_names = {command.split()[0].lstrip("/").split("@")[0] for command in ADMIN_COMMANDS}
    registered = [
        command["command"]
        for language in ("", "en", "ru")
        for command in storefront.telegram.commands_for(language_code=language)
    ]
    assert registered, "the bot registered no commands at all"
    assert admin_names.isdisjoint(registered)


@pytest.mark.storefront(lane="http")  # restarts the bot: the real HTTP fake
async def test_forged_admin_buttons_from_a_customer_are_just_out_of_date(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    await admin.start()
    welcome = await alice.start()

    # A real broadcast draft exists, so forged broadcast buttons have something to act on.
    await admin.say("/broadcast")
    await send_formatted_text(
        storefront.telegram, ADMIN, "Sale today", [{"type": "bold", "offset": 0, "length": 4}]
    )
    confirm = await admin.next_message(contains=admin.t("broadcast-confirm", count=2))
    broadcast_id = int(
        str(confirm.button(admin.t("broadcast-button-send"))["callback_data"]).split(":")[1]
    )

    screen_before = [(m.message_id, m.version) for m in alice.telegram.messages(ALICE)]
    stale = await alice.press_data(welcome.message_id, "nonsense:1")
    assert (stale.text, stale.show_alert) == (alice.t("button-outdated"), True)
    forged = [
        *FORGED_ADMIN_BUTTONS,
        f"bc:{broadcast_id}:send",
        f"bc:{broadcast_id}:stop",
        f"bc:{broadcast_id}:drop",
        "bc:999:send",
    ]
    for data in forged:
        answer = await alice.press_data(welcome.message_id, data)
        assert (answer.text, answer.show_alert) == (stale.text, stale.show_alert), data

    await storefront.stop()  # every handler has finished: nothing can still be on its way
    assert [(m.message_id, m.version) for m in alice.telegram.messages(ALICE)] == screen_before
    assert storefront.panel.count("balance") == 0  # no stats were gathered
    # Only the admin's own preview was ever copied.
    assert [call["chat_id"] for call in storefront.telegram.calls_to("copyMessage")] == [ADMIN]
    async with storefront.running():
        broadcast = await storefront.r.broadcasts.get(broadcast_id)
        assert broadcast is not None and broadcast.status == DRAFT
        assert (await storefront.r.broadcasts.counts(broadcast_id)).total == 0


async def test_the_admin_sees_the_menu_and_every_button_works(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    t = admin.t
    await admin.start()

    menu = await admin.say("/admin")
    assert menu.text == t("admin-menu")
    assert menu.button_texts == [
        t("admin-button-stats"),
        t("admin-button-broadcast"),
        t("admin-button-unknown"),
        t("admin-button-users"),
        t("admin-button-catalog"),
        t("admin-button-sync"),
    ]
    back = t("admin-button-menu")

    stats = await admin.tap(t("admin-button-stats"), message_id=menu.message_id)
    assert t("stats-panel-balance", balance="$1,000.00") in stats.text
    assert stats.button_texts == [back]
    assert (await admin.tap(back, message_id=menu.message_id)).text == t("admin-menu")

    unknown = await admin.tap(t("admin-button-unknown"), message_id=menu.message_id)
    assert unknown.text == t("admin-unknown-none")
    await admin.tap(back, message_id=menu.message_id)

    users = await admin.tap(t("admin-button-users"), message_id=menu.message_id)
    assert users.text == t("admin-users-help")
    await admin.tap(back, message_id=menu.message_id)

    catalog = await admin.tap(t("admin-button-catalog"), message_id=menu.message_id)
    assert catalog.text.startswith(t("admin-catalog-title", percent="20"))
    assert "Instagram" in catalog.text and "YouTube" in catalog.text
    await admin.tap(back, message_id=menu.message_id)

    services_calls = storefront.panel.count("services")
    sync = await admin.tap(t("admin-button-sync"), message_id=menu.message_id)
    assert sync.text == t(
        "admin-sync-done",
        added=0,
        removed=0,
        changed=0,
        added_ids="-",
        removed_ids="-",
        changed_ids="-",
    )
    assert storefront.panel.count("services") == services_calls + 1
    await admin.tap(back, message_id=menu.message_id)

    # Broadcast asks for the message in a new message, leaving the menu as it is.
    await admin.press(t("admin-button-broadcast"), message_id=menu.message_id)
    ask = await admin.next_message()
    assert ask.message_id != menu.message_id
    assert ask.text == t("broadcast-ask-message")
