"""Time units and time combinators: durations in steps, epochs or a fraction of the run.

Schedules run on one clock, in scheduler steps. Lengths known in other units are
written as *durations* (:func:`epochs`, :func:`fraction`, or sums of them with
plain step counts) and resolved **once**, when the plan is bound to a run:

    >>> import lrplan as lp
    >>> plan = lp.warmup(lp.Cosine(steps=lp.fraction(1) - lp.epochs(2)), steps=lp.epochs(2))
    >>> plan
    warmup(schedule=Cosine(steps=fraction(1) - epochs(2)), steps=epochs(2))
    >>> bound = plan.bind(epochs=10, batches_per_epoch=100, accumulation=4)
    >>> bound
    Sequence(schedules=(Linear(steps=50, start=0.0, end=1.0), Cosine(steps=200)), boundaries=(50,))

A plan with durations is an :class:`Unbound` schedule: a record of the
constructor call, with a plain-data config, that cannot be evaluated until it is
bound. Binding returns an ordinary schedule in steps, so the pure layer never
carries units around.

The combinators :class:`Shift`, :class:`TimeScale` and :class:`Repeat` move,
stretch and repeat any schedule in time; :func:`per_iteration` runs a schedule
written per epoch once per iteration. :func:`scale_lr` and :func:`large_batch`
are the batch-size scaling rules and Goyal et al.'s large-batch recipe.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers
import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

from ._core import (
    _DURATION_KEYS,
    Schedule,
    Sequence,
    Unresolved,
    _is_unresolved,
    check_int,
    check_real,
    registry,
)
from ._ops import SCALAR, Ops
from ._shapes import Constant, Linear

__all__ = [
    "BATCH_RULES",
    "Duration",
    "Repeat",
    "RunLength",
    "Shift",
    "TimeScale",
    "Unbound",
    "epochs",
    "fraction",
    "large_batch",
    "per_iteration",
    "scale_lr",
]


# --------------------------------------------------------------------------- durations


def _real(owner: str, name: str, value: Any) -> float:
    return check_real(owner, name, value)


def _snap(x: float) -> float:
    """``x``, or the integer it is within 1e-9 (relative) of: no ``700.0000000000001``."""
    r = round(x)
    if abs(x - r) <= 1e-9 * max(1.0, abs(x)):
        return int(r)
    return x


@dataclasses.dataclass(frozen=True, repr=False)
class Duration(Unresolved):
    """A length of time: ``steps + epochs * steps_per_epoch + fraction * total_steps``.

    Make one with :func:`epochs` or :func:`fraction`; add, subtract and scale them,
    together or with plain step counts (``fraction(1) - epochs(5) - 100``).
    :meth:`resolve` turns it into steps for one :class:`RunLength`. Its config is
    ``{"epochs": 5}`` (only the non-zero units).

    Example:
        >>> import lrplan as lp
        >>> d = lp.fraction(1) - lp.epochs(2)
        >>> d, d.resolve(lp.RunLength(total_steps=1000, steps_per_epoch=100))
        (fraction(1) - epochs(2), 800)
    """

    steps: float = 0
    epochs: float = 0
    fraction: float = 0

    def __post_init__(self) -> None:
        for name in ("steps", "epochs", "fraction"):
            object.__setattr__(self, name, _real("Duration", name, getattr(self, name)))

    # -- arithmetic ------------------------------------------------------------------------

    @staticmethod
    def _of(value: Any) -> Duration | None:
        if isinstance(value, Duration):
            return value
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return Duration(steps=cast(float, value))
        return None

    def __add__(self, other: Any) -> Duration:
        o = self._of(other)
        if o is None:
            return NotImplemented
        return Duration(
            steps=self.steps + o.steps,
            epochs=self.epochs + o.epochs,
            fraction=self.fraction + o.fraction,
        )

    __radd__ = __add__

    def __neg__(self) -> Duration:
        return Duration(steps=-self.steps, epochs=-self.epochs, fraction=-self.fraction)

    def __sub__(self, other: Any) -> Duration:
        o = self._of(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: Any) -> Duration:
        o = self._of(other)
        return NotImplemented if o is None else o + (-self)

    def __mul__(self, k: Any) -> Duration:
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            return NotImplemented
        f = cast(float, k)
        return Duration(steps=self.steps * f, epochs=self.epochs * f, fraction=self.fraction * f)

    __rmul__ = __mul__

    # -- resolution ------------------------------------------------------------------------

    def resolve(self, run: RunLength) -> float:
        """This duration in steps for ``run`` (an int where it is a whole number)."""
        total = 0.0 + self.steps
        if self.epochs:
            total += self.epochs * run.require_steps_per_epoch(self)
        if self.fraction:
            total += self.fraction * run.require_total_steps(self)
        return _snap(total)

    def to_config(self) -> dict[str, float]:
        cfg = {k: getattr(self, k) for k in ("steps", "epochs", "fraction") if getattr(self, k)}
        return cfg or {"steps": 0}

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> Duration:
        """Rebuild from :meth:`to_config` (``{"epochs": 2.5}``, ``{"fraction": 0.1}``, ...)."""
        extra = set(config) - _DURATION_KEYS
        if extra or not config:
            raise ValueError(
                f"a duration config takes the keys {sorted(_DURATION_KEYS)}, got {dict(config)!r}"
            )
        return Duration(**config)

    def __repr__(self) -> str:
        parts = []
        if self.fraction:
            parts.append((self.fraction, f"fraction({_fmt(abs(self.fraction))})"))
        if self.epochs:
            parts.append((self.epochs, f"epochs({_fmt(abs(self.epochs))})"))
        if self.steps:
            parts.append((self.steps, _fmt(abs(self.steps))))
        if not parts:
            return "Duration(steps=0)"
        out = ("-" if parts[0][0] < 0 else "") + parts[0][1]
        for v, text in parts[1:]:
            out += (" - " if v < 0 else " + ") + text
        return out


def _fmt(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(x)


def epochs(n: float) -> Duration:
    """A duration of ``n`` epochs (fractional epochs are fine): ``epochs(2.5)``.

    Example:
        >>> import lrplan as lp
        >>> lp.epochs(2.5).resolve(lp.RunLength(steps_per_epoch=100))
        250
    """
    return Duration(epochs=_real("epochs", "n", n))


def fraction(p: float) -> Duration:
    """A duration that is fraction ``p`` of the whole run: ``fraction(0.1)``.

    Example:
        >>> import lrplan as lp
        >>> lp.fraction(0.7).resolve(lp.RunLength(total_steps=1000))
        700
    """
    return Duration(fraction=check_real("fraction", "p", p, lo=0.0))


# --------------------------------------------------------------------------- run length


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunLength:
    """What durations resolve against: the run's length and its epoch size, in steps.

    Args:
        total_steps: scheduler steps in the whole run (what :func:`fraction` is a
            fraction of). Or give ``epochs``.
        epochs: the run's length in epochs (with an epoch size); sets ``total_steps``.
        steps_per_epoch: scheduler (optimizer) steps per epoch.
        batches_per_epoch: micro-batches per epoch (``len(loader)``), used with
            ``accumulation`` instead of ``steps_per_epoch``: an epoch then has
            ``ceil(batches_per_epoch / accumulation)`` optimizer steps (the last,
            partial accumulation window still steps, as in Lightning and HF Trainer).
        accumulation: gradient-accumulation micro-batches per optimizer step.

    Example:
        >>> import lrplan as lp
        >>> run = lp.RunLength(epochs=3, batches_per_epoch=10, accumulation=4)
        >>> run.steps_per_epoch, run.total_steps
        (3, 9)
    """

    total_steps: float | None = None
    epochs: float | None = None
    steps_per_epoch: float | None = None
    batches_per_epoch: int | None = None
    accumulation: int = 1

    def __post_init__(self) -> None:
        owner = "RunLength"
        acc = check_int(owner, "accumulation", self.accumulation, lo=1)
        spe = self.steps_per_epoch
        if self.batches_per_epoch is not None:
            if spe is not None:
                raise ValueError(
                    f"{owner}: give steps_per_epoch (optimizer steps) or batches_per_epoch "
                    "(loader batches, with accumulation), not both"
                )
            batches = check_int(owner, "batches_per_epoch", self.batches_per_epoch, lo=1)
            spe = -(-batches // acc)
        elif spe is not None:
            spe = check_real(owner, "steps_per_epoch", spe, lo=0.0, lo_open=True)
            if acc != 1:
                raise ValueError(
                    f"{owner}: accumulation={acc} applies to batches_per_epoch; "
                    "steps_per_epoch already counts optimizer steps"
                )
        total = self.total_steps
        if total is not None:
            total = check_real(owner, "total_steps", total, lo=0.0, lo_open=True)
        if self.epochs is not None:
            ep = check_real(owner, "epochs", self.epochs, lo=0.0, lo_open=True)
            if spe is None:
                raise ValueError(f"{owner}: epochs={ep} needs steps_per_epoch or batches_per_epoch")
            from_epochs = _snap(ep * spe)
            if total is not None and not math.isclose(total, from_epochs, rel_tol=1e-12):
                raise ValueError(
                    f"{owner}: total_steps={total} disagrees with epochs * steps_per_epoch "
                    f"= {from_epochs}; give one of them"
                )
            total = from_epochs
        object.__setattr__(self, "accumulation", acc)
        object.__setattr__(self, "steps_per_epoch", spe)
        object.__setattr__(self, "total_steps", total)

    @staticmethod
    def coerce(run: Any, fields: Mapping[str, Any]) -> RunLength:
        """``run`` itself, or a RunLength built from keyword ``fields`` (not both)."""
        if run is not None:
            if fields:
                raise TypeError(
                    "bind: give a RunLength or its fields as keywords, not both "
                    f"(got run and {sorted(fields)})"
                )
            if not isinstance(run, RunLength):
                raise TypeError(f"bind: run must be a RunLength, got {type(run).__name__}")
            return run
        known = {f.name for f in dataclasses.fields(RunLength)}
        unknown = set(fields) - known
        if unknown:
            raise TypeError(
                f"bind: unknown argument(s) {sorted(unknown)}; accepted: {sorted(known)}"
            )
        return RunLength(**fields)

    def require_steps_per_epoch(self, what: Any) -> float:
        if self.steps_per_epoch is None:
            raise ValueError(
                f"{what!r} is in epochs: bind with steps_per_epoch= (optimizer steps) or "
                "batches_per_epoch= (with accumulation=)"
            )
        return self.steps_per_epoch

    def require_total_steps(self, what: Any) -> float:
        if self.total_steps is None:
            raise ValueError(
                f"{what!r} is a fraction of the run: bind with total_steps= or epochs= "
                "(with the epoch size)"
            )
        return self.total_steps


# --------------------------------------------------------------------------- unbound plans

#: Functions whose calls can be deferred, by name (classes are found by config type).
_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Duration | Schedule):
        return value.to_config()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _thaw(value: Any) -> Any:
    """Configs inside an unbound call's ``args`` back to values."""
    if isinstance(value, Mapping) and "type" in value:
        return Schedule.from_config(value)
    if isinstance(value, Mapping):
        return Duration.from_config(value)
    if isinstance(value, list | tuple):
        return tuple(_thaw(v) for v in value)
    return value


def _resolve(value: Any, run: RunLength) -> Any:
    if isinstance(value, Duration):
        return value.resolve(run)
    if isinstance(value, Schedule):
        return value.bind(run)
    if isinstance(value, tuple):
        return tuple(_resolve(v, run) for v in value)
    return value


def defer_if_unbound(call: str, kwargs: Mapping[str, Any]) -> Unbound | None:
    """An :class:`Unbound` record of ``call(**kwargs)`` if an argument needs a run length."""
    if any(_is_unresolved(v) for v in kwargs.values()):
        return Unbound.defer(call, kwargs)
    return None


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Unbound(Schedule, Unresolved):
    """A plan with durations in epochs or run fractions, waiting for :meth:`bind`.

    Constructing any schedule (or calling :func:`lrplan.warmup`,
    :func:`large_batch`) with a :class:`Duration` or another unbound plan among
    its arguments returns one of these instead: the call, recorded. Its config
    is the schedule's own config with durations as ``{"epochs": 5}``;
    evaluating it raises ``ValueError`` until it is bound.

    Example:
        >>> import lrplan as lp
        >>> plan = lp.Cosine(steps=lp.epochs(3))
        >>> type(plan).__name__, plan.bind(steps_per_epoch=100).duration
        ('Unbound', 300)
        >>> plan(0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Cosine(steps=epochs(3)) has durations in epochs or fractions of the run; ...
    """

    type_name: ClassVar[str] = "unbound"
    call: str
    args: tuple[tuple[str, Any], ...]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    def __post_init__(self) -> None:
        if self.call not in _FUNCTIONS and self.call not in registry():
            raise ValueError(
                f"Unbound: call must be a schedule type or one of {sorted(_FUNCTIONS)}, "
                f"got {self.call!r}"
            )
        # From a config, args is a mapping of plain data: thaw it back to values.
        if isinstance(self.args, Mapping):
            items = [(k, _thaw(v)) for k, v in self.args.items()]
        else:
            items = list(self.args)
        object.__setattr__(self, "args", tuple(sorted((str(k), _freeze(v)) for k, v in items)))

    @classmethod
    def defer(cls, call: str, kwargs: Mapping[str, Any]) -> Unbound:
        return cls(call=call, args=tuple(kwargs.items()))

    def _target(self) -> Callable[..., Any]:
        fn = _FUNCTIONS.get(self.call)
        return fn if fn is not None else registry()[self.call]

    def bind(self, run: Any = None, **run_length: Any) -> Schedule:
        """Resolve every duration for one run; return an ordinary schedule in steps.

        ``run`` is a :class:`RunLength`, or give its fields as keywords.
        """
        rl = RunLength.coerce(run, run_length)
        kwargs = {k: _resolve(v, rl) for k, v in self.args}
        try:
            out = self._target()(**kwargs)
        except (TypeError, ValueError) as e:
            raise type(e)(f"binding {self!r}: {e}") from e
        if not isinstance(out, Schedule) or isinstance(out, Unbound):
            raise TypeError(f"binding {self!r} did not give a schedule")
        return out

    def _at(self, t: Any, xp: Ops) -> Any:
        raise ValueError(
            f"{self!r} has durations in epochs or fractions of the run; bind it to a run "
            "first, e.g. plan.bind(total_steps=..., steps_per_epoch=...)"
        )

    @property
    def duration(self) -> float | None:
        return None

    def to_config(self) -> dict[str, Any]:
        args = {k: _plain(v) for k, v in self.args}
        if self.call in _FUNCTIONS:
            return {"type": self.type_name, "call": self.call, "args": args}
        return {"type": self.call, **args}

    def __repr__(self) -> str:
        target = self._target()
        name = self.call if self.call in _FUNCTIONS else target.__name__
        params = inspect.signature(target).parameters
        args = dict(self.args)
        order = [k for k in params if k in args] + sorted(set(args) - set(params))
        shown = []
        for k in order:
            p = params.get(k)
            is_default = (
                p is not None
                and p.default is not inspect.Parameter.empty
                and not isinstance(args[k], Unresolved)
                and args[k] == p.default
            )
            if is_default:
                continue
            shown.append(f"{k}={_repr(args[k])}")
        return f"{name}({', '.join(shown)})"


def _repr(value: Any) -> str:
    if isinstance(value, tuple):
        inner = ", ".join(_repr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


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
        object.__setattr__(self, "by", _real("Shift", "by", self.by))

    def _inner(self, t: Any, xp: Ops) -> Any:
        return xp.maximum(t - self.by, 0.0)

    @property
    def duration(self) -> float | None:
        d = self.schedule.duration
        return None if d is None else max(d + self.by, 0.0)

    def boundaries(self) -> list[float]:
        out = {
            x for b in self.schedule.boundaries() if 0 < (x := b + self.by) < math.inf
        }
        if self.by > 0:
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

    def boundaries(self) -> list[float]:
        # A boundary scaled past the float range is no boundary: keep finite ones only.
        return [x for b in self.schedule.boundaries() if math.isfinite(x := b * self.factor)]


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

    def boundaries(self) -> list[float]:
        p = self.cycle
        n = 1 if self.times is None else min(self.times, 1000)
        inner = [b for b in self.schedule.boundaries() if b < p]
        return sorted(
            {x for k in range(n) for b in [*inner, p] if 0 < (x := k * p + b) < math.inf}
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
    return Sequence(schedules=(ramp, Shift(schedule=main, by=-w)), boundaries=(w,))


def _register_functions() -> None:
    from ._shapes import warmup

    _FUNCTIONS.update({"warmup": warmup, "large_batch": large_batch})


_register_functions()
