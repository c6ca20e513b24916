"""Telegram's side of a webhook: once the bot calls ``setWebhook``, every queued update is
POSTed to it (with the secret header), one at a time and in order, and kept for a later retry
until the bot answers 2xx, as Telegram does."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.testing.telegram.records import JsonDict
from bot.testing.telegram.server import FakeTelegramServer
from bot.testing.telegram.validation import update_type


@dataclass(frozen=True)
class Delivery:
    """One POST of an update to the bot's webhook, as Telegram made it."""

    update: JsonDict
    status: int | None  # None: no HTTP answer at all (connection refused or reset)
    body: bytes

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class WebhookTelegram(FakeTelegramServer):
    """FakeTelegramServer that also delivers updates to a webhook while one is set."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self.deliveries: list[Delivery] = []
        self.sent_updates: list[JsonDict] = []  # every update queued, polled or delivered
        self._webhook_changed = asyncio.Event()
        self._delivery: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        await super().start()
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._delivery = asyncio.create_task(self._deliver_forever())

    async def stop(self) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        if self._client is not None:
            await self._client.close()
        await super().stop()

    def delivered(self, update_id: int) -> bool:
        return any(d.update_id == update_id and d.status == 200 for d in self.deliveries)

    def deliveries_of_callback(self, query_id: str) -> list[Delivery]:
        return [
            delivery
            for delivery in self.deliveries
            if delivery.update.get("callback_query", {}).get("id") == query_id
        ]

    async def _set_webhook(self, params: JsonDict) -> bool:
        result = await super()._set_webhook(params)
        self.webhook_secret = params.get("secret_token")
        allowed = params.get("allowed_updates")
        self.webhook_allowed_updates = list(allowed) if allowed is not None else None
        self._webhook_changed.set()
        return result

    async def _delete_webhook(self, params: JsonDict) -> bool:
        result = await super()._delete_webhook(params)
        self._webhook_changed.set()
        return result

    async def send_update(self, update: JsonDict) -> int:
        if "update_id" not in update:
            update = {"update_id": self.updates.next_id(), **update}
        self.sent_updates.append(update)
        update_id = await super().send_update(update)
        self._webhook_changed.set()
        return update_id

    def _next_for_webhook(self) -> JsonDict | None:
        if not self.webhook_url:
            return None
        for update in self.updates.pending:
            if self.webhook_allowed_updates and update_type(update) not in (
                self.webhook_allowed_updates
            ):
                continue
            return update
        return None

    async def _deliver_forever(self) -> None:
        assert self._client is not None
        while True:
            update = self._next_for_webhook()
            if update is None:
                self._webhook_changed.clear()
                await self._webhook_changed.wait()
                continue
            headers = {}
            if self.webhook_secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
            try:
                async with self._client.post(
                    self.webhook_url, json=update, headers=headers
                ) as response:
                    delivery = Delivery(update, response.status, await response.read())
            except (aiohttp.ClientError, TimeoutError):
                delivery = Delivery(update, None, b"")
            self.deliveries.append(delivery)
            if delivery.status == 200:
                with contextlib.suppress(ValueError):
                    self.updates.pending.remove(update)
            else:
                # Telegram retries later; a new setWebhook (the bot is back) retries at once.
                self._webhook_changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._webhook_changed.wait(), 0.05)
            await self._notify()
