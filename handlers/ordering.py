"""The order flow: the form's questions (bot/services/order_form.py) → confirmation → placed.

One handler reads every answer: the form's table says what is being asked, the answer is
parsed (or the question asked again with what was wrong), stored, and the form moves on to
its next question or to the confirmation card. Drip-feed and Order again only change the
answers the form holds; the same card and Confirm handler follow.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.core.errors import (
    NotEnoughBalanceError,
    OrderAlreadyPlacedError,
    OrderOutcomeUnknownError,
    OrderRefusedError,
    PanelUnavailableError,
    PromoDiscountUsedError,
    StorefrontError,
)
from bot.services import order_form
from bot.services.catalog import Pricing
from bot.services.ordering import OrderingService, Quote
from bot.services.promotions import with_pending_discount
from bot.telegram import keyboards, render
from bot.telegram.callbacks import (
    ConfirmAction,
    ConfirmCallback,
    FlowCallback,
    OrderServiceCallback,
    ReorderCallback,
)
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import own_order, send_new, show
from storage.catalog import Service
from storage.orders import FAILED
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


class OrderFlow(StatesGroup):
    answering = State()  # the form's next question is awaited
    confirm = State()


# Forms begun before the table of steps kept one state per question; their answers sit in
# the same keys, so the one input handler carries them on.
_EARLIER_INPUT_STATES = (
    "OrderFlow:link",
    "OrderFlow:quantity",
    "OrderFlow:comments",
    "OrderFlow:answer_number",
)
INPUT_STATES = StateFilter(OrderFlow.answering, *_EARLIER_INPUT_STATES)
# A command typed mid-flow is no answer (but to a free-text question, such as comments): it
# goes on to the fallback, which calls it an unknown command, and the form stays where it was.
_COMMAND = re.compile(r"^/[A-Za-z0-9_]")


async def _flow_service(
    message: Message, state: FSMContext, repo: Repository, i18n: Translator
) -> Service | None:
    """The service being ordered, or None (and the flow ended) if it vanished meanwhile."""
    service_id = (await state.get_data()).get("service_id")
    service = await repo.catalog.service(int(service_id)) if service_id is not None else None
    if service is None or not service.offered:
        await state.clear()
        await message.answer(i18n("service-unavailable"), reply_markup=keyboards.main_menu(i18n))
        return None
    return service


async def _advance(
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    service: Service,
    answers: dict[str, Any],
    *,
    lead: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """Store the answers and move the form on: its next question, or the confirmation card
    (whose quote is kept, so Confirm charges exactly what the card showed)."""
    step = order_form.next_step(service, answers)
    data: dict[str, Any] = {"service_id": service.id, **answers}
    if step is not None:
        await state.set_data(data)
        await state.set_state(OrderFlow.answering)
        text = render.prompt(i18n, step.prompt_id, step.prompt_arguments(service, answers, pricing))
        return (text if lead is None else f"{lead}\n\n{text}"), keyboards.flow_cancel(i18n)
    quote = await with_pending_discount(repo, user.id, order_form.quote(service, pricing, answers))
    balance = await repo.ledger.balance(user.id)
    await state.set_data({**data, "quote": quote.to_data()})
    await state.set_state(OrderFlow.confirm)
    return render.confirmation_card(i18n, quote, balance), keyboards.confirmation(
        i18n,
        quote.token,
        can_pay=balance >= quote.price,
        dripfeed=order_form.offers_dripfeed(service),
    )


@router.callback_query(OrderServiceCallback.filter())
async def start_order(
    callback: CallbackQuery,
    callback_data: OrderServiceCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    callback_answer: CallbackAnswer,
) -> None:
    service = await repo.catalog.service(callback_data.service_id)
    if service is None or not service.offered:
        callback_answer.text = i18n("service-unavailable")
        callback_answer.show_alert = True
        return
    await state.clear()
    text, markup = await _advance(state, repo, i18n, user, pricing, service, {})
    await show(callback, text, markup)


@router.message(INPUT_STATES, F.text)
async def answer(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
) -> None:
    """Any answer to the form: parse it for the question asked, or ask again saying why."""
    service = await _flow_service(message, state, repo, i18n)
    if service is None:
        return
    answers = order_form.answers_in(await state.get_data())
    step = order_form.next_step(service, answers)
    text = message.text or ""
    if step is not None:
        if not step.free_text and _COMMAND.match(text):
            raise SkipHandler()
        try:
            answers = order_form.give_answer(step, service, answers, text)
        except StorefrontError as error:
            await message.answer(i18n.error(error), reply_markup=keyboards.flow_cancel(i18n))
            return
    # (No step: the form was complete when a restart cut in before the card; show it now.)
    reply, markup = await _advance(state, repo, i18n, user, pricing, service, answers)
    await message.answer(reply, reply_markup=markup)


@router.message(OrderFlow.confirm, ~F.text.regexp(_COMMAND))
async def waiting_for_confirmation(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("order-press-confirm"))


@router.message(INPUT_STATES, ~F.text)
async def not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("order-send-text"), reply_markup=keyboards.flow_cancel(i18n))


@router.callback_query(FlowCallback.filter())
async def leave_flow(callback: CallbackQuery, state: FSMContext, i18n: Translator) -> None:
    await state.clear()
    await show(callback, i18n("flow-cancelled"), keyboards.main_menu(i18n))


async def _card_quote(state: FSMContext, token: str) -> tuple[dict[str, Any], Quote | None]:
    """The flow's data and the quote of the card whose button carries ``token``, if current."""
    data = await state.get_data()
    stored = data.get("quote")
    quote = Quote.from_data(stored) if isinstance(stored, dict) else None
    return data, (quote if quote is not None and quote.token == token else None)


@router.callback_query(ConfirmCallback.filter(F.action == ConfirmAction.DRIPFEED))
async def choose_dripfeed(
    callback: CallbackQuery,
    callback_data: ConfirmCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    callback_answer: CallbackAnswer,
) -> None:
    """Drip-feed on the card: ask its runs and interval, then show the card again."""
    data, quote = await _card_quote(state, callback_data.token)
    if quote is None:
        callback_answer.text = i18n("order-confirmation-expired")
        callback_answer.show_alert = True
        return
    service = await repo.catalog.service(quote.service_id)
    if service is None or not service.offered or not order_form.offers_dripfeed(service):
        await state.clear()
        await show(callback, i18n("service-unavailable"), keyboards.main_menu(i18n))
        return
    answers = order_form.choose_dripfeed(order_form.answers_in(data))
    text, markup = await _advance(state, repo, i18n, user, pricing, service, answers)
    await show(callback, text, markup)


@router.callback_query(ReorderCallback.filter())
async def order_again(
    callback: CallbackQuery,
    callback_data: ReorderCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    callback_answer: CallbackAnswer,
) -> None:
    """The same service, link and quantity (and the rest) straight to a confirmation card at
    today's price; an answer today's service no longer takes is asked again, saying why."""
    order = await own_order(repo, callback_data.order_id, user.id, i18n, callback_answer)
    if order is None:
        return
    service = await repo.catalog.service(order.service_id)
    if service is None or not service.offered:
        callback_answer.text = render.plain(i18n, "reorder-service-gone", id=order.id)
        callback_answer.show_alert = True
        return
    checked = order_form.recheck(service, order_form.answers_of(order))
    if checked.error is not None and checked.step is None:
        callback_answer.text = render.plain(i18n, checked.error.message_id)
        callback_answer.show_alert = True
        return
    await state.clear()
    lead = None if checked.error is None else i18n.error(checked.error)
    text, markup = await _advance(
        state, repo, i18n, user, pricing, service, checked.answers, lead=lead
    )
    await send_new(callback, text, markup)  # the order's card stays as it was


@router.callback_query(
    ConfirmCallback.filter(F.action.in_({ConfirmAction.CONFIRM, ConfirmAction.CANCEL}))
)
async def confirm(
    callback: CallbackQuery,
    callback_data: ConfirmCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    ordering: OrderingService,
    callback_answer: CallbackAnswer,
) -> None:
    _, quote = await _card_quote(state, callback_data.token)
    if quote is None:
        placed = await repo.orders.by_token(callback_data.token)
        # A refused order was refunded: "already placed" would contradict what they were told.
        if placed is not None and placed.user_id == user.id and placed.status != FAILED:
            callback_answer.text = i18n("order-already-placed")
        else:
            callback_answer.text = i18n("order-confirmation-expired")
        callback_answer.show_alert = True
        return
    if callback_data.action == ConfirmAction.CANCEL:
        if await repo.orders.by_token(quote.token) is not None:
            # Confirm already charged this card and is placing it: its result follows.
            callback_answer.text = i18n("order-already-being-placed")
            callback_answer.show_alert = True
            return
        await state.clear()
        await show(callback, i18n("order-cancelled-before-payment"), keyboards.main_menu(i18n))
        return

    try:
        order = await ordering.place(user.id, quote)
    except OrderAlreadyPlacedError as error:
        callback_answer.text = i18n.error(error)
        callback_answer.show_alert = True
        return
    except NotEnoughBalanceError as error:
        await send_new(
            callback, i18n.error(error), keyboards.confirmation(i18n, quote.token, can_pay=False)
        )
        return
    except (
        OrderRefusedError,
        PanelUnavailableError,
        OrderOutcomeUnknownError,
        PromoDiscountUsedError,
    ) as error:
        await state.clear()
        await show(callback, i18n.error(error), keyboards.main_menu(i18n))
        return
    await state.clear()
    await show(
        callback,
        i18n("order-placed", id=order.id, service=order.service_name)
        + "\n\n"
        + render.order_card(i18n, order),
        keyboards.order_card(i18n, order, page=0),
    )
