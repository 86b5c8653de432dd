"""Warmup ramps: :func:`ramp` (the shapes every warmup shares) and :func:`warmup`.

They sit above the basic shapes and the catalogue, because the ``"exponential"``
ramp is the catalogue's :class:`~lrplan.ExponentialRamp`.
"""

from __future__ import annotations

from ._catalogue import ExponentialRamp
from ._core import Schedule, Sequence, check_real, defer_if_unbound, deferrable
from ._shapes import Cosine, Linear, _nonneg

__all__ = ["WARMUP_SHAPES", "ramp", "warmup"]

#: The shapes of :func:`ramp` and :func:`warmup`.
WARMUP_SHAPES = ("linear", "cosine", "exponential")


def ramp(shape: str, *, steps: float, start: float, end: float) -> Schedule:
    """A ramp from ``start`` to ``end`` over ``steps`` in one of the warmup shapes.

    ``"linear"`` is :class:`Linear`, ``"cosine"`` a half-cosine (:class:`Cosine`),
    ``"exponential"`` the saturating :class:`~lrplan.ExponentialRamp` (Ma & Yarats
    2021, rescaled to reach ``end`` exactly at ``steps``). Shared by
    :func:`warmup` and the warmup wrappers, so every warmup has the same shapes.

    Example:
        >>> import lrplan as lp
        >>> lp.ramp("linear", steps=4, start=0.0, end=1.0)(2)
        0.5
    """
    if shape not in WARMUP_SHAPES:
        raise ValueError(f"warmup: shape must be one of {WARMUP_SHAPES}, got {shape!r}")
    if shape == "linear":
        return Linear(steps=steps, start=start, end=end)
    if shape == "cosine":
        return Cosine(steps=steps, start=start, end=end)
    return ExponentialRamp(steps=steps, start=start, end=end)


@deferrable
def warmup(
    schedule: Schedule, *, steps: float, start: float = 0.0, shape: str = "linear"
) -> Schedule:
    """Ramp from ``start`` up to ``schedule(0)`` over ``steps``, then run ``schedule``.

    The result is a :class:`Sequence`; ``schedule``'s clock starts when the warmup
    ends, and the hand-off is continuous. ``steps=0`` returns ``schedule`` itself.
    ``shape`` is ``"linear"``, ``"cosine"`` (a half-cosine ramp) or
    ``"exponential"`` (a saturating ``1 - exp`` ramp, see :func:`ramp`).

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
    return Sequence(schedules=(ramp_, schedule), boundaries=(n,))
