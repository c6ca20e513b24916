"""Logging: plain lines to stderr, secrets scrubbed from every line, tracebacks included."""

from __future__ import annotations

import logging
from urllib.parse import quote, quote_plus, urlsplit

from bot.config import Settings

# Shorter values would blank out ordinary words; the configuration never has secrets this short.
_MIN_SECRET_LENGTH = 6


class RedactingFormatter(logging.Formatter):
    """Replaces the bot token and API key wherever they appear in a formatted record,
    whichever library logged it and whatever exception text it carries."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        # A URL or a form body carries a secret encoded ("123:ABC" as "123%3AABC"). Longest
        # first, so a spelling that contains a shorter one is replaced whole.
        spellings = {
            spelling
            for secret in secrets
            if len(secret) >= _MIN_SECRET_LENGTH
            for spelling in (secret, quote(secret), quote(secret, safe=""), quote_plus(secret))
        }
        self._secrets = sorted(spellings, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def secrets_of(settings: Settings) -> list[str]:
    token = settings.BOT_TOKEN.get_secret_value()
    # The part after the bot id is the secret; the id itself is public and logged as such.
    values = [token, token.partition(":")[2]]
    panel_keys = [panel.key for panel in settings.SMM_EXTRA_PANELS]
    for secret in (
        settings.SMM_API_KEY,
        settings.WEBHOOK_SECRET,
        settings.CRYPTOPAY_TOKEN,
        *panel_keys,
    ):
        if secret is not None:
            # As set, and as the clients send it (stripped of the spaces around it).
            values += [secret.get_secret_value(), secret.get_secret_value().strip()]
    if settings.CRYPTOPAY_TOKEN is not None:
        # "<app id>:<secret>", like the bot token: the part after the app id alone too.
        values.append(settings.CRYPTOPAY_TOKEN.get_secret_value().strip().partition(":")[2])
    # The database and Redis URLs carry a password: the URL whole, and the password alone
    # (a driver's error may quote either).
    for url in (settings.DATABASE_URL, settings.REDIS_URL):
        if url is not None:
            text = url.get_secret_value()
            values.append(text)
            password = urlsplit(text).password
            if password:
                values.append(password)
    return values


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets_of(settings))
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Request-level chatter of the HTTP libraries is noise at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
