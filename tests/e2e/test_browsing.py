"""Browsing long lists: catalog pages, my orders newest first, names shown as written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.testing.panel import FakeService
from tests.e2e.conftest import ALICE, Storefront
from tests.e2e.journey import orders_of

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")


async def test_a_long_catalog_is_paged(storefront: Storefront) -> None:
    for number in range(20):
        service_id = 100 + number
        storefront.panel.services[service_id] = FakeService(
            service_id, f"Service {number}", "Default", f"Category {number:02d}",
            Decimal("1"), 10, 1000,
        )  # fmt: skip
    assert storefront.services is not None
    await storefront.services.catalog.refresh()

    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    first = await alice.tap(t("menu-new-order"))
    categories = [text for text in first.button_texts if "(" in text]
    assert len(categories) == 8  # 23 categories, 8 a page
    assert t("page-indicator", page=1, pages=3) in first.button_texts
    assert t("button-previous") not in first.button_texts

    second = await alice.tap(t("button-next"))
    assert t("page-indicator", page=2, pages=3) in second.button_texts
    third = await alice.tap(t("button-next"))
    assert t("button-next") not in third.button_texts
    assert len([text for text in third.button_texts if "(" in text]) == 7
    back = await alice.tap(t("button-previous"))
    assert t("page-indicator", page=2, pages=3) in back.button_texts
    seen = set(categories)
    seen |= {text for text in second.button_texts + third.button_texts if "(" in text}
    assert len(seen) == 23  # every category on exactly one page

    # A page that no longer exists shows the last one instead of failing.
    answer = await alice.press_data(first.message_id, "cp:99")
    assert answer.text is None
    assert (
        t("page-indicator", page=3, pages=3)
        in alice.telegram.message(ALICE, first.message_id).button_texts
    )


async def test_my_orders_are_newest_first_and_paged(storefront: Storefront) -> None:
    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "100")
    for quantity in range(100, 800, 100):  # seven orders
        await alice.reach_confirmation(quantity=str(quantity))
        await alice.tap(t("button-confirm"))
    orders = await orders_of(storefront, ALICE)
    assert len(orders) == 7

    menu = await alice.say("/menu")
    first = await alice.tap(t("menu-my-orders"), message_id=menu.message_id)
    assert first.text == t("orders-title", count=7)
    listed = [text for text in first.button_texts if text.startswith("#")]
    assert [text.split(" ")[0] for text in listed] == [f"#{order.id}" for order in orders[:0:-1]]
    second = await alice.tap(t("button-next"))
    listed = [text for text in second.button_texts if text.startswith("#")]
    assert [text.split(" ")[0] for text in listed] == [f"#{orders[0].id}"]

    # An order opened from page 2 goes back to page 2.
    card = await alice.tap(f"#{orders[0].id}")
    assert "100" in card.plain_text
    back = await alice.tap(t("button-back"))
    assert t("page-indicator", page=2, pages=2) in back.button_texts


async def test_names_with_markup_characters_are_shown_as_written(storefront: Storefront) -> None:
    name = "Likes & Views <Fast>"
    storefront.panel.services[42] = FakeService(
        42, name, "Default", "Instagram", Decimal("1"), 10, 1000
    )
    assert storefront.services is not None
    await storefront.services.catalog.refresh()

    alice = storefront.user(ALICE, first_name="Alice")
    t = alice.t
    await alice.start()
    await storefront.credit(ALICE, "10")
    await alice.tap(t("menu-new-order"))
    services = await alice.tap("Instagram (")
    # Button labels are plain text: no HTML escaping may show up in them.
    assert any(text.startswith(f"{name} · ") for text in services.button_texts), (
        services.button_texts
    )
    card = await alice.tap(name)
    assert name in card.plain_text
    await alice.tap(t("button-order-this"))
    await alice.say("https://instagram.com/p/x")
    await alice.say("100")
    placed = await alice.tap(t("button-confirm"))
    assert name in placed.plain_text
    my_orders = await alice.tap(t("button-back"))
    assert any(name in text for text in my_orders.button_texts), my_orders.button_texts
