"""Stopping on SIGTERM/SIGINT at a safe point instead of dying on the spot."""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress


def stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT (where the platform allows handlers)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal_number, stop.set)
    return stop
