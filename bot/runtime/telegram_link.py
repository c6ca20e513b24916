"""Waiting for Telegram at start-up: a VPS often boots before its network is up.

Until Telegram answers, the bot logs one warning line per attempt and tries again with a
growing pause; a token Telegram rejects is a configuration mistake, reported like one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiohttp import InvalidURL

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
# One attempt must not hang for aiogram's default minute when packets are dropped.
ATTEMPT_TIMEOUT_SECONDS = 10


class TelegramSettingsError(Exception):
    """A setting no network can fix: Telegram refused the bot token (401, or 404 for a bot it
    does not know), or TELEGRAM_API_URL is not a usable URL. The text never quotes either."""


async def wait_for_telegram(
    bot: Bot,
    stop: asyncio.Event,
    *,
    first_retry: float = FIRST_RETRY_SECONDS,
    max_retry: float = MAX_RETRY_SECONDS,
) -> bool:
    """Return once Telegram answers ``getMe`` (True), or when ``stop`` is set first (False).

    Raises TelegramSettingsError when Telegram answers that the token is not a bot's, or the
    URL of Telegram cannot be used at all.
    """
    delay = first_retry
    while not stop.is_set():
        try:
            await bot.get_me(request_timeout=ATTEMPT_TIMEOUT_SECONDS)
            return True
        except TelegramUnauthorizedError as error:
            raise TelegramSettingsError(
                f"Telegram rejected BOT_TOKEN ({error.message}): copy the token from @BotFather"
            ) from None
        except TelegramNotFound as error:
            raise TelegramSettingsError(
                f"Telegram knows no bot with this BOT_TOKEN ({error.message}):"
                " check BOT_TOKEN and TELEGRAM_API_URL"
            ) from None
        except TelegramRetryAfter as error:
            wait = float(max(error.retry_after, 1))
            reason = error.message
        except (TelegramNetworkError, TelegramServerError) as error:
            if isinstance(error.__cause__, InvalidURL):
                # No network will fix it. The client's text quotes the URL, token included.
                raise TelegramSettingsError(
                    "TELEGRAM_API_URL is not a usable URL: check its scheme, host and port"
                ) from None
            wait = delay
            reason = error.message
            delay = min(delay * 2, max_retry)
        logger.warning("cannot reach Telegram: %s; retrying in %g s", _one_line(reason), wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
    return False


def _one_line(text: str) -> str:
    return " ".join(text.split())
