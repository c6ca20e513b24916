"""The balance history reads as sentences and never shows a raw reference or an admin's id."""

from __future__ import annotations

import pytest

from bot.core.money import Money
from bot.telegram.i18n import Translations
from bot.telegram.ledger_history import LEDGER_SENTENCES, ledger_sentence
from storage.ledger import EntryKind, LedgerEntry

TRANSLATIONS = Translations("en")
ADMIN_ID = 900001


def entry(kind: EntryKind, reference: str | None, note: str | None = None) -> LedgerEntry:
    amount = (
        Money(-1) if kind.value in ("order_charge", "admin_debit", "topup_refund") else Money(1)
    )
    return LedgerEntry(1, 1001, kind, amount, reference, note, "2026-12-01 12:00:00")


@pytest.mark.parametrize(
    ("language", "kind", "reference", "note", "sentence"),
    [
        ("en", EntryKind.ORDER_CHARGE, "order:1", None, "Order #1"),
        ("en", EntryKind.ORDER_CHARGE, "order:12345", None, "Order #12345"),
        ("ru", EntryKind.ORDER_CHARGE, "order:12345", None, "Заказ №12345"),
        ("en", EntryKind.ORDER_REFUND, "order:1", "Canceled", "Refund for order #1"),
        ("ru", EntryKind.ORDER_REFUND, "order:1", None, "Возврат за заказ №1"),
        ("en", EntryKind.TOPUP, "stxAbC-123", "500 XTR", "Top-up with Telegram Stars"),
        (
            "en",
            EntryKind.TOPUP,
            "cryptopay:1001",
            "Crypto Pay invoice 1001",
            "Top-up with crypto (Crypto Pay)",
        ),
        ("ru", EntryKind.TOPUP, "cryptopay:1001", None, "Пополнение криптовалютой (Crypto Pay)"),
        (
            "en",
            EntryKind.TOPUP,
            "manual:42",
            "manual transfer #42",
            "Top-up by bank transfer, request #42",
        ),
        ("ru", EntryKind.TOPUP, "manual:42", None, "Пополнение переводом, заявка №42"),
        ("en", EntryKind.TOPUP_REFUND, "stxAbC-123#2", None, "Telegram Stars top-up refunded"),
        (
            "en",
            EntryKind.TOPUP_REFUND_UNDONE,
            "stxAbC-123",
            "Telegram refused the Stars refund",
            "Stars refund did not go through: the amount is back",
        ),
        (
            "en",
            EntryKind.ADMIN_CREDIT,
            "refund-undone:stxAbC-123",
            "Telegram refused the Stars refund",
            "Stars refund did not go through: the amount is back",
        ),
        ("en", EntryKind.ADMIN_CREDIT, f"admin:{ADMIN_ID}", None, "Added by the shop"),
        (
            "en",
            EntryKind.ADMIN_CREDIT,
            f"admin:{ADMIN_ID}:77",
            "welcome bonus",
            "Added by the shop: welcome bonus",
        ),
        (
            "ru",
            EntryKind.ADMIN_CREDIT,
            f"admin:{ADMIN_ID}:77",
            "бонус",
            "Начислено магазином: бонус",
        ),
        (
            "en",
            EntryKind.ADMIN_DEBIT,
            f"admin:{ADMIN_ID}:78",
            "correction",
            "Deducted by the shop: correction",
        ),
        ("en", EntryKind.ADMIN_DEBIT, None, None, "Deducted by the shop"),
        # A reference of a shape no row knows still reads as a sentence, never as itself.
        ("en", EntryKind.ORDER_CHARGE, "order:²", None, "Balance change"),
        ("ru", EntryKind.ORDER_REFUND, None, None, "Изменение баланса"),
    ],
)
def test_entries_read_as_sentences(
    language: str, kind: EntryKind, reference: str | None, note: str | None, sentence: str
) -> None:
    text = ledger_sentence(TRANSLATIONS.get(language), entry(kind, reference, note))
    assert text == sentence
    assert str(ADMIN_ID) not in text


def test_a_reason_from_before_reasons_were_bounded_is_cut() -> None:
    text = ledger_sentence(
        TRANSLATIONS.get("en"), entry(EntryKind.ADMIN_CREDIT, f"admin:{ADMIN_ID}:79", "r" * 3000)
    )
    assert text == "Added by the shop: " + "r" * 199 + "…"


def test_every_kind_has_a_sentence_in_every_language() -> None:
    assert {row.kind for row in LEDGER_SENTENCES} == set(EntryKind)
    for translator in TRANSLATIONS.all():
        for row in LEDGER_SENTENCES:
            for message_id in (row.message_id, row.reason_message_id):
                assert message_id is None or translator.has(message_id), message_id
