"""Wiring: every resource is opened here at start-up and closed here at shutdown.

Read top to bottom: :func:`run` opens the database, the panel client and the bot, builds the
dispatcher with :func:`build_dispatcher`, and polls until stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, MenuButtonWebApp, WebAppInfo
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiohttp import web
from httpx import Timeout

import handlers
from bot.config import PanelSettings, Settings
from bot.core.money import Money
from bot.dependencies import Services
from bot.runtime.leadership import lead_when_elected, try_to_lead
from bot.runtime.observability import HandlerName, UpdateLog
from bot.runtime.redis_link import CONNECTION_OPTIONS, check_redis, redis_client
from bot.runtime.redis_throttle import RedisThrottle
from bot.runtime.session import KeepResponseModels, SendBudgetMiddleware
from bot.runtime.shared_budget import SharedSendBudget
from bot.runtime.signals import stop_on_signals
from bot.runtime.tasks import BackgroundTasks
from bot.runtime.telegram_link import wait_for_telegram
from bot.runtime.webhook import AddRoutes, Health, WebServer, run_webhook
from bot.services.catalog import CatalogService, Pricing
from bot.services.mass_order import MassOrders
from bot.services.ordering import OrderingService
from bot.services.panel_watch import CHECK_SECONDS as PANEL_CHECK_SECONDS
from bot.services.panel_watch import PanelBalanceWatch
from bot.services.payments import Rails, StarsTopups, TopupCrediting, TopupLimits
from bot.services.payments.cryptopay import CryptoPayClient, CryptoPayRail
from bot.services.payments.manual import EXPIRY_CHECK_SECONDS, ManualTopups
from bot.services.promotions import Promotions
from bot.services.quoting import QuoteBook
from bot.services.referrals import ReferralProgram
from bot.services.retention import PRUNE_INTERVAL_SECONDS, Retention
from bot.services.search import CatalogSearch
from bot.services.tracking.status_sync import StatusSync
from bot.services.tracking.tracker import OrderTracker
from bot.telegram.admin_alerts import AdminAlerts
from bot.telegram.broadcast_runner import BroadcastRunner
from bot.telegram.i18n import Translations
from bot.telegram.messenger import Messenger
from bot.telegram.middlewares import AnswersFirst, UserContextMiddleware
from bot.telegram.outbox_sender import OutboxSender
from bot.telegram.pacing import PAID_BROADCAST_MESSAGES_PER_SECOND, Budget, SendBudget
from bot.telegram.throttling import Throttle, ThrottlingMiddleware
from bot.upstream import PanelAPI, UpstreamError
from bot.upstream.client import DEFAULT_TIMEOUT, HttpPanelClient
from bot.upstream.panels import Panel, Panels
from bot.upstream.sandbox import SandboxPanel
from bot.web import setup_web
from bot.web.payment_webhooks import add_cryptopay_webhook
from storage.database import Database, describe_target
from storage.fsm import DatabaseStorage
from storage.repository import Repository

logger = logging.getLogger(__name__)

# Commands shown in Telegram's menu, with the message id of their description.
BOT_COMMANDS = (
    ("start", "command-start"),
    ("order", "command-order"),
    ("orders", "command-orders"),
    ("balance", "command-balance"),
    ("topup", "command-topup"),
    ("language", "command-language"),
    ("help", "command-help"),
    ("cancel", "command-cancel"),
    ("paysupport", "command-paysupport"),
    ("search", "command-search"),
    ("promo", "command-promo"),
    ("invite", "command-invite"),
    ("mass", "command-mass"),
)


def create_panel(settings: Settings) -> PanelAPI:
    """The main panel's client (SMM_API_URL / SMM_API_KEY)."""
    return _panel_client(settings, settings.panels[0], main=True)


def create_panels(settings: Settings) -> Panels:
    """Every panel's own client, the main panel first."""
    return Panels(
        [
            Panel(panel.name, _panel_client(settings, panel, main=index == 0))
            for index, panel in enumerate(settings.panels)
        ]
    )


def _panel_client(settings: Settings, panel: PanelSettings, *, main: bool) -> PanelAPI:
    if panel.is_demo:
        logger.info("Panel %s is the built-in demo panel: no real orders are made", panel.name)
        # Each demo panel keeps its own orders; the main one keeps the file it always had.
        state = "demo-panel.json" if main else f"demo-panel-{panel.name}.json"
        return SandboxPanel(state_path=settings.DATABASE_PATH.parent / state)
    key = panel.key.get_secret_value() if panel.key else ""
    concurrency = panel.concurrency or settings.PANEL_CONCURRENCY
    if main:
        return HttpPanelClient(panel.url, key.strip(), max_concurrency=concurrency)
    read = float(panel.timeout)
    timeout = Timeout(
        connect=DEFAULT_TIMEOUT.connect, read=read, write=DEFAULT_TIMEOUT.write, pool=read
    )
    return HttpPanelClient(panel.url, key.strip(), timeout=timeout, max_concurrency=concurrency)


def create_bot(settings: Settings) -> Bot:
    session = None
    if settings.TELEGRAM_API_URL:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.TELEGRAM_API_URL))
    bot = Bot(
        token=settings.BOT_TOKEN.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    bot.session.middleware(KeepResponseModels())
    return bot


DEFAULT_CURRENCY = "USD"
# How long shutdown waits for updates in flight and background work to reach a safe point.
SHUTDOWN_GRACE_SECONDS = 5.0
# Several workers (DATABASE_URL): how often each reloads the markups, and how often the leader
# looks for orders a dead worker left ``placing``.
PRICING_RELOAD_SECONDS = 5.0
PLACEMENT_CHECK_SECONDS = 10.0
BROADCAST_PICKUP_SECONDS = 2.0


async def detect_currency(panel: PanelAPI) -> str:
    """The panel's own currency, used when SHOP_CURRENCY is not set."""
    try:
        balance = await panel.balance()
    except UpstreamError as error:
        logger.warning(
            "Could not read the panel's currency (%r); using %s", error, DEFAULT_CURRENCY
        )
        return DEFAULT_CURRENCY
    return (balance.currency or DEFAULT_CURRENCY).upper()


def build_services(
    settings: Settings,
    repo: Repository,
    panel: PanelAPI | Panels,
    bot: Bot,
    translations: Translations | None = None,
    currency: str | None = None,
) -> Services:
    """Wire every service; ``panel`` is the registry, or one client (a shop of one panel)."""
    panels = panel if isinstance(panel, Panels) else Panels.single(settings.SMM_PANEL_NAME, panel)
    translations = translations or Translations(settings.DEFAULT_LANGUAGE)
    currency = currency or settings.SHOP_CURRENCY or DEFAULT_CURRENCY
    panels.use_currency(currency)
    translations.use_currency(
        currency, settings.mini_app_url, invites=settings.REFERRAL_PERCENT > 0
    )
    panel = panels.main.api
    messenger = Messenger(bot, repo, translations, settings.ADMIN_IDS)
    admin_alerts = AdminAlerts(messenger)
    tracker = OrderTracker(repo, panels)
    pricing = Pricing(settings.PRICE_MARKUP_PERCENT)
    ordering = OrderingService(repo, panels, admin_alerts.placement)
    tasks = BackgroundTasks()
    # One budget under Telegram's limit for every message to a chat, answers first; with
    # REDIS_URL one for every worker of the bot. (Paid broadcasts run on the leader alone.)
    send_budget: Budget
    if settings.REDIS_URL is not None:
        send_budget = SharedSendBudget(
            redis_client(settings.REDIS_URL.get_secret_value()),
            bot.id,
            lease=bot.session.timeout + 1.0,
        )
    else:
        send_budget = SendBudget()
    paid_budget = (
        SendBudget(PAID_BROADCAST_MESSAGES_PER_SECOND, reserve=0)
        if settings.BROADCAST_PAID
        else None
    )
    bot.session.middleware(SendBudgetMiddleware(send_budget, paid_budget))
    outbox = OutboxSender(bot, repo, translations)
    referrals = ReferralProgram(repo, settings.REFERRAL_PERCENT)
    stars, rails, cryptopay, manual = build_rails(settings, repo, currency, outbox, referrals)
    return Services(
        settings=settings,
        repo=repo,
        panel=panel,
        panels=panels,
        translations=translations,
        messenger=messenger,
        pricing=pricing,
        catalog=CatalogService(repo, panels),
        ordering=ordering,
        tracker=tracker,
        status_sync=StatusSync(
            repo,
            panels,
            tracker,
            # As many workers as the busiest panel takes calls: each panel's client holds its
            # own limit, so a worker more than that would only wait.
            concurrency=max(8, *(panel.concurrency or 1 for panel in settings.panels)),
            on_notifications=outbox.wake,
            alert=admin_alerts.placement,
            missing_grace=timedelta(hours=settings.UNKNOWN_ORDER_GRACE_HOURS),
        ),
        retention=Retention(repo, days=settings.RETENTION_DAYS),
        outbox=outbox,
        broadcast_runner=BroadcastRunner(
            bot, repo, translations, tasks=tasks, paid=settings.BROADCAST_PAID
        ),
        panel_watch=PanelBalanceWatch(
            repo, panels, admin_alerts.low_panel_balance, settings.PANEL_BALANCE_ALERT
        ),
        topups=stars,
        rails=rails,
        cryptopay=cryptopay,
        manual_topups=manual,
        quotes=QuoteBook(repo, ordering, pricing),
        topup_presets=[Money.from_decimal(amount) for amount in settings.TOPUP_PRESETS],
        support_contact=settings.SUPPORT_CONTACT,
        referrals=referrals,
        promotions=Promotions(repo),
        catalog_search=CatalogSearch(repo),
        mass_orders=MassOrders(repo, pricing, ordering),
        update_log=UpdateLog(),
        throttle=create_throttle(settings),
        send_budget=send_budget,
        tasks=tasks,
    )


def create_throttle(settings: Settings) -> Throttle:
    """Per process, or shared by every worker through Redis when REDIS_URL is set."""
    limits: dict[str, Any] = {
        "rate": float(settings.THROTTLE_RATE),
        "burst": settings.THROTTLE_BURST,
    }
    if settings.REDIS_URL is not None:
        return RedisThrottle.from_url(settings.REDIS_URL.get_secret_value(), **limits)
    return Throttle(**limits)


def create_fsm_storage(services: Services) -> BaseStorage:
    """FSM state in the database (read afresh on PostgreSQL), or in Redis with REDIS_URL."""
    if services.settings.REDIS_URL is not None:
        return RedisStorage.from_url(
            services.settings.REDIS_URL.get_secret_value(), connection_kwargs=CONNECTION_OPTIONS
        )
    return DatabaseStorage(services.repo.database)


def build_rails(
    settings: Settings,
    repo: Repository,
    currency: str,
    outbox: OutboxSender,
    referrals: ReferralProgram | None = None,
) -> tuple[StarsTopups, Rails, CryptoPayRail | None, ManualTopups]:
    """The payment rails the settings enable (Stars always), sharing one crediting path.

    The manual rail's service always exists, so requests made while it was enabled can still
    be decided after MANUAL_TOPUP_TEXT is cleared; customers see it only while it is set.
    """
    limits = TopupLimits(
        minimum=Money.from_decimal(settings.TOPUP_MIN),
        maximum=Money.from_decimal(settings.TOPUP_MAX),
        presets=tuple(Money.from_decimal(amount) for amount in settings.TOPUP_PRESETS),
    )
    crediting = TopupCrediting(repo, currency, on_queued=outbox.wake, referrals=referrals)
    stars = StarsTopups(
        repo,
        stars_per_unit=settings.STARS_PER_UNIT,
        minimum=settings.TOPUP_MIN,
        maximum=settings.TOPUP_MAX,
        crediting=crediting,
    )
    cryptopay = None
    if settings.CRYPTOPAY_TOKEN is not None:
        token = settings.CRYPTOPAY_TOKEN.get_secret_value()
        cryptopay = CryptoPayRail(
            repo,
            CryptoPayClient(settings.CRYPTOPAY_API_URL, token),
            crediting,
            limits,
            token=token,
            currency=currency,
            assets=settings.CRYPTOPAY_ASSETS,
            poll_seconds=settings.CRYPTOPAY_POLL_SECONDS,
            expiry_minutes=settings.TOPUP_EXPIRY_MINUTES,
        )
    manual = ManualTopups(
        repo,
        crediting,
        limits,
        instructions=settings.MANUAL_TOPUP_TEXT,
        currency=currency,
        expiry_minutes=settings.TOPUP_EXPIRY_MINUTES,
    )
    enabled = [
        rail
        for rail in (stars, cryptopay, manual if settings.MANUAL_TOPUP_TEXT else None)
        if rail is not None
    ]
    return stars, Rails(limits, enabled), cryptopay, manual


def build_dispatcher(services: Services) -> Dispatcher:
    dispatcher = Dispatcher(storage=create_fsm_storage(services), **services.workflow_data())
    # Outer, in this order: time and log the update, resolve the user, then throttle floods.
    dispatcher.update.outer_middleware(services.update_log)
    dispatcher.update.outer_middleware(AnswersFirst())
    dispatcher.update.outer_middleware(
        UserContextMiddleware(services.repo, services.translations, services.settings)
    )
    dispatcher.update.outer_middleware(ThrottlingMiddleware(services.throttle))
    handler_name = HandlerName()
    for observer in (
        dispatcher.message,
        dispatcher.callback_query,
        dispatcher.pre_checkout_query,
        dispatcher.edited_message,
        dispatcher.inline_query,
    ):
        observer.middleware(handler_name)
    dispatcher.callback_query.middleware(CallbackAnswerMiddleware())
    dispatcher.include_routers(*handlers.create_routers())

    # In webhook mode the webhook's server serves the Mini App too.
    settings = services.settings
    web_server = (
        WebServer(settings, Health(services.repo.database, services.panels), web_routes(services))
        if settings.WEBAPP_URL and not settings.WEBHOOK_URL
        else None
    )

    async def on_startup(bot: Bot) -> None:
        await startup(services, bot)
        if web_server is not None:
            await web_server.start()

    async def on_shutdown() -> None:
        if web_server is not None:
            await web_server.stop()
        await shutdown(services)
        await dispatcher.storage.close()
        if isinstance(services.throttle, RedisThrottle):
            await services.throttle.aclose()

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
    return dispatcher


def web_routes(services: Services) -> AddRoutes:
    """The Mini App and its API, for whichever server is listening."""
    return lambda app: setup_web(app, services)


def webhook_routes(services: Services) -> AddRoutes | None:
    """What the webhook server serves besides Telegram's updates and /healthz."""
    adders: list[AddRoutes] = []
    if services.settings.WEBAPP_URL:
        adders.append(web_routes(services))
    cryptopay = services.cryptopay
    if cryptopay is not None:
        adders.append(lambda app: add_cryptopay_webhook(app, cryptopay))
    if not adders:
        return None

    def add_routes(app: web.Application) -> None:
        for add in adders:
            add(app)

    return add_routes


async def shutdown(services: Services) -> None:
    """Stop at a safe point: let updates in flight finish while background work stops."""

    async def updates_in_flight() -> None:
        if not await services.update_log.wait_idle(SHUTDOWN_GRACE_SECONDS):
            logger.warning("%d update(s) still running at shutdown", services.update_log.in_flight)

    # Side by side, so a panel that hangs both costs one grace period, not two: a service
    # manager's stop timeout (10 s in Docker) must not run out first.
    await asyncio.gather(updates_in_flight(), services.tasks.stop())
    await services.send_budget.aclose()  # nothing sends any more (a shared one: its Redis)
    if services.cryptopay is not None:
        await services.cryptopay.aclose()


async def startup(services: Services, bot: Bot) -> None:
    """Everything that must happen before the first update is handled."""
    await set_commands(bot, services.translations)
    if services.settings.mini_app_url:
        await set_menu_button(bot, services.translations, services.settings.mini_app_url)
    await services.pricing.load(services.repo)
    # Rows from before several panels belong to the main panel, under its configured name.
    main = services.panels.main.name
    await services.repo.catalog.adopt_legacy(main)
    await services.repo.orders.adopt_legacy(main)
    await refresh_catalog(services.catalog)
    database = services.repo.database
    if not database.shared:
        await start_background_work(services)
        return
    # Several workers on one database: each keeps its prices current (an admin's /markup may
    # reach another worker) and one of them, the leader, runs the background work.
    tasks = services.tasks
    tasks.periodic(
        "pricing-reload",
        PRICING_RELOAD_SECONDS,
        lambda: services.pricing.load(services.repo),
        wait_first=True,
    )
    services.broadcast_runner.delivers_here = False  # until this worker leads
    lock = database.leader_lock()
    tasks.after_stop(lock.release)
    # A worker that gets the lock at once starts the work before its first update, as a
    # single process does; the others stand by in the background.
    elected = await try_to_lead(lock)
    if elected:
        await start_background_work(services)
    tasks.start(
        "leadership",
        lead_when_elected(
            lock, lambda: start_background_work(services), tasks.stopping, elected=elected
        ),
    )


async def start_background_work(services: Services) -> None:
    """What one process (the only one, or the leader of several) runs in the background."""
    tasks = services.tasks
    await recover_interrupted(services)
    if services.repo.database.shared:
        # Any worker may die while placing an order: looked at again and again.
        tasks.periodic(
            "interrupted-placements",
            PLACEMENT_CHECK_SECONDS,
            lambda: recover_interrupted(services),
            wait_first=True,
        )
    tasks.periodic(
        "catalog-refresh",
        services.settings.CATALOG_REFRESH_MINUTES * 60,
        lambda: refresh_catalog(services.catalog),
        wait_first=True,  # refreshed just above
    )
    tasks.periodic(
        "status-sync", services.settings.STATUS_POLL_SECONDS, services.status_sync.run_round
    )
    tasks.periodic("retention", PRUNE_INTERVAL_SECONDS, services.retention.prune)
    # Messages queued before a crash or restart go out first thing.
    tasks.start("outbox", services.outbox.run(tasks.stopping))
    services.broadcast_runner.delivers_here = True
    await services.broadcast_runner.resume()
    if services.repo.database.shared:
        # A broadcast an admin started on another worker is delivered from here.
        tasks.periodic(
            "broadcast-pickup",
            BROADCAST_PICKUP_SECONDS,
            services.broadcast_runner.resume,
            wait_first=True,
        )
    for rail in services.rails:
        if rail.poll_seconds is not None:
            # Outcomes nobody reports to us by themselves (and a webhook may never arrive).
            tasks.periodic(f"{rail.name}-poll", rail.poll_seconds, rail.poll)
    manual = services.manual_topups
    if services.rails.get(manual.name) is None:
        # Requests made while manual transfers were on still expire once they are off.
        tasks.periodic(f"{manual.name}-poll", EXPIRY_CHECK_SECONDS, manual.poll)
    if services.cryptopay is not None:
        # In the background: a slow or unreachable Crypto Pay must not hold up the start.
        tasks.start("cryptopay-check", services.cryptopay.check_token())
    if services.panel_watch.threshold is not None:
        tasks.periodic("panel-balance", PANEL_CHECK_SECONDS, check_panel_balance(services))


async def recover_interrupted(services: Services) -> None:
    recovered = await services.ordering.recover_interrupted()
    if recovered:
        logger.warning("%d order(s) were interrupted while being placed", len(recovered))


def check_panel_balance(services: Services) -> Callable[[], Awaitable[None]]:
    async def check() -> None:
        try:
            await services.panel_watch.check()
        except UpstreamError as error:
            logger.warning("Panel balance check failed: %r", error)

    return check


async def refresh_catalog(catalog: CatalogService) -> None:
    """A failed refresh keeps the cached catalog; the next round tries again."""
    try:
        await catalog.refresh()
    except UpstreamError as error:
        logger.warning("Catalog refresh failed, keeping the cached catalog: %r", error)


async def set_commands(bot: Bot, translations: Translations) -> None:
    try:
        for translator in translations.all():
            commands = [
                BotCommand(command=name, description=translator(description_id))
                for name, description_id in BOT_COMMANDS
            ]
            await bot.set_my_commands(commands, language_code=translator.language)
            if translator.language == translations.default_language:
                await bot.set_my_commands(commands)
    except TelegramAPIError as error:
        logger.warning("Could not register the bot commands: %s", error.message)


async def set_menu_button(bot: Bot, translations: Translations, url: str) -> None:
    """The chat's menu button opens the Mini App (for every chat without one of its own)."""
    translator = translations.get(translations.default_language)
    text = translator("webapp-menu-button")
    try:
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url))
        )
    except TelegramAPIError as error:
        logger.warning("Could not set the chat menu button to the Mini App: %s", error.message)


async def run(settings: Settings) -> None:
    """Open everything, poll Telegram until stopped, close everything."""
    # From the first moment: a SIGTERM/SIGINT during start-up stops the bot cleanly once the
    # start-up step under way is done (otherwise SIGTERM would kill it on the spot).
    stop = stop_on_signals()
    # A Redis or database that cannot be reached stops the bot with one line (bot.__main__).
    if settings.REDIS_URL is not None:
        await check_redis(settings.REDIS_URL.get_secret_value())
    database = await Database.open(settings.database_target)
    where = describe_target(settings.database_target)
    panels = create_panels(settings)
    panel = panels.main.api
    bot = create_bot(settings)
    try:
        if not await wait_for_telegram(bot, stop):
            logger.info("Stop requested while waiting for Telegram")
            return
        currency = settings.SHOP_CURRENCY or await detect_currency(panel)
        panels.use_currency(currency)
        if panels.several:
            await panels.detect_currencies()
        services = build_services(settings, Repository(database), panels, bot, currency=currency)
        dispatcher = build_dispatcher(services)
        if settings.WEBHOOK_URL:
            logger.info("Storefront starting with a webhook (database %s)", where)
            await run_webhook(
                settings,
                dispatcher,
                bot,
                Health(database, panels),
                add_routes=webhook_routes(services),
                stop=stop,
            )
        else:
            logger.info("Storefront starting with polling (database %s)", where)
            # A webhook left from an earlier run would make getUpdates fail; its pending
            # updates are kept and polled.
            await bot.delete_webhook(drop_pending_updates=False)
            if stop.is_set():
                logger.info("Stop requested during start-up")
                return
            # start_polling takes the signals over from here (no await in between, so none
            # is missed) and runs the dispatcher's shutdown when one arrives.
            await dispatcher.start_polling(bot, close_bot_session=False)
    finally:
        await bot.session.close()
        await panels.aclose()
        await database.close()
        logger.info("Storefront stopped")
