"""Payment providers' webhooks, served by the same aiohttp server as Telegram's webhook.

Each answer is JSON, whatever happens: a provider retries on anything but 200, and a
traceback would only show our insides to whoever sent the request.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.services.payments.cryptopay import SIGNATURE_HEADER, CryptoPayRail

logger = logging.getLogger(__name__)

CRYPTOPAY_WEBHOOK_PATH = "/cryptopay/webhook"


def add_cryptopay_webhook(app: web.Application, rail: CryptoPayRail) -> None:
    """Crypto Pay's ``invoice_paid`` updates at /cryptopay/webhook, always answered in JSON."""

    async def handle(request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPException as error:  # e.g. a body over aiohttp's size limit
            return web.json_response({"error": error.reason}, status=error.status)
        try:
            answer = await rail.take_webhook(body, request.headers.get(SIGNATURE_HEADER))
        except Exception:
            # Crypto Pay sends the update again later; the details stay in our log.
            logger.exception("Crypto Pay webhook update failed")
            return web.json_response({"error": "internal error"}, status=500)
        return web.json_response(answer.body, status=answer.status)

    app.router.add_post(CRYPTOPAY_WEBHOOK_PATH, handle)
