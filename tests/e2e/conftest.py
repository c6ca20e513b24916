"""The whole storefront against a fake Telegram server and a fake panel, over real HTTP.

The ``storefront`` fixture starts the bot; a marker changes how it is built, e.g.
``@pytest.mark.storefront(panel_read_timeout=0.3, settings={"THROTTLE_BURST": 3})``.
A test restarts the bot on the same database with ``await storefront.stop()`` followed by
``async with storefront.running(): ...``.
"""

from __future__ import annotations

import logging
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
from bot.testing.panel import FakePanel
from bot.testing.telegram import TEST_TOKEN, FakeTelegramServer
from bot.testing.user import ChatUser, shared_translations
from bot.upstream.client import DEFAULT_TIMEOUT, HttpPanelClient
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository

ADMIN = 900_000_001
ALICE = 100_000_001
BOB = 100_000_002


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "storefront(panel_read_timeout=None, settings={}): options for the e2e storefront fixture",
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

    telegram: FakeTelegramServer
    panel: FakePanel
    database_path: Path
    settings: Settings
    translations: Translations
    errors: ErrorLogCollector
    panel_timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
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
        await self.telegram.send_message(
            user_id, "/start", language_code=language, first_name=first_name or None
        )
        i18n = self.translations.get(self.translations.resolve_language(language))
        await self.telegram.wait_for_message(user_id, contains=i18n("menu-new-order"))

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
        database = await Database.open(self.database_path)
        # The fake panel speaks plain HTTP: skipping the CA bundle saves a tenth of a second of
        # every start-up and changes nothing else about the client.
        http = httpx.AsyncClient(verify=False)
        panel_client = HttpPanelClient(
            self.panel.url,
            self.panel.api_key,
            http_client=http,
            timeout=self.panel_timeout,
            connect_retries=0,
            retry_backoff=0.01,
        )
        bot = make_bot(self.telegram)
        try:
            self.repo = Repository(database)
            self.services = build_services(
                self.settings, self.repo, panel_client, bot, self.translations
            )
            dispatcher = build_dispatcher(self.services)
            async with running_bot(dispatcher, bot):
                yield self
        finally:
            await panel_client.aclose()
            await http.aclose()
            await database.close()
            self.repo = None
            self.services = None


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


@pytest.fixture
async def storefront(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Storefront]:
    marker = request.node.get_closest_marker("storefront")
    options = dict(marker.kwargs) if marker is not None else {}
    read_timeout = options.pop("panel_read_timeout", None)
    setting_overrides = dict(options.pop("settings", {}))
    assert not options, f"unknown storefront options: {sorted(options)}"
    panel_timeout = (
        DEFAULT_TIMEOUT
        if read_timeout is None
        else httpx.Timeout(connect=1.0, read=read_timeout, write=1.0, pool=1.0)
    )
    errors = ErrorLogCollector()
    logging.getLogger().addHandler(errors)
    try:
        async with FakePanel() as panel, FakeTelegramServer() as telegram:
            database_path = tmp_path / "storefront.sqlite3"
            settings = make_settings(panel, database_path, **setting_overrides)
            front = Storefront(
                telegram=telegram,
                panel=panel,
                database_path=database_path,
                settings=settings,
                translations=shared_translations(settings.DEFAULT_LANGUAGE),
                errors=errors,
                panel_timeout=panel_timeout,
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
