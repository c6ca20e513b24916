"""Top-ups: the rails to choose from, an amount, then the rail's way to pay.

Stars: invoice → pre-checkout → successful payment. A rail that pays at a link (Crypto Pay):
the invoice's button. Manual transfer: the owner's instructions, then the customer's proof,
which goes to every admin.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ReplyParameters,
)

from bot.config import Settings
from bot.core.money import InvalidAmountError, Money
from bot.services.payments import STARS_CURRENCY, RailName, Rails, StarsTopups, TopupError
from bot.services.payments.cryptopay import CryptoPayRail
from bot.services.payments.manual import (
    PROOF_DOCUMENT,
    PROOF_PHOTO,
    PROOF_TEXT,
    ManualTopups,
    Proof,
)
from bot.telegram import keyboards, render
from bot.telegram.callbacks import MenuAction, MenuCallback, RailCallback, TopupCallback
from bot.telegram.i18n import Translator
from bot.telegram.messenger import Messenger
from bot.telegram.render import plain
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.topups import Topup
from storage.users import User

router = RouterTemplate(__name__)
logger = logging.getLogger(__name__)
INVOICE_TITLE_LIMIT = 32  # characters, sendInvoice's limit


def create_router() -> Router:
    return router.create()


class TopupFlow(StatesGroup):
    amount = State()
    proof = State()  # a manual transfer's request waits for its proof


# A rail's amount screen when it has nothing of its own to say (Stars and Crypto Pay have).
_CHOOSE_IDS = {RailName.MANUAL.value: "topup-choose-manual"}


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
    rails: Rails,
    topup_presets: list[Money],
) -> None:
    """The enabled rails to choose from; with Stars alone, Stars' amounts at once."""
    await state.clear()
    if len(rails.names) == 1:
        await show(
            event,
            _choose_text(i18n, topups),
            keyboards.topup_amounts(i18n, topup_presets),
        )
        return
    text = i18n(
        "topup-rails",
        minimum=i18n.money(rails.limits.minimum),
        maximum=i18n.money(rails.limits.maximum),
    )
    await show(event, text, keyboards.topup_rails(i18n, rails.names))


@router.callback_query(RailCallback.filter())
async def rail_screen(
    callback: CallbackQuery,
    callback_data: RailCallback,
    state: FSMContext,
    i18n: Translator,
    topups: StarsTopups,
    rails: Rails,
    cryptopay: CryptoPayRail | None,
    topup_presets: list[Money],
) -> None:
    """One rail's amount choice: the same presets and limits for every rail."""
    await state.clear()
    name = callback_data.rail
    if rails.get(name) is None:
        await show(callback, i18n("topup-rail-off"), keyboards.back_to_menu(i18n))
        return
    limits = {
        "minimum": i18n.money(rails.limits.minimum),
        "maximum": i18n.money(rails.limits.maximum),
    }
    if name == RailName.STARS:
        text = _choose_text(i18n, topups)
    elif name == RailName.CRYPTOPAY and cryptopay is not None:
        text = i18n("topup-choose-cryptopay", assets=", ".join(cryptopay.assets), **limits)
    else:
        message_id = _CHOOSE_IDS.get(name, "topup-choose-rail")
        text = i18n(message_id, rail=render.rail_label(i18n, name), **limits)
    markup = keyboards.topup_amounts(
        i18n, topup_presets, rail=name, back_to_rails=len(rails.names) > 1
    )
    await show(callback, text, markup)


@router.callback_query(TopupCallback.filter(F.micros == 0))
async def custom_amount(
    callback: CallbackQuery, callback_data: TopupCallback, state: FSMContext, i18n: Translator
) -> None:
    await state.set_state(TopupFlow.amount)
    await state.update_data(rail=callback_data.rail)
    await show(callback, i18n("topup-ask-amount"), keyboards.flow_cancel(i18n))


@router.callback_query(TopupCallback.filter())
async def preset_amount(
    callback: CallbackQuery,
    callback_data: TopupCallback,
    bot: Bot,
    state: FSMContext,
    i18n: Translator,
    topups: StarsTopups,
    rails: Rails,
) -> None:
    await state.clear()
    await _start_topup(
        bot,
        state,
        callback.from_user.id,
        i18n,
        topups,
        rails,
        callback_data.rail,
        Money(callback_data.micros),
    )


@router.message(TopupFlow.amount, F.text, ~F.text.startswith("/"))
async def typed_amount(
    message: Message,
    bot: Bot,
    state: FSMContext,
    i18n: Translator,
    topups: StarsTopups,
    rails: Rails,
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
    rail = str((await state.get_data()).get("rail") or RailName.STARS)
    await _start_topup(bot, state, message.chat.id, i18n, topups, rails, rail, amount)


@router.message(TopupFlow.amount, ~F.text)
async def amount_not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("order-send-text"), reply_markup=keyboards.flow_cancel(i18n))


async def _start_topup(
    bot: Bot,
    state: FSMContext,
    chat_id: int,
    i18n: Translator,
    topups: StarsTopups,
    rails: Rails,
    name: str,
    amount: Money,
) -> None:
    """Create the top-up at its rail and show the customer how to pay it. A refusal (an
    amount out of range, the provider down) keeps the amount prompt open for another try."""
    rail = rails.get(name)
    if rail is None:
        await state.clear()
        await bot.send_message(
            chat_id, i18n("topup-rail-off"), reply_markup=keyboards.back_to_menu(i18n)
        )
        return
    if name == RailName.STARS:
        if await _send_invoice(bot, chat_id, i18n, topups, amount):
            await state.clear()
        return
    try:
        checkout = await rail.create(chat_id, amount)
    except TopupError as error:
        await bot.send_message(
            chat_id,
            i18n.error(error),
            reply_markup=keyboards.flow_cancel(i18n),
        )
        return
    shown = i18n.money(checkout.amount)
    if isinstance(rail, ManualTopups):
        # The request now waits for the customer's proof of the transfer.
        await state.set_state(TopupFlow.proof)
        await state.set_data({"topup_id": checkout.topup_id})
        text = i18n(
            "manual-instructions",
            id=checkout.topup_id,
            amount=shown,
            instructions=rail.instructions,
            minutes=rail.expiry_minutes,
        )
        await bot.send_message(chat_id, text, reply_markup=keyboards.flow_cancel(i18n))
        return
    await state.clear()
    if isinstance(rail, CryptoPayRail):
        text = i18n(
            "cryptopay-invoice",
            id=checkout.topup_id,
            amount=shown,
            assets=", ".join(rail.assets),
            minutes=rail.expiry_minutes,
        )
    else:
        text = i18n(
            "topup-pay-link",
            id=checkout.topup_id,
            amount=shown,
            rail=render.rail_label(i18n, name),
        )
    markup = (
        keyboards.pay_link(i18n, checkout.url, shown)
        if checkout.url
        else keyboards.back_to_menu(i18n)
    )
    await bot.send_message(chat_id, text, reply_markup=markup)


# --- manual transfers: the customer's proof ------------------------------------------------


@router.message(TopupFlow.proof, F.photo | F.document | (F.text & ~F.text.startswith("/")))
async def transfer_proof(
    message: Message,
    bot: Bot,
    state: FSMContext,
    i18n: Translator,
    manual_topups: ManualTopups,
    rails: Rails,
    messenger: Messenger,
    settings: Settings,
    user: User,
) -> None:
    topup_id = int((await state.get_data()).get("topup_id") or 0)
    await state.clear()
    if rails.get(RailName.MANUAL) is None:
        await message.answer(i18n("topup-rail-off"), reply_markup=keyboards.back_to_menu(i18n))
        return
    if message.photo:
        proof = Proof(PROOF_PHOTO, message.chat.id, message.message_id, message.caption)
    elif message.document:
        proof = Proof(PROOF_DOCUMENT, message.chat.id, message.message_id, message.caption)
    else:
        proof = Proof(PROOF_TEXT, message.chat.id, message.message_id, message.text)
    try:
        topup = await manual_topups.attach_proof(topup_id, user.id, proof)
    except TopupError as error:
        text = i18n.error(error)
        await message.answer(text, reply_markup=keyboards.back_to_menu(i18n))
        return
    await message.answer(
        i18n("manual-proof-received", id=topup.id, amount=i18n.money(topup.amount)),
        reply_markup=keyboards.back_to_menu(i18n),
    )
    await tell_admins(bot, messenger, settings, topup, user)


@router.message(TopupFlow.proof, ~F.text)
async def proof_of_another_kind(message: Message, i18n: Translator) -> None:
    """A sticker, a voice note, a location…: not something an admin can check."""
    await message.answer(i18n("manual-proof-kind"), reply_markup=keyboards.flow_cancel(i18n))


async def tell_admins(
    bot: Bot, messenger: Messenger, settings: Settings, topup: Topup, user: User
) -> None:
    """Every admin gets a copy of the proof and the request's card with the decision buttons."""
    if not settings.ADMIN_IDS:
        logger.warning("Manual top-up %s waits for an admin, but ADMIN_IDS is empty", topup.id)
    for admin_id in sorted(settings.ADMIN_IDS):
        t = await messenger.translator_for(admin_id)
        try:
            copy = None
            if topup.proof_chat_id is not None and topup.proof_message_id is not None:
                copy = await bot.copy_message(
                    chat_id=admin_id,
                    from_chat_id=topup.proof_chat_id,
                    message_id=topup.proof_message_id,
                )
            await bot.send_message(
                admin_id,
                render.manual_review_card(t, topup, user),
                reply_markup=keyboards.manual_review(t, topup.id),
                reply_parameters=(
                    None
                    if copy is None
                    else ReplyParameters(
                        message_id=copy.message_id, allow_sending_without_reply=True
                    )
                ),
            )
        except TelegramAPIError as error:
            # The request stays in /pending for this admin and the others.
            logger.warning("Could not show top-up %s to admin %s: %s", topup.id, admin_id, error)


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
async def pay_support(
    message: Message, i18n: Translator, support_contact: str, rails: Rails
) -> None:
    contact = support_contact or plain(i18n, "paysupport-contact-admin")
    await message.answer(render.pay_support(i18n, rails, contact))
