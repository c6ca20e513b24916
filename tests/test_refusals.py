"""Panel refusal texts are classified in one place, and every caller agrees with it."""

from __future__ import annotations

import pytest

from bot.services.ordering import refusal_reason_id
from bot.upstream import PanelRefusedError
from bot.upstream.refusals import Refusal, classify_refusal


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("Not enough funds on balance", Refusal.SUPPLIER_FUNDS),
        ("not_enough_funds", Refusal.SUPPLIER_FUNDS),
        ("Insufficient balance", Refusal.SUPPLIER_FUNDS),
        ("Incorrect API key", Refusal.SUPPLIER_SETUP),
        ("invalid_key", Refusal.SUPPLIER_SETUP),
        ("Incorrect key", Refusal.SUPPLIER_SETUP),
        # The shop's own setup comes before what the order was about.
        ("API key disabled", Refusal.SUPPLIER_SETUP),
        ("You have active order with this link. Please wait", Refusal.ACTIVE_ORDER),
        ("Incorrect link", Refusal.BAD_LINK),
        ("bad_link", Refusal.BAD_LINK),
        ("Quantity less than minimal 100", Refusal.QUANTITY),
        ("Incorrect service ID", Refusal.SERVICE),
        ("Service disabled", Refusal.SERVICE),
        ("Something else entirely", Refusal.OTHER),
        ("", Refusal.OTHER),
    ],
)
def test_a_refusal_text_has_one_meaning_everywhere(text: str, refusal: Refusal) -> None:
    assert classify_refusal(text) is refusal
    error = PanelRefusedError(text, action="add")
    assert error.refusal is refusal
    assert error.is_insufficient_funds == (refusal is Refusal.SUPPLIER_FUNDS)
    assert error.is_bad_key == (refusal is Refusal.SUPPLIER_SETUP)
    assert refusal_reason_id(text) == f"refusal-{refusal.value}"
