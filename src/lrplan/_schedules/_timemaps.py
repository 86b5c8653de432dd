"""Time combinators and batch-size rules: schedules moved, stretched and repeated in time.

:class:`Shift`, :class:`TimeScale` and :class:`Repeat` move, stretch and repeat any
schedule in time; :func:`per_iteration` runs a schedule written per epoch once per
iteration. :func:`scale_lr` and :func:`large_batch` are the batch-size scaling rules
and Goyal et al.'s large-batch recipe. Durations and run lengths are in
:mod:`lrplan._schedules._time`.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Any, ClassVar

import numpy as np

from ._core import (
    Join,
    Schedule,
    check_boundary_count,
    check_int,
    check_real,
    check_until,
    defer_if_unbound,
    deferrable,
)
from ._ops import SCALAR, Ops
from ._shapes import Constant, Linear
from ._time import epochs

# The public names: lrplan exports each of them (lrplan/__init__.py reads this list).
__all__ = [
    "Repeat",
    "Shift",
    "TimeScale",
    "large_batch",
    "per_iteration",
    "scale_lr",
]


# --------------------------------------------------------------------------- time combinators


def _schedule(owner: str, value: Any) -> Schedule:
    if not isinstance(value, Schedule):
        raise TypeError(f"{owner}: schedule must be a Schedule, got {type(value).__name__}")
    return value


class _TimeMap(Schedule):
    """A schedule run on a remapped clock: ``s'(t) = schedule(_inner(t))``.

    Subclasses define ``schedule`` and the clock map ``_inner``; evaluation and
    the relative (chained) update follow from them.
    """

    schedule: Schedule

    def _inner(self, t: Any, xp: Ops) -> Any:
        raise NotImplementedError

    def _clock(self, t: Any, xp: Ops) -> Any:
        """``_inner(t)``, saturated at the largest float.

        A tiny ``factor`` (or a large negative ``by``) can map a finite time past the
        float range; the inner schedule then reads the end of time, never ``inf``
        (which would turn ``0 * t`` into NaN and ``fmod`` into an error).
        """
        return xp.minimum(self._inner(t, xp), sys.float_info.max)

    def _at(self, t: Any, xp: Ops) -> Any:
        return self.schedule._at(self._clock(t, xp), xp)

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        a, b = self._clock(t_prev, SCALAR), self._clock(t, SCALAR)
        if a == b:
            return current
        return self.schedule._rechain(current, scale, a, b)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Shift(_TimeMap):
    r"""Move a schedule later (``by > 0``) or earlier (``by < 0``) in time.

    .. math:: s'(t) = s(\max(t - \text{by}, 0))

    A positive shift holds ``s(0)`` for the first ``by`` steps; a negative one
    starts ``s`` part-way through (its clock reads ``|by|`` at ``t = 0``).

    Example:
        >>> import lrplan as lp
        >>> s = lp.Shift(schedule=lp.Linear(steps=10), by=5)
        >>> s(0), s(5), s(10), s(15)
        (1.0, 1.0, 0.5, 0.0)
        >>> lp.Shift(schedule=lp.Linear(steps=10), by=-5)(0)
        0.5
    """

    type_name: ClassVar[str] = "shift"
    schedule: Schedule
    by: float

    def __post_init__(self) -> None:
        _schedule("Shift", self.schedule)
        object.__setattr__(self, "by", check_real("Shift", "by", self.by))

    def _inner(self, t: Any, xp: Ops) -> Any:
        return xp.maximum(t - self.by, 0.0)

    @property
    def duration(self) -> float | None:
        d = self.schedule.duration
        return None if d is None else max(d + self.by, 0.0)

    def boundaries(self, until: float | None = None) -> list[float]:
        u = math.inf if until is None else check_until("Shift", until)
        inner = self.schedule.boundaries(until=None if until is None else u - self.by)
        out = {x for b in inner if 0 < (x := b + self.by) < math.inf and x <= u}
        if 0 < self.by <= u:
            out.add(self.by)
        return sorted(out)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimeScale(_TimeMap):
    r"""Stretch a schedule in time: one unit of its clock lasts ``factor`` units.

    .. math:: s'(t) = s(t / \text{factor}) \quad\text{or, with } \texttt{staircase}:\quad
              s'(t) = s(\lfloor t / \text{factor} \rfloor)

    With ``factor = steps_per_epoch`` a schedule written per epoch runs per
    iteration (:func:`per_iteration`): smoothly, at fractional epochs, or with
    ``staircase=True`` holding each epoch's value for the whole epoch, exactly as
    stepping it once per epoch would.

    Example:
        >>> import lrplan as lp
        >>> s = lp.TimeScale(schedule=lp.Linear(steps=10), factor=100)
        >>> s(0), s(150), s(1_000)
        (1.0, 0.85, 0.0)
        >>> lp.TimeScale(schedule=lp.Linear(steps=10), factor=100, staircase=True)(150)
        0.9
    """

    type_name: ClassVar[str] = "time_scale"
    schedule: Schedule
    factor: float
    staircase: bool = False

    def __post_init__(self) -> None:
        _schedule("TimeScale", self.schedule)
        object.__setattr__(
            self, "factor", check_real("TimeScale", "factor", self.factor, lo=0.0, lo_open=True)
        )
        if not isinstance(self.staircase, bool):
            raise TypeError(f"TimeScale: staircase must be a bool, got {self.staircase!r}")

    def _inner(self, t: Any, xp: Ops) -> Any:
        u = t / self.factor
        return xp.floor(u) if self.staircase else u

    @property
    def duration(self) -> float | None:
        d = self.schedule.duration
        return None if d is None else d * self.factor

    def boundaries(self, until: float | None = None) -> list[float]:
        """The schedule's boundaries, scaled by ``factor``.

        With ``staircase``, a change shows at the start of the step ``k`` after it
        (at ``k * factor``, the first time with ``floor(t / factor) == k``). With
        ``until``, every ``k * factor <= until`` where the value changes
        (``s(k) != s(k - 1)``) is listed too: the per-epoch drops. Without
        ``until``, only the schedule's own boundaries are (pass ``until`` to see
        every drop).

        Example:
            >>> import lrplan as lp
            >>> s = lp.TimeScale(schedule=lp.MultiStep(milestones=(2.5,)), factor=100,
            ...                  staircase=True)
            >>> s.boundaries(), s.boundaries(until=1_000)
            ([300.0], [300.0])
            >>> lp.TimeScale(schedule=lp.Linear(steps=3), factor=100,
            ...              staircase=True).boundaries(until=1_000)
            [100.0, 200.0, 300.0]
        """
        u = math.inf if until is None else check_until("TimeScale", until)
        inner = self.schedule.boundaries(until=None if until is None else u / self.factor)
        if not self.staircase:
            # A boundary scaled past the float range is no boundary: keep finite ones only.
            return [x for b in inner if math.isfinite(x := b * self.factor) and x <= u]
        steps = {math.ceil(b) for b in inner if 0 < b < math.inf}
        if until is not None and u >= self.factor:
            reach = u / self.factor  # the steps ``until`` reaches (may overflow to inf)
            d = self.schedule.duration
            if d is not None and math.isfinite(d):  # constant after its end
                reach = min(reach, math.ceil(d))
            check_boundary_count("TimeScale", reach, u)
            ks = np.arange(math.floor(reach) + 1, dtype=np.float64)
            v = self.schedule.values(ks if d is None else np.minimum(ks, d))
            steps.update(int(k) for k in ks[1:][v[1:] != v[:-1]])
        return [x for x in self._step_starts(sorted(steps)) if math.isfinite(x) and x <= u]

    def _step_starts(self, ks: list[int]) -> list[float]:
        """For each step ``k``, the first time ``t`` whose ``t / factor`` (computed as
        :meth:`_inner` computes it) reaches ``k``: where the staircase really moves."""
        k = np.asarray(ks, dtype=np.float64)
        t = k * self.factor
        while (low := t / self.factor < k).any():
            t = np.where(low, np.nextafter(t, np.inf), t)
        while (high := (t > 0) & (np.nextafter(t, 0.0) / self.factor >= k)).any():
            t = np.where(high, np.nextafter(t, 0.0), t)
        return [float(x) for x in t]


def per_iteration(
    schedule: Schedule, steps_per_epoch: float, *, staircase: bool = False
) -> TimeScale:
    """Run a schedule written per epoch once per iteration (:class:`TimeScale`).

    Example:
        >>> import lrplan as lp
        >>> per_epoch = lp.Cosine(steps=90)                  # 90 epochs
        >>> s = lp.per_iteration(per_epoch, steps_per_epoch=500)
        >>> s(45 * 500) == per_epoch(45), s(100) == per_epoch(0.2)
        (True, True)
    """
    return TimeScale(schedule=schedule, factor=steps_per_epoch, staircase=staircase)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Repeat(Schedule):
    r"""Repeat a schedule every ``period`` steps, ``times`` times (``None``: forever).

    .. math:: s'(t) = \begin{cases}
                s(t \bmod P) & t < n P \\
                s(P) & t \ge n P \text{ (hold the end of the last cycle)}
              \end{cases}

    ``period`` defaults to the schedule's own ``duration``. Each cycle restarts the
    schedule's clock; any schedule repeats, a warmup-and-decay plan included.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Repeat(schedule=lp.Linear(steps=4), times=2)
        >>> [s(t) for t in range(10)]
        [1.0, 0.75, 0.5, 0.25, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    type_name: ClassVar[str] = "repeat"
    schedule: Schedule
    period: float | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        _schedule("Repeat", self.schedule)
        if self.period is None:
            d = self.schedule.duration
            if not d:
                raise ValueError(
                    f"Repeat: {self.schedule!r} has no finite length (duration={d!r}); "
                    "give period= explicitly"
                )
            period = d
        else:
            period = check_real("Repeat", "period", self.period, lo=0.0, lo_open=True)
            object.__setattr__(self, "period", period)
        if self.times is not None:
            object.__setattr__(self, "times", check_int("Repeat", "times", self.times, lo=1))
        object.__setattr__(self, "_p", period)

    @property
    def cycle(self) -> float:
        """The period in use (``period`` or the schedule's duration)."""
        p: float = self.__dict__["_p"]
        return p

    def _inner(self, t: Any, xp: Ops) -> Any:
        p = self.cycle
        u = xp.mod(t, p)
        if self.times is None:
            return u
        return xp.where(t >= self.times * p, p, u)

    def _at(self, t: Any, xp: Ops) -> Any:
        return self.schedule._at(self._inner(t, xp), xp)

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        a, b = self._inner(t_prev, SCALAR), self._inner(t, SCALAR)
        if a == b:
            return current
        if b > a:  # same cycle
            return self.schedule._rechain(current, scale, a, b)
        return Schedule._rechain(self, current, scale, t_prev, t)

    @property
    def duration(self) -> float | None:
        return None if self.times is None else self.times * self.cycle

    def boundaries(self, until: float | None = None) -> list[float]:
        """Each cycle's boundaries and its end. Without ``until``: the first cycle
        (forever) or the first 1000; with it, every cycle that starts by ``until``."""
        p = self.cycle
        if until is None:
            n = 1 if self.times is None else min(self.times, 1000)
            inner = [b for b in self.schedule.boundaries() if b < p]
            u = math.inf
        else:
            u = check_until("Repeat", until)
            inner = [b for b in self.schedule.boundaries(until=p) if b < p]
            cycles = u / p + 1.0  # the cycles that start at or before ``until``
            if self.times is not None:
                cycles = min(cycles, self.times)
            check_boundary_count("Repeat", cycles * (len(inner) + 1), u)
            n = max(0, int(cycles))
        return sorted(
            {x for k in range(n) for b in [*inner, p] if 0 < (x := k * p + b) < math.inf and x <= u}
        )


# --------------------------------------------------------------------------- batch size

#: Batch-size scaling rules of :func:`scale_lr`.
BATCH_RULES = ("linear", "sqrt")


def _batch_factor(owner: str, batch_size: Any, base_batch_size: Any, rule: str) -> float:
    b = check_real(owner, "batch_size", batch_size, lo=0.0, lo_open=True)
    b0 = check_real(owner, "base_batch_size", base_batch_size, lo=0.0, lo_open=True)
    if rule not in BATCH_RULES:
        raise ValueError(f"{owner}: rule must be one of {BATCH_RULES}, got {rule!r}")
    k = b / b0
    return k if rule == "linear" else math.sqrt(k)


def scale_lr(
    lr: float, *, batch_size: float, base_batch_size: float = 256, rule: str = "linear"
) -> float:
    r"""A learning rate tuned at ``base_batch_size``, scaled to ``batch_size``.

    * ``"linear"``: :math:`\eta \cdot B / B_0` (Goyal et al., 2017, the linear
      scaling rule for SGD);
    * ``"sqrt"``: :math:`\eta \sqrt{B / B_0}` (Krizhevsky, 2014; Hoffer et al.,
      2017; often used for Adam).

    Example:
        >>> import lrplan as lp
        >>> lp.scale_lr(0.1, batch_size=8192), lp.scale_lr(1e-3, batch_size=1024, rule="sqrt")
        (3.2, 0.002)
    """
    base = check_real("scale_lr", "lr", lr, lo=0.0)
    return base * _batch_factor("scale_lr", batch_size, base_batch_size, rule)


@deferrable
def large_batch(
    schedule: Schedule | None = None,
    *,
    batch_size: float,
    base_batch_size: float = 256,
    warmup: Any = None,
    rule: str = "linear",
) -> Schedule:
    r"""Goyal et al.'s large-batch recipe as a multiplier of the small-batch lr.

    With :math:`k` the scaling factor (``rule``, from ``base_batch_size`` to
    ``batch_size``) and :math:`W` = ``warmup`` (default 5 epochs):

    .. math:: s(t) = \begin{cases}
                1 + (k\,\sigma(W) - 1)\, t / W & t < W \text{ (gradual warmup from the base lr)} \\
                k\, \sigma(t) & t \ge W
              \end{cases}

    where :math:`\sigma` is ``schedule`` (default constant 1), whose clock counts
    from the start of the run, so a step decay at epoch 30 stays at epoch 30. The
    optimizer's lr is the base (small-batch) lr. With the default warmup the plan
    is in epochs: bind it with the epoch size.

    Reference: Goyal et al., *Accurate, Large Minibatch SGD: Training ImageNet in
    1 Hour*, 2017 (linear scaling rule, gradual warmup over 5 epochs).

    Example:
        >>> import lrplan as lp
        >>> plan = lp.large_batch(batch_size=1024).bind(steps_per_epoch=10)
        >>> plan(0), plan(25), plan(50), plan(1_000)
        (1.0, 2.5, 4.0, 4.0)
    """
    warmup = epochs(5) if warmup is None else warmup
    base = Constant(value=1.0) if schedule is None else schedule
    # Validate what needs no run length now, at the call, not later at bind().
    _batch_factor("large_batch", batch_size, base_batch_size, rule)
    deferred = defer_if_unbound(
        "large_batch",
        {
            "schedule": base,
            "batch_size": batch_size,
            "base_batch_size": base_batch_size,
            "warmup": warmup,
            "rule": rule,
        },
    )
    if deferred is not None:
        return deferred
    _schedule("large_batch", base)
    k = _batch_factor("large_batch", batch_size, base_batch_size, rule)
    w = check_real("large_batch", "warmup", warmup, lo=0.0)
    main: Schedule = base if k == 1 else k * base
    if w == 0:
        return main
    ramp = Linear(steps=w, start=1.0, end=main(w))
    return Join(schedules=(ramp, Shift(schedule=main, by=-w)), boundaries=(w,))
