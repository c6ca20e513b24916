"""Top-ups with Telegram Stars: amount → invoice → pre-checkout → successful payment."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery

from bot.core.money import InvalidAmountError, Money
from bot.services.payments import STARS_CURRENCY, StarsTopups, TopupError
from bot.telegram import keyboards
from bot.telegram.callbacks import MenuAction, MenuCallback, TopupCallback
from bot.telegram.i18n import Translator
from bot.telegram.render import plain
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.users import User

router = RouterTemplate(__name__)
logger = logging.getLogger(__name__)
INVOICE_TITLE_LIMIT = 32  # characters, sendInvoice's limit


def create_router() -> Router:
    return router.create()


class TopupFlow(StatesGroup):
    amount = State()


def _choose_text(i18n: Translator, topups: StarsTopups) -> str:
    return i18n(
        "topup-choose",
        minimum=i18n.money(topups.minimum),
        maximum=i18n.money(topups.maximum),
        # A number, so each language writes it its way (str() would give "5E+1" for 50).
        rate=topups.stars_per_unit,
        unit=i18n.money(Money.parse("1")),
    )


# First in the router: a payment is money already taken, and must be credited whatever the
# chat is doing (the custom-amount prompt below would otherwise take it as "not a text").
@router.message(F.successful_payment)
async def successful_payment(
    message: Message, i18n: Translator, topups: StarsTopups, user: User
) -> None:
    payment = message.successful_payment
    assert payment is not None
    credited = await topups.credit(
        user_id=user.id,
        charge_id=payment.telegram_payment_charge_id,
        provider_charge_id=payment.provider_payment_charge_id,
        payload=payment.invoice_payload,
        stars=payment.total_amount,
    )
    if not credited.first_time:
        logger.info(
            "Payment %s delivered again; already credited", payment.telegram_payment_charge_id
        )
        return
    await message.answer(
        i18n(
            "topup-receipt",
            amount=i18n.money(credited.amount),
            stars=credited.stars,
            balance=i18n.money(credited.balance),
            charge_id=payment.telegram_payment_charge_id,
        ),
        reply_markup=keyboards.back_to_menu(i18n),
    )


@router.message(Command("topup"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.TOPUP))
async def topup_screen(
    event: Message | CallbackQuery,
    state: FSMContext,
    i18n: Translator,
    topups: StarsTopups,
    topup_presets: list[Money],
) -> None:
    await state.clear()
    await show(
        event,
        _choose_text(i18n, topups),
        keyboards.topup_amounts(i18n, topup_presets),
    )


@router.callback_query(TopupCallback.filter(F.micros == 0))
async def custom_amount(callback: CallbackQuery, state: FSMContext, i18n: Translator) -> None:
    await state.set_state(TopupFlow.amount)
    await show(callback, i18n("topup-ask-amount"), keyboards.flow_cancel(i18n))


@router.callback_query(TopupCallback.filter())
async def preset_amount(
    callback: CallbackQuery,
    callback_data: TopupCallback,
    bot: Bot,
    state: FSMContext,
    i18n: Translator,
    topups: StarsTopups,
) -> None:
    await state.clear()
    await _send_invoice(bot, callback.from_user.id, i18n, topups, Money(callback_data.micros))


@router.message(TopupFlow.amount, F.text, ~F.text.startswith("/"))
async def typed_amount(
    message: Message,
    bot: Bot,
    state: FSMContext,
    i18n: Translator,
    topups: StarsTopups,
) -> None:
    try:
        amount = Money.parse(message.text or "")
    except InvalidAmountError:
        await message.answer(
            i18n(
                "topup-amount-invalid",
                minimum=i18n.money(topups.minimum),
                maximum=i18n.money(topups.maximum),
            ),
            reply_markup=keyboards.flow_cancel(i18n),
        )
        return
    if await _send_invoice(bot, message.chat.id, i18n, topups, amount):
        await state.clear()


@router.message(TopupFlow.amount, ~F.text)
async def amount_not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("order-send-text"), reply_markup=keyboards.flow_cancel(i18n))


async def _send_invoice(
    bot: Bot, chat_id: int, i18n: Translator, topups: StarsTopups, amount: Money
) -> bool:
    try:
        quote = topups.quote(amount)
    except TopupError as error:
        await bot.send_message(
            chat_id,
            i18n.error(error),
            reply_markup=keyboards.flow_cancel(i18n),
        )
        return False
    shown = i18n.money(quote.amount)
    title = plain(i18n, "topup-invoice-title", amount=shown)
    if len(title) > INVOICE_TITLE_LIMIT:
        # Telegram refuses the whole invoice otherwise (e.g. "Пополнение баланса: 99,123456 CHF").
        title = shown[:INVOICE_TITLE_LIMIT]
    await bot.send_invoice(
        chat_id=chat_id,
        title=title,
        description=plain(i18n, "topup-invoice-description", amount=shown, stars=quote.stars),
        payload=quote.payload,
        currency=STARS_CURRENCY,
        prices=[
            LabeledPrice(label=plain(i18n, "topup-invoice-label", amount=shown), amount=quote.stars)
        ],
    )
    return True


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, i18n: Translator, topups: StarsTopups) -> None:
    # Telegram waits at most 10 seconds for this answer: database checks only, no network.
    try:
        await topups.check_pre_checkout(
            query.from_user.id, query.invoice_payload, query.currency, query.total_amount
        )
    except TopupError as error:
        text = i18n.error(error, plain=True)
        await query.answer(ok=False, error_message=text)
        return
    await query.answer(ok=True)


@router.message(Command("paysupport"))
async def pay_support(message: Message, i18n: Translator, support_contact: str) -> None:
    contact = support_contact or plain(i18n, "paysupport-contact-admin")
    await message.answer(i18n("paysupport", contact=contact))
