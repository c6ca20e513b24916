"""Broadcasts: copy an admin's message to every user, under Telegram's limits, resumably.

Each recipient's state is stored as soon as Telegram answers, so a broadcast interrupted by a
crash or restart resumes with the recipients still pending; nobody is skipped and, outside
the instant between Telegram's answer and that write, nobody gets it twice.

The pace is the bot's send budget (``bot/telegram/pacing.py``): copies go with the lowest
priority, filling what answers and notifications leave of Telegram's limit. A few copies are
in flight at once, so a slow answer or database write never leaves a slot of the budget
unused; with paid broadcasts (``allow_paid_broadcast``, up to 1,000 a second) many more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)

from bot.runtime.tasks import BackgroundTasks
from bot.telegram import keyboards
from bot.telegram.i18n import Translations, Translator
from bot.telegram.pacing import Priority, SendAbandoned, paid_broadcast_stars, sending_as
from storage.broadcasts import (
    BLOCKED,
    DONE,
    FAILED,
    RUNNING,
    SENT,
    STOPPED,
    Broadcast,
    BroadcastCounts,
)
from storage.repository import Repository

logger = logging.getLogger(__name__)

MAX_TRANSIENT_ATTEMPTS = 3
PROGRESS_EVERY_SECONDS = 3.0
# Copies in flight at once: enough to keep the budget's pace through one slow request.
CONCURRENCY = 4
# Paid broadcasts: 1,000 a second at Telegram's ~50 ms per request needs about 50 in flight.
PAID_CONCURRENCY = 64


@dataclass(slots=True)
class _Run:
    broadcast: Broadcast
    task: asyncio.Task[None]
    stop_requested: bool = False
    started_at: float = 0.0
    last_progress: float = 0.0
    sent_this_run: int = 0
    retries: int = 0
    # Set with stop_requested: wakes a runner waiting out Telegram's retry_after.
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)


class BroadcastRunner:
    def __init__(
        self,
        bot: Bot,
        repo: Repository,
        translations: Translations,
        *,
        tasks: BackgroundTasks,
        paid: bool = False,
        concurrency: int | None = None,
        progress_every: float = PROGRESS_EVERY_SECONDS,
    ) -> None:
        self._bot = bot
        self._repo = repo
        self._translations = translations
        self._tasks = tasks
        self._stopping = tasks.stopping
        self.paid = paid
        self._concurrency = concurrency or (PAID_CONCURRENCY if paid else CONCURRENCY)
        self._progress_every = progress_every
        self._current: _Run | None = None
        # False on a worker that is not the leader (several workers): broadcasts are
        # delivered by the leader, which picks up one started anywhere (``resume``).
        self.delivers_here = True

    def paid_stars(self, recipients: int) -> int | None:
        """With paid broadcasts, the most a broadcast to ``recipients`` costs in Stars."""
        return paid_broadcast_stars(recipients) if self.paid else None

    @property
    def retries(self) -> int:
        return self._current.retries if self._current else 0

    def is_running(self, broadcast_id: int) -> bool:
        current = self._current
        return (
            current is not None and current.broadcast.id == broadcast_id and not current.task.done()
        )

    async def resume(self) -> None:
        """Carry on with a broadcast running in the database but not delivered here: at
        start-up, one that was running when the bot stopped; with several workers, also one
        an admin started on another worker."""
        running = await self._repo.broadcasts.running()
        if running is not None and not self.is_running(running.id):
            logger.info("Resuming broadcast %s", running.id)
            self.start(running)

    def start(self, broadcast: Broadcast) -> asyncio.Task[None] | None:
        """Deliver a running broadcast from here (None: the leader delivers it)."""
        if not self.delivers_here:
            return None
        if self._current is not None and not self._current.task.done():
            if self._current.broadcast.id == broadcast.id:
                return self._current.task
            raise RuntimeError("another broadcast is being delivered")
        task = self._tasks.start(f"broadcast-{broadcast.id}", self._deliver(broadcast))
        self._current = _Run(broadcast, task, started_at=time.monotonic())
        return task

    async def request_stop(self, broadcast_id: int) -> bool:
        """The admin pressed Stop: finish the current message (or stop waiting out a 429 for
        it), then stop for good."""
        current = self._current
        if current is not None and current.broadcast.id == broadcast_id and not current.task.done():
            current.stop_requested = True
            current.stop_event.set()
            await current.task
            return True
        return await self._repo.broadcasts.finish(broadcast_id, STOPPED)

    async def wait(self) -> None:
        """Wait for the broadcast being delivered (tests, shutdown)."""
        if self._current is not None:
            await asyncio.shield(self._current.task)

    async def _deliver(self, broadcast: Broadcast) -> None:
        run = self._current
        assert run is not None
        # Not the priority of the handler that started it; Stop and shutdown reach copies still
        # waiting for a slot (a 429 can hold them back for long), and they are not sent.
        give_up_on = (run.stop_event, self._stopping)
        with sending_as(Priority.BROADCAST, give_up_on=give_up_on):
            while not self._stopped(run):
                try:
                    batch = await self._repo.broadcasts.pending(
                        broadcast.id, limit=max(200, 50 * self._concurrency)
                    )
                    if not batch:
                        break
                    if not await self._still_running(run):
                        break
                    recipients = iter(batch)
                    # Every sender ends before the next pass reads who is pending, even when
                    # one fails: a copy still in flight must not be sent again by that pass.
                    outcomes = await asyncio.gather(
                        *(self._send_from(run, recipients) for _ in range(self._concurrency)),
                        return_exceptions=True,
                    )
                    for outcome in outcomes:
                        if isinstance(outcome, BaseException):
                            raise outcome
                except Exception:
                    # One failed pass (say, the database was busy) must not end the broadcast.
                    logger.exception("Broadcast %s pass failed; going on", broadcast.id)
                    await asyncio.sleep(1.0)
            if self._stopping.is_set() and not run.stop_requested:
                return  # shutting down: still running in the database, resumed at start-up
            await self._repo.broadcasts.finish(
                broadcast.id, STOPPED if run.stop_requested else DONE
            )
            await self._show_progress(run, final=True)

    async def _still_running(self, run: _Run) -> bool:
        """Stop pressed on another worker: the database says it is no longer running."""
        stored = await self._repo.broadcasts.get(run.broadcast.id)
        if stored is not None and stored.status == RUNNING:
            return True
        run.stop_requested = True
        return False

    def _stopped(self, run: _Run) -> bool:
        return run.stop_requested or self._stopping.is_set()

    async def _send_from(self, run: _Run, recipients: Iterator[int]) -> None:
        """One of the senders sharing a batch: each recipient is taken by exactly one."""
        for user_id in recipients:
            if self._stopped(run):
                return
            await self._send_one(run, user_id)
            if time.monotonic() - run.last_progress >= self._progress_every:
                run.last_progress = time.monotonic()
                await self._show_progress(run, final=False)

    async def _send_one(self, run: _Run, user_id: int) -> None:
        broadcast = run.broadcast
        attempts = 0
        while True:
            try:
                await self._bot.copy_message(
                    chat_id=user_id,
                    from_chat_id=broadcast.source_chat_id,
                    message_id=broadcast.source_message_id,
                    allow_paid_broadcast=True if self.paid else None,
                )
            except SendAbandoned:
                return  # never sent: still pending
            except TelegramRetryAfter as error:
                run.retries += 1  # the send budget holds every background sender meanwhile
                if await self._stop_comes_within(run, error.retry_after):
                    return  # still pending: a stopped broadcast leaves it, a resumed one sends it
                continue
            except TelegramForbiddenError as error:
                await self._repo.users.set_blocked_bot(user_id, True)
                await self._repo.broadcasts.mark(broadcast.id, user_id, BLOCKED, error.message)
                return
            except (TelegramBadRequest, TelegramNotFound) as error:
                await self._repo.broadcasts.mark(broadcast.id, user_id, FAILED, error.message)
                return
            except (TelegramAPIError, OSError, TimeoutError) as error:
                attempts += 1
                run.retries += 1
                if attempts >= MAX_TRANSIENT_ATTEMPTS:
                    await self._repo.broadcasts.mark(broadcast.id, user_id, FAILED, repr(error))
                    return
                await asyncio.sleep(0.5 * attempts)
                continue
            await self._repo.broadcasts.mark(broadcast.id, user_id, SENT)
            run.sent_this_run += 1
            return

    async def _stop_comes_within(self, run: _Run, seconds: float) -> bool:
        """Wait out Telegram's retry_after; True if Stop or shutdown came first.

        retry_after can be tens of seconds: waiting it out would keep the Stop button's answer
        past Telegram's deadline for it, and shutdown past its grace period (cancelled then).
        """
        waits = {
            asyncio.ensure_future(run.stop_event.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        }
        try:
            done, _ = await asyncio.wait(
                waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiting in waits:
                waiting.cancel()
        return bool(done)

    async def _show_progress(self, run: _Run, *, final: bool) -> None:
        broadcast = await self._repo.broadcasts.get(run.broadcast.id)
        if broadcast is None or broadcast.progress_message_id is None:
            return
        counts = await self._repo.broadcasts.counts(broadcast.id)
        admin = await self._repo.users.get(broadcast.admin_id)
        i18n = self._translations.get(admin.language if admin else None)
        text = progress_text(i18n, broadcast, counts, run, final=final)
        markup = None if final else keyboards.broadcast_progress(i18n, broadcast.id)
        try:
            await self._bot.edit_message_text(
                text=text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=markup,
            )
        except TelegramAPIError as error:
            logger.debug("Broadcast progress not updated: %s", error.message)


def progress_text(
    i18n: Translator, broadcast: Broadcast, counts: BroadcastCounts, run: _Run, *, final: bool
) -> str:
    elapsed = max(time.monotonic() - run.started_at, 0.001)
    rate = run.sent_this_run / elapsed
    seconds_left = int(counts.pending / rate) if rate > 0 else 0
    return i18n(
        "broadcast-summary" if final else "broadcast-progress",
        id=broadcast.id,
        sent=counts.sent,
        failed=counts.failed,
        blocked=counts.blocked,
        left=counts.pending,
        total=counts.total,
        rate=f"{rate:.1f}",
        eta=f"{seconds_left // 60}:{seconds_left % 60:02d}",
        status=i18n("broadcast-status-stopped" if run.stop_requested else "broadcast-status-done"),
    )
