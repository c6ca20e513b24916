"""Admin commands. The router's filter checks ADMIN_IDS on every update; for anyone else
these commands fall through to the fallback, exactly as if they did not exist."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.errors import StorefrontError
from bot.filters import IsAdmin
from bot.i18n import Translator
from bot.money import InvalidAmountError, Money, format_money
from bot.notifications import Messenger
from bot.notifier import OutboxSender
from bot.ordering import OrderingService
from storage.errors import DuplicateUpstreamIdError, UnknownUserError
from storage.ledger import EntryKind
from storage.orders import UNKNOWN
from storage.repository import Repository
from storage.users import User

router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())
logger = logging.getLogger(__name__)
MAX_UNKNOWN_LISTED = 20


def _parse_user_and_amount(args: str | None) -> tuple[int, Money, str] | None:
    parts = (args or "").split(maxsplit=2)
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    try:
        amount = Money.parse(parts[1])
    except InvalidAmountError:
        return None
    return int(parts[0]), amount, parts[2] if len(parts) > 2 else ""


@router.message(Command("addbalance"))
async def add_balance(
    message: Message,
    command: CommandObject,
    repo: Repository,
    i18n: Translator,
    user: User,
    messenger: Messenger,
    currency: str,
) -> None:
    parsed = _parse_user_and_amount(command.args)
    if parsed is None:
        await message.answer(i18n("admin-addbalance-usage"))
        return
    target_id, amount, reason = parsed
    if await repo.users.get(target_id) is None:
        await message.answer(i18n("admin-user-not-found", user_id=target_id))
        return
    try:
        await repo.ledger.post(
            target_id,
            EntryKind.ADMIN_CREDIT,
            amount,
            reference=f"admin:{user.id}",
            note=reason or None,
        )
    except UnknownUserError:
        await message.answer(i18n("admin-user-not-found", user_id=target_id))
        return
    balance = await repo.ledger.balance(target_id)
    logger.info("Admin %s credited %s to user %s", user.id, amount, target_id)
    await message.answer(
        i18n(
            "admin-balance-credited",
            user_id=target_id,
            amount=format_money(amount, currency),
            balance=format_money(balance, currency),
        )
    )
    await messenger.send(
        target_id,
        lambda t: t(
            "balance-credited-notice",
            amount=format_money(amount, currency),
            balance=format_money(balance, currency),
        ),
    )


@router.message(Command("unknown"))
async def unknown_orders(
    message: Message, repo: Repository, i18n: Translator, currency: str
) -> None:
    orders = await repo.orders.with_status(UNKNOWN, limit=MAX_UNKNOWN_LISTED)
    if not orders:
        await message.answer(i18n("admin-unknown-none"))
        return
    lines = [
        i18n(
            "admin-unknown-line",
            order_id=order.id,
            user_id=order.user_id,
            service_id=order.service_id,
            service=order.service_name,
            link=order.link,
            quantity=order.quantity or 1,
            price=format_money(order.price, currency),
            created=order.created_at,
            detail=order.error or "-",
        )
        for order in orders
    ]
    await message.answer(
        i18n("admin-unknown-title", count=len(orders)) + "\n\n" + "\n\n".join(lines)
    )


@router.message(Command("settle"))
async def settle(
    message: Message,
    command: CommandObject,
    ordering: OrderingService,
    i18n: Translator,
    currency: str,
    notifier: OutboxSender,
) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2 or not parts[0].isdigit():
        await message.answer(i18n("admin-settle-usage"))
        return
    order_id, outcome = int(parts[0]), parts[1].lower()
    try:
        if outcome == "failed":
            order = await ordering.settle_failed(order_id)
            text = i18n(
                "admin-settled-failed",
                order_id=order.id,
                amount=format_money(order.price, currency),
            )
        elif outcome.isdigit():
            order = await ordering.settle_placed(order_id, int(outcome))
            text = i18n("admin-settled-placed", order_id=order.id, upstream_id=int(outcome))
        else:
            await message.answer(i18n("admin-settle-usage"))
            return
    except LookupError:
        await message.answer(i18n("admin-order-not-found", order_id=order_id))
        return
    except DuplicateUpstreamIdError:
        await message.answer(i18n("admin-settle-duplicate", upstream_id=outcome))
        return
    except StorefrontError as error:
        await message.answer(i18n(error.message_id, **error.arguments))
        return
    notifier.wake()
    await message.answer(text)
