"""Entry point: ``python -m bot`` (or the ``smm-storefront`` console script)."""

from __future__ import annotations

import asyncio
import contextlib
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
    from bot.logging_setup import configure_logging

    configure_logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(settings))


if __name__ == "__main__":
    main()
