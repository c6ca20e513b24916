"""The Mini App's JSON API over real HTTP: the bot polls the fake Telegram server, and with
WEBAPP_URL set its dispatcher's start-up serves /api/ on WEBHOOK_PORT, with the real services.

Each test walks several cases through one running bot, to keep the suite quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from bot.app import set_menu_button
from bot.core.money import Money
from bot.testing.harness import make_bot
from bot.testing.panel import FakePanel
from bot.testing.telegram import TEST_TOKEN, BotMessage, FakeTelegramServer
from bot.web.api import plain_text
from storage.ledger import EntryKind
from tests.e2e.conftest import ADMIN, ALICE, BOB, Storefront, make_settings, shared_translations
from tests.e2e.journey import FOLLOWERS, INSTAGRAM_LINK, ledger, usd
from tests.service_harness import free_port
from tests.test_webhook import WebhookBot
from tests.webapp_client import ApiClient, sign_init_data

PORT = free_port()
WEBAPP_URL = "https://shop.example.com"
pytestmark = pytest.mark.storefront(
    settings={"WEBAPP_URL": WEBAPP_URL, "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": PORT}
)
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client(
    http: aiohttp.ClientSession, user_id: int | None, language: str = "en", **signing: object
) -> ApiClient:
    init_data = (
        None
        if user_id is None
        else sign_init_data(TEST_TOKEN, user_id, language_code=language, **signing)  # type: ignore[arg-type]
    )
    return ApiClient(http, BASE, init_data)


async def start(storefront: Storefront, user_id: int, language: str = "en") -> BotMessage:
    await storefront.telegram.send_message(user_id, "/start", language_code=language)
    return await storefront.telegram.wait_for_message(user_id)


async def test_sign_in_with_telegram_signature(
    storefront: Storefront, http: aiohttp.ClientSession
) -> None:
    en = storefront.translations.get("en")
    ru = storefront.translations.get("ru")
    unauthorized = en("webapp-error-unauthorized")

    # The chat's menu button and main menu open the Mini App.
    button = storefront.telegram.menu_buttons[None]
    assert button["type"] == "web_app" and button["web_app"]["url"] == f"{WEBAPP_URL}/app/"
    menu = await start(storefront, BOB)
    shop = menu.button(en("menu-open-shop"))
    assert shop["web_app"] == {"url": f"{WEBAPP_URL}/app/"}

    # Missing, malformed, tampered with, signed with another token, expired: 401.
    anonymous = client(http, None)
    reply = await anonymous.get("/api/me")
    assert reply.status == 401 and reply.error == unauthorized
    assert reply.headers["WWW-Authenticate"] == "tma"
    reply = await anonymous.get("/api/me", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert reply.status == 401 and reply.error == ru("webapp-error-unauthorized")
    for header in ("Bearer abc", "tma", "tma   ", "tma %%%", "tma hash=00", "tma a=1&b"):
        reply = await anonymous.get("/api/me", headers={"Authorization": header})
        assert (reply.status, reply.error) == (401, unauthorized), header

    genuine = sign_init_data(TEST_TOKEN, ALICE, language_code="ru", first_name="Алиса")
    fields = dict(parse_qsl(genuine))
    tampered = dict(fields, user=fields["user"].replace(str(ALICE), str(BOB)))
    other_token = sign_init_data("123456:" + "B" * 35, ALICE)
    expired = sign_init_data(TEST_TOKEN, ALICE, auth_date=int(time.time()) - 25 * 3600)
    future = sign_init_data(TEST_TOKEN, ALICE, auth_date=int(time.time()) + 3600)
    for init_data in (urlencode(tampered), other_token, expired, future):
        reply = await ApiClient(http, BASE, init_data).get("/api/me")
        assert (reply.status, reply.error) == (401, unauthorized)
    assert await storefront.r.users.get(ALICE) is None  # nobody was signed in by any of them

    # Genuine: the user is registered with initData's language, the amounts are strings.
    alice = ApiClient(http, BASE, genuine)
    reply = await alice.get("/api/me")
    assert reply.status == 200, reply.body
    assert reply.body == {
        "id": ALICE,
        "first_name": "Алиса",
        "balance": "0.00",
        "currency": "USD",
        "language": "ru",
        "is_admin": False,
    }
    assert reply.headers["Cache-Control"] == "no-store"
    strings = (await alice.get("/api/strings")).body
    assert strings["language"] == "ru"
    assert strings["strings"]["webapp-tab-catalog"] == ru("webapp-tab-catalog")
    assert strings["strings"]["webapp-order-title"] == "Заказ №{id}"
    assert all(key.startswith("webapp-") for key in strings["strings"])

    # A language the user picked in the chat stays theirs.
    await storefront.r.users.set_language(ALICE, "en")
    assert (await alice.get("/api/me")).body["language"] == "en"

    # Unknown paths, wrong methods, bad bodies: JSON errors in the caller's language.
    reply = await anonymous.get("/api/nothing-here")
    assert (reply.status, reply.error) == (404, en("webapp-error-not-found"))
    reply = await alice.call("DELETE", "/api/me")
    assert (reply.status, reply.error) == (405, en("webapp-error-method"))
    reply = await alice.post("/api/quote", raw=b"{not json")
    assert (reply.status, reply.error) == (400, en("webapp-error-bad-json"))
    reply = await alice.post("/api/quote", [1, 2])
    assert reply.status == 400
    # Nested deeper than the JSON parser recurses: still bad JSON, not a 500 with a traceback.
    reply = await alice.post("/api/quote", raw=b"[" * 10_000)
    assert (reply.status, reply.error) == (400, en("webapp-error-bad-json"))
    reply = await alice.post("/api/quote", raw=b"\xff\xfe not text")
    assert (reply.status, reply.error) == (400, en("webapp-error-bad-json"))
    reply = await alice.post("/api/quote", raw=b'{"link": "' + b"x" * 20_000 + b'"}')
    assert (reply.status, reply.error) == (413, en("webapp-error-too-large"))
    reply = await alice.get("/api/orders?limit=1000")
    assert reply.status == 422 and "limit" in reply.error

    # Banned: 403, with the chat's own words.
    await storefront.r.users.set_banned(ALICE, True)
    reply = await alice.get("/api/catalog")
    assert (reply.status, reply.error) == (403, plain_text(en("banned")))
    await storefront.r.users.set_banned(ALICE, False)
    assert (await alice.get("/api/catalog")).status == 200

    # The front end is served from the package.
    async with http.get(f"{BASE}/app/") as page:
        assert page.status == 200 and "telegram-web-app.js" in await page.text()
        assert "script-src 'self' https://telegram.org" in page.headers["Content-Security-Policy"]
    async with http.get(f"{BASE}/app/static/app.js") as script:
        assert script.status == 200 and "javascript" in script.headers["Content-Type"]


async def test_catalog_quote_and_one_order_per_quote(
    storefront: Storefront, http: aiohttp.ClientSession
) -> None:
    ru = storefront.translations.get("ru")
    en = storefront.translations.get("en")
    alice = client(http, ALICE, language="ru")
    await start(storefront, ALICE, language="ru")

    catalog = (await alice.get("/api/catalog")).body
    assert catalog["currency"] == "USD"
    names = {category["name"]: category for category in catalog["categories"]}
    assert sorted(names) == ["Instagram", "Telegram", "YouTube"]
    followers = next(s for s in names["Instagram"]["services"] if s["id"] == FOLLOWERS.service_id)
    assert followers == {
        "id": 1,
        "name": FOLLOWERS.name,
        "type": "Default",
        "type_label": ru("service-type-default"),
        "price": "1.08",  # 0.90 plus the 20% markup, per 1000
        "per": "1000",
        "min": 50,
        "max": 10000,
        "refill": True,
        "cancel": True,
        "dripfeed": True,
        "description": followers["description"],
    }
    package = names["Telegram"]["services"][0]
    assert (package["price"], package["per"], package["min"], package["max"]) == (
        "5.40",
        "package",
        1,
        1,
    )
    all_ids = {s["id"] for c in catalog["categories"] for s in c["services"]}
    assert 6 not in all_ids  # a type the shop cannot order
    await storefront.r.catalog.set_hidden("service", 2, True)
    all_ids = {
        s["id"] for c in (await alice.get("/api/catalog")).body["categories"] for s in c["services"]
    }
    assert 2 not in all_ids and 1 in all_ids  # hidden by an admin

    # Quote errors: the chat's validation, in the user's language.
    good = {"service_id": 1, "link": INSTAGRAM_LINK, "quantity": 1000}
    cases = [
        ({**good, "link": "not a link"}, ru("order-link-invalid", telegram=False)),
        ({**good, "quantity": 10}, ru("order-quantity-invalid", minimum=50, maximum=10000)),
        ({**good, "quantity": "12abc"}, ru("order-quantity-invalid", minimum=50, maximum=10000)),
        ({**good, "service_id": 999}, ru("service-unavailable")),
        ({**good, "service_id": 2}, ru("service-unavailable")),
        ({**good, "service_id": True}, ru("webapp-error-field", name="service_id")),
        ({"service_id": 1, "quantity": 100}, ru("order-link-invalid", telegram=False)),
        ({**good, "link": ["a"]}, ru("order-link-invalid", telegram=False)),
        ({**good, "link": {"a": 1}}, ru("webapp-error-field", name="link")),
        ({**good, "dripfeed": "yes"}, ru("webapp-error-field", name="dripfeed")),
        ({**good, "service_id": 3, "dripfeed": True}, ru("reorder-dripfeed-unavailable")),
    ]
    for body, error in cases:
        reply = await alice.post("/api/quote", body)
        assert (reply.status, reply.error) == (422, plain_text(error))

    dripfeed = await alice.post("/api/quote", {**good, "dripfeed": True, "runs": 3, "interval": 30})
    assert dripfeed.body["price"] == "3.24"  # every run is paid
    reply = await alice.post("/api/quote", {**good, "dripfeed": True, "runs": 3})
    assert reply.status == 422  # the interval is asked, as in the chat

    quote = await alice.post("/api/quote", good)
    assert quote.status == 200, quote.body
    assert quote.body["price"] == "1.08" and quote.body["balance_after"] == "-1.08"
    assert quote.body["enough_balance"] is False
    token = quote.body["token"]
    reply = await alice.post("/api/orders", {"token": token})
    assert reply.status == 422
    expected = ru(
        "order-not-enough-balance", balance=ru.money(Money.zero()), missing=usd(ru, "1.08")
    )
    assert reply.error == plain_text(expected)
    assert await storefront.r.orders.for_user(ALICE) == []

    await storefront.credit(ALICE, "10")
    # Bob cannot spend Alice's quote, even knowing its token.
    bob = client(http, BOB)
    reply = await bob.post("/api/orders", {"token": token})
    assert (reply.status, reply.error) == (422, en("webapp-error-quote-expired"))

    # Two racing confirmations of one quote: one order, one charge.
    first, second = await asyncio.gather(
        alice.post("/api/orders", {"token": token}), alice.post("/api/orders", {"token": token})
    )
    assert first.status == second.status == 200, (first.body, second.body)
    assert first.body["order"]["id"] == second.body["order"]["id"]
    assert sorted([first.body["duplicate"], second.body["duplicate"]]) == [False, True]
    again = await alice.post("/api/orders", {"token": token})
    assert again.status == 200 and again.body["duplicate"] is True
    assert again.body["message"] == ru("order-already-placed")
    orders = await storefront.r.orders.for_user(ALICE)
    assert len(orders) == 1 and len(storefront.panel.orders) == 1
    charges = [
        entry for entry in await ledger(storefront, ALICE) if entry[0] == EntryKind.ORDER_CHARGE
    ]
    assert charges == [(EntryKind.ORDER_CHARGE, -Money.parse("1.08"), f"order:{orders[0].id}")]
    assert await storefront.balance(ALICE) == Money.parse("8.92")

    # The chat hears of it as of an order confirmed there.
    placed = await storefront.telegram.wait_for_message(
        ALICE, contains=plain_text(ru("order-placed", id=orders[0].id, service=FOLLOWERS.name))
    )
    assert ru("button-refresh") in placed.button_texts

    # A second order, then the list: newest first, paged.
    quote = await alice.post("/api/quote", {**good, "quantity": "2 000"})
    assert quote.body["price"] == "2.16"
    assert (await alice.post("/api/orders", {"token": quote.body["token"]})).status == 200
    page = (await alice.get("/api/orders?limit=1")).body
    assert page["total"] == 2 and page["limit"] == 1
    newest = page["orders"][0]
    assert newest["quantity"] == 2000 and newest["price"] == "2.16"
    assert newest["status"] == "Pending" and newest["status_label"] == ru("status-pending")
    older = (await alice.get("/api/orders?offset=1&limit=1")).body["orders"]
    assert [order["id"] for order in older] == [orders[0].id]
    assert (await bob.get("/api/orders")).body["orders"] == []  # only one's own

    # A pending percent promo is on the Mini App's quote too, and only one order spends it,
    # even when two quotes that both show it are confirmed at the same moment.
    assert storefront.services is not None
    await storefront.services.promotions.create(["TEN", "10%"], admin_id=ADMIN)
    await storefront.services.promotions.redeem(ALICE, "ten")
    assert (await alice.post("/api/quote", good)).body["discount"] is not None
    quotes = [(await alice.post("/api/quote", good)).body for _ in range(2)]
    for quote in quotes:
        assert (quote["price"], quote["discount"], quote["promo_code"]) == ("0.972", "0.108", "TEN")
        assert quote["balance_after"] == "5.788"  # 6.76 - 0.972
    before = await storefront.balance(ALICE)
    replies = await asyncio.gather(
        *(alice.post("/api/orders", {"token": quote["token"]}) for quote in quotes)
    )
    assert sorted(reply.status for reply in replies) == [200, 422]
    refused = next(reply for reply in replies if reply.status == 422)
    assert refused.error == plain_text(ru("promo-discount-used"))
    assert await storefront.balance(ALICE) == before - Money.parse("0.972")
    assert (await storefront.r.orders.for_user(ALICE))[0].price == Money.parse("0.972")
    after = (await alice.post("/api/quote", good)).body
    assert (after["price"], after["discount"], after["promo_code"]) == ("1.08", None, None)


@pytest.mark.storefront(extra_panels=("backup",))
async def test_admin_endpoints(storefront: Storefront, http: aiohttp.ClientSession) -> None:
    en = storefront.translations.get("en")
    customer = client(http, ALICE)
    admin = client(http, ADMIN)
    for method, path in (
        ("GET", "/api/admin/stats?days=30"),
        ("GET", "/api/admin/orders?status=unknown"),
        ("POST", "/api/admin/orders/1/settle"),
    ):
        reply = await customer.call(method, path, {"failed": True})
        assert (reply.status, reply.error) == (403, en("webapp-error-admin-only")), path
    assert (await admin.get("/api/me")).body["is_admin"] is True

    # Two orders whose placement is unknown (the panel answered with an HTML error page).
    await customer.get("/api/me")
    await storefront.credit(ALICE, "10")
    unknown = []
    for _ in range(2):
        storefront.panel.fail_next("add", "html502")
        quote = await customer.post(
            "/api/quote", {"service_id": 1, "link": INSTAGRAM_LINK, "quantity": 1000}
        )
        reply = await customer.post("/api/orders", {"token": quote.body["token"]})
        assert reply.body["order"]["status"] == "unknown"
        unknown.append(reply.body["order"]["id"])
    quote = await customer.post("/api/quote", {"service_id": 3, "link": "https://t.me/alice"})
    assert (await customer.post("/api/orders", {"token": quote.body["token"]})).status == 200

    body = (await admin.get("/api/admin/orders?status=unknown")).body
    listed = body["orders"]
    assert [order["id"] for order in listed] == unknown
    assert listed[0]["user_id"] == ALICE
    assert body["panels"] == ["main", "backup"] and listed[0]["panel"] == "main"
    reply = await admin.get("/api/admin/orders?status=whatever")
    assert reply.status == 422

    settle = f"/api/admin/orders/{unknown[0]}/settle"
    for body in (
        {},
        {"failed": True, "panel_order_id": 5},
        {"panel_order_id": 0},
        {"failed": True, "panel": "backup"},
        {"panel_order_id": 5, "panel": 7},
    ):
        assert (await admin.post(settle, body)).status == 422, body
    reply = await admin.post(settle, {"panel_order_id": 5, "panel": "elsewhere"})
    assert (reply.status, reply.error) == (
        422,
        plain_text(en("admin-panel-unknown", panel="elsewhere", panels="main, backup")),
    )
    # The admin found it on the backup panel, not the one it was sent to (as /settle <id>
    # backup:<panel id>): that panel is asked, and the order is tracked there.
    reply = await admin.post(settle, {"panel_order_id": 987654})
    assert reply.status == 422  # the order's own panel does not know that id: nothing changes
    on_panel = storefront.extra_panels["backup"].create_order(1, INSTAGRAM_LINK, 1000).order_id
    reply = await admin.post(settle, {"panel_order_id": on_panel, "panel": "Backup"})
    assert reply.status == 200 and reply.body["order"]["upstream_id"] == on_panel
    assert reply.body["order"]["panel"] == "backup"
    reply = await admin.post(settle, {"failed": True})
    assert reply.status == 409  # settled already
    reply = await admin.post(f"/api/admin/orders/{unknown[1]}/settle", {"failed": True})
    assert reply.status == 200 and reply.body["order"]["status"] == "failed"
    assert (await admin.post("/api/admin/orders/99999/settle", {"failed": True})).status == 404
    for odd in ("%C2%B2", "%D9%A3", "99999999999999999999"):  # "²", "٣", past SQLite's 2**63
        assert (await admin.post(f"/api/admin/orders/{odd}/settle", {"failed": True})).status in (
            404,
            405,
        ), odd
    await storefront.telegram.wait_for_message(ALICE, contains=en.money(Money.parse("1.08")))

    stats = (await admin.get("/api/admin/stats?days=30")).body
    assert len(stats["days"]) == 30 and stats["currency"] == "USD"
    today = stats["days"][-1]
    # Placed: the settled one (1.08) and the package (5.40); the refunded one is not revenue.
    assert today["orders"] == 2 and today["revenue"] == "6.48"
    assert today["panel_cost"] == "5.40"  # 0.90 + 4.50 at the panel's rates
    assert today["profit"] == "1.08"
    assert stats["total"]["revenue"] == "6.48"
    assert all(day["orders"] == 0 for day in stats["days"][:-1])
    assert (await admin.get("/api/admin/stats?days=0")).status == 422


async def test_in_webhook_mode_the_webhook_server_serves_the_mini_app(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    async with FakePanel() as panel, FakeTelegramServer() as telegram:
        port = free_port()
        settings = make_settings(
            panel,
            tmp_path / "storefront.sqlite3",
            WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
            WEBHOOK_PORT=port,
            WEBAPP_URL=WEBAPP_URL,
            SHOP_CURRENCY="USD",
        )
        front = WebhookBot(telegram, panel, settings, shared_translations("en"), port)
        await front.start()
        try:
            alice = ApiClient(http, front.base, sign_init_data(TEST_TOKEN, ALICE))
            reply = await alice.get("/api/me")
            assert reply.status == 200 and reply.body["id"] == ALICE
            async with http.get(front.base + "/app/admin/") as page:
                assert page.status == 200
            async with http.get(front.base + "/healthz") as health:
                assert health.status == 200
            assert telegram.menu_buttons[None]["web_app"]["url"] == f"{WEBAPP_URL}/app/"
        finally:
            await front.stop()


async def test_a_refused_menu_button_is_one_warning_not_a_failed_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeTelegramServer() as telegram:
        bot = make_bot(telegram)
        try:
            telegram.fail_next("setChatMenuButton", error_code=400, description="Bad Request: x")
            with caplog.at_level(logging.WARNING, logger="bot.app"):
                await set_menu_button(bot, shared_translations("en"), f"{WEBAPP_URL}/app/")
        finally:
            await bot.session.close()
    warnings = [record for record in caplog.records if record.name == "bot.app"]
    assert [record.levelno for record in warnings] == [logging.WARNING]
    assert "menu button" in warnings[0].getMessage()
    assert telegram.menu_buttons == {}


async def test_an_order_on_its_way_to_the_panel_finishes_when_the_bot_stops(
    storefront: Storefront, http: aiohttp.ClientSession
) -> None:
    alice = client(http, ALICE)
    await alice.get("/api/me")
    await storefront.credit(ALICE, "10")
    quote = await alice.post(
        "/api/quote", {"service_id": 1, "link": INSTAGRAM_LINK, "quantity": 1000}
    )
    storefront.panel.latency = 2.5  # the panel takes its time to answer the add
    placing = asyncio.create_task(alice.post("/api/orders", {"token": quote.body["token"]}))
    await storefront.panel.wait_until(lambda: storefront.panel.count("add") == 1)
    await storefront.stop()  # SIGTERM's path: the web server stops first, then the rest
    with contextlib.suppress(aiohttp.ClientError):
        await placing  # answered or cut off: either way the order itself must be complete
    with sqlite3.connect(storefront.database_path) as database:
        rows = database.execute("SELECT status, upstream_id FROM orders").fetchall()
    assert len(rows) == 1 and rows[0][0] == "Pending" and rows[0][1] is not None
