"""Exact money: the one type every amount in the storefront goes through.

Amounts are whole numbers of micro-units (10**-6 of the shop currency). Panels quote rates with
five decimals (``0.27819``) and a per-unit price multiplied by a quantity needs more, so six
places keep every charge exact while SQLite can still sum them as integers. No float is ever
involved: input is parsed from text or :class:`~decimal.Decimal`, output is formatted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)

SCALE = 6
MICROS_PER_UNIT = 10**SCALE
_QUANTUM = Decimal(1).scaleb(-SCALE)
# Amounts an admin or customer may type: digits, one optional decimal separator, no sign.
_AMOUNT_TEXT = re.compile(r"^\s*([0-9]{1,12})(?:[.,]([0-9]{1,6}))?\s*$")
_THOUSANDS = re.compile(r"^[1-9][0-9]{0,2}(,[0-9]{3})+$")
# What panels send nearly always ("1.27819", "0"): read as it is, without the lenient steps.
_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?")
# Largest amount accepted from text input; protects against absurd values, not a business limit.
MAX_INPUT_UNITS = 10**9


class InvalidAmountError(ValueError):
    """Text that is not a plain positive amount with at most six decimals."""


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount of the shop currency, stored as integer micro-units."""

    micros: int

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def from_decimal(cls, value: Decimal, rounding: str = ROUND_HALF_UP) -> Money:
        """Convert a Decimal, rounding to six places with the given mode."""
        if not value.is_finite():
            raise InvalidAmountError("amount is not finite")
        quantized = value.quantize(_QUANTUM, rounding=rounding)
        return cls(int(quantized.scaleb(SCALE)))

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse a positive amount typed by a person: ``10``, ``10.5``, ``0,25``."""
        match = _AMOUNT_TEXT.match(text)
        if match is None:
            raise InvalidAmountError("not a plain amount")
        whole, fraction = match.group(1), match.group(2) or ""
        micros = int(whole) * MICROS_PER_UNIT + int(fraction.ljust(SCALE, "0") or 0)
        if micros <= 0:
            raise InvalidAmountError("amount must be positive")
        if micros > MAX_INPUT_UNITS * MICROS_PER_UNIT:
            raise InvalidAmountError("amount is too large")
        return cls(micros)

    def as_decimal(self) -> Decimal:
        return Decimal(self.micros).scaleb(-SCALE)

    def __add__(self, other: Money) -> Money:
        return Money(self.micros + other.micros)

    def __sub__(self, other: Money) -> Money:
        return Money(self.micros - other.micros)

    def __neg__(self) -> Money:
        return Money(-self.micros)

    def __bool__(self) -> bool:
        return self.micros != 0

    @property
    def is_negative(self) -> bool:
        return self.micros < 0

    @property
    def is_positive(self) -> bool:
        return self.micros > 0

    def share(self, part: int, whole: int) -> Money:
        """``self × part / whole`` rounded toward zero, so a refund never exceeds what was paid."""
        if whole <= 0 or part < 0:
            raise ValueError("share needs 0 <= part and whole > 0")
        magnitude = abs(self.micros) * min(part, whole) // whole
        return Money(-magnitude if self.micros < 0 else magnitude)

    def percent(self, percent: Decimal) -> Money:
        """``percent`` % of this amount, rounded down to the micro-unit (a bonus or a discount
        never exceeds its exact share)."""
        if not percent.is_finite() or not 0 <= percent <= 100:
            raise ValueError("a percent share needs 0 <= percent <= 100")
        with localcontext() as context:
            context.prec = 60
            return Money.from_decimal(self.as_decimal() * percent / Decimal(100), ROUND_FLOOR)

    def __str__(self) -> str:
        return format_amount(self)


def _markup_factor(markup_percent: Decimal) -> Decimal:
    return Decimal(1) + markup_percent / Decimal(100)


def unit_price(rate: Decimal, markup_percent: Decimal) -> Money:
    """The customer's price of one rate unit (per 1000, or per package), after markup."""
    return Money.from_decimal(rate * _markup_factor(markup_percent), rounding=ROUND_CEILING)


def order_price(
    rate: Decimal,
    quantity: int,
    markup_percent: Decimal,
    *,
    per_package: bool = False,
    runs: int = 1,
) -> Money:
    """What the customer pays: rate × quantity / 1000 × (1 + markup), or the rate for a package.

    Drip-feed multiplies by the number of runs. Rounded up to the micro-unit so the reseller
    never sells below the panel's price because of rounding.
    """
    if runs < 1 or quantity < 1:
        raise ValueError("runs and quantity must be at least 1")
    if rate < 0 or markup_percent < -100:
        raise ValueError("rate and markup cannot be negative")
    with localcontext() as context:
        context.prec = 60  # exact for any realistic rate × quantity × runs × markup
        base = rate if per_package else rate * Decimal(quantity) / Decimal(1000)
        return Money.from_decimal(base * runs * _markup_factor(markup_percent), ROUND_CEILING)


def panel_cost(rate: Decimal, quantity: int, *, per_package: bool = False, runs: int = 1) -> Money:
    """What the panel is expected to charge the reseller for an order (no markup)."""
    return order_price(rate, quantity, Decimal(0), per_package=per_package, runs=runs)


def parse_decimal(value: object) -> Decimal | None:
    """Lenient Decimal from a panel value: ``"0.90"``, ``0.9``, ``1``; None when not a number.

    Floats from JSON are converted through their shortest repr, so ``0.1`` stays ``0.1``.
    """
    if type(value) is str and _PLAIN_NUMBER.fullmatch(value):
        return Decimal(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        text = repr(value)
    else:
        text = str(value).strip()
        if _THOUSANDS.match(text):
            text = text.replace(",", "")  # "1,000" is a thousand, not one
        elif "," in text and "." in text:
            text = text.replace(",", "")
        else:
            text = text.replace(",", ".")
    try:
        result = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def format_amount(amount: Money, *, min_decimals: int = 2) -> str:
    """The one display rule: at least two decimals, more only when they are not zero.

    ``12.5`` → ``12.50``, ``0.0513`` → ``0.0513``, ``-3`` → ``-3.00``.
    """
    value = amount.as_decimal().quantize(
        _QUANTUM, rounding=ROUND_FLOOR if amount.micros >= 0 else ROUND_CEILING
    )
    sign = "-" if value < 0 else ""
    text = f"{abs(value):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    if len(fraction) < min_decimals:
        fraction = fraction.ljust(min_decimals, "0")
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def format_money(amount: Money, currency: str) -> str:
    """Amount with its currency: ``$12.50`` where the currency has a symbol, ``12.50 CHF``
    otherwise."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    text = format_amount(amount)
    if symbol is None:
        return f"{text} {currency.upper()}"
    if text.startswith("-"):
        return f"-{symbol}{text[1:]}"
    return f"{symbol}{text}"


CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "RUB": "₽", "INR": "₹"}
