"""Broadcasts: the admin's flow, delivery under Telegram's flood limit, Stop, resuming after a
restart, and never two at once.

Exactly-once is counted on the fake server's side: a copy that Telegram accepted creates a
message in the recipient's chat, so each chat must hold exactly one.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator

import pytest

from bot.telegram.pacing import TELEGRAM_MESSAGES_PER_SECOND
from bot.testing.telegram import BotMessage
from bot.testing.user import ChatUser
from storage.broadcasts import (
    BLOCKED,
    DISCARDED,
    DONE,
    DRAFT,
    PENDING,
    RUNNING,
    SENT,
    STOPPED,
    BroadcastAlreadyRunningError,
)
from storage.database import Database
from storage.repository import Repository
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront
from tests.e2e.journey import copies_by_chat, seed_users, send_formatted_text

FIRST_SEEDED = 200_000_000

FORMATTED = "🔥 Big sale: 20% off every Instagram service until Sunday"
FORMATTING = [
    {"type": "bold", "offset": 3, "length": 8},
    {"type": "italic", "offset": 46, "length": 12},
]


@pytest.fixture
async def limited(storefront: Storefront) -> AsyncIterator[Storefront]:
    """The storefront behind Telegram's flood limit, enforced by the fake server."""
    storefront.telegram.rate_limit_per_second = TELEGRAM_MESSAGES_PER_SECOND
    yield storefront


def seeded(count: int) -> range:
    return range(FIRST_SEEDED, FIRST_SEEDED + count)


def copies_sent(front: Storefront, chat_ids: range) -> int:
    return sum(copies_by_chat(front.telegram, chat_ids).values())


def delivered_at_least(front: Storefront, chat_ids: range, count: int) -> bool:
    return copies_sent(front, chat_ids) >= count


async def compose(admin: ChatUser, text: str = FORMATTED) -> tuple[int, BotMessage]:
    """/broadcast and a formatted text: the draft's id and the confirmation message."""
    ask = await admin.say("/broadcast")
    assert ask.text == admin.t("broadcast-ask-message")
    await send_formatted_text(admin.telegram, admin.user_id, text, FORMATTING)
    send_button = admin.t("broadcast-button-send")
    confirm = await admin.telegram.wait_for_message(
        admin.user_id, where=lambda message: send_button in message.button_texts
    )
    data = str(confirm.button(admin.t("broadcast-button-send"))["callback_data"])
    return int(data.split(":")[1]), confirm


async def send(admin: ChatUser, confirm: BotMessage) -> BotMessage:
    """Press Send; the progress message it starts."""
    answer = await admin.press(admin.t("broadcast-button-send"), message_id=confirm.message_id)
    assert answer.show_alert is False
    return await admin.telegram.wait_for_message(
        ADMIN, where=lambda message: message.text is not None and "#" in message.text
    )


async def delivery_done(front: Storefront, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    assert front.services is not None
    async with asyncio.timeout(timeout):
        await front.services.broadcast_runner.wait()


def summary(
    admin: ChatUser, broadcast_id: int, *, sent: int, blocked: int = 0, left: int = 0, stopped: bool
) -> str:
    t = admin.t
    return t(
        "broadcast-summary",
        id=broadcast_id,
        status=t("broadcast-status-stopped" if stopped else "broadcast-status-done"),
        sent=sent,
        failed=0,
        blocked=blocked,
        left=left,
        total=sent + blocked + left,
    )


# --- the admin's flow -------------------------------------------------------------------------


async def test_the_admin_previews_confirms_and_follows_a_broadcast(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    bob = storefront.user(BOB, language="ru", first_name="Bob")
    t = admin.t
    for person in (admin, alice, bob):
        await person.start()
    banned, blocked = FIRST_SEEDED, FIRST_SEEDED + 1
    await seed_users(storefront.r, [banned, blocked])
    await storefront.r.users.set_banned(banned, True)
    await storefront.r.users.set_blocked_bot(blocked, True)

    ask = await admin.say("/broadcast")
    assert ask.text == t("broadcast-ask-message")
    assert ask.button_texts == [t("button-cancel")]
    await send_formatted_text(storefront.telegram, ADMIN, FORMATTED, FORMATTING)
    preview = await admin.next_message()
    assert (preview.method, preview.kind) == ("copyMessage", "text")
    assert (preview.plain_text, preview.entities) == (FORMATTED, FORMATTING)
    confirm = await admin.next_message()
    assert confirm.text == t("broadcast-confirm", count=3)  # not the banned, not the blocked
    assert confirm.button_texts == [t("broadcast-button-send"), t("button-cancel")]

    answer = await admin.press(t("broadcast-button-send"), message_id=confirm.message_id)
    assert answer.show_alert is False
    progress = await admin.next_message()
    broadcast_id = int(confirm.button(t("broadcast-button-send"))["callback_data"].split(":")[1])
    assert progress.text == t("broadcast-started", id=broadcast_id, count=3)
    assert progress.button_texts == [t("broadcast-button-stop")]
    await delivery_done(storefront)

    versions = storefront.telegram.history(ADMIN, progress.message_id)
    # Progress texts differ in their figures only; the first line names the broadcast.
    title = t("broadcast-progress", id=broadcast_id, sent=0, failed=0, blocked=0, left=0, total=0,
              rate="0", eta="0").splitlines()[0]  # fmt: skip
    updates = [v for v in versions[1:-1] if (v.text or "").splitlines()[0] == title]
    assert updates, [v.text for v in versions]
    assert all(v.button_texts == [t("broadcast-button-stop")] for v in updates)
    final = versions[-1]
    assert final.text == summary(admin, broadcast_id, sent=3, stopped=False)
    assert final.buttons == []

    for person in (alice, bob):
        [copy] = [
            m for m in storefront.telegram.messages(person.user_id) if m.method == "copyMessage"
        ]
        assert (copy.kind, copy.plain_text, copy.entities) == ("text", FORMATTED, FORMATTING)
    assert copies_by_chat(storefront.telegram, [banned, blocked]) == {}
    assert copies_by_chat(storefront.telegram, [ADMIN])[ADMIN] == 2  # the preview and the copy
    stored = await storefront.r.broadcasts.get(broadcast_id)
    assert stored is not None and stored.status == DONE
    counts = await storefront.r.broadcasts.counts(broadcast_id)
    assert (counts.sent, counts.pending, counts.failed, counts.blocked) == (3, 0, 0, 0)

    # A photo with a caption goes out the same way.
    await admin.say("/broadcast")
    await storefront.telegram.send_photo(ADMIN, caption="New: TikTok views", file_id="promo")
    preview = await admin.next_message()
    assert (preview.method, preview.kind, preview.plain_text) == (
        "copyMessage",
        "photo",
        "New: TikTok views",
    )
    confirm = await admin.next_message()
    assert confirm.text == t("broadcast-confirm", count=3)
    await admin.press(t("broadcast-button-send"), message_id=confirm.message_id)
    await admin.next_message(contains="#")
    await delivery_done(storefront)
    for person in (alice, bob):
        photos = [m for m in storefront.telegram.messages(person.user_id) if m.kind == "photo"]
        assert [(m.method, m.plain_text) for m in photos] == [("copyMessage", "New: TikTok views")]

    # Cancel on the confirmation drops the draft; nobody gets anything.
    before = copies_sent(storefront, range(ALICE, BOB + 1))
    draft_id, confirm = await compose(admin, "never sent")
    answer = await admin.press(t("button-cancel"), message_id=confirm.message_id)
    assert (await admin.next_message()).text == t("broadcast-discarded")
    dropped = await storefront.r.broadcasts.get(draft_id)
    assert dropped is not None and dropped.status == DISCARDED
    assert copies_sent(storefront, range(ALICE, BOB + 1)) == before


# --- delivery under the flood limit -------------------------------------------------------------


async def test_a_broadcast_at_the_flood_limit_reaches_everyone_once_and_customers_meanwhile(
    limited: Storefront,
) -> None:
    front = limited
    admin = front.user(ADMIN, first_name="Owner")
    alice = front.user(ALICE, first_name="Alice")
    for person in (admin, alice):
        await person.start()
    # 150 recipients at 30 a second: five seconds of a broadcast at the limit, long enough
    # for several answers to share it (300 took ten for the same checks).
    users = seeded(150)
    await seed_users(front.r, users)
    blocked = set(users[::20])  # 8 of them blocked the bot since they last wrote
    reached = len(users) + 2 - len(blocked)  # the admin and Alice get it too
    front.telegram.blocked_users.update(blocked)

    broadcast_id, confirm = await compose(admin)
    assert confirm.text == admin.t("broadcast-confirm", count=len(users) + 2)
    progress = await send(admin, confirm)
    # A customer uses the bot meanwhile: each answer shares the limit with the broadcast.
    menu = alice.t("menu-new-order")
    answers = 0
    while (delivered := copies_sent(front, users)) < len(users) - len(blocked) - 30:
        await front.telegram.send_message(ALICE, "/start")
        await front.telegram.wait_for_message(
            ALICE, where=lambda message: menu in message.button_texts, timeout=10
        )
        answers += 1
        await front.telegram.wait_for(
            functools.partial(delivered_at_least, front, users, delivered + 20),
            description="twenty more copies",
            timeout=10,
        )
    await delivery_done(front, timeout=40)
    assert answers >= 3

    received = copies_by_chat(front.telegram, users)
    reachable = [user_id for user_id in users if user_id not in blocked]
    assert [user_id for user_id in reachable if received[user_id] != 1] == []  # none lost
    assert set(received) == set(reachable)  # and nobody blocked was "reached"
    assert copies_by_chat(front.telegram, [ADMIN, ALICE]) == {ADMIN: 2, ALICE: 1}
    # The send budget kept every message, answers and copies, under the limit.
    assert [e for e in front.telegram.errors if e.error_code == 429] == []
    assert front.services is not None
    assert front.services.broadcast_runner.retries == 0
    assert all(call.params.get("allow_paid_broadcast") is None for call in front.telegram.calls)

    counts = await front.r.broadcasts.counts(broadcast_id)
    assert (counts.sent, counts.blocked, counts.failed, counts.pending) == (reached, 8, 0, 0)
    flagged = await front.r.database.fetch_all(
        "SELECT id FROM users WHERE blocked_bot = 1 ORDER BY id"
    )
    assert [row[0] for row in flagged] == sorted(blocked)
    blocked_rows = await front.r.database.fetch_all(
        "SELECT user_id FROM broadcast_recipients WHERE broadcast_id = ? AND state = ?"
        " ORDER BY user_id",
        (broadcast_id, BLOCKED),
    )
    assert [row[0] for row in blocked_rows] == sorted(blocked)
    final = front.telegram.message(ADMIN, progress.message_id)
    assert final.text == summary(admin, broadcast_id, sent=reached, blocked=8, stopped=False)
    assert await front.r.broadcasts.audience_size() == reached  # the next one skips them


@pytest.mark.storefront(settings={"BROADCAST_PAID": True})
async def test_a_paid_broadcast_shows_its_cost_and_goes_past_the_free_limit(
    limited: Storefront,
) -> None:
    front = limited
    admin = front.user(ADMIN, first_name="Owner")
    await admin.start()
    users = seeded(119)
    await seed_users(front.r, users)

    broadcast_id, confirm = await compose(admin)
    # 120 recipients at 0.1 Star each, before anything is sent.
    assert confirm.text == "\n\n".join(
        [admin.t("broadcast-confirm", count=120), admin.t("broadcast-paid-cost", stars=12)]
    )
    assert copies_sent(front, users) == 0
    await send(admin, confirm)
    await delivery_done(front)

    received = copies_by_chat(front.telegram, users)
    assert [user_id for user_id in users if received[user_id] != 1] == []
    copies = [call for call in front.telegram.calls if call.method == "copyMessage"]
    assert len(copies) == 121  # the preview and 120 copies
    assert [call.params.get("allow_paid_broadcast") for call in copies] == [None] + [True] * 120
    assert front.telegram.paid_broadcasts == 120
    # Answers are never paid, and the paid copies kept off the free limit: no 429 at all.
    answers = [call for call in front.telegram.calls if call.method == "sendMessage"]
    assert answers and all("allow_paid_broadcast" not in call.params for call in answers)
    assert [e for e in front.telegram.errors if e.error_code == 429] == []
    counts = await front.r.broadcasts.counts(broadcast_id)
    assert (counts.sent, counts.pending) == (120, 0)


# --- Stop, restarts, one at a time --------------------------------------------------------------


async def test_stop_ends_the_broadcast_and_leaves_the_rest_pending(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    users = seeded(150)
    await seed_users(storefront.r, users)
    broadcast_id, confirm = await compose(admin)
    progress = await send(admin, confirm)
    await storefront.telegram.wait_for(
        lambda: copies_sent(storefront, users) >= 10, description="ten copies delivered"
    )

    answer = await admin.press(admin.t("broadcast-button-stop"), message_id=progress.message_id)
    assert answer.text == admin.t("broadcast-stopped")
    delivered = copies_sent(storefront, users)
    stored = await storefront.r.broadcasts.get(broadcast_id)
    assert stored is not None and stored.status == STOPPED
    counts = await storefront.r.broadcasts.counts(broadcast_id)
    # Recipients go in id order, so the admin (the highest id here) is among those left.
    assert counts.sent == delivered
    assert counts.pending == 151 - delivered > 0
    final = storefront.telegram.message(ADMIN, progress.message_id)
    assert final.text == summary(
        admin, broadcast_id, sent=counts.sent, left=counts.pending, stopped=True
    )
    assert final.buttons == []

    # Stopped is stopped: a restart does not pick it up again, and nothing more goes out.
    await storefront.stop()
    await storefront.start()
    assert storefront.services is not None
    assert not storefront.services.broadcast_runner.is_running(broadcast_id)
    await admin.say("/admin")
    assert copies_sent(storefront, users) == delivered
    stop_data = f"bc:{broadcast_id}:stop"  # the button is gone from the summary; a stale copy
    again = await admin.press_data(progress.message_id, stop_data)
    assert again.text == admin.t("broadcast-not-running")
    assert copies_sent(storefront, users) == delivered


async def test_a_broadcast_interrupted_by_a_restart_resumes_and_reaches_everyone_once(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    users = seeded(60)
    await seed_users(storefront.r, users)
    broadcast_id, confirm = await compose(admin)
    progress = await send(admin, confirm)
    await storefront.telegram.wait_for(
        lambda: copies_sent(storefront, users) >= 15, description="fifteen copies delivered"
    )

    await storefront.stop()  # shutdown: the runner finishes the message in hand and stops
    before_restart = copies_by_chat(storefront.telegram, users)
    assert 15 <= sum(before_restart.values()) < 60
    assert set(before_restart.values()) == {1}
    # While the bot is down, the database agrees with what Telegram accepted: whoever got the
    # message is marked sent, everyone else is still pending, and the broadcast still running.
    database = await Database.open(storefront.settings.database_target)
    try:
        repo = Repository(database)
        stored = await repo.broadcasts.get(broadcast_id)
        assert stored is not None and stored.status == RUNNING
        states = await database.fetch_all(
            "SELECT user_id, state FROM broadcast_recipients WHERE broadcast_id = ?",
            (broadcast_id,),
        )
    finally:
        await database.close()
    assert {row[0] for row in states if row[1] == SENT} == set(before_restart)
    assert {row[0] for row in states if row[1] == PENDING} == (set(users) - set(before_restart)) | {
        ADMIN
    }

    async with storefront.running():  # start-up resumes it
        await delivery_done(storefront)
        counts = await storefront.r.broadcasts.counts(broadcast_id)
        assert (counts.sent, counts.pending) == (61, 0)
        stored = await storefront.r.broadcasts.get(broadcast_id)
        assert stored is not None and stored.status == DONE

    received = copies_by_chat(storefront.telegram, users)
    assert [user_id for user_id in users if received[user_id] != 1] == []
    final = storefront.telegram.message(ADMIN, progress.message_id)
    assert final.text == summary(admin, broadcast_id, sent=61, stopped=False)


async def test_two_broadcasts_never_run_at_once(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    t = admin.t
    await admin.start()
    await seed_users(storefront.r, seeded(150))
    first_id, first_confirm = await compose(admin, "first")
    second_id, second_confirm = await compose(admin, "second")
    progress = await send(admin, second_confirm)

    # The runner edits its progress message meanwhile: the reply is the next other message.
    await admin.telegram.send_message(ADMIN, "/broadcast")
    refused = await admin.telegram.wait_for_message(
        ADMIN, where=lambda message: message.message_id != progress.message_id
    )
    assert refused.text == t("broadcast-already-running", id=second_id)
    answer = await admin.press(t("broadcast-button-send"), message_id=first_confirm.message_id)
    assert (answer.text, answer.show_alert) == (t("broadcast-already-running", id=second_id), True)
    first = await storefront.r.broadcasts.get(first_id)
    assert first is not None and first.status == DRAFT
    with pytest.raises(BroadcastAlreadyRunningError):
        await storefront.r.broadcasts.start(first_id)
    assert (await storefront.r.broadcasts.counts(first_id)).total == 0
    assert storefront.services is not None
    with pytest.raises(RuntimeError):
        storefront.services.broadcast_runner.start(first)

    await admin.press(t("broadcast-button-stop"), message_id=progress.message_id)
    assert not any(m.plain_text == "first" for m in storefront.telegram.messages(FIRST_SEEDED))


async def test_a_confirmation_starts_one_broadcast_however_it_is_pressed(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    t = admin.t
    await admin.start()
    await seed_users(storefront.r, seeded(100))
    broadcast_id, confirm = await compose(admin)
    send_data = str(confirm.button(t("broadcast-button-send"))["callback_data"])
    cancel_data = str(confirm.button(t("button-cancel"))["callback_data"])

    # A double tap: both presses reach the bot before either is handled.
    queries = [await admin.telegram.click(ADMIN, confirm.message_id, send_data) for _ in range(2)]
    answers = [await admin.telegram.wait_for_callback_answer(query) for query in queries]
    assert sorted((a.text or "", a.show_alert) for a in answers) == [
        ("", False),
        (t("broadcast-already-started"), True),
    ]
    prefix = t("broadcast-started", id=broadcast_id, count=0).split(":")[0]
    started = [m for m in admin.telegram.messages(ADMIN) if (m.text or "").startswith(prefix)]
    assert len(started) == 1
    stored = await storefront.r.broadcasts.get(broadcast_id)
    assert stored is not None and stored.progress_message_id == started[0].message_id

    # Cancel on the used confirmation does not discard the running broadcast.
    answer = await admin.press_data(confirm.message_id, cancel_data)
    assert (answer.text, answer.show_alert) == (t("broadcast-already-started"), True)
    stored = await storefront.r.broadcasts.get(broadcast_id)
    assert stored is not None and stored.status == RUNNING
    await admin.press(t("broadcast-button-stop"), message_id=started[0].message_id)
    stored = await storefront.r.broadcasts.get(broadcast_id)
    assert stored is not None and stored.status == STOPPED

    # A dropped draft says so, whichever of its buttons is pressed again.
    dropped_id, dropped = await compose(admin, "dropped")
    await admin.press(t("button-cancel"), message_id=dropped.message_id)
    for button in (t("broadcast-button-send"), t("button-cancel")):
        answer = await admin.press(button, message_id=dropped.message_id)
        assert (answer.text, answer.show_alert) == (t("broadcast-discarded"), True)
    stored = await storefront.r.broadcasts.get(dropped_id)
    assert stored is not None and stored.status == DISCARDED
    assert (await storefront.r.broadcasts.counts(dropped_id)).total == 0


async def test_stop_answers_at_once_while_telegram_makes_the_runner_wait(
    storefront: Storefront,
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    t = admin.t
    await admin.start()
    users = seeded(20)
    await seed_users(storefront.r, users)
    broadcast_id, confirm = await compose(admin)
    # The first copy is answered "retry after 30 s", as Telegram does under heavy flood.
    storefront.telegram.fail_next(
        "copyMessage", error_code=429, description="Too Many Requests: retry after 30",
        retry_after=30,
    )  # fmt: skip
    progress = await send(admin, confirm)
    await storefront.telegram.wait_for(
        lambda: any(e.error_code == 429 for e in storefront.telegram.errors),
        description="the 429",
    )

    query = await admin.telegram.click_button(
        ADMIN, t("broadcast-button-stop"), message_id=progress.message_id
    )
    answer = await admin.telegram.wait_for_callback_answer(query, timeout=3)
    assert answer.text == t("broadcast-stopped")
    stored = await storefront.r.broadcasts.get(broadcast_id)
    assert stored is not None and stored.status == STOPPED
    counts = await storefront.r.broadcasts.counts(broadcast_id)
    assert (counts.sent, counts.pending) == (0, 21)
    assert copies_sent(storefront, users) == 0


async def test_shutdown_does_not_wait_out_telegrams_retry_after(
    storefront: Storefront, caplog: pytest.LogCaptureFixture
) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    await admin.start()
    users = seeded(20)
    await seed_users(storefront.r, users)
    broadcast_id, confirm = await compose(admin)
    storefront.telegram.fail_next(
        "copyMessage", error_code=429, description="Too Many Requests: retry after 30",
        retry_after=30,
    )  # fmt: skip
    await send(admin, confirm)
    await storefront.telegram.wait_for(
        lambda: any(e.error_code == 429 for e in storefront.telegram.errors),
        description="the 429",
    )
    await storefront.stop()
    # It stopped at a safe point by itself, rather than being cancelled after the grace period.
    assert "did not stop in time" not in caplog.text
    async with storefront.running():
        await delivery_done(storefront)
        counts = await storefront.r.broadcasts.counts(broadcast_id)
        assert (counts.sent, counts.pending) == (21, 0)
    received = copies_by_chat(storefront.telegram, users)
    assert [user_id for user_id in users if received[user_id] != 1] == []
