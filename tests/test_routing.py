"""Routers are built afresh for every Dispatcher, with each handler where it was declared."""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

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
