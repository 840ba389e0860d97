"""Argument checks shared by the models' constructors and the training settings, in the
keras-rs style: a `ValueError` that names the argument and quotes the bad value; and the one
check of a name that becomes a folder (`check_name`: a `RecdemoError`, for names a person
types)."""

from __future__ import annotations

import math
import re
from collections.abc import Collection

from recdemo import RecdemoError

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_int(name: str, value, low: int = 1) -> None:
    """Raise unless `value` is an integer (not a bool) >= `low`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"`{name}` should be an integer >= {low}. "
                         f"Received: `{name}` = {value!r}.")


def check_number(name: str, value, low: float = 0.0, *, above: bool = False,
                 below: float | None = None) -> None:
    """Raise unless `value` is a finite number (not a bool) >= `low` (> `low` if `above`) and,
    if given, < `below`."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if above else value >= low) and (below is None or value < below))
    if not ok:
        bound = f"{'>' if above else '>='} {low}" + (f" and < {below}" if below is not None else "")
        raise ValueError(f"`{name}` should be a finite number {bound}. "
                         f"Received: `{name}` = {value!r}.")


def check_rate(name: str, value) -> None:
    """Raise unless `value` is a number in [0, 1) (a dropout rate)."""
    check_number(name, value, 0.0, below=1.0)


def check_choice(name: str, value, choices: Collection) -> None:
    """Raise unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(f"`{name}` should be one of {tuple(choices)}. "
                         f"Received: `{name}` = {value!r}.")


def check_name(name: str, what: str = "artifact name") -> str:
    """`name` if it is a plain identifier (letters, digits, `_`, `-`; no dots, no slashes).

    Raises:
        RecdemoError: anything else, quoted.
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise RecdemoError(f"The {what} should be letters, digits, '_' or '-' (at most 64, "
                           f"starting with a letter or digit). Received: {name!r}.")
    return name
