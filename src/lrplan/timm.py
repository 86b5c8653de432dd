"""timm's scheduler vocabulary: :class:`CosineLRScheduler` with timm's arguments and values.

``from lrplan.timm import CosineLRScheduler`` is a drop-in for
``timm.scheduler.CosineLRScheduler`` that is also a real torch ``LRScheduler``
(so Lightning and friends accept it), resumes exactly from plain-data state, and
reproduces timm's noise, seeded per step, after a resume too.

Example:
    >>> import torch
    >>> from lrplan.timm import CosineLRScheduler
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched = CosineLRScheduler(opt, t_initial=10, warmup_t=2, warmup_lr_init=0.01)
    >>> opt.param_groups[0]["lr"]
    0.01
    >>> opt.step(); sched.step(10)
    >>> opt.param_groups[0]["lr"]
    0.0
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch.optim import Optimizer

from ._driver import ScheduleDriven
from ._schedules import Schedule
from ._schedules._core import check_int, check_real
from ._schedules._ops import Ops

__all__ = ["CosineLRScheduler", "TimmCosine"]


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmCosine(Schedule):
    r"""timm's cosine-with-restarts lr curve for one param group, in lr units.

    With :math:`b` = ``base``, :math:`T_0` = ``t_initial``, :math:`m` =
    ``cycle_mul``, :math:`\gamma` = ``cycle_decay``, :math:`k` = ``k_decay``:

    * warmup, :math:`t < t_w`: :math:`\text{lr} = w_0 + t\,(b - w_0)/t_w`;
    * otherwise :math:`t' = t - t_w` if ``warmup_prefix`` else :math:`t`; cycle
      :math:`i = \lfloor \log(1 + t'(m-1)/T_0) / \log m \rfloor`, length
      :math:`T_i = m^i T_0`, position :math:`t_c = t' - T_0 (m^i - 1)/(m - 1)`
      (for :math:`m = 1`: :math:`i = \lfloor t'/T_0 \rfloor`, :math:`T_i = T_0`);
    * :math:`\text{lr} = \eta_{min} + \tfrac12 (b\gamma^i - \eta_{min})
      (1 + \cos(\pi\, t_c^k / T_i^k))` while :math:`i <` ``cycle_limit``, then
      :math:`\eta_{min}`.

    The arithmetic follows timm's order of operations, so the values are timm's
    bit for bit (cycle boundaries included).

    References: Loshchilov & Hutter, *SGDR*, ICLR 2017; Zhang & Li, *k-decay*,
    2021; timm ``CosineLRScheduler``.

    Example:
        >>> from lrplan.timm import TimmCosine
        >>> s = TimmCosine(base=1.0, t_initial=10, warmup_t=2, warmup_lr_init=0.1)
        >>> s(0), s(1), round(s(5), 6), s(10)
        (0.1, 0.55, 0.5, 0.0)
    """

    type_name: ClassVar[str] = "timm_cosine"
    base: float
    t_initial: float
    lr_min: float = 0.0
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int = 1
    warmup_t: float = 0.0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = False
    k_decay: float = 1.0

    def __post_init__(self) -> None:
        o = "CosineLRScheduler"
        set_ = object.__setattr__
        set_(self, "base", check_real(o, "base lr", self.base, lo=0.0))
        set_(self, "t_initial", check_real(o, "t_initial", self.t_initial, lo=0, lo_open=True))
        set_(self, "lr_min", check_real(o, "lr_min", self.lr_min, lo=0.0))
        set_(self, "cycle_mul", check_real(o, "cycle_mul", self.cycle_mul, lo=1.0))
        set_(self, "cycle_decay", check_real(o, "cycle_decay", self.cycle_decay, lo=0.0))
        set_(self, "cycle_limit", check_int(o, "cycle_limit", self.cycle_limit, lo=0))
        set_(self, "warmup_t", check_real(o, "warmup_t", self.warmup_t, lo=0.0))
        set_(self, "warmup_lr_init", check_real(o, "warmup_lr_init", self.warmup_lr_init, lo=0.0))
        set_(self, "k_decay", check_real(o, "k_decay", self.k_decay, lo=0.0, lo_open=True))
        if not isinstance(self.warmup_prefix, bool):
            raise TypeError(f"{o}: warmup_prefix must be a bool, got {self.warmup_prefix!r}")

    def _at(self, t: Any, xp: Ops) -> Any:
        t0, cm = self.t_initial, self.cycle_mul
        tp = xp.maximum(t - self.warmup_t, 0.0 * t) if self.warmup_prefix else t
        if cm != 1:
            i = xp.floor(xp.log(1 - tp / t0 * (1 - cm)) / xp.log(cm))
            t_i = xp.power(cm, i) * t0
            t_c = tp - (1 - xp.power(cm, i)) / (1 - cm) * t0
        else:
            # Python's float ``tp // t0`` (timm's), which can differ from floor(tp / t0).
            i = xp.floor((tp - xp.mod(tp, t0)) / t0 + 0.5)
            t_i = t0
            t_c = tp - (t0 * i)
        lr_max = self.base * xp.power(self.cycle_decay, i)
        k = self.k_decay
        cos = self.lr_min + 0.5 * (lr_max - self.lr_min) * (
            1 + xp.cos(xp.pi * xp.power(t_c, k) / xp.power(t_i, k))
        )
        value = xp.where(i < self.cycle_limit, cos, 0.0 * t + self.lr_min)
        if self.warmup_t:
            step = (self.base - self.warmup_lr_init) / self.warmup_t
            value = xp.where(t < self.warmup_t, self.warmup_lr_init + t * step, value)
        return value

    def boundaries(self) -> list[float]:
        out = [float(self.warmup_t)] if self.warmup_t else []
        start = float(self.warmup_t) if self.warmup_prefix else 0.0
        length = float(self.t_initial)
        for _ in range(min(self.cycle_limit, 64)):
            start += length
            length *= self.cycle_mul
            out.append(start)
        return sorted(set(out))


def _noise_range(value: Any) -> tuple[float, float | None] | None:
    """timm's ``noise_range_t``: ``None``, a start (noise from there on) or ``[start, end)``."""
    if value is None:
        return None
    owner = "CosineLRScheduler"
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"{owner}: noise_range_t as a list needs [start, end], got {value!r}")
        lo = check_real(owner, "noise_range_t[0]", value[0], lo=0.0)
        hi = check_real(owner, "noise_range_t[1]", value[1], lo=0.0)
        return (float(lo), float(hi))
    return (float(check_real(owner, "noise_range_t", value, lo=0.0)), None)


class CosineLRScheduler(ScheduleDriven):
    """timm's ``CosineLRScheduler``: same arguments, same values, and a torch ``LRScheduler``.

    Values (per param group with base lr ``b``; see :class:`TimmCosine`): a linear
    warmup from ``warmup_lr_init`` over ``warmup_t``, then cosine cycles of length
    ``t_initial * cycle_mul**i`` from ``b * cycle_decay**i`` down to ``lr_min``,
    ``cycle_limit`` of them, then ``lr_min``; ``k_decay`` bends each cycle
    (``t**k / T**k``).

    **Noise.** When ``noise_range_t`` is set (a start, or ``[start, end)``) and ``t``
    lies inside it, every lr is multiplied by ``1 + n`` where ``n`` is drawn from
    ``noise_std * N(0, 1)`` with a torch generator seeded with ``noise_seed + t``,
    redrawn until ``|n| < noise_pct``. The noise is a function of ``t`` alone, so
    ``set_step``, ``step(epoch)`` and a resume reproduce it exactly.

    **Stepping.** timm's two calls work as in timm: ``step(epoch)`` sets the time
    to ``epoch`` when ``t_in_epochs`` (else it does nothing) and
    ``step_update(num_updates)`` sets it to ``num_updates`` when not
    ``t_in_epochs``; neither warns. Plain ``step()`` (what Lightning and torch
    loops call) advances the time by one, in whichever unit the scheduler counts.
    ``metric`` is accepted and ignored, as in timm.

    Differences from timm (docs/hf-timm.md): it is a torch ``LRScheduler`` with
    ``get_last_lr()``, ``set_step()`` and plain-data, fingerprinted state; tensor
    lrs are filled in place; the construction writes the value at ``t = 0``
    (timm's too, without noise: the noise starts with the first step); arguments
    timm accepts but cannot run (``cycle_mul < 1``, ``t_initial <= 0``, negative
    lrs) raise ``ValueError`` at once.

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

    _chainable: ClassVar[bool] = False
    _relative = False

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
        owner = "CosineLRScheduler"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self._shape_args: dict[str, Any] = {
            "t_initial": t_initial,
            "lr_min": lr_min,
            "cycle_mul": cycle_mul,
            "cycle_decay": cycle_decay,
            "cycle_limit": cycle_limit,
            "warmup_t": warmup_t,
            "warmup_lr_init": warmup_lr_init,
            "warmup_prefix": warmup_prefix,
            "k_decay": k_decay,
        }
        TimmCosine(base=0.0, **self._shape_args)  # validate once, before touching anything
        for name, flag in (("t_in_epochs", t_in_epochs), ("initialize", initialize)):
            if not isinstance(flag, bool):
                raise TypeError(f"{owner}: {name} must be a bool, got {flag!r}")
        self.t_initial = t_initial
        self.lr_min = lr_min
        self.cycle_mul = cycle_mul
        self.cycle_decay = cycle_decay
        self.cycle_limit = cycle_limit
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.warmup_prefix = warmup_prefix
        self.k_decay = k_decay
        self.t_in_epochs = t_in_epochs
        self.noise_range_t = noise_range_t
        self._noise_range = _noise_range(noise_range_t)
        self.noise_pct = float(check_real(owner, "noise_pct", noise_pct, lo=0.0, lo_open=True))
        self.noise_std = float(check_real(owner, "noise_std", noise_std, lo=0.0, lo_open=True))
        self.noise_seed = check_int(owner, "noise_seed", noise_seed)
        self.metric: Any = None
        if not initialize:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"initial_lr missing from param_groups[{i}] with initialize=False; "
                        "create the scheduler with initialize=True or load the optimizer state"
                    )
        if t_initial == 1 and cycle_mul == 1 and cycle_decay == 1:
            warnings.warn(
                "Cosine annealing scheduler will have no effect on the learning rate since "
                "t_initial = t_mul = eta_mul = 1.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(optimizer, -1, False)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return TimmCosine(base=base, **self._shape_args)

    # -- noise ------------------------------------------------------------------------------

    def _noise(self, t: float) -> float | None:
        """timm's multiplicative noise at ``t``, or ``None`` outside ``noise_range_t``
        and during the construction's step (timm writes the noise-free value there)."""
        rng = self._noise_range
        if rng is None or t < 0 or self._is_initial:
            return None
        lo, hi = rng
        if not (t >= lo if hi is None else lo <= t < hi):
            return None
        if not float(t).is_integer():
            raise ValueError(
                f"CosineLRScheduler: noise is seeded per whole step (noise_seed + t); "
                f"t={t} is fractional"
            )
        g = torch.Generator()
        g.manual_seed(self.noise_seed + int(t))
        while True:
            n = self.noise_std * torch.randn(1, generator=g).item()
            if abs(n) < self.noise_pct:
                return n

    def _closed(self, i: int, t: float) -> float:
        value = super()._closed(i, t)
        n = self._noise(t)
        return value if n is None else value + value * n

    def _closed_all(self, t: float) -> list[float]:
        return [self._closed(i, t) for i in range(len(self._bases))]

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
            self.set_step(_check_t("step", epoch))

    def step_update(self, num_updates: int, metric: Any = None) -> None:
        """timm's per-update call: the time becomes ``num_updates`` unless ``t_in_epochs``."""
        self.metric = metric
        self._step_count += 1
        if not self.t_in_epochs:
            self.set_step(_check_t("step_update", num_updates))

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


def _check_t(owner: str, t: Any) -> int | float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError(f"CosineLRScheduler.{owner}: the time must be a number >= 0, got {t!r}")
    return int(t) if isinstance(t, numbers.Integral) else float(t)
