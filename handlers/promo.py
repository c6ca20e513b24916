"""Promo codes for customers: /promo <CODE>, or 🎁 on the Balance screen (asks for the code)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.core.errors import StorefrontError
from bot.services.promotions import Promotions
from bot.telegram import keyboards
from bot.telegram.callbacks import MenuAction, MenuCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


class PromoFlow(StatesGroup):
    code = State()


async def _redeem(
    message: Message, text: str, i18n: Translator, user: User, promotions: Promotions
) -> None:
    try:
        redeemed = await promotions.redeem(user.id, text)
    except StorefrontError as error:
        await message.answer(i18n.error(error), reply_markup=keyboards.back_to_menu(i18n))
        return
    if redeemed.amount is not None:
        text = i18n(
            "promo-credited",
            code=redeemed.code,
            amount=i18n.money(redeemed.amount),
            balance=i18n.money(redeemed.balance),
        )
    else:
        text = i18n("promo-discount-saved", code=redeemed.code, percent=redeemed.percent)
    await message.answer(text, reply_markup=keyboards.main_menu(i18n))


@router.message(Command("promo"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.PROMO))
async def promo_screen(
    event: Message | CallbackQuery,
    state: FSMContext,
    i18n: Translator,
    user: User,
    promotions: Promotions,
    command: CommandObject | None = None,
) -> None:
    """Ask for a code; ``/promo CODE`` redeems it at once."""
    await state.clear()
    code = (command.args or "").strip() if command is not None else ""
    if isinstance(event, Message) and code:
        await _redeem(event, code, i18n, user, promotions)
        return
    await state.set_state(PromoFlow.code)
    await show(event, i18n("promo-ask"), keyboards.flow_cancel(i18n))


@router.message(PromoFlow.code, F.text, ~F.text.startswith("/"))
async def promo_code(
    message: Message, state: FSMContext, i18n: Translator, user: User, promotions: Promotions
) -> None:
    await state.clear()
    await _redeem(message, message.text or "", i18n, user, promotions)


@router.message(PromoFlow.code, ~F.text)
async def promo_not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("promo-ask"), reply_markup=keyboards.flow_cancel(i18n))
