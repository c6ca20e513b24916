"""Entry point: ``python -m bot`` (or the ``smm-storefront`` console script)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from bot.config import ConfigurationError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigurationError as error:
        # One plain line and exit code 2: a configuration mistake is not a crash.
        print(f"Configuration error: {error}", file=sys.stderr)
        sys.exit(2)

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
        # Like a bad setting: one line, exit code 2 (a service manager should not restart it).
        print(f"Configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    except (DatabaseUnavailableError, RedisUnavailableError) as error:
        # The database or Redis the settings name does not answer: one line naming it (never
        # its password) and exit code 2, like a bad setting, not a traceback.
        print(f"Start-up error: {error}", file=sys.stderr)
        sys.exit(2)
    except Exception:
        # Through the logging set-up, not Python's own traceback printing: the redacting
        # formatter keeps secrets out (an HTTP error can quote a URL with the bot token).
        logging.getLogger("bot").critical("The storefront stopped on an error", exc_info=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
