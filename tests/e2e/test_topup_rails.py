"""Crypto Pay and manual transfers end to end: the real Dispatcher, the fake Telegram server and
a fake Crypto Pay server, all over real HTTP on 127.0.0.1.

The customer picks a rail and an amount as they would; Crypto Pay's outcome arrives by the
background poll and by a signed webhook posted to the bot's /cryptopay/webhook route; admins
approve and reject manual transfers with the buttons they are sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot.core.money import Money
from bot.testing.cryptopay import DEFAULT_TOKEN, FakeCryptoPay
from bot.testing.telegram import BotMessage
from bot.testing.user import ChatUser
from bot.web.payment_webhooks import CRYPTOPAY_WEBHOOK_PATH, add_cryptopay_webhook
from storage.ledger import EntryKind
from storage.topups import EXPIRED, PAID
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront, make_settings

SECOND_ADMIN = 900_000_002
INSTRUCTIONS = "Card 4000 0000 0000 0002 <Example Bank>"


def money(text: str) -> Money:
    return Money.parse(text)


@pytest.fixture
async def cryptopay() -> AsyncIterator[FakeCryptoPay]:
    async with FakeCryptoPay() as server:
        yield server


@pytest.fixture
async def front(storefront: Storefront, cryptopay: FakeCryptoPay) -> Storefront:
    """The storefront restarted with every rail enabled and two admins."""
    await storefront.stop()
    storefront.settings = make_settings(
        storefront.panel,
        storefront.database_path,
        ADMIN_IDS=f"{ADMIN},{SECOND_ADMIN}",
        CRYPTOPAY_TOKEN=DEFAULT_TOKEN,
        CRYPTOPAY_API_URL=cryptopay.url,
        CRYPTOPAY_POLL_SECONDS=1,
        MANUAL_TOPUP_TEXT=INSTRUCTIONS,
        TOPUP_EXPIRY_MINUTES=90,
    )
    await storefront.start()
    return storefront


async def webhook_url(front: Storefront, stack: list[web.AppRunner]) -> str:
    """The bot's Crypto Pay webhook route, served on 127.0.0.1 as webhook mode serves it."""
    assert front.services is not None and front.services.cryptopay is not None
    app = web.Application()
    add_cryptopay_webhook(app, front.services.cryptopay)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    stack.append(runner)
    return f"http://127.0.0.1:{runner.addresses[0][1]}{CRYPTOPAY_WEBHOOK_PATH}"


async def choose(customer: ChatUser, rail: str, amount: str) -> BotMessage:
    """/topup, a rail, a preset amount: the message that tells how to pay."""
    await customer.say("/topup")
    await customer.tap(customer.t(rail))
    await customer.press(amount)
    return await customer.next_message()


async def ledger_of(front: Storefront, user_id: int) -> list[tuple[EntryKind, Money, str | None]]:
    entries = await front.r.ledger.recent(user_id, limit=100)
    return [(entry.kind, entry.amount, entry.reference) for entry in reversed(entries)]


async def test_crypto_pay_by_poll_by_signed_webhook_and_expiry(
    front: Storefront, cryptopay: FakeCryptoPay
) -> None:
    alice = front.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()

    # /paysupport describes every enabled rail, each with its expiry.
    support = await alice.say("/paysupport")
    contact = t("paysupport-contact-admin")
    assert support.text == "\n\n".join(
        [
            t("paysupport-title"),
            t("paysupport-stars", contact=contact, minutes=0),
            t("paysupport-cryptopay", contact=contact, minutes=90),
            t("paysupport-manual", contact=contact, minutes=90),
            t("paysupport-spent"),
        ]
    )

    rails = await alice.say("/topup")
    assert rails.text == t("topup-rails", minimum="$1.00", maximum="$200.00")
    assert rails.button_texts == [
        t("rail-stars"),
        t("rail-cryptopay"),
        t("rail-manual"),
        t("button-main-menu"),
    ]
    amounts = await alice.tap(t("rail-cryptopay"))
    assert amounts.text == t(
        "topup-choose-cryptopay",
        assets="USDT, TON, BTC, ETH, LTC, TRX",
        minimum="$1.00",
        maximum="$200.00",
    )
    assert amounts.button_texts == [
        "$5.00",
        "$10.00",
        "$25.00",
        "$50.00",
        t("topup-button-other"),
        t("button-back"),
        t("button-main-menu"),
    ]

    # 1. Paid, and learned by the background poll alone.
    await alice.press("$10.00")
    invoice_message = await alice.next_message()
    [invoice] = cryptopay.invoices.values()
    topup = await front.r.topups.by_provider_id("cryptopay", str(invoice.invoice_id))
    assert topup is not None
    assert invoice_message.text == t(
        "cryptopay-invoice",
        id=topup.id,
        amount="$10.00",
        assets="USDT, TON, BTC, ETH, LTC, TRX",
        minutes=90,
    )
    assert cryptopay.calls_to("createInvoice")[0]["expires_in"] == "5400"
    pay_button = invoice_message.button(t("cryptopay-button-pay", amount="$10.00"))
    assert pay_button["url"] == invoice.to_api()["bot_invoice_url"]
    assert (invoice.fiat, invoice.amount, invoice.payload) == ("USD", "10.00", str(topup.id))
    cryptopay.mark_paid(invoice.invoice_id)
    receipt = await alice.next_message(contains=t("rail-cryptopay"))
    assert receipt.text == t(
        "topup-credited", id=topup.id, amount="$10.00", rail=t("rail-cryptopay"), balance="$10.00"
    )

    # 2. Paid, and learned by the signed webhook alone (the poll cannot reach Crypto Pay),
    # delivered three times at once: credited once. A forged update is refused.
    runners: list[web.AppRunner] = []
    try:
        url = await webhook_url(front, runners)
        await alice.say("/topup")
        await alice.tap(t("rail-cryptopay"))
        await alice.press(t("topup-button-other"))
        await alice.next_message()
        await alice.say("12.5")
        second = max(cryptopay.invoices.values(), key=lambda item: item.invoice_id)
        assert second.amount == "12.50"
        cryptopay.down = True
        cryptopay.mark_paid(second.invoice_id)
        body = cryptopay.update(second.invoice_id)
        forged = await cryptopay.post_webhook(url, body, sign_with="99:another-apps-token-xyz")
        assert (forged.status_code, forged.json()) == (401, {"error": "bad signature"})
        tampered = body.replace(b'"12.50"', b'"500.00"')
        forged = await cryptopay.post_webhook(url, tampered, signature=cryptopay.signature(body))
        assert forged.status_code == 401
        answers = await asyncio.gather(*(cryptopay.post_webhook(url, body) for _ in range(3)))
        assert [(answer.status_code, answer.json()) for answer in answers] == [
            (200, {"ok": True})
        ] * 3
        receipt = await alice.next_message(contains=t("rail-cryptopay"))
        assert "+$12.50" in receipt.text and "$22.50" in receipt.text
    finally:
        for runner in runners:
            await runner.cleanup()
    cryptopay.down = False
    assert await front.balance(ALICE) == money("22.50")
    assert [entry[:2] for entry in await ledger_of(front, ALICE)] == [
        (EntryKind.TOPUP, money("10")),
        (EntryKind.TOPUP, money("12.50")),
    ]

    # 3. Crypto Pay down while creating: a plain answer, nothing created to pay.
    cryptopay.down = True
    outage = await choose(alice, "rail-cryptopay", "$5.00")
    assert outage.text == t("cryptopay-unavailable")
    cryptopay.down = False

    # 4. Expired: the top-up is closed and the customer told.
    await choose(alice, "rail-cryptopay", "$25.00")
    third = max(cryptopay.invoices.values(), key=lambda item: item.invoice_id)
    cryptopay.mark_expired(third.invoice_id)
    expired = await alice.next_message(contains="⌛")
    topup = await front.r.topups.by_provider_id("cryptopay", str(third.invoice_id))
    assert topup is not None
    assert expired.text == t(
        "topup-expired", id=topup.id, amount="$25.00", rail=t("rail-cryptopay")
    )
    topup = await front.r.topups.get(topup.id)
    assert topup is not None and topup.status == EXPIRED
    assert await front.balance(ALICE) == money("22.50")  # unchanged by the outage and expiry

    # The history names the rail; /stats splits top-ups by rail.
    balance = await alice.say("/balance")
    assert balance.button_texts[0] == t("button-top-up-rails")
    assert t("ledger-topup-cryptopay") in balance.text
    admin = front.user(ADMIN, first_name="Olga")
    await admin.start()
    stats = await admin.say("/stats")
    assert admin.t("stats-topups-all-time", by_rail="") in stats.text
    assert f"{t('rail-cryptopay')}: $22.50 (paid: 2)" in stats.text
    assert await front.r.ledger.mismatched_balances() == []


async def test_manual_transfers_approved_once_rejected_with_a_reason_and_kept_over_restarts(
    front: Storefront,
) -> None:
    alice = front.user(ALICE, first_name="Alice")
    t = alice.t
    olga = front.user(ADMIN, first_name="Olga")
    pavel = front.user(SECOND_ADMIN, first_name="Pavel")
    for person in (alice, olga, pavel):
        await person.start()

    # The customer reads the instructions, sends something that is no proof, then a photo.
    instructions = await choose(alice, "rail-manual", "$25.00")
    [request] = await front.r.topups.open("manual")
    assert instructions.text == t(
        "manual-instructions",
        id=request.id,
        amount="$25.00",
        instructions=INSTRUCTIONS,
        minutes=90,
    )
    assert "&lt;Example Bank&gt;" in instructions.text  # the owner's text, escaped
    await alice.telegram.send_sticker(ALICE)
    assert (await alice.next_message()).text == t("manual-proof-kind")
    await alice.telegram.send_photo(ALICE, caption="paid at 10:00")
    received = await alice.next_message()
    assert received.text == t("manual-proof-received", id=request.id, amount="$25.00")

    # Every admin gets a copy of the proof and a card; both press Approve at the same moment.
    cards = {}
    for admin in (olga, pavel):
        card = await admin.next_message(contains=f"#{request.id}")
        copy = [
            message
            for message in admin.telegram.messages(admin.user_id)
            if message.method == "copyMessage"
        ]
        assert copy and copy[-1].kind == "photo" and copy[-1].caption == "paid at 10:00"
        assert card.button_texts == [t("manual-button-approve"), t("manual-button-reject")]
        cards[admin.user_id] = card
    queries = [
        await admin.telegram.click(
            admin.user_id,
            cards[admin.user_id].message_id,
            cards[admin.user_id].button(t("manual-button-approve"))["callback_data"],
        )
        for admin in (olga, pavel)
    ]
    answers = [await alice.telegram.wait_for_callback_answer(query) for query in queries]
    texts = sorted(answer.text or "" for answer in answers)
    done = t("manual-approve-done", amount="$25.00")
    assert done in texts
    [other] = [text for text in texts if text != done]
    assert other in (
        t("manual-already-approved", id=request.id, admin="Olga"),
        t("manual-already-approved", id=request.id, admin="Pavel"),
    )
    receipt = await alice.next_message(contains=t("rail-manual"))
    assert receipt.text == t(
        "topup-credited", id=request.id, amount="$25.00", rail=t("rail-manual"), balance="$25.00"
    )
    assert await ledger_of(front, ALICE) == [(EntryKind.TOPUP, money("25"), f"manual:{request.id}")]

    # A second request, by text, survives a restart and is rejected from /pending.
    bob = front.user(BOB, first_name="Bob")
    await bob.start()
    await choose(bob, "rail-manual", "$5.00")
    await bob.say("Sent from card *1234")
    [second] = await front.r.topups.open("manual", status="review")
    await front.stop()
    await front.start()
    pending = await olga.say("/pending")
    assert pending.text == olga.t("manual-pending-title", count=1) + "\n\n" + olga.t(
        "manual-pending-line", id=second.id, user="Bob", amount="$5.00", date=second.created_at[:16]
    )
    await olga.press(t("manual-button-reject-id", id=second.id))
    ask = await olga.next_message()
    assert ask.text == t("manual-reject-ask-reason", id=second.id, amount="$5.00")
    await olga.telegram.send_sticker(ADMIN)
    assert (await olga.next_message()).text == t("manual-reject-reason-text")
    done_reject = await olga.say("No transfer arrived from card *1234")
    assert done_reject.text == t("manual-reject-done", id=second.id)
    notice = await bob.next_message(contains="❌")
    assert notice.text == t(
        "topup-rejected", id=second.id, amount="$5.00", reason="No transfer arrived from card *1234"
    )
    assert await front.balance(BOB) == Money.zero()
    assert (await olga.say("/pending")).text == t("manual-pending-empty")

    # Pressing a decided request's buttons tells who decided it; nothing moves.
    answer = await pavel.press(
        t("manual-button-approve"), message_id=cards[SECOND_ADMIN].message_id
    )
    assert answer.text in (
        t("manual-already-approved", id=request.id, admin="Olga"),
        t("manual-already-approved", id=request.id, admin="Pavel"),
    )
    assert await front.balance(ALICE) == money("25")
    topup = await front.r.topups.get(request.id)
    assert topup is not None and topup.status == PAID
    # Customers cannot press an admin's buttons: for them they do not exist.
    forged = await alice.press_data(
        received.message_id, cards[SECOND_ADMIN].button(t("manual-button-reject"))["callback_data"]
    )
    assert forged.text != t("manual-reject-ask-reason", id=request.id, amount="$25.00")

    # A request whose proof never comes expires after TOPUP_EXPIRY_MINUTES: the customer is
    # told once, and proof sent after that is refused.
    await choose(bob, "rail-manual", "$10.00")
    [third] = await front.r.topups.open("manual")
    manual = front.services.manual_topups  # type: ignore[union-attr]
    created = datetime.strptime(third.created_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert await manual.expire_stale(now=created + timedelta(minutes=89)) == 0
    assert await manual.expire_stale(now=created + timedelta(minutes=91)) == 1
    assert await manual.expire_stale(now=created + timedelta(minutes=200)) == 0
    expired = await bob.next_message(contains="⌛")
    assert expired.text == t(
        "topup-manual-expired", id=third.id, amount="$10.00", rail=t("rail-manual")
    )
    assert (await bob.say("Sent it, honest")).text == t("manual-request-gone")
    topup = await front.r.topups.get(third.id)
    assert topup is not None and topup.status == EXPIRED
    assert await front.balance(BOB) == Money.zero()
    assert await front.r.ledger.mismatched_balances() == []
