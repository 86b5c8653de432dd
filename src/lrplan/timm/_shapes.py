"""timm's lr curves as lrplan schedules, one per param group, in lr units.

Each class holds one group's base lr and timm's arguments, and evaluates the
formulas of :mod:`lrplan._schedules._timm` (written once, in closed form). They are
registered in the config registry (``Schedule.from_config`` rebuilds them once
``lrplan.timm`` is imported) but are not spec names: they describe timm's
schedulers, and lrplan's own shapes (``Cosine``, ``Tanh``, ``WarmupStableDecay``...)
are the ones to compose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .._schedules import Schedule
from .._schedules._ops import SCALAR, Ops
from .._schedules._timm import (
    timm_cosine,
    timm_cycle,
    timm_multistep,
    timm_poly,
    timm_stable,
    timm_step,
    timm_tanh,
    timm_warmup,
    timm_wsd_decay,
)
from .._schedules._validate import check_int, check_real

__all__ = [
    "TimmCosine",
    "TimmMultiStep",
    "TimmPoly",
    "TimmStep",
    "TimmTanh",
    "TimmWSD",
]

#: timm's WSD stable and decay functions (``timm.scheduler.wsd_lr``).
STABLE_FNS = ("constant", "rsqrt", "power")
DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")

#: The most cycles ``boundaries()`` lists when no ``until`` is given.
_MAX_LISTED = 64


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _TimmShape(Schedule):
    """Base of timm's curves: the linear warmup every timm scheduler shares.

    For :math:`t < t_w` the value is ``warmup_lr_init + t * (target - warmup_lr_init)
    / warmup_t``; afterwards :meth:`_after` at ``t - warmup_t`` (``warmup_prefix``)
    or at ``t``.
    """

    owner: ClassVar[str] = ""
    base: float
    warmup_t: float = 0.0
    warmup_lr_init: float = 0.0
    warmup_prefix: bool = False

    def _check(self, name: str, **kw: Any) -> None:
        object.__setattr__(self, name, check_real(self.owner, name, getattr(self, name), **kw))

    def __post_init__(self) -> None:
        self._check("base", lo=0.0)
        self._check("warmup_t", lo=0.0)
        self._check("warmup_lr_init", lo=0.0)
        if not isinstance(self.warmup_prefix, bool):
            raise TypeError(
                f"{self.owner}: warmup_prefix must be a bool, got {self.warmup_prefix!r}"
            )

    def _after(self, t: Any, xp: Ops) -> Any:
        raise NotImplementedError

    def _warmup_target(self) -> float:
        return self.base

    def _at(self, t: Any, xp: Ops) -> Any:
        tp = xp.maximum(t - self.warmup_t, 0.0 * t) if self.warmup_prefix else t
        value = self._after(tp, xp)
        if self.warmup_t:
            ramp = timm_warmup(t, self._warmup_target(), self.warmup_t, self.warmup_lr_init)
            value = xp.where(t < self.warmup_t, ramp, value)
        return value

    def boundaries(self, until: float | None = None) -> list[float]:
        return [float(self.warmup_t)] if self.warmup_t else []


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _TimmCycles(_TimmShape):
    """timm's restart cycles (SGDR): cycle ``i`` is ``t_initial * cycle_mul**i`` long,
    peaks at ``base * cycle_decay**i``, and after ``cycle_limit`` cycles the value is
    ``lr_min``.

    With ``cycle_mul < 1`` the cycles shrink and all of them, however many, end
    before :math:`T_0/(1 - m)`; timm's cycle formula has no value from there on
    (it takes the log of a number <= 0), so a time past the warmup that reaches it
    raises ``ValueError`` (timm fails there too, with a math domain error)."""

    t_initial: float
    lr_min: float = 0.0
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("t_initial", lo=0, lo_open=True)
        self._check("lr_min", lo=0.0)
        self._check("cycle_mul", lo=0.0, lo_open=True)
        self._check("cycle_decay", lo=0.0)
        object.__setattr__(
            self, "cycle_limit", check_int(self.owner, "cycle_limit", self.cycle_limit, lo=0)
        )

    def _cycle(self, t_c: Any, t_i: Any, lr_max: Any, xp: Ops) -> Any:
        raise NotImplementedError

    def _log_arg(self, t: Any) -> Any:
        """timm's log argument :math:`1 - t(1 - m)/T_0`, <= 0 from :math:`T_0/(1-m)` on."""
        return 1 - t / self.t_initial * (1 - self.cycle_mul)

    def _check_defined(self, t: Any, xp: Ops) -> None:
        """Raise where timm's formula has no value: past the warmup, ``cycle_mul < 1`` and
        :math:`t' \\ge T_0/(1-m)`."""
        if self.cycle_mul >= 1:
            return
        tp = xp.maximum(t - self.warmup_t, 0.0 * t) if self.warmup_prefix else t
        bad = np.logical_and(np.asarray(t) >= self.warmup_t, np.asarray(self._log_arg(tp)) <= 0)
        if np.any(bad):
            first = float(np.min(np.asarray(t, dtype=float)[bad]))
            where = " after the warmup" if self.warmup_prefix else ""
            raise ValueError(
                f"{self.owner}: with cycle_mul={self.cycle_mul} < 1 every cycle ends before "
                f"t_initial / (1 - cycle_mul) = {self.t_initial / (1 - self.cycle_mul):g}{where}, "
                f"where timm's cycle formula has no value (timm fails with a math domain "
                f"error); got t={first:g}"
            )

    def _at(self, t: Any, xp: Ops) -> Any:
        self._check_defined(t, xp)
        return super()._at(t, xp)

    def _after(self, t: Any, xp: Ops) -> Any:
        if self.cycle_mul < 1:  # only warmup times (value unused) can be out of the domain
            t = xp.where(self._log_arg(t) > 0, t, 0.0 * t)
        i, t_i, t_c = timm_cycle(t, self.t_initial, self.cycle_mul, xp)
        lr_max = self.base * xp.power(self.cycle_decay, i)
        value = self._cycle(t_c, t_i, lr_max, xp)
        return xp.where(i < self.cycle_limit, value, 0.0 * t + self.lr_min)

    @property
    def duration(self) -> float | None:
        bounds = self.boundaries()
        return bounds[-1] if bounds and self.cycle_limit <= _MAX_LISTED else None

    def boundaries(self, until: float | None = None) -> list[float]:
        """The end of warmup and the end of every cycle (up to ``until`` if given,
        else at most 64 cycles)."""
        out = super().boundaries()
        start = float(self.warmup_t) if self.warmup_prefix else 0.0
        length = float(self.t_initial)
        for n in range(self.cycle_limit):
            if until is None and n >= _MAX_LISTED:
                break
            start += length
            length *= self.cycle_mul
            if until is not None and start > until:
                break
            out.append(start)
        return sorted(set(out))


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmCosine(_TimmCycles):
    r"""timm's cosine-with-restarts lr curve for one param group, in lr units.

    With :math:`b` = ``base``, :math:`T_0` = ``t_initial``, :math:`m` =
    ``cycle_mul``, :math:`\gamma` = ``cycle_decay``, :math:`k` = ``k_decay``:

    * warmup, :math:`t < t_w`: :math:`\text{lr} = w_0 + t\,(b - w_0)/t_w`;
    * otherwise :math:`t' = t - t_w` if ``warmup_prefix`` else :math:`t`; cycle
      :math:`i`, length :math:`T_i = m^i T_0` and position :math:`t_c` as in
      :func:`lrplan._schedules._timm.timm_cycle`;
    * :math:`\text{lr} = \eta_{min} + \tfrac12 (b\gamma^i - \eta_{min})
      (1 + \cos(\pi\, t_c^k / T_i^k))` while :math:`i <` ``cycle_limit``, then
      :math:`\eta_{min}`.

    The arithmetic follows timm's order of operations, so the values are timm's
    bit for bit (cycle boundaries included).

    References: Loshchilov & Hutter, *SGDR*, ICLR 2017; Zhang & Li, *k-decay*,
    2020; timm ``CosineLRScheduler``.

    Example:
        >>> from lrplan.timm import TimmCosine
        >>> s = TimmCosine(base=1.0, t_initial=10, warmup_t=2, warmup_lr_init=0.1)
        >>> s(0), s(1), round(s(5), 6), s(10)
        (0.1, 0.55, 0.5, 0.0)
    """

    type_name: ClassVar[str] = "timm_cosine"
    owner: ClassVar[str] = "CosineLRScheduler"
    k_decay: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("k_decay", lo=0.0, lo_open=True)

    def _cycle(self, t_c: Any, t_i: Any, lr_max: Any, xp: Ops) -> Any:
        return timm_cosine(t_c, t_i, lr_max, self.lr_min, self.k_decay, xp)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmTanh(_TimmCycles):
    r"""timm's tanh-with-restarts lr curve for one param group, in lr units.

    Cycles as in :class:`TimmCosine`; within a cycle, with :math:`r = t_c/T_i`,
    :math:`\text{lr} = \eta_{min} + \tfrac12(b\gamma^i - \eta_{min})(1 -
    \tanh(l(1-r) + u r))` (:math:`l` = ``lb``, :math:`u` = ``ub``). Without
    ``warmup_prefix`` the warmup heads for the curve's value at :math:`t_w`, not
    for :math:`b` (timm's rule), so the two pieces join.

    References: Hsueh et al., WACV 2019 (arXiv:1806.01593); timm ``TanhLRScheduler``.

    Example:
        >>> from lrplan.timm import TimmTanh
        >>> s = TimmTanh(base=1.0, t_initial=10)
        >>> s(0) < 1.0, round(s(0), 5), round(s(7), 6), s(10)
        (True, 1.0, 0.5, 0.0)
    """

    type_name: ClassVar[str] = "timm_tanh"
    owner: ClassVar[str] = "TanhLRScheduler"
    lb: float = -7.0
    ub: float = 3.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("lb")
        self._check("ub")
        if not self.lb < self.ub:
            raise ValueError(f"{self.owner}: lb must be < ub, got lb={self.lb}, ub={self.ub}")
        if self.warmup_t:
            self._warmup_target()  # timm computes it at construction (and fails where it does)

    def _cycle(self, t_c: Any, t_i: Any, lr_max: Any, xp: Ops) -> Any:
        return timm_tanh(t_c, t_i, lr_max, self.lr_min, self.lb, self.ub, xp)

    def _warmup_target(self) -> float:
        if self.warmup_prefix:
            return self.base
        self._check_defined(float(self.warmup_t), SCALAR)
        return float(self._after(float(self.warmup_t), SCALAR))


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmPoly(_TimmCycles):
    r"""timm's polynomial-with-restarts lr curve for one param group, in lr units.

    Cycles as in :class:`TimmCosine`; within a cycle
    :math:`\text{lr} = \eta_{min} + (b\gamma^i - \eta_{min})(1 - t_c^k/T_i^k)^p`
    (:math:`p` = ``power``).

    Reference: timm ``PolyLRScheduler``; Zhang & Li, *k-decay*, 2020.

    Example:
        >>> from lrplan.timm import TimmPoly
        >>> s = TimmPoly(base=1.0, t_initial=10, power=2.0)
        >>> s(0), s(5), s(10)
        (1.0, 0.25, 0.0)
    """

    type_name: ClassVar[str] = "timm_poly"
    owner: ClassVar[str] = "PolyLRScheduler"
    power: float = 0.5
    k_decay: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("power", lo=0.0)
        self._check("k_decay", lo=0.0, lo_open=True)

    def _cycle(self, t_c: Any, t_i: Any, lr_max: Any, xp: Ops) -> Any:
        return timm_poly(t_c, t_i, lr_max, self.lr_min, self.power, self.k_decay, xp)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmStep(_TimmShape):
    r"""timm's step decay for one param group: :math:`b\,\gamma^{\lfloor t'/T \rfloor}`
    after the warmup (:math:`T` = ``decay_t``, :math:`\gamma` = ``decay_rate``).

    Its ``warmup_prefix`` defaults to ``True``, as timm's ``StepLRScheduler``'s does.

    Reference: timm ``StepLRScheduler``.

    Example:
        >>> from lrplan.timm import TimmStep
        >>> s = TimmStep(base=1.0, decay_t=3, decay_rate=0.5)
        >>> [s(t) for t in (0, 2, 3, 6)]
        [1.0, 1.0, 0.5, 0.25]
    """

    type_name: ClassVar[str] = "timm_step"
    owner: ClassVar[str] = "StepLRScheduler"
    decay_t: float
    decay_rate: float = 1.0
    warmup_prefix: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("decay_t", lo=0.0, lo_open=True)
        self._check("decay_rate", lo=0.0)

    def _after(self, t: Any, xp: Ops) -> Any:
        return timm_step(t, self.base, self.decay_t, self.decay_rate, xp)

    def boundaries(self, until: float | None = None) -> list[float]:
        """The end of warmup and, up to ``until`` (or the first 64), every decay."""
        out = super().boundaries()
        start = float(self.warmup_t) if self.warmup_prefix else 0.0
        n = 1
        while n <= _MAX_LISTED if until is None else start + n * self.decay_t <= until:
            out.append(start + n * float(self.decay_t))
            n += 1
        return sorted(set(out))


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmMultiStep(_TimmShape):
    r"""timm's multi-step decay for one param group: :math:`b\,\gamma^{n}` where
    :math:`n` counts the milestones :math:`m \le t' + 1` (timm's convention: a
    milestone takes effect one step before torch's ``MultiStepLR`` would).

    ``decay_t`` must be sorted (timm assumes it; lrplan checks it).
    ``warmup_prefix`` defaults to ``True``, as in timm.

    Reference: timm ``MultiStepLRScheduler``.

    Example:
        >>> from lrplan.timm import TimmMultiStep
        >>> s = TimmMultiStep(base=1.0, decay_t=(3, 5), decay_rate=0.5)
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    type_name: ClassVar[str] = "timm_multistep"
    owner: ClassVar[str] = "MultiStepLRScheduler"
    decay_t: tuple[float, ...]
    decay_rate: float = 1.0
    warmup_prefix: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.decay_t, str) or not hasattr(self.decay_t, "__iter__"):
            raise TypeError(
                f"{self.owner}: decay_t must be a list of milestones, got {self.decay_t!r}"
            )
        points = tuple(
            check_real(self.owner, f"decay_t[{i}]", m, lo=0.0) for i, m in enumerate(self.decay_t)
        )
        if list(points) != sorted(points):
            raise ValueError(f"{self.owner}: decay_t must be sorted, got {list(self.decay_t)}")
        object.__setattr__(self, "decay_t", points)
        self._check("decay_rate", lo=0.0)

    def _after(self, t: Any, xp: Ops) -> Any:
        return timm_multistep(t, self.base, self.decay_t, self.decay_rate, xp)

    def boundaries(self, until: float | None = None) -> list[float]:
        out = super().boundaries()
        start = float(self.warmup_t) if self.warmup_prefix else 0.0
        out += [start + max(float(m) - 1, 0.0) for m in self.decay_t]
        if until is not None:
            out = [b for b in out if b <= until]
        return sorted(set(out))


def _callable_name(fn: Callable[..., Any]) -> str:
    return f"callable:{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class TimmWSD(_TimmShape):
    r"""timm's warmup-stable-decay lr curve for one param group, in lr units.

    After the warmup (always a prefix), with :math:`t_s = t - t_w`, the stable value
    is :math:`v = \max(b\,S(t_s), \eta_{min})` (:math:`S` from
    :func:`lrplan._schedules._timm.timm_stable`); over the last ``decay_t`` of
    ``t_initial`` it falls as :math:`\eta_{min} + (v - \eta_{min})\,D(f)` with
    :math:`f = \min((t_s - t_{initial} + t_{decay})/t_{decay}, 1)` and :math:`D`
    from :func:`lrplan._schedules._timm.timm_wsd_decay` (or ``decay_fn(f)`` when it
    is a callable; its config then records only the callable's name).

    References: Hu et al., *MiniCPM*, 2024; Hägele et al., 2024 (1-sqrt);
    timm ``WSDLRScheduler``.

    Example:
        >>> from lrplan.timm import TimmWSD
        >>> s = TimmWSD(base=1.0, t_initial=10, decay_t=4, decay_fn="linear")
        >>> [s(t) for t in (0, 6, 8, 10, 12)]
        [1.0, 1.0, 0.5, 0.0, 0.0]
    """

    type_name: ClassVar[str] = "timm_wsd"
    owner: ClassVar[str] = "WSDLRScheduler"
    t_initial: float
    decay_t: float
    lr_min: float = 0.0
    stable_fn: str = "constant"
    stable_timescale: float | None = None
    stable_power: float = 0.5
    decay_fn: Any = "1-sqrt"
    decay_power: float = 0.5
    decay_ratio: float = 0.1
    warmup_prefix: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        o = self.owner
        if self.warmup_prefix is not True:
            raise ValueError(f"{o}: the warmup is always a prefix (warmup_prefix=True)")
        self._check("t_initial", lo=0, lo_open=True)
        self._check("decay_t", lo=0, lo_open=True, hi=self.t_initial)
        self._check("lr_min", lo=0.0)
        if self.stable_fn not in STABLE_FNS:
            raise ValueError(f"{o}: stable_fn must be one of {STABLE_FNS}, got {self.stable_fn!r}")
        if not callable(self.decay_fn) and self.decay_fn not in DECAY_FNS:
            raise ValueError(
                f"{o}: decay_fn must be one of {DECAY_FNS} or a callable, got {self.decay_fn!r}"
            )
        self._check("decay_ratio", lo=0.0, lo_open=True, hi=1.0, hi_open=True)
        self._check("decay_power", lo=0.0, lo_open=True)
        self._check("stable_power", lo=0.0, lo_open=True)
        if self.stable_fn != "constant":
            if self.stable_timescale is None:
                object.__setattr__(self, "stable_timescale", self.warmup_t)
            if not self.stable_timescale:
                raise ValueError(
                    f"{o}: stable_fn={self.stable_fn!r} needs stable_timescale > 0; it "
                    f"defaults to warmup_t ({self.warmup_t}): set it when there is no warmup"
                )
            self._check("stable_timescale", lo=0.0, lo_open=True)
        elif self.stable_timescale is not None:
            self._check("stable_timescale", lo=0.0, lo_open=True)

    def _decay(self, frac: Any, xp: Ops) -> Any:
        fn = self.decay_fn
        if not callable(fn):
            return timm_wsd_decay(frac, fn, self.decay_power, self.decay_ratio, xp)
        if xp.is_vector:
            return np.array([float(fn(float(f))) for f in np.ravel(frac)]).reshape(np.shape(frac))
        return float(fn(frac))

    def _after(self, t_s: Any, xp: Ops) -> Any:
        tau = self.stable_timescale or 1.0
        stable = xp.maximum(
            self.base * timm_stable(t_s, self.stable_fn, tau, self.stable_power, xp), self.lr_min
        )
        t_decay = t_s - (self.t_initial - self.decay_t)
        frac = xp.minimum(xp.maximum(t_decay, 0.0 * t_s) / self.decay_t, 1.0)
        decayed = self.lr_min + (stable - self.lr_min) * self._decay(frac, xp)
        return xp.where(t_decay <= 0, stable, decayed)

    @property
    def duration(self) -> float | None:
        return float(self.warmup_t + self.t_initial)

    def boundaries(self, until: float | None = None) -> list[float]:
        wt = float(self.warmup_t)
        out = [*super().boundaries(), wt + self.t_initial - self.decay_t, wt + self.t_initial]
        if until is not None:
            out = [b for b in out if b <= until]
        return sorted(set(out))

    def to_config(self) -> dict[str, Any]:
        cfg = super().to_config()
        if callable(self.decay_fn):
            cfg["decay_fn"] = _callable_name(self.decay_fn)
        return cfg
