"""Promo codes: admins create them, customers redeem them.

An amount code credits the balance at once (ledger kind ``promo``, reference
``promo:<CODE>:<user>``); a percent code becomes a discount waiting for the customer's next
order, shown on its confirmation card and consumed in the transaction that charges it.
Codes are case-insensitive (stored upper-case), each redeemable once per user, and a total
cap holds under concurrent redemptions because a use is claimed by a conditional UPDATE in
the redeeming transaction (see storage/promos.py).

Guessing is slowed down in memory, per process: after ``WRONG_CODE_LIMIT`` unknown codes in
``WRONG_CODE_WINDOW`` seconds a user must wait until the oldest of them is out of the window.
A restart forgets the count, which only gives a guesser a few more tries.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.core.errors import (
    PromoAlreadyRedeemedError,
    PromoDiscountPendingError,
    PromoExpiredError,
    PromoSpecError,
    PromoTooManyAttemptsError,
    PromoUnknownError,
    PromoUsedUpError,
)
from bot.core.ids import parse_id
from bot.core.money import InvalidAmountError, Money
from bot.services.ordering import Quote
from storage.errors import DuplicateEntryError
from storage.ledger import EntryKind
from storage.promos import (
    AlreadyRedeemedError,
    DiscountPendingError,
    PromoCode,
    PromoCodeExistsError,
)
from storage.repository import Repository

logger = logging.getLogger(__name__)

WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = 600.0  # seconds
MAX_USES = 1_000_000
_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
_PERCENT = re.compile(r"^([0-9]{1,2}(?:[.,][0-9]{1,2})?)%$")


def normalize_code(text: str) -> str | None:
    """The stored form of a code (upper-case), or None if it cannot be one."""
    code = text.strip()
    return code.upper() if _CODE.match(code) else None


def promo_reference(code: str, user_id: int) -> str:
    return f"promo:{code}:{user_id}"


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class PromoSpec:
    """What an admin's ``/promo add`` asks for."""

    code: str
    amount: Money | None
    percent: Decimal | None
    max_uses: int | None
    valid_until: str | None


def parse_promo_spec(arguments: list[str], today: str) -> PromoSpec:
    """``<CODE> <amount>|<percent>% [uses=<N>] [until=<YYYY-MM-DD>]``, or PromoSpecError."""
    if len(arguments) < 2:
        raise PromoSpecError()
    code = normalize_code(arguments[0])
    if code is None:
        raise PromoSpecError("promo-admin-bad-code")
    amount: Money | None = None
    percent: Decimal | None = None
    value = arguments[1]
    percent_match = _PERCENT.match(value)
    if percent_match:
        percent = Decimal(percent_match.group(1).replace(",", "."))
        if not 0 < percent < 100:
            raise PromoSpecError("promo-admin-bad-percent")
    elif value.endswith("%"):
        raise PromoSpecError("promo-admin-bad-percent")
    else:
        try:
            amount = Money.parse(value)
        except InvalidAmountError:
            raise PromoSpecError("promo-admin-bad-amount") from None
    max_uses: int | None = None
    valid_until: str | None = None
    for option in arguments[2:]:
        name, _, raw = option.partition("=")
        name = name.lower()
        uses = parse_id(raw, maximum=MAX_USES) if name == "uses" else None
        if uses is not None and max_uses is None:
            max_uses = uses
        elif name == "until" and valid_until is None:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                raise PromoSpecError("promo-admin-bad-date") from None
            if len(raw) != 10 or day.isoformat() < today:
                raise PromoSpecError("promo-admin-bad-date")
            valid_until = day.isoformat()
        else:
            raise PromoSpecError()
    return PromoSpec(code, amount, percent, max_uses, valid_until)


@dataclass(frozen=True, slots=True)
class Redeemed:
    code: str
    amount: Money | None  # credited now
    percent: Decimal | None  # off the next order
    balance: Money


class WrongCodeLimiter:
    """Failed attempts per user in a sliding window, in memory."""

    def __init__(
        self,
        limit: int = WRONG_CODE_LIMIT,
        window: float = WRONG_CODE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._failures: dict[int, deque[float]] = {}

    def _recent(self, user_id: int) -> deque[float]:
        failures = self._failures.get(user_id)
        if failures is None:
            return deque()
        horizon = self._clock() - self._window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[user_id]
        return failures

    def wait_seconds(self, user_id: int) -> float:
        """How long the user must wait before trying again (0: they may try now)."""
        failures = self._recent(user_id)
        if len(failures) < self._limit:
            return 0.0
        return max(0.0, failures[-self._limit] + self._window - self._clock())

    def failed(self, user_id: int) -> None:
        self._recent(user_id)
        self._failures.setdefault(user_id, deque(maxlen=self._limit)).append(self._clock())


class Promotions:
    def __init__(
        self,
        repo: Repository,
        *,
        limiter: WrongCodeLimiter | None = None,
        today: Callable[[], str] = today_utc,
    ) -> None:
        self._repo = repo
        self._limiter = limiter or WrongCodeLimiter()
        self._today = today

    # --- admins --------------------------------------------------------------------------

    async def create(self, arguments: list[str], admin_id: int) -> PromoSpec:
        spec = parse_promo_spec(arguments, self._today())
        try:
            await self._repo.promos.create(
                spec.code,
                amount=spec.amount,
                percent=spec.percent,
                max_uses=spec.max_uses,
                valid_until=spec.valid_until,
                created_by=admin_id,
            )
        except PromoCodeExistsError:
            raise PromoSpecError("promo-admin-exists", code=spec.code) from None
        logger.info("Admin %s created promo code %s", admin_id, spec.code)
        return spec

    async def codes(self) -> list[PromoCode]:
        return await self._repo.promos.all()

    async def turn_off(self, text: str) -> str:
        code = normalize_code(text)
        if code is None or not await self._repo.promos.deactivate(code):
            raise PromoSpecError("promo-admin-not-found", code=text.strip()[:32])
        return code

    # --- customers -----------------------------------------------------------------------

    async def redeem(self, user_id: int, text: str) -> Redeemed:
        """Redeem a code for the user, or raise the Promo*Error that explains why not."""
        wait = self._limiter.wait_seconds(user_id)
        if wait > 0:
            raise PromoTooManyAttemptsError(minutes=max(1, -(-int(wait) // 60)))
        code = normalize_code(text)
        promo = None if code is None else await self._repo.promos.get(code)
        if code is None or promo is None or not promo.active:
            self._limiter.failed(user_id)
            raise PromoUnknownError()
        today = self._today()
        if promo.valid_until is not None and promo.valid_until < today:
            raise PromoExpiredError()
        try:
            async with self._repo.database.transaction():
                await self._repo.promos.add_redemption(code, user_id, promo.percent)
                if not await self._repo.promos.claim_use(code, today):
                    raise PromoUsedUpError()  # rolls the redemption back
                if promo.amount is not None:
                    await self._repo.ledger.post(
                        user_id,
                        EntryKind.PROMO,
                        promo.amount,
                        reference=promo_reference(code, user_id),
                        note=f"promo code {code}",
                    )
        except (AlreadyRedeemedError, DuplicateEntryError):
            raise PromoAlreadyRedeemedError() from None
        except DiscountPendingError:
            raise PromoDiscountPendingError() from None
        except PromoUsedUpError:
            # Turned off or expired between the read above and the claim: say so precisely.
            current = await self._repo.promos.get(code)
            if current is None or not current.active:
                raise PromoUnknownError() from None
            if current.valid_until is not None and current.valid_until < today:
                raise PromoExpiredError() from None
            raise
        logger.info("User %s redeemed promo code %s", user_id, code)
        balance = await self._repo.ledger.balance(user_id)
        return Redeemed(code, promo.amount, promo.percent, balance)

    async def apply_discount(self, user_id: int, quote: Quote) -> Quote:
        return await with_pending_discount(self._repo, user_id, quote)


async def with_pending_discount(repo: Repository, user_id: int, quote: Quote) -> Quote:
    """The quote with the user's pending percent discount taken off (rounded down), if any.

    The discount is spent only when the order is charged (OrderingService.place).
    """
    pending = await repo.promos.pending_discount(user_id)
    if pending is None:
        return quote
    discount = quote.price.percent(pending.percent)
    if not discount.is_positive:
        return quote
    return dataclasses.replace(
        quote,
        price_micros=(quote.price - discount).micros,
        discount_micros=discount.micros,
        promo_code=pending.code,
        promo_percent=str(pending.percent),
    )


__all__ = [
    "PromoSpec",
    "Promotions",
    "Redeemed",
    "WrongCodeLimiter",
    "normalize_code",
    "parse_promo_spec",
    "with_pending_discount",
]
