"""The fast lane: the real Dispatcher fed updates with ``feed_update``, its Bot answered in process.

aiogram's own tests fake the Bot API with a ``MockedSession`` that still runs aiogram's response
checks; :class:`InProcessSession` does the same, with the answers coming from a
:class:`~bot.testing.telegram.FakeTelegram` instead of a queue of canned responses. Requests are
serialized exactly as aiogram's HTTP session serializes them (``prepare_value``), handed to
:meth:`FakeBotApi.call <bot.testing.telegram.FakeBotApi.call>`, and the JSON answer goes through
``check_response``, so an error code raises the real ``TelegramAPIError`` subclass. Updates the
users send are fed to the Dispatcher at once, each in its own task as polling would run them,
with no HTTP, no long poll and no sockets::

    telegram = FakeTelegram()
    async with running_in_process(dispatcher, make_in_process_bot(telegram)):
        alice = ChatUser(telegram, ALICE)
        menu = await alice.start()

Use it for texts and screens. Restarts, SIGKILL, webhooks and flood limits need the real HTTP
fake (:mod:`bot.testing.harness`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile, Update

from bot.testing.harness import RunningBot, raise_handler_errors
from bot.testing.telegram import FakeTelegram, JsonDict, UploadedFile
from bot.testing.telegram.validation import decode_parameter

__all__ = ["InProcessSession", "make_in_process_bot", "running_in_process"]


class InProcessSession(BaseSession):
    """An aiogram session whose requests a FakeTelegram answers, without HTTP."""

    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def close(self) -> None:
        pass

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature; nothing waits)
    ) -> TelegramType:
        params = await self._parameters(bot, method)
        status, body = await self.telegram.call(method.__api_method__, params, token=bot.token)
        response = self.check_response(
            bot=bot, method=method, status_code=status, content=json.dumps(body)
        )
        return cast(TelegramType, response.result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        # The storefront downloads no files; an async generator that ends at once says so.
        if url:
            raise NotImplementedError(f"the in-process fake serves no files ({url})")
        yield b""

    async def _parameters(self, bot: Bot, method: TelegramMethod[Any]) -> JsonDict:
        """The request's parameters as the fake server would decode them from aiogram's form."""
        files: dict[str, InputFile] = {}
        params: JsonDict = {}
        for name, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if not prepared:
                continue  # what aiogram leaves out of the form
            params[name] = decode_parameter(name, prepared)
        uploads = {key: await _upload(bot, key, file) for key, file in files.items()}
        for name, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                params[name] = uploads.get(value.removeprefix("attach://"), value)
        return params


async def _upload(bot: Bot, key: str, file: InputFile) -> UploadedFile:
    content = b"".join([chunk async for chunk in file.read(bot)])
    return UploadedFile(file.filename or key, "application/octet-stream", content)


def make_in_process_bot(telegram: FakeTelegram, **bot_kwargs: Any) -> Bot:
    """A real Bot whose requests ``telegram`` answers in process (with its token)."""
    bot_kwargs.setdefault("default", DefaultBotProperties(parse_mode=ParseMode.HTML))
    return Bot(token=telegram.token, session=InProcessSession(telegram), **bot_kwargs)


@asynccontextmanager
async def running_in_process(
    dispatcher: Dispatcher,
    bot: Bot,
    *,
    fail_on_handler_errors: bool = True,
    drain_timeout: float = 5.0,
    **workflow_data: Any,
) -> AsyncIterator[RunningBot]:
    """Feed every update the fake's users send to ``dispatcher`` until the block ends.

    Start-up and shutdown hooks run as under polling; on exit, handlers still running finish
    first, then (if the block itself succeeded) exceptions that escaped handlers fail the test.
    """
    session = bot.session
    assert isinstance(session, InProcessSession), "make the bot with make_in_process_bot()"
    telegram = session.telegram
    run = RunningBot(bot=bot, dispatcher=dispatcher)
    in_flight: set[asyncio.Task[None]] = set()
    data = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data, **workflow_data}
    data.pop("bot", None)

    async def handle(raw: JsonDict) -> None:
        try:
            update = Update.model_validate(raw, context={"bot": bot})
            response = await dispatcher.feed_update(bot, update, **workflow_data)
            if isinstance(response, TelegramMethod):
                await bot(response)
        except Exception as error:  # polling logs these; a test must see them
            run.handler_errors.append(error)

    async def deliver(raw: JsonDict) -> None:
        task = asyncio.create_task(handle(raw))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    await dispatcher.emit_startup(bot=bot, **data)
    telegram.updates.deliver = deliver
    try:
        yield run
    finally:
        telegram.updates.deliver = None
        if in_flight:
            _, still_running = await asyncio.wait(set(in_flight), timeout=drain_timeout)
            for task in still_running:
                task.cancel()
                run.handler_errors.append(
                    TimeoutError(f"A handler was still running {drain_timeout}s after the test")
                )
            if still_running:
                await asyncio.wait(still_running)
        await dispatcher.emit_shutdown(bot=bot, **data)
    if fail_on_handler_errors:
        raise_handler_errors(run.handler_errors)
