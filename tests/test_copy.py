"""Moving a shop from SQLite to PostgreSQL: every table, ids and money intact (-m postgres)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from bot.core.money import Money
from storage.copy import CopyError, copy_database, main
from storage.database import Database
from storage.ledger import EntryKind
from storage.orders import OrderDraft
from storage.repository import Repository
from tests.databases import fresh_postgres

pytestmark = pytest.mark.postgres

ALICE, BOB = 7_000_000_001, 7_000_000_002  # past 2^31, as Telegram ids are


def draft(user_id: int, token: str) -> OrderDraft:
    return OrderDraft(
        user_id=user_id,
        confirm_token=token,
        service_id=1,
        service_name="Followers",
        service_type="Default",
        category="Instagram",
        rate=Decimal("0.9"),
        refill_allowed=True,
        cancel_allowed=False,
        link="https://instagram.com/x",
        quantity=1000,
        price=Money.parse("1.08"),
    )


async def seed(repo: Repository) -> None:
    for user_id in (ALICE, BOB):
        await repo.users.register(user_id, language="en", first_name="", username=None)
    await repo.ledger.post(ALICE, EntryKind.ADMIN_CREDIT, Money.parse("10"), reference="a:1:1")
    await repo.ledger.post(BOB, EntryKind.TOPUP, Money.parse("5.5"), reference="stars:1")
    for number in range(3):
        order_id = await repo.orders.create(draft(ALICE, f"tok-{number}"))
        await repo.ledger.post(
            ALICE, EntryKind.ORDER_CHARGE, -Money.parse("1.08"), reference=f"order:{order_id}"
        )
    await repo.ledger.post(ALICE, EntryKind.ORDER_REFUND, Money.parse("1.08"), reference="order:2")
    await repo.orders.add_refill(1, 501, "Pending")
    await repo.outbox.add(ALICE, "order_status", "o:1:Pending", {"order_id": 1})
    await repo.settings.set("markup_percent", "25")
    await repo.referrals.bind(BOB, ALICE)


async def test_one_command_copies_every_table_and_checks_the_money(tmp_path: Path) -> None:
    source_path = tmp_path / "shop.sqlite3"
    source = await Database.open(source_path)
    try:
        await seed(Repository(source))
    finally:
        await source.close()
    async with fresh_postgres() as url:
        # The command itself (it runs its own event loop: on a thread of its own here).
        assert await asyncio.to_thread(main, ["--from", str(source_path), "--to", url]) == 0
        target = await Database.open(url)
        source = await Database.open(source_path)
        try:
            repo = Repository(target)
            assert await repo.ledger.balance(ALICE) == Money.parse("7.84")
            assert await repo.ledger.balance(BOB) == Money.parse("5.5")
            assert await repo.ledger.mismatched_balances() == []
            assert await repo.referrals.referrer_of(BOB) == ALICE
            assert await repo.settings.get("markup_percent") == "25"
            assert [order.id for order in await repo.orders.for_user(ALICE)] == [3, 2, 1]
            # The sequences go on after the copied ids.
            assert await repo.orders.create(draft(ALICE, "after")) == 4
            # Exactly once still holds on the copy: the same refund is refused.
            with pytest.raises(Exception, match="order_refund"):
                await repo.ledger.post(
                    ALICE, EntryKind.ORDER_REFUND, Money.parse("1.08"), reference="order:2"
                )
            # A second copy into a shop that has data is refused, and changes nothing.
            with pytest.raises(CopyError, match="not empty"):
                await copy_database(source, target)
            assert await repo.ledger.count(ALICE) == 5
        finally:
            await target.close()
            await source.close()
    assert main(["--from", str(tmp_path / "missing.sqlite3"), "--to", "postgresql://x@h/d"]) == 1
