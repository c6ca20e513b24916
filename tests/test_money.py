"""Money: exact typed amounts, prices rounded up, shares rounded down, one display rule."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.money import (
    MAX_INPUT_UNITS,
    MICROS_PER_UNIT,
    InvalidAmountError,
    Money,
    format_amount,
    format_money,
    order_price,
    panel_cost,
    parse_decimal,
    unit_price,
)

MICRO = Decimal("0.000001")
MAX_INPUT_MICROS = MAX_INPUT_UNITS * MICROS_PER_UNIT

rates = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("10000"), places=5)
markups = st.decimals(min_value=Decimal(0), max_value=Decimal(1000), places=2)
amounts = st.integers(min_value=0, max_value=10**15).map(Money)


def exact_price(rate: Decimal, quantity: int, markup: Decimal, runs: int = 1) -> Decimal:
    """The unrounded price, computed with far more precision than any input needs."""
    with localcontext() as context:
        context.prec = 100
        return rate * quantity / 1000 * runs * (1 + markup / 100)


# --- parsing typed amounts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("10", 10_000_000),
        ("10.5", 10_500_000),
        ("0,25", 250_000),
        ("0.000001", 1),
        ("  7.07  ", 7_070_000),
        ("000012.340000", 12_340_000),
        (str(MAX_INPUT_UNITS), MAX_INPUT_MICROS),
    ],
)
def test_parse_accepts_plain_positive_amounts(text: str, micros: int) -> None:
    assert Money.parse(text) == Money(micros)


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "+1",
        "0",
        "0.0",
        "0,000000",
        "1e3",
        "abc",
        "1.1234567",
        "",
        "   ",
        "1.",
        ".5",
        "1.2.3",
        "1 000",
        "1,000.50",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "1000000000.000001",
        "9999999999",
        "1" + "0" * 12,
        "9" * 40,
    ],
)
def test_parse_rejects_anything_else(text: str) -> None:
    with pytest.raises(InvalidAmountError):
        Money.parse(text)


def test_invalid_amount_error_is_a_value_error() -> None:
    # Callers that only know ValueError (e.g. generic input validation) still catch it.
    assert issubclass(InvalidAmountError, ValueError)


@given(st.integers(min_value=1, max_value=MAX_INPUT_MICROS), st.sampled_from([".", ","]))
def test_parse_round_trips_every_six_place_amount(micros: int, separator: str) -> None:
    text = f"{Decimal(micros).scaleb(-6):f}".replace(".", separator)
    assert Money.parse(text) == Money(micros)


@given(amounts.filter(lambda money: 0 < money.micros <= MAX_INPUT_MICROS))
def test_displayed_amounts_parse_back_to_the_same_money(money: Money) -> None:
    assert Money.parse(format_amount(money)) == money


# --- Decimal conversion -----------------------------------------------------------------


def test_from_decimal_rounds_with_the_requested_mode() -> None:
    value = Decimal("1.0000005")
    assert Money.from_decimal(value) == Money(1_000_001)  # half up by default
    assert Money.from_decimal(value, rounding=ROUND_FLOOR) == Money(1_000_000)
    assert Money.from_decimal(Decimal("1.0000001"), rounding=ROUND_CEILING) == Money(1_000_001)
    assert Money.from_decimal(Decimal("-2.5")) == Money(-2_500_000)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_from_decimal_refuses_non_finite_values(value: Decimal) -> None:
    with pytest.raises(InvalidAmountError):
        Money.from_decimal(value)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_as_decimal_is_exact(micros: int) -> None:
    money = Money(micros)
    assert money.as_decimal() == Decimal(micros) / MICROS_PER_UNIT
    assert Money.from_decimal(money.as_decimal()) == money


# --- prices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "quantity", "markup", "expected"),
    [
        ("0.90", 1000, "0", "0.90"),
        ("0.90", 50, "0", "0.045"),
        ("0.27819", 33, "0", "0.009181"),  # exact 0.00918027, rounded up
        ("1.20", 1000, "15", "1.38"),
        ("0.27819", 1000, "15", "0.319919"),  # exact 0.3199185
        ("0.12", 10, "15", "0.00138"),
        ("1", 1, "15", "0.00115"),
        ("0.00001", 1, "0", "0.000001"),  # 1e-8 still costs one micro-unit
    ],
)
def test_order_price_rounds_up_to_the_micro_unit(
    rate: str, quantity: int, markup: str, expected: str
) -> None:
    price = order_price(Decimal(rate), quantity, Decimal(markup))
    assert price == Money.from_decimal(Decimal(expected))
    assert price.as_decimal() == Decimal(expected)


def test_package_price_is_the_rate_whatever_the_quantity() -> None:
    assert order_price(Decimal("9.90"), 1, Decimal(0), per_package=True) == Money(9_900_000)
    assert order_price(Decimal("9.90"), 5000, Decimal(0), per_package=True) == Money(9_900_000)
    assert order_price(Decimal("9.90"), 1, Decimal(10), per_package=True) == Money(10_890_000)


def test_drip_feed_runs_multiply_the_price() -> None:
    single = order_price(Decimal("0.12"), 1000, Decimal(0))
    assert single == Money(120_000)
    assert order_price(Decimal("0.12"), 1000, Decimal(0), runs=5) == Money(600_000)
    # Rounding applies to the total, not to each run: 0.00918027 × 3 = 0.02754081 → 0.027541.
    assert order_price(Decimal("0.27819"), 33, Decimal(0), runs=3) == Money(27_541)


@pytest.mark.parametrize("runs", [0, -1])
def test_runs_below_one_are_refused(runs: int) -> None:
    with pytest.raises(ValueError, match="runs"):
        order_price(Decimal("1"), 100, Decimal(0), runs=runs)


def test_panel_cost_is_the_price_without_markup() -> None:
    assert panel_cost(Decimal("0.27819"), 33) == Money(9_181)
    assert panel_cost(Decimal("9.90"), 1, per_package=True, runs=2) == Money(19_800_000)


def test_unit_price_rounds_up() -> None:
    assert unit_price(Decimal("0.27819"), Decimal(15)) == Money(319_919)
    assert unit_price(Decimal("1"), Decimal(0)) == Money(1_000_000)


@given(
    rates,
    st.integers(min_value=1, max_value=1_000_000),
    markups,
    st.integers(min_value=1, max_value=100),
)
def test_order_price_is_never_below_exact_and_less_than_a_micro_above(
    rate: Decimal, quantity: int, markup: Decimal, runs: int
) -> None:
    exact = exact_price(rate, quantity, markup, runs)
    price = order_price(rate, quantity, markup, runs=runs).as_decimal()
    assert price >= exact
    assert price - exact < MICRO


@given(rates, markups)
def test_package_price_is_never_below_exact_and_less_than_a_micro_above(
    rate: Decimal, markup: Decimal
) -> None:
    exact = exact_price(rate, 1000, markup)
    price = order_price(rate, 7, markup, per_package=True).as_decimal()
    assert exact <= price < exact + MICRO


@given(rates, st.integers(min_value=1, max_value=100_000), markups)
def test_order_price_grows_with_quantity(rate: Decimal, quantity: int, markup: Decimal) -> None:
    assert order_price(rate, quantity, markup) <= order_price(rate, quantity + 1, markup)


# --- shares -----------------------------------------------------------------------------


def test_share_examples() -> None:
    paid = Money(1_000_000)
    assert paid.share(157, 1000) == Money(157_000)
    assert paid.share(1, 3) == Money(333_333)
    assert paid.share(0, 3) == Money(0)
    assert paid.share(3, 3) == paid
    assert paid.share(5, 3) == paid  # more than the whole is clamped to the whole


def test_share_of_a_negative_amount_rounds_toward_zero() -> None:
    assert Money(-5).share(1, 2) == Money(-2)
    assert Money(-1_000_000).share(1, 3) == Money(-333_333)


@pytest.mark.parametrize(("part", "whole"), [(-1, 3), (1, 0), (0, -5)])
def test_share_refuses_nonsense(part: int, whole: int) -> None:
    with pytest.raises(ValueError):
        Money(100).share(part, whole)


@given(
    amounts,
    st.integers(min_value=1, max_value=10**7).flatmap(
        lambda whole: st.tuples(st.integers(min_value=0, max_value=whole), st.just(whole))
    ),
)
def test_shares_never_exceed_the_whole_and_lose_less_than_two_micros(
    paid: Money, part_whole: tuple[int, int]
) -> None:
    part, whole = part_whole
    first = paid.share(part, whole)
    second = paid.share(whole - part, whole)
    assert Money(0) <= first <= paid
    assert first + second <= paid
    assert (paid - (first + second)).micros < 2
    # Rounded toward zero: never more than the exact share.
    assert first.micros * whole <= paid.micros * part


@given(
    st.integers(min_value=-(10**15), max_value=10**15).map(Money),
    st.integers(min_value=1, max_value=10**7).flatmap(
        lambda whole: st.tuples(st.integers(min_value=0, max_value=whole), st.just(whole))
    ),
)
def test_share_magnitude_never_exceeds_the_exact_share(
    paid: Money, part_whole: tuple[int, int]
) -> None:
    part, whole = part_whole
    share = paid.share(part, whole)
    assert abs(share.micros) * whole <= abs(paid.micros) * part
    assert (abs(paid.micros) * part - abs(share.micros) * whole) < whole
    assert share.micros == 0 or (share.micros < 0) == paid.is_negative


# --- display ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(12_500_000), "12.50"),
        (Money(51_300), "0.0513"),
        (Money(-3_000_000), "-3.00"),
        (Money(10**12), "1000000.00"),
        (Money(0), "0.00"),
        (Money(1), "0.000001"),
        (Money(-1), "-0.000001"),
        (Money(1_234_567), "1.234567"),
        (Money(100_000), "0.10"),
    ],
)
def test_format_amount_shows_two_decimals_and_more_only_when_needed(
    money: Money, text: str
) -> None:
    assert format_amount(money) == text
    assert str(money) == text


def test_format_amount_with_fewer_minimum_decimals() -> None:
    assert format_amount(Money(12_000_000), min_decimals=0) == "12"
    assert format_amount(Money(12_500_000), min_decimals=0) == "12.5"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_amount_is_exact(micros: int) -> None:
    text = format_amount(Money(micros))
    assert Decimal(text) == Decimal(micros) / MICROS_PER_UNIT
    whole, _, fraction = text.lstrip("-").partition(".")
    assert 2 <= len(fraction) <= 6
    assert len(fraction) == 2 or not fraction.endswith("0")
    assert whole == str(abs(micros) // MICROS_PER_UNIT)


@pytest.mark.parametrize(
    ("money", "currency", "text"),
    [
        (Money(12_500_000), "USD", "$12.50"),
        (Money(12_500_000), "usd", "$12.50"),
        (Money(-3_000_000), "USD", "-$3.00"),
        (Money(12_500_000), "EUR", "€12.50"),
        (Money(51_300), "RUB", "₽0.0513"),
        (Money(12_500_000), "XYZ", "12.50 XYZ"),
        (Money(12_500_000), "usdt", "12.50 USDT"),
        (Money(-3_000_000), "XYZ", "-3.00 XYZ"),
    ],
)
def test_format_money_uses_a_symbol_when_known(money: Money, currency: str, text: str) -> None:
    assert format_money(money, currency) == text


# --- lenient parsing of panel values ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.90", "0.90"),
        (0.9, "0.9"),
        (0.1, "0.1"),
        (1, "1"),
        ("1,5", "1.5"),
        (" 2 ", "2"),
        ("0.27819", "0.27819"),
        (Decimal("3.5"), "3.5"),
        ("-1", "-1"),
        (10**20, "100000000000000000000"),
    ],
)
def test_parse_decimal_accepts_numbers_in_any_panel_shape(value: object, expected: str) -> None:
    result = parse_decimal(value)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected  # exactly as quoted: no float noise, trailing zeros kept


@pytest.mark.parametrize(
    "value",
    [
        "Unknown",
        "",
        "   ",
        True,
        False,
        None,
        "nan",
        "NaN",
        "sNaN",
        "inf",
        "-Infinity",
        math.nan,
        math.inf,
        [],
        {},
        "1.2.3",
    ],
)
def test_parse_decimal_returns_none_for_anything_else(value: object) -> None:
    assert parse_decimal(value) is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_decimal_keeps_a_float_as_it_was_written(value: float) -> None:
    result = parse_decimal(value)
    assert result is not None
    assert float(result) == value
    assert result == Decimal(repr(value))


# --- arithmetic -------------------------------------------------------------------------


def test_arithmetic_and_ordering() -> None:
    ten, three = Money(10_000_000), Money(3_000_000)
    assert ten + three == Money(13_000_000)
    assert ten - three == Money(7_000_000)
    assert three - ten == Money(-7_000_000)
    assert -ten == Money(-10_000_000)
    assert (three - ten).is_negative and not (three - ten).is_positive
    assert ten.is_positive and not ten.is_negative
    assert not Money.zero() and bool(ten)
    assert not Money.zero().is_positive and not Money.zero().is_negative
    assert three < ten <= ten and ten > three >= three
    assert sorted([ten, -three, Money.zero(), three]) == [-three, Money.zero(), three, ten]
    assert max(ten, three) is ten
    assert len({Money(5), Money(5), Money(6)}) == 2


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=-(10**15), max_value=10**15),
)
def test_arithmetic_matches_integer_micros(a: int, b: int) -> None:
    assert (Money(a) + Money(b)).micros == a + b
    assert (Money(a) - Money(b)).micros == a - b
    assert (-Money(a)).micros == -a
    assert (Money(a) < Money(b)) == (a < b)
    assert Money(a) + Money(b) - Money(b) == Money(a)


def test_money_is_immutable() -> None:
    money = Money(1)
    with pytest.raises(AttributeError):
        money.micros = 2  # type: ignore[misc]
