"""Warmup ramps: :func:`ramp` (the shapes every warmup shares) and :func:`warmup`.

:func:`ramp` is the one place a warmup's values are written: :func:`warmup` here, and
the stateful warmups (:class:`lrplan.Warmup`, :class:`lrplan.GradualWarmupScheduler`
in ``lrplan._warmup``) build their ramps with it.

They sit above the basic shapes and the catalogue, because the ``"exponential"``
ramp is the catalogue's :class:`~lrplan.ExponentialRamp`.
"""

from __future__ import annotations

from ._catalogue import ExponentialRamp
from ._core import Constant, Join, Schedule, check_real, defer_if_unbound, deferrable
from ._shapes import Cosine, Exponential, Linear, _nonneg

__all__ = ["WARMUP_SHAPES", "ramp", "warmup"]

#: The shapes of :func:`ramp` and :func:`warmup`.
WARMUP_SHAPES = ("linear", "cosine", "exponential", "geometric")


def ramp(shape: str, *, steps: float, start: float, end: float) -> Schedule:
    """A ramp from ``start`` to ``end`` over ``steps`` in one of the warmup shapes.

    ``"linear"`` is :class:`Linear`, ``"cosine"`` a half-cosine (:class:`Cosine`),
    ``"exponential"`` the saturating :class:`~lrplan.ExponentialRamp` (Ma & Yarats
    2021, rescaled to reach ``end`` exactly at ``steps``), ``"geometric"`` the same
    ratio every step, ``start * (end / start) ** (t / steps)`` (:class:`Exponential`,
    then ``end`` held; it needs ``start > 0`` and ``end > 0``, or both 0). Each holds
    ``end`` after ``steps``. Shared by :func:`warmup` and the warmup wrappers
    (:class:`~lrplan.Warmup`, :class:`~lrplan.GradualWarmupScheduler`), so every
    warmup has the same shapes and the same values.

    Example:
        >>> import lrplan as lp
        >>> lp.ramp("linear", steps=4, start=0.0, end=1.0)(2)
        0.5
        >>> [lp.ramp("geometric", steps=2, start=0.25, end=1.0)(t) for t in (0, 1, 2, 3)]
        [0.25, 0.5, 1.0, 1.0]
    """
    if shape not in WARMUP_SHAPES:
        raise ValueError(f"warmup: shape must be one of {WARMUP_SHAPES}, got {shape!r}")
    if shape == "linear":
        return Linear(steps=steps, start=start, end=end)
    if shape == "cosine":
        return Cosine(steps=steps, start=start, end=end)
    if shape == "exponential":
        return ExponentialRamp(steps=steps, start=start, end=end)
    return _geometric(steps, start, end)


def _geometric(steps: float, start: float, end: float) -> Schedule:
    """``start * (end / start) ** (t / steps)`` up to ``steps``, then ``end``."""
    n = check_real("ramp", "steps", steps, lo=0.0, lo_open=True)
    a, b = _nonneg("ramp", "start", start), _nonneg("ramp", "end", end)
    if a == b:
        return Constant(value=b)
    if a == 0 or b == 0:
        raise ValueError(
            f"ramp: shape='geometric' multiplies by the same ratio every step, so start and "
            f"end must both be > 0 (got start={a}, end={b}); use 'exponential' to ramp from 0"
        )
    grow = Exponential(gamma=(b / a) ** (1.0 / n), start=a)
    return Join(schedules=(grow, Constant(value=b)), boundaries=(n,))


@deferrable
def warmup(
    schedule: Schedule, *, steps: float, start: float = 0.0, shape: str = "linear"
) -> Schedule:
    """Ramp from ``start`` up to ``schedule(0)`` over ``steps``, then run ``schedule``.

    The result is a :class:`Join`; ``schedule``'s clock starts when the warmup
    ends, and the hand-off is continuous. ``steps=0`` returns ``schedule`` itself.
    ``shape`` is ``"linear"``, ``"cosine"`` (a half-cosine ramp),
    ``"exponential"`` (a saturating ``1 - exp`` ramp) or ``"geometric"`` (the same
    ratio every step; needs ``start > 0``), see :func:`ramp`.

    Example:
        >>> import lrplan as lp
        >>> s = lp.warmup(lp.Cosine(steps=90), steps=10)
        >>> s(0), s(5), s(10), s(100)
        (0.0, 0.5, 1.0, 0.0)
    """
    deferred = defer_if_unbound(
        "warmup", {"schedule": schedule, "steps": steps, "start": start, "shape": shape}
    )
    if deferred is not None:
        return deferred
    if not isinstance(schedule, Schedule):
        raise TypeError(f"warmup: schedule must be a Schedule, got {type(schedule).__name__}")
    n = check_real("warmup", "steps", steps, lo=0.0)
    s0 = _nonneg("warmup", "start", start)
    if shape not in WARMUP_SHAPES:
        raise ValueError(f"warmup: shape must be one of {WARMUP_SHAPES}, got {shape!r}")
    if n == 0:
        return schedule
    ramp_ = ramp(shape, steps=n, start=s0, end=schedule(0))
    return Join(schedules=(ramp_, schedule), boundaries=(n,))
