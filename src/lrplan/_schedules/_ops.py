"""Two interchangeable math namespaces: one for Python floats, one for numpy arrays.

Every shape writes its formula once, against ``xp``; ``Schedule.__call__`` passes
:data:`SCALAR` (plain ``math``, fast for one step) and ``Schedule.values`` passes
:data:`VECTOR` (numpy, fast for a million steps). The scalar namespace must never
raise where numpy would return a number, so formulas avoid divisions by values
that can be zero.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "SCALAR",
    "VECTOR",
    "Ops",
]


class Ops:
    """The operations a formula may use. Subclasses bind them to math or numpy."""

    is_vector: bool = False
    pi: float = math.pi

    def cos(self, x: Any) -> Any:
        raise NotImplementedError

    def exp(self, x: Any) -> Any:
        raise NotImplementedError

    def expm1(self, x: Any) -> Any:
        """``exp(x) - 1``, accurate near 0."""
        raise NotImplementedError

    def sqrt(self, x: Any) -> Any:
        raise NotImplementedError

    def tanh(self, x: Any) -> Any:
        raise NotImplementedError

    def log(self, x: Any) -> Any:
        raise NotImplementedError

    def floor(self, x: Any) -> Any:
        raise NotImplementedError

    def power(self, base: Any, exponent: Any) -> Any:
        raise NotImplementedError

    def mul0(self, a: Any, b: Any) -> Any:
        """``a * b`` where a zero factor wins: ``0 * inf`` is 0, not NaN.

        For a coefficient times a power that overflowed (``0 * gamma ** 1e9``): the
        true product is 0, the inf is only an overflow.
        """
        raise NotImplementedError

    def minimum(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def maximum(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def mod(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def count_le(self, sorted_points: Sequence[float], t: Any) -> Any:
        """How many of ``sorted_points`` are ``<= t`` (``bisect_right``)."""
        raise NotImplementedError

    def piecewise(
        self, t: Any, starts: Sequence[float], pieces: Sequence[Callable[[Any], Any]]
    ) -> Any:
        """Evaluate ``pieces[i](t - starts[i])`` on ``[starts[i], starts[i+1])``.

        ``starts[0]`` is 0; the last piece runs to infinity.
        """
        raise NotImplementedError

    def phase(self, t: Any, ends: Sequence[float], pieces: Sequence[Callable[[Any], Any]]) -> Any:
        """``pieces[i](t)`` for the first ``i`` with ``t <= ends[i]``, else the last piece.

        torch's ``OneCycleLR`` phase rule (its phase ends are inclusive).
        """
        raise NotImplementedError

    def raise_if(self, cond: Any, error: Callable[[Any], Exception], arg: Any) -> None:
        """Raise ``error(arg)`` where ``cond`` holds (for any element, on arrays)."""
        raise NotImplementedError


class _Scalar(Ops):
    """Python floats and :mod:`math`. Where numpy returns a number (``inf`` on
    overflow), so must these: a formula gives the same value either way."""

    is_vector = False
    cos = staticmethod(math.cos)  # type: ignore[assignment]
    sqrt = staticmethod(math.sqrt)  # type: ignore[assignment]
    tanh = staticmethod(math.tanh)  # type: ignore[assignment]
    log = staticmethod(math.log)  # type: ignore[assignment]

    def floor(self, x: Any) -> Any:
        # Floor division by 1 is the exact floor with the sign of zero kept (as in
        # numpy); numpy keeps inf and NaN (t / a tiny step_size), so must this.
        return x // 1.0 if x - x == 0.0 else float(x)

    def mul0(self, a: Any, b: Any) -> Any:
        return 0.0 if a == 0 or b == 0 else a * b

    def exp(self, x: Any) -> Any:
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf

    def expm1(self, x: Any) -> Any:
        try:
            return math.expm1(x)
        except OverflowError:
            return math.inf

    def power(self, base: Any, exponent: Any) -> Any:
        # A float base (``2 ** 3`` would be the int 8); numpy gives inf where Python
        # raises (``1.01 ** 1e6``, ``0.0 ** -1``).
        try:
            return float(base) ** exponent
        except (OverflowError, ZeroDivisionError):
            return math.inf

    def minimum(self, a: Any, b: Any) -> Any:
        return a if a < b else b

    def maximum(self, a: Any, b: Any) -> Any:
        return a if a > b else b

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    def mod(self, a: Any, b: Any) -> Any:
        return math.fmod(a, b)

    def count_le(self, sorted_points: Sequence[float], t: Any) -> Any:
        return bisect.bisect_right(sorted_points, t)

    def piecewise(
        self, t: Any, starts: Sequence[float], pieces: Sequence[Callable[[Any], Any]]
    ) -> Any:
        i = bisect.bisect_right(starts, t) - 1
        return pieces[i](t - starts[i])

    def phase(self, t: Any, ends: Sequence[float], pieces: Sequence[Callable[[Any], Any]]) -> Any:
        for end, piece in zip(ends, pieces, strict=False):
            if t <= end:
                return piece(t)
        return pieces[-1](t)

    def raise_if(self, cond: Any, error: Callable[[Any], Exception], arg: Any) -> None:
        if cond:
            raise error(arg)


class _Vector(Ops):
    is_vector = True
    cos = staticmethod(np.cos)  # type: ignore[assignment]
    exp = staticmethod(np.exp)  # type: ignore[assignment]
    expm1 = staticmethod(np.expm1)  # type: ignore[assignment]
    sqrt = staticmethod(np.sqrt)  # type: ignore[assignment]
    tanh = staticmethod(np.tanh)  # type: ignore[assignment]
    log = staticmethod(np.log)  # type: ignore[assignment]
    floor = staticmethod(np.floor)  # type: ignore[assignment]
    power = staticmethod(np.power)  # type: ignore[assignment]

    def minimum(self, a: Any, b: Any) -> Any:
        # A bound no element passes (a shape held past its end, previewed before it)
        # costs one reduction instead of a new array: np.minimum would return ``a``'s
        # values, so ``a`` is returned (formulas never write into their inputs).
        if _within(a, b) and a.max() <= b:
            return a
        return np.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        if _within(a, b) and a.min() >= b:  # a floor no element is under: ``a`` itself
            return a
        return np.maximum(a, b)

    where = staticmethod(np.where)  # type: ignore[assignment]
    mod = staticmethod(np.fmod)  # type: ignore[assignment]

    def mul0(self, a: Any, b: Any) -> Any:
        with np.errstate(invalid="ignore"):
            return np.where((np.asarray(a) == 0) | (np.asarray(b) == 0), 0.0, a * b)

    def phase(self, t: Any, ends: Sequence[float], pieces: Sequence[Callable[[Any], Any]]) -> Any:
        values = [piece(t) for piece in pieces]
        out = values[-1]
        for i in range(len(values) - 2, -1, -1):
            out = np.where(t <= ends[i], values[i], out)
        return out

    def raise_if(self, cond: Any, error: Callable[[Any], Exception], arg: Any) -> None:
        if np.any(cond):
            raise error(arg)

    def count_le(self, sorted_points: Sequence[float], t: Any) -> Any:
        return np.searchsorted(np.asarray(sorted_points, dtype=np.float64), t, side="right")

    def piecewise(
        self, t: Any, starts: Sequence[float], pieces: Sequence[Callable[[Any], Any]]
    ) -> Any:
        out = np.empty_like(t, dtype=np.float64)
        edges = np.asarray(starts, dtype=np.float64)
        if t.ndim == 1 and _is_sorted(t):
            # The usual preview (a range of steps): each piece is one contiguous
            # slice, found with one binary search per edge instead of a mask per piece.
            cuts = [*np.searchsorted(t, edges[1:], side="left").tolist(), t.size]
            lo = 0
            for i, (piece, hi) in enumerate(zip(pieces, cuts, strict=False)):
                if hi > lo:
                    out[lo:hi] = piece(t[lo:hi] - edges[i])
                lo = hi
            return out
        idx = np.searchsorted(edges, t, side="right") - 1
        for i, piece in enumerate(pieces):
            mask = idx == i
            if mask.any():
                out[mask] = piece(t[mask] - edges[i])
        return out


def _within(a: Any, b: Any) -> bool:
    """Whether ``np.minimum(a, b)``/``np.maximum(a, b)`` may be answered by ``a`` itself
    once a reduction shows no element crosses ``b``: a non-empty float64 array and a
    real scalar bound (NaN fails the comparison that follows)."""
    return (
        type(a) is np.ndarray
        and a.dtype == np.float64
        and a.size > 0
        and isinstance(b, int | float)
        and not isinstance(b, bool)
    )


def _is_sorted(t: Any) -> bool:
    """Whether the 1-D array ``t`` is non-decreasing (one vectorised pass)."""
    return t.size < 2 or bool(np.all(t[1:] >= t[:-1]))


SCALAR: Ops = _Scalar()
VECTOR: Ops = _Vector()
