"""Entry point: ``python -m bot`` (or the ``smm-storefront`` console script)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import NoReturn

from bot.config import ConfigurationError, load_settings


def _stop(line: str) -> NoReturn:
    """One plain line and exit code 2: a mistake in what the bot was given is not a crash (and a
    service manager should not restart it). Printed, not logged: logging may not be set up."""
    print(line, file=sys.stderr)
    sys.exit(2)


def main() -> None:
    try:
        settings = load_settings()
    except ConfigurationError as error:
        _stop(f"Configuration error: {error}")

    from bot.app import run
    from bot.runtime.logging_setup import configure_logging
    from bot.runtime.redis_link import RedisUnavailableError
    from bot.runtime.telegram_link import TelegramSettingsError
    from storage.errors import DatabaseUnavailableError

    configure_logging(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(settings))
    except TelegramSettingsError as error:
        _stop(f"Configuration error: {error}")  # Telegram refused the token: a bad setting
    except (DatabaseUnavailableError, RedisUnavailableError) as error:
        # The database or Redis the settings name does not answer: named, never its password.
        _stop(f"Start-up error: {error}")
    except Exception:
        # Through the logging set-up, not Python's own traceback printing: the redacting
        # formatter keeps secrets out (an HTTP error can quote a URL with the bot token).
        logging.getLogger("bot").critical("The storefront stopped on an error", exc_info=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
