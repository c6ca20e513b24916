"""Run a real aiogram Dispatcher against a FakeTelegramServer with long polling.

async with FakeTelegramServer() as telegram, running_bot(dispatcher, make_bot(telegram)):
    await telegram.send_message(USER, "/start")
    welcome = await telegram.wait_for_message(USER, contains="Welcome")
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher, loggers
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.testing.telegram import FakeTelegramServer

__all__ = ["LocalAiohttpSession", "RunningBot", "make_bot", "raise_handler_errors", "running_bot"]


class LocalAiohttpSession(AiohttpSession):
    """aiogram's own HTTP session, minus the 250 ms pause its ``close()`` makes for SSL.

    The fake server speaks plain HTTP on 127.0.0.1, so the pause would only add a quarter of
    a second to every test; requests go through the unchanged AiohttpSession code.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(server: FakeTelegramServer, *, token: str | None = None, **bot_kwargs: Any) -> Bot:
    """A real Bot whose HTTP session talks to ``server`` (with the server's token by default)."""
    bot_kwargs.setdefault("default", DefaultBotProperties(parse_mode=ParseMode.HTML))
    session = LocalAiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(token=token or server.token, session=session, **bot_kwargs)


@dataclass
class RunningBot:
    bot: Bot
    dispatcher: Dispatcher
    handler_errors: list[BaseException] = field(default_factory=list)


class _HandlerErrorCollector(logging.Handler):
    """Collects what aiogram logs, instead of raising, when a handler fails.

    Polling only logs exceptions that no error handler took care of, so without this a broken
    handler shows up in a test as a timeout rather than as the exception itself.
    """

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__(level=logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])
        else:
            self.errors.append(RuntimeError(record.getMessage()))


@asynccontextmanager
async def running_bot(
    dispatcher: Dispatcher,
    bot: Bot,
    *,
    fail_on_handler_errors: bool = True,
    startup_timeout: float = 5.0,
    drain_timeout: float = 5.0,
    **workflow_data: Any,
) -> AsyncIterator[RunningBot]:
    """Poll in the background until the block ends, then stop and close the session.

    Returns once the first ``getUpdates`` is on its way, so start-up errors surface here.
    On exit, handlers still running finish first; then, if the block itself succeeded,
    exceptions that escaped handlers fail the test (``fail_on_handler_errors``).
    """
    run = RunningBot(bot=bot, dispatcher=dispatcher)
    polling_started = asyncio.Event()

    async def notice_polling(
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            polling_started.set()
        return await make_request(bot, method)

    collector = _HandlerErrorCollector(run.handler_errors)
    bot.session.middleware.register(notice_polling)
    loggers.event.addHandler(collector)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            polling_timeout=1,
            handle_signals=False,
            # Closed below, after in-flight handlers are done with it.
            close_bot_session=False,
            **workflow_data,
        )
    )
    try:
        started = asyncio.create_task(polling_started.wait())
        await asyncio.wait(
            {polling, started}, timeout=startup_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        started.cancel()
        if polling.done():
            polling.result()  # raises the start-up error
            raise RuntimeError("Polling stopped before it started")
        if not polling_started.is_set():
            raise TimeoutError(f"Polling did not start within {startup_timeout}s")
        yield run
    finally:
        await _stop_polling(dispatcher, polling)
        await _drain_handlers(dispatcher, drain_timeout, run.handler_errors)
        loggers.event.removeHandler(collector)
        bot.session.middleware.unregister(notice_polling)
        await bot.session.close()
    if fail_on_handler_errors:
        raise_handler_errors(run.handler_errors)


def raise_handler_errors(errors: list[BaseException]) -> None:
    """Fail the test with the first exception that escaped the bot's handlers, if any."""
    if errors:
        first = errors[0]
        raise AssertionError(
            f"{len(errors)} error(s) escaped the bot's handlers; first: "
            f"{type(first).__name__}: {first}"
        ) from first


async def _stop_polling(dispatcher: Dispatcher, polling: asyncio.Task[None]) -> None:
    if not polling.done():
        try:
            # Cancels the pending getUpdates request: no waiting out the long poll.
            await dispatcher.stop_polling()
        except RuntimeError:  # polling task never got as far as taking the lock
            polling.cancel()
    with suppress(asyncio.CancelledError):
        await polling


async def _drain_handlers(
    dispatcher: Dispatcher, grace_period: float, errors: list[BaseException]
) -> None:
    # stop_polling() neither waits for nor cancels the handler tasks it started; left alone
    # they would call the API through a closed session (which aiogram silently reopens).
    # aiogram keeps them in a private set, the only place they can be found.
    in_flight = [
        task for task in getattr(dispatcher, "_handle_update_tasks", ()) if not task.done()
    ]
    if not in_flight:
        return
    _, still_running = await asyncio.wait(in_flight, timeout=grace_period)
    for task in still_running:
        task.cancel()
        errors.append(TimeoutError(f"A handler was still running {grace_period}s after the test"))
    if still_running:
        await asyncio.wait(still_running)
