"""The whole storefront against a fake Telegram server and a fake panel, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import Services, build_dispatcher, build_services
from bot.config import Settings
from bot.i18n import Translations
from bot.money import Money
from bot.upstream.client import HttpPanelClient
from storage.database import Database
from storage.ledger import EntryKind
from storage.repository import Repository
from tests.fakes.harness import make_bot, running_bot
from tests.fakes.panel import FakePanel
from tests.fakes.telegram import TEST_TOKEN, FakeTelegramServer

ADMIN = 900_000_001
ALICE = 100_000_001
BOB = 100_000_002


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
    services: Services | None = None
    repo: Repository | None = None
    _stack: list[object] = field(default_factory=list)

    @property
    def r(self) -> Repository:
        assert self.repo is not None, "the bot is not running"
        return self.repo

    async def credit(self, user_id: int, amount: str) -> None:
        await self.r.ledger.post(user_id, EntryKind.ADMIN_CREDIT, Money.parse(amount))

    async def balance(self, user_id: int) -> Money:
        return await self.r.ledger.balance(user_id)

    async def start_user(self, user_id: int, language: str = "en") -> None:
        await self.telegram.send_message(user_id, "/start", language_code=language)
        await self.telegram.wait_for_message(user_id, contains="/start" if False else None)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Storefront]:
        database = await Database.open(self.database_path)
        panel_client = HttpPanelClient(
            self.panel.url, self.panel.api_key, connect_retries=0, retry_backoff=0.01
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
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def storefront(tmp_path: Path) -> AsyncIterator[Storefront]:
    errors = ErrorLogCollector()
    logging.getLogger().addHandler(errors)
    try:
        async with FakePanel() as panel, FakeTelegramServer() as telegram:
            database_path = tmp_path / "storefront.sqlite3"
            settings = make_settings(panel, database_path)
            front = Storefront(
                telegram=telegram,
                panel=panel,
                database_path=database_path,
                settings=settings,
                translations=Translations(settings.DEFAULT_LANGUAGE),
                errors=errors,
            )
            async with front.running():
                yield front
    finally:
        logging.getLogger().removeHandler(errors)
    unexpected = [record for record in errors.records if record.name.startswith(("handlers", "bot", "aiogram"))]
    assert not unexpected, f"the bot logged errors: {[r.getMessage() for r in unexpected]}"
