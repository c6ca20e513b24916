"""The fake Bot API, the polling harness and the in-process lane, proved with a throwaway shop
router.

The real aiogram Bot and Dispatcher run against the fake on both lanes (over HTTP with a
FakeTelegramServer, and in process with InProcessSession and ``feed_update``) unless a test is
about HTTP itself; the tests speak as the user and assert on what the bot sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandStart, ExceptionTypeFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ErrorEvent,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.testing.harness import RunningBot, make_bot, running_bot
from bot.testing.in_process import InProcessSession, make_in_process_bot, running_in_process
from bot.testing.telegram import FakeTelegram, FakeTelegramServer

USER = 42
ADMIN = 7


class MenuAction(CallbackData, prefix="menu"):
    action: str


class OrderForm(StatesGroup):
    quantity = State()


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text="Show price", callback_data=MenuAction(action="price"))
    builder.button(text="Refresh", callback_data=MenuAction(action="refresh"))
    builder.button(text="New order", callback_data=MenuAction(action="order"))
    builder.adjust(1)
    return builder.as_markup()


async def start(message: Message) -> None:
    name = message.from_user.first_name if message.from_user else "there"
    await message.answer(f"Welcome, {html.quote(name)}!", reply_markup=main_menu())


async def show_price(callback: CallbackQuery) -> None:
    assert isinstance(callback.message, Message)
    await callback.message.edit_text("Price: <b>10</b> ⭐", reply_markup=main_menu())
    await callback.answer("Prices updated")


async def refresh(callback: CallbackQuery) -> None:
    assert isinstance(callback.message, Message)
    # Same text, same keyboard: Telegram refuses the edit.
    await callback.message.edit_text(callback.message.html_text, reply_markup=main_menu())
    await callback.answer()


async def new_order(callback: CallbackQuery, state: FSMContext) -> None:
    assert isinstance(callback.message, Message)
    await state.set_state(OrderForm.quantity)
    await callback.message.answer("How many?")
    await callback.answer()


async def take_quantity(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(f"Ordered {int(message.text or 0)} item(s)")


async def ask_for_number(message: Message) -> None:
    await message.answer("Please send a number")


async def buy(message: Message) -> None:
    await message.answer_invoice(
        title="100 followers",
        description="Delivered within an hour",
        payload="order:1",
        currency="XTR",
        prices=[LabeledPrice(label="100 followers", amount=50)],
    )


async def approve_payment(query: PreCheckoutQuery) -> None:
    await query.answer(ok=True)


async def thank_for_payment(message: Message) -> None:
    assert message.successful_payment is not None
    await message.answer(f"Paid {message.successful_payment.total_amount} ⭐")


async def crash(message: Message) -> None:
    await message.answer("About to fail")
    raise ValueError("boom")


async def bad_request(event: ErrorEvent, telegram_errors: list[Exception]) -> None:
    telegram_errors.append(event.exception)
    if event.update.callback_query:
        await event.update.callback_query.answer("Already up to date")


def build_dispatcher() -> Dispatcher:
    router = Router(name="shop")
    router.message.register(start, CommandStart())
    router.message.register(buy, Command("buy"))
    router.message.register(crash, Command("crash"))
    router.message.register(take_quantity, OrderForm.quantity, F.text.isdigit())
    router.message.register(ask_for_number, OrderForm.quantity)
    router.message.register(thank_for_payment, F.successful_payment)
    router.callback_query.register(show_price, MenuAction.filter(F.action == "price"))
    router.callback_query.register(refresh, MenuAction.filter(F.action == "refresh"))
    router.callback_query.register(new_order, MenuAction.filter(F.action == "order"))
    router.pre_checkout_query.register(approve_payment)
    router.errors.register(bad_request, ExceptionTypeFilter(TelegramBadRequest))
    dispatcher = Dispatcher()
    dispatcher["telegram_errors"] = []  # workflow data: reaches the error handler by name
    dispatcher.include_router(router)
    return dispatcher


LANES = ["http", "in_process"]
HTTP_ONLY = pytest.mark.parametrize("telegram", ["http"], indirect=True)


@pytest.fixture(params=LANES)
async def telegram(request: pytest.FixtureRequest) -> AsyncIterator[FakeTelegram]:
    if request.param == "http":
        async with FakeTelegramServer() as server:
            yield server
    else:
        yield FakeTelegram()


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    if isinstance(telegram, FakeTelegramServer):
        made = make_bot(telegram)
    else:
        made = make_in_process_bot(telegram)
    async with made as bot:
        yield bot


def running(dispatcher: Dispatcher, bot: Bot) -> AbstractAsyncContextManager[RunningBot]:
    """The bot at work on its lane: polling over HTTP, or fed updates in process."""
    if isinstance(bot.session, InProcessSession):
        return running_in_process(dispatcher, bot)
    return running_bot(dispatcher, bot)


@HTTP_ONLY
async def test_start_replies_with_an_inline_keyboard(telegram: FakeTelegram, bot: Bot) -> None:
    async with running(build_dispatcher(), bot):
        await telegram.send_message(USER, "/start", first_name="<Ann>")
        welcome = await telegram.wait_for_message(USER, contains="Welcome")

    assert welcome.text == "Welcome, &lt;Ann&gt;!"
    assert welcome.plain_text == "Welcome, <Ann>!"
    assert welcome.parse_mode == "HTML"
    assert welcome.reply_markup == {
        "inline_keyboard": [
            [{"text": "Show price", "callback_data": "menu:price"}],
            [{"text": "Refresh", "callback_data": "menu:refresh"}],
            [{"text": "New order", "callback_data": "menu:order"}],
        ]
    }
    get_updates = telegram.calls_to("getupdates")[0]
    assert get_updates["timeout"] == 1
    assert {"message", "callback_query", "pre_checkout_query"} <= set(
        get_updates["allowed_updates"]
    )


async def test_click_edits_the_message_and_answers_the_callback(
    telegram: FakeTelegram, bot: Bot
) -> None:
    async with running(build_dispatcher(), bot):
        await telegram.send_message(USER, "/start")
        welcome = await telegram.wait_for_message(USER)
        query_id = await telegram.click_button(USER, "price")
        edited = await telegram.wait_for_message(USER)
        answer = await telegram.wait_for_callback_answer(query_id)

    assert edited.message_id == welcome.message_id
    assert edited.edited
    assert edited.plain_text == "Price: 10 ⭐"
    assert edited.entities == [{"type": "bold", "offset": 7, "length": 2}]
    assert edited.button_texts == welcome.button_texts
    assert [version.plain_text for version in telegram.history(USER, welcome.message_id)] == [
        "Welcome, Test User!",
        "Price: 10 ⭐",
    ]
    assert (answer.text, answer.show_alert) == ("Prices updated", False)


async def test_observers_see_each_successful_request_as_it_happens(
    telegram: FakeTelegram, bot: Bot
) -> None:
    seen: list[tuple[str, object, object]] = []
    telegram.observers.append(
        lambda method, params, result: seen.append((method, params.get("chat_id"), result))
    )
    async with running(build_dispatcher(), bot):
        await telegram.send_message(USER, "/start")
        welcome = await telegram.wait_for_message(USER)
        await telegram.click_button(USER, "Refresh")  # refused edit: not reported
        await telegram.wait_for(lambda: telegram.errors)

    answers = [(method, chat) for method, chat, _ in seen if method != "getUpdates"]
    assert ("sendMessage", USER) in answers
    assert "editMessageText" not in [method for method, _ in answers]
    [sent] = [result for method, _, result in seen if method == "sendMessage"]
    assert isinstance(sent, dict) and sent["message_id"] == welcome.message_id


async def test_unchanged_edit_raises_message_not_modified_in_the_bot(
    telegram: FakeTelegram, bot: Bot
) -> None:
    dispatcher = build_dispatcher()
    async with running(dispatcher, bot):
        await telegram.send_message(USER, "/start")
        welcome = await telegram.wait_for_message(USER)
        query_id = await telegram.click_button(USER, "Refresh")
        answer = await telegram.wait_for_callback_answer(query_id)

    assert answer.text == "Already up to date"
    [error] = dispatcher["telegram_errors"]
    assert isinstance(error, TelegramBadRequest)
    assert "message is not modified" in error.message
    assert len(telegram.history(USER, welcome.message_id)) == 1


async def test_order_conversation_walks_through_fsm_states(
    telegram: FakeTelegram, bot: Bot
) -> None:
    async with running(build_dispatcher(), bot):
        await telegram.send_message(USER, "/start")
        await telegram.wait_for_message(USER)
        await telegram.click_button(USER, "New order")
        assert (await telegram.wait_for_message(USER)).text == "How many?"
        await telegram.send_message(USER, "lots")
        assert (await telegram.wait_for_message(USER)).text == "Please send a number"
        await telegram.send_message(USER, "3")
        assert (await telegram.wait_for_message(USER)).text == "Ordered 3 item(s)"


async def test_star_payment_and_refund(telegram: FakeTelegram, bot: Bot) -> None:
    async with running(build_dispatcher(), bot):
        await telegram.send_message(USER, "/buy")
        invoice = await telegram.wait_for_message(USER, where=lambda message: bool(message.invoice))
        charge_id = await telegram.pay_invoice(USER)
        thanks = await telegram.wait_for_message(USER)

        assert invoice.invoice == {
            "title": "100 followers",
            "description": "Delivered within an hour",
            "start_parameter": "",
            "currency": "XTR",
            "total_amount": 50,
        }
        assert thanks.text == "Paid 50 ⭐"
        assert await bot.refund_star_payment(USER, charge_id)
        assert telegram.refunds == [(USER, charge_id)]
        with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
            await bot.refund_star_payment(USER, charge_id)


async def test_a_handler_crash_fails_the_run(telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(AssertionError, match="ValueError: boom"):
        async with running(build_dispatcher(), bot):
            await telegram.send_message(USER, "/crash")
            await telegram.wait_for_message(USER, contains="About to fail")


async def test_blocked_user_raises_forbidden(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.blocked_users.add(USER)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "News")

    await bot.send_message(ADMIN, "News")
    assert telegram.messages(USER) == []
    assert [message.text for message in telegram.messages(ADMIN)] == ["News"]


async def test_rate_limit_raises_retry_after(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.rate_limit_per_second = 2
    await bot.send_message(USER, "one")
    await bot.send_message(ADMIN, "two")

    with pytest.raises(TelegramRetryAfter) as limited:
        await bot.send_message(USER, "three")

    assert limited.value.retry_after == 1
    assert telegram.rate_limited_count == 1

    telegram.rate_limit_per_second = None
    telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
        chat_id=USER,
    )
    with pytest.raises(TelegramRetryAfter) as scripted:
        await bot.send_message(USER, "four")
    assert scripted.value.retry_after == 7
    await bot.send_message(USER, "five")
    assert [message.text for message in telegram.messages(USER)] == ["one", "five"]


async def test_set_my_commands_is_recorded_per_language(telegram: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Main menu")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="Главное меню")], language_code="ru"
    )

    assert telegram.commands_for() == [{"command": "start", "description": "Main menu"}]
    assert telegram.commands_for(language_code="ru") == [
        {"command": "start", "description": "Главное меню"}
    ]
    russian = await bot.get_my_commands(language_code="ru")
    assert [command.description for command in russian] == ["Главное меню"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="Main menu")])


@HTTP_ONLY
async def test_long_poll_wakes_on_a_new_update_and_honours_offset(
    telegram: FakeTelegram, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await telegram.wait_for(lambda: telegram.calls_to("getUpdates"), description="a poll")
    started = time.monotonic()
    update_id = await telegram.send_message(USER, "hello")

    [update] = await poll

    assert time.monotonic() - started < 1
    assert update.update_id == update_id
    assert update.message is not None and update.message.text == "hello"
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == []
    assert telegram.pending_updates == 0


@HTTP_ONLY
async def test_errors_look_like_telegram(telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("New text", chat_id=USER, message_id=999)
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br"'):
        await bot.send_message(USER, "line<br>line")
    url = f"{telegram.base_url}/bot{telegram.token}/fooBar"
    async with aiohttp.ClientSession() as http, http.post(url) as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with make_bot(telegram, token="1:wrong") as stranger:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()


async def test_uploads_and_copies_are_recorded(telegram: FakeTelegram, bot: Bot) -> None:
    photo = BufferedInputFile(b"png-bytes", filename="cover.png")
    sent = await bot.send_photo(ADMIN, photo, caption="<b>Cover</b>")
    copied = await bot.copy_message(USER, from_chat_id=ADMIN, message_id=sent.message_id)

    assert sent.photo and sent.caption == "Cover"
    assert sent.caption_entities and sent.caption_entities[0].type == "bold"
    original = telegram.message(ADMIN, sent.message_id)
    assert original.file is not None and original.file.content == b"png-bytes"
    copy = telegram.message(USER, copied.message_id)
    assert (copy.kind, copy.caption, copy.file_id) == ("photo", "<b>Cover</b>", original.file_id)


async def test_click_button_lists_the_buttons_when_none_matches(
    telegram: FakeTelegram, bot: Bot
) -> None:
    await bot.send_message(USER, "Menu", reply_markup=main_menu())

    with pytest.raises(AssertionError, match="Show price"):
        await telegram.click_button(USER, "Checkout")
