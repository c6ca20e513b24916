"""Top-ups: payment rails behind one interface, crediting through one path (see rails.py)."""

from bot.services.payments.rails import (
    Checkout,
    PaymentRail,
    RailName,
    Rails,
    TopupCrediting,
    TopupError,
    TopupLimits,
)
from bot.services.payments.stars import (
    STARS_CURRENCY,
    Credited,
    StarsRefund,
    StarsTopups,
    TopupQuote,
)

__all__ = [
    "STARS_CURRENCY",
    "Checkout",
    "Credited",
    "PaymentRail",
    "RailName",
    "Rails",
    "StarsRefund",
    "StarsTopups",
    "TopupCrediting",
    "TopupError",
    "TopupLimits",
    "TopupQuote",
]
