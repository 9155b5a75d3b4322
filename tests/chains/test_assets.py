from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.assets import AmountError, format_amount, to_base_units


@given(decimals=st.sampled_from([0, 6, 8, 18]), base_units=st.integers(min_value=0, max_value=10**40))
def test_base_units_round_trip_through_the_decimal_string_exactly(decimals, base_units):
    text = format_amount(base_units, decimals)
    assert to_base_units(text, decimals) == base_units
    with localcontext(prec=100):
        assert Decimal(text).scaleb(decimals) == base_units


@given(
    decimals=st.sampled_from([6, 8, 18]),
    whole=st.integers(min_value=0, max_value=10**12),
    fraction=st.text(alphabet="0123456789", min_size=1, max_size=6),
)
def test_decimal_string_round_trips_to_its_normal_form(decimals, whole, fraction):
    text = f"{whole}.{fraction}"
    assert Decimal(format_amount(to_base_units(text, decimals), decimals)) == Decimal(text)


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("-1", "negative"),
        ("1e-3", "not a plain decimal"),
        ("NaN", "not a plain decimal"),
        ("Infinity", "not a plain decimal"),
        ("1.2.3", "not a plain decimal"),
        ("1,5", "not a plain decimal"),
        (".5", "not a plain decimal"),
        ("0x10", "not a plain decimal"),
        ("", "not a plain decimal"),
        ("0.000000001", "more than 8 decimal places"),
        (0.015, "not a number"),
        (Decimal("0.015"), "not a number"),
        (15, "not a number"),
    ],
)
def test_invalid_amounts_are_refused_with_the_reason(amount, says):
    with pytest.raises(AmountError, match=says):
        to_base_units(amount, 8)


def test_trailing_zeros_beyond_the_decimals_are_harmless():
    assert to_base_units("0.015000000000", 8) == 1_500_000
    assert format_amount(1_500_000, 8) == "0.015"
    assert format_amount(25 * 10**18, 18) == "25"
