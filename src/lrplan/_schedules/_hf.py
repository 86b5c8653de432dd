"""The transformers scheduler vocabulary as pure schedules: :func:`hf_schedule`.

Every name that ``transformers.get_scheduler`` accepts, except the metric-driven
``reduce_lr_on_plateau`` and ``greedy``, maps to a pure, closed-form
:class:`~lrplan.Schedule` of multipliers, built from lrplan's shapes
(:class:`~lrplan.Linear`, :class:`~lrplan.Cosine`, :class:`~lrplan.Polynomial`,
:class:`~lrplan.Constant`, :class:`~lrplan.Join`, :class:`~lrplan.InverseSqrt`, and
:class:`~lrplan.Shift` for HF's off-by-one cosine), plus two small private shapes for
what those cannot express exactly (HF's hard restarts and the 1-sqrt ramps of its
warmup-stable-decay). The formulas are transformers 5.25's
(``transformers.optimization``), reproduced value for value, quirks included:

* ``cosine`` never clamps its progress, so past ``num_training_steps`` the lr
  climbs back up (a cosine with period ``2 * (N - W)``);
* ``polynomial`` decays to ``lr_end`` in lr units, relative to
  ``optimizer.defaults["lr"]``, and holds ``lr_end`` after ``N``;
* ``cosine_with_min_lr`` takes ``min_lr`` (lr units, relative to
  ``optimizer.defaults["lr"]``) or ``min_lr_rate`` (a ratio);
* ``cosine_warmup_with_min_lr`` is one step ahead of ``cosine_with_min_lr``:
  its warmup is ``(s + 1) / W`` (or starts at ``warmup_lr_rate``) and its decay
  progress is ``(s - W + 1) / (N - W)``;
* ``warmup_stable_decay`` warms up from ``min_lr_ratio``, not from 0.

Where transformers fails late (a ``ZeroDivisionError`` mid-run) or silently
produces a negative lr, lrplan raises ``ValueError`` at construction instead;
docs/hf-timm.md lists each case.

This module imports numpy and the standard library only (through the pure layer), so
``lrplan show`` can build these schedules without torch; :mod:`lrplan._hf` adds the
torch schedulers.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from ._catalogue import InverseSqrt
from ._core import Constant, Join, Schedule, check_boundary_count, check_until
from ._cyclic import MAX_LISTED_RESTARTS
from ._ops import Ops
from ._shapes import Cosine, FiniteShape, Linear, Polynomial
from ._timemaps import Shift
from ._validate import check_int, check_real

__all__ = [
    "HF_FUNCTION_NAMES",
    "HF_SCHEDULER_NAMES",
    "HF_SPECIFIC_KWARGS",
    "SchedulerType",
    "hf_schedule",
]


class SchedulerType(str, enum.Enum):
    """The scheduler names of transformers' ``get_scheduler``: its ``SchedulerType``.

    Same members and values as transformers 5.25's, in the same order; a str enum,
    so ``SchedulerType.COSINE == "cosine"``. :func:`hf_schedule` and
    :func:`~lrplan.get_scheduler` take a member, a plain name, or a member of
    transformers' own enum.

    Example:
        >>> from lrplan import SchedulerType
        >>> SchedulerType("cosine") is SchedulerType.COSINE, SchedulerType.COSINE == "cosine"
        (True, True)
    """

    LINEAR = "linear"
    COSINE = "cosine"
    COSINE_WITH_RESTARTS = "cosine_with_restarts"
    POLYNOMIAL = "polynomial"
    CONSTANT = "constant"
    CONSTANT_WITH_WARMUP = "constant_with_warmup"
    INVERSE_SQRT = "inverse_sqrt"
    REDUCE_ON_PLATEAU = "reduce_lr_on_plateau"
    COSINE_WITH_MIN_LR = "cosine_with_min_lr"
    COSINE_WARMUP_WITH_MIN_LR = "cosine_warmup_with_min_lr"
    WARMUP_STABLE_DECAY = "warmup_stable_decay"
    GREEDY = "greedy"

    @classmethod
    def _missing_(cls, value: object) -> Any:
        raise ValueError(
            f"{value!r} is not a valid SchedulerType, please select one of {[m.value for m in cls]}"
        )


#: The scheduler names of transformers' ``get_scheduler`` (:class:`SchedulerType`'s
#: values), in transformers' order.
HF_SCHEDULER_NAMES: tuple[str, ...] = tuple(m.value for m in SchedulerType)

#: The ``scheduler_specific_kwargs`` each name accepts: :func:`hf_schedule` refuses
#: any other, and the spec parser offers them for "did you mean".
HF_SPECIFIC_KWARGS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "cosine": ("num_cycles",),
    "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"),
    "constant": (),
    "constant_with_warmup": (),
    "inverse_sqrt": ("timescale",),
    "reduce_lr_on_plateau": (),
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": (
        "num_decay_steps",
        "num_stable_steps",
        "warmup_type",
        "decay_type",
        "min_lr_ratio",
        "num_cycles",
    ),
    "greedy": (),
}

#: transformers' ``get_*`` function of each scheduler name (its
#: ``TYPE_TO_SCHEDULER_FUNCTION``, by name; a test keeps the two in step). A spec
#: names the scheduler, and an error points from the function to it.
HF_FUNCTION_NAMES: dict[str, str] = {
    "get_linear_schedule_with_warmup": "linear",
    "get_cosine_schedule_with_warmup": "cosine",
    "get_cosine_with_hard_restarts_schedule_with_warmup": "cosine_with_restarts",
    "get_polynomial_decay_schedule_with_warmup": "polynomial",
    "get_constant_schedule": "constant",
    "get_constant_schedule_with_warmup": "constant_with_warmup",
    "get_inverse_sqrt_schedule": "inverse_sqrt",
    "get_reduce_on_plateau_schedule": "reduce_lr_on_plateau",
    "get_cosine_with_min_lr_schedule_with_warmup": "cosine_with_min_lr",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": "cosine_warmup_with_min_lr",
    "get_wsd_schedule": "warmup_stable_decay",
    "get_greedy_schedule": "greedy",
}

_WSD_TYPES = ("linear", "cosine", "1-sqrt")


# --------------------------------------------------------------------------- private shapes


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _HFHardRestarts(Schedule):
    r"""HF's ``cosine_with_restarts`` after warmup: ``cycles`` cosines over ``steps``, then 0.

    .. math:: p = t / \text{steps}, \quad
              s(t) = \begin{cases} \tfrac12\left(1 + \cos(\pi \cdot ((c\,p) \bmod 1))\right)
              & p < 1 \\ 0 & p \ge 1 \end{cases}

    The progress is computed as transformers computes it, so the restarts fall on
    exactly the same steps (``c * (t / steps)`` may round just below an integer).

    Reference: transformers ``get_cosine_with_hard_restarts_schedule_with_warmup``.

    Example:
        >>> from lrplan._schedules._hf import _HFHardRestarts
        >>> s = _HFHardRestarts(steps=10, cycles=2)
        >>> s(0), round(s(2.5), 6), s(5), s(10)
        (1.0, 0.5, 1.0, 0.0)
    """

    type_name: ClassVar[str] = "hf_hard_restarts"
    steps: float
    cycles: float = 1.0

    def __post_init__(self) -> None:
        owner = "cosine_with_restarts"
        object.__setattr__(
            self, "steps", check_real(owner, "steps", self.steps, lo=0.0, lo_open=True)
        )
        object.__setattr__(self, "cycles", check_real(owner, "num_cycles", self.cycles, lo=0.0))

    def _at(self, t: Any, xp: Ops) -> Any:
        p = t / self.steps
        inside = 0.5 * (1.0 + xp.cos(xp.pi * xp.mod(self.cycles * p, 1.0)))
        return xp.where(p >= 1.0, 0.0 * p, inside)

    @property
    def duration(self) -> float | None:
        return self.steps

    def _restart(self, k: int) -> float:
        """The first time ``t`` whose progress ``c * (t / steps)`` (computed as in
        :meth:`_at`) reaches ``k``: where the value really jumps back to 1."""
        t = k * self.steps / self.cycles
        while self.cycles * (t / self.steps) < k:
            t = math.nextafter(t, math.inf)
        while t > 0 and self.cycles * (math.nextafter(t, 0.0) / self.steps) >= k:
            t = math.nextafter(t, 0.0)
        return t

    def boundaries(self, until: float | None = None) -> list[float]:
        """The restarts (the jumps back to 1) before ``steps``: ``k * steps / cycles``,
        or the float beside it where the rounded progress of :meth:`_at` restarts.

        Without ``until``: the first :data:`~lrplan._schedules._cyclic.MAX_LISTED_RESTARTS`
        at most. The end (``steps``, where the value drops to 0 for good) is the end of
        the run, which the run lists.

        Example:
            >>> from lrplan._schedules._hf import _HFHardRestarts
            >>> _HFHardRestarts(steps=100, cycles=4).boundaries()
            [25.0, 50.0, 75.0]
            >>> _HFHardRestarts(steps=90, cycles=3).boundaries()  # 29.99...96 / 90 rounds up
            [29.999999999999996, 59.99999999999999]
        """
        restarts = math.ceil(self.cycles) - 1  # k < cycles: restart k is before steps
        u = self.steps
        if until is None:
            count = min(restarts, MAX_LISTED_RESTARTS)
        else:
            u = min(u, check_until("cosine_with_restarts", until))
            reached = self.cycles * (u / self.steps)
            check_boundary_count("cosine_with_restarts", min(restarts, reached), u)
            count = min(restarts, math.floor(max(reached, 0.0)))
        return [x for k in range(1, count + 1) if (x := self._restart(k)) <= u and x < self.steps]


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _HFOneMinusSqrt(FiniteShape):
    r"""The 1-sqrt ramps of HF's ``warmup_stable_decay``, from ``start`` to ``end``.

    With :math:`p = t/\text{steps}` and :math:`m` the min ratio:

    .. math::
        \text{warmup } (\text{rising}): & \; m + (1 - m)\,(1 - \sqrt{1 - p}) \\
        \text{cooldown}: & \; m + (1 - m)\,(1 - \sqrt{p})

    Reference: Hägele et al., *Scaling Laws and Compute-Optimal Training Beyond
    Fixed Training Durations*, 2024 (the 1-sqrt cooldown); transformers
    ``get_wsd_schedule``.

    Example:
        >>> from lrplan._schedules._hf import _HFOneMinusSqrt
        >>> s = _HFOneMinusSqrt(steps=4, min_ratio=0.0, rising=False)
        >>> s(0), s(1), s(4)
        (1.0, 0.5, 0.0)
    """

    type_name: ClassVar[str] = "hf_one_minus_sqrt"
    min_ratio: float = 0.0
    rising: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self,
            "min_ratio",
            check_real("warmup_stable_decay", "min_lr_ratio", self.min_ratio, lo=0.0),
        )
        if not isinstance(self.rising, bool):
            raise TypeError(f"_HFOneMinusSqrt: rising must be a bool, got {self.rising!r}")

    def _shape(self, u: Any, xp: Ops) -> Any:
        p = u / self.steps
        f = 1.0 - xp.sqrt(1.0 - p) if self.rising else 1.0 - xp.sqrt(p)
        return f * (1.0 - self.min_ratio) + self.min_ratio


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _HFRun(Schedule):
    """``schedule``, planned for a run of ``steps`` steps (transformers' ``num_training_steps``).

    The values are ``schedule``'s. The run's end is added to the boundaries, and
    the duration is ``max(steps, schedule.duration)``, or ``None`` where
    ``schedule`` has no end of its own (it keeps moving after the run). So a plot
    of a transformers schedule covers the whole run.

    Example:
        >>> from lrplan import Constant
        >>> from lrplan._schedules._hf import _HFRun
        >>> r = _HFRun(schedule=Constant(value=1.0), steps=100)
        >>> r(50), r.boundaries(), r.duration
        (1.0, [100.0], 100.0)
    """

    type_name: ClassVar[str] = "hf_run"
    schedule: Schedule
    steps: float
    #: the transformers call it was built from, as a spec (``cosine(num_warmup_steps=...)``);
    #: it is the repr, so ``lrplan show`` prints what can be pasted back. It is text for
    #: people only: two spellings of one schedule (a keyword or scheduler_specific_kwargs,
    #: ``get_scheduler`` or a ``get_*`` function) stay equal, and it is left out of
    #: :meth:`to_config`, so it is no part of a checkpoint's fingerprint either.
    call: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, Schedule):
            raise TypeError(
                f"_HFRun: schedule must be a Schedule, got {type(self.schedule).__name__}"
            )
        steps = check_real("_HFRun", "num_training_steps", self.steps, lo=0.0, lo_open=True)
        object.__setattr__(self, "steps", steps)

    def __repr__(self) -> str:
        return self.call or super().__repr__()

    def to_config(self) -> dict[str, Any]:
        # ``call`` is left out: it describes the values, it does not define them.
        return {"type": self.type_name, "schedule": self.schedule.to_config(), "steps": self.steps}

    def _at(self, t: Any, xp: Ops) -> Any:
        return self.schedule._at(t, xp)

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        return self.schedule._rechain(current, scale, t_prev, t)

    @property
    def duration(self) -> float | None:
        own = self.schedule.duration
        return None if own is None else max(float(self.steps), own)

    @property
    def planned_length(self) -> float | None:
        own = self.schedule.duration
        return float(self.steps) if own is None else max(float(self.steps), own)

    def boundaries(self, until: float | None = None) -> list[float]:
        if until is None:
            return sorted({*self.schedule.boundaries(), float(self.steps)})
        u = check_until("hf_schedule", until)
        end = [float(self.steps)] if self.steps <= u else []
        return sorted({*self.schedule.boundaries(u), *end})


# --------------------------------------------------------------------------- building blocks


def _periodic_cosine(period_steps: float, cycles: float, end: float = 0.0) -> Schedule:
    """``end + (1 - end) * 0.5 * (1 + cos(2 pi cycles t / period_steps))``, never clamped."""
    c = abs(cycles)
    if c == 0:
        return Constant(value=1.0)
    return Cosine(steps=period_steps / (2.0 * c), start=1.0, end=end, periodic=True)


def _join(pieces: list[tuple[float, Schedule]]) -> Schedule:
    """A :class:`Join` of ``(length, schedule)`` pieces; empty pieces are dropped.

    The last piece's length is ignored (it runs forever).
    """
    kept = [(n, s) for n, s in pieces[:-1] if n > 0] + [pieces[-1]]
    if len(kept) == 1:
        return kept[0][1]
    bounds: list[float] = []
    t = 0.0
    for n, _ in kept[:-1]:
        t += n
        bounds.append(t)
    return Join(schedules=[s for _, s in kept], boundaries=bounds)


def _hf_warmup(w: int) -> Schedule:
    """transformers' linear warmup ``s / max(1, W)`` on ``[0, W)``."""
    return Linear(steps=max(1, w), start=0.0, end=1.0)


def _min_lr_rate(name: str, base_lr: float | None, min_lr: Any, min_lr_rate: Any) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        lr0 = _need_base_lr(name, base_lr, "min_lr")
        rate = check_real(name, "min_lr", min_lr, lo=0.0) / lr0
    elif min_lr_rate is None:
        raise ValueError(
            f"{name}: one of min_lr or min_lr_rate must be set, in scheduler_specific_kwargs "
            "(or as a keyword argument of hf_schedule), e.g. "
            "scheduler_specific_kwargs={'min_lr_rate': 0.1}"
        )
    else:
        rate = check_real(name, "min_lr_rate", min_lr_rate, lo=0.0)
    return float(rate)


def _need_base_lr(name: str, base_lr: float | None, why: str) -> float:
    if base_lr is None:
        raise ValueError(
            f"{name}: {why} is in lr units, so hf_schedule needs base_lr (the optimizer's "
            "default lr, optimizer.defaults['lr'])"
        )
    return float(check_real(name, "base_lr", base_lr, lo=0.0, lo_open=True))


def _check_kwargs(name: str, kwargs: Mapping[str, Any]) -> None:
    accepted = HF_SPECIFIC_KWARGS[name]
    extra = sorted(set(kwargs) - set(accepted))
    if extra:
        ok = ", ".join(accepted) if accepted else "none"
        raise TypeError(f"{name}: unexpected scheduler_specific_kwargs {extra}; accepted: {ok}")


def _normalise_name(name: Any) -> str:
    """``name`` as a plain str (an enum such as ``SchedulerType`` gives its value)."""
    if isinstance(name, enum.Enum):  # SchedulerType (lrplan's or transformers')
        name = name.value
    if not isinstance(name, str):
        raise TypeError(f"scheduler name must be a str, got {type(name).__name__} {name!r}")
    if name not in HF_SCHEDULER_NAMES:
        raise ValueError(
            f"{name} is not a valid SchedulerType, please select one of {list(HF_SCHEDULER_NAMES)}"
        )
    return name


def _merge_kwargs(
    scheduler_specific_kwargs: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """``scheduler_specific_kwargs`` and keyword arguments as one dict; a key in both raises."""
    if scheduler_specific_kwargs is None:
        return dict(kwargs)
    if not isinstance(scheduler_specific_kwargs, Mapping):
        raise TypeError(
            "scheduler_specific_kwargs must be a mapping (a dict of the name's extra "
            f"arguments) or None, got {type(scheduler_specific_kwargs).__name__}"
        )
    both = sorted(set(scheduler_specific_kwargs) & set(kwargs))
    if both:
        raise TypeError(
            f"{both} given both in scheduler_specific_kwargs and as keyword arguments; "
            "give each once"
        )
    return {**scheduler_specific_kwargs, **kwargs}


def _steps(name: str, what: str, value: Any) -> int:
    if value is None:
        raise ValueError(f"{name} requires `{what}`, please provide that argument.")
    return check_int(name, what, value, lo=0)


# --------------------------------------------------------------------------- hf_schedule


def hf_schedule(
    name: Any,
    *,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    base_lr: float | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Schedule:
    r"""The multiplier schedule of transformers scheduler ``name``, as a pure value.

    ``s(t)`` is the factor transformers' ``LambdaLR`` multiplies each group's base lr
    by after ``t`` scheduler steps, so it can be previewed, plotted, composed or
    given to :class:`~lrplan.ScheduledLR`. The arguments are those of
    :func:`~lrplan.get_scheduler` (``name`` may be a :class:`SchedulerType`); the
    name's extra arguments go in ``scheduler_specific_kwargs``, as keywords, or
    both (a key given twice is a ``TypeError``). ``base_lr`` (transformers reads
    ``optimizer.defaults["lr"]``) is needed only by ``polynomial`` (for
    ``lr_end``) and by ``min_lr``.

    A schedule built with ``num_training_steps`` reports that run: its
    :meth:`~lrplan.Schedule.boundaries` hold the warmup end and
    ``num_training_steps``, and its ``duration`` is ``num_training_steps`` (or
    the schedule's own end, if later) wherever the values are constant after it;
    ``None`` where they keep moving (``cosine`` and its variants, which never
    clamp, and ``inverse_sqrt``).

    ``reduce_lr_on_plateau`` and ``greedy`` are driven by a metric and have no
    schedule: they raise ``ValueError``.

    Example:
        >>> import lrplan as lp
        >>> s = lp.hf_schedule("linear", num_warmup_steps=2, num_training_steps=10)
        >>> [round(s(t), 3) for t in (0, 1, 2, 6, 10, 12)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
        >>> s.boundaries(), s.duration
        ([2.0, 10.0], 10.0)
        >>> c = lp.hf_schedule("cosine", num_warmup_steps=0, num_training_steps=10)
        >>> c(10), c(20)  # never clamped: back up after the end, as in transformers
        (0.0, 1.0)
        >>> c.boundaries(), c.duration
        ([10.0], None)
        >>> m = lp.hf_schedule("cosine_with_min_lr", num_warmup_steps=2,
        ...                    num_training_steps=10,
        ...                    scheduler_specific_kwargs={"min_lr_rate": 0.1})
        >>> round(m(10), 6)
        0.1
    """
    name = _normalise_name(name)
    kw = _merge_kwargs(scheduler_specific_kwargs, kwargs)
    if name in ("reduce_lr_on_plateau", "greedy"):
        raise ValueError(
            f"{name} is driven by a metric and has no closed-form schedule; "
            f"use lrplan.get_scheduler({name!r}, optimizer, ...)"
        )
    shape = _multipliers(name, num_warmup_steps, num_training_steps, base_lr, kw)
    if num_training_steps is None:
        return shape
    n = check_int(name, "num_training_steps", num_training_steps, lo=0)
    if n == 0:
        return shape
    given = {
        "num_warmup_steps": num_warmup_steps,
        "num_training_steps": num_training_steps,
        "base_lr": base_lr,
        **kw,
    }
    args = ", ".join(f"{k}={_spec_value(v)!r}" for k, v in given.items() if v is not None)
    return _HFRun(schedule=shape, steps=n, call=f"{name}({args})")


def _spec_value(value: Any) -> Any:
    """``value`` as the plain Python number or str a spec writes (``np.int64(2)`` -> ``2``),
    so that the call text always parses back; anything else is left as it is."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        return value
    if isinstance(value, str):
        return str(value)
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _multipliers(
    name: str,
    num_warmup_steps: Any,
    num_training_steps: Any,
    base_lr: float | None,
    kw: dict[str, Any],
) -> Schedule:
    """The multipliers of ``name`` (a closed-form name) over an endless time axis."""
    if name == "constant":
        _check_kwargs(name, kw)
        return Constant(value=1.0)
    w = _steps(name, "num_warmup_steps", num_warmup_steps)
    warm = _hf_warmup(w)
    if name == "constant_with_warmup":
        _check_kwargs(name, kw)
        return _join([(w, warm), (0, Constant(value=1.0))])
    if name == "inverse_sqrt":
        _check_kwargs(name, kw)
        tau = kw.get("timescale")
        tau = (
            (w or 10_000) if tau is None else check_real(name, "timescale", tau, lo=0, lo_open=True)
        )
        return _join([(w, warm), (0, InverseSqrt(timescale=tau))])
    if name == "warmup_stable_decay":
        return _wsd(w, num_training_steps, kw)
    n = _steps(name, "num_training_steps", num_training_steps)
    d = max(1, n - w)  # transformers' decay length, max(1, N - W)
    if name == "linear":
        _check_kwargs(name, kw)
        decay: Schedule = Linear(steps=n - w, start=1.0, end=0.0) if n > w else Constant(value=0.0)
        return _join([(w, warm), (0, decay)])
    if name == "cosine":
        _check_kwargs(name, kw)
        c = check_real(name, "num_cycles", kw.get("num_cycles", 0.5))
        return _join([(w, warm), (0, _periodic_cosine(d, c))])
    if name == "cosine_with_restarts":
        _check_kwargs(name, kw)
        c = check_real(name, "num_cycles", kw.get("num_cycles", 1), lo=0.0)
        return _join([(w, warm), (0, _HFHardRestarts(steps=d, cycles=c))])
    if name == "polynomial":
        _check_kwargs(name, kw)
        lr_end = check_real(name, "lr_end", kw.get("lr_end", 1e-7), lo=0.0)
        power = check_real(name, "power", kw.get("power", 1.0), lo=0.0, lo_open=True)
        lr_init = _need_base_lr(name, base_lr, "lr_end")
        if not lr_init > lr_end:
            raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr_init})")
        end = lr_end / lr_init
        decay = (
            Polynomial(steps=n - w, power=power, start=1.0, end=end)
            if n > w
            else Constant(value=end)
        )
        return _join([(w, warm), (0, decay)])
    if name == "cosine_with_min_lr":
        _check_kwargs(name, kw)
        c = check_real(name, "num_cycles", kw.get("num_cycles", 0.5))
        r = _min_lr_rate(name, base_lr, kw.get("min_lr"), kw.get("min_lr_rate"))
        return _join([(w, warm), (0, _periodic_cosine(d, c, end=r))])
    # cosine_warmup_with_min_lr
    _check_kwargs(name, kw)
    c = check_real(name, "num_cycles", kw.get("num_cycles", 0.5))
    r = _min_lr_rate(name, base_lr, kw.get("min_lr"), kw.get("min_lr_rate"))
    wr = kw.get("warmup_lr_rate")
    if wr is None:
        ramp: Schedule = Shift(schedule=warm, by=-1)
    else:
        wr = check_real(name, "warmup_lr_rate", wr, lo=0.0)
        ramp = Linear(steps=max(1, w - 1), start=wr, end=1.0)
    return _join([(w, ramp), (0, Shift(schedule=_periodic_cosine(d, c, end=r), by=-1))])


def _wsd(w: int, num_training_steps: Any, kw: dict[str, Any]) -> Schedule:
    name = "warmup_stable_decay"
    _check_kwargs(name, kw)
    if "num_decay_steps" not in kw:
        raise TypeError(
            f"{name} requires num_decay_steps (in scheduler_specific_kwargs), "
            "the length of the cooldown"
        )
    dsteps = check_int(name, "num_decay_steps", kw["num_decay_steps"], lo=0)
    stable = kw.get("num_stable_steps")
    if num_training_steps is None and stable is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if num_training_steps is not None and stable is not None:
        warnings.warn(
            "Both num_training_steps and num_stable_steps are specified. "
            "num_stable_steps will be used.",
            UserWarning,
            stacklevel=4,
        )
    if stable is None:
        n = check_int(name, "num_training_steps", num_training_steps, lo=0)
        stable = n - w - dsteps
        if stable < 0:
            raise ValueError(
                f"{name}: num_training_steps ({n}) must be >= num_warmup_steps + "
                f"num_decay_steps ({w} + {dsteps}); the stable phase would be negative"
            )
    else:
        stable = check_int(name, "num_stable_steps", stable, lo=0)
    wtype = kw.get("warmup_type", "linear")
    dtype = kw.get("decay_type", "cosine")
    if wtype not in _WSD_TYPES:
        raise ValueError(f"Unknown warmup type: {wtype}, expected 'linear', 'cosine' or '1-sqrt'")
    if dtype not in _WSD_TYPES:
        raise ValueError(f"Unknown decay type: {dtype}, expected 'linear', 'cosine' or '1-sqrt'")
    m = check_real(name, "min_lr_ratio", kw.get("min_lr_ratio", 0.0), lo=0.0)
    c = check_real(name, "num_cycles", kw.get("num_cycles", 0.5))
    wn = max(1, w)
    warm: Schedule
    if wtype == "linear":
        warm = Linear(steps=wn, start=m, end=1.0)
    elif wtype == "cosine":
        warm = Cosine(steps=wn, start=m, end=1.0)
    else:
        warm = _HFOneMinusSqrt(steps=wn, min_ratio=m, rising=True)
    dn = max(1, dsteps)
    decay: Schedule
    if dtype == "linear":
        decay = Linear(steps=dn, start=1.0, end=m)
    elif dtype == "cosine":
        decay = _periodic_cosine(dn, c, end=m)
    else:
        decay = _HFOneMinusSqrt(steps=dn, min_ratio=m, rising=False)
    return _join(
        [(w, warm), (stable, Constant(value=1.0)), (dsteps, decay), (0, Constant(value=m))]
    )
