"""Ids typed by an admin are parsed by one bounded function: no traceback, whatever the text."""

from __future__ import annotations

import pytest

from bot.core.errors import OrderOutcomeUnknownError
from bot.core.money import Money
from bot.services.ordering import make_quote
from storage.orders import UNKNOWN
from tests.e2e.conftest import ADMIN, ALICE, Storefront
from tests.e2e.journey import FOLLOWERS, INSTAGRAM_LINK

# Texts and screens: the in-process lane (no HTTP), see tests/e2e/conftest.py.
pytestmark = pytest.mark.storefront(lane="in_process")

HUGE = "99999999999999999999"  # past SQLite's 2**63: an OverflowError if it reached a query


async def test_odd_ids_in_admin_commands_get_the_usage_text(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    alice = storefront.user(ALICE, first_name="Alice")
    t = admin.t
    await admin.start()
    await alice.start()
    for command, usage in (
        ("/user ²", "admin-user-usage"),
        (f"/user {HUGE}", "admin-user-usage"),
        ("/ban ²", "admin-ban-usage"),
        (f"/unban {HUGE}", "admin-ban-usage"),
        (f"/addbalance {HUGE} 5 x", "admin-addbalance-usage"),
        ("/addbalance ² 5 x", "admin-addbalance-usage"),
        (f"/subbalance {HUGE} 5 x", "admin-subbalance-usage"),
        ("/settle ² failed", "admin-settle-usage"),
        (f"/settle {HUGE} failed", "admin-settle-usage"),
        (f"/settle 1 {HUGE}", "admin-settle-usage"),
        ("/settle 1 ²", "admin-settle-usage"),
        ("/hide service ²", "admin-hide-usage"),
        (f"/show category {HUGE}", "admin-hide-usage"),
        (f"/markup service {HUGE} 10", "admin-markup-usage"),
        ("/markup category ² 10", "admin-markup-usage"),
    ):
        reply = await admin.say(command)
        assert reply.text == t(usage), command
    assert await storefront.balance(ALICE) == Money.zero()
    # The bot logged no error (the fixture checks it at the end).


async def test_settle_names_a_panel_id_the_panel_does_not_know(storefront: Storefront) -> None:
    admin = storefront.user(ADMIN, first_name="Owner")
    t = admin.t
    await admin.start()
    await storefront.user(ALICE, first_name="Alice").start()
    await storefront.credit(ALICE, "10")
    assert storefront.services is not None
    service = await storefront.r.catalog.service(FOLLOWERS.service_id)
    assert service is not None
    quote = make_quote(
        service, storefront.services.pricing, link=INSTAGRAM_LINK, quantity=FOLLOWERS.min_quantity
    )
    storefront.panel.fail_next("add", "html502")  # sent, no usable answer: outcome unknown
    with pytest.raises(OrderOutcomeUnknownError):
        await storefront.services.ordering.place(ALICE, quote)
    [order] = await storefront.r.orders.with_status(UNKNOWN)

    reply = await admin.say(f"/settle {order.id} 424242")
    assert reply.text == t(
        "admin-settle-panel-unknown",
        upstream_id="424242",
        order_id=order.id,
        detail="Incorrect order ID",
    )
    assert (await storefront.r.orders.get(order.id)).status == UNKNOWN  # type: ignore[union-attr]
