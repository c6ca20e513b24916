"""/promo add|list|off for admins (customers' /promo <CODE> is handlers/promo.py)."""

from __future__ import annotations

from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.core.errors import StorefrontError
from bot.core.money import Money
from bot.services.promotions import Promotions
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from storage.promos import PromoCode
from storage.users import User

router = RouterTemplate(__name__)
_ADMIN_ACTION = r"(?i)^(add|list|off)(\s|$)"


def create_router() -> Router:
    return router.create()


@router.message(Command("promo", magic=F.args.regexp(_ADMIN_ACTION)))
async def promo_admin(
    message: Message,
    command: CommandObject,
    i18n: Translator,
    user: User,
    promotions: Promotions,
) -> None:
    action, *arguments = (command.args or "").split()
    action = action.lower()
    try:
        if action == "add":
            spec = await promotions.create(arguments, user.id)
            value = (
                i18n("promo-admin-value-percent", percent=spec.percent)
                if spec.percent is not None
                else i18n.money(spec.amount)
                if spec.amount is not None
                else ""
            )
            await message.answer(
                i18n(
                    "promo-admin-created",
                    code=spec.code,
                    value=value,
                    uses=str(spec.max_uses) if spec.max_uses is not None else "∞",
                    until=spec.valid_until or "—",
                )
            )
        elif action == "off":
            if len(arguments) != 1:
                await message.answer(i18n("promo-admin-usage"))
                return
            code = await promotions.turn_off(arguments[0])
            await message.answer(i18n("promo-admin-off", code=code))
        else:
            await message.answer(_listing(i18n, await promotions.codes()))
    except StorefrontError as error:
        await message.answer(i18n.error(error))


def _value(i18n: Translator, percent: Decimal | None, amount: Money | None) -> str:
    """What a code gives: "10% off the next order" or the amount credited."""
    if percent is not None:
        return i18n("promo-admin-value-percent", percent=percent)
    return i18n.money(amount) if amount is not None else ""


def _listing(i18n: Translator, codes: list[PromoCode]) -> str:
    if not codes:
        return i18n("promo-admin-list-empty")
    lines = [i18n("promo-admin-list-title")]
    for code in codes:
        value = _value(i18n, code.percent, code.amount)
        lines.append(
            i18n(
                "promo-admin-list-line",
                code=code.code,
                value=value,
                used=code.used,
                uses=str(code.max_uses) if code.max_uses is not None else "∞",
                until=code.valid_until or "—",
                active="yes" if code.active else "no",
            )
        )
    return "\n".join(lines)
