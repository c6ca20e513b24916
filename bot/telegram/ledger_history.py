"""The balance history as sentences: what each ledger entry was, in the customer's words.

A ledger row is read by its kind and the shape of its reference; the first row of
:data:`LEDGER_SENTENCES` that matches names the sentence. References themselves (charge ids,
``admin:<chat>:<message>``) are never shown: they can carry an admin's Telegram id. A new way
of moving money (a payment rail, say) adds a row here and a sentence per language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.services.accounts import MAX_REASON_LENGTH
from bot.telegram.i18n import Translator
from storage.ledger import EntryKind, LedgerEntry


@dataclass(frozen=True, slots=True)
class LedgerSentence:
    """Entries of ``kind`` whose reference fully matches ``reference`` read as ``message_id``.

    Named groups of ``reference`` become arguments (integers when all ASCII digits); an entry's
    note is shown as the reason (``reason_message_id``) only where it is one: what an admin
    typed, not an internal remark such as the Stars count.
    """

    kind: EntryKind
    reference: re.Pattern[str]
    message_id: str
    reason_message_id: str | None = None


_ORDER = re.compile(r"order:(?P<order_id>[0-9]{1,18})")
_ANY = re.compile(r".*", re.DOTALL)

LEDGER_SENTENCES: tuple[LedgerSentence, ...] = (
    LedgerSentence(EntryKind.ORDER_CHARGE, _ORDER, "ledger-order-charge"),
    LedgerSentence(EntryKind.ORDER_REFUND, _ORDER, "ledger-order-refund"),
    # Each payment rail by name (its reference: bot/services/payments/rails.py); Stars charge
    # ids are Telegram's opaque strings, so Stars is what a top-up is otherwise.
    LedgerSentence(
        EntryKind.TOPUP,
        re.compile(r"cryptopay:[0-9]{1,18}"),
        "ledger-topup-cryptopay",
    ),
    LedgerSentence(
        EntryKind.TOPUP, re.compile(r"manual:(?P<id>[0-9]{1,18})"), "ledger-topup-manual"
    ),
    LedgerSentence(EntryKind.TOPUP, _ANY, "ledger-topup-stars"),
    LedgerSentence(EntryKind.TOPUP_REFUND, _ANY, "ledger-topup-refund-stars"),
    LedgerSentence(EntryKind.TOPUP_REFUND_UNDONE, _ANY, "ledger-topup-refund-undone"),
    # Before migration 0005 an undone Stars refund was an admin credit with this reference.
    LedgerSentence(
        EntryKind.ADMIN_CREDIT, re.compile(r"refund-undone:.+"), "ledger-topup-refund-undone"
    ),
    LedgerSentence(
        EntryKind.ADMIN_CREDIT, _ANY, "ledger-admin-credit", "ledger-admin-credit-reason"
    ),
    LedgerSentence(EntryKind.ADMIN_DEBIT, _ANY, "ledger-admin-debit", "ledger-admin-debit-reason"),
    LedgerSentence(EntryKind.REFERRAL, _ANY, "ledger-referral"),
    LedgerSentence(EntryKind.REFERRAL_REVERSAL, _ANY, "ledger-referral-reversal"),
    LedgerSentence(
        EntryKind.PROMO, re.compile(r"promo:(?P<code>[A-Z0-9_-]{2,32}):[0-9]{1,20}"), "ledger-promo"
    ),
)


def ledger_sentence(i18n: Translator, entry: LedgerEntry) -> str:
    """What the entry was, as one sentence in the translator's language."""
    for row in LEDGER_SENTENCES:
        if row.kind != entry.kind:
            continue
        match = row.reference.fullmatch(entry.reference or "")
        if match is None:
            continue
        arguments: dict[str, int | str] = {
            name: int(value) if value.isascii() and value.isdigit() else value
            for name, value in match.groupdict().items()
        }
        if row.reason_message_id is not None and entry.note:
            # Reasons written before they were bounded: a page of them must still be one
            # message, so a long one is cut.
            reason = entry.note
            if len(reason) > MAX_REASON_LENGTH:
                reason = reason[: MAX_REASON_LENGTH - 1].rstrip() + "…"
            return i18n(row.reason_message_id, reason=reason, **arguments)
        return i18n(row.message_id, **arguments)
    return i18n("ledger-other")
