"""Referrals: invite links, binding a new user to whoever invited them, and the bonus.

The bonus is ``REFERRAL_PERCENT`` % of every top-up an invited user pays, rounded down to the
micro-unit, credited to the referrer as a ``referral`` ledger entry whose reference is the
payment's own: the unique (kind, reference) index makes it once per payment whatever is
redelivered. :meth:`ReferralProgram.reward_payment` is called by the one crediting path of
every payment rail (bot/services/payments/rails.py, TopupCrediting) inside the payment's
transaction, so the bonus and its notification commit (or roll back) with the payment.
Admin credits and promo credits never go through it. A referrer who is banned when the
payment arrives earns nothing from it (a later unban does not pay it afterwards).

When a paid top-up is refunded (``/refund``), :meth:`ReferralProgram.take_back` takes its
bonus back in the refund's transaction as a ``referral_reversal`` entry under the same
reference (its own once-only index): at most what the referrer has left, since a balance
never goes below zero; what they already spent stays spent, and the admin is told.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from aiogram import Bot

from bot.core.money import Money
from storage.errors import DuplicateEntryError, InsufficientBalanceError
from storage.ledger import EntryKind
from storage.outbox import NOTIFY_REFERRAL_BONUS
from storage.referrals import ReferralStats
from storage.repository import Repository

logger = logging.getLogger(__name__)

START_PREFIX = "ref_"
_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes get retyped
_CODE_LENGTH = 8


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def invite_code_from_start(argument: str | None) -> str | None:
    """The invite code in a ``/start ref_<code>`` argument, or None."""
    if not argument or not argument.startswith(START_PREFIX):
        return None
    code = argument.removeprefix(START_PREFIX)
    if not 1 <= len(code) <= 32 or not code.isascii() or not code.isalnum():
        return None
    return code.lower()


@dataclass(frozen=True, slots=True)
class Clawback:
    """A refunded payment's referral bonus, and how much of it was taken back."""

    referrer_id: int
    bonus: Money
    taken: Money

    @property
    def kept(self) -> Money:
        """What the referrer had already spent and keeps."""
        return self.bonus - self.taken


# Tries at taking back the bonus when the referrer's balance shrinks under our feet (a
# concurrent order on PostgreSQL): each try takes what is there then.
_TAKE_BACK_TRIES = 3


class ReferralProgram:
    def __init__(self, repo: Repository, percent: Decimal) -> None:
        self._repo = repo
        self.percent = percent

    @property
    def enabled(self) -> bool:
        return self.percent > 0

    async def code_for(self, user_id: int) -> str:
        """The user's invite code, made on first use and the same ever after."""
        while True:
            existing = await self._repo.referrals.code_of(user_id)
            if existing is not None:
                return existing
            await self._repo.referrals.add_code(user_id, _new_code())

    async def invite_link(self, bot: Bot, user_id: int) -> str:
        me = await bot.me()  # aiogram keeps the answer: one getMe per process
        return f"https://t.me/{me.username}?start={START_PREFIX}{await self.code_for(user_id)}"

    async def bind(self, user_id: int, code: str, *, is_new_user: bool) -> int | None:
        """Bind a user to the owner of ``code`` on their very first /start; returns the
        referrer, or None when nothing was bound (programme off, not a new user, unknown
        code, their own code, already bound)."""
        if not self.enabled or not is_new_user:
            return None
        referrer_id = await self._repo.referrals.owner_of(code)
        if referrer_id is None or referrer_id == user_id:
            return None
        if not await self._repo.referrals.bind(user_id, referrer_id):
            return None
        logger.info("User %s joined through user %s's invite", user_id, referrer_id)
        return referrer_id

    async def stats(self, user_id: int) -> ReferralStats:
        return await self._repo.referrals.stats(user_id)

    async def reward_payment(self, user_id: int, paid: Money, reference: str) -> Money | None:
        """Credit the referrer's share of a payment the user just paid; None if there is none.

        Must run inside the transaction that credits the payment (it raises if not), so the
        bonus exists exactly when the payment's credit does. A payment seen twice is
        rewarded once (the ledger's unique index); the referrer's message is queued in the
        outbox with the bonus.
        """
        if not self._repo.database.in_transaction():
            raise RuntimeError("reward_payment must run inside the payment's transaction")
        if not self.enabled or not paid.is_positive:
            return None
        referrer_id = await self._repo.referrals.referrer_of(user_id)
        if referrer_id is None:
            return None
        referrer = await self._repo.users.get(referrer_id)
        if referrer is None or referrer.banned:
            logger.info("No referral bonus for banned user %s (payment %s)", referrer_id, reference)
            return None
        bonus = paid.percent(self.percent)
        if not bonus.is_positive:
            return None
        try:
            await self._repo.ledger.post(
                referrer_id,
                EntryKind.REFERRAL,
                bonus,
                reference=reference,
                note=f"{self.percent}% of a top-up by user {user_id}",
            )
        except DuplicateEntryError:
            return None
        await self._repo.outbox.add(
            referrer_id,
            NOTIFY_REFERRAL_BONUS,
            f"referral:{reference}",
            {"amount_micros": bonus.micros},
        )
        return bonus

    async def take_back(self, reference: str) -> Clawback | None:
        """Take back the bonus the payment ``reference`` earned, as far as the referrer's
        balance goes; None when it earned none (or it was taken back already).

        Must run inside the refund's transaction (it raises if not): the bonus goes back
        exactly when the refund is booked. The reversal's unique reference makes it once
        per payment; the programme being off now does not matter, the bonus was paid.
        """
        database = self._repo.database
        if not database.in_transaction():
            raise RuntimeError("take_back must run inside the refund's transaction")
        bonus = await self._repo.ledger.find(EntryKind.REFERRAL, reference)
        if bonus is None or await self._repo.ledger.exists(EntryKind.REFERRAL_REVERSAL, reference):
            return None
        referrer_id = bonus.user_id
        for _ in range(_TAKE_BACK_TRIES):
            taken = min(bonus.amount, await self._repo.ledger.balance(referrer_id))
            if not taken.is_positive:
                break
            try:
                async with database.savepoint():
                    await self._repo.ledger.post(
                        referrer_id,
                        EntryKind.REFERRAL_REVERSAL,
                        -taken,
                        reference=reference,
                        note="the payment that earned it was refunded",
                    )
            except InsufficientBalanceError:
                continue  # spent meanwhile: take what is left now
            except DuplicateEntryError:
                return None  # another refund of this payment took it back just now
            logger.info(
                "Took back %s of user %s's referral bonus %s", taken, referrer_id, reference
            )
            return Clawback(referrer_id, bonus.amount, taken)
        logger.info(
            "User %s's referral bonus %s was spent: nothing taken back", referrer_id, reference
        )
        return Clawback(referrer_id, bonus.amount, Money.zero())
