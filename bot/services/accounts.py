"""Admin changes to customers' balances: always a ledger entry with who and why."""

from __future__ import annotations

import logging

from bot.core.errors import BalanceTooLowError, StorefrontError, UserNotFoundError
from bot.core.money import Money
from storage.errors import DuplicateEntryError, InsufficientBalanceError
from storage.ledger import EntryKind
from storage.repository import Repository

logger = logging.getLogger(__name__)


class BalanceChangeAlreadyDoneError(StorefrontError):
    """This admin command message changed the balance already (a redelivered update)."""

    message_id = "admin-balance-already-done"


class ReasonTooLongError(StorefrontError):
    """A reason the customer could not be shown: it goes into their notice and every page of
    their history, which must each stay within one Telegram message."""

    message_id = "admin-reason-too-long"


# Ten history entries with their reasons fit in one message (4096 characters) with room left.
MAX_REASON_LENGTH = 200


def admin_reference(chat_id: int, message_id: int) -> str:
    """The ledger reference of one admin command: once per message, under the unique index."""
    return f"admin:{chat_id}:{message_id}"


async def adjust_balance(
    repo: Repository, *, admin_id: int, user_id: int, amount: Money, reason: str, reference: str
) -> Money:
    """Credit (positive) or debit (negative) a user's balance; returns the new balance.

    ``reference`` names the command (:func:`admin_reference`): the same command delivered
    again raises BalanceChangeAlreadyDoneError and changes nothing. Raises UserNotFoundError
    for an unknown user and BalanceTooLowError when a debit would take the balance below
    zero (nothing is written then), and ReasonTooLongError past MAX_REASON_LENGTH.
    """
    # As Telegram counts a message's length: in UTF-16 units (an emoji is two).
    length = len(reason.encode("utf-16-le")) // 2
    if length > MAX_REASON_LENGTH:
        raise ReasonTooLongError(maximum=MAX_REASON_LENGTH, length=length)
    if await repo.users.get(user_id) is None:
        raise UserNotFoundError(user_id=user_id)
    kind = EntryKind.ADMIN_CREDIT if amount.is_positive else EntryKind.ADMIN_DEBIT
    try:
        async with repo.database.transaction():
            await repo.ledger.post(user_id, kind, amount, reference=reference, note=reason or None)
            balance = await repo.ledger.balance(user_id)
    except DuplicateEntryError:
        logger.info(
            "Admin %s's balance change %s was delivered again; done once", admin_id, reference
        )
        raise BalanceChangeAlreadyDoneError(user_id=user_id) from None
    except InsufficientBalanceError:
        raise BalanceTooLowError(balance=await repo.ledger.balance(user_id)) from None
    logger.info("Admin %s changed user %s's balance by %s", admin_id, user_id, amount)
    return balance
