"""Top-ups paid with Telegram Stars (currency XTR, no provider token).

The customer picks an amount of the shop currency; the invoice asks for
``ceil(amount × STARS_PER_UNIT)`` Stars. The invoice payload carries the amount, so what is
credited is exactly what the customer was shown. The balance is credited only on
``successful_payment``, once per ``telegram_payment_charge_id`` (the ledger's unique index).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.core.money import Money
from bot.core.stars import MAX_STARS_PER_INVOICE
from bot.services.payments.rails import (
    Checkout,
    RailName,
    TopupCrediting,
    TopupError,
    TopupLimits,
)
from bot.services.referrals import Clawback
from storage.errors import DuplicateEntryError, InsufficientBalanceError
from storage.ledger import EntryKind
from storage.payments import PAID, REFUNDED, REFUNDING
from storage.repository import Repository

logger = logging.getLogger(__name__)

STARS_CURRENCY = "XTR"

_PAYLOAD = re.compile(r"^topup:([0-9]{1,18})$")


@dataclass(frozen=True, slots=True)
class TopupQuote:
    amount: Money
    stars: int

    @property
    def payload(self) -> str:
        return f"topup:{self.amount.micros}"


@dataclass(frozen=True, slots=True)
class StarsRefund:
    """A refunded payment: what left the payer's balance, and its referrer's bonus taken
    back (None: it earned none, or an earlier /refund finished this one)."""

    amount: Money
    clawback: Clawback | None = None


@dataclass(frozen=True, slots=True)
class Credited:
    amount: Money
    stars: int
    balance: Money
    first_time: bool


class StarsTopups:
    """The Stars rail. Telegram holds the invoice until it is paid, so the top-up row is
    written when the payment arrives (``successful_payment``), together with its credit."""

    name = RailName.STARS.value
    poll_seconds: float | None = None  # Telegram delivers every payment as an update
    expiry_minutes: int | None = None  # Telegram's invoice

    def __init__(
        self,
        repo: Repository,
        *,
        stars_per_unit: Decimal,
        minimum: Decimal,
        maximum: Decimal,
        crediting: TopupCrediting | None = None,
    ) -> None:
        self._repo = repo
        self.stars_per_unit = stars_per_unit
        self.minimum = Money.from_decimal(minimum)
        self.maximum = Money.from_decimal(maximum)
        self._limits = TopupLimits(self.minimum, self.maximum)
        self._crediting = crediting or TopupCrediting(repo)

    async def create(self, user_id: int, amount: Money) -> Checkout:
        """Nothing to record before the payment: the quote is the invoice to send."""
        self.quote(amount)
        return Checkout(topup_id=0, amount=amount)

    async def poll(self) -> None:
        return None

    def quote(self, amount: Money) -> TopupQuote:
        """Stars for an amount, or TopupError when it is outside the limits."""
        self._limits.check(amount)
        stars = int((amount.as_decimal() * self.stars_per_unit).to_integral_value(ROUND_CEILING))
        if stars > MAX_STARS_PER_INVOICE:
            # The settings are checked against this at start-up; this guards any other caller.
            raise TopupError("topup-over-stars-limit", stars=stars, limit=MAX_STARS_PER_INVOICE)
        return TopupQuote(amount, max(stars, 1))

    def quote_payload(self, payload: str) -> TopupQuote:
        match = _PAYLOAD.match(payload)
        if match is None:
            raise TopupError("topup-invalid-invoice")
        return self.quote(Money(int(match.group(1))))

    async def check_pre_checkout(
        self, user_id: int, payload: str, currency: str, total_amount: int
    ) -> None:
        """Everything Telegram's pre-checkout needs to know, answered without the network."""
        user = await self._repo.users.get(user_id)
        if user is None:
            raise TopupError("topup-start-first")
        if user.banned:
            raise TopupError("banned")
        quote = self.quote_payload(payload)
        if currency != STARS_CURRENCY or total_amount != quote.stars:
            raise TopupError("topup-invalid-invoice")

    async def credit(
        self,
        *,
        user_id: int,
        charge_id: str,
        provider_charge_id: str | None,
        payload: str,
        stars: int,
    ) -> Credited:
        """Credit a successful payment, once per charge id whatever Telegram redelivers."""
        match = _PAYLOAD.match(payload)
        if match is None:
            # Paid is paid: an unreadable payload must not lose the customer's money.
            amount = Money.from_decimal(Decimal(stars) / self.stars_per_unit)
            logger.error("Payment %s has an unreadable payload; crediting by Stars", charge_id)
        else:
            amount = Money(int(match.group(1)))
        first_time = True
        async with self._repo.database.transaction():
            recorded = await self._repo.payments.add(
                charge_id=charge_id,
                provider_charge_id=provider_charge_id,
                user_id=user_id,
                stars=stars,
                amount=amount,
                payload=payload,
            )
            if recorded:
                settled = await self._crediting.record_paid(
                    rail=self.name,
                    user_id=user_id,
                    amount=amount,
                    provider_payment_id=charge_id,
                    note=f"{stars} XTR",
                )
                first_time = settled.first_time
            else:
                first_time = False
        balance = await self._repo.ledger.balance(user_id)
        if first_time:
            logger.info("User %s topped up %s with %s Stars", user_id, amount, stars)
        return Credited(amount, stars, balance, first_time)

    async def refund(self, bot: Bot, charge_id: str) -> StarsRefund:
        """Give the Stars back and take the credited amount off the balance, if unspent.

        The debit is written first (status ``refunding``), then Telegram is asked; a refusal
        puts the money back (status ``paid`` again, so the owner can try later), and a crash
        in between leaves ``refunding`` for the next ``/refund`` to finish (Telegram answers
        CHARGE_ALREADY_REFUNDED if it did it). Each attempt's debit has its own reference,
        and putting it back is a guarded status change plus a credit under that reference
        in the once-only index, so two refusals of one attempt put it back once.

        Once Telegram has given the Stars back, the move to ``refunded`` and the referrer's
        bonus taken back commit together: only the call that makes that move takes it.
        """
        payment = await self._repo.payments.get(charge_id)
        if payment is None:
            raise TopupError("admin-refund-not-found")
        if payment.status == REFUNDED:
            raise TopupError("admin-refund-already")
        if payment.status == PAID:
            try:
                async with self._repo.database.transaction():
                    # Claiming the payment inside the transaction: two /refund at once must
                    # not both debit it.
                    if not await self._repo.payments.set_status(
                        charge_id, REFUNDING, expected=PAID
                    ):
                        raise TopupError("admin-refund-in-progress")
                    attempt = await self._next_refund_reference(charge_id)
                    await self._repo.ledger.post(
                        payment.user_id,
                        EntryKind.TOPUP_REFUND,
                        -payment.amount,
                        reference=attempt,
                        note=f"{payment.stars} XTR refunded",
                    )
            except InsufficientBalanceError:
                balance = await self._repo.ledger.balance(payment.user_id)
                raise TopupError("admin-refund-spent", balance=balance) from None
        else:
            # Refunding already (another /refund is waiting for Telegram, or one was cut
            # short by a crash): this call finishes, or undoes, that same attempt.
            attempt = await self._last_refund_reference(charge_id)
        try:
            await bot.refund_star_payment(
                user_id=payment.user_id, telegram_payment_charge_id=charge_id
            )
        except TelegramBadRequest as error:
            if "ALREADY_REFUNDED" not in error.message.upper():
                await self._undo_refund(
                    payment.user_id, charge_id, payment.amount, attempt_reference=attempt
                )
                raise TopupError("admin-refund-refused", reason=error.message) from None
        except TelegramAPIError as error:
            raise TopupError("admin-refund-retry", reason=error.message) from None
        clawback = None
        async with self._repo.database.transaction():
            if await self._repo.payments.set_status(charge_id, REFUNDED, expected=REFUNDING):
                clawback = await self._crediting.take_back_referral(self.name, charge_id)
        logger.info("Refunded payment %s (%s Stars)", charge_id, payment.stars)
        return StarsRefund(payment.amount, clawback)

    @staticmethod
    def _attempt_reference(charge_id: str, attempt: int) -> str:
        return charge_id if attempt == 1 else f"{charge_id}#{attempt}"

    async def _next_refund_reference(self, charge_id: str) -> str:
        """The charge id; after attempts Telegram refused (and that were undone), ``#2``, ``#3``…

        A refusal (say, the bot's own Stars balance was too low) must not block the refund
        for good: each attempt's debit needs its own reference in the once-only ledger index.
        """
        attempt = 1
        while await self._repo.ledger.exists(
            EntryKind.TOPUP_REFUND, self._attempt_reference(charge_id, attempt)
        ):
            attempt += 1
        return self._attempt_reference(charge_id, attempt)

    async def _last_refund_reference(self, charge_id: str) -> str:
        """The reference of the latest attempt's debit (the one a ``refunding`` status means)."""
        attempt = 1
        while await self._repo.ledger.exists(
            EntryKind.TOPUP_REFUND, self._attempt_reference(charge_id, attempt + 1)
        ):
            attempt += 1
        return self._attempt_reference(charge_id, attempt)

    async def _undo_refund(
        self, user_id: int, charge_id: str, amount: Money, *, attempt_reference: str
    ) -> None:
        """Put back one attempt's debit: only from ``refunding``, and once per attempt.

        The status change is checked and the credit's reference is the attempt's, unique
        under the ledger's once-only index; both commit together or not at all. A second
        refusal of the same attempt finds the status changed, and a stale refusal of an
        earlier attempt finds its credit already there: neither puts money back again.
        """
        try:
            async with self._repo.database.transaction():
                if not await self._repo.payments.set_status(charge_id, PAID, expected=REFUNDING):
                    logger.info("Refund of %s was already undone", charge_id)
                    return
                await self._repo.ledger.post(
                    user_id,
                    EntryKind.TOPUP_REFUND_UNDONE,
                    amount,
                    reference=attempt_reference,
                    note="Telegram refused the Stars refund",
                )
        except DuplicateEntryError:
            logger.warning(
                "Refund attempt %s of %s was already undone; a later attempt is left alone",
                attempt_reference,
                charge_id,
            )
