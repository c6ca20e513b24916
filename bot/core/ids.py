"""Ids typed by people (admin command arguments): one parser, with bounds.

``str.isdigit`` accepts "²" and "٣", which ``int`` then refuses or reads, and an id past
2**63 overflows SQLite's INTEGER: both reached queries as tracebacks. An id here is ASCII
digits only, between ``minimum`` and ``MAX_ID`` (the bound callback data uses too).
"""

from __future__ import annotations

import re

# Telegram ids fit in 52 bits and ours are row ids; 2**53 is also what JSON numbers hold.
MAX_ID = 2**53
# The largest panel order id the shop can store (SQLite's INTEGER is 64-bit, signed).
MAX_PANEL_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")  # 2**63 has 19 digits


def parse_id(text: str | None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """The id written in ``text`` (surrounding spaces allowed), or None if it is not one."""
    candidate = (text or "").strip()
    if _ASCII_DIGITS.fullmatch(candidate) is None:
        return None
    value = int(candidate)
    return value if minimum <= value <= maximum else None
