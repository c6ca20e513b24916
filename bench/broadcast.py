"""A broadcast to many users against Telegram's flood limit: rate, retries, losses, duplicates.

    python bench/broadcast.py [--users 10000] [--limit 30] [--pace 25] [--blocked 0]

Seeds ``--users`` users in a fresh SQLite database (a temporary folder), starts a broadcast of
one text and lets the real :class:`~bot.telegram.broadcast_runner.BroadcastRunner` deliver it
with a real aiogram ``Bot`` talking HTTP to the fake Telegram server, which answers
``429 retry_after`` beyond ``--limit`` messages a second (0: no limit) and ``403`` for
the ``--blocked`` users.
``--pace`` is the runner's own budget (the production default unless given).

Counted on the server's side, where a copy Telegram accepted becomes a message in the chat:

* lost: users who can be reached (not blocked) and hold no copy — must be 0;
* duplicates: users holding more than one copy — must be 0.

The exit status is 1 when either is not 0, or when the database disagrees with the chats.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.runtime.tasks import BackgroundTasks
from bot.telegram.broadcast_runner import BroadcastRunner
from bot.telegram.i18n import Translations
from bot.telegram.pacing import DEFAULT_MESSAGES_PER_SECOND, SendPacer
from bot.testing.harness import make_bot
from bot.testing.telegram import FakeTelegramServer
from storage.database import Database
from storage.repository import Repository

ADMIN = 900_000_001
FIRST_USER = 200_000_000
TEXT = "📣 Big sale today: 20% off every service"


@dataclass(frozen=True)
class Result:
    users: int
    blocked: int
    seconds: float
    accepted: int  # copies Telegram accepted
    blocked_answers: int  # 403s
    rate_limited: int  # 429s, each one retried
    runner_retries: int
    lost: int
    duplicates: int
    database_agrees: bool

    @property
    def rate(self) -> float:
        """Messages Telegram accepted per second, over the whole delivery."""
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.database_agrees


async def seed(repo: Repository, user_ids: range) -> None:
    # One transaction: the repository's own transactions join it, so seeding is one commit.
    async with repo.database.transaction():
        for user_id in user_ids:
            await repo.users.register(
                user_id, language="en", first_name=f"User {user_id}", username=None
            )


async def run(users: int, limit: int, pace: float, blocked_every: int) -> Result:
    user_ids = range(FIRST_USER, FIRST_USER + users)
    blocked = set(user_ids[::blocked_every]) if blocked_every else set()
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as folder:
        database = await Database.open(Path(folder) / "bench.sqlite3")
        telegram = FakeTelegramServer(rate_limit_per_second=limit or None)
        await telegram.start()
        bot = make_bot(telegram)
        try:
            repo = Repository(database)
            await seed(repo, user_ids)
            telegram.blocked_users.update(blocked)
            # The admin's own message, in their chat, is what gets copied (message id 1).
            await telegram.send_message(ADMIN, TEXT)
            draft = await repo.broadcasts.create_draft(ADMIN, ADMIN, 1)
            recipients = await repo.broadcasts.start(draft)
            assert recipients == users, recipients
            broadcast = await repo.broadcasts.get(draft)
            assert broadcast is not None

            runner = BroadcastRunner(
                bot,
                repo,
                Translations("en"),
                tasks=BackgroundTasks(),
                pacer=SendPacer(pace),
            )
            started = time.monotonic()
            runner.start(broadcast)
            await runner.wait()
            seconds = time.monotonic() - started

            received = {
                user_id: sum(
                    1 for message in telegram.messages(user_id) if message.method == "copyMessage"
                )
                for user_id in user_ids
            }
            reachable = [user_id for user_id in user_ids if user_id not in blocked]
            counts = await repo.broadcasts.counts(draft)
            sent_in_database = {
                row[0]
                for row in await database.fetch_all(
                    "SELECT user_id FROM broadcast_recipients WHERE broadcast_id = ? AND state = ?",
                    (draft, "sent"),
                )
            }
            delivered = {user_id for user_id, count in received.items() if count}
            return Result(
                users=users,
                blocked=len(blocked),
                seconds=seconds,
                accepted=sum(received.values()),
                blocked_answers=sum(1 for error in telegram.errors if error.error_code == 403),
                rate_limited=telegram.rate_limited_count,
                runner_retries=runner.retries,
                lost=sum(1 for user_id in reachable if received[user_id] == 0),
                duplicates=sum(1 for count in received.values() if count > 1),
                database_agrees=(
                    sent_in_database == delivered
                    and counts.pending == 0
                    and counts.blocked == len(blocked)
                ),
            )
        finally:
            await bot.session.close()
            await telegram.stop()
            await database.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=30, help="server limit, messages/s (0: none)")
    parser.add_argument(
        "--pace",
        type=float,
        default=DEFAULT_MESSAGES_PER_SECOND,
        help=f"the runner's pace, messages/s (default {DEFAULT_MESSAGES_PER_SECOND:g})",
    )
    parser.add_argument(
        "--blocked", type=int, default=0, help="every Nth user has blocked the bot (0: none)"
    )
    options = parser.parse_args()
    print(
        f"Broadcast to {options.users} users, server limit {options.limit or 'none'}/s,"
        f" runner pace {options.pace:g}/s"
        + (f", every {options.blocked}th user blocked the bot" if options.blocked else ""),
        flush=True,
    )
    result = asyncio.run(run(options.users, options.limit, options.pace, options.blocked))
    print(f"duration        {result.seconds:.1f} s")
    print(f"achieved rate   {result.rate:.2f} messages/s accepted by Telegram")
    print(f"accepted        {result.accepted}")
    print(f"blocked (403)   {result.blocked_answers} of {result.blocked} blocked users")
    print(f"429 answers     {result.rate_limited} (runner retries: {result.runner_retries})")
    print(f"lost            {result.lost}")
    print(f"duplicates      {result.duplicates}")
    print(f"database agrees {'yes' if result.database_agrees else 'NO'}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
