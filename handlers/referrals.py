"""Invites: /start ref_<code> binds a new user to whoever invited them; /invite shows the link."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.services.referrals import START_PREFIX, ReferralProgram, invite_code_from_start
from bot.telegram import keyboards
from bot.telegram.callbacks import MenuAction, MenuCallback
from bot.telegram.i18n import Translator
from bot.telegram.routing import RouterTemplate
from handlers.common import show
from storage.users import User

router = RouterTemplate(__name__)


def create_router() -> Router:
    return router.create()


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(START_PREFIX)))
async def start_with_invite(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    i18n: Translator,
    user: User,
    user_is_new: bool,
    referrals: ReferralProgram,
) -> None:
    """The welcome, after binding the referrer if this /start is the user's very first update."""
    await state.clear()
    code = invite_code_from_start(command.args)
    bound = None
    if code is not None:
        bound = await referrals.bind(user.id, code, is_new_user=user_is_new)
    text = i18n("welcome", name=user.first_name or "🙂")
    if bound is not None:
        text += "\n\n" + i18n("referral-welcome")
    await message.answer(text, reply_markup=keyboards.main_menu(i18n))


@router.message(Command("invite"))
@router.callback_query(MenuCallback.filter(F.action == MenuAction.INVITE))
async def invite_screen(
    event: Message | CallbackQuery,
    bot: Bot,
    i18n: Translator,
    user: User,
    referrals: ReferralProgram,
) -> None:
    if not referrals.enabled:
        await show(event, i18n("referral-off"), keyboards.back_to_menu(i18n))
        return
    link = await referrals.invite_link(bot, user.id)
    stats = await referrals.stats(user.id)
    text = i18n(
        "referral-screen",
        percent=referrals.percent,
        link=link,
        joined=stats.joined,
        earned=i18n.money(stats.earned),
    )
    await show(event, text, keyboards.back_to_menu(i18n))
