"""The one parser of ids typed by people: ASCII digits, within bounds."""

from __future__ import annotations

from bot.core.ids import MAX_ID, parse_id

HUGE = "99999999999999999999"


def test_only_ascii_digits_within_bounds_are_ids() -> None:
    assert parse_id("42") == 42
    assert parse_id(" 42 ") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in (
        "",
        " ",
        "0",
        "-1",
        "+1",
        "1.0",
        "1e3",
        "²",
        "٣",
        "１２",
        "4 2",
        HUGE,
        str(MAX_ID + 1),
        "0x10",
        None,
    ):
        assert parse_id(text) is None, text
    assert parse_id("0", minimum=0) == 0
