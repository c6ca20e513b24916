"""The manual rail: the customer transfers money by the owner's instructions, sends proof, and
an admin approves or rejects the request.

A request is a top-up row: ``pending`` until the proof arrives, ``review`` while admins decide,
then ``paid`` or ``rejected``. A request whose proof never comes expires after
``TOPUP_EXPIRY_MINUTES`` (checked every minute), and the customer is told once through the
outbox, as of any other top-up that closes unpaid; proof sent after that is refused (the
request is gone) and a new request is one /topup away. Every decision is a guarded status
change from ``review``, so of two admins pressing at the same moment one decides and the
other is told who did; approving credits through the shared path (ledger reference
``manual:<request id>``, once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.money import Money
from bot.services.payments.rails import (
    DEFAULT_EXPIRY_MINUTES,
    Checkout,
    RailName,
    TopupCrediting,
    TopupError,
    TopupLimits,
)
from storage.database import format_time
from storage.repository import Repository
from storage.topups import EXPIRED, PAID, PENDING, REJECTED, REVIEW, Topup

logger = logging.getLogger(__name__)

PROOF_PHOTO = "photo"
PROOF_DOCUMENT = "document"
PROOF_TEXT = "text"
PROOF_KINDS = (PROOF_PHOTO, PROOF_DOCUMENT, PROOF_TEXT)
PROOF_TEXT_LIMIT = 2000
# How often requests without proof are checked for expiry: a minute late at most.
EXPIRY_CHECK_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Proof:
    kind: str
    chat_id: int
    message_id: int
    text: str | None = None


class ManualTopups:
    name = RailName.MANUAL.value
    # Nobody to ask (admins decide): the poll only expires requests whose proof never came.
    poll_seconds: float | None = EXPIRY_CHECK_SECONDS

    def __init__(
        self,
        repo: Repository,
        crediting: TopupCrediting,
        limits: TopupLimits,
        *,
        instructions: str,
        currency: str,
        expiry_minutes: int = DEFAULT_EXPIRY_MINUTES,
    ) -> None:
        self._repo = repo
        self._crediting = crediting
        self._limits = limits
        self.instructions = instructions
        self.currency = currency
        self.expiry_minutes = expiry_minutes

    async def create(self, user_id: int, amount: Money) -> Checkout:
        """A request waiting for the customer's proof."""
        self._limits.check(amount)
        topup_id = await self._repo.topups.create(
            rail=self.name, user_id=user_id, amount=amount, currency=self.currency
        )
        return Checkout(topup_id, amount)

    async def poll(self) -> None:
        await self.expire_stale()

    async def expire_stale(self, now: datetime | None = None) -> int:
        """Expire the requests still waiting for proof after ``expiry_minutes``, telling each
        customer once; how many were expired now."""
        moment = now or datetime.now(UTC)
        before = format_time(moment - timedelta(minutes=self.expiry_minutes))
        expired = 0
        for topup in await self._repo.topups.open(self.name, status=PENDING, created_before=before):
            # Guarded by the status: proof arriving at this moment wins or loses cleanly.
            if await self._crediting.close(topup, EXPIRED, expected=(PENDING,)):
                expired += 1
                logger.info("Manual top-up %s expired without proof", topup.id)
        return expired

    async def attach_proof(self, topup_id: int, user_id: int, proof: Proof) -> Topup:
        """The proof of the customer's own pending request; it goes to review."""
        if proof.kind not in PROOF_KINDS:
            raise TopupError("manual-proof-kind")
        text = proof.text[:PROOF_TEXT_LIMIT] if proof.text is not None else None
        attached = await self._repo.topups.set_proof(
            topup_id,
            user_id=user_id,
            kind=proof.kind,
            chat_id=proof.chat_id,
            message_id=proof.message_id,
            text=text,
        )
        topup = await self._repo.topups.get(topup_id)
        if not attached or topup is None:
            raise TopupError("manual-request-gone")
        logger.info("Manual top-up %s of user %s is waiting for an admin", topup_id, user_id)
        return topup

    async def approve(self, topup_id: int, admin_id: int) -> Topup:
        """Credit the request, once; TopupError naming who decided if someone already did."""
        topup = await self._reviewable(topup_id)
        settled = await self._crediting.credit(
            topup,
            provider_payment_id=str(topup.id),
            amount=topup.amount,
            note=f"manual transfer #{topup.id}",
            expected=(REVIEW,),
            decided_by=admin_id,
        )
        if not settled.first_time:
            raise await self._decided(topup_id)
        logger.info("Admin %s approved manual top-up %s", admin_id, topup_id)
        return await self._get(topup_id)

    async def check_open(self, topup_id: int) -> Topup:
        """The request, if it still waits for a decision (before asking for a reason)."""
        return await self._reviewable(topup_id)

    async def reject(self, topup_id: int, admin_id: int, reason: str) -> Topup:
        """Refuse the request and tell the customer why, once."""
        topup = await self._reviewable(topup_id)
        closed = await self._crediting.close(
            topup, REJECTED, expected=(REVIEW,), decided_by=admin_id, reason=reason.strip()[:500]
        )
        if not closed:
            raise await self._decided(topup_id)
        logger.info("Admin %s rejected manual top-up %s", admin_id, topup_id)
        return await self._get(topup_id)

    async def waiting(self, limit: int = 50) -> list[Topup]:
        """Requests with proof, waiting for an admin, oldest first."""
        return await self._repo.topups.open(self.name, status=REVIEW, limit=limit)

    async def _get(self, topup_id: int) -> Topup:
        topup = await self._repo.topups.get(topup_id)
        if topup is None or topup.rail != self.name:
            raise TopupError("manual-not-found", id=topup_id)
        return topup

    async def _reviewable(self, topup_id: int) -> Topup:
        topup = await self._get(topup_id)
        if topup.status != REVIEW:
            raise await self._decided(topup_id)
        return topup

    async def _decided(self, topup_id: int) -> TopupError:
        """Why a decision cannot be made any more: who approved or rejected it, or its state."""
        topup = await self._get(topup_id)
        admin = ""
        if topup.decided_by is not None:
            user = await self._repo.users.get(topup.decided_by)
            admin = (user.first_name if user and user.first_name else "") or str(topup.decided_by)
        if topup.status == PAID:
            return TopupError("manual-already-approved", id=topup.id, admin=admin)
        if topup.status == REJECTED:
            return TopupError("manual-already-rejected", id=topup.id, admin=admin)
        return TopupError("manual-not-open", id=topup.id)
