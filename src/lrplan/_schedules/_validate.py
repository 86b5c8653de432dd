"""Argument checks shared by every schedule, duration and scheduler.

The bottom of the pure layer: standard library only, so the modules above it
(durations, the value type, the shapes) can all use it without importing each other.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_int", "check_real", "check_whole"]


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a finite Python float inside the given range, or raise.

    ``owner`` and ``name`` go into the message, so the user sees which parameter of
    which schedule was wrong and what range it accepts. numpy scalars are accepted
    and converted; bools are not numbers here.

    Example:
        >>> from lrplan._schedules._validate import check_real
        >>> check_real("Cosine", "end", 0.1, lo=0.0)
        0.1
        >>> check_real("Cosine", "end", -1, lo=0.0)
        Traceback (most recent call last):
        ...
        ValueError: Cosine: end must be in [0, inf), got -1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    v = float(value)
    lo_b = "(" if lo_open or lo is None else "["
    hi_b = ")" if hi_open or hi is None else "]"
    rng = f"{lo_b}{'-inf' if lo is None else _num(lo)}, {'inf' if hi is None else _num(hi)}{hi_b}"
    if not math.isfinite(v):
        raise ValueError(f"{owner}: {name} must be a finite number in {rng}, got {value!r}")
    if lo is not None and (v < lo or (lo_open and v == lo)):
        raise ValueError(f"{owner}: {name} must be in {rng}, got {value!r}")
    if hi is not None and (v > hi or (hi_open and v == hi)):
        raise ValueError(f"{owner}: {name} must be in {rng}, got {value!r}")
    # Keep integers integers, so reprs and configs read as they were written.
    return int(value) if isinstance(value, numbers.Integral) else v


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_int(owner: str, name: str, value: Any, *, lo: int | None = None) -> int:
    """Return ``value`` as a Python int ``>= lo``, or raise TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {type(value).__name__} {value!r}")
    v = int(value)
    if lo is not None and v < lo:
        raise ValueError(f"{owner}: {name} must be an integer >= {lo}, got {value!r}")
    return v


def check_whole(owner: str, name: str, value: Any, *, lo: int) -> int:
    """Return ``value`` as a Python int ``>= lo``, or raise TypeError/ValueError.

    Unlike :func:`check_int`, an integral float (``5.0``, ``1e3``) is accepted, as
    torch's integer arguments accept one; numpy integers are too.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be an integer, got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif math.isfinite(float(value)) and float(value).is_integer():
        v = int(float(value))
    else:
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if v < lo:
        raise ValueError(f"{owner}: {name} must be an integer >= {lo}, got {value!r}")
    return v
