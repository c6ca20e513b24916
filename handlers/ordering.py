"""The order flow: link → quantity / comments / poll answer → confirmation → placed."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.core.errors import (
    NotEnoughBalanceError,
    OrderAlreadyPlacedError,
    OrderOutcomeUnknownError,
    OrderRefusedError,
    PanelUnavailableError,
    StorefrontError,
)
from bot.services.catalog import Pricing, is_package
from bot.services.ordering import (
    OrderingService,
    Quote,
    is_telegram_service,
    make_quote,
    normalize_link,
    parse_answer_number,
    parse_comments,
    parse_quantity,
)
from bot.telegram import keyboards, render
from bot.telegram.callbacks import (
    ConfirmAction,
    ConfirmCallback,
    FlowCallback,
    OrderServiceCallback,
)
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from bot.upstream.types import TYPE_CUSTOM_COMMENTS, TYPE_POLL
from handlers.common import send_new, show
from storage.catalog import Service
from storage.orders import FAILED
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


# A command typed mid-flow is neither a link nor a number: it goes on to the fallback, which
# calls it an unknown command, and the flow stays where it was. (Comments are free text, so
# a comment block may start with "/".)
NOT_A_COMMAND = ~F.text.regexp(r"^/[A-Za-z0-9_]")


class OrderFlow(StatesGroup):
    link = State()
    quantity = State()
    comments = State()
    answer_number = State()
    confirm = State()


def _error_text(i18n: Translator, error: StorefrontError) -> str:
    return i18n(error.message_id, **error.arguments)


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


@router.callback_query(OrderServiceCallback.filter())
async def start_order(
    callback: CallbackQuery,
    callback_data: OrderServiceCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    service = await repo.catalog.service(callback_data.service_id)
    if service is None or not service.offered:
        callback_answer.text = i18n("service-unavailable")
        callback_answer.show_alert = True
        return
    await state.clear()
    await state.set_state(OrderFlow.link)
    await state.update_data(service_id=service.id)
    prompt = "order-ask-link-telegram" if is_telegram_service(service) else "order-ask-link"
    await show(callback, i18n(prompt, service=service.name), keyboards.flow_cancel(i18n))


@router.message(OrderFlow.link, F.text, NOT_A_COMMAND)
async def got_link(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    currency: str,
) -> None:
    service = await _flow_service(message, state, repo, i18n)
    if service is None:
        return
    try:
        link = normalize_link(message.text or "", telegram=is_telegram_service(service))
    except StorefrontError as error:
        await message.answer(_error_text(i18n, error), reply_markup=keyboards.flow_cancel(i18n))
        return
    await state.update_data(link=link)
    if is_package(service.type):
        quote = make_quote(service, pricing, link=link, quantity=None)
        await _ask_confirmation(message, state, repo, i18n, user, quote, currency)
    elif service.type == TYPE_CUSTOM_COMMENTS:
        await state.set_state(OrderFlow.comments)
        await message.answer(
            i18n("order-ask-comments", min=service.min_quantity, max=service.max_quantity),
            reply_markup=keyboards.flow_cancel(i18n),
        )
    else:
        await state.set_state(OrderFlow.quantity)
        await message.answer(
            i18n(
                "order-ask-quantity",
                min=service.min_quantity,
                max=service.max_quantity,
                price=i18n.money(pricing.unit_price(service), currency),
            ),
            reply_markup=keyboards.flow_cancel(i18n),
        )


@router.message(OrderFlow.quantity, F.text, NOT_A_COMMAND)
async def got_quantity(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    currency: str,
) -> None:
    service = await _flow_service(message, state, repo, i18n)
    if service is None:
        return
    try:
        quantity = parse_quantity(message.text or "", service.min_quantity, service.max_quantity)
    except StorefrontError as error:
        await message.answer(_error_text(i18n, error), reply_markup=keyboards.flow_cancel(i18n))
        return
    if service.type == TYPE_POLL:
        await state.update_data(quantity=quantity)
        await state.set_state(OrderFlow.answer_number)
        await message.answer(i18n("order-ask-answer"), reply_markup=keyboards.flow_cancel(i18n))
        return
    link = str((await state.get_data())["link"])
    quote = make_quote(service, pricing, link=link, quantity=quantity)
    await _ask_confirmation(message, state, repo, i18n, user, quote, currency)


@router.message(OrderFlow.comments, F.text)
async def got_comments(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    currency: str,
) -> None:
    service = await _flow_service(message, state, repo, i18n)
    if service is None:
        return
    try:
        comments = parse_comments(message.text or "", service.min_quantity, service.max_quantity)
    except StorefrontError as error:
        await message.answer(_error_text(i18n, error), reply_markup=keyboards.flow_cancel(i18n))
        return
    link = str((await state.get_data())["link"])
    quote = make_quote(service, pricing, link=link, quantity=len(comments), comments=comments)
    await _ask_confirmation(message, state, repo, i18n, user, quote, currency)


@router.message(OrderFlow.answer_number, F.text, NOT_A_COMMAND)
async def got_answer_number(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    pricing: Pricing,
    currency: str,
) -> None:
    service = await _flow_service(message, state, repo, i18n)
    if service is None:
        return
    try:
        answer = parse_answer_number(message.text or "")
    except StorefrontError as error:
        await message.answer(_error_text(i18n, error), reply_markup=keyboards.flow_cancel(i18n))
        return
    data = await state.get_data()
    quote = make_quote(
        service,
        pricing,
        link=str(data["link"]),
        quantity=int(data["quantity"]),
        answer_number=answer,
    )
    await _ask_confirmation(message, state, repo, i18n, user, quote, currency)


async def _ask_confirmation(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    quote: Quote,
    currency: str,
) -> None:
    balance = await repo.ledger.balance(user.id)
    await state.update_data(quote=quote.to_data())
    await state.set_state(OrderFlow.confirm)
    await message.answer(
        render.confirmation_card(i18n, quote, balance, currency),
        reply_markup=keyboards.confirmation(i18n, quote.token, can_pay=balance >= quote.price),
    )


@router.message(OrderFlow.confirm, NOT_A_COMMAND)
async def waiting_for_confirmation(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("order-press-confirm"))


@router.message(OrderFlow.link, ~F.text)
@router.message(OrderFlow.quantity, ~F.text)
@router.message(OrderFlow.comments, ~F.text)
@router.message(OrderFlow.answer_number, ~F.text)
async def not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("order-send-text"), reply_markup=keyboards.flow_cancel(i18n))


@router.callback_query(FlowCallback.filter())
async def leave_flow(callback: CallbackQuery, state: FSMContext, i18n: Translator) -> None:
    await state.clear()
    await show(callback, i18n("flow-cancelled"), keyboards.main_menu(i18n))


@router.callback_query(ConfirmCallback.filter())
async def confirm(
    callback: CallbackQuery,
    callback_data: ConfirmCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    ordering: OrderingService,
    currency: str,
    callback_answer: CallbackAnswer,
) -> None:
    data = await state.get_data()
    stored = data.get("quote")
    quote = Quote.from_data(stored) if isinstance(stored, dict) else None
    if quote is None or quote.token != callback_data.token:
        placed = await repo.orders.by_token(callback_data.token)
        # A refused order was refunded: "already placed" would contradict what they were told.
        if placed is not None and placed.user_id == user.id and placed.status != FAILED:
            callback_answer.text = i18n("order-already-placed")
        else:
            callback_answer.text = i18n("order-confirmation-expired")
        callback_answer.show_alert = True
        return
    if callback_data.action == ConfirmAction.CANCEL:
        await state.clear()
        await show(callback, i18n("order-cancelled-before-payment"), keyboards.main_menu(i18n))
        return

    try:
        order = await ordering.place(user.id, quote)
    except OrderAlreadyPlacedError as error:
        callback_answer.text = _error_text(i18n, error)
        callback_answer.show_alert = True
        return
    except NotEnoughBalanceError as error:
        await send_new(
            callback,
            i18n(
                "order-not-enough-balance",
                missing=i18n.money(error.arguments["missing"], currency),
                balance=i18n.money(error.arguments["balance"], currency),
            ),
            keyboards.confirmation(i18n, quote.token, can_pay=False),
        )
        return
    except (OrderRefusedError, PanelUnavailableError, OrderOutcomeUnknownError) as error:
        await state.clear()
        arguments = dict(error.arguments)
        if isinstance(error, OrderRefusedError):
            arguments["reason"] = i18n(str(arguments.pop("reason_id")))
        arguments.pop("detail", None)
        arguments["price"] = i18n.money(quote.price, currency)
        await show(callback, i18n(error.message_id, **arguments), keyboards.main_menu(i18n))
        return
    await state.clear()
    await show(
        callback,
        i18n("order-placed", id=order.id, service=order.service_name)
        + "\n\n"
        + render.order_card(i18n, order, currency),
        keyboards.order_card(i18n, order, page=0),
    )
