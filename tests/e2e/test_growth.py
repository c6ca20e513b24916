"""Growth end to end: referrals, promo codes, search and inline mode, mass orders.

Real HTTP throughout: the fake Telegram server delivers the updates (payments and inline
queries included) to the real Dispatcher, the fake panel takes the orders.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.core.money import Money
from bot.testing.telegram import BotMessage
from bot.testing.user import ChatUser
from storage.ledger import EntryKind
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront
from tests.e2e.journey import (
    COMMENTS,
    FOLLOWERS,
    INSTAGRAM_LINK,
    LIKES,
    ledger,
    money,
    orders_of,
    usd,
)
from tests.e2e.test_payments import LogWatch, invoice_for

CAROL = 100_000_013
DAVE = 100_000_014
INVITE_LINK = re.compile(r"https://t\.me/test_store_bot\?start=ref_([a-z0-9]+)")


async def admin_says(front: Storefront, text: str) -> BotMessage:
    await front.telegram.send_message(ADMIN, text)
    return await front.telegram.wait_for_message(ADMIN)


async def invite_code(customer: ChatUser) -> str:
    screen = await customer.say("/invite")
    found = INVITE_LINK.search(screen.text)
    assert found, screen.text
    return found.group(1)


async def stars_topup(customer: ChatUser, preset: str) -> tuple[str, str]:
    """/topup, a preset, pay: (charge id, invoice payload) once the receipt is in."""
    invoice = await invoice_for(customer, preset)
    charge_id = await customer.telegram.pay_invoice(customer.user_id)
    await customer.telegram.wait_for_message(customer.user_id, contains=charge_id)
    return charge_id, str(invoice.params["payload"])


# --- referrals ------------------------------------------------------------------------------


async def test_referral_binds_once_and_pays_five_percent_of_each_payment_once(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    bob = storefront.user(BOB, first_name="Bob")
    carol = storefront.user(CAROL, first_name="Carol")
    await alice.start()
    menu = storefront.telegram.messages(ALICE)[-1]
    assert alice.t("menu-invite") in menu.button_texts
    code = await invite_code(alice)
    assert code == await invite_code(alice)  # a stable code, not the Telegram id
    assert str(ALICE) not in code

    # Alice's own link does nothing for her; Bob's very first /start binds him to Alice.
    own = await alice.say(f"/start ref_{code}")
    assert alice.t("referral-welcome") not in own.text
    await storefront.telegram.send_message(BOB, f"/start ref_{code}", first_name="Bob")
    welcome = await bob.next_message()
    assert bob.t("referral-welcome") in welcome.text
    await carol.start()
    carol_code = await invite_code(carol)
    again = await bob.say(f"/start ref_{carol_code}")  # never re-bound
    assert bob.t("referral-welcome") not in again.text
    # A stranger's first /start with a made-up code is an ordinary welcome.
    await storefront.telegram.send_message(DAVE, "/start ref_nosuchcode")
    await storefront.telegram.wait_for_message(DAVE)
    assert await storefront.r.referrals.referrer_of(BOB) == ALICE
    assert await storefront.r.referrals.referrer_of(ALICE) is None
    assert await storefront.r.referrals.referrer_of(DAVE) is None

    # Bob pays $10 in Stars: Alice gets 5% once, with one message, even when Telegram
    # delivers the same payment twice more.
    charge_id, payload = await stars_topup(bob, "$10.00")
    notice = await storefront.telegram.wait_for_message(ALICE, contains=usd(alice.t, "0.50"))
    assert notice.content == alice.t("referral-bonus-notice", amount=usd(alice.t, "0.50"))
    with LogWatch("handlers.payments") as log:
        for _ in range(2):
            await storefront.telegram.successful_payment(
                BOB,
                currency="XTR",
                total_amount=500,
                invoice_payload=payload,
                telegram_payment_charge_id=charge_id,
            )
        await log.wait_for("delivered again", times=2)
    await storefront.services.outbox.deliver_due()  # type: ignore[union-attr]
    assert await ledger(storefront, ALICE) == [(EntryKind.REFERRAL, money("0.5"), charge_id)]
    assert await storefront.balance(BOB) == money("10")
    notices = [m for m in storefront.telegram.messages(ALICE) if usd(alice.t, "0.50") in m.text]
    assert len(notices) == 1

    # Admin credits are not payments: no bonus.
    await admin_says(storefront, f"/addbalance {BOB} 100 goodwill")
    assert await storefront.balance(ALICE) == money("0.5")

    screen = await alice.say("/invite")
    assert screen.content == alice.t(
        "referral-screen",
        percent=5,
        link=f"https://t.me/test_store_bot?start=ref_{code}",
        joined=1,
        earned=usd(alice.t, "0.50"),
    )

    # While Alice is banned, Bob's payments earn her nothing.
    await admin_says(storefront, f"/ban {ALICE}")
    await stars_topup(bob, "$10.00")
    await admin_says(storefront, f"/unban {ALICE}")
    assert await storefront.balance(ALICE) == money("0.5")

    # An admin refunds Bob's first payment: its bonus is taken back once, and the admin is
    # told so.
    t = storefront.user(ADMIN).t
    refunded = await admin_says(storefront, f"/refund {charge_id}")
    assert t("admin-refund-done", amount=usd(t, "10.00")) in refunded.content
    taken = t("admin-refund-referral-taken", referrer=ALICE, bonus=usd(t, "0.50"))
    assert taken in refunded.content
    assert (await admin_says(storefront, f"/refund {charge_id}")).text == t("admin-refund-already")
    assert await ledger(storefront, ALICE) == [
        (EntryKind.REFERRAL, money("0.5"), charge_id),
        (EntryKind.REFERRAL_REVERSAL, -money("0.5"), charge_id),
    ]
    assert await storefront.balance(ALICE) == Money.zero()
    assert await storefront.r.ledger.mismatched_balances() == []


@pytest.mark.storefront(settings={"REFERRAL_PERCENT": 0})
async def test_referral_percent_zero_turns_the_programme_off(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    await alice.start()
    assert alice.t("menu-invite") not in storefront.telegram.messages(ALICE)[-1].button_texts
    assert (await alice.say("/invite")).text == alice.t("referral-off")


# --- promo codes ----------------------------------------------------------------------------


async def test_a_capped_code_redeemed_by_many_at_once_never_passes_its_cap(
    storefront: Storefront,
) -> None:
    t = storefront.user(ADMIN).t
    created = await admin_says(storefront, "/promo add gift 2 uses=3 until=2999-12-31")
    assert "GIFT" in created.text and "2999-12-31" in created.text
    users = [200_000_000 + n for n in range(12)]
    for user_id in users:
        await storefront.telegram.send_message(user_id, "/start")
        await storefront.telegram.wait_for_message(user_id)
    await asyncio.gather(
        *(storefront.telegram.send_message(user_id, "/promo GiFt") for user_id in users)
    )
    replies = [await storefront.telegram.wait_for_message(user_id) for user_id in users]
    credited = [reply for reply in replies if "GIFT" in reply.text and "$2.00" in reply.text]
    assert len(credited) == 3
    assert sum(reply.text == t("promo-used-up") for reply in replies) == 9
    code = await storefront.r.promos.get("GIFT")
    assert code is not None and code.used == 3
    promo_rows = await storefront.r.database.fetch_value(
        "SELECT COUNT(*) FROM ledger WHERE kind = 'promo'"
    )
    assert promo_rows == 3
    listing = await admin_says(storefront, "/promo list")
    assert "GIFT" in listing.text and "3/3" in listing.text
    off = await admin_says(storefront, "/promo off GIFT")
    assert off.text == t("promo-admin-off", code="GIFT")
    # Customers cannot create codes: for them "/promo add …" is just a wrong code.
    alice = storefront.user(ALICE)
    await alice.start()
    assert (await alice.say("/promo add MINE 100")).text == t("promo-unknown")
    assert await storefront.r.promos.get("MINE") is None


async def test_a_percent_code_discounts_the_next_order_once(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await admin_says(storefront, "/promo add TEN 10%")
    await alice.start()
    await storefront.credit(ALICE, "10")
    # 🎁 on the Balance screen asks for the code.
    await alice.say("/balance")
    asked = await alice.tap(t("button-promo"))
    assert asked.text == t("promo-ask")
    saved = await alice.say("ten")
    assert saved.text == t("promo-discount-saved", code="TEN", percent=10)
    assert (await alice.say("/promo TEN")).text == t("promo-already-redeemed")

    # Followers at $1.08 per 1000 (20% markup): 10% off is $0.108.
    await alice.say("/menu")
    card = await alice.reach_confirmation(quantity=1000)
    assert t("promo-discount-line", code="TEN", percent=10, discount="$0.108") in card.content
    assert "$0.972" in card.text
    await alice.press(t("button-confirm"), message_id=card.message_id)
    placed = await storefront.telegram.wait_for_message(ALICE, contains="#1")
    assert await storefront.balance(ALICE) == money("10") - money("0.972")
    orders = await orders_of(storefront, ALICE)
    assert [order.price for order in orders] == [money("0.972")]

    # The next order pays the full price: the discount was spent.
    await alice.say("/menu")
    card = await alice.reach_confirmation(quantity=1000)
    assert "🎁" not in card.text and "$1.08" in card.text

    # 🔁 Order again is a next order too: a new code's discount is on its card.
    await admin_says(storefront, "/promo add FIVE 5%")
    await alice.say("/promo FIVE")
    await alice.press(t("button-order-again"), message_id=placed.message_id)
    again = await alice.next_message()
    assert t("promo-discount-line", code="FIVE", percent=5, discount="$0.054") in again.content
    assert "$1.026" in again.text


async def test_wrong_codes_make_the_user_wait(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    await admin_says(storefront, "/promo add REAL 1")
    await alice.start()
    for attempt in range(5):
        assert (await alice.say(f"/promo WRONG{attempt}")).text == alice.t("promo-unknown")
    wait = await alice.say("/promo REAL")
    assert wait.text == alice.t("promo-too-many-attempts", minutes=10)
    assert await storefront.balance(ALICE) == Money(0)


# --- search and inline mode -----------------------------------------------------------------


async def test_search_finds_services_and_pages_them(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    found = await alice.say("/search INSTAGRAM likes")
    assert found.content == t("search-found", query="instagram likes", count=1)
    assert found.button_texts[0] == f"#{LIKES.service_id} {LIKES.name} · $0.144"
    card = await alice.tap(LIKES.name)
    assert t("service-card-id", id=str(LIKES.service_id)) in card.content

    # 🔎 on the catalog asks for words; accents and case do not matter.
    await alice.say("/order")
    asked = await alice.tap(t("button-search"))
    assert asked.text == t("search-ask")
    results = await alice.say("fóllowers")
    assert any(FOLLOWERS.name in text for text in results.button_texts)
    nothing = await alice.say("/search zzzz")
    assert nothing.text == t("search-nothing", query="zzzz")


async def test_inline_query_lists_services_with_a_deep_link(storefront: Storefront) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await admin_says(storefront, f"/hide service {COMMENTS.service_id}")
    query_id = await storefront.telegram.inline_query(ALICE, "instagram")
    answer = await storefront.telegram.wait_for_inline_answer(query_id)
    titles = [result["title"] for result in answer.results]
    assert FOLLOWERS.name in titles and LIKES.name in titles
    assert COMMENTS.name not in titles  # hidden
    assert answer.is_personal and answer.cache_time is not None and answer.cache_time <= 60
    followers = next(r for r in answer.results if r["title"] == FOLLOWERS.name)
    assert followers["description"] == t("inline-price", price="$1.08")
    url = followers["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url == f"https://t.me/test_store_bot?start=svc_{FOLLOWERS.service_id}"
    assert FOLLOWERS.name in followers["input_message_content"]["message_text"]
    # An inline query alone does not make Alice a customer.
    assert await storefront.r.users.get(ALICE) is None
    empty = await storefront.telegram.wait_for_inline_answer(
        await storefront.telegram.inline_query(ALICE, "")
    )
    assert 0 < len(empty.results) <= 50
    none = await storefront.telegram.wait_for_inline_answer(
        await storefront.telegram.inline_query(ALICE, "qqqqq")
    )
    assert none.results == [] and none.button is not None

    # Answered too late (Telegram refuses the answer): a log line, not an error.
    await storefront.telegram.send_update(
        {"inline_query": {"id": "777", "from": {"id": BOB, "is_bot": False, "first_name": "B"},
                          "query": "likes", "offset": ""}}
    )  # fmt: skip
    await storefront.telegram.wait_for(
        lambda: any(error.method == "answerInlineQuery" for error in storefront.telegram.errors)
    )

    # The deep link opens the service's card; a gone one says so.
    card = await alice.say(f"/start svc_{FOLLOWERS.service_id}")
    assert FOLLOWERS.name in card.text and t("button-order-this") in card.button_texts
    gone = await alice.say(f"/start svc_{COMMENTS.service_id}")
    assert gone.text == t("search-service-gone")
    # A link typed by hand: "²".isdigit() is true, int("²") fails.
    for argument in ("svc_²", "svc_99999999999999999999", "svc_", "svc_-1"):
        odd = await alice.say(f"/start {argument}")
        assert odd.text == t("search-service-gone"), argument


# --- mass orders ----------------------------------------------------------------------------


async def test_a_mass_order_places_good_lines_and_refunds_a_refused_one(
    storefront: Storefront,
) -> None:
    alice = storefront.user(ALICE)
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    lines = "\n".join(
        [
            f"{FOLLOWERS.service_id} | {INSTAGRAM_LINK} | 1000",  # $1.08: refused by the panel
            f"{LIKES.service_id} | {INSTAGRAM_LINK} | 500",  # $0.072: outcome unknown
            f"{FOLLOWERS.service_id} | not-a-link | 1000",
            f"{LIKES.service_id} | {INSTAGRAM_LINK} | 3",  # below the minimum of 10
            f"{COMMENTS.service_id} | {INSTAGRAM_LINK} | 10",  # needs the comments
            f"999 | {INSTAGRAM_LINK} | 100",
            f"{FOLLOWERS.service_id} | {INSTAGRAM_LINK} | 2000",  # $2.16
        ]
    )
    asked = await alice.say("/mass")
    assert asked.text.startswith(t("mass-ask")[:10])
    card = await alice.say(lines)
    assert t("mass-card-title", valid=3, invalid=4) in card.content
    for reason in (
        t("mass-reason-link"),
        t("mass-reason-quantity", min=10, max=5000),
        t("mass-reason-type", service=COMMENTS.name),
        t("mass-reason-unknown-service", service_id="999"),
    ):
        assert reason in card.text, reason
    assert "$3.312" in card.text  # 1.08 + 0.072 + 2.16

    # The panel refuses the first line, and the second one's answer is lost on the way back.
    storefront.panel.fail_next("add", "error:Incorrect link")
    storefront.panel.fail_next("add", "drop")
    await alice.press(t("button-confirm"), message_id=card.message_id)
    summary = await alice.next_message(
        where=lambda m: m.message_id == card.message_id and t("mass-summary-title") in m.content
    )
    refused, unknown, placed = await orders_of(storefront, ALICE)
    assert (refused.status, unknown.status) == ("failed", "unknown")
    assert placed.upstream_id is not None
    assert t("refusal-bad-link") in summary.text
    assert f"#{unknown.id}" in summary.text and f"#{placed.id}" in summary.text
    # Charged exactly the lines placed or being verified; the refused one was refunded once,
    # and the one whose outcome is unknown was never sent again.
    assert await storefront.balance(ALICE) == money("10") - money("0.072") - money("2.16")
    kinds = [kind for kind, _, _ in await ledger(storefront, ALICE)]
    assert kinds.count(EntryKind.ORDER_REFUND) == 1
    assert storefront.panel.count("add") == 3

    # Confirm again (a double press, or later): nothing more happens.
    answer = await alice.press_data(card.message_id, str(card.buttons[0]["callback_data"]))
    assert answer.text == t("mass-confirmation-gone")
    assert len(await orders_of(storefront, ALICE)) == 3
    assert storefront.panel.count("add") == 3
    assert await storefront.r.ledger.mismatched_balances() == []

    # Two presses of one Confirm at the same moment place the line once.
    card = await alice.say(f"/mass {LIKES.service_id} | {INSTAGRAM_LINK} | 100")
    data = str(card.button(t("button-confirm"))["callback_data"])
    first, second = [await alice.click_data(card.message_id, data) for _ in range(2)]
    answers = [await alice.answer_to(first), await alice.answer_to(second)]
    assert [answer.text for answer in answers].count(t("mass-confirmation-gone")) == 1
    await alice.next_message(
        where=lambda m: m.message_id == card.message_id and t("mass-summary-title") in m.content
    )
    assert len(await orders_of(storefront, ALICE)) == 4
    assert storefront.panel.count("add") == 4

    # A pending percent promo goes to the first valid line, shown on the card, spent once.
    await admin_says(storefront, "/promo add HALF 50%")
    await alice.say("/promo HALF")
    card = await alice.say(
        f"/mass {LIKES.service_id} | bad | 100\n"
        f"{LIKES.service_id} | {INSTAGRAM_LINK} | 100\n"
        f"{LIKES.service_id} | {INSTAGRAM_LINK} | 200"
    )
    assert t("promo-discount-line", code="HALF", percent=50, discount="$0.0072") in card.content
    assert "$0.036" in card.text  # 0.0072 + 0.0288
    before = await storefront.balance(ALICE)
    await alice.press(t("button-confirm"), message_id=card.message_id)
    await alice.next_message(
        where=lambda m: m.message_id == card.message_id and t("mass-summary-title") in m.content
    )
    prices = [order.price for order in (await orders_of(storefront, ALICE))[-2:]]
    assert prices == [money("0.0072"), money("0.0288")]
    assert await storefront.balance(ALICE) == before - money("0.036")
    assert await storefront.r.promos.pending_discount(ALICE) is None
