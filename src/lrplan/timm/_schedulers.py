"""timm's schedulers on lrplan's driver: timm's calls and values, torch's protocol.

Every class here is a :class:`lrplan.LRScheduler` (so a torch ``LRScheduler``) whose
per-group schedule is one of the curves of :mod:`lrplan.timm._shapes`; this module
adds what timm's ``Scheduler`` base does around the curve: ``step(epoch)`` and
``step_update(num_updates)``, the value written at construction, the seeded noise,
each group's ``lr_scale``, and timm's state keys.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import torch
from torch.optim import Optimizer

from .._driver import ScheduleDriven
from .._groups import as_float, read
from .._schedules import Schedule
from .._schedules._validate import check_int, check_real
from ._shapes import (
    TimmCosine,
    TimmMultiStep,
    TimmPoly,
    TimmStep,
    TimmTanh,
    TimmWSD,
    _callable_name,
    _TimmShape,
)

__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
    "WSDLRScheduler",
]

#: The noise kinds of timm's ``Scheduler`` (anything but ``"normal"`` is uniform there).
NOISE_TYPES = ("normal", "uniform")


# --------------------------------------------------------------------------- noise


def check_noise_range(owner: str, value: Any) -> tuple[float, float | None] | None:
    """timm's ``noise_range_t``: ``None``, a start (noise from there on) or ``[start, end)``."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"{owner}: noise_range_t as a list needs [start, end], got {value!r}")
        lo = check_real(owner, "noise_range_t[0]", value[0], lo=0.0)
        hi = check_real(owner, "noise_range_t[1]", value[1], lo=0.0)
        return (float(lo), float(hi))
    return (float(check_real(owner, "noise_range_t", value, lo=0.0)), None)


def timm_noise(
    owner: str,
    t: float,
    noise_range: tuple[float, float | None] | None,
    *,
    noise_type: str,
    pct: float,
    std: float,
    seed: int,
) -> float | None:
    """timm's multiplicative lr noise at ``t``, or ``None`` outside ``noise_range_t``.

    A ``torch.Generator`` seeded with ``seed + t`` draws it: ``normal``,
    ``std * N(0, 1)`` redrawn until its magnitude is under ``pct``; ``uniform``,
    ``pct * U(-1, 1)``. The noise depends on ``t`` alone, so a jump or a resume
    reproduces it. Source: timm ``Scheduler._calculate_noise``.
    """
    if noise_range is None or t < 0:
        return None
    lo, hi = noise_range
    if not (t >= lo if hi is None else lo <= t < hi):
        return None
    if not float(t).is_integer():
        raise ValueError(
            f"{owner}: noise is seeded per whole step (noise_seed + t); t={t} is fractional"
        )
    g = torch.Generator()
    g.manual_seed(seed + int(t))
    if noise_type != "normal":
        return 2 * (torch.rand(1, generator=g).item() - 0.5) * pct
    while True:
        n = torch.randn(1, generator=g).item() * std
        if abs(n) < pct:
            return n


def scale_by_group(values: Sequence[float], groups: Sequence[Mapping[str, Any]]) -> list[float]:
    """timm's per-group ``lr_scale`` (layer-wise lr decay): ``value * group["lr_scale"]``,
    read at every write, for the groups that have one."""
    return [
        v * g["lr_scale"] if "lr_scale" in g else v for v, g in zip(values, groups, strict=True)
    ]


def check_time(owner: str, t: Any) -> int | float:
    """The time passed to ``step(epoch)``/``step_update(n)``: a finite number >= 0
    (timm takes a negative one and writes the warmup line extended below 0: a
    negative lr)."""
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError(f"{owner}: the time must be a finite number >= 0, got {t!r}")
    value = int(t) if isinstance(t, numbers.Integral) else float(t)
    if not 0 <= value < math.inf:
        raise ValueError(f"{owner}: the time must be a finite number >= 0, got {t!r}")
    return value


def _plain(value: Any) -> Any:
    """A timm argument as plain data for a state dict (tuples as lists, callables by name)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if callable(value):
        return _callable_name(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool | int | float):
        return float(value)
    return value


def _check_flags(owner: str, **flags: Any) -> None:
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise TypeError(f"{owner}: {name} must be a bool, got {flag!r}")


def check_initialized(owner: str, optimizer: Optimizer, initialize: bool) -> None:
    """``initialize=False`` (timm): every group must already hold ``initial_lr``."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    if initialize:
        return
    for i, group in enumerate(optimizer.param_groups):
        if "initial_lr" not in group:
            raise KeyError(
                f"initial_lr missing from param_groups[{i}] with initialize=False ({owner}); "
                "create the scheduler with initialize=True or load the optimizer state"
            )


# --------------------------------------------------------------------------- the base


class TimmScheduler(ScheduleDriven):
    """timm's ``Scheduler`` protocol on lrplan's driver (the base of this module's classes).

    * ``step(epoch, metric=None)``: when ``t_in_epochs``, the time becomes ``epoch``
      and its values are written (no deprecation warning); otherwise nothing but the
      metric changes, as in timm. ``step_update(num_updates, metric=None)``: the
      same for updates, when not ``t_in_epochs``. Plain ``step()`` (what torch loops
      and Lightning call) advances the time by one in whichever unit it counts.
    * The construction writes ``warmup_lr_init`` (with a warmup) or each base lr,
      as timm's does: not the curve at ``t = 0`` and without noise.
    * Noise (``noise_range_t``) and ``lr_scale`` as in timm: see :func:`timm_noise`
      and :func:`scale_by_group`.
    * :meth:`state_dict` holds lrplan's state and timm's keys (its arguments,
      ``base_values``, ``metric``...), so timm's class of the same name loads it; a
      state saved by timm loads here when its arguments equal this scheduler's.
    """

    _chainable: ClassVar[bool] = False
    _relative = False
    _shape: ClassVar[type[_TimmShape]]
    #: timm's noise kind; only ``PlateauLRScheduler`` takes it as an argument.
    noise_type: str = "normal"

    def __init__(
        self,
        optimizer: Optimizer,
        shape_args: dict[str, Any],
        *,
        t_in_epochs: bool,
        noise_range_t: float | Sequence[float] | None,
        noise_pct: float,
        noise_std: float,
        noise_seed: int,
        initialize: bool,
    ) -> None:
        owner = type(self).__name__
        self._shape_args = dict(shape_args)
        shape = self._shape(base=0.0, **shape_args)  # validate before touching anything
        _check_flags(owner, t_in_epochs=t_in_epochs, initialize=initialize)
        check_initialized(owner, optimizer, initialize)
        for name, value in shape_args.items():
            setattr(self, name, value)
        self._warmup_t: float = shape.warmup_t
        self.param_group_field = "lr"
        self.t_in_epochs = t_in_epochs
        self.noise_range_t = noise_range_t
        self._noise_range = check_noise_range(owner, noise_range_t)
        self.noise_pct = float(check_real(owner, "noise_pct", noise_pct, lo=0.0, lo_open=True))
        self.noise_std = float(check_real(owner, "noise_std", noise_std, lo=0.0, lo_open=True))
        self.noise_seed = check_int(owner, "noise_seed", noise_seed)
        self.metric: Any = None
        self._n_own = len(optimizer.param_groups)
        super().__init__(optimizer, -1, False)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return self._shape(base=base, **self._shape_args)

    # -- timm's attributes -----------------------------------------------------------------

    @property
    def base_values(self) -> list[float]:
        """Each group's base lr (timm's name for ``base_lrs``)."""
        return list(self._bases)

    @property
    def warmup_steps(self) -> list[float]:
        """timm's per-group warmup slope (1 for every group without a warmup)."""
        if not self._warmup_t:
            return [1 for _ in self._bases]
        out = []
        for s in self._schedules:
            assert isinstance(s, _TimmShape)
            out.append((s._warmup_target() - s.warmup_lr_init) / s.warmup_t)
        return out

    # -- values ----------------------------------------------------------------------------

    def _noise(self, t: float) -> float | None:
        return timm_noise(
            type(self).__name__,
            t,
            self._noise_range,
            noise_type=self.noise_type,
            pct=self.noise_pct,
            std=self.noise_std,
            seed=self.noise_seed,
        )

    def _closed_all(self, t: float) -> list[float]:
        # timm schedules the groups it was built with; a group added later
        # (``optimizer.add_param_group``) keeps whatever lr it holds.
        n_own = getattr(self, "_n_own", len(self._bases))
        groups = self.optimizer.param_groups
        if self._is_initial:  # timm's construction: warmup_lr_init or the base, no noise
            w0 = self._shape_args.get("warmup_lr_init", 0.0)
            values = [w0 if self._warmup_t else b for b in self._bases[:n_own]]
        else:
            values = super()._closed_all(t)[:n_own]
            n = self._noise(t)
            if n is not None:
                values = [v + v * n for v in values]
        added = [as_float(read(g, "lr")) for g in groups[n_own : len(self._bases)]]
        return scale_by_group(values, groups[:n_own]) + added

    def _closed(self, i: int, t: float) -> float:
        return self._closed_all(t)[i]

    # -- stepping: timm's calls and torch's ---------------------------------------------------

    def step(self, epoch: int | float | None = None, metric: Any = None) -> None:  # type: ignore[override]
        """``step(epoch)``: timm's per-epoch call; plain ``step()``: advance by one.

        With ``epoch`` given, the time becomes ``epoch`` when ``t_in_epochs``
        (nothing happens otherwise, as in timm); no deprecation warning.
        """
        self.metric = metric
        if epoch is None:
            super().step()
            return
        self._step_count += 1  # counted, without torch's call-order check (timm has none)
        if self.t_in_epochs:
            self.set_step(check_time(f"{type(self).__name__}.step", epoch))

    def _schedules_gap(self) -> str | None:
        if self.noise_range_t is not None:
            return "its random lr noise, noise_range_t, is not in its schedules"
        if any("lr_scale" in g for g in self.optimizer.param_groups):
            return "its param groups' lr_scale is not in its schedules"
        return None

    def step_update(self, num_updates: int, metric: Any = None) -> None:
        """timm's per-update call: the time becomes ``num_updates`` unless ``t_in_epochs``."""
        self.metric = metric
        self._step_count += 1
        if not self.t_in_epochs:
            self.set_step(check_time(f"{type(self).__name__}.step_update", num_updates))

    # -- state ------------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        cfg = super()._config()
        cfg.update(
            t_in_epochs=self.t_in_epochs,
            noise_range_t=None if self._noise_range is None else list(self._noise_range),
            noise_pct=self.noise_pct,
            noise_std=self.noise_std,
            noise_seed=self.noise_seed,
        )
        return cfg

    def _timm_state(self) -> dict[str, Any]:
        """timm's state keys, with timm's meanings (its ``__dict__`` but the optimizer)."""
        metric = self.metric
        if isinstance(metric, numbers.Real) and not isinstance(metric, bool):
            metric = float(metric)
        return {
            "param_group_field": "lr",
            "_initial_param_group_field": "initial_lr",
            "base_values": self.base_values,
            "metric": metric,
            "t_in_epochs": self.t_in_epochs,
            "noise_range_t": _plain(self.noise_range_t),
            "noise_pct": self.noise_pct,
            "noise_type": self.noise_type,
            "noise_std": self.noise_std,
            "noise_seed": self.noise_seed,
            **{
                name: _plain(getattr(self, name))
                for name in self._shape_args
                if not callable(getattr(self, name))  # timm keeps its own function
            },
            "warmup_steps": self.warmup_steps,
        }

    def state_dict(self) -> dict[str, Any]:
        """lrplan's plain-data state (see :class:`lrplan.ScheduledLR`) plus timm's keys.

        timm's ``load_state_dict`` (an update of its attributes) reads the keys it
        knows, so timm's class of the same name resumes from this state.
        """
        return {**self._timm_state(), **super().state_dict()}

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: Any = None
    ) -> None:
        """Restore a state saved by this class or by timm's class of the same name.

        A timm state holds no time (timm's loop passes it to every call), so the
        next ``step(epoch)``/``step_update(n)`` writes the values; its arguments must
        equal this scheduler's (a ``ValueError`` names each difference), and its
        ``base_values`` and ``metric`` are restored.
        """
        timm_state = isinstance(state_dict, Mapping) and "lrplan" not in state_dict
        if timm_state and "base_values" in state_dict:
            self._load_timm_state(state_dict)
            return
        super().load_state_dict(dict(state_dict), on_config_change=on_config_change)
        self.metric = state_dict.get("metric", self.metric)

    def _load_timm_state(self, st: Mapping[str, Any]) -> None:
        owner = type(self).__name__
        names = ["t_in_epochs", "noise_pct", "noise_std", "noise_seed", *self._shape_args]
        mine = {n: _plain(getattr(self, n)) for n in names}
        diffs = [
            f"{n}: {st[n]!r} -> {mine[n]!r}" for n in names if n in st and _plain(st[n]) != mine[n]
        ]
        if (
            "noise_range_t" in st
            and check_noise_range(owner, st["noise_range_t"]) != self._noise_range
        ):
            diffs.append(f"noise_range_t: {st['noise_range_t']!r} -> {self.noise_range_t!r}")
        if diffs:
            raise ValueError(
                f"{owner}.load_state_dict: the timm state's arguments differ from this "
                f"scheduler's (saved -> this scheduler: {'; '.join(diffs)})"
            )
        bases = list(st["base_values"])
        if len(bases) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{owner}.load_state_dict: base_values must hold one value for each of the "
                f"optimizer's {len(self.optimizer.param_groups)} param groups, got {len(bases)}"
            )
        self.base_lrs = bases
        self.metric = st.get("metric")


class _CyclesScheduler(TimmScheduler):
    """timm's cycle-based schedulers (cosine, tanh, poly): :meth:`get_cycle_length`."""

    t_initial: Any
    cycle_mul: Any
    cycle_limit: Any
    warmup_t: Any
    warmup_prefix: Any

    def get_cycle_length(self, cycles: int = 0) -> int | float:
        """The length of ``cycles`` cycles (default: ``cycle_limit``, at least 1), plus
        the warmup when it is a prefix: :math:`T_0 c` for ``cycle_mul == 1``, else
        :math:`\\lfloor T_0 (m^c - 1)/(m - 1) \\rfloor`, as timm computes it for
        ``create_scheduler_v2``'s epoch count."""
        cycles = max(1, cycles or self.cycle_limit)
        t: int | float
        if self.cycle_mul == 1.0:
            t = self.t_initial * cycles
        else:
            t = math.floor(-self.t_initial * (self.cycle_mul**cycles - 1) / (1 - self.cycle_mul))
        total: int | float = t + self.warmup_t if self.warmup_prefix else t
        return total


def _no_effect_warning(t_initial: Any, cycle_mul: Any, cycle_decay: Any) -> None:
    if t_initial == 1 and cycle_mul == 1 and cycle_decay == 1:
        warnings.warn(
            "Cosine annealing scheduler will have no effect on the learning rate since "
            "t_initial = t_mul = eta_mul = 1.",
            UserWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------- the classes


class CosineLRScheduler(_CyclesScheduler):
    """timm's ``CosineLRScheduler``: same arguments, same values, and a torch ``LRScheduler``.

    Values (per param group with base lr ``b``; see :class:`lrplan.timm.TimmCosine`):
    a linear warmup from ``warmup_lr_init`` over ``warmup_t``, then cosine cycles of
    length ``t_initial * cycle_mul**i`` from ``b * cycle_decay**i`` down to
    ``lr_min``, ``cycle_limit`` of them, then ``lr_min``; ``k_decay`` bends each
    cycle (``t**k / T**k``).

    **Noise.** When ``noise_range_t`` is set (a start, or ``[start, end)``) and ``t``
    lies inside it, every lr is multiplied by ``1 + n`` where ``n`` is drawn from
    ``noise_std * N(0, 1)`` with a torch generator seeded with ``noise_seed + t``,
    redrawn until ``|n| < noise_pct``. The noise is a function of ``t`` alone, so
    ``set_step``, ``step(epoch)`` and a resume reproduce it exactly.

    **Stepping** (see :class:`TimmScheduler`): ``step(epoch)`` when ``t_in_epochs``,
    ``step_update(num_updates)`` otherwise, plain ``step()`` advances by one.
    ``metric`` is stored and otherwise ignored, as in timm.

    Differences from timm (docs/hf-timm.md): it is a torch ``LRScheduler`` with
    ``get_last_lr()``, ``set_step()`` and plain-data, fingerprinted state; tensor
    lrs are filled in place; ``t_initial <= 0`` and a negative ``lr_min`` (which
    timm's assertions refuse) or ``warmup_lr_init`` raise ``ValueError`` naming the
    argument, as does a negative or non-finite time; with ``cycle_mul < 1`` the
    values are timm's until ``t_initial / (1 - cycle_mul)``, where timm's formula
    fails (a math domain error) and lrplan raises ``ValueError``; the "no effect"
    message is a ``UserWarning`` (timm logs it). A group added with
    ``optimizer.add_param_group`` keeps its lr, as in timm.

    Example:
        >>> import torch
        >>> from lrplan.timm import CosineLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = CosineLRScheduler(opt, t_initial=10, warmup_t=2, warmup_lr_init=0.01)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for epoch in range(1, 5):
        ...     opt.step(); sched.step(epoch); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [0.01, 0.055, 0.090451, 0.079389, 0.065451]
    """

    _shape = TimmCosine

    def __init__(
        self,
        optimizer: Optimizer,
        t_initial: int,
        lr_min: float = 0.0,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int = 1,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        warmup_prefix: bool = False,
        t_in_epochs: bool = True,
        noise_range_t: float | Sequence[float] | None = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int = 42,
        k_decay: float = 1.0,
        initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer,
            {
                "t_initial": t_initial,
                "lr_min": lr_min,
                "cycle_mul": cycle_mul,
                "cycle_decay": cycle_decay,
                "cycle_limit": cycle_limit,
                "warmup_t": warmup_t,
                "warmup_lr_init": warmup_lr_init,
                "warmup_prefix": warmup_prefix,
                "k_decay": k_decay,
            },
            t_in_epochs=t_in_epochs,
            noise_range_t=noise_range_t,
            noise_pct=noise_pct,
            noise_std=noise_std,
            noise_seed=noise_seed,
            initialize=initialize,
        )
        _no_effect_warning(t_initial, cycle_mul, cycle_decay)


class TanhLRScheduler(_CyclesScheduler):
    """timm's ``TanhLRScheduler`` (Hsueh et al., 2019): tanh decay with restarts.

    Per group (see :class:`lrplan.timm.TimmTanh`): within cycle ``i`` of length
    ``T_i``, ``lr = lr_min + 0.5 (b cycle_decay**i - lr_min)(1 - tanh(lb (1 - r) +
    ub r))`` with ``r = t_c / T_i``; cycles, warmup, noise and stepping as in
    :class:`CosineLRScheduler`. Without ``warmup_prefix`` the warmup ends on the
    curve's value at ``warmup_t`` (timm's rule), with it at ``b``.

    Example:
        >>> import torch
        >>> from lrplan.timm import TanhLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = TanhLRScheduler(opt, t_initial=10)
        >>> opt.step(); sched.step(7); round(opt.param_groups[0]["lr"], 6)
        0.05
    """

    _shape = TimmTanh

    def __init__(
        self,
        optimizer: Optimizer,
        t_initial: int,
        lb: float = -7.0,
        ub: float = 3.0,
        lr_min: float = 0.0,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int = 1,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        warmup_prefix: bool = False,
        t_in_epochs: bool = True,
        noise_range_t: float | Sequence[float] | None = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int = 42,
        initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer,
            {
                "lb": lb,
                "ub": ub,
                "t_initial": t_initial,
                "lr_min": lr_min,
                "cycle_mul": cycle_mul,
                "cycle_decay": cycle_decay,
                "cycle_limit": cycle_limit,
                "warmup_t": warmup_t,
                "warmup_lr_init": warmup_lr_init,
                "warmup_prefix": warmup_prefix,
            },
            t_in_epochs=t_in_epochs,
            noise_range_t=noise_range_t,
            noise_pct=noise_pct,
            noise_std=noise_std,
            noise_seed=noise_seed,
            initialize=initialize,
        )


class PolyLRScheduler(_CyclesScheduler):
    """timm's ``PolyLRScheduler``: polynomial decay with restarts and k-decay.

    Per group (see :class:`lrplan.timm.TimmPoly`): within cycle ``i``,
    ``lr = lr_min + (b cycle_decay**i - lr_min)(1 - t_c**k / T_i**k)**power``;
    cycles, warmup, noise and stepping as in :class:`CosineLRScheduler` (timm's
    "no effect" warning included).

    Example:
        >>> import torch
        >>> from lrplan.timm import PolyLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = PolyLRScheduler(opt, t_initial=10, power=2.0)
        >>> opt.step(); sched.step(5); round(opt.param_groups[0]["lr"], 6)
        0.025
    """

    _shape = TimmPoly

    def __init__(
        self,
        optimizer: Optimizer,
        t_initial: int,
        power: float = 0.5,
        lr_min: float = 0.0,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int = 1,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        warmup_prefix: bool = False,
        t_in_epochs: bool = True,
        noise_range_t: float | Sequence[float] | None = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int = 42,
        k_decay: float = 1.0,
        initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer,
            {
                "t_initial": t_initial,
                "power": power,
                "lr_min": lr_min,
                "cycle_mul": cycle_mul,
                "cycle_decay": cycle_decay,
                "cycle_limit": cycle_limit,
                "warmup_t": warmup_t,
                "warmup_lr_init": warmup_lr_init,
                "warmup_prefix": warmup_prefix,
                "k_decay": k_decay,
            },
            t_in_epochs=t_in_epochs,
            noise_range_t=noise_range_t,
            noise_pct=noise_pct,
            noise_std=noise_std,
            noise_seed=noise_seed,
            initialize=initialize,
        )
        _no_effect_warning(t_initial, cycle_mul, cycle_decay)


class StepLRScheduler(TimmScheduler):
    """timm's ``StepLRScheduler``: ``b * decay_rate ** (t // decay_t)`` after the warmup.

    ``warmup_prefix`` defaults to ``True`` here (as in timm): the decay clock starts
    when the warmup ends. See :class:`lrplan.timm.TimmStep`; noise and stepping as in
    :class:`CosineLRScheduler`.

    Example:
        >>> import torch
        >>> from lrplan.timm import StepLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = StepLRScheduler(opt, decay_t=3, decay_rate=0.5)
        >>> opt.step(); sched.step(6); opt.param_groups[0]["lr"]
        0.025
    """

    _shape = TimmStep

    def __init__(
        self,
        optimizer: Optimizer,
        decay_t: float,
        decay_rate: float = 1.0,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        warmup_prefix: bool = True,
        t_in_epochs: bool = True,
        noise_range_t: float | Sequence[float] | None = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int = 42,
        initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer,
            {
                "decay_t": decay_t,
                "decay_rate": decay_rate,
                "warmup_t": warmup_t,
                "warmup_lr_init": warmup_lr_init,
                "warmup_prefix": warmup_prefix,
            },
            t_in_epochs=t_in_epochs,
            noise_range_t=noise_range_t,
            noise_pct=noise_pct,
            noise_std=noise_std,
            noise_seed=noise_seed,
            initialize=initialize,
        )


class MultiStepLRScheduler(TimmScheduler):
    """timm's ``MultiStepLRScheduler``: ``b * decay_rate ** n`` after the warmup, where
    ``n`` counts the milestones ``m <= t + 1``.

    timm's convention, kept here: a milestone ``m`` takes effect at ``t = m - 1``
    (torch's ``MultiStepLR`` at ``t = m``). ``warmup_prefix`` defaults to ``True``.
    ``decay_t`` must be sorted (timm assumes it; lrplan checks). See
    :class:`lrplan.timm.TimmMultiStep`.

    Example:
        >>> import torch
        >>> from lrplan.timm import MultiStepLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = MultiStepLRScheduler(opt, decay_t=[3, 5], decay_rate=0.5)
        >>> opt.step(); sched.step(2); opt.param_groups[0]["lr"]
        0.05
    """

    _shape = TimmMultiStep

    def __init__(
        self,
        optimizer: Optimizer,
        decay_t: list[int],
        decay_rate: float = 1.0,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        warmup_prefix: bool = True,
        t_in_epochs: bool = True,
        noise_range_t: float | Sequence[float] | None = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int = 42,
        initialize: bool = True,
    ) -> None:
        super().__init__(
            optimizer,
            {
                "decay_t": decay_t,
                "decay_rate": decay_rate,
                "warmup_t": warmup_t,
                "warmup_lr_init": warmup_lr_init,
                "warmup_prefix": warmup_prefix,
            },
            t_in_epochs=t_in_epochs,
            noise_range_t=noise_range_t,
            noise_pct=noise_pct,
            noise_std=noise_std,
            noise_seed=noise_seed,
            initialize=initialize,
        )


class WSDLRScheduler(TimmScheduler):
    """timm's ``WSDLRScheduler``: warmup, a stable phase, and a decay to ``lr_min`` over
    the last ``decay_t`` of ``t_initial``; ``lr_min`` from ``warmup_t + t_initial`` on.

    Stable functions ``constant``, ``rsqrt``, ``power`` (``stable_timescale``
    defaults to ``warmup_t``); decay functions ``linear``, ``1-sqrt`` (default),
    ``cosine``, ``power``, ``exp`` or a callable ``fn(frac) -> factor``. The warmup
    is always a prefix. See :class:`lrplan.timm.TimmWSD` for the formula. With a
    callable ``decay_fn`` the state records the callable's name only (under
    ``"lrplan"``), so a resume needs a scheduler built with the same callable; timm's
    keys leave ``decay_fn`` out, so timm's scheduler keeps its own function.

    Example:
        >>> import torch
        >>> from lrplan.timm import WSDLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = WSDLRScheduler(opt, t_initial=10, decay_t=4, decay_fn="linear")
        >>> opt.step(); sched.step(8); opt.param_groups[0]["lr"]
        0.05
    """

    _shape = TimmWSD

    def __init__(
        self,
        optimizer: Optimizer,
        t_initial: int,
        decay_t: int,
        lr_min: float = 0.0,
        stable_fn: str = "constant",
        stable_timescale: float | None = None,
        stable_power: float = 0.5,
        decay_fn: str | Callable[[float], float] = "1-sqrt",
        decay_power: float = 0.5,
        decay_ratio: float = 0.1,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        t_in_epochs: bool = True,
        noise_range_t: float | Sequence[float] | None = None,
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int = 42,
        initialize: bool = True,
    ) -> None:
        if stable_fn != "constant" and stable_timescale is None:
            stable_timescale = warmup_t  # timm's default, stored as timm stores it
        super().__init__(
            optimizer,
            {
                "t_initial": t_initial,
                "decay_t": decay_t,
                "lr_min": lr_min,
                "stable_fn": stable_fn,
                "stable_timescale": stable_timescale,
                "stable_power": stable_power,
                "decay_fn": decay_fn,
                "decay_power": decay_power,
                "decay_ratio": decay_ratio,
                "warmup_t": warmup_t,
                "warmup_lr_init": warmup_lr_init,
            },
            t_in_epochs=t_in_epochs,
            noise_range_t=noise_range_t,
            noise_pct=noise_pct,
            noise_std=noise_std,
            noise_seed=noise_seed,
            initialize=initialize,
        )

    def get_cycle_length(self, cycles: int = 0) -> int | float:
        """``warmup_t + t_initial``: where ``lr_min`` is reached (``cycles`` is ignored)."""
        total: int | float = self._shape_args["warmup_t"] + self._shape_args["t_initial"]
        return total
