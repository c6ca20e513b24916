"""Referrals: invite links, binding a new user to whoever invited them, and the bonus.

The bonus is ``REFERRAL_PERCENT`` % of every top-up an invited user pays, rounded down to the
micro-unit, credited to the referrer as a ``referral`` ledger entry whose reference is the
payment's own: the unique (kind, reference) index makes it once per payment whatever is
redelivered. :meth:`ReferralProgram.reward_payment` is called by the one crediting path of
every payment rail (bot/services/payments/rails.py, TopupCrediting) inside the payment's
transaction, so the bonus and its notification commit (or roll back) with the payment.
Admin credits and promo credits never go through it.
"""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal

from aiogram import Bot

from bot.core.money import Money
from storage.errors import DuplicateEntryError
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
