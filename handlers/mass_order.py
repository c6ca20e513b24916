"""/mass: many ``service_id | link | quantity`` lines → one card → one Confirm → a summary."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.core.errors import MassLineError, OrderRefusedError, PromoDiscountUsedError
from bot.core.money import Money
from bot.services.mass_order import (
    ALREADY,
    PLACED,
    UNKNOWN,
    ConfirmedBatch,
    LineOutcome,
    MassDraft,
    MassOrders,
)
from bot.telegram import keyboards, render
from bot.telegram.callbacks import MassAction, MassCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)
# Telegram's limit is 4096 characters: past this budget the card says "… and N more".
CARD_BUDGET = 3500


def create_router() -> Router:
    return router.create()


class MassFlow(StatesGroup):
    lines = State()
    confirm = State()


def _clipped(i18n: Translator, head: str, lines: list[str], tail: str) -> str:
    """The head, as many lines as fit the card, a note for the rest, the tail."""
    budget = CARD_BUDGET - len(head) - len(tail)
    shown: list[str] = []
    for line in lines:
        if budget - len(line) - 1 < 0:
            shown.append(i18n("mass-more-lines", count=len(lines) - len(shown)))
            break
        shown.append(line)
        budget -= len(line) + 1
    return "\n\n".join(part for part in (head, "\n".join(shown), tail) if part)


def _card(i18n: Translator, draft: MassDraft, balance: Money) -> str:
    lines = []
    for line in draft.lines:
        if line.quote is not None:
            quote = line.quote
            lines.append(
                i18n(
                    "mass-line-ok",
                    number=line.number,
                    id=str(quote.service_id),
                    service=quote.service_name,
                    quantity=quote.quantity if quote.quantity is not None else 1,
                    price=i18n.money(quote.price),
                )
            )
            if quote.discount.is_positive:
                lines.append(render.discount_line(i18n, quote))
        elif line.error is not None:
            lines.append(i18n("mass-line-bad", number=line.number, reason=i18n.error(line.error)))
    valid = len(draft.valid)
    head = i18n("mass-card-title", valid=valid, invalid=len(draft.lines) - valid)
    tail = i18n("mass-card-total", total=i18n.money(draft.total), balance=i18n.money(balance))
    if valid and balance < draft.total:
        tail += "\n" + i18n("mass-card-short", missing=i18n.money(draft.total - balance))
    if not valid:
        tail += "\n" + i18n("mass-card-nothing")
    return _clipped(i18n, head, lines, tail)


def _outcome_line(i18n: Translator, item: LineOutcome) -> str:
    service = item.quote.service_name
    if item.outcome == PLACED:
        return i18n(
            "mass-outcome-placed", number=item.number, service=service, id=str(item.order_id)
        )
    if item.outcome == UNKNOWN:
        return i18n(
            "mass-outcome-unknown", number=item.number, service=service, id=str(item.order_id)
        )
    if item.outcome == ALREADY:
        return i18n("mass-outcome-already", number=item.number, service=service)
    if isinstance(item.reason, OrderRefusedError):
        reason = i18n(str(item.reason.arguments["reason_id"]))
    elif item.reason is not None and item.reason.message_id == "order-not-enough-balance":
        reason = i18n("mass-outcome-no-balance")
    elif isinstance(item.reason, PromoDiscountUsedError):
        reason = i18n("mass-outcome-discount-used")
    else:
        reason = i18n("mass-outcome-panel-down")
    return i18n("mass-outcome-refused", number=item.number, service=service, reason=reason)


async def _show_card(
    event: Message,
    text: str,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    mass_orders: MassOrders,
) -> None:
    try:
        draft = await mass_orders.parse(text, user.id)
    except MassLineError as error:
        await state.set_state(MassFlow.lines)
        await event.answer(i18n.error(error), reply_markup=keyboards.flow_cancel(i18n))
        return
    balance = await repo.ledger.balance(user.id)
    await state.set_data({"mass": draft.to_data()})
    await state.set_state(MassFlow.confirm)
    await event.answer(
        _card(i18n, draft, balance),
        reply_markup=keyboards.mass_confirmation(i18n, draft.token, can_confirm=bool(draft.valid)),
    )


@router.message(Command("mass"))
async def mass_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    mass_orders: MassOrders,
) -> None:
    await state.clear()
    if not (command.args or "").strip():
        await state.set_state(MassFlow.lines)
        await message.answer(i18n("mass-ask"), reply_markup=keyboards.flow_cancel(i18n))
        return
    await _show_card(message, command.args or "", state, repo, i18n, user, mass_orders)


@router.message(MassFlow.lines, F.text, ~F.text.startswith("/"))
async def mass_lines(
    message: Message,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    mass_orders: MassOrders,
) -> None:
    await _show_card(message, message.text or "", state, repo, i18n, user, mass_orders)


@router.message(MassFlow.lines, ~F.text)
async def mass_not_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("mass-ask"), reply_markup=keyboards.flow_cancel(i18n))


@router.message(MassFlow.confirm, ~F.text.startswith("/"))
async def mass_waiting(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("mass-press-confirm"))


@router.callback_query(MassCallback.filter())
async def mass_confirm(
    callback: CallbackQuery,
    callback_data: MassCallback,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    mass_orders: MassOrders,
    callback_answer: CallbackAnswer,
) -> None:
    stored = (await state.get_data()).get("mass")
    batch = ConfirmedBatch.from_data(stored) if isinstance(stored, dict) else None
    # The card's token must be the batch this chat holds (and so this user's own), and not
    # being confirmed right now by an earlier press.
    if batch is None or batch.token != callback_data.token or not mass_orders.claim(batch.token):
        callback_answer.text = i18n("mass-confirmation-gone")
        callback_answer.show_alert = True
        return
    try:
        if callback_data.action == MassAction.CANCEL:
            await state.clear()
            await show(callback, i18n("mass-cancelled"), keyboards.main_menu(i18n))
            return
        await show(callback, i18n("mass-placing", count=len(batch.lines)))
        result = await mass_orders.place(user.id, batch)
        await state.clear()
    finally:
        mass_orders.release(batch.token)
    balance = await repo.ledger.balance(user.id)
    head = i18n("mass-summary-title")
    tail = i18n(
        "mass-summary-total", charged=i18n.money(result.charged), balance=i18n.money(balance)
    )
    lines = [_outcome_line(i18n, item) for item in result.outcomes]
    await show(callback, _clipped(i18n, head, lines, tail), keyboards.main_menu(i18n))
