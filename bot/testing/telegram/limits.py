"""When the fake Telegram says no before looking at a request: flood limits, failures a test
injected, users who blocked the bot and chats that do not exist."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from bot.testing.telegram.records import JsonDict
from bot.testing.telegram.validation import ApiFailure, bad_request

# Methods that post a message count against the flood limit; sends and copies marked
# allow_paid_broadcast count against the paid one instead.
_SENDING_PREFIXES = ("send", "copy", "forward")
_PAID_PREFIXES = ("send", "copy")


@dataclass
class _InjectedError:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


class SlidingWindow:
    """Sends in the last second; over ``per_second`` a send is refused with 429."""

    def __init__(self) -> None:
        self._sent_at: deque[float] = deque()

    def take(self, per_second: int, retry_after: int | None) -> None:
        """Count one send, or raise Telegram's 429 with ``retry_after`` (if None: the seconds
        left until the oldest send leaves the window)."""
        now = time.monotonic()
        while self._sent_at and self._sent_at[0] <= now - 1.0:
            self._sent_at.popleft()
        if len(self._sent_at) >= per_second:
            wait = retry_after or max(1, math.ceil(self._sent_at[0] + 1.0 - now))
            raise ApiFailure(429, f"Too Many Requests: retry after {wait}", wait)
        self._sent_at.append(now)


class Refusals:
    """Every reason to refuse a request before the method itself runs, checked in this order:
    an injected failure, the flood limit, a blocked user, a missing chat."""

    def __init__(self, *, rate_limit_per_second: int | None = None) -> None:
        # Telegram's global limit on sent messages (None: none); paid broadcasts have their own
        # (Telegram: 1,000/s, billed in Stars), enforced while the global one is.
        self.rate_limit_per_second = rate_limit_per_second
        self.paid_rate_limit_per_second = 1000
        self.retry_after: int | None = None
        self.rate_limited = 0
        self.paid_broadcasts = 0
        self.blocked_users: set[int] = set()
        self.missing_chats: set[int] = set()
        self._sends = SlidingWindow()
        self._paid_sends = SlidingWindow()
        self._injected: list[_InjectedError] = []

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` (optionally for one chat) fail."""
        self._injected.append(
            _InjectedError(method.lower(), error_code, description, retry_after, chat_id, times)
        )

    def check(self, method: str, params: JsonDict) -> None:
        """Raise the ApiFailure Telegram would answer ``method`` with, if any."""
        chat_id = params.get("chat_id")
        lowered = method.lower()
        for injected in self._injected:
            if injected.method == lowered and injected.chat_id in (None, chat_id):
                injected.times -= 1
                if injected.times <= 0:
                    self._injected.remove(injected)
                raise ApiFailure(injected.error_code, injected.description, injected.retry_after)
        paid = lowered.startswith(_PAID_PREFIXES) and params.get("allow_paid_broadcast") is True
        if lowered.startswith(_SENDING_PREFIXES) and self.rate_limit_per_second:
            try:
                if paid:
                    self._paid_sends.take(self.paid_rate_limit_per_second, self.retry_after)
                else:
                    self._sends.take(self.rate_limit_per_second, self.retry_after)
            except ApiFailure:
                self.rate_limited += 1
                raise
        if chat_id in self.blocked_users:
            raise ApiFailure(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            raise bad_request("chat not found")
        if paid:
            self.paid_broadcasts += 1
