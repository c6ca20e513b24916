"""Settings read once at start-up from the environment and an optional ``.env`` file."""

from __future__ import annotations

import json
import logging
import re
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.stars import MAX_STARS_PER_INVOICE

DEMO_PANEL = "demo"
SUPPORTED_LANGUAGES = ("en", "ru")
_BOT_TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_PANEL_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
_PANEL_URL = re.compile(r"^https?://[^\s/]+\S*$")
_EXTRA_PANELS_SHAPE = (
    'must be a JSON list like [{"name": "backup", "url": "https://panel.example/api/v2",'
    ' "key": "..."}]'
)
MAX_EXTRA_PANELS = 20
MAX_PANEL_CONCURRENCY = 32


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message names the variable, never its value."""


class PanelSettings(BaseModel):
    """One supplier panel: the main one (SMM_API_URL/KEY) or an entry of SMM_EXTRA_PANELS."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: str  # the API URL, or "demo"
    key: SecretStr | None = None
    # Optional per panel: parallel requests (None: PANEL_CONCURRENCY), and seconds to wait
    # for an answer.
    concurrency: int | None = None
    timeout: Decimal = Decimal(30)

    @property
    def is_demo(self) -> bool:
        return self.url == DEMO_PANEL


def _panel_url(value: str) -> str | None:
    """The panel URL as stored ("demo" in any case becomes "demo"), or None if unusable."""
    value = value.strip()
    if value.lower() == DEMO_PANEL:
        return DEMO_PANEL
    return value if _PANEL_URL.match(value) else None


def _extra_panel(position: int, entry: Any) -> PanelSettings:
    """One entry of SMM_EXTRA_PANELS, or ValueError naming what is wrong (never a value)."""
    where = f"entry {position + 1}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is not an object: {_EXTRA_PANELS_SHAPE}")
    unknown = sorted(set(entry) - {"name", "url", "key", "concurrency", "timeout"})
    if unknown:
        raise ValueError(
            f"{where} has unknown fields (known: name, url, key, concurrency, timeout)"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not _PANEL_NAME.match(name.strip()):
        raise ValueError(f"{where}: name must be 1-32 characters of a-z, 0-9, _ and -")
    url = entry.get("url")
    url = _panel_url(url) if isinstance(url, str) else None
    if url is None:
        raise ValueError(f"{where} ({name.strip()}): url must be the panel's API URL or 'demo'")
    key = entry.get("key")
    if key is not None and not isinstance(key, str):
        raise ValueError(f"{where} ({name.strip()}): key must be a string")
    key = (key or "").strip()
    if url != DEMO_PANEL and not key:
        raise ValueError(f"{where} ({name.strip()}): key is required unless url is 'demo'")
    concurrency = entry.get("concurrency")
    if concurrency is not None and (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_PANEL_CONCURRENCY
    ):
        raise ValueError(
            f"{where} ({name.strip()}): concurrency must be 1 to {MAX_PANEL_CONCURRENCY}"
        )
    timeout = entry.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 1 <= timeout <= 300:
        raise ValueError(f"{where} ({name.strip()}): timeout must be 1 to 300 seconds")
    return PanelSettings(
        name=name.strip(),
        url=url,
        key=SecretStr(key) if key else None,
        concurrency=concurrency,
        timeout=Decimal(str(timeout)),
    )


class Settings(BaseSettings):
    """Every setting of the storefront. Names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=True,
        extra="ignore",
    )

    BOT_TOKEN: SecretStr
    SMM_API_URL: str
    SMM_API_KEY: SecretStr | None = None
    SMM_PANEL_NAME: str = "main"
    # Read as JSON by the validator below (NoDecode), so a mistake is one line naming it.
    SMM_EXTRA_PANELS: Annotated[tuple[PanelSettings, ...], NoDecode] = ()
    # Calls in flight per panel (status batches, catalog, orders); an entry of
    # SMM_EXTRA_PANELS with its own "concurrency" overrides it for that panel.
    PANEL_CONCURRENCY: int = Field(default=4, ge=1, le=MAX_PANEL_CONCURRENCY)
    ADMIN_IDS: Annotated[frozenset[int], NoDecode] = frozenset()
    TELEGRAM_API_URL: str | None = None
    DATABASE_PATH: Path = Path("data/storefront.sqlite3")
    # postgresql://user:password@host:port/db: PostgreSQL instead of the SQLite file, for
    # several workers on one database. A secret (its password): never logged.
    DATABASE_URL: SecretStr | None = None
    # redis://host:port/db: FSM state, throttling and the send budget shared by every worker.
    REDIS_URL: SecretStr | None = None
    PRICE_MARKUP_PERCENT: Decimal = Field(default=Decimal(0), ge=0, le=10_000)
    STATUS_POLL_SECONDS: int = Field(default=60, ge=1, le=86_400)
    UNKNOWN_ORDER_GRACE_HOURS: int = Field(default=24, ge=1, le=720)
    RETENTION_DAYS: int = Field(default=30, ge=1, le=3650)
    CATALOG_REFRESH_MINUTES: int = Field(default=30, ge=1, le=10_080)
    PANEL_BALANCE_ALERT: Decimal | None = Field(default=None, ge=0)
    SHOP_CURRENCY: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    STARS_PER_UNIT: Decimal = Field(default=Decimal(50), gt=0, le=1_000_000)
    TOPUP_MIN: Decimal = Field(default=Decimal(1), gt=0)
    # 200 × 50 Stars is Telegram's limit of 10,000 Stars per invoice.
    TOPUP_MAX: Decimal = Field(default=Decimal(200), gt=0)
    TOPUP_PRESETS: Annotated[tuple[Decimal, ...], NoDecode] = (
        Decimal(5),
        Decimal(10),
        Decimal(25),
        Decimal(50),
    )
    # Crypto Pay (@CryptoBot): the token enables the rail.
    CRYPTOPAY_TOKEN: SecretStr | None = None
    CRYPTOPAY_API_URL: str = "https://pay.crypt.bot/api"
    CRYPTOPAY_ASSETS: Annotated[tuple[str, ...], NoDecode] = (
        "USDT",
        "TON",
        "BTC",
        "ETH",
        "LTC",
        "TRX",
    )
    CRYPTOPAY_POLL_SECONDS: int = Field(default=15, ge=1, le=86_400)
    # How long a Crypto Pay invoice, and a manual transfer request without proof, stay open
    # (44,640 minutes = 31 days is Crypto Pay's longest invoice).
    TOPUP_EXPIRY_MINUTES: int = Field(default=60, ge=5, le=44_640)
    # The owner's payment instructions (card, bank, wallet): the text enables the manual rail.
    MANUAL_TOPUP_TEXT: str = ""
    SUPPORT_CONTACT: str = ""
    BROADCAST_PAID: bool = False
    # Share of every top-up an invited user pays that goes to whoever invited them; 0: off.
    REFERRAL_PERCENT: Decimal = Field(default=Decimal(5), ge=0, le=100)
    WEBHOOK_URL: str | None = None
    WEBHOOK_HOST: str = "127.0.0.1"
    WEBHOOK_PORT: int = Field(default=8080, ge=1, le=65_535)
    WEBHOOK_SECRET: SecretStr | None = None
    WEBAPP_URL: str | None = None
    THROTTLE_RATE: Decimal = Field(default=Decimal(5), gt=0, le=100_000)
    THROTTLE_BURST: int = Field(default=20, ge=1, le=100_000)
    DEFAULT_LANGUAGE: str = "en"
    LOG_LEVEL: str = "INFO"

    @field_validator("BOT_TOKEN")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _BOT_TOKEN_SHAPE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("SMM_API_URL")
    @classmethod
    def _panel_url(cls, value: str) -> str:
        url = _panel_url(value)
        if url is None:
            raise ValueError("must be the panel's API URL (https://...) or 'demo'")
        return url

    @field_validator("SMM_PANEL_NAME")
    @classmethod
    def _panel_name(cls, value: str) -> str:
        value = value.strip()
        if not _PANEL_NAME.match(value):
            raise ValueError("must be 1-32 characters of a-z, 0-9, _ and -")
        return value

    @field_validator("SMM_EXTRA_PANELS", mode="before")
    @classmethod
    def _extra_panels(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return ()
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(f"is not valid JSON: it {_EXTRA_PANELS_SHAPE}") from None
        if isinstance(value, tuple | list):
            if len(value) > MAX_EXTRA_PANELS:
                raise ValueError(f"lists at most {MAX_EXTRA_PANELS} panels")
            return tuple(
                entry if isinstance(entry, PanelSettings) else _extra_panel(position, entry)
                for position, entry in enumerate(value)
            )
        raise ValueError(_EXTRA_PANELS_SHAPE)

    @field_validator("TELEGRAM_API_URL")
    @classmethod
    def _telegram_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError("must be a base URL such as http://localhost:8081")
        return value

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError("must be the public URL Telegram calls, e.g. https://shop.example/tg")
        return value

    @field_validator("WEBAPP_URL")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        # Telegram opens Mini Apps over https only.
        if not re.match(r"^https://[^\s/?#]+[^\s?#]*$", value):
            raise ValueError("must be the public https URL of the bot's web server")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        if not re.match(r"^postgres(ql)?://[^\s/]+/[^\s/]+$", text):
            raise ValueError("must be postgresql://user:password@host:port/database")
        return SecretStr(text)

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        if not re.match(r"^rediss?://\S+$", text):
            raise ValueError("must be redis://host:port/db")
        return SecretStr(text)

    @field_validator("WEBHOOK_SECRET")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        # At least 8 characters: shorter ones are guessable, and too short to redact from logs.
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,256}", value.get_secret_value().strip()):
            raise ValueError("must be 8-256 letters, digits, _ and - characters")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("CRYPTOPAY_TOKEN")
    @classmethod
    def _cryptopay_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        # App tokens look like "12345:AAzQcZWQqQAbsfgPnOLr4FHC8Doa4L7KryC".
        if not re.fullmatch(r"\d{1,12}:[A-Za-z0-9_-]{8,128}", value.get_secret_value().strip()):
            raise ValueError("does not look like a Crypto Pay app token (digits:letters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("CRYPTOPAY_API_URL")
    @classmethod
    def _cryptopay_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError("must be a base URL such as https://pay.crypt.bot/api")
        return value

    @field_validator("CRYPTOPAY_ASSETS", mode="before")
    @classmethod
    def _cryptopay_assets(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip().upper() for part in value.split(",") if part.strip()]
            if not parts or not all(re.fullmatch(r"[A-Z0-9]{2,10}", part) for part in parts):
                raise ValueError("must be asset codes separated by commas, e.g. USDT,TON,BTC")
            return tuple(dict.fromkeys(parts))
        return value

    @field_validator("MANUAL_TOPUP_TEXT")
    @classmethod
    def _manual_text(cls, value: str) -> str:
        # A .env line cannot hold a line break: "\n" written there stands for one.
        value = value.replace("\\n", "\n").strip()
        if len(value) > 2000:
            raise ValueError("must be at most 2000 characters")
        return value

    @field_validator("ADMIN_IDS", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"\d{1,20}", part) for part in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 123,456")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("PANEL_BALANCE_ALERT", mode="before")
    @classmethod
    def _optional_amount(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("SHOP_CURRENCY", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().upper() or None
        return value

    @field_validator("TOPUP_PRESETS", mode="before")
    @classmethod
    def _presets(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not parts or not all(re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,2})?", p) for p in parts):
                raise ValueError("must be amounts separated by commas, e.g. 5,10,25,50")
            return tuple(Decimal(part) for part in parts)
        return value

    @field_validator("DEFAULT_LANGUAGE")
    @classmethod
    def _language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of: {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in _LOG_LEVELS:
            raise ValueError(f"must be one of: {', '.join(_LOG_LEVELS)}")
        return value

    @model_validator(mode="after")
    def _workers_share_the_webhook_secret(self) -> Settings:
        # Each worker tells Telegram its secret at start-up: a random one per worker would
        # make every other worker refuse the updates.
        if self.DATABASE_URL is not None and self.WEBHOOK_URL and self.WEBHOOK_SECRET is None:
            raise ValueError(
                "WEBHOOK_SECRET must be set when DATABASE_URL is (every worker checks the same one)"
            )
        return self

    @model_validator(mode="after")
    def _topup_bounds(self) -> Settings:
        if self.TOPUP_MIN > self.TOPUP_MAX:
            raise ValueError("TOPUP_MIN must not be greater than TOPUP_MAX")
        if not all(self.TOPUP_MIN <= preset <= self.TOPUP_MAX for preset in self.TOPUP_PRESETS):
            # Such a button could only ever answer "out of range" (and 0 is "Other amount").
            raise ValueError("TOPUP_PRESETS must all lie between TOPUP_MIN and TOPUP_MAX")
        stars = (self.TOPUP_MAX * self.STARS_PER_UNIT).to_integral_value(ROUND_CEILING)
        if stars > MAX_STARS_PER_INVOICE:
            # Telegram would refuse the invoice of every top-up near the maximum.
            raise ValueError(
                f"TOPUP_MAX × STARS_PER_UNIT must not exceed {MAX_STARS_PER_INVOICE} Stars,"
                " Telegram's limit for one invoice: lower TOPUP_MAX or STARS_PER_UNIT"
            )
        return self

    @model_validator(mode="after")
    def _key_unless_demo(self) -> Settings:
        key = self.SMM_API_KEY.get_secret_value().strip() if self.SMM_API_KEY else ""
        if self.SMM_API_URL != DEMO_PANEL and not key:
            raise ValueError("SMM_API_KEY is required unless SMM_API_URL is 'demo'")
        return self

    @model_validator(mode="after")
    def _panel_names_unique(self) -> Settings:
        names = [self.SMM_PANEL_NAME, *(panel.name for panel in self.SMM_EXTRA_PANELS)]
        if len(names) != len(set(names)):
            raise ValueError("SMM_EXTRA_PANELS names must be unique and differ from SMM_PANEL_NAME")
        return self

    @property
    def panels(self) -> tuple[PanelSettings, ...]:
        """Every panel, the main one first, each with its calls in flight decided."""
        key = self.SMM_API_KEY.get_secret_value().strip() if self.SMM_API_KEY else ""
        main = PanelSettings(
            name=self.SMM_PANEL_NAME,
            url=self.SMM_API_URL,
            key=SecretStr(key) if key else None,
            concurrency=self.PANEL_CONCURRENCY,
        )
        extras = (
            panel
            if panel.concurrency is not None
            else panel.model_copy(update={"concurrency": self.PANEL_CONCURRENCY})
            for panel in self.SMM_EXTRA_PANELS
        )
        return (main, *extras)

    @property
    def database_target(self) -> Path | str:
        """What storage opens: the PostgreSQL URL when set, else the SQLite file."""
        if self.DATABASE_URL is not None:
            return self.DATABASE_URL.get_secret_value()
        return self.DATABASE_PATH

    @property
    def is_demo_panel(self) -> bool:
        return self.SMM_API_URL == DEMO_PANEL

    @property
    def log_level(self) -> int:
        return int(logging.getLevelName(self.LOG_LEVEL))

    @property
    def mini_app_url(self) -> str | None:
        """Where Telegram opens the customer's Mini App, when the web side is on."""
        return f"{self.WEBAPP_URL}/app/" if self.WEBAPP_URL else None

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.ADMIN_IDS


def _describe(error: dict[str, Any]) -> str:
    """One plain line for the first problem: the variable and what is wrong, never its value."""
    location = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
    name = location[0] if location else ""
    if error.get("type") == "missing":
        return f"{name} is required: set it in the environment or in a .env file"
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    if not name:
        return message
    if message.startswith(name):
        return message
    return f"{name} {message}" if message[:1].islower() else f"{name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings, or raise ConfigurationError with one readable line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = error.errors(include_input=False, include_url=False)
        raise ConfigurationError(_describe(dict(problems[0]))) from None
