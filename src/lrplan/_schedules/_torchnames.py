"""torch's scheduler names as pure schedules: one mapping from torch's arguments to shapes.

Two kinds of functions live here, and the mapping is written once:

* the **builders** (``step_lr``, ``linear_lr``, ``cosine_annealing_lr``, ...) say which
  lrplan shape a ``torch.optim.lr_scheduler`` class follows for one param group,
  given its (already checked) arguments. The torch-named classes of
  ``lrplan._compat*`` build their per-group schedules with them;
* :data:`TORCH_SPEC_NAMES`: the torch class names a spec string may call
  (``"CosineAnnealingLR(T_max=1000)"``). Each takes the class's own arguments (all
  but ``optimizer`` and ``last_epoch``), checks them, and returns the *multiplier*
  schedule: what torch's class writes after ``t`` steps divided by its base lr
  (``scheduler.get_last_lr()[0] / scheduler.base_lrs[0]``).

The base lr. Most classes are multipliers already. Arguments in lr units need the lr
they are relative to, and each name says where it comes from:

* ``CosineAnnealingLR`` and ``CosineAnnealingWarmRestarts`` with ``eta_min > 0``:
  an extra keyword ``base_lr``, the optimizer's lr (``eta_min=0`` needs none);
* ``CyclicLR``: its own ``base_lr`` (torch sets each group's lr to it);
* ``OneCycleLR``: ``max_lr / div_factor`` (torch's ``initial_lr``), or an explicit
  ``base_lr`` keyword (``base_lr=max_lr`` makes the peak 1).

``ScheduledLR(optimizer, spec)`` on an optimizer whose lr is that base lr writes
torch's lrs. Momentum arguments (``cycle_momentum``, ``base_momentum``,
``max_momentum``) are accepted, so a constructor call can be pasted as it is, and
change nothing: a spec is the lr schedule only.

:data:`TORCH_NOT_IN_SPECS` names the classes without a closed form of their own
arguments (a Python function, a metric, other scheduler objects), each with what to
write instead.

Reference: PyTorch, ``torch.optim.lr_scheduler`` (2.13); the formula of each shape is
in its own class's docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ._core import Constant, Join, Schedule
from ._cyclic import CYCLIC_MODES, CosineRestarts, Cyclic, _TorchPhases
from ._shapes import Cosine, Exponential, Linear, MultiStep, Polynomial, Step
from ._time import is_unresolved
from ._validate import check_real, check_whole

__all__ = [
    "TORCH_NOT_IN_SPECS",
    "TORCH_SPEC_NAMES",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_warm_restarts",
    "cyclic_lr",
    "exponential_lr",
    "linear_lr",
    "multistep_lr",
    "one_cycle_ends",
    "one_cycle_lr",
    "polynomial_lr",
    "step_lr",
]


# --------------------------------------------------------------------------- builders


def step_lr(step_size: int, gamma: float) -> Schedule:
    """``StepLR``: ``gamma ** (t // step_size)``.

    Example:
        >>> from lrplan._schedules._torchnames import step_lr
        >>> [step_lr(2, 0.5)(t) for t in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    return Step(step_size=step_size, gamma=gamma)


def multistep_lr(milestones: Iterable[int], gamma: float) -> Schedule:
    """``MultiStepLR``: ``gamma ** (number of milestones <= t)``; a repeated milestone counts
    each time, as in torch.

    Example:
        >>> from lrplan._schedules._torchnames import multistep_lr
        >>> [multistep_lr([3, 1, 3], 0.5)(t) for t in range(5)]
        [1.0, 0.5, 0.5, 0.125, 0.125]
    """
    return MultiStep(milestones=tuple(sorted(milestones)), gamma=gamma)


def constant_lr(factor: float, total_iters: int) -> Schedule:
    """``ConstantLR``: ``factor`` before ``total_iters``, then 1.

    Example:
        >>> from lrplan._schedules._torchnames import constant_lr
        >>> [constant_lr(0.5, 2)(t) for t in range(4)]
        [0.5, 0.5, 1.0, 1.0]
    """
    return Join(schedules=(Constant(value=factor), Constant(value=1.0)), boundaries=(total_iters,))


def linear_lr(
    start_factor: float, end_factor: float, total_iters: int, *, cls: type[Linear] = Linear
) -> Linear:
    """``LinearLR``: from ``start_factor`` to ``end_factor`` over ``total_iters``, then held.

    ``cls`` is the class built: the torch-named class passes a subclass of
    :class:`Linear` that adds torch's rule for chaining.

    Example:
        >>> from lrplan._schedules._torchnames import linear_lr
        >>> [linear_lr(0.25, 1.0, 3)(t) for t in range(5)]
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return cls(steps=total_iters, start=start_factor, end=end_factor)


def exponential_lr(gamma: float) -> Schedule:
    """``ExponentialLR``: ``gamma ** t``.

    Example:
        >>> from lrplan._schedules._torchnames import exponential_lr
        >>> exponential_lr(0.5)(3)
        0.125
    """
    return Exponential(gamma=gamma)


def polynomial_lr(
    total_iters: int, power: float, *, cls: type[Polynomial] = Polynomial
) -> Polynomial:
    """``PolynomialLR``: ``(1 - min(t, total_iters) / total_iters) ** power`` (``cls`` as in
    :func:`linear_lr`).

    Example:
        >>> from lrplan._schedules._torchnames import polynomial_lr
        >>> [polynomial_lr(4, 2.0)(t) for t in range(6)]
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    return cls(steps=total_iters, power=power)


def cosine_annealing_lr(
    T_max: float, base: float, eta_min: float, *, cls: type[Cosine] = Cosine
) -> Cosine:
    """``CosineAnnealingLR``: ``eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2``,
    periodic past ``T_max`` (torch's formula keeps running). ``base`` and ``eta_min`` are
    in the same units: lr units in the torch-named class, multipliers in a spec.
    ``cls`` as in :func:`linear_lr`.

    Example:
        >>> from lrplan._schedules._torchnames import cosine_annealing_lr
        >>> [round(cosine_annealing_lr(2, 1.0, 0.1)(t), 6) for t in range(5)]
        [1.0, 0.55, 0.1, 0.55, 1.0]
    """
    return cls(steps=T_max, start=base, end=eta_min, periodic=True)


def cosine_warm_restarts(T_0: int, T_mult: int, base: float, eta_min: float) -> Schedule:
    """``CosineAnnealingWarmRestarts``: a cosine from ``base`` to ``eta_min`` over ``T_0``,
    restarted, each period ``T_mult`` times longer (units as in
    :func:`cosine_annealing_lr`).

    Example:
        >>> from lrplan._schedules._torchnames import cosine_warm_restarts
        >>> [round(cosine_warm_restarts(2, 2, 1.0, 0.0)(t), 6) for t in range(7)]
        [1.0, 0.5, 1.0, 0.853553, 0.5, 0.146447, 1.0]
    """
    return CosineRestarts(period=float(T_0), period_mult=T_mult, start=base, end=eta_min)


def cyclic_lr(
    start: float, peak: float, up: float, down: float, mode: str, gamma: float
) -> Schedule:
    """``CyclicLR`` with one of its built-in modes: from ``start`` up to ``peak`` over
    ``up`` steps and back over ``down`` (``gamma`` is used by ``"exp_range"`` only, and
    must be in (0, 1] here; the torch-named class handles a growing amplitude itself).

    Example:
        >>> from lrplan._schedules._torchnames import cyclic_lr
        >>> [round(cyclic_lr(0.1, 1.0, 2, 2, "triangular", 1.0)(t), 6) for t in range(5)]
        [0.1, 0.55, 1.0, 0.55, 0.1]
    """
    return Cyclic(
        start=start,
        peak=peak,
        step_size_up=up,
        step_size_down=down,
        mode=mode,
        gamma=gamma if mode == "exp_range" else 1.0,
    )


def one_cycle_ends(pct_start: float, total_steps: int, three_phase: bool) -> list[float]:
    """The last step of each phase of ``OneCycleLR``, as torch places them:
    ``pct_start * total - 1``, (three phases: ``2 * pct_start * total - 2``) and
    ``total - 1`` (an int, as torch has it).

    Example:
        >>> from lrplan._schedules._torchnames import one_cycle_ends
        >>> one_cycle_ends(0.3, 100, False), one_cycle_ends(0.3, 100, True)
        ([29.0, 99], [29.0, 58.0, 99])
    """
    pct, total = float(pct_start), total_steps
    first = float(pct * total) - 1
    if three_phase:
        return [first, float(2 * pct * total) - 2, total - 1]
    return [first, total - 1]


def one_cycle_lr(
    *,
    total_steps: int,
    pct_start: float,
    three_phase: bool,
    anneal: str,
    initial: float,
    peak: float,
    final: float,
) -> Schedule:
    """``OneCycleLR``: from ``initial`` up to ``peak``, (three phases: back to ``initial``,)
    then to ``final``, with torch's phase ends (:func:`one_cycle_ends`) and its error past
    ``total_steps``.

    Example:
        >>> from lrplan._schedules._torchnames import one_cycle_lr
        >>> s = one_cycle_lr(total_steps=10, pct_start=0.3, three_phase=False, anneal="linear",
        ...                  initial=0.1, peak=1.0, final=0.0)
        >>> [round(s(t), 3) for t in (0, 1, 2, 9)]
        [0.1, 0.55, 1.0, 0.0]
    """
    ends = one_cycle_ends(pct_start, total_steps, three_phase)
    levels = (initial, peak, initial, final) if three_phase else (initial, peak, final)
    return _TorchPhases(
        ends=tuple(float(e) for e in ends), levels=levels, anneal=anneal, total=total_steps
    )


# --------------------------------------------------------------------------- argument checks


def _whole(owner: str, name: str, value: Any, *, lo: int) -> int:
    """:func:`check_whole`, after pointing a duration (``epochs(1)``) to lrplan's names."""
    if is_unresolved(value):
        raise TypeError(
            f"{owner}: {name} must be a number of steps, got {value!r}; torch's names take "
            "steps, as torch does (epochs() and fraction() work with lrplan's own names, "
            "e.g. Step(step_size=epochs(30)))"
        )
    return check_whole(owner, name, value, lo=lo)


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


def _momentum(owner: str, **values: Any) -> None:
    """Momentum arguments do not change the lr schedule; they must still be numbers."""
    for name, value in values.items():
        check_real(owner, name, value, lo=0.0)


def _lr_to_multiplier(owner: str, what: str, value: float, base_lr: float | None) -> float:
    """``value`` (lr units) as a multiplier of ``base_lr``; 0 needs no base lr."""
    if value == 0:
        return 0.0
    if base_lr is None:
        raise ValueError(
            f"{owner}: {what}={value!r} is in lr units, but a spec is a multiplier of the "
            f"optimizer's lr; add base_lr=<the optimizer's lr>, e.g. {owner}(..., "
            f"{what}={value!r}, base_lr=3e-4), or write the lrplan shape with the ratio "
            f"{what} / lr"
        )
    lr = check_real(owner, "base_lr", base_lr, lo=0.0, lo_open=True)
    return value / lr


# --------------------------------------------------------------------------- spec names


def _step_lr(step_size: int, gamma: float = 0.1) -> Schedule:
    owner = "StepLR"
    return step_lr(
        _whole(owner, "step_size", step_size, lo=1), check_real(owner, "gamma", gamma, lo=0)
    )


def _multistep_lr(milestones: Iterable[int], gamma: float = 0.1) -> Schedule:
    owner = "MultiStepLR"
    if isinstance(milestones, str) or not isinstance(milestones, Iterable):
        raise TypeError(f"{owner}: milestones must be a list of integers, got {milestones!r}")
    ms = [_whole(owner, f"milestones[{i}]", m, lo=0) for i, m in enumerate(milestones)]
    return multistep_lr(ms, check_real(owner, "gamma", gamma, lo=0))


def _constant_lr(factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    owner = "ConstantLR"
    f = check_real(owner, "factor", factor, lo=0, hi=1, lo_open=True)
    return constant_lr(f, _whole(owner, "total_iters", total_iters, lo=1))


def _linear_lr(
    start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
) -> Schedule:
    owner = "LinearLR"
    return linear_lr(
        check_real(owner, "start_factor", start_factor, lo=0, hi=1, lo_open=True),
        check_real(owner, "end_factor", end_factor, lo=0, hi=1),
        _whole(owner, "total_iters", total_iters, lo=1),
    )


def _exponential_lr(gamma: float) -> Schedule:
    return exponential_lr(check_real("ExponentialLR", "gamma", gamma, lo=0))


def _polynomial_lr(total_iters: int = 5, power: float = 1.0) -> Schedule:
    owner = "PolynomialLR"
    return polynomial_lr(
        _whole(owner, "total_iters", total_iters, lo=1), check_real(owner, "power", power, lo=0)
    )


def _cosine_annealing_lr(
    T_max: float, eta_min: float = 0.0, *, base_lr: float | None = None
) -> Schedule:
    owner = "CosineAnnealingLR"
    t_max = check_real(owner, "T_max", T_max, lo=0, lo_open=True)
    end = _lr_to_multiplier(owner, "eta_min", check_real(owner, "eta_min", eta_min, lo=0), base_lr)
    return cosine_annealing_lr(t_max, 1.0, end)


def _cosine_warm_restarts(
    T_0: int, T_mult: int = 1, eta_min: float = 0.0, *, base_lr: float | None = None
) -> Schedule:
    owner = "CosineAnnealingWarmRestarts"
    t0 = _whole(owner, "T_0", T_0, lo=1)
    mult = _whole(owner, "T_mult", T_mult, lo=1)
    end = _lr_to_multiplier(owner, "eta_min", check_real(owner, "eta_min", eta_min, lo=0), base_lr)
    return cosine_warm_restarts(t0, mult, 1.0, end)


def _cyclic_lr(
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
) -> Schedule:
    owner = "CyclicLR"
    lo = check_real(owner, "base_lr", base_lr, lo=0, lo_open=True)
    hi = check_real(owner, "max_lr", max_lr, lo=0)
    up = check_real(owner, "step_size_up", step_size_up, lo=0, lo_open=True)
    down = (
        up if step_size_down is None else check_real(owner, "step_size_down", step_size_down, lo=0)
    )
    if mode not in CYCLIC_MODES:
        raise ValueError(f"{owner}: mode must be one of {CYCLIC_MODES}, got {mode!r}")
    g = check_real(owner, "gamma", gamma)
    if mode == "exp_range" and not 0 < g <= 1:
        raise ValueError(
            f"{owner}: a spec takes mode='exp_range' with gamma in (0, 1], got {gamma!r}; "
            "an amplitude that grows without bound needs lrplan.CyclicLR in Python"
        )
    if scale_mode not in ("cycle", "iterations"):
        raise ValueError(f"{owner}: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
    _flag(owner, "cycle_momentum", cycle_momentum)
    _momentum(owner, base_momentum=base_momentum, max_momentum=max_momentum)
    # torch sets each group's lr, and its base lr, to base_lr.
    return cyclic_lr(1.0, hi / lo, up, down, mode, g)


def _one_cycle_lr(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    *,
    base_lr: float | None = None,
) -> Schedule:
    owner = "OneCycleLR"
    if total_steps is not None:
        total = _whole(owner, "total_steps", total_steps, lo=1)
    elif epochs is not None and steps_per_epoch is not None:
        total = _whole(owner, "epochs", epochs, lo=1) * _whole(
            owner, "steps_per_epoch", steps_per_epoch, lo=1
        )
    else:
        raise ValueError(f"{owner}: give total_steps, or epochs and steps_per_epoch")
    pct = check_real(owner, "pct_start", pct_start, lo=0, hi=1)
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(
            f"{owner}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
        )
    _flag(owner, "cycle_momentum", cycle_momentum)
    _flag(owner, "three_phase", three_phase)
    _momentum(owner, base_momentum=base_momentum, max_momentum=max_momentum)
    peak = check_real(owner, "max_lr", max_lr, lo=0, lo_open=True)
    initial = peak / check_real(owner, "div_factor", div_factor, lo=0, lo_open=True)
    final = initial / check_real(owner, "final_div_factor", final_div_factor, lo=0, lo_open=True)
    # torch's base lr is initial_lr = max_lr / div_factor.
    ref = initial if base_lr is None else check_real(owner, "base_lr", base_lr, lo=0, lo_open=True)
    return one_cycle_lr(
        total_steps=total,
        pct_start=float(pct),
        three_phase=three_phase,
        anneal=anneal_strategy,
        initial=initial / ref,
        peak=peak / ref,
        final=final / ref,
    )


#: torch class name -> a function of that class's arguments returning the multiplier
#: schedule (see the module docs).
TORCH_SPEC_NAMES: dict[str, Callable[..., Schedule]] = {
    "StepLR": _step_lr,
    "MultiStepLR": _multistep_lr,
    "ConstantLR": _constant_lr,
    "LinearLR": _linear_lr,
    "ExponentialLR": _exponential_lr,
    "PolynomialLR": _polynomial_lr,
    "CosineAnnealingLR": _cosine_annealing_lr,
    "CosineAnnealingWarmRestarts": _cosine_warm_restarts,
    "CyclicLR": _cyclic_lr,
    "OneCycleLR": _one_cycle_lr,
}

#: torch class names a spec cannot call, each with the reason and what to write instead.
TORCH_NOT_IN_SPECS: dict[str, str] = {
    "LambdaLR": (
        "takes a Python function, which a spec cannot hold; write the shape with lrplan's "
        "names (Linear, Cosine, warmup(...), ...), or use lrplan.LambdaLR in Python"
    ),
    "MultiplicativeLR": (
        "multiplies by a Python function's value each step and has no closed form; for a "
        "constant factor g write Exponential(gamma=g), or use lrplan.MultiplicativeLR in Python"
    ),
    "ReduceLROnPlateau": (
        "is driven by a validation metric, so no schedule of the step exists; use "
        "lrplan.ReduceLROnPlateau in Python"
    ),
    "SequentialLR": (
        "composes scheduler objects; in a spec write a.then(b, at=milestone) "
        "(or Join(schedules=[a, b], boundaries=[milestone]))"
    ),
    "ChainedScheduler": ("composes scheduler objects; in a spec multiply the schedules: a * b"),
}
