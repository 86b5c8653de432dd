"""torch-named cycles and restarts: ``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``.

Each class is a configuration of the driver (:class:`~lrplan._driver.ScheduleDriven`)
and an instance of torch's class of the same name. The lr of each param group
follows a pure shape from :mod:`lrplan._schedules._cyclic` in lr units
(``_relative = False``): ``Cyclic``, torch's one-cycle phases, ``CosineRestarts``
(which ``CosineAnnealingWarmRestarts`` follows through torch's own counters
``T_cur`` and ``T_i``). torch overwrites whatever the group held every step, so
none is chainable (``_chainable = False``).

``CyclicLR`` and ``OneCycleLR`` also cycle ``momentum`` -- or ``betas[0]`` for
Adam-style optimizers -- inversely to the lr, in the same step: ``_apply`` writes
the lr, then each group's momentum schedule at ``last_epoch`` (tensors filled in
place, ``betas`` kept a tuple).

The attributes torch saves are the state here too, with torch's names and
meanings, so checkpoints cross between torch's classes and these in both
directions (see each class's ``_torch_args``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
import torch.optim.lr_scheduler as _torch
from torch.optim import Optimizer

from ._driver import ConfigChangePolicy, ScheduleDriven, _warn_get_lr_outside_step
from ._groups import as_float, check_time, check_value, write
from ._schedules import Schedule
from ._schedules._core import check_real
from ._schedules._cyclic import CYCLIC_MODES, Cyclic, _TorchPhases
from ._schedules._ops import Ops
from ._schedules._torchnames import cosine_warm_restarts, cyclic_lr, one_cycle_ends

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]

_MOMENTUM_ERROR = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


# --------------------------------------------------------------------------- helpers


def _per_group(owner: str, name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per param group (torch's ``_format_param``), each a finite number >= 0
    (lrs and momentums alike; torch takes a negative one and writes it); tensors are
    cloned."""
    n = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n}."
            )
        values = list(value)
    else:
        values = [value] * n
    out: list[Any] = []
    for i, v in enumerate(values):
        label = name if not isinstance(value, list | tuple) else f"{name}[{i}]"
        if isinstance(v, torch.Tensor):
            check_real(owner, label, as_float(v), lo=0.0)
            out.append(v.detach().clone())
            continue
        out.append(_plain(check_real(owner, label, v, lo=0.0)))
    return out


def _plain(value: Any) -> Any:
    """numpy scalars become Python numbers, so state stays loadable with weights_only."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _uses_beta1(optimizer: Optimizer) -> bool:
    """torch's rule: ``betas[0]`` for Adam-style optimizers, else ``momentum``; neither raises."""
    defaults = optimizer.defaults
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(_MOMENTUM_ERROR)
    return "betas" in defaults


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _CyclesMomentum(ScheduleDriven):
    """Base of the two classes that cycle ``momentum`` (or ``betas[0]``) with the lr.

    torch writes the momentum from inside ``get_lr``; here :meth:`_apply` writes
    it right after the lr, in closed form at ``last_epoch``, from one schedule per
    group (:meth:`_momentum_schedule`, absolute values). Values are checked like
    the lr's (finite, >= 0).
    """

    _chainable: ClassVar[bool] = False
    _relative = False
    cycle_momentum: bool = False
    #: torch's attribute: whether the momentum is ``betas[0]`` (set with ``cycle_momentum``).
    use_beta1: bool = False
    _momenta: list[Schedule]

    def _momentum_schedule(self, group_index: int) -> Schedule:
        raise NotImplementedError

    def _build_schedules(self) -> None:
        super()._build_schedules()
        self._momenta = []  # built on demand: groups' keys may have changed

    def _momentum(self, i: int) -> Schedule:
        """Group ``i``'s momentum schedule; groups with equal ones share one object."""
        while len(self._momenta) <= i:
            s = self._momentum_schedule(len(self._momenta))
            self._momenta.append(next((m for m in self._momenta if m == s), s))
        return self._momenta[i]

    def _apply(self, values: Sequence[Any]) -> None:
        super()._apply(values)
        if not self.cycle_momentum:
            return
        key = "betas[0]" if self.use_beta1 else "momentum"
        owner, t = type(self).__name__, self.last_epoch
        n = len(self.optimizer.param_groups)
        if n:
            self._momentum(n - 1)  # (builds the schedules of groups not seen yet)
        schedules = self._momenta[:n]
        seen: dict[int, float] = {}  # each distinct schedule evaluated once
        for i, s in enumerate(schedules):
            if id(s) not in seen:
                seen[id(s)] = check_value(owner, key, i, t, s(t))
        if len(seen) == 1:
            self._write(key, [*seen.values()] * n, same=True)
        else:
            self._write(key, [seen[id(s)] for s in schedules])

    def _config(self) -> dict[str, Any]:
        config = super()._config()
        if self.cycle_momentum:
            config["momentum_key"] = "betas[0]" if self.use_beta1 else "momentum"
            config["momentum"] = [self._momentum(i).to_config() for i in range(len(self._bases))]
        return config


# --------------------------------------------------------------------------- CyclicLR


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _ScaledCyclic(Cyclic):
    """:class:`Cyclic` with torch's custom amplitude ``scale_fn`` (a user function).

    ``scale_mode="cycle"`` calls it with torch's 1-based cycle number,
    ``"iterations"`` with the step. Not serialisable: its config names the function.
    """

    scale_fn: Callable[[Any], float]
    scale_mode: str = "cycle"
    label: str = ""

    def _call(self, x: float) -> float:
        return float(self.scale_fn(int(x) if float(x).is_integer() else x))

    def _scale(self, c: Any, t: Any, xp: Ops) -> Any:
        arg = c + 1.0 if self.scale_mode == "cycle" else t
        if xp.is_vector:
            return np.array([self._call(float(u)) for u in np.ravel(arg)], dtype=np.float64)
        return self._call(arg)

    def to_config(self) -> dict[str, Any]:
        cfg = {k: v for k, v in super().to_config().items() if k != "scale_fn"}
        cfg["type"] = "torch_cyclic"
        cfg["scale_fn"] = self.label
        return cfg


@dataclasses.dataclass(frozen=True)
class _ExpRange:
    """``gamma ** x`` for any ``gamma`` (torch accepts growth, ``gamma > 1``)."""

    gamma: float

    def __call__(self, x: Any) -> float:
        return float(self.gamma**x)


def _function_label(fn: Any) -> str:
    name = getattr(fn, "__qualname__", type(fn).__qualname__)
    return f"{getattr(fn, '__module__', '?')}.{name}"


def _triangular_scale(x: Any) -> float:
    return 1.0


def _triangular2_scale(x: Any) -> float:
    return float(1 / (2.0 ** (x - 1)))


_MODE_SCALE: dict[str, Callable[[Any], float]] = {
    "triangular": _triangular_scale,
    "triangular2": _triangular2_scale,
}


class CyclicLR(_CyclesMomentum, _torch.CyclicLR):
    r"""Cyclical learning rates (Smith 2017): torch's ``CyclicLR``, same numbers.

    The lr of group ``i`` follows :class:`lrplan.Cyclic` in lr units, from
    ``base_lr`` up to ``max_lr`` over ``step_size_up`` steps and back over
    ``step_size_down``; ``mode`` scales the amplitude (``"triangular"``,
    ``"triangular2"``, ``"exp_range"`` with ``gamma ** step``), or a custom
    ``scale_fn`` of the cycle number (``scale_mode="cycle"``) or of the step
    (``"iterations"``). With ``cycle_momentum`` (default), ``momentum`` -- or
    ``betas[0]`` for Adam-style optimizers -- cycles inversely between
    ``max_momentum`` and ``base_momentum``; optimizers with neither raise
    ``ValueError``, as in torch.

    Like torch's class it writes the closed form every step (not chainable). Its
    quirks stay: the constructor sets each group's lr to ``base_lr`` and writes
    ``max_momentum``/``base_momentum`` into the groups; the initial step uses the
    group's ``initial_lr`` as the lower bound (it differs from ``base_lr`` when
    another scheduler recorded it first); a zero ``step_size_down`` is a sawtooth.
    The state holds torch's keys (``max_lrs``, ``total_size``, ``step_ratio``,
    ``mode``, ``gamma``, ``scale_mode``, the momentum lists, and
    ``_scale_fn_custom``: the attributes of a callable-object ``scale_fn``).
    Differences that change no number: tensor lrs, momenta and betas are updated
    in place, numpy arguments are stored as Python numbers, the state is plain
    data, and ``step_size_up <= 0`` fails at construction instead of dividing by
    zero. :class:`lrplan.Cyclic` is the pure shape, with a ``cycles`` limit.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
        >>> sched = lrplan.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
        >>> lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs, round(opt.param_groups[0]["momentum"], 6)
        ([0.055, 0.1, 0.055, 0.01], 0.9)
    """

    _torch_args: ClassVar[tuple[str, ...]] = (
        "max_lrs",
        "total_size",
        "step_ratio",
        "mode",
        "gamma",
        "scale_mode",
        "cycle_momentum",
        "use_beta1",
        "base_momentums",
        "max_momentums",
    )
    base_momentums: list[Any] | None = None
    max_momentums: list[Any] | None = None

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "CyclicLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        base_lrs = _per_group(owner, "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                write(group, "lr", as_float(lr))
        self.max_lrs = _per_group(owner, "max_lr", optimizer, max_lr)
        up = float(check_real(owner, "step_size_up", step_size_up, lo=0.0, lo_open=True))
        down = up
        if step_size_down is not None:
            down = float(check_real(owner, "step_size_down", step_size_down, lo=0.0))
        self._up_down = (up, down)
        self.total_size = up + down  # type: ignore[assignment]  # torch infers int, stores float
        self.step_ratio = up / self.total_size
        if mode not in CYCLIC_MODES and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{owner}: scale_fn must be callable, got {type(scale_fn).__name__}")
        if scale_fn is not None and scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"{owner}: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}"
            )
        self.mode = mode  # type: ignore[assignment]  # checked above
        self.gamma = _plain(check_real(owner, "gamma", gamma))
        self._scale_fn_custom = scale_fn
        if scale_fn is None:
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.scale_mode = scale_mode  # type: ignore[assignment]  # checked above
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            key = "betas[0]" if self.use_beta1 else "momentum"
            self.base_momentums = _per_group(owner, "base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group(owner, "max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_hi, m_lo, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups, strict=True
                ):
                    write(group, key, as_float(m_hi))
                    group["max_momentum"] = m_hi
                    group["base_momentum"] = m_lo
        super().__init__(optimizer, last_epoch, verbose)
        # torch's quirk: the initial step above used ``initial_lr``; from now on base_lr.
        self.base_lrs = base_lrs

    def _sizes(self) -> tuple[float, float]:
        """``step_size_up`` and ``step_size_down``: the constructor's, unless torch's
        ``total_size``/``step_ratio`` (which torch saves instead) were loaded since."""
        up, down = self._up_down
        if (up + down, up / (up + down)) != (self.total_size, self.step_ratio):
            up = self.total_size * self.step_ratio
            down = self.total_size - up
        return up, down

    def _shape(self, i: int, start: float, peak: float) -> Schedule:
        if i >= len(self.max_lrs):
            raise ValueError(
                f"CyclicLR: param group {i} was added after construction; CyclicLR has "
                f"base_lr/max_lr for {len(self.max_lrs)} groups only (torch fails here too)"
            )
        up, down = self._sizes()
        fn = self._scale_fn_custom
        if fn is None and (self.mode != "exp_range" or 0.0 < self.gamma <= 1.0):
            return cyclic_lr(start, peak, up, down, self.mode, self.gamma)
        if fn is None:  # exp_range with gamma outside (0, 1]: torch's unbounded amplitude
            fn, label = _ExpRange(self.gamma), f"exp_range(gamma={self.gamma!r})"
        else:
            label = _function_label(fn)
        return _ScaledCyclic(
            start=start,
            peak=peak,
            step_size_up=up,
            step_size_down=down,
            scale_fn=fn,
            scale_mode=self.scale_mode,
            label=label,
        )

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        peak = as_float(self.max_lrs[group_index]) if group_index < len(self.max_lrs) else 0.0
        return self._shape(group_index, base, peak)

    def _momentum_schedule(self, group_index: int) -> Schedule:
        his, los = self.max_momentums or [], self.base_momentums or []
        if group_index >= min(len(his), len(los)):
            return self._shape(len(self.max_lrs), 0.0, 0.0)  # raises the added-group error
        return self._shape(group_index, as_float(his[group_index]), as_float(los[group_index]))

    # torch's is an attribute it assigns; here it is read-only.
    @property
    def _scale_fn_ref(self) -> Callable[[Any], float]:  # type: ignore[override]
        """The scale function in use (torch's attribute; not saved, as in torch)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom  # type: ignore[no-any-return]
        return _MODE_SCALE[self.mode] if self.mode != "exp_range" else self.scale_fn

    def scale_fn(self, x: Any) -> float:
        """The amplitude scale at ``x`` (cycle number or step, per ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return float(self._scale_fn_custom(x))
        if self.mode == "triangular2":
            return _triangular2_scale(x)
        if self.mode == "exp_range":
            return float(self.gamma**x)
        return 1.0

    def _torch_state(self) -> dict[str, Any]:
        state = super()._torch_state()
        if not self.cycle_momentum:
            for name in ("use_beta1", "base_momentums", "max_momentums"):
                del state[name]
        # torch's rule: a plain function is not saved, a callable object's attributes are.
        fn = self._scale_fn_custom
        saved = not isinstance(fn, types.FunctionType) and hasattr(fn, "__dict__")
        state["_scale_fn_custom"] = _plain(dict(vars(fn))) if saved else None
        return state

    def _load_torch_state(self, state: Mapping[str, Any]) -> None:
        saved = state.get("_scale_fn_custom")
        if isinstance(saved, Mapping) and hasattr(self._scale_fn_custom, "__dict__"):
            vars(self._scale_fn_custom).update(saved)


# --------------------------------------------------------------------------- OneCycleLR


def _legacy_anneal(fn: Any) -> str:
    """The ``_anneal_func_type`` of an old torch state, which saved the function itself."""
    name = getattr(fn, "__name__", "")
    for kind in ("cos", "linear"):
        if name.endswith(kind):
            return kind
    raise ValueError(
        f"OneCycleLR.load_state_dict: the state's anneal_func {fn!r} is neither torch's "
        "cosine nor its linear annealing"
    )


def _phase(entries: dict[str, Any]) -> Any:
    """One of torch's ``_schedule_phases`` (a ``TypedDict`` there, a plain dict here)."""
    return entries


class OneCycleLR(_CyclesMomentum, _torch.OneCycleLR):
    r"""The 1cycle policy (Smith 2018): torch's ``OneCycleLR``, same numbers.

    The lr warms up from ``initial_lr = max_lr / div_factor`` to ``max_lr`` and
    anneals to ``min_lr = initial_lr / final_div_factor`` (``three_phase``: back to
    ``initial_lr`` first, then to ``min_lr``), with cosine or linear annealing --
    the formula of :class:`lrplan.OneCycle` -- while ``momentum`` or ``betas[0]``
    cycles inversely between ``max_momentum`` and ``base_momentum``.

    torch's quirks stay: its phases end at ``pct_start * total_steps - 1`` (and
    ``2 * pct_start * total_steps - 2``) and ``total_steps - 1``; step
    ``total_steps`` is allowed and extrapolates the last phase; a later step
    raises ``ValueError("Tried to step ...")``; the constructor writes
    ``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum`` and
    ``base_momentum`` into the param groups and each group's schedule reads them
    (when the schedules are built: at construction and on ``load_state_dict``).
    The state holds torch's keys: ``total_steps``, ``_schedule_phases``,
    ``_anneal_func_type``, ``cycle_momentum``, ``use_beta1``; old torch states
    that saved the annealing function as ``anneal_func`` load too.
    Differences: where torch's linear extrapolation at step ``total_steps`` goes
    below 0, the lr written is 0 (never a negative lr); a phase of length 0 fails
    at construction with ``ValueError`` (torch divides by zero, possibly only at
    that step); tensors are updated in place; the state is plain data.
    :class:`lrplan.OneCycle` is the pure shape, which holds its end value.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=1e-3)
        >>> sched = lrplan.OneCycleLR(opt, max_lr=1.0, total_steps=10, div_factor=10)
        >>> round(opt.param_groups[0]["lr"], 6), opt.param_groups[0]["betas"][0]
        (0.1, 0.95)
        >>> for _ in range(2):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr(), opt.param_groups[0]["betas"][0]
        ([1.0], 0.85)
    """

    _torch_args: ClassVar[tuple[str, ...]] = (
        "total_steps",
        "_schedule_phases",
        "_anneal_func_type",
        "cycle_momentum",
        "use_beta1",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if total_steps is not None:
            if not _is_int(total_steps) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = int(total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            if not _is_int(epochs) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not _is_int(steps_per_epoch) or steps_per_epoch <= 0:
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
                )
            self.total_steps = int(epochs) * int(steps_per_epoch)
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if (
            isinstance(pct_start, bool)
            or not isinstance(pct_start, float | np.floating)
            or not 0 <= pct_start <= 1
        ):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy  # type: ignore[assignment]  # checked above
        div = check_real(owner, "div_factor", div_factor, lo=0, lo_open=True)
        final_div = check_real(owner, "final_div_factor", final_div_factor, lo=0, lo_open=True)
        # torch's phases: (end step, lr from -> to, momentum from -> to), the levels
        # named by the param-group keys that hold them.
        ramps = [("initial_lr", "max_lr", "max_momentum", "base_momentum")]
        if three_phase:
            ramps.append(("max_lr", "initial_lr", "base_momentum", "max_momentum"))
            ramps.append(("initial_lr", "min_lr", "max_momentum", "max_momentum"))
        else:
            ramps.append(("max_lr", "min_lr", "base_momentum", "max_momentum"))
        ends = one_cycle_ends(pct_start, self.total_steps, three_phase)
        phases = [(end, *ramp) for end, ramp in zip(ends, ramps, strict=True)]
        names = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [_phase(dict(zip(names, p, strict=True))) for p in phases]
        max_lrs = _per_group(owner, "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, m in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = m / div
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            key = "betas[0]" if self.use_beta1 else "momentum"
            hi = _per_group(owner, "max_momentum", optimizer, max_momentum)
            lo = _per_group(owner, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m_hi, m_lo, group in zip(hi, lo, optimizer.param_groups, strict=True):
                    write(group, key, as_float(m_hi))
                    group["max_momentum"] = m_hi
                    group["base_momentum"] = m_lo
        super().__init__(optimizer, last_epoch, verbose)

    def _phases(self, i: int, what: str) -> Schedule:
        """Group ``i``'s ``"lr"`` or ``"momentum"`` schedule: torch's phases, with the
        levels read from the group's keys (as torch's ``get_lr`` reads them)."""
        phases: list[dict[str, Any]] = self._schedule_phases  # type: ignore[assignment]
        names = [phases[0][f"start_{what}"], *(p[f"end_{what}"] for p in phases)]
        group = self.optimizer.param_groups[i]
        try:
            levels = tuple(as_float(group[n]) for n in names)
        except KeyError as e:
            raise KeyError(
                f"OneCycleLR: param group {i} has no {e.args[0]!r}; groups added after "
                "construction need 'initial_lr', 'max_lr' and 'min_lr' (and "
                "'max_momentum'/'base_momentum' with cycle_momentum), as in torch"
            ) from None
        ends: list[Any] = [float(p["end_step"]) for p in phases]
        if len(ends) == 3:  # an int, as lrplan's first state layout fingerprinted it
            ends[-1] = phases[-1]["end_step"]
        return _TorchPhases(
            ends=tuple(ends),
            levels=levels,
            anneal=self._anneal_func_type,
            total=self.total_steps,
        )

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return self._phases(group_index, "lr")

    def _momentum_schedule(self, group_index: int) -> Schedule:
        return self._phases(group_index, "momentum")

    def _torch_state(self) -> dict[str, Any]:
        state = super()._torch_state()
        state["_schedule_phases"] = [dict(p) for p in self._schedule_phases]
        if not self.cycle_momentum:
            del state["use_beta1"]
        return state

    def load_state_dict(  # type: ignore[override]
        self,
        state_dict: Mapping[str, Any],
        *,
        on_config_change: ConfigChangePolicy | None = None,
    ) -> None:
        """Restore a state saved by this class or by torch's (see the driver's
        ``load_state_dict``); torch states that saved ``anneal_func`` load too."""
        st = state_dict
        if isinstance(st, Mapping) and "anneal_func" in st and "_anneal_func_type" not in st:
            st = {k: v for k, v in st.items() if k != "anneal_func"}
            st["_anneal_func_type"] = _legacy_anneal(state_dict["anneal_func"])
        super().load_state_dict(st, on_config_change=on_config_change)


# --------------------------------------------------------------------------- warm restarts


class CosineAnnealingWarmRestarts(ScheduleDriven, _torch.CosineAnnealingWarmRestarts):
    r"""SGDR (Loshchilov & Hutter 2017): torch's ``CosineAnnealingWarmRestarts``.

    A cosine from the base lr down to ``eta_min`` over ``T_0`` epochs, then a
    restart, each period ``T_mult`` times longer. Like torch's class it keeps
    two counters, ``T_cur`` (epochs since the last restart) and ``T_i`` (the
    current period), and writes

    .. math:: \text{lr} = \eta_{\min} + (\text{base} - \eta_{\min})
              \cdot \tfrac{1}{2}\left(1 + \cos(\pi\, T_{cur} / T_i)\right)

    ``step()`` adds 1 to ``T_cur`` and restarts (``T_cur %= T_i``,
    ``T_i *= T_mult``) when it reaches ``T_i``; ``step(epoch)`` (and
    :meth:`set_step`) sets both for any, even fractional, ``epoch`` without a
    warning, and ``last_epoch`` becomes ``floor(epoch)``. ``T_cur`` and ``T_i``
    are plain attributes, which may be assigned, as in torch. An uninterrupted
    run follows :class:`lrplan.CosineRestarts` in lr units (``schedules``).

    torch's quirks stay: ``T_mult`` is an int >= 1; no call-order or deprecation
    warning; resuming with ``last_epoch = N`` starts the counters afresh (torch
    sets ``T_cur = N``, ``T_i = T_0``), so with ``T_mult > 1`` past the first
    restart the run continues from ``(N + 1) % T_0`` in a period of
    ``T_0 * T_mult`` (resume with ``load_state_dict`` to continue exactly).
    Differences: ``step(epoch)`` places restarts exactly, with integer arithmetic,
    where torch's floating-point logarithm can miss one (for example ``T_0=1,
    T_mult=3`` at epoch 121); numpy integer arguments are accepted; a group added
    later is adopted; tensors are updated in place; the state is plain data.
    :class:`lrplan.CosineRestarts` adds per-cycle decay, a cycle limit and k-decay.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(6):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.5, 1.0, 0.853553, 0.5, 0.146447, 1.0]
    """

    _chainable: ClassVar[bool] = False
    _relative = False
    _torch_args: ClassVar[tuple[str, ...]] = ("T_0", "T_mult", "eta_min")

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        if not _is_int(T_0) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not _is_int(T_mult) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0: int = int(T_0)
        self.T_i: int | float = self.T_0
        self.T_mult: int = int(T_mult)
        self.eta_min: float = _plain(
            check_real("CosineAnnealingWarmRestarts", "eta_min", eta_min, lo=0)
        )
        self.T_cur: int | float = last_epoch
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return cosine_warm_restarts(self.T_0, self.T_mult, base, self.eta_min)

    def step(self, epoch: int | float | None = None) -> None:  # type: ignore[override]
        """Advance one epoch, or go to (fractional) ``epoch``: torch's rule, no warning."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            self.last_epoch += 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            self._go_to(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        self._apply(values)

    def set_step(self, t: int | float) -> None:
        """Go to epoch ``t`` (an int or a float): ``step(t)``, and like it, no warning."""
        self.step(check_time("set_step", t))

    def _go_to(self, epoch: Any) -> None:
        """Set ``T_cur``, ``T_i`` and ``last_epoch`` for ``epoch``.

        Cycle ``n`` starts at ``T_0 (T_mult^n - 1) / (T_mult - 1)``; the start is
        found by adding periods (integers: exact), not by torch's logarithm. With
        ``T_mult == 1`` only ``T_cur`` changes, as in torch.
        """
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real):
            raise TypeError(
                f"CosineAnnealingWarmRestarts.step: epoch must be a number, got {epoch!r}"
            )
        if epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        epoch = check_time("CosineAnnealingWarmRestarts.step", epoch)
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            start, length = 0, self.T_0
            while epoch >= start + length:
                start, length = start + length, length * self.T_mult
            self.T_i, self.T_cur = length, epoch - start
        self.last_epoch = math.floor(epoch)

    def get_lr(self) -> list[Any]:
        """Each group's lr from ``T_cur`` and ``T_i`` (torch's formula and operation order)."""
        _warn_get_lr_outside_step(self)
        self._adopt_new_groups()
        eta, x = self.eta_min, math.pi * self.T_cur / self.T_i
        return [eta + (base - eta) * (1 + math.cos(x)) / 2 for base in self._bases]

    def _torch_state(self) -> dict[str, Any]:
        return {**super()._torch_state(), "T_i": self.T_i, "T_cur": self.T_cur}

    def _load_torch_state(self, state: Mapping[str, Any]) -> None:
        if "T_cur" in state and all(state.get(n) == getattr(self, n) for n in ("T_0", "T_mult")):
            self.T_cur, self.T_i = state["T_cur"], state["T_i"]
            return
        # Counters saved for other periods, or none (lrplan's first state layout, which
        # kept the fraction of a fractional epoch): go to the saved epoch.
        extra = (state.get("lrplan") or {}).get("extra") or {}
        epoch = state["last_epoch"] + extra.get("frac", 0)
        self.T_cur, self.T_i = epoch, self.T_0
        if epoch >= 0:
            self._go_to(epoch)
