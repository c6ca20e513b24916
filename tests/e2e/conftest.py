"""The whole storefront against a fake Telegram and a fake panel (over real HTTP).

The ``storefront`` fixture starts the bot; a marker changes how it is built, e.g.
``@pytest.mark.storefront(panel_read_timeout=0.3, settings={"THROTTLE_BURST": 3})``. Markers
on a module and on a test add up (the test's options win).

Two lanes, the same tests and test user on both:

- ``http`` (the default): the real Dispatcher polls a FakeTelegramServer over HTTP.
- ``in_process`` (``storefront(lane="in_process")``): updates go to ``Dispatcher.feed_update``
  and the Bot's requests to the same fake in process (:mod:`bot.testing.in_process`), for
  texts and screens. A test runs on both with
  ``@pytest.mark.parametrize("storefront", LANES, indirect=True)``; ``E2E_LANE=http`` (or
  ``in_process``) runs every storefront test on that lane.

A test restarts the bot on the same database with ``await storefront.stop()`` followed by
``async with storefront.running(): ...``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bot.app import Services, build_dispatcher, build_services
from bot.config import Settings
from bot.core.money import Money
from bot.telegram.i18n import Translations
from bot.testing.harness import make_bot, running_bot
from bot.testing.in_process import make_in_process_bot, running_in_process
from bot.testing.panel import FakePanel
from bot.testing.telegram import TEST_TOKEN, FakeTelegram, FakeTelegramServer
from bot.testing.user import ChatUser, shared_translations
from bot.upstream import PanelAPI
from bot.upstream.client import DEFAULT_TIMEOUT, HttpPanelClient
from bot.upstream.panels import Panel, Panels
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository
from tests.databases import database_target

ADMIN = 900_000_001
LANES = ["http", "in_process"]
ALICE = 100_000_001
BOB = 100_000_002


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "storefront(panel_read_timeout=None, settings={}, extra_panels=()): options for the e2e"
        " storefront fixture (extra_panels: names of more fake panels, see SMM_EXTRA_PANELS)",
    )


class ErrorLogCollector(logging.Handler):
    """Errors the bot logged (its error router swallows exceptions after logging them)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Storefront:
    """A running bot plus handles on everything around it."""

    telegram: FakeTelegram  # a FakeTelegramServer on the http lane
    panel: FakePanel
    database_path: Path
    settings: Settings
    translations: Translations
    errors: ErrorLogCollector
    panel_timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    lane: str = "http"
    # More panels beside the main one, by name (SMM_EXTRA_PANELS names the same ones).
    extra_panels: dict[str, FakePanel] = field(default_factory=dict)
    services: Services | None = None
    repo: Repository | None = None
    _run: AsyncExitStack | None = field(default=None, repr=False)

    @property
    def r(self) -> Repository:
        assert self.repo is not None, "the bot is not running"
        return self.repo

    def user(
        self, user_id: int, *, language: str = "en", first_name: str | None = None
    ) -> ChatUser:
        """Someone writing to this bot, expecting to be spoken to in ``language``."""
        return ChatUser(
            self.telegram,
            user_id,
            language=language,
            first_name=first_name,
            translations=self.translations,
        )

    async def credit(self, user_id: int, amount: str) -> None:
        await self.r.ledger.post(user_id, EntryKind.ADMIN_CREDIT, Money.parse(amount))

    async def balance(self, user_id: int) -> Money:
        return await self.r.ledger.balance(user_id)

    async def start_user(self, user_id: int, language: str = "en", first_name: str = "") -> None:
        """/start, waiting for the welcome (the user exists in the database afterwards)."""
        await self.user(user_id, language=language, first_name=first_name or None).start()

    async def start(self) -> None:
        """Start the bot in the background (the fixture does this once)."""
        assert self._run is None, "the bot is already running"
        stack = AsyncExitStack()
        await stack.enter_async_context(self.running())
        self._run = stack

    async def stop(self) -> None:
        """Stop the bot started by :meth:`start`, as a restart would."""
        if self._run is not None:
            run, self._run = self._run, None
            await run.aclose()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Storefront]:
        database = await Database.open(self.settings.database_target)
        # The fake panel speaks plain HTTP: skipping the CA bundle saves a tenth of a second of
        # every start-up and changes nothing else about the client.
        http = httpx.AsyncClient(verify=False)
        clients = {
            name: HttpPanelClient(
                panel.url,
                panel.api_key,
                http_client=http,
                timeout=self.panel_timeout,
                connect_retries=0,
                retry_backoff=0.01,
            )
            for name, panel in {
                self.settings.SMM_PANEL_NAME: self.panel,
                **self.extra_panels,
            }.items()
        }
        panel_client: PanelAPI | Panels = clients[self.settings.SMM_PANEL_NAME]
        if self.extra_panels:
            panel_client = Panels([Panel(name, client) for name, client in clients.items()])
        in_process = self.lane == "in_process"
        if in_process:
            bot = make_in_process_bot(self.telegram)
        else:
            assert isinstance(self.telegram, FakeTelegramServer)
            bot = make_bot(self.telegram)
        try:
            self.repo = Repository(database)
            self.services = build_services(
                self.settings, self.repo, panel_client, bot, self.translations
            )
            dispatcher = build_dispatcher(self.services)
            lane = running_in_process if in_process else running_bot
            async with lane(dispatcher, bot):
                yield self
        finally:
            await panel_client.aclose()
            await http.aclose()
            await database.close()
            self.repo = None
            self.services = None


@asynccontextmanager
async def running_server(telegram: FakeTelegram) -> AsyncIterator[None]:
    """Serve ``telegram`` over HTTP for the block, if it is a server (the in-process one is not)."""
    if isinstance(telegram, FakeTelegramServer):
        async with telegram:
            yield
    else:
        yield


def make_settings(panel: FakePanel, database_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "BOT_TOKEN": TEST_TOKEN,
        "SMM_API_URL": panel.url,
        "SMM_API_KEY": panel.api_key,
        "ADMIN_IDS": str(ADMIN),
        "DATABASE_PATH": database_path,
        "PRICE_MARKUP_PERCENT": Decimal("20"),
        # A test acts faster than any person: walking a few orders in a row would be throttled.
        # A test of throttling sets its own limits through the storefront marker.
        "THROTTLE_BURST": 10_000,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def on_postgres(request: pytest.FixtureRequest) -> bool:
    """A test marked ``postgres``, or every test with ``E2E_DATABASE=postgres``."""
    return (
        request.node.get_closest_marker("postgres") is not None
        or os.environ.get("E2E_DATABASE") == "postgres"
    )


@pytest.fixture
async def storefront(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Storefront]:
    options: dict[str, object] = {}
    for marker in reversed(list(request.node.iter_markers("storefront"))):  # closest last
        options.update(marker.kwargs)
    lane = str(
        os.environ.get("E2E_LANE") or getattr(request, "param", None) or options.pop("lane", "http")
    )
    options.pop("lane", None)
    assert lane in LANES, f"unknown lane {lane!r}"
    read_timeout = options.pop("panel_read_timeout", None)
    extra_names = tuple(options.pop("extra_panels", ()))  # type: ignore[call-overload]
    setting_overrides = dict(options.pop("settings", {}))  # type: ignore[call-overload]
    assert not options, f"unknown storefront options: {sorted(options)}"
    panel_timeout = (
        DEFAULT_TIMEOUT
        if read_timeout is None
        else httpx.Timeout(connect=1.0, read=float(read_timeout), write=1.0, pool=1.0)
    )
    errors = ErrorLogCollector()
    logging.getLogger().addHandler(errors)
    try:
        telegram = FakeTelegram() if lane == "in_process" else FakeTelegramServer()
        engine = "postgres" if on_postgres(request) else "sqlite"
        async with (
            AsyncExitStack() as panels_stack,
            FakePanel() as panel,
            running_server(telegram),
            database_target(engine, tmp_path) as target,
        ):
            extra = {
                name: await panels_stack.enter_async_context(FakePanel()) for name in extra_names
            }
            if extra:
                setting_overrides.setdefault(
                    "SMM_EXTRA_PANELS",
                    json.dumps(
                        [{"name": n, "url": p.url, "key": p.api_key} for n, p in extra.items()]
                    ),
                )
            database_path = tmp_path / "storefront.sqlite3"
            if isinstance(target, str):  # PostgreSQL: the URL wins over the (unused) file
                setting_overrides.setdefault("DATABASE_URL", target)
            settings = make_settings(panel, database_path, **setting_overrides)
            front = Storefront(
                telegram=telegram,
                panel=panel,
                database_path=database_path,
                settings=settings,
                translations=shared_translations(settings.DEFAULT_LANGUAGE),
                errors=errors,
                panel_timeout=panel_timeout,
                lane=lane,
                extra_panels=extra,
            )
            await front.start()
            try:
                yield front
            finally:
                await front.stop()
            # Every handler has finished: a button press still unanswered was never answered.
            unanswered = telegram.unanswered_callback_queries
            assert not unanswered, f"callback queries left unanswered: {sorted(unanswered)}"
    finally:
        logging.getLogger().removeHandler(errors)
    unexpected = [
        record
        for record in errors.records
        if record.name.startswith(("handlers", "bot", "aiogram", "storage"))
    ]
    assert not unexpected, f"the bot logged errors: {[r.getMessage() for r in unexpected]}"
