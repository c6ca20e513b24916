"""/refund for admins: give a Stars top-up back, and tell its payer."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.payments import StarsTopups, TopupError
from bot.telegram.i18n import Translator
from bot.telegram.messenger import Messenger
from bot.telegram.routing import RouterTemplate
from storage.repository import Repository

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(Command("refund"))
async def refund(
    message: Message,
    command: CommandObject,
    bot: Bot,
    topups: StarsTopups,
    repo: Repository,
    i18n: Translator,
    messenger: Messenger,
) -> None:
    charge_id = (command.args or "").strip()
    if not charge_id or " " in charge_id:
        await message.answer(i18n("admin-refund-usage"))
        return
    try:
        refunded = await topups.refund(bot, charge_id)
    except TopupError as error:
        await message.answer(i18n.error(error))
        return
    amount = refunded.amount
    payment = await repo.payments.get(charge_id)
    text = i18n("admin-refund-done", amount=i18n.money(amount))
    clawback = refunded.clawback
    if clawback is not None:
        if clawback.kept.is_positive:
            text += "\n" + i18n(
                "admin-refund-referral-partly",
                referrer=clawback.referrer_id,
                bonus=i18n.money(clawback.bonus),
                taken=i18n.money(clawback.taken),
                kept=i18n.money(clawback.kept),
            )
        else:
            text += "\n" + i18n(
                "admin-refund-referral-taken",
                referrer=clawback.referrer_id,
                bonus=i18n.money(clawback.bonus),
            )
    await message.answer(text)
    if payment is not None:
        await messenger.send(
            payment.user_id,
            lambda t: t("topup-refunded-notice", amount=t.money(amount), stars=payment.stars),
        )
