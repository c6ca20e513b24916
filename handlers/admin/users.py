"""Users and balances for admins: /user, /addbalance, /subbalance, /ban, /unban."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.core.errors import StorefrontError
from bot.core.ids import parse_id
from bot.core.money import InvalidAmountError, Money
from bot.services.accounts import adjust_balance, admin_reference
from bot.telegram.i18n import Translator
from bot.telegram.messenger import Messenger
from bot.telegram.routing import RouterTemplate
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


def _parse_user_and_amount(args: str | None) -> tuple[int, Money, str] | None:
    parts = (args or "").split(maxsplit=2)
    user_id = parse_id(parts[0]) if len(parts) >= 2 else None
    if user_id is None:
        return None
    try:
        amount = Money.parse(parts[1])
    except InvalidAmountError:
        return None
    return user_id, amount, parts[2].strip() if len(parts) > 2 else ""


@router.message(Command("user"))
async def user_card(
    message: Message, command: CommandObject, repo: Repository, i18n: Translator
) -> None:
    user_id = parse_id(command.args)
    if user_id is None:
        await message.answer(i18n("admin-user-usage"))
        return
    target = await repo.users.get(user_id)
    if target is None:
        await message.answer(i18n("admin-user-not-found", user_id=user_id))
        return
    await message.answer(
        i18n(
            "admin-user-card",
            user_id=target.id,
            name=target.first_name or "-",
            username=f"@{target.username}" if target.username else "-",
            language=target.language,
            balance=i18n.money(target.balance),
            orders=await repo.orders.count_for_user(target.id),
            created=target.created_at,
            last_seen=target.last_seen_at,
            banned="yes" if target.banned else "no",
            blocked="yes" if target.blocked_bot else "no",
        )
    )


async def _change_balance(
    message: Message,
    command: CommandObject,
    repo: Repository,
    i18n: Translator,
    admin: User,
    messenger: Messenger,
    *,
    credit: bool,
) -> None:
    parsed = _parse_user_and_amount(command.args)
    if parsed is None:
        await message.answer(i18n("admin-addbalance-usage" if credit else "admin-subbalance-usage"))
        return
    target_id, amount, reason = parsed
    if not credit and not reason:
        await message.answer(i18n("admin-subbalance-usage"))
        return
    signed = amount if credit else -amount
    try:
        balance = await adjust_balance(
            repo,
            admin_id=admin.id,
            user_id=target_id,
            amount=signed,
            reason=reason,
            reference=admin_reference(message.chat.id, message.message_id),
        )
    except StorefrontError as error:
        await message.answer(i18n.error(error))
        return
    reply_id = "admin-balance-credited" if credit else "admin-balance-debited"
    await message.answer(
        i18n(
            reply_id,
            user_id=target_id,
            amount=i18n.money(amount),
            balance=i18n.money(balance),
        )
    )
    notice_id = "balance-credited-notice" if credit else "balance-debited-notice"
    await messenger.send(
        target_id,
        lambda t: t(
            notice_id,
            amount=t.money(amount),
            balance=t.money(balance),
            reason=reason or "-",
        ),
    )


@router.message(Command("addbalance"))
async def add_balance(
    message: Message,
    command: CommandObject,
    repo: Repository,
    i18n: Translator,
    user: User,
    messenger: Messenger,
) -> None:
    await _change_balance(message, command, repo, i18n, user, messenger, credit=True)


@router.message(Command("subbalance"))
async def sub_balance(
    message: Message,
    command: CommandObject,
    repo: Repository,
    i18n: Translator,
    user: User,
    messenger: Messenger,
) -> None:
    await _change_balance(message, command, repo, i18n, user, messenger, credit=False)


@router.message(Command("ban", "unban"))
async def ban(
    message: Message, command: CommandObject, repo: Repository, i18n: Translator, user: User
) -> None:
    banned = command.command == "ban"
    target_id = parse_id(command.args)
    if target_id is None:
        await message.answer(i18n("admin-ban-usage"))
        return
    if banned and target_id == user.id:
        await message.answer(i18n("admin-ban-self"))
        return
    if not await repo.users.set_banned(target_id, banned):
        await message.answer(i18n("admin-user-not-found", user_id=target_id))
        return
    await message.answer(i18n("admin-banned" if banned else "admin-unbanned", user_id=target_id))
