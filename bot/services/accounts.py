"""Admin changes to customers' balances: always a ledger entry with who and why."""

from __future__ import annotations

import logging

from bot.core.money import Money
from storage.errors import UnknownUserError
from storage.ledger import EntryKind
from storage.repository import Repository

logger = logging.getLogger(__name__)


async def adjust_balance(
    repo: Repository, *, admin_id: int, user_id: int, amount: Money, reason: str
) -> Money:
    """Credit (positive) or debit (negative) a user's balance; returns the new balance.

    Raises UnknownUserError for an unknown user and InsufficientBalanceError when a debit
    would take the balance below zero (nothing is written then).
    """
    if await repo.users.get(user_id) is None:
        raise UnknownUserError(str(user_id))
    kind = EntryKind.ADMIN_CREDIT if amount.is_positive else EntryKind.ADMIN_DEBIT
    async with repo.database.transaction():
        await repo.ledger.post(
            user_id, kind, amount, reference=f"admin:{admin_id}", note=reason or None
        )
        balance = await repo.ledger.balance(user_id)
    logger.info("Admin %s changed user %s's balance by %s", admin_id, user_id, amount)
    return balance
