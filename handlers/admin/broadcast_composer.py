"""Broadcasts: the admin sends any message, sees a preview and the audience, confirms."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.telegram import keyboards
from bot.telegram.broadcast_runner import BroadcastRunner
from bot.telegram.callbacks import AdminAction, AdminCallback, BroadcastAction, BroadcastCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import send_new
from storage.broadcasts import DISCARDED, Broadcast, BroadcastAlreadyRunningError
from storage.repository import Repository
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


class BroadcastFlow(StatesGroup):
    message = State()


@router.message(Command("broadcast"))
@router.callback_query(AdminCallback.filter(F.action == AdminAction.BROADCAST))
async def ask_for_message(
    event: Message | CallbackQuery, state: FSMContext, repo: Repository, i18n: Translator
) -> None:
    running = await repo.broadcasts.running()
    if running is not None:
        await send_new(event, i18n("broadcast-already-running", id=running.id))
        return
    await state.set_state(BroadcastFlow.message)
    await send_new(event, i18n("broadcast-ask-message"), keyboards.flow_cancel(i18n))


@router.message(BroadcastFlow.message, ~F.text.startswith("/"))
async def got_broadcast_message(
    message: Message,
    bot: Bot,
    state: FSMContext,
    repo: Repository,
    i18n: Translator,
    user: User,
    broadcast_runner: BroadcastRunner,
) -> None:
    await state.clear()
    broadcast_id = await repo.broadcasts.create_draft(user.id, message.chat.id, message.message_id)
    audience = await repo.broadcasts.audience_size()
    try:
        # The preview is the very copy users will get.
        await bot.copy_message(message.chat.id, message.chat.id, message.message_id)
    except TelegramAPIError as error:
        await repo.broadcasts.discard(broadcast_id)
        await message.answer(i18n("broadcast-cannot-copy", reason=error.message))
        return
    text = i18n("broadcast-confirm", count=audience)
    stars = broadcast_runner.paid_stars(audience)
    if stars is not None:
        text += "\n\n" + i18n("broadcast-paid-cost", stars=stars)
    await message.answer(text, reply_markup=keyboards.broadcast_confirm(i18n, broadcast_id))


async def _not_a_draft(
    repo: Repository, broadcast_id: int, i18n: Translator, callback_answer: CallbackAnswer
) -> None:
    """Send or Cancel pressed on a confirmation that was already used."""
    current = await repo.broadcasts.get(broadcast_id)
    dropped = current is not None and current.status == DISCARDED
    callback_answer.text = i18n("broadcast-discarded" if dropped else "broadcast-already-started")
    callback_answer.show_alert = True


async def _broadcast(
    repo: Repository,
    callback_data: BroadcastCallback,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> Broadcast | None:
    """The broadcast the button names, or None (answered as an outdated button)."""
    broadcast = await repo.broadcasts.get(callback_data.broadcast_id)
    if broadcast is None:
        callback_answer.text = i18n("button-outdated")
        callback_answer.show_alert = True
    return broadcast


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.DISCARD))
async def discard_broadcast(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    repo: Repository,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    broadcast = await _broadcast(repo, callback_data, i18n, callback_answer)
    if broadcast is None:
        return
    # Cancel on a confirmation already sent must not mark a running broadcast discarded:
    # it would lose the one-running guard and never be resumed after a restart.
    if not await repo.broadcasts.discard(broadcast.id):
        await _not_a_draft(repo, broadcast.id, i18n, callback_answer)
        return
    await send_new(callback, i18n("broadcast-discarded"))


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.STOP))
async def stop_broadcast(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    repo: Repository,
    i18n: Translator,
    broadcast_runner: BroadcastRunner,
    callback_answer: CallbackAnswer,
) -> None:
    broadcast = await _broadcast(repo, callback_data, i18n, callback_answer)
    if broadcast is None:
        return
    stopped = await broadcast_runner.request_stop(broadcast.id)
    callback_answer.text = i18n("broadcast-stopped" if stopped else "broadcast-not-running")


@router.callback_query(BroadcastCallback.filter(F.action == BroadcastAction.SEND))
async def send_broadcast(
    callback: CallbackQuery,
    callback_data: BroadcastCallback,
    repo: Repository,
    i18n: Translator,
    broadcast_runner: BroadcastRunner,
    callback_answer: CallbackAnswer,
) -> None:
    broadcast = await _broadcast(repo, callback_data, i18n, callback_answer)
    if broadcast is None:
        return
    try:
        # Only the database decides: two presses read the draft before either starts it.
        recipients = await repo.broadcasts.start(broadcast.id)
    except BroadcastAlreadyRunningError:
        running = await repo.broadcasts.running()
        callback_answer.text = i18n(
            "broadcast-already-running", id=running.id if running is not None else "?"
        )
        callback_answer.show_alert = True
        return
    if recipients is None:
        await _not_a_draft(repo, broadcast.id, i18n, callback_answer)
        return
    progress = await send_new(
        callback,
        i18n("broadcast-started", id=broadcast.id, count=recipients),
        keyboards.broadcast_progress(i18n, broadcast.id),
    )
    if progress is not None:
        await repo.broadcasts.set_progress_message(
            broadcast.id, progress.chat.id, progress.message_id
        )
    started = await repo.broadcasts.get(broadcast.id)
    if started is not None:
        broadcast_runner.start(started)
