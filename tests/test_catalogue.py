"""Title resolution for `--title`."""

from __future__ import annotations

import pandas as pd
import pytest

from recdemo import RecdemoError
from recdemo.catalogue import resolve_title

MOVIES = pd.DataFrame({"title": ["Heat (1995)", "Heat (1986)", "Fargo (1996)", "Big (1988)"]},
                      index=[1, 2, 3, 4])


def test_exact_title_any_case_and_spacing():
    assert resolve_title(MOVIES, "  fargo   (1996) ") == 3


def test_title_without_year_when_unambiguous():
    assert resolve_title(MOVIES, "Big") == 4


def test_ambiguous_and_unknown_titles():
    with pytest.raises(RecdemoError, match="ambiguous"):
        resolve_title(MOVIES, "Heat")
    with pytest.raises(RecdemoError, match="Did you mean: Fargo"):
        resolve_title(MOVIES, "Fargoo (1996)")
    with pytest.raises(RecdemoError, match="Empty"):
        resolve_title(MOVIES, "   ")
