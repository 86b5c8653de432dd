"""The schedule value type, its config registry, the combinators and unbound plans.

A schedule is an immutable value that maps a time ``t >= 0`` (a step count, or a
fractional epoch) to a float. Shapes and combinators are frozen dataclasses whose
fields are all keyword-only, so ``repr`` reads like the constructor call, ``==``
compares parameters, and pickling works out of the box.

This module holds what the value type itself needs: :class:`Schedule`, the
combinators its operators build (:class:`Join`, :class:`Product`, :class:`Clip`
and :class:`Constant` for ``0.5 * s``), and :class:`Unbound`, which
``Schedule.__new__`` returns when an argument is a duration in epochs or a fraction
of the run. It imports only :mod:`._ops`, :mod:`._validate` and :mod:`._time` (the
durations), never a module above it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from ._ops import SCALAR, VECTOR, Ops
from ._time import DURATION_KEYS, Duration, RunLength, Unresolved, is_unresolved
from ._validate import check_int, check_real

__all__ = [
    "AFTER_POLICIES",
    "MAX_BOUNDARIES",
    "Clip",
    "Constant",
    "Join",
    "Product",
    "Schedule",
    "Unbound",
    "check_boundary_count",
    "check_int",
    "check_real",
    "check_until",
    "defer_if_unbound",
    "deferrable",
    "registry",
]

AFTER_POLICIES = ("hold", "restart", "raise")

#: ``Schedule.boundaries(until=...)`` lists at most this many times (a million floats);
#: a longer list is refused with a ValueError, so a long range of a short period never
#: fills the memory.
MAX_BOUNDARIES = 1_000_000

_REGISTRY: dict[str, type[Schedule]] = {}

S = TypeVar("S", bound="Schedule")
F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- time checks


def _check_time_scalar(t: Any) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError(f"schedule time t must be a real number, got {type(t).__name__} {t!r}")
    v = float(t)
    if not (v >= 0.0) or v == math.inf:
        raise ValueError(f"schedule time t must be finite and >= 0, got {t!r}")
    return v


def _check_time_array(ts: Any) -> npt.NDArray[np.float64]:
    arr = np.asarray(ts, dtype=np.float64)
    # min() >= 0 is False for NaN; max() < inf excludes +inf (two cheap reductions).
    if arr.size and not (arr.min() >= 0.0 and arr.max() < np.inf):
        raise ValueError("schedule times must be finite and >= 0")
    return arr


def check_until(owner: str, until: Any) -> float:
    """``until`` of :meth:`Schedule.boundaries` as a float: a real number, not NaN."""
    if isinstance(until, bool) or not isinstance(until, numbers.Real) or math.isnan(until):
        raise TypeError(f"{owner}.boundaries: until must be a real number or None, got {until!r}")
    return float(until)


def check_boundary_count(owner: str, count: float, until: float) -> None:
    """Refuse to list more than :data:`MAX_BOUNDARIES` boundaries (``count`` may be inf)."""
    if count > MAX_BOUNDARIES:
        raise ValueError(
            f"{owner}.boundaries: about {count:,.0f} phase boundaries up to until={until:g}, "
            f"more than the {MAX_BOUNDARIES:,} listed at most; ask for a shorter range"
        )


# --------------------------------------------------------------------------- the value type


def _plain(value: Any) -> Any:
    """A field or argument as plain data: schedules and durations as their configs."""
    if isinstance(value, Duration | Schedule):
        return value.to_config()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _from_plain(value: Any) -> Any:
    if isinstance(value, Mapping) and "type" in value:
        return Schedule.from_config(value)
    if isinstance(value, Mapping) and value and DURATION_KEYS.issuperset(value):
        return Duration.from_config(value)
    if isinstance(value, list | tuple):
        return tuple(_from_plain(v) for v in value)
    return value


class Schedule:
    """Base of every schedule: a pure, immutable map from time to value.

    Subclasses are frozen, keyword-only dataclasses that set ``type_name`` (the
    ``"type"`` in configs) and implement :meth:`_at`, the formula, written once
    against the ``xp`` namespace so that it serves both ``s(t)`` and
    ``s.values(ts)``.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Cosine(steps=100, end=0.1)
        >>> s(0), round(s(50), 6), s(100), s(1_000)
        (1.0, 0.55, 0.1, 0.1)
        >>> lp.Schedule.from_config(s.to_config()) == s
        True
    """

    type_name: ClassVar[str] = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # A duration in epochs or a fraction of the run (or an unbound plan) among
        # the arguments defers the whole construction until ``bind`` (lrplan._time).
        if cls.type_name and any(is_unresolved(v) for v in kwargs.values()):
            return Unbound.defer(cls.type_name, kwargs)
        return super().__new__(cls)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type_name")
        if name:
            if name in _REGISTRY and _REGISTRY[name] is not cls:
                raise RuntimeError(f"schedule type {name!r} registered twice")
            _REGISTRY[name] = cls

    # -- evaluation ---------------------------------------------------------------------

    def _at(self, t: Any, xp: Ops) -> Any:
        """The formula. ``t`` is a validated float (``xp=SCALAR``) or float64 array."""
        raise NotImplementedError

    def __call__(self, t: float) -> float:
        """The value at time ``t`` (int or float, ``>= 0``)."""
        return float(self._at(_check_time_scalar(t), SCALAR))

    def values(self, ts: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The values at every time in ``ts``, vectorised (float64 array, same shape)."""
        arr = _check_time_array(ts)
        flat = arr.reshape(-1)
        # Overflow to inf inside a formula is expected and handled (as in s(t), where
        # Python floats overflow silently); numpy would warn about it.
        with np.errstate(over="ignore"):
            out = np.asarray(self._at(flat, VECTOR), dtype=np.float64)
        if out.shape == flat.shape and out.flags.writeable and not np.may_share_memory(out, arr):
            # A fresh array already (the usual case): no second copy of a long preview.
            return out.reshape(arr.shape)
        result: npt.NDArray[np.float64] = np.broadcast_to(out, flat.shape).reshape(arr.shape).copy()
        return result

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        """Move ``current`` (someone else may have changed it) from ``t_prev`` to ``t``.

        The default is multiplicative: ``current * s(t) / s(t_prev)``, which is how
        torch's chainable schedulers compose. ``None`` means the ratio is undefined
        (``s(t_prev) == 0``); the driver then writes the closed form. ``scale`` is the
        factor the driver multiplies values by (the group's base value), for shapes
        whose relative rule is affine around an absolute floor.
        """
        prev = self._at(t_prev, SCALAR)
        if prev == 0:
            return None
        return float(current * (self._at(t, SCALAR) / prev))

    def bind(self, run: Any = None, **run_length: Any) -> Schedule:
        """This schedule with every duration resolved to steps for one run.

        ``run`` is a :class:`lrplan.RunLength`, or give its fields as keywords
        (``total_steps``, ``epochs``, ``steps_per_epoch``, ``batches_per_epoch``,
        ``accumulation``). A schedule without durations returns itself.
        """
        RunLength.coerce(run, run_length)
        return self

    # -- description --------------------------------------------------------------------

    @property
    def duration(self) -> float | None:
        """The schedule's own length in time units, or ``None`` if it has no end."""
        return None

    @property
    def planned_length(self) -> float | None:
        """The length of the run this schedule was planned for, or ``None``.

        Its :attr:`duration` where it has one. A schedule whose values keep moving
        after its run (transformers' cosine is never clamped) has no duration but
        still knows its run (``num_training_steps``); plots use this to draw the run.

        Example:
            >>> import lrplan as lp
            >>> lp.Cosine(steps=100).planned_length
            100
            >>> s = lp.hf_schedule("cosine", num_warmup_steps=10, num_training_steps=500)
            >>> s.duration, s.planned_length
            (None, 500.0)
        """
        return self.duration

    def boundaries(self, until: float | None = None) -> list[float]:
        """Times where a phase starts or the formula changes, for plots and tables.

        Without ``until``: the schedule's own list (for a schedule that repeats
        forever, its first cycle or first few restarts). With ``until``: every
        boundary ``<= until``, each restart of a periodic schedule included. A
        ValueError refuses a list longer than :data:`MAX_BOUNDARIES`.

        Example:
            >>> import lrplan as lp
            >>> lp.MultiStep(milestones=(30, 60, 80)).boundaries(until=60)
            [30, 60]
            >>> lp.CosineRestarts(period=100).boundaries(until=450)
            [100.0, 200.0, 300.0, 400.0]
        """
        if until is not None:
            check_until(type(self).__name__, until)
        return []

    def to_config(self) -> dict[str, Any]:
        """Plain data (``{"type": ..., field: value}``) that :meth:`from_config` rebuilds."""
        cfg: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            cfg[f.name] = _plain(getattr(self, f.name))
        return cfg

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> Schedule:
        """Rebuild a schedule from :meth:`to_config` output (nested configs allowed).

        Unknown types and unknown keys raise ``ValueError`` naming them.
        """
        if not isinstance(config, Mapping):
            raise TypeError(f"schedule config must be a mapping, got {type(config).__name__}")
        if "type" not in config:
            raise ValueError(f"schedule config needs a 'type' key; got keys {sorted(config)}")
        name = config["type"]
        cls = _REGISTRY.get(name)
        if cls is None:
            raise ValueError(f"unknown schedule type {name!r}; known types: {sorted(_REGISTRY)}")
        names = cls._config_keys()
        extra = set(config) - names - {"type"}
        if extra:
            raise ValueError(
                f"unknown key(s) {sorted(extra)} for schedule type {name!r}; "
                f"accepted keys: {sorted(names)}"
            )
        kwargs = {k: _from_plain(v) for k, v in config.items() if k != "type"}
        built: Schedule = cls(**kwargs)  # an Unbound plan where a duration needs a run
        return built

    @classmethod
    def _config_keys(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if f.default is not dataclasses.MISSING and v == f.default:
                continue
            parts.append(f"{f.name}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- notebook display ------------------------------------------------------------

    def _repr_png_(self) -> bytes | None:
        """A small plot for Jupyter; ``None`` (the text repr only) when matplotlib is
        missing or the schedule cannot be drawn (an unbound plan, say).

        The plot module sits above this layer (it imports the schedules), so it is
        imported here, when a notebook asks for a picture, and never at import time:
        the one function-level import of an lrplan module in the pure layer
        (tests/test_architecture.py allows exactly this one).
        """
        try:
            from lrplan._plot import schedule_png_bytes
        except ImportError:
            return None
        try:
            return schedule_png_bytes(self)
        except (ImportError, ValueError):
            return None

    # -- combinators ---------------------------------------------------------------------

    def then(self, other: Schedule, *, at: float) -> Join:
        """Switch to ``other`` at time ``at``; ``other``'s clock starts at 0 there.

        Example:
            >>> import lrplan as lp
            >>> s = lp.Linear(steps=10, start=0.0, end=1.0).then(lp.Constant(value=0.5), at=10)
            >>> s(5), s(10), s(99)
            (0.5, 0.5, 0.5)
        """
        if isinstance(self, Join):
            return Join(schedules=(*self.schedules, other), boundaries=(*self.switches, at))
        return Join(schedules=(self, other), boundaries=(at,))

    def __mul__(self, other: Schedule | float) -> Product:
        if isinstance(other, Schedule):
            rhs: Schedule = other
        elif isinstance(other, numbers.Real) and not isinstance(other, bool):
            rhs = Constant(value=float(other))
        else:
            return NotImplemented
        left = self.factors if isinstance(self, Product) else (self,)
        right = rhs.factors if isinstance(rhs, Product) else (rhs,)
        return Product(factors=(*left, *right))

    def __rmul__(self, other: float) -> Product:
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return Constant(value=float(other)) * self
        return NotImplemented

    def clip(self, *, lo: float | None = None, hi: float | None = None) -> Clip:
        """Bound the values to ``[lo, hi]`` (either side may be ``None``)."""
        return Clip(schedule=self, lo=lo, hi=hi)

    def floor(self, lo: float) -> Clip:
        """Never go below ``lo`` (a minimum learning-rate multiplier)."""
        return Clip(schedule=self, lo=lo)


def _schedule_tuple(owner: str, name: str, value: Any) -> tuple[Schedule, ...]:
    if isinstance(value, Schedule) or not isinstance(value, Iterable):
        raise TypeError(f"{owner}: {name} must be a list of schedules, got {type(value).__name__}")
    items = tuple(value)
    for i, s in enumerate(items):
        if not isinstance(s, Schedule):
            raise TypeError(f"{owner}: {name}[{i}] must be a Schedule, got {type(s).__name__}")
    return items


# --------------------------------------------------------------------------- combinators


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Join(Schedule):
    """Run ``schedules[i]`` between ``boundaries[i-1]`` and ``boundaries[i]``.

    The clock restarts at every boundary: at time ``t`` in phase ``i`` the value is
    ``schedules[i](t - boundaries[i-1])``, as in optax's ``join_schedules`` (hence the
    name) and torch's ``SequentialLR``. The last schedule runs to the end.
    ``a.then(b, at=n)`` builds one.

    ``switches`` holds the ``boundaries`` given to the constructor (and written to the
    config under that key): the times where one schedule hands over to the next. The
    method :meth:`boundaries` returns those and also every boundary of the inner
    schedules, moved to where their phases start, for plots and tables.

    ``Sequence``, the old name of this class, still works (``lrplan.Sequence`` and
    ``Sequence(...)`` in spec strings); the config ``"type"`` is still ``"sequence"``,
    so saved configs and checkpoints load unchanged.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Join(schedules=(lp.Constant(value=0.1), lp.Linear(steps=10)), boundaries=(5,))
        >>> s(4), s(5), s(10), s(15)
        (0.1, 1.0, 0.5, 0.0)
        >>> inner = lp.Constant(value=1.0).then(lp.Linear(steps=10), at=3)
        >>> t = lp.Join(schedules=(lp.Constant(value=0.1), inner), boundaries=(5,))
        >>> t.switches, t.boundaries()
        ((5,), [5, 8])
    """

    type_name: ClassVar[str] = "sequence"
    schedules: tuple[Schedule, ...]
    switches: tuple[float, ...]  # the constructor and configs call it ``boundaries``

    def __init__(self, *, schedules: Iterable[Schedule], boundaries: Iterable[float]) -> None:
        owner = "Join"
        scheds = _schedule_tuple(owner, "schedules", schedules)
        if not scheds:
            raise ValueError(f"{owner}: schedules must hold at least one schedule")
        if isinstance(boundaries, str) or not isinstance(boundaries, Iterable):
            raise TypeError(f"{owner}: boundaries must be a list of numbers")
        bounds = tuple(
            check_real(owner, f"boundaries[{i}]", b, lo=0.0, lo_open=True)
            for i, b in enumerate(boundaries)
        )
        if len(bounds) != len(scheds) - 1:
            raise ValueError(
                f"{owner}: boundaries must have len(schedules) - 1 = {len(scheds) - 1} "
                f"entries, got {len(bounds)}"
            )
        if any(b >= c for b, c in itertools.pairwise(bounds)):
            raise ValueError(f"{owner}: boundaries must be strictly increasing, got {list(bounds)}")
        object.__setattr__(self, "schedules", scheds)
        object.__setattr__(self, "switches", bounds)

    @functools.cached_property
    def _starts(self) -> tuple[float, ...]:
        """Where each phase starts: ``(0, *switches)`` (computed once)."""
        return (0.0, *self.switches)

    def _at(self, t: Any, xp: Ops) -> Any:
        starts = self._starts
        if xp is SCALAR:
            # One time, one phase: SCALAR.piecewise's rule, without building the pieces.
            i: int = SCALAR.count_le(starts, t) - 1
            return self.schedules[i]._at(t - starts[i], xp)
        pieces: list[Callable[[Any], Any]] = [
            functools.partial(s._at, xp=xp) for s in self.schedules
        ]
        return xp.piecewise(t, starts, pieces)

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        starts = self._starts
        i: int = SCALAR.count_le(starts, t) - 1
        j: int = SCALAR.count_le(starts, t_prev) - 1
        if i == j:  # same phase: the phase's own relative rule applies
            return self.schedules[i]._rechain(current, scale, t_prev - starts[i], t - starts[i])
        return Schedule._rechain(self, current, scale, t_prev, t)

    @property
    def duration(self) -> float | None:
        last = self.schedules[-1].duration
        return None if last is None else self.switches[-1] + last if self.switches else last

    @property
    def planned_length(self) -> float | None:
        last = self.schedules[-1].planned_length
        return None if last is None else self.switches[-1] + last if self.switches else last

    def boundaries(self, until: float | None = None) -> list[float]:
        starts = self._starts
        if until is None:
            out: set[float] = set(self.switches)
            for start, s in zip(starts, self.schedules, strict=True):
                out.update(start + b for b in s.boundaries())
            return sorted(out)
        u = check_until("Join", until)
        # With ``until``, each phase lists only its own boundaries, before its end: the
        # switch there is listed already (``start + b`` for ``b`` at the phase's end may
        # round to a float beside the switch, a near-duplicate).
        out = {b for b in self.switches if b <= u}
        ends = (*starts[1:], math.inf)
        for start, end, s in zip(starts, ends, self.schedules, strict=True):
            if start > u:
                break
            inner = s.boundaries(until=min(u, end) - start)
            out.update(x for b in inner if b < end - start and (x := start + b) <= u)
        return sorted(out)

    def to_config(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "schedules": [s.to_config() for s in self.schedules],
            "boundaries": list(self.switches),
        }

    @classmethod
    def _config_keys(cls) -> set[str]:
        return {"schedules", "boundaries"}

    def __repr__(self) -> str:
        return f"Join(schedules={self.schedules!r}, boundaries={self.switches!r})"


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Product(Schedule):
    """The pointwise product of several schedules: ``a * b * ...``.

    This is how several factors combine without chained state: a decay times a
    warmup, a schedule times a constant scale.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Linear(steps=10, start=0.0, end=1.0) * lp.Constant(value=0.5)
        >>> s(4), s(20)
        (0.2, 0.5)
    """

    type_name: ClassVar[str] = "product"
    factors: tuple[Schedule, ...]

    def __post_init__(self) -> None:
        facs = _schedule_tuple("Product", "factors", self.factors)
        if not facs:
            raise ValueError("Product: factors must hold at least one schedule")
        object.__setattr__(self, "factors", facs)

    def _at(self, t: Any, xp: Ops) -> Any:
        first, *rest = self.factors
        out = first._at(t, xp)
        for f in rest:
            out = xp.mul0(out, f._at(t, xp))  # 0 * (overflowed factor) is 0
        return out

    @property
    def duration(self) -> float | None:
        ds = [f.duration for f in self.factors]
        return None if any(d is None for d in ds) else max(d for d in ds if d is not None)

    @property
    def planned_length(self) -> float | None:
        ps = [f.planned_length for f in self.factors]
        return None if any(p is None for p in ps) else max(p for p in ps if p is not None)

    def boundaries(self, until: float | None = None) -> list[float]:
        return sorted({b for f in self.factors for b in f.boundaries(until=until)})

    def __repr__(self) -> str:
        return " * ".join(repr(f) for f in self.factors)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Clip(Schedule):
    """Bound a schedule to ``[lo, hi]``: ``min(max(s(t), lo), hi)``.

    ``s.floor(lo)`` is the common case, a minimum learning-rate multiplier.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Linear(steps=10).floor(0.2)
        >>> s(5), s(9), s(10)
        (0.5, 0.2, 0.2)
    """

    type_name: ClassVar[str] = "clip"
    schedule: Schedule
    lo: float | None = None
    hi: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise TypeError(
                f"Clip: schedule must be a Schedule, got {type(self.schedule).__name__}"
            )
        lo = None if self.lo is None else check_real("Clip", "lo", self.lo, lo=0.0)
        hi = None if self.hi is None else check_real("Clip", "hi", self.hi, lo=0.0)
        if lo is None and hi is None:
            raise ValueError("Clip: give at least one of lo and hi")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"Clip: lo must be <= hi, got lo={lo}, hi={hi}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    def _at(self, t: Any, xp: Ops) -> Any:
        v = self.schedule._at(t, xp)
        if self.lo is not None:
            v = xp.maximum(v, self.lo)
        if self.hi is not None:
            v = xp.minimum(v, self.hi)
        return v

    @property
    def duration(self) -> float | None:
        return self.schedule.duration

    @property
    def planned_length(self) -> float | None:
        return self.schedule.planned_length

    def boundaries(self, until: float | None = None) -> list[float]:
        return self.schedule.boundaries(until=until)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Constant(Schedule):
    """A constant value: ``s(t) = value``.

    Example:
        >>> import lrplan as lp
        >>> lp.Constant(value=0.5)(10)
        0.5
    """

    type_name: ClassVar[str] = "constant"
    value: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_real("Constant", "value", self.value, lo=0.0))

    def _at(self, t: Any, xp: Ops) -> Any:
        return t * 0.0 + self.value

    @property
    def duration(self) -> float | None:
        return 0.0


# --------------------------------------------------------------------------- unbound plans

#: Functions whose calls can be deferred, by name (classes are found by config type).
_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def deferrable(fn: F) -> F:
    """Register a function that builds a schedule (``warmup``, ``large_batch``) by its
    name, so an :class:`Unbound` record of a call to it can be rebuilt from a config."""
    _FUNCTIONS[fn.__name__] = fn
    return fn


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
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
    if any(is_unresolved(v) for v in kwargs.values()):
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


def registry() -> Mapping[str, type[Schedule]]:
    """The config ``"type"`` names and their classes."""
    return dict(_REGISTRY)
