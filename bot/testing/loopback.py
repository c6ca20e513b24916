"""Serving a fake (panel, Telegram, Crypto Pay) on a free port of 127.0.0.1."""

from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application, *, shutdown_timeout: float) -> tuple[web.AppRunner, int]:
    """Start ``app`` on a port the system picks; the runner (to clean up) and the port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, runner.addresses[0][1]
