"""Manual top-up requests for admins: /pending, ✅ Approve, ❌ Reject with a reason."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.services.payments import TopupError
from bot.services.payments.manual import ManualTopups
from bot.telegram import keyboards, render
from bot.telegram.callbacks import ManualReviewCallback, ReviewAction
from bot.telegram.i18n import Translator
from bot.telegram.render import plain
from bot.telegram.routing import RouterTemplate
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


class RejectFlow(StatesGroup):
    reason = State()


@router.message(Command("pending"))
async def pending(
    message: Message,
    repo: Repository,
    i18n: Translator,
    manual_topups: ManualTopups,
) -> None:
    waiting = await manual_topups.waiting()
    if not waiting:
        await message.answer(i18n("manual-pending-empty"))
        return
    lines = [
        render.manual_pending_line(i18n, topup, await repo.users.get(topup.user_id))
        for topup in waiting
    ]
    text = i18n("manual-pending-title", count=len(waiting)) + "\n\n" + "\n".join(lines)
    await message.answer(
        text, reply_markup=keyboards.pending_requests(i18n, [topup.id for topup in waiting])
    )


@router.callback_query(ManualReviewCallback.filter(F.action == ReviewAction.APPROVE))
async def approve(
    callback: CallbackQuery,
    callback_data: ManualReviewCallback,
    callback_answer: CallbackAnswer,
    i18n: Translator,
    manual_topups: ManualTopups,
    user: User,
) -> None:
    try:
        topup = await manual_topups.approve(callback_data.topup_id, user.id)
    except TopupError as error:
        # Most often: another admin was quicker; this one is told who.
        callback_answer.text = i18n.error(error, plain=True)
        callback_answer.show_alert = True
        return
    amount = i18n.money(topup.amount)
    callback_answer.text = plain(i18n, "manual-approve-done", amount=amount)
    await _close_card(
        callback, i18n("manual-approved-by", admin=render.person(user, user.id), amount=amount)
    )


@router.callback_query(ManualReviewCallback.filter(F.action == ReviewAction.REJECT))
async def ask_reason(
    callback: CallbackQuery,
    callback_data: ManualReviewCallback,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    i18n: Translator,
    manual_topups: ManualTopups,
) -> None:
    try:
        topup = await manual_topups.check_open(callback_data.topup_id)
    except TopupError as error:
        callback_answer.text = i18n.error(error, plain=True)
        callback_answer.show_alert = True
        return
    await state.set_state(RejectFlow.reason)
    await state.set_data({"topup_id": topup.id})
    if callback.bot is not None:
        await callback.bot.send_message(
            callback.from_user.id,
            i18n("manual-reject-ask-reason", id=topup.id, amount=i18n.money(topup.amount)),
            reply_markup=keyboards.flow_cancel(i18n),
        )


@router.message(RejectFlow.reason, F.text, ~F.text.startswith("/"))
async def reject(
    message: Message,
    state: FSMContext,
    i18n: Translator,
    manual_topups: ManualTopups,
    user: User,
) -> None:
    topup_id = int((await state.get_data()).get("topup_id") or 0)
    await state.clear()
    try:
        topup = await manual_topups.reject(topup_id, user.id, message.text or "")
    except TopupError as error:
        await message.answer(i18n.error(error))
        return
    await message.answer(i18n("manual-reject-done", id=topup.id))


@router.message(RejectFlow.reason, ~F.text)
async def reason_not_text(message: Message, i18n: Translator) -> None:
    await message.answer(
        i18n("manual-reject-reason-text"), reply_markup=keyboards.flow_cancel(i18n)
    )


async def _close_card(callback: CallbackQuery, outcome: str) -> None:
    """The pressed request card shows who decided, and loses its buttons."""
    message = callback.message
    if isinstance(message, Message) and message.text is not None:
        await message.edit_text(f"{message.html_text}\n\n{outcome}", reply_markup=None)
