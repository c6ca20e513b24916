"""Admin menu, users and balances, orders waiting to be settled.

The router's filter checks ADMIN_IDS on every update; for anyone else these commands and
buttons fall through to the fallback, exactly as if they did not exist.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core.errors import StorefrontError
from bot.core.money import InvalidAmountError, Money
from bot.services.accounts import adjust_balance
from bot.services.messenger import Messenger
from bot.services.ordering import OrderingService
from bot.services.outbox import OutboxSender
from bot.services.payments import StarsTopups, TopupError
from bot.telegram import keyboards
from bot.telegram.callbacks import AdminAction, AdminCallback
from bot.telegram.filters import IsAdmin
from bot.telegram.i18n import Translator
from handlers.common import show
from storage.errors import DuplicateUpstreamIdError, InsufficientBalanceError, UnknownUserError
from storage.orders import UNKNOWN
from storage.repository import Repository
from storage.users import User

router = Router(name=__name__)
router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())
MAX_UNKNOWN_LISTED = 20


def _parse_user_and_amount(args: str | None) -> tuple[int, Money, str] | None:
    parts = (args or "").split(maxsplit=2)
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    try:
        amount = Money.parse(parts[1])
    except InvalidAmountError:
        return None
    return int(parts[0]), amount, parts[2].strip() if len(parts) > 2 else ""


def _user_id(args: str | None) -> int | None:
    text = (args or "").strip()
    return int(text) if text.isdigit() else None


# --- menu -------------------------------------------------------------------------------


@router.message(Command("admin"))
async def admin_menu(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("admin-menu"), reply_markup=keyboards.admin_menu(i18n))


@router.callback_query(AdminCallback.filter(F.action == AdminAction.MENU))
async def admin_menu_button(callback: CallbackQuery, i18n: Translator) -> None:
    await show(callback, i18n("admin-menu"), keyboards.admin_menu(i18n))


@router.callback_query(AdminCallback.filter(F.action == AdminAction.USERS))
async def users_help(callback: CallbackQuery, i18n: Translator) -> None:
    await show(callback, i18n("admin-users-help"), keyboards.admin_back(i18n))


# --- users and balances -----------------------------------------------------------------


@router.message(Command("user"))
async def user_card(
    message: Message, command: CommandObject, repo: Repository, i18n: Translator, currency: str
) -> None:
    user_id = _user_id(command.args)
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
            balance=i18n.money(target.balance, currency),
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
    currency: str,
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
            repo, admin_id=admin.id, user_id=target_id, amount=signed, reason=reason
        )
    except UnknownUserError:
        await message.answer(i18n("admin-user-not-found", user_id=target_id))
        return
    except InsufficientBalanceError:
        current = await repo.ledger.balance(target_id)
        await message.answer(
            i18n("admin-subbalance-too-much", balance=i18n.money(current, currency))
        )
        return
    reply_id = "admin-balance-credited" if credit else "admin-balance-debited"
    await message.answer(
        i18n(
            reply_id,
            user_id=target_id,
            amount=i18n.money(amount, currency),
            balance=i18n.money(balance, currency),
        )
    )
    notice_id = "balance-credited-notice" if credit else "balance-debited-notice"
    await messenger.send(
        target_id,
        lambda t: t(
            notice_id,
            amount=t.money(amount, currency),
            balance=t.money(balance, currency),
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
    currency: str,
) -> None:
    await _change_balance(message, command, repo, i18n, user, messenger, currency, credit=True)


@router.message(Command("subbalance"))
async def sub_balance(
    message: Message,
    command: CommandObject,
    repo: Repository,
    i18n: Translator,
    user: User,
    messenger: Messenger,
    currency: str,
) -> None:
    await _change_balance(message, command, repo, i18n, user, messenger, currency, credit=False)


@router.message(Command("ban", "unban"))
async def ban(
    message: Message, command: CommandObject, repo: Repository, i18n: Translator, user: User
) -> None:
    banned = command.command == "ban"
    target_id = _user_id(command.args)
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


# --- orders whose placement is unknown ------------------------------------------------------


async def _unknown_text(repo: Repository, i18n: Translator, currency: str) -> str:
    orders = await repo.orders.with_status(UNKNOWN, limit=MAX_UNKNOWN_LISTED)
    if not orders:
        return i18n("admin-unknown-none")
    lines = [
        i18n(
            "admin-unknown-line",
            order_id=order.id,
            user_id=order.user_id,
            service_id=order.service_id,
            service=order.service_name,
            link=order.link,
            quantity=order.quantity or 1,
            price=i18n.money(order.price, currency),
            created=order.created_at,
            detail=order.error or "-",
        )
        for order in orders
    ]
    return i18n("admin-unknown-title", count=len(orders)) + "\n\n" + "\n\n".join(lines)


@router.message(Command("unknown"))
async def unknown_orders(
    message: Message, repo: Repository, i18n: Translator, currency: str
) -> None:
    await message.answer(await _unknown_text(repo, i18n, currency))


@router.callback_query(AdminCallback.filter(F.action == AdminAction.UNKNOWN))
async def unknown_orders_button(
    callback: CallbackQuery, repo: Repository, i18n: Translator, currency: str
) -> None:
    await show(callback, await _unknown_text(repo, i18n, currency), keyboards.admin_back(i18n))


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
                amount=i18n.money(order.price, currency),
            )
        elif outcome.isascii() and outcome.isdigit() and int(outcome) > 0:
            # Panel ids are positive: a 0 would be "tracked" with a panel that never knows it.
            upstream_id = int(outcome)
            order = await ordering.settle_placed(order_id, upstream_id)
            text = i18n("admin-settled-placed", order_id=order.id, upstream_id=str(upstream_id))
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


@router.message(Command("refund"))
async def refund(
    message: Message,
    command: CommandObject,
    bot: Bot,
    topups: StarsTopups,
    repo: Repository,
    i18n: Translator,
    messenger: Messenger,
    currency: str,
) -> None:
    charge_id = (command.args or "").strip()
    if not charge_id or " " in charge_id:
        await message.answer(i18n("admin-refund-usage"))
        return
    try:
        amount = await topups.refund(bot, charge_id)
    except TopupError as error:
        arguments = {
            name: i18n.money(value, currency) if isinstance(value, Money) else value
            for name, value in error.arguments.items()
        }
        await message.answer(i18n(error.message_id, **arguments))
        return
    payment = await repo.payments.get(charge_id)
    await message.answer(i18n("admin-refund-done", amount=i18n.money(amount, currency)))
    if payment is not None:
        await messenger.send(
            payment.user_id,
            lambda t: t(
                "topup-refunded-notice", amount=t.money(amount, currency), stars=payment.stars
            ),
        )
