"""Amounts against Python's `decimal` (a reference nobody here wrote), at 6, 8 and 18 decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.assets import MAX_BASE_UNITS, AmountError, format_amount, to_base_units

_PLAIN = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
DECIMALS = st.sampled_from([6, 8, 18])
# Decimal-looking text with the edges that broke before: trailing newlines, spaces, signs, exponents.
NEAR_DECIMALS = st.builds(
    lambda sign, whole, fraction, tail: f"{sign}{whole}{fraction}{tail}",
    st.sampled_from(["", "", "-", "+", " "]),
    st.from_regex(r"[0-9]{1,25}", fullmatch=True),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{0,22}", fullmatch=True)),
    st.sampled_from(["", "", "", "\n", " ", "\t", "e3", "\r\n", "\x00", "٣"]),
)


def reference(text: str, decimals: int) -> int | None:
    """What `decimal` says the amount is in base units, or None when it must be refused."""
    if not _PLAIN.fullmatch(text) or len(text) > 160:
        return None
    with localcontext(prec=400):  # exact: the default 28 digits would round wei amounts
        try:
            value = Decimal(text) * (Decimal(10) ** decimals)
        except InvalidOperation:
            return None
    if value != value.to_integral_value():
        return None
    units = int(value)
    return units if units <= MAX_BASE_UNITS else None


@settings(max_examples=400, deadline=None)
@given(NEAR_DECIMALS, DECIMALS)
def test_amounts_match_decimal_or_are_refused(text, decimals):
    expected = reference(text, decimals)
    try:
        got = to_base_units(text, decimals)
    except AmountError:
        got = None
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_BASE_UNITS), DECIMALS)
def test_formatting_round_trips_exactly(units, decimals):
    text = format_amount(units, decimals)
    with localcontext(prec=400):
        assert Decimal(text) == Decimal(units).scaleb(-decimals)
    assert to_base_units(text, decimals) == units


@pytest.mark.parametrize("text", ["0.1234567\n", "0.015\n", "1\n", "0.5 ", "1\r\n"])
def test_a_trailing_newline_is_refused_not_misread(text):
    with pytest.raises(AmountError):
        to_base_units(text, 8)


def test_an_amount_beyond_what_any_chain_holds_names_the_limit():
    with pytest.raises(AmountError, match="2\\^256-1"):
        to_base_units("1" + "0" * 80, 0)
    with pytest.raises(AmountError, match="the limit is 160"):
        to_base_units("1" * 5000, 18)  # also beyond Python's 4300-digit int conversion limit
