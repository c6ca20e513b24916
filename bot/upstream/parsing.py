"""Lenient readers for what real panels send: numbers as text, odd booleans, odd spellings.

Every helper takes a decoded JSON value (``object``) and either returns a typed value or
``None``/raises :class:`ValueError`; none of them does float arithmetic. Amounts go through
:func:`bot.core.money.parse_decimal`, so ``"0.90"`` and ``0.9`` both become an exact Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from bot.core.ids import MAX_PANEL_ID
from bot.core.money import parse_decimal
from bot.upstream.types import (
    STATUS_CANCELED,
    STATUS_COMPLETED,
    STATUS_IN_PROGRESS,
    STATUS_PARTIAL,
    STATUS_PENDING,
    STATUS_PROCESSING,
    TYPE_DEFAULT,
    OrderStatus,
    PanelService,
)

REFILL_STATUS_REJECTED = "Rejected"
REFILL_STATUS_ERROR = "Error"

# Keys are spellings with case, spaces, "_" and "-" removed: "In Progress" → "inprogress".
_ORDER_STATUSES: dict[str, str] = {
    "pending": STATUS_PENDING,
    "inprogress": STATUS_IN_PROGRESS,
    "processing": STATUS_PROCESSING,
    "completed": STATUS_COMPLETED,
    "partial": STATUS_PARTIAL,
    "canceled": STATUS_CANCELED,
    "cancelled": STATUS_CANCELED,
    # The panel gave the whole charge back: the order is canceled as far as money goes.
    "refunded": STATUS_CANCELED,
}
_REFILL_STATUSES: dict[str, str] = {
    **_ORDER_STATUSES,
    "rejected": REFILL_STATUS_REJECTED,
    "error": REFILL_STATUS_ERROR,
}
# Spellings met before and what they mean: a sync reads one status an order.
_STATUS_SEEN: dict[str, str] = {}
_STATUS_SEEN_LIMIT = 256
_SPELLING_NOISE = re.compile(r"[\s_\-]+")
_TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", ""})
# Beyond 19 digits an "integer" is garbage, and int(Decimal("1e999999")) would be a costly
# surprise; past 2**63 it would not fit SQLite's INTEGER either.
_MAX_INT_DIGITS = 19
# A string of at most this many ASCII digits is read with int() at once (a sync reads four
# numbers an order); longer ones take the lenient path, which bounds them.
_FAST_DIGITS = 18
# Counts (remains, start count) are clamped here: no order is larger, and the refund share
# already caps remains at the order's quantity.
MAX_COUNT = 10**18 - 1


def parse_int(value: object) -> int | None:
    """Integer from ``10``, ``"10"``, ``"10.0"`` or ``10.0``; None for text, fractions, bools,
    and for anything SQLite could not store."""
    if type(value) is str and len(value) <= _FAST_DIGITS and value.isascii() and value.isdigit():
        number = int(value)
    elif isinstance(value, bool) or value is None:
        return None
    elif isinstance(value, int):
        number = value
    else:
        parsed = parse_decimal(value)
        if parsed is None or parsed.adjusted() >= _MAX_INT_DIGITS:
            return None
        if parsed != parsed.to_integral():
            return None
        number = int(parsed)
    return number if abs(number) <= MAX_PANEL_ID else None


def parse_positive_id(value: object) -> int | None:
    """An id as panels send it (``23501`` or ``"23501"``); None unless it is a positive integer
    the shop can store."""
    number = parse_int(value)
    return number if number is not None and 0 < number <= MAX_PANEL_ID else None


def parse_count(value: object) -> int | None:
    """A count (remains, start count): None when unknown or negative (it means nothing, and a
    Partial must not be refunded from it), clamped to :data:`MAX_COUNT` when huge."""
    if type(value) is str and len(value) <= _FAST_DIGITS and value.isascii() and value.isdigit():
        return int(value)  # at most 18 digits: never above MAX_COUNT
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number: Decimal | None = Decimal(value)
    else:
        number = parse_decimal(value)
    if number is None or not number.is_finite() or number != number.to_integral() or number < 0:
        return None
    return MAX_COUNT if number > MAX_COUNT else int(number)


def parse_bool(value: object) -> bool | None:
    """``true``/``1``/``"1"``/``"yes"`` and their negatives; None when it is none of them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def parse_text(value: object) -> str | None:
    """Stripped text from a string or number; None for anything else or blank text."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float | Decimal):
        text = str(value).strip()
        return text or None
    return None


def _normalize(text: str, spellings: Mapping[str, str]) -> str:
    stripped = text.strip()
    return spellings.get(_SPELLING_NOISE.sub("", stripped).lower(), stripped)


def normalize_status(text: str) -> str:
    """Canonical order status (``"cancelled"`` → ``"Canceled"``); unknown ones kept, stripped."""
    known = _STATUS_SEEN.get(text)
    if known is None:
        known = _normalize(text, _ORDER_STATUSES)
        if len(_STATUS_SEEN) < _STATUS_SEEN_LIMIT:  # a panel's few spellings, not its noise
            _STATUS_SEEN[text] = known
    return known


def normalize_refill_status(text: str) -> str:
    """Canonical refill status (adds ``Rejected`` and ``Error``); unknown ones kept, stripped."""
    return _normalize(text, _REFILL_STATUSES)


def error_text(value: object) -> str | None:
    """The panel's refusal text when ``value`` is an ``{"error": ...}`` object, else None."""
    if not isinstance(value, dict) or "error" not in value:
        return None
    error = value["error"]
    if error is None or error is False or error == "":
        return None
    return parse_text(error) or str(error)


def parse_order_status(value: object) -> OrderStatus:
    """One order's status object; raises ValueError when there is no usable status."""
    if not isinstance(value, dict):
        raise ValueError(f"status is a {type(value).__name__}, not an object")
    status = parse_text(value.get("status"))
    if status is None:
        raise ValueError("status object without a status")
    return OrderStatus(
        status=normalize_status(status),
        charge=parse_decimal(value.get("charge")),
        start_count=parse_count(value.get("start_count")),
        # "Unknown", "", null: the panel does not know yet.
        remains=parse_count(value.get("remains")),
        currency=parse_text(value.get("currency")),
    )


def parse_service(value: object) -> PanelService:
    """One catalog entry; raises ValueError naming what is wrong so the entry can be skipped."""
    if not isinstance(value, dict):
        raise ValueError(f"entry is a {type(value).__name__}, not an object")
    service_id = parse_positive_id(value.get("service"))
    if service_id is None:
        raise ValueError(f"no usable service id: {value.get('service')!r}")
    name = parse_text(value.get("name"))
    if name is None:
        raise ValueError(f"service {service_id}: no name")
    rate = parse_decimal(value.get("rate"))
    if rate is None or rate < 0:
        raise ValueError(f"service {service_id}: unusable rate {value.get('rate')!r}")
    min_quantity = parse_int(value.get("min"))
    max_quantity = parse_int(value.get("max"))
    if min_quantity is None or max_quantity is None:
        raise ValueError(f"service {service_id}: unusable min/max")
    if min_quantity < 0 or max_quantity < min_quantity:
        raise ValueError(f"service {service_id}: min {min_quantity} > max {max_quantity}")
    dripfeed = value.get("dripfeed", value.get("drip_feed"))
    return PanelService(
        service_id=service_id,
        name=name,
        type=parse_text(value.get("type")) or TYPE_DEFAULT,
        category=parse_text(value.get("category")) or "",
        rate=rate,
        min_quantity=min_quantity,
        max_quantity=max_quantity,
        refill=parse_bool(value.get("refill")) or False,
        cancel=parse_bool(value.get("cancel")) or False,
        dripfeed=parse_bool(dripfeed) or False,
        description=parse_text(value.get("description", value.get("desc"))) or "",
    )
