"""The HF transformers scheduler vocabulary: :func:`get_scheduler` and :func:`hf_schedule`.

Every name that ``transformers.get_scheduler`` accepts (except the experimental
``greedy``) maps to a pure, closed-form :class:`~lrplan.Schedule` of multipliers,
built from lrplan's shapes (:class:`~lrplan.Linear`, :class:`~lrplan.Cosine`,
:class:`~lrplan.Polynomial`, :class:`~lrplan.Constant`, :class:`~lrplan.Join`,
:class:`~lrplan.InverseSqrt`, and :class:`~lrplan.Shift` for HF's off-by-one
cosine), plus two small private shapes for what those cannot express exactly (HF's
hard restarts and the 1-sqrt ramps of its warmup-stable-decay). The formulas are
transformers 5.23's (``transformers.optimization``), reproduced value for value,
quirks included:

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
"""

from __future__ import annotations

import dataclasses
import enum
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from torch.optim import Optimizer

from ._compat_plateau import ReduceLROnPlateau
from ._driver import ScheduledLR
from ._groups import as_float as _as_float
from ._schedules import (
    Constant,
    Cosine,
    FiniteShape,
    InverseSqrt,
    Join,
    Linear,
    Polynomial,
    Schedule,
    Shift,
)
from ._schedules._core import check_int, check_real
from ._schedules._ops import Ops

__all__ = ["HF_SCHEDULER_NAMES", "HFScheduledLR", "get_scheduler", "hf_schedule"]

#: The scheduler names of ``transformers.get_scheduler`` that lrplan accepts.
HF_SCHEDULER_NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
)

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
        >>> from lrplan._hf import _HFHardRestarts
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
        >>> from lrplan._hf import _HFOneMinusSqrt
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
            "One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`"
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


def _check_kwargs(name: str, kwargs: Mapping[str, Any], accepted: tuple[str, ...]) -> None:
    extra = sorted(set(kwargs) - set(accepted))
    if extra:
        ok = ", ".join(accepted) if accepted else "none"
        raise TypeError(f"{name}: unexpected scheduler_specific_kwargs {extra}; accepted: {ok}")


def _normalise_name(name: Any) -> str:
    if isinstance(name, enum.Enum):  # transformers.SchedulerType and similar enums
        name = name.value
    if not isinstance(name, str):
        raise TypeError(f"scheduler name must be a str, got {type(name).__name__} {name!r}")
    if name == "greedy":
        raise ValueError(
            "greedy (transformers' experimental GreedyLR) is not supported by lrplan; "
            f"supported names: {list(HF_SCHEDULER_NAMES)}"
        )
    if name not in HF_SCHEDULER_NAMES:
        raise ValueError(
            f"{name} is not a valid SchedulerType, please select one of {list(HF_SCHEDULER_NAMES)}"
        )
    return name


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
    **scheduler_specific_kwargs: Any,
) -> Schedule:
    r"""The multiplier schedule of transformers scheduler ``name``, as a pure value.

    ``s(t)`` is the factor transformers' ``LambdaLR`` multiplies each group's base lr
    by after ``t`` scheduler steps, so it can be previewed, plotted, composed or
    given to :class:`~lrplan.ScheduledLR`. The arguments are those of
    :func:`get_scheduler`, with ``scheduler_specific_kwargs`` given as keywords.
    ``base_lr`` (transformers reads ``optimizer.defaults["lr"]``) is needed only by
    ``polynomial`` (for ``lr_end``) and by ``min_lr``.

    ``reduce_lr_on_plateau`` is driven by a metric and has no schedule: it raises.

    Example:
        >>> import lrplan as lp
        >>> s = lp.hf_schedule("linear", num_warmup_steps=2, num_training_steps=10)
        >>> [round(s(t), 3) for t in (0, 1, 2, 6, 10, 12)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
        >>> c = lp.hf_schedule("cosine", num_warmup_steps=0, num_training_steps=10)
        >>> c(10), c(20)  # never clamped: back up after the end, as in transformers
        (0.0, 1.0)
    """
    name = _normalise_name(name)
    kw = dict(scheduler_specific_kwargs)
    if name == "reduce_lr_on_plateau":
        raise ValueError(
            "reduce_lr_on_plateau is driven by a metric and has no closed-form schedule; "
            "use lrplan.get_scheduler('reduce_lr_on_plateau', optimizer, ...)"
        )
    if name == "constant":
        _check_kwargs(name, kw, ())
        return Constant(value=1.0)
    w = _steps(name, "num_warmup_steps", num_warmup_steps)
    warm = _hf_warmup(w)
    if name == "constant_with_warmup":
        _check_kwargs(name, kw, ())
        return _join([(w, warm), (0, Constant(value=1.0))])
    if name == "inverse_sqrt":
        _check_kwargs(name, kw, ("timescale",))
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
        _check_kwargs(name, kw, ())
        decay: Schedule = Linear(steps=n - w, start=1.0, end=0.0) if n > w else Constant(value=0.0)
        return _join([(w, warm), (0, decay)])
    if name == "cosine":
        _check_kwargs(name, kw, ("num_cycles",))
        c = check_real(name, "num_cycles", kw.get("num_cycles", 0.5))
        return _join([(w, warm), (0, _periodic_cosine(d, c))])
    if name == "cosine_with_restarts":
        _check_kwargs(name, kw, ("num_cycles",))
        c = check_real(name, "num_cycles", kw.get("num_cycles", 1), lo=0.0)
        return _join([(w, warm), (0, _HFHardRestarts(steps=d, cycles=c))])
    if name == "polynomial":
        _check_kwargs(name, kw, ("lr_end", "power"))
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
        _check_kwargs(name, kw, ("num_cycles", "min_lr", "min_lr_rate"))
        c = check_real(name, "num_cycles", kw.get("num_cycles", 0.5))
        r = _min_lr_rate(name, base_lr, kw.get("min_lr"), kw.get("min_lr_rate"))
        return _join([(w, warm), (0, _periodic_cosine(d, c, end=r))])
    # cosine_warmup_with_min_lr
    _check_kwargs(name, kw, ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"))
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
    _check_kwargs(
        name,
        kw,
        (
            "num_decay_steps",
            "num_stable_steps",
            "warmup_type",
            "decay_type",
            "min_lr_ratio",
            "num_cycles",
        ),
    )
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


# --------------------------------------------------------------------------- get_scheduler


class HFScheduledLR(ScheduledLR):
    """A :class:`~lrplan.ScheduledLR` that behaves like transformers' ``LambdaLR``.

    Each step writes ``base_lr * schedule(step)`` whatever other schedulers did
    (transformers' schedulers are ``LambdaLR``, which is not chainable).
    :func:`get_scheduler` returns one; ``name`` is the transformers name.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = lp.get_scheduler("linear", opt, num_warmup_steps=2, num_training_steps=10)
        >>> type(sched).__name__, sched.name, sched.get_last_lr()
        ('HFScheduledLR', 'linear', [0.0])
        >>> for _ in range(2):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.1]
    """

    _chainable: ClassVar[bool] = False

    def __init__(
        self, optimizer: Optimizer, schedule: Schedule, *, name: str, last_epoch: int = -1
    ) -> None:
        self.name = name
        super().__init__(optimizer, schedule, key="lr", last_epoch=last_epoch)

    def _config(self) -> dict[str, Any]:
        cfg = super()._config()
        cfg["name"] = self.name
        return cfg


def get_scheduler(
    name: Any,
    optimizer: Optimizer,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """``transformers.get_scheduler``'s names and arguments, with the same lr at every step.

    Args:
        name: one of :data:`HF_SCHEDULER_NAMES` (or an enum whose value is one,
            such as transformers' ``SchedulerType``).
        optimizer: the optimizer to drive.
        num_warmup_steps: warmup length; required by every name except
            ``constant`` and ``reduce_lr_on_plateau``.
        num_training_steps: total steps; required by the decaying names
            (``warmup_stable_decay`` accepts ``num_stable_steps`` instead).
        scheduler_specific_kwargs: the name's extra arguments, as in transformers
            (``num_cycles``, ``lr_end``, ``power``, ``timescale``, ``min_lr``,
            ``min_lr_rate``, ``warmup_lr_rate``, ``num_decay_steps``,
            ``num_stable_steps``, ``warmup_type``, ``decay_type``,
            ``min_lr_ratio``; ReduceLROnPlateau's arguments for
            ``reduce_lr_on_plateau``).

    Returns:
        an :class:`HFScheduledLR` (a torch ``LRScheduler``; its pure schedule is
        ``scheduler.schedules[0]``, the same as :func:`hf_schedule`'s), or a
        ``ReduceLROnPlateau`` for ``reduce_lr_on_plateau``.

    Missing step counts raise the same ``ValueError`` as transformers; unknown
    ``scheduler_specific_kwargs`` raise ``TypeError`` (transformers ignores them
    for ``constant`` and ``constant_with_warmup``).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=1e-3)
        >>> sched = lp.get_scheduler("cosine_with_min_lr", opt, num_warmup_steps=10,
        ...                          num_training_steps=100,
        ...                          scheduler_specific_kwargs={"min_lr_rate": 0.1})
        >>> sched.get_last_lr()
        [0.0]
        >>> sched.set_step(100); sched.get_last_lr()
        [0.0001]
    """
    name = _normalise_name(name)
    kw = dict(scheduler_specific_kwargs or {})
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    if name == "reduce_lr_on_plateau":
        return ReduceLROnPlateau(optimizer, **kw)
    lr0 = optimizer.defaults.get("lr")
    base = None if lr0 is None else _as_float(lr0)
    sched = hf_schedule(
        name,
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
        base_lr=base,
        **kw,
    )
    return HFScheduledLR(optimizer, sched, name=name)
