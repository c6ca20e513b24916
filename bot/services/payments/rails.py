"""What every payment rail shares: the interface, the amount limits, and the one crediting path.

A rail (Stars, Crypto Pay, a manual transfer, and later YooMoney, Cryptomus, Stripe…) is one
module with a class that satisfies :class:`PaymentRail`: it creates a top-up for an amount and
learns its outcome; it never writes to the ledger itself. Crediting goes through
:class:`TopupCrediting`, where the top-up's guarded move to ``paid``, the ledger entry (unique
``(kind, reference)``, the reference made of the rail and the provider's payment id) and the
receipt in the outbox commit together, so a payment reported twice (a webhook and a poll,
two admins, a redelivered update) is credited once, and a crash never leaves half of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.errors import StorefrontError
from bot.core.money import Money
from bot.services.referrals import Clawback, ReferralProgram
from storage.errors import DuplicateEntryError
from storage.ledger import EntryKind
from storage.outbox import NOTIFY_TOPUP_CLOSED, NOTIFY_TOPUP_PAID
from storage.repository import Repository
from storage.topups import EXPIRED, PAID, PENDING, REJECTED, Topup

logger = logging.getLogger(__name__)


# TOPUP_EXPIRY_MINUTES: how long a Crypto Pay invoice, and a manual request without proof,
# stay open.
DEFAULT_EXPIRY_MINUTES = 60


class RailName(StrEnum):
    """A rail's id: in the topups table, the callback data and the ledger reference."""

    STARS = "stars"
    CRYPTOPAY = "cryptopay"
    MANUAL = "manual"


class TopupError(StorefrontError):
    """A top-up or refund cannot go ahead; ``message_id`` explains why."""

    def __init__(self, message_id: str, **arguments: object) -> None:
        self.message_id = message_id
        super().__init__(**arguments)


@dataclass(frozen=True, slots=True)
class TopupLimits:
    """TOPUP_MIN, TOPUP_MAX and TOPUP_PRESETS: the same for every rail."""

    minimum: Money
    maximum: Money
    presets: tuple[Money, ...] = ()

    def check(self, amount: Money) -> None:
        if amount < self.minimum or amount > self.maximum:
            raise TopupError("topup-out-of-range", minimum=self.minimum, maximum=self.maximum)


@dataclass(frozen=True, slots=True)
class Checkout:
    """A top-up created at a rail, and where the customer pays it (a hosted page, if any)."""

    topup_id: int
    amount: Money
    url: str | None = None


class PaymentRail(Protocol):
    """One way to pay. ``poll_seconds`` is how often :meth:`poll` runs (None: never)."""

    name: str
    poll_seconds: float | None

    @property
    def expiry_minutes(self) -> int | None:
        """How long a top-up stays payable (TOPUP_EXPIRY_MINUTES), or None where the rail
        has no say (Stars: Telegram's invoice)."""
        ...

    async def create(self, user_id: int, amount: Money) -> Checkout:
        """Create a top-up of ``amount`` (within the limits) for the user."""
        ...

    async def poll(self) -> None:
        """Learn the outcome of open top-ups the provider does not report by itself."""
        ...


def ledger_reference(rail: str, provider_payment_id: str) -> str:
    """The ledger reference of a top-up credit: once per rail and provider payment id.

    Stars keeps the bare charge id its entries had before there were other rails.
    """
    if rail == RailName.STARS:
        return provider_payment_id
    return f"{rail}:{provider_payment_id}"


@dataclass(frozen=True, slots=True)
class Settlement:
    topup_id: int
    amount: Money
    balance: Money
    first_time: bool


class _AlreadySettled(Exception):
    pass


class TopupCrediting:
    """The one path by which a top-up of any rail reaches a balance."""

    def __init__(
        self,
        repo: Repository,
        currency: str = "",
        *,
        on_queued: Callable[[], None] | None = None,
        referrals: ReferralProgram | None = None,
    ) -> None:
        self._repo = repo
        self.currency = currency
        self._on_queued = on_queued
        self._referrals = referrals

    async def _book(self, user_id: int, amount: Money, reference: str, note: str) -> bool:
        """The payment's ledger entry and its referrer's share, in the caller's transaction
        (every rail credits through here; admin and promo credits never do). True when a
        referral bonus was booked, whose message is queued."""
        await self._repo.ledger.post(
            user_id, EntryKind.TOPUP, amount, reference=reference, note=note
        )
        if self._referrals is None:
            return False
        return await self._referrals.reward_payment(user_id, amount, reference) is not None

    async def take_back_referral(self, rail: str, provider_payment_id: str) -> Clawback | None:
        """A refunded payment's referral bonus taken back, in the refund's transaction (see
        ReferralProgram.take_back); None when it earned none."""
        if self._referrals is None:
            return None
        return await self._referrals.take_back(ledger_reference(rail, provider_payment_id))

    async def record_paid(
        self,
        *,
        rail: str,
        user_id: int,
        amount: Money,
        provider_payment_id: str,
        note: str,
    ) -> Settlement:
        """Credit a payment that arrives already made (Stars), without a queued receipt: the
        rail answers in the chat the payment arrived in. Joins the caller's transaction."""
        reference = ledger_reference(rail, provider_payment_id)
        try:
            async with self._repo.database.transaction():
                topup_id = await self._repo.topups.add_paid(
                    rail=rail,
                    user_id=user_id,
                    amount=amount,
                    currency=self.currency,
                    provider_payment_id=provider_payment_id,
                )
                if topup_id is None:
                    raise _AlreadySettled
                rewarded = await self._book(user_id, amount, reference, note)
        except (_AlreadySettled, DuplicateEntryError):
            balance = await self._repo.ledger.balance(user_id)
            return Settlement(0, amount, balance, first_time=False)
        if rewarded:
            self._queued()
        balance = await self._repo.ledger.balance(user_id)
        return Settlement(topup_id, amount, balance, first_time=True)

    async def credit(
        self,
        topup: Topup,
        *,
        provider_payment_id: str,
        amount: Money,
        note: str,
        expected: Iterable[str] = (PENDING, EXPIRED),
        decided_by: int | None = None,
    ) -> Settlement:
        """Move the top-up to ``paid``, credit it and queue its receipt, all or nothing.

        ``expected`` are the statuses it may be paid from: a provider's "paid" wins over our
        "expired" (paid is paid); a top-up already paid or rejected is left alone.
        """
        reference = ledger_reference(topup.rail, provider_payment_id)
        try:
            async with self._repo.database.transaction():
                moved = await self._repo.topups.move(
                    topup.id,
                    PAID,
                    expected=tuple(expected),
                    provider_payment_id=provider_payment_id,
                    decided_by=decided_by,
                    amount=amount,
                )
                if not moved:
                    raise _AlreadySettled
                await self._book(topup.user_id, amount, reference, note)
                balance = await self._repo.ledger.balance(topup.user_id)
                await self._repo.outbox.add(
                    topup.user_id,
                    NOTIFY_TOPUP_PAID,
                    f"topup:{topup.id}:paid",
                    {
                        "topup_id": topup.id,
                        "amount_micros": amount.micros,
                        "balance_micros": balance.micros,
                    },
                )
        except (_AlreadySettled, DuplicateEntryError):
            balance = await self._repo.ledger.balance(topup.user_id)
            return Settlement(topup.id, amount, balance, first_time=False)
        logger.info(
            "User %s topped up %s by %s (top-up %s)", topup.user_id, amount, topup.rail, topup.id
        )
        self._queued()
        return Settlement(topup.id, amount, balance, first_time=True)

    async def close(
        self,
        topup: Topup,
        status: str,
        *,
        expected: Sequence[str],
        decided_by: int | None = None,
        reason: str | None = None,
    ) -> bool:
        """End an unpaid top-up (expired, rejected) and tell the customer, once."""
        assert status in (EXPIRED, REJECTED)
        async with self._repo.database.transaction():
            moved = await self._repo.topups.move(
                topup.id, status, expected=expected, decided_by=decided_by, reason=reason
            )
            if not moved:
                return False
            await self._repo.outbox.add(
                topup.user_id,
                NOTIFY_TOPUP_CLOSED,
                f"topup:{topup.id}:{status}",
                {"topup_id": topup.id, "status": status},
            )
        self._queued()
        return True

    def _queued(self) -> None:
        # After the commit: a caller's transaction may still be open (Stars joins one), and
        # a sender woken before it commits reads nothing on PostgreSQL and sleeps on.
        if self._on_queued is not None:
            self._repo.database.after_commit(self._on_queued)


class Rails:
    """The enabled rails in the order the top-up screen lists them, and their shared limits."""

    def __init__(self, limits: TopupLimits, rails: Sequence[PaymentRail]) -> None:
        self.limits = limits
        self._rails = {rail.name: rail for rail in rails}

    @property
    def names(self) -> list[str]:
        return list(self._rails)

    def get(self, name: str) -> PaymentRail | None:
        return self._rails.get(name)

    def __iter__(self) -> Iterator[PaymentRail]:
        return iter(self._rails.values())
