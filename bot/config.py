"""Settings read once at start-up from the environment and an optional ``.env`` file."""

from __future__ import annotations

import logging
import re
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.stars import MAX_STARS_PER_INVOICE

DEMO_PANEL = "demo"
SUPPORTED_LANGUAGES = ("en", "ru")
_BOT_TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message names the variable, never its value."""


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
    ADMIN_IDS: Annotated[frozenset[int], NoDecode] = frozenset()
    TELEGRAM_API_URL: str | None = None
    DATABASE_PATH: Path = Path("data/storefront.sqlite3")
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
        value = value.strip()
        if value.lower() == DEMO_PANEL:
            return DEMO_PANEL
        if not re.match(r"^https?://[^\s/]+\S*$", value):
            raise ValueError("must be the panel's API URL (https://...) or 'demo'")
        return value

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
