"""The fake Telegram served over HTTP on 127.0.0.1, for the real aiogram ``Bot``
(``TelegramAPIServer.from_base(server.base_url)``) and the real ``Dispatcher`` polling it::

    async with FakeTelegramServer() as telegram, running_bot(dispatcher, make_bot(telegram)):
        await telegram.send_message(USER, "/start")
        menu = await telegram.wait_for_message(USER, contains="Welcome")
        await telegram.click_button(USER, "New order")
        reply = await telegram.wait_for_message(USER)

Errors use Telegram's status codes and descriptions, so aiogram raises its real exception
classes (``TelegramBadRequest``, ``TelegramForbiddenError``, ``TelegramRetryAfter``, ...).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.testing.loopback import serve
from bot.testing.telegram.records import JsonDict, UploadedFile
from bot.testing.telegram.users import FakeTelegram
from bot.testing.telegram.validation import decode_parameter


class FakeTelegramServer(FakeTelegram):
    """:class:`FakeTelegram` behind an aiohttp server: the bot reaches it over real HTTP."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """The URL to pass to ``TelegramAPIServer.from_base``."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return self._base_url

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Telegram's upload limit
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, port = await serve(app, shutdown_timeout=1.0)
        self._base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.updates.closing = True
        await self.release_pending_polls()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def release_pending_polls(self) -> None:
        """Answer any waiting ``getUpdates`` with an empty list right away."""
        await self.updates.release_polls()

    async def _handle(self, request: web.Request) -> web.Response:
        params = await self._read_parameters(request)
        status, body = await self.call(
            request.match_info["method"], params, token=request.match_info["token"]
        )
        return web.json_response(body, status=status)

    async def _read_parameters(self, request: web.Request) -> JsonDict:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            raw.update(await request.json())
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = UploadedFile(
                        value.filename, value.content_type, value.file.read()
                    )
                else:
                    raw[name] = value
        params: JsonDict = {}
        for name, value in raw.items():
            decoded = decode_parameter(name, value) if isinstance(value, str) else value
            if isinstance(decoded, str) and decoded.startswith("attach://"):
                decoded = files.get(decoded.removeprefix("attach://"), decoded)
            params[name] = decoded
        return params
