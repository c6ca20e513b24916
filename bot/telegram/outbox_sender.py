"""Delivers the outbox: every message owed to a user, in their language, exactly as queued.

Rows are marked sent right after Telegram accepts them. A crash between the two resends that
one message after restart (Telegram has no idempotency key, so this narrow window is the
price of never skipping a change); every other row is sent exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup

from bot.core.money import Money
from bot.telegram import keyboards, render
from bot.telegram.i18n import Translations, Translator
from storage.database import format_time
from storage.outbox import (
    NOTIFY_ORDER_SETTLED,
    NOTIFY_ORDER_STATUS,
    NOTIFY_REFERRAL_BONUS,
    NOTIFY_REFILL_STATUS,
    NOTIFY_TOPUP_CLOSED,
    NOTIFY_TOPUP_PAID,
    OutboxMessage,
)
from storage.repository import Repository

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        repo: Repository,
        translations: Translations,
        *,
        idle_seconds: float = 5.0,
    ) -> None:
        self._bot = bot
        self._repo = repo
        self._translations = translations
        self._idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        # Two passes at once would both read the same due rows and send each one twice.
        self._delivering = asyncio.Lock()

    def wake(self) -> None:
        """Something was queued: deliver it now rather than at the next idle check."""
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until ``stopping`` is set, stopping between two messages (never in the
        middle of one); a failed pass is logged and the next pass goes on."""
        while not stopping.is_set():
            self._wake.clear()  # before reading, so a wake during the pass is not lost
            try:
                delivered = await self.deliver_due(stopping)
            except Exception:
                logger.exception("Outbox delivery pass failed")
                delivered = 0
            if delivered == 0:
                waiters = {
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stopping.wait()),
                }
                _, pending = await asyncio.wait(
                    waiters, timeout=self._idle_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in pending:
                    waiter.cancel()

    async def deliver_due(self, stopping: asyncio.Event | None = None) -> int:
        """Send what is due now; returns how many rows were settled (sent or dropped).

        Safe to call from anywhere: a pass waits for the one under way to finish.
        """
        async with self._delivering:
            settled = 0
            for message in await self._repo.outbox.due(limit=100):
                if stopping is not None and stopping.is_set():
                    break
                try:
                    delivered = await self._deliver(message)
                except Exception as error:
                    # A row that cannot be rendered (a bug, a payload of an older shape) would
                    # fail every pass at the same place: it backs off like a failed send, and
                    # those behind it go on.
                    logger.exception(
                        "Notification %s could not be delivered; trying it later", message.id
                    )
                    await self._retry_later(message, repr(error))
                    continue
                if delivered:
                    settled += 1
            return settled

    async def _deliver(self, message: OutboxMessage) -> bool:
        user = await self._repo.users.get(message.user_id)
        if user is None or user.blocked_bot:
            await self._repo.outbox.mark_dropped(message.id, "user blocked the bot")
            return True
        i18n = self._translations.get(user.language)
        rendered = await self._render(i18n, message)
        if rendered is None:
            await self._repo.outbox.mark_dropped(message.id, "nothing to say any more")
            return True
        text, markup = rendered
        while True:
            try:
                # Paced by the bot's send budget, after answers to users (bot/telegram/pacing).
                await self._bot.send_message(message.user_id, text, reply_markup=markup)
            except TelegramRetryAfter as error:
                logger.warning("Telegram asks to wait %ss before sending", error.retry_after)
                await asyncio.sleep(error.retry_after)
                continue
            except TelegramForbiddenError:
                await self._repo.users.set_blocked_bot(message.user_id, True)
                await self._repo.outbox.mark_dropped(message.id, "user blocked the bot")
                return True
            except (TelegramBadRequest, TelegramNotFound) as error:
                await self._repo.outbox.mark_dropped(message.id, error.message)
                logger.warning("Dropped notification %s: %s", message.id, error.message)
                return True
            except Exception as error:  # network trouble, Telegram 5xx: try again later
                await self._retry_later(message, repr(error))
                return False
            await self._repo.outbox.mark_sent(message.id)
            return True

    async def _retry_later(self, message: OutboxMessage, reason: str) -> None:
        if message.attempts + 1 >= MAX_ATTEMPTS:
            await self._repo.outbox.mark_dropped(message.id, reason)
            logger.error("Gave up on notification %s after %d tries", message.id, MAX_ATTEMPTS)
            return
        delay = timedelta(seconds=min(300, 2 ** (message.attempts + 1)))
        next_try = format_time(datetime.now(UTC) + delay)
        await self._repo.outbox.retry_later(message.id, reason, next_try)

    async def _render(
        self, i18n: Translator, message: OutboxMessage
    ) -> tuple[str, InlineKeyboardMarkup] | None:
        payload = message.payload
        if message.kind in (NOTIFY_TOPUP_PAID, NOTIFY_TOPUP_CLOSED):
            return await self._render_topup(i18n, message)
        if message.kind == NOTIFY_REFERRAL_BONUS:
            bonus = Money(int(payload.get("amount_micros") or 0))
            text = i18n("referral-bonus-notice", amount=i18n.money(bonus))
            return text, keyboards.back_to_menu(i18n)
        order = await self._repo.orders.get(int(payload.get("order_id", 0)))
        if order is None:
            return None
        markup = keyboards.open_order(i18n, order.id)
        status = str(payload.get("status", order.status))
        if message.kind == NOTIFY_ORDER_STATUS:
            lines = [
                i18n(
                    "notify-order-status",
                    id=order.id,
                    service=order.service_name,
                    status=render.status_label(i18n, status),
                )
            ]
            if payload.get("start_count") is not None:
                lines.append(i18n("notify-start-count", start_count=str(payload["start_count"])))
            if payload.get("remains") and status != "Completed":
                lines.append(i18n("notify-remains", remains=str(payload["remains"])))
            refund = Money(int(payload.get("refund_micros") or 0))
            if refund.is_positive:
                lines.append(i18n("notify-refund", amount=i18n.money(refund)))
            return "\n".join(lines), markup
        if message.kind == NOTIFY_REFILL_STATUS:
            text = i18n(
                "notify-refill-status",
                id=order.id,
                service=order.service_name,
                status=render.refill_status_label(i18n, status),
            )
            return text, markup
        if message.kind == NOTIFY_ORDER_SETTLED:
            refund = Money(int(payload.get("refund_micros") or 0))
            if payload.get("outcome") == "placed":
                text = i18n("notify-order-confirmed", id=order.id, service=order.service_name)
            else:
                text = i18n(
                    "notify-order-not-placed",
                    id=order.id,
                    service=order.service_name,
                    amount=i18n.money(refund),
                )
            return text, markup
        logger.error("Unknown outbox message kind %r", message.kind)
        return None

    async def _render_topup(
        self, i18n: Translator, message: OutboxMessage
    ) -> tuple[str, InlineKeyboardMarkup] | None:
        """A top-up's receipt, or why it ended unpaid (expired, rejected with the reason)."""
        topup = await self._repo.topups.get(int(message.payload.get("topup_id", 0)))
        if topup is None:
            return None
        if message.kind == NOTIFY_TOPUP_PAID:
            amount = Money(int(message.payload.get("amount_micros") or topup.amount.micros))
            balance = Money(int(message.payload.get("balance_micros") or 0))
            text = render.topup_receipt(i18n, topup, amount, balance)
        else:
            text = render.topup_closed(i18n, topup)
        return text, keyboards.back_to_menu(i18n)
