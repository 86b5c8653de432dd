"""torch-named cycles and restarts: ``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``.

Each class is a thin configuration of a pure shape from
:mod:`lrplan._schedules._cyclic` (``Cyclic``, the one-cycle annealing formula,
``CosineRestarts``), in lr units (``_relative = False``). torch computes all
three in closed form every step and overwrites whatever the group held, so they
are not chainable (``_chainable = False``).

``CyclicLR`` and ``OneCycleLR`` also cycle a second key, ``momentum`` or
``betas[0]`` (Adam-style optimizers), inversely to the lr. The driver drives one
key per scheduler; :class:`_Companion` writes the second one, in closed form, at
the same time as every lr write. Tensors are filled in place and ``betas`` stays
a tuple.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import operator
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch.optim import Optimizer

from ._driver import ScheduleDriven
from ._groups import as_float as _as_float
from ._groups import check_value as _check_value
from ._groups import packed_buffer as _pack
from ._groups import read as _read
# TODO(driver rewrite): _scalar_fn removed
from ._groups import write as _write
from ._schedules import Schedule
from ._schedules._core import check_real
from ._schedules._cyclic import CYCLIC_MODES, CosineRestarts, Cyclic, _TorchPhases
from ._schedules._ops import SCALAR, Ops

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]

_MOMENTUM_ERROR = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


# --------------------------------------------------------------------------- helpers


def _per_group(owner: str, name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per param group (torch's ``_format_param``); tensors are cloned."""
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
        if isinstance(v, torch.Tensor):
            out.append(v.detach().clone())
            continue
        label = name if not isinstance(value, list | tuple) else f"{name}[{i}]"
        out.append(_plain(check_real(owner, label, v)))
    return out


def _plain(value: Any) -> Any:
    """numpy scalars become Python numbers, so state stays loadable with weights_only."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def _momentum_key(optimizer: Optimizer) -> str:
    """``"betas[0]"`` for Adam-style optimizers, ``"momentum"`` otherwise (torch's rule)."""
    defaults = optimizer.defaults
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(_MOMENTUM_ERROR)
    return "betas[0]" if "betas" in defaults else "momentum"


class _Companion:
    """Writes a second key (``momentum`` / ``betas[0]``) in closed form, group by group.

    ``make(i)`` gives group ``i``'s absolute schedule. Values are checked like the
    driver's (finite, >= 0) and written with the driver's writer: tensors in
    place (the groups' tensors packed into one buffer where they can be, see
    :func:`lrplan._driver._pack`), ``betas`` kept a tuple. Equal schedules are
    evaluated once per step. :meth:`fast` is the driver's fast path for it.
    """

    def __init__(self, owner: str, key: str, make: Callable[[int], Schedule]) -> None:
        self.owner = owner
        self.key = key
        self._make = make
        self._schedules: list[Schedule] = []
        self._index_n = -1
        self._distinct: list[Schedule] = []
        self._fns: list[Callable[[float], float]] = []
        self._of: list[int] = []
        # The floats this companion stored last, one per group; empty when unknown.
        # A group still holding the very object stored can be written by ``fast``.
        self._written: list[float] = []
        # The one float object every group's "momentum" holds (one schedule for all),
        # or None: then ``fast`` needs one identity test per group and nothing else.
        self._same: float | None = None
        self._buf: torch.Tensor | None = None
        self._buf_views: list[Any] = []

    def schedule(self, i: int) -> Schedule:
        while len(self._schedules) <= i:
            self._schedules.append(self._make(len(self._schedules)))
        return self._schedules[i]

    def reset(self) -> None:
        self._schedules = []
        self._index_n = -1
        self.forget()

    def forget(self) -> None:
        """Forget what was written: the next :meth:`fast` declines, :meth:`write` writes."""
        self._written = []
        self._same = None

    def _index(self, n: int) -> None:
        """The distinct schedules of the first ``n`` groups, each evaluated once a step."""
        if self._index_n == n:
            return
        seen: dict[Any, int] = {}
        distinct: list[Schedule] = []
        of: list[int] = []
        for i in range(n):
            s = self.schedule(i)
            try:
                j = seen.setdefault(s, len(distinct))
            except TypeError:  # unhashable: compare by identity
                j = seen.setdefault(id(s), len(distinct))
            if j == len(distinct):
                distinct.append(s)
            of.append(j)
        self._distinct, self._of = distinct, of
        self._fns = [_scalar_fn(s) for s in distinct]
        self._index_n = n
        self._written = []
        self._same = None

    def write(self, optimizer: Optimizer, t: float) -> None:
        groups = optimizer.param_groups
        key = self.key
        self._index(len(groups))
        if isinstance(t, int) and t >= 0 and self.fast(groups, t):
            return
        self._same = None
        ms = [s(t) for s in self._distinct]
        values = [ms[j] for j in self._of]
        for i, v in enumerate(values):
            _check_value(self.owner, key, i, t, v)
        raw = [_read(g, key) for g in groups]
        if (buf := self._packed(raw)) is not None:
            buf.copy_(torch.tensor(values, dtype=buf.dtype))  # rounds as fill_ would
            self._written = []
            return
        stored = [_write(g, key, v) for g, v in zip(groups, values, strict=True)]
        # Only the floats put into the groups themselves can be recognised later.
        float_groups = all(type(v) is float for v in raw)
        self._written = stored if float_groups else []

    def _packed(self, raw: list[Any]) -> torch.Tensor | None:
        views = self._buf_views
        if len(views) != len(raw) or not all(map(operator.is_, raw, views)):
            self._buf = _pack(raw)
            self._buf_views = raw
        return self._buf

    def fast(self, groups: list[dict[str, Any]], t: int) -> bool:
        """Write step ``t``'s values, all or none: ``False`` (nothing written) unless
        every group still holds the float this companion stored last and every value
        is finite and ``>= 0``. The same numbers as :meth:`write`."""
        written = self._written
        n = len(written)
        if n != len(groups):
            return False
        w = self._same
        if w is not None:
            for group in groups:
                if group["momentum"] is not w:
                    break
            else:  # every group holds the one float stored last
                v = self._fns[0](t + 0.0)
                if not (0.0 <= v < math.inf):
                    return False
                if v != w or w == 0.0:  # else: unchanged, already in place
                    for group in groups:
                        group["momentum"] = v
                    self._written = [v] * n
                    self._same = v
                return True
        betas = self.key != "momentum"  # "betas[0]"
        if betas:
            for group, w in zip(groups, written, strict=True):
                if group["betas"][0] is not w:
                    return False
        else:
            for group, w in zip(groups, written, strict=True):
                if group["momentum"] is not w:
                    return False
        fns = self._fns
        ft = float(t)
        if len(fns) == 1:
            v = fns[0](ft)
            if not (v >= 0.0 and v < math.inf):
                return False
            values = [v] * n
        else:
            ms = [fn(ft) for fn in fns]
            if not (min(ms) >= 0.0 and max(ms) < math.inf):
                return False
            values = [ms[j] for j in self._of]
        if betas:
            for group, v in zip(groups, values, strict=True):
                b = group["betas"]
                group["betas"] = (v, *b[1:])
        else:
            for group, v in zip(groups, values, strict=True):
                group["momentum"] = v
        self._written = values
        self._same = values[0] if len(fns) == 1 and not betas else None
        return True

    def configs(self, n: int) -> list[dict[str, Any]]:
        return [self.schedule(i).to_config() for i in range(n)]


class _CyclesMomentum(ScheduleDriven):
    """Base of the two classes that cycle momentum with the lr."""

    _chainable: ClassVar[bool] = False
    _relative = False
    _momentum: _Companion | None = None
    # _write_values only adds the momentum write, which _fast_also does on the fast path.
    _fast_write_safe: ClassVar[bool] = True

    def _build_schedules(self) -> None:
        super()._build_schedules()
        if self._momentum is not None:
            self._momentum.reset()  # groups' momentum keys may have been reloaded

    def _write_values(self, values: Sequence[float]) -> None:
        super()._write_values(values)
        if self._momentum is not None:
            self._momentum.write(self.optimizer, self.last_epoch)

    def _fast_also(self, t: int) -> bool:
        momentum = self._momentum
        return momentum is None or momentum.fast(self.optimizer.param_groups, t)

    def _hot_second(self) -> tuple[str, Schedule] | None:
        momentum = self._momentum
        if momentum is None or momentum.key != "momentum":
            return None  # betas[0] is rebuilt as a tuple: _fast_also writes it
        momentum._index(len(self.optimizer.param_groups))
        if len(momentum._distinct) != 1:
            return None
        return "momentum", momentum._distinct[0]

    def _hot_second_taken(self) -> None:
        # The hot path writes the momentum now; what the companion wrote is no
        # longer a record of the groups, so its own shortcut must not trust it.
        if self._momentum is not None:
            self._momentum.forget()

    def _config(self) -> dict[str, Any]:
        config = super()._config()
        if self._momentum is not None:
            config["momentum_key"] = self._momentum.key
            config["momentum"] = self._momentum.configs(len(self.optimizer.param_groups))
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


def _function_label(fn: Any) -> str:
    name = getattr(fn, "__qualname__", type(fn).__qualname__)
    return f"{getattr(fn, '__module__', '?')}.{name}"


class CyclicLR(_CyclesMomentum):
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
    Differences that change no number: tensor lrs, momenta and betas are updated
    in place, numpy arguments are stored as Python numbers, the state is plain data,
    and ``step_size_up <= 0`` fails at construction instead of dividing by zero.
    :class:`lrplan.Cyclic` is the pure shape, with a ``cycles`` limit.

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
        base_lrs = _per_group("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                _write(group, "lr", _as_float(lr))
        self.max_lrs = _per_group("CyclicLR", "max_lr", optimizer, max_lr)
        up = check_real(owner, "step_size_up", step_size_up, lo=0.0, lo_open=True)
        down = (
            up
            if step_size_down is None
            else check_real(owner, "step_size_down", step_size_down, lo=0.0)
        )
        self.step_size_up: float = float(up)
        self.step_size_down: float = float(down)
        self.total_size = self.step_size_up + self.step_size_down
        self.step_ratio = self.step_size_up / self.total_size
        if mode not in CYCLIC_MODES and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{owner}: scale_fn must be callable, got {type(scale_fn).__name__}")
        if scale_fn is not None and scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"{owner}: scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}"
            )
        self.mode = mode
        self.gamma = _plain(check_real(owner, "gamma", gamma))
        self._scale_fn_custom = scale_fn
        if scale_fn is None:
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.scale_mode = scale_mode
        self.cycle_momentum = bool(cycle_momentum)
        self._momentum = None
        if self.cycle_momentum:
            key = _momentum_key(optimizer)
            self.use_beta1 = key == "betas[0]"
            self.base_momentums = _per_group("CyclicLR", "base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("CyclicLR", "max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_hi, m_lo, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups, strict=True
                ):
                    _write(group, key, _as_float(m_hi))
                    group["max_momentum"] = m_hi
                    group["base_momentum"] = m_lo
            self._momentum = _Companion(owner, key, self._momentum_schedule)
        super().__init__(optimizer, last_epoch, verbose)
        # torch's quirk: the initial step above used ``initial_lr``; from now on base_lr.
        self.base_lrs = base_lrs

    def _shape(self, i: int, start: float, peak: float) -> Schedule:
        if i >= len(self.max_lrs):
            raise ValueError(
                f"CyclicLR: param group {i} was added after construction; CyclicLR has "
                f"base_lr/max_lr for {len(self.max_lrs)} groups only (torch fails here too)"
            )
        up, down = self.step_size_up, self.step_size_down
        fn = self._scale_fn_custom
        if fn is None and (self.mode != "exp_range" or 0.0 < self.gamma <= 1.0):
            return Cyclic(
                start=start,
                peak=peak,
                step_size_up=up,
                step_size_down=down,
                mode=self.mode,
                gamma=self.gamma if self.mode == "exp_range" else 1.0,
            )
        if fn is None:  # exp_range with gamma outside (0, 1]: torch's unbounded amplitude
            gamma = self.gamma
            return _ScaledCyclic(
                start=start,
                peak=peak,
                step_size_up=up,
                step_size_down=down,
                scale_fn=_ExpRange(gamma),
                scale_mode="iterations",
                label=f"exp_range(gamma={gamma!r})",
            )
        return _ScaledCyclic(
            start=start,
            peak=peak,
            step_size_up=up,
            step_size_down=down,
            scale_fn=fn,
            scale_mode=self.scale_mode,
            label=_function_label(fn),
        )

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        peak = _as_float(self.max_lrs[group_index]) if group_index < len(self.max_lrs) else 0.0
        return self._shape(group_index, base, peak)

    def _momentum_schedule(self, i: int) -> Schedule:
        if i >= len(self.max_momentums):
            return self._shape(i, 0.0, 0.0)  # raises the added-group error
        hi, lo = _as_float(self.max_momentums[i]), _as_float(self.base_momentums[i])
        return self._shape(i, hi, lo)

    def scale_fn(self, x: Any) -> float:
        """The amplitude scale at ``x`` (cycle number or step, per ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return float(self._scale_fn_custom(x))
        if self.mode == "triangular2":
            return float(1 / (2.0 ** (x - 1)))
        if self.mode == "exp_range":
            return float(self.gamma**x)
        return 1.0

    def _extra_state(self) -> dict[str, Any]:
        fn = self._scale_fn_custom
        saved = None if fn is None or isinstance(fn, types.FunctionType) else dict(vars(fn))
        return {"scale_fn": saved}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        saved = state.get("scale_fn")
        if saved is not None and self._scale_fn_custom is not None:
            vars(self._scale_fn_custom).update(saved)


@dataclasses.dataclass(frozen=True)
class _ExpRange:
    """``gamma ** x`` for any ``gamma`` (torch accepts growth, ``gamma > 1``)."""

    gamma: float

    def __call__(self, x: Any) -> float:
        return float(self.gamma**x)


# --------------------------------------------------------------------------- OneCycleLR


class OneCycleLR(_CyclesMomentum):
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
    ``base_momentum`` into the param groups and each group's schedule reads them.
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
        self.pct_start = float(pct_start)
        self.anneal_strategy = anneal_strategy
        self.three_phase = bool(three_phase)
        self.div_factor = _plain(
            check_real("OneCycleLR", "div_factor", div_factor, lo=0, lo_open=True)
        )
        self.final_div_factor = _plain(
            check_real("OneCycleLR", "final_div_factor", final_div_factor, lo=0, lo_open=True)
        )
        total = self.total_steps
        first = float(self.pct_start * total) - 1
        if self.three_phase:
            self._ends: tuple[float, ...] = (
                first,
                float(2 * self.pct_start * total) - 2,
                total - 1,
            )
        else:
            self._ends = (first, float(total - 1))
        max_lrs = _per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, m in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = m / self.div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / self.final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        self._momentum = None
        if self.cycle_momentum:
            key = _momentum_key(optimizer)
            self.use_beta1 = key == "betas[0]"
            hi = _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum)
            lo = _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m_hi, m_lo, group in zip(hi, lo, optimizer.param_groups, strict=True):
                    _write(group, key, _as_float(m_hi))
                    group["max_momentum"] = m_hi
                    group["base_momentum"] = m_lo
            self._momentum = _Companion("OneCycleLR", key, self._momentum_schedule)
        super().__init__(optimizer, last_epoch, verbose)

    def _group_levels(self, i: int, names: Sequence[str]) -> tuple[float, ...]:
        group = self.optimizer.param_groups[i]
        try:
            return tuple(_as_float(group[n]) for n in names)
        except KeyError as e:
            raise KeyError(
                f"OneCycleLR: param group {i} has no {e.args[0]!r}; groups added after "
                "construction need 'initial_lr', 'max_lr' and 'min_lr' (and "
                "'max_momentum'/'base_momentum' with cycle_momentum), as in torch"
            ) from None

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        a, peak, z = self._group_levels(group_index, ("initial_lr", "max_lr", "min_lr"))
        levels = (a, peak, a, z) if self.three_phase else (a, peak, z)
        return _TorchPhases(
            ends=self._ends, levels=levels, anneal=self.anneal_strategy, total=self.total_steps
        )

    def _momentum_schedule(self, i: int) -> Schedule:
        hi, lo = self._group_levels(i, ("max_momentum", "base_momentum"))
        levels = (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi)
        return _TorchPhases(
            ends=self._ends, levels=levels, anneal=self.anneal_strategy, total=self.total_steps
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


# --------------------------------------------------------------------------- warm restarts


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _Shifted(Schedule):
    """``inner(t + offset)``: where torch's restart counters run ahead of or behind ``t``.

    Its config is ``canonical``'s (the schedule an uninterrupted run follows): the
    offset is run state, saved in the scheduler's extra state, not the schedule's
    identity.
    """

    inner: Schedule
    offset: float
    canonical: Schedule

    def _at(self, t: Any, xp: Ops) -> Any:
        return self.inner._at(xp.maximum(t + self.offset, 0.0), xp)

    def to_config(self) -> dict[str, Any]:
        return self.canonical.to_config()


class CosineAnnealingWarmRestarts(ScheduleDriven):
    r"""SGDR (Loshchilov & Hutter 2017): torch's ``CosineAnnealingWarmRestarts``.

    The lr follows :class:`lrplan.CosineRestarts` in lr units: a cosine from the
    base lr down to ``eta_min`` over ``T_0`` epochs, then restarts, each period
    ``T_mult`` times longer. torch computes it in closed form every step (not
    chainable). ``step(epoch)`` takes fractional epochs, without a warning
    (``last_epoch`` is then ``floor(epoch)``, and later plain steps keep the
    fraction), as in torch. ``T_cur`` and ``T_i`` read the current cycle.

    torch's quirks stay: ``T_mult`` is an int >= 1; resuming with
    ``last_epoch = N`` and ``T_mult > 1`` past the first restart continues, as
    torch does, from cycle position ``(N + 1) % T_0`` in a period of
    ``T_0 * T_mult`` (the uninterrupted run differs) until the next
    ``step(epoch)``. Differences: ``step(epoch)`` places restarts exactly where
    torch's floating-point logarithm can miss one (for example ``T_0=1, T_mult=3``
    at epoch 121); numpy integer arguments are accepted; tensors are updated in
    place; the state is plain data. :class:`lrplan.CosineRestarts` adds per-cycle
    decay, a cycle limit and k-decay.

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
        self.T_mult: int = int(T_mult)
        self.eta_min: float = _plain(
            check_real("CosineAnnealingWarmRestarts", "eta_min", eta_min, lo=0)
        )
        self._frac: float = 0.0
        # torch's resume quirk (see the class docs): (period, offset) or None.
        self._resume: tuple[float, float] | None = None
        if _is_int(last_epoch) and last_epoch >= 0 and self.T_mult > 1:
            n = int(last_epoch) + 1
            if n >= self.T_0:
                self._resume = (float(self.T_0 * self.T_mult), float(n % self.T_0 - n))
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        if self._resume is None:
            period, offset = float(self.T_0), self._frac
        else:
            period, offset = self._resume[0], self._resume[1] + self._frac
        canonical = CosineRestarts(
            period=float(self.T_0), period_mult=self.T_mult, start=base, end=self.eta_min
        )
        if self._resume is None and offset == 0:
            return canonical
        inner = CosineRestarts(period=period, period_mult=self.T_mult, start=base, end=self.eta_min)
        return _Shifted(inner=inner, offset=offset, canonical=canonical)

    #: torch's class warns about neither the call order nor ``epoch``; neither does this.
    _warns_call_order: ClassVar[bool] = False
    _warns_epoch: ClassVar[bool] = False
    #: Its ``_update_lr`` differs only on ``step(epoch)``: the fast paths apply.
    _fast_step_safe: ClassVar[bool] = True

    def _update_lr(self, epoch: int | float | None = None) -> None:
        """``step(epoch)`` goes to the (fractional) ``epoch`` in closed form, like torch."""
        if epoch is None:
            super()._update_lr()
            return
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real):
            raise TypeError(
                f"CosineAnnealingWarmRestarts.step: epoch must be a number, got {epoch!r}"
            )
        if epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        whole = math.floor(epoch)
        frac = float(epoch) - whole
        if frac != self._frac or self._resume is not None:
            self._frac, self._resume = frac, None
            self.base_lrs = self.base_lrs  # rebuild the schedules
        super()._update_lr(whole)

    def _cycle(self) -> tuple[float, float]:
        s = self._schedules[0] if self._schedules else None
        t = float(self.last_epoch)
        if isinstance(s, _Shifted):
            t, s = max(t + s.offset, 0.0), s.inner
        if not isinstance(s, CosineRestarts):
            return math.nan, math.nan
        _, tau, length = s._cycle(t, SCALAR)
        return float(tau), float(length)

    @property
    def T_cur(self) -> float:
        """Epochs since the last restart (torch's attribute)."""
        return self._cycle()[0]

    @property
    def T_i(self) -> float:
        """The length of the current cycle (torch's attribute)."""
        return self._cycle()[1]

    def _extra_state(self) -> dict[str, Any]:
        return {"frac": self._frac, "resume": None if self._resume is None else list(self._resume)}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        frac = float(state.get("frac", 0.0))
        resume = state.get("resume")
        self._frac = frac
        self._resume = None if resume is None else (float(resume[0]), float(resume[1]))
        self.base_lrs = self.base_lrs
