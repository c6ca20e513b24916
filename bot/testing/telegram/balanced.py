"""Telegram delivering a webhook to several workers behind one URL, as a load balancer in
front of them would: each update to the next worker in turn (the next one again if a worker
does not answer), several updates at once (Telegram keeps up to max_connections open)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import aiohttp

from bot.testing.telegram.webhook import Delivery, WebhookTelegram


class BalancedTelegram(WebhookTelegram):
    """Delivers each update to the next of ``targets`` (the workers' webhook URLs) in turn."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets: list[str] = []
        self.served_by: dict[int, str] = {}  # update id → the worker that answered 200
        self._turn = itertools.count()
        self._in_flight: set[int] = set()

    async def _deliver_forever(self) -> None:
        assert self._client is not None
        running: set[asyncio.Task[None]] = set()
        while True:
            waiting = [
                update
                for update in self.updates.pending
                if update["update_id"] not in self._in_flight
            ]
            if not self.webhook_url or not self.targets or not waiting:
                self._webhook_changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._webhook_changed.wait(), 0.05)
                continue
            for update in waiting:
                self._in_flight.add(update["update_id"])
                task = asyncio.create_task(self._deliver_one(update))
                running.add(task)
                task.add_done_callback(running.discard)

    async def _deliver_one(self, update: dict[str, Any]) -> None:
        assert self._client is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret or ""}
        try:
            for _ in range(len(self.targets) * 20):
                target = self.targets[next(self._turn) % len(self.targets)]
                try:
                    async with self._client.post(target, json=update, headers=headers) as answer:
                        delivery = Delivery(update, answer.status, await answer.read())
                except (aiohttp.ClientError, TimeoutError):
                    delivery = Delivery(update, None, b"")
                self.deliveries.append(delivery)
                if delivery.status == 200:
                    self.served_by[int(update["update_id"])] = target
                    with contextlib.suppress(ValueError):
                        self.updates.pending.remove(update)
                    break
                await asyncio.sleep(0.05)
        finally:
            self._in_flight.discard(int(update["update_id"]))
            await self._notify()
