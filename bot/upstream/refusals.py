"""What a panel's refusal text means, matched in one place.

Panels word their ``error`` freely ("Not enough funds on balance", "not_enough_funds",
"Incorrect API key"…). Every caller that needs to know what a refusal was about (the order
flow's explanation to the customer, the admin alerts) asks :func:`classify_refusal`.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    SUPPLIER_FUNDS = "supplier-funds"
    SUPPLIER_SETUP = "supplier-setup"
    ACTIVE_ORDER = "active-order"
    BAD_LINK = "bad-link"
    QUANTITY = "quantity"
    SERVICE = "service"
    OTHER = "other"


# First match wins: the shop's own problems with its supplier come before anything about
# the order, so "API key disabled" is a setup problem, not a disabled service.
_FRAGMENTS: tuple[tuple[Refusal, tuple[str, ...]], ...] = (
    (Refusal.SUPPLIER_FUNDS, ("not enough funds", "not_enough_funds", "insufficient")),
    (Refusal.SUPPLIER_SETUP, ("api key", "invalid_key", "incorrect key")),
    (Refusal.ACTIVE_ORDER, ("active order", "active_order")),
    (Refusal.BAD_LINK, ("bad link", "incorrect link", "invalid link", "bad_link")),
    (Refusal.QUANTITY, ("less than minimal", "more than maximum", "quantity")),
    (Refusal.SERVICE, ("incorrect service", "service id", "disabled", "service_not_found")),
)


def classify_refusal(panel_text: str) -> Refusal:
    """What the panel's refusal is about, by a fragment of its text."""
    text = panel_text.lower()
    for refusal, fragments in _FRAGMENTS:
        if any(fragment in text for fragment in fragments):
            return refusal
    return Refusal.OTHER
