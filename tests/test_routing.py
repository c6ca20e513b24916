"""Routers are built afresh for every Dispatcher, with each handler where it was declared."""

from __future__ import annotations

import threading

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, Message, Update

import handlers
from bot.telegram.routing import RouterTemplate
from handlers import start


def _callbacks(router: Router, event: str) -> list[object]:
    return [handler.callback for handler in router.observers[event].handlers]


def test_a_template_builds_independent_routers_in_declaration_order() -> None:
    template = RouterTemplate("example")

    @template.message(Command("first"))
    async def first(message: Message) -> None: ...

    @template.message(Command("screen"))
    @template.callback_query()
    async def screen(event: Message | CallbackQuery) -> None: ...

    one, two = template.create(), template.create()
    assert one is not two and one.name == two.name == "example"
    for router in (one, two):
        assert _callbacks(router, "message") == [first, screen]
        assert _callbacks(router, "callback_query") == [screen]


def test_every_dispatcher_gets_its_own_routers() -> None:
    # With module-level routers the second include raised "Router is already attached".
    for _ in range(2):
        dispatcher = Dispatcher()
        dispatcher.include_routers(*handlers.create_routers())
        names = [router.name for router in dispatcher.sub_routers]
        assert names[0] == "handlers.errors" and names[-1] == "handlers.fallback"
        assert names.index("handlers.payments") < names.index("handlers.ordering")


def test_a_command_and_its_button_share_one_handler() -> None:
    router = start.create_router()
    assert start.help_screen in _callbacks(router, "message")
    assert start.help_screen in _callbacks(router, "callback_query")


def _all_routers(router: Router) -> list[Router]:
    return [router, *(inner for sub in router.sub_routers for inner in _all_routers(sub))]


def test_no_filter_of_ours_is_sent_to_a_worker_thread() -> None:
    # aiogram runs a filter it cannot await in asyncio.to_thread: a thread trip per check.
    for top in handlers.create_routers():
        for router in _all_routers(top):
            for observer in router.observers.values():
                for handler in observer.handlers:
                    for check in handler.filters or []:
                        assert check.awaitable, (router.name, handler.callback, check.callback)


async def test_plain_filters_run_on_the_event_loop_and_decide_as_before() -> None:
    template = RouterTemplate("filters")
    seen: list[tuple[int, str | None]] = []
    handled: list[str] = []

    class Flow(StatesGroup):
        step = State()

    def plain(message: Message, raw_state: str | None) -> bool:
        seen.append((threading.get_ident(), raw_state))  # a filter that names its arguments
        return True

    @template.message(Flow.step, F.text == "in the flow")
    async def in_flow(message: Message) -> None:
        handled.append("flow")

    @template.message(plain, F.text.startswith("/"), ~F.photo)
    async def command(message: Message) -> None:
        handled.append("command")

    @template.message()
    async def anything(message: Message) -> None:
        handled.append("other")

    dispatcher = Dispatcher()
    dispatcher.include_router(template.create())
    bot = Bot("42:TEST")
    chat = {"id": 7, "type": "private"}
    sender = {"id": 7, "is_bot": False, "first_name": "Ann"}

    async def send(update_id: int, text: str) -> None:
        message = {"message_id": update_id, "date": 0, "chat": chat, "from": sender, "text": text}
        update = Update.model_validate({"update_id": update_id, "message": message})
        await dispatcher.feed_update(bot, update)

    await send(1, "in the flow")  # no state yet: not the flow's
    await send(2, "/go")
    key = StorageKey(bot_id=bot.id, chat_id=7, user_id=7)
    await dispatcher.storage.set_state(key, Flow.step)
    await send(3, "in the flow")
    await send(4, "/go")

    assert handled == ["other", "command", "flow", "command"]
    loop_thread = threading.get_ident()
    assert seen == [(loop_thread, None), (loop_thread, None), (loop_thread, Flow.step.state)]
