"""The Mini App in headless Chromium (Debian's ``chromium``, driven by Playwright).

Telegram's ``telegram-web-app.js`` is stood in for by a stub that hands the page an
``initData`` signed with the test bot's token, as Telegram would; everything else is real:
the pages and scripts from the package, the API, the services, the fake panel and the chat.

Marked ``browser`` (skipped by the default test command; ``pytest -m browser`` runs them).
Set ``MINI_APP_SCREENSHOTS=<folder>`` to save what the customer and the admin saw
(docs/make_screenshot.py does, for the README).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage.ledger
import storage.orders
from bot.testing.telegram import TEST_TOKEN
from tests.e2e.conftest import ADMIN, ALICE, Storefront
from tests.e2e.journey import FOLLOWERS, INSTAGRAM_LINK
from tests.service_harness import free_port
from tests.webapp_client import sign_init_data

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The dashboard is checked in Russian; docs/make_screenshot.py asks for English.
ADMIN_LANGUAGE = os.environ.get("MINI_APP_ADMIN_LANGUAGE", "ru")
PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    pytest.mark.storefront(
        settings={"WEBAPP_URL": "https://shop.example.com", "WEBHOOK_PORT": PORT}
    ),
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM}"),
]
# Telegram's light theme, as themeParams carries it.
THEME = {
    "bg_color": "#ffffff",
    "secondary_bg_color": "#f0f2f5",
    "section_bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "accent_text_color": "#3390ec",
    "destructive_text_color": "#e53935",
}


def telegram_stub(init_data: str) -> str:
    """What telegram-web-app.js provides the page, minus the link to a Telegram client."""
    return f"""
window.Telegram = {{ WebApp: {{
  initData: {json.dumps(init_data)},
  initDataUnsafe: {{}},
  themeParams: {json.dumps(THEME)},
  colorScheme: "light",
  version: "8.0",
  platform: "tdesktop",
  readyCalled: false,
  ready() {{ this.readyCalled = true; }},
  expand() {{}},
  onEvent() {{}},
}} }};
"""


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def open_page(browser: object, user_id: int, path: str, language: str = "en") -> object:
    context = await browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 420, "height": 860}, device_scale_factor=2, locale=language
    )
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.page_errors = page_errors
    init_data = sign_init_data(TEST_TOKEN, user_id, language_code=language, first_name="Alice")

    async def stub(route: object) -> None:
        await route.fulfill(  # type: ignore[attr-defined]
            status=200, content_type="application/javascript", body=telegram_stub(init_data)
        )

    await page.route("https://telegram.org/js/telegram-web-app.js*", stub)
    await page.goto(BASE + path)
    return page


def days_ago_clock(days: int) -> Callable[[], str]:
    """storage's clock, ``days`` back: orders and their charges written with it are dated then."""
    when = datetime.now(UTC) - timedelta(days=days)
    return lambda: when.strftime("%Y-%m-%d %H:%M:%S")


def screenshot_path(name: str) -> Path | None:
    folder = os.environ.get("MINI_APP_SCREENSHOTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / name


async def test_a_customer_searches_orders_and_sees_the_order(
    storefront: Storefront, browser: object
) -> None:
    t = storefront.translations.get("en")
    await storefront.telegram.send_message(ALICE, "/start", language_code="en")
    await storefront.telegram.wait_for_message(ALICE)
    await storefront.credit(ALICE, "25")
    # A pending 10% promo code: the quote shows it, already off the price.
    assert storefront.services is not None
    await storefront.services.promotions.create(["TEN", "10%"], admin_id=ADMIN)
    await storefront.services.promotions.redeem(ALICE, "TEN")
    page = await open_page(browser, ALICE, "/app/")
    expect = playwright_api.expect

    await expect(page.locator("#balance")).to_have_text(t("webapp-balance", balance="$25.00"))
    assert await page.evaluate("window.Telegram.WebApp.readyCalled") is True
    # Telegram's theme reaches the page's colours.
    button = page.locator("[data-tab=catalog]")
    assert await button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(51, 144, 236)"
    services = page.locator(".service:visible")
    await expect(services).to_have_count(6)  # every service the shop can sell

    await page.fill("#search", "instagram follow")
    await expect(services).to_have_count(1)
    await expect(services.first).to_contain_text(FOLLOWERS.name)
    await expect(services.first).to_contain_text(t("webapp-price-per-1000", price="$1.08"))
    await page.fill("#search", "nothing like this")
    await expect(page.locator("#no-results")).to_be_visible()
    await page.fill("#search", "followers")
    if path := screenshot_path("catalog.png"):
        await page.fill("#search", "")
        await page.screenshot(path=str(path))
        await page.fill("#search", "followers")
    await services.first.locator("button").click()

    await page.fill("#link", INSTAGRAM_LINK)
    await page.fill("#quantity", "2500")
    await expect(page.locator("#estimate")).to_have_text(t("webapp-estimate", price="$2.70"))
    # Drip-feed: every run is paid for.
    await page.check("#dripfeed")
    await page.fill("#runs", "3")
    await expect(page.locator("#estimate")).to_have_text(t("webapp-estimate", price="$8.10"))
    await page.uncheck("#dripfeed")
    await expect(page.locator("#runs")).to_be_hidden()
    await page.fill("#quantity", "5")
    await page.click("#get-price")
    error = t("order-quantity-invalid", minimum=50, maximum="10,000")
    await expect(page.locator("#form-error")).to_have_text(error)
    await page.fill("#quantity", "1000")
    await page.click("#get-price")
    await expect(page.locator("#confirm-price")).to_have_text("$0.972")
    await expect(page.locator("#confirm-discount")).to_have_text("−$0.108")
    await expect(page.locator("#confirm-discount-label")).to_have_text(
        t("webapp-confirm-discount", code="TEN", percent="10")
    )
    await expect(page.locator("#confirm-after")).to_have_text("$24.028")
    if path := screenshot_path("confirm.png"):
        await page.screenshot(path=str(path))
    # A double tap places one order.
    await page.locator("#pay").dblclick()
    await expect(page.locator("#placed-message")).to_contain_text("Order #1 placed!")
    await expect(page.locator("#balance")).to_have_text(t("webapp-balance", balance="$24.028"))
    assert len(await storefront.r.orders.for_user(ALICE)) == 1
    await storefront.telegram.wait_for_message(ALICE, contains="Order #1 placed!")

    await page.click("#to-orders")
    order = page.locator(".order[data-order='1']")
    await expect(order).to_contain_text(t("webapp-order-title", id=1))
    await expect(order).to_contain_text(FOLLOWERS.name)
    await expect(order.locator(".status")).to_have_text(t("status-pending"))
    if path := screenshot_path("orders.png"):
        await page.screenshot(path=str(path))
    assert page.page_errors == []  # type: ignore[attr-defined]


@pytest.mark.storefront(extra_panels=("backup",))
async def test_an_admin_sees_the_charts_and_settles_an_order(
    storefront: Storefront, browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = storefront.translations.get(ADMIN_LANGUAGE)
    await storefront.telegram.send_message(ALICE, "/start", language_code="en")
    await storefront.telegram.wait_for_message(ALICE)
    assert storefront.services is not None
    quotes = storefront.services.quotes
    await storefront.credit(ALICE, "500")
    # A month of orders: one on each of these days (days ago), of a growing size.
    days_ago = [27, 25, 22, 20, 19, 15, 13, 12, 9, 7, 6, 4, 2, 1, 0, 0]
    for index, back in enumerate(days_ago):
        quantity = str(500 + 450 * index)
        quote = await quotes.quote(
            ALICE, FOLLOWERS.service_id, {"link": INSTAGRAM_LINK, "quantity": quantity}
        )
        with monkeypatch.context() as patch:
            for module in (storage.orders, storage.ledger):
                patch.setattr(module, "utc_now", days_ago_clock(back))
            await quotes.place(ALICE, quote.token)
    storefront.panel.fail_next("add", "html502")
    quote = await quotes.quote(
        ALICE, FOLLOWERS.service_id, {"link": INSTAGRAM_LINK, "quantity": "500"}
    )
    unknown = (await quotes.place(ALICE, quote.token)).order

    page = await open_page(browser, ADMIN, "/app/admin/", language=ADMIN_LANGUAGE)
    expect = playwright_api.expect
    await expect(page.locator("h1")).to_have_text(t("webapp-admin-title"))
    bars = page.locator("#chart-orders rect.bar")
    await expect(bars).to_have_count(30)
    heights = [float(await bar.get_attribute("height") or 0) for bar in await bars.all()]
    drawn = {29 - index for index, height in enumerate(heights) if height > 0}
    assert drawn == set(days_ago)  # one bar on each day that had an order, none elsewhere
    assert heights[-1] > heights[-2]  # today had two orders (and the unknown one)
    await expect(page.locator("#chart-profit rect.bar")).to_have_count(30)
    await expect(page.locator("#total-orders")).to_have_text(str(len(days_ago) + 1))
    to_settle = page.locator(f"#unknown .order[data-order='{unknown.id}']")
    await expect(to_settle).to_contain_text(f"{ALICE}")
    if path := screenshot_path("dashboard.png"):
        await page.screenshot(path=str(path), full_page=True)
    # /settle checks the panel id with the panel: the order is there after all, on the
    # backup panel (with several panels the admin picks the one, the order's own first).
    backup = storefront.extra_panels["backup"]
    on_panel = backup.create_order(FOLLOWERS.service_id, INSTAGRAM_LINK, 500).order_id
    panel = to_settle.locator("select")
    await expect(panel).to_have_value("main")
    await panel.select_option("backup")
    await to_settle.locator("input").fill(str(on_panel))
    await to_settle.get_by_role("button", name=t("webapp-admin-placed")).click()
    await expect(to_settle.locator(".notice")).to_contain_text(str(on_panel))
    settled = await storefront.r.orders.get(unknown.id)
    assert settled is not None and settled.upstream_id == on_panel and settled.panel == "backup"

    # A customer opening the dashboard is told it is not for them, and sees no figures.
    customer = await open_page(browser, ALICE, "/app/admin/")
    await expect(customer.locator("#fatal")).to_have_text(
        storefront.translations.get("en")("webapp-admin-only")
    )
    await expect(customer.locator("#chart-orders rect")).to_have_count(0)
    assert page.page_errors == [] and customer.page_errors == []  # type: ignore[attr-defined]
