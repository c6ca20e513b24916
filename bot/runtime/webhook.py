"""The bot's web server: the webhook, /healthz, and the Mini App when WEBAPP_URL is set.

Webhook mode: Telegram (or a local Bot API server) calls us instead of being polled.

Updates are answered only after they were handled (not in the background), so an update
whose handling was cut short by a crash is delivered again by Telegram; the webhook is kept
on shutdown so updates sent while the bot restarts wait at Telegram instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import Settings
from bot.runtime.signals import stop_on_signals
from bot.upstream import PanelAPI, UpstreamError
from bot.upstream.panels import Panel, Panels, as_panels
from storage.database import Database

# Adds the routes of the web side (the Mini App and its API) to a server's application.
AddRoutes = Callable[[web.Application], None]

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
PANEL_HEALTH_TTL_SECONDS = 30.0
PANEL_HEALTH_TIMEOUT_SECONDS = 5.0
REQUESTS_SHUTDOWN_SECONDS = 0.5


class Health:
    """Answers /healthz: is the database usable, can each panel be reached (each cached
    briefly, so a monitor polling every few seconds does not turn into panel traffic).

    Healthy (200) while the database is usable and at least one panel the shop uses answers:
    ``ok`` when every panel does, ``partial`` when some do not; else 503 ``degraded``. Each
    panel is reported by its name only (``ok``, ``unreachable``, or ``unused``: it answers,
    but works in another currency than the shop's), never with its URL or key.
    """

    def __init__(self, database: Database, panels: Panels | PanelAPI) -> None:
        self._database = database
        self._panels = as_panels(panels)
        self._checked: dict[str, tuple[float, str]] = {}  # panel name: (when, status)

    async def _check_database(self) -> str:
        try:
            await self._database.fetch_value("SELECT 1")
        except Exception as error:
            logger.warning("Health check: database unusable: %r", error)
            return "error"
        return "ok"

    async def _check_panel(self, panel: Panel) -> str:
        now = time.monotonic()
        checked = self._checked.get(panel.name)
        if checked is not None and now - checked[0] < PANEL_HEALTH_TTL_SECONDS:
            return checked[1]
        try:
            balance = await asyncio.wait_for(
                panel.api.balance(), timeout=PANEL_HEALTH_TIMEOUT_SECONDS
            )
        except (UpstreamError, TimeoutError) as error:
            logger.warning("Health check: panel %s unreachable: %r", panel.name, error)
            status = "unreachable"
        else:
            self._panels.note_balance(panel, balance)
            status = "ok" if self._panels.accepts(panel) else "unused"
        self._checked[panel.name] = (now, status)
        return status

    async def handle(self, request: web.Request) -> web.Response:
        database, *statuses = await asyncio.gather(
            self._check_database(), *(self._check_panel(panel) for panel in self._panels)
        )
        panels = dict(zip(self._panels.names, statuses, strict=True))
        serving = database == "ok" and "ok" in statuses
        status = "degraded" if not serving else "ok" if set(statuses) == {"ok"} else "partial"
        report = {
            "status": status,
            "database": database,
            "panel": panels[self._panels.main.name],  # the main panel, as before several
            "panels": panels,
        }
        return web.json_response(report, status=200 if serving else 503)


def build_webhook_app(
    dispatcher: Dispatcher,
    bot: Bot,
    health: Health,
    *,
    secret: str,
    path: str,
    add_routes: AddRoutes | None = None,
) -> web.Application:
    app = web.Application()
    # aiohttp runs shutdown hooks in the order they were added: the dispatcher's shutdown
    # (wait for the updates in flight, stop background work) must come before the request
    # handler's, which closes the bot's HTTP session those updates are still answering with.
    setup_application(app, dispatcher, bot=bot)
    SimpleRequestHandler(
        dispatcher=dispatcher, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=path)
    app.router.add_get(HEALTH_PATH, health.handle)
    if add_routes is not None:
        add_routes(app)
    return app


class WebServer:
    """Polling mode with WEBAPP_URL: the Mini App and /healthz on WEBHOOK_HOST:WEBHOOK_PORT.

    Started by the dispatcher's start-up, after the orders a crash interrupted were
    recovered (a Mini App order being placed must not be taken for one of those), and
    stopped first at shutdown, letting requests in flight (an order on its way to the panel
    above all) finish while the database is still open.
    """

    def __init__(self, settings: Settings, health: Health, add_routes: AddRoutes) -> None:
        self._settings = settings
        self._health = health
        self._add_routes = add_routes
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        settings = self._settings
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self._health.handle)
        self._add_routes(app)
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=REQUESTS_SHUTDOWN_SECONDS
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.WEBHOOK_HOST, settings.WEBHOOK_PORT).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        logger.info(
            "Mini App served on %s:%s (public address %s)",
            settings.WEBHOOK_HOST,
            settings.WEBHOOK_PORT,
            settings.WEBAPP_URL,
        )

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


async def run_webhook(
    settings: Settings,
    dispatcher: Dispatcher,
    bot: Bot,
    health: Health,
    *,
    add_routes: AddRoutes | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve the webhook until SIGTERM/SIGINT (or ``stop``), then shut down gracefully."""
    # Listen for the signals before the (possibly slow) start-up, so a stop requested while
    # starting is a clean exit rather than death by SIGTERM.
    stop = stop or stop_on_signals()
    assert settings.WEBHOOK_URL is not None
    secret = (
        settings.WEBHOOK_SECRET.get_secret_value()
        if settings.WEBHOOK_SECRET is not None
        # Telegram is told the secret at every start, so a fresh one per run is enough.
        else secrets.token_urlsafe(32)
    )
    app = build_webhook_app(
        dispatcher,
        bot,
        health,
        secret=secret,
        path=webhook_path(settings.WEBHOOK_URL),
        add_routes=add_routes,
    )
    # The dispatcher's shutdown already gave the updates in flight their grace period, so
    # aiohttp's own wait for unfinished requests (60 s by default, and spent twice: before
    # and after it cancels them) only has to let finished ones write their answer.
    runner = web.AppRunner(
        app, handle_signals=False, access_log=None, shutdown_timeout=REQUESTS_SHUTDOWN_SECONDS
    )
    await runner.setup()  # runs the dispatcher's start-up
    try:
        if stop.is_set():
            logger.info("Stop requested during start-up")
            return
        site = web.TCPSite(runner, settings.WEBHOOK_HOST, settings.WEBHOOK_PORT)
        await site.start()
        await bot.set_webhook(
            url=settings.WEBHOOK_URL,
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        logger.info("Webhook set; listening on %s:%s", settings.WEBHOOK_HOST, settings.WEBHOOK_PORT)
        await stop.wait()
        logger.info("Stopping: finishing the updates in flight")
    finally:
        await runner.cleanup()  # stops listening, then the dispatcher's shutdown
