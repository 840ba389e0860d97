import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recdemo.display import share_percent


@pytest.mark.parametrize(("fraction", "percent"), [
    (0.5, 50), (0.123, 12), (0.126, 13), (0.0, 0), (1.0, 100),
    (1.7, 100), (-0.2, 0), (math.nan, 0), (math.inf, 0), (-math.inf, 0)])
def test_the_bar_is_filled_to_its_fraction_within_its_track(fraction, percent):
    assert share_percent(fraction) == percent


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_number_fills_a_whole_percentage_of_the_track(fraction):
    percent = share_percent(fraction)
    assert type(percent) is int and 0 <= percent <= 100
    if 0 <= fraction <= 1:
        assert abs(percent - 100 * fraction) <= 0.5
