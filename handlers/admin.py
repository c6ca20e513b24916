"""Admin commands. The router's filter checks ADMIN_IDS on every update; for anyone else
these commands fall through to the fallback, exactly as if they did not exist."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import IsAdmin
from bot.i18n import Translator
from bot.money import InvalidAmountError, Money, format_money
from bot.notifications import Messenger
from storage.errors import UnknownUserError
from storage.ledger import EntryKind
from storage.repository import Repository
from storage.users import User

router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())
logger = logging.getLogger(__name__)


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
