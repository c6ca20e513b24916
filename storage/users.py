"""Users of the storefront: language, ban, whether they blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.money import Money
from storage.database import Database, Row, parse_time, utc_now


@dataclass(frozen=True, slots=True)
class User:
    id: int
    language: str
    first_name: str
    username: str | None
    balance: Money
    banned: bool
    blocked_bot: bool
    created_at: str
    last_seen_at: str

    @property
    def last_seen(self) -> datetime | None:
        """When the user was last seen, as a time (None if the stored text is not one)."""
        try:
            return parse_time(self.last_seen_at)
        except ValueError:
            return None


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        language=row["language"],
        first_name=row["first_name"],
        username=row["username"],
        balance=Money(row["balance"]),
        banned=bool(row["banned"]),
        blocked_bot=bool(row["blocked_bot"]),
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
    )


class UserRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else _user(row)

    async def register(
        self, user_id: int, *, language: str, first_name: str, username: str | None
    ) -> tuple[User, bool]:
        """Create the user on first contact, refresh name and last-seen otherwise.

        Returns the user and whether they are new. The stored language is not overwritten:
        once a user picked one, it stays theirs.
        """
        now = utc_now()
        async with self._db.transaction():
            created = await self._db.execute(
                "INSERT INTO users (id, language, first_name, username, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (user_id, language, first_name, username, now, now),
            )
            if not created:
                await self._db.execute(
                    "UPDATE users SET first_name = ?, username = ?, last_seen_at = ?,"
                    " blocked_bot = 0 WHERE id = ?",
                    (first_name, username, now, user_id),
                )
        user = await self.get(user_id)
        if user is None:  # pragma: no cover - the row was written just above
            raise RuntimeError("user vanished after registration")
        return user, bool(created)

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def set_banned(self, user_id: int, banned: bool) -> bool:
        changed = await self._db.execute(
            "UPDATE users SET banned = ? WHERE id = ?", (int(banned), user_id)
        )
        return changed > 0

    async def set_blocked_bot(self, user_id: int, blocked: bool) -> None:
        await self._db.execute(
            "UPDATE users SET blocked_bot = ? WHERE id = ?", (int(blocked), user_id)
        )

    async def count(self) -> int:
        return int(await self._db.fetch_value("SELECT COUNT(*) FROM users"))
