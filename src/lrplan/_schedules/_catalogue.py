"""The schedule catalogue beyond torch: shapes from the literature, each in closed form.

Every shape here is a multiplier of the group's base value (``s(0)`` is 1 unless
stated) and writes its formula once, against the ``xp`` namespace.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

from ._core import Schedule, check_real, check_until
from ._ops import Ops
from ._shapes import FiniteShape, _nonneg

# The public names: lrplan exports each of them (lrplan/__init__.py reads this list).
__all__ = [
    "REX",
    "ExponentialRamp",
    "InverseSqrt",
    "Tanh",
    "UntunedWarmup",
    "WarmupStableDecay",
]


# --------------------------------------------------------------------------- inverse sqrt


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class InverseSqrt(Schedule):
    r"""Inverse square-root decay with a timescale :math:`\tau` (Vaswani et al., 2017).

    .. math:: s(t) = \frac{1}{\sqrt{(t + \tau) / \tau}} = \sqrt{\frac{\tau}{t + \tau}}

    It starts at 1 and falls as :math:`t^{-1/2}`, halving by :math:`t = 3\tau`; it
    has no end. A warmup is composed with :func:`lrplan.warmup`:

    * ``warmup(InverseSqrt(timescale=W), steps=W)`` is the Transformer schedule
      :math:`\min(s^{-1/2}, s W^{-3/2})` of Vaswani et al., normalised to peak at 1
      (the :math:`d_{model}^{-1/2} W^{-1/2}` peak is the base lr);
    * ``warmup(InverseSqrt(timescale=tau), steps=W)`` is HF transformers'
      ``inverse_sqrt`` schedule (``1 / sqrt((s + tau - W) / tau)`` after warmup),
      whose default ``tau`` is ``W`` (or 10 000 without warmup).

    Reference: Vaswani et al., *Attention Is All You Need*, NeurIPS 2017, §5.3.

    Example:
        >>> import lrplan as lp
        >>> s = lp.InverseSqrt(timescale=100)
        >>> s(0), s(300), s(9_900)
        (1.0, 0.5, 0.1)
    """

    type_name: ClassVar[str] = "inverse_sqrt"
    timescale: float = 10_000

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "timescale",
            check_real("InverseSqrt", "timescale", self.timescale, lo=0.0, lo_open=True),
        )

    def _at(self, t: Any, xp: Ops) -> Any:
        return 1.0 / xp.sqrt((t + self.timescale) / self.timescale)


# --------------------------------------------------------------------------- warmup-stable-decay

#: Cooldown shapes of :class:`WarmupStableDecay`: ``g(p)`` falls from 1 at ``p=0`` to 0 at ``p=1``.
DECAY_SHAPES = ("linear", "cosine", "1-sqrt")
#: Warmup shapes of :class:`WarmupStableDecay` (HF's ``warmup_type``): ``f(0)=0``, ``f(1)=1``.
WARMUP_TYPES = ("linear", "cosine", "1-sqrt")


def _decay_curve(shape: str, p: Any, xp: Ops) -> Any:
    """The cooldown fraction still left at progress ``p`` in [0, 1]."""
    if shape == "linear":
        return 1.0 - p
    if shape == "cosine":
        return 0.5 * (1.0 + xp.cos(xp.pi * p))
    return 1.0 - xp.sqrt(p)  # "1-sqrt"


def _warmup_curve(shape: str, p: Any, xp: Ops) -> Any:
    """The warmup fraction done at progress ``p`` in [0, 1]."""
    if shape == "linear":
        return p
    if shape == "cosine":
        return 0.5 * (1.0 - xp.cos(xp.pi * p))
    return 1.0 - xp.sqrt(1.0 - p)  # "1-sqrt"


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class WarmupStableDecay(Schedule):
    r"""Warmup, a long stable phase at 1, then a short cooldown to ``min_ratio`` (WSD).

    With :math:`W` = ``warmup``, :math:`S` = ``stable``, :math:`D` = ``decay``,
    :math:`m` = ``min_ratio`` and :math:`w_0` = ``warmup_start``:

    .. math::
        s(t) = \begin{cases}
          w_0 + (1 - w_0)\, f(t / W) & t < W \\
          1 & W \le t < W + S \\
          m + (1 - m)\, g\big((t - W - S) / D\big) & W + S \le t < W + S + D \\
          m & t \ge W + S + D
        \end{cases}

    The warmup curve ``f`` (``warmup_shape``) is ``p`` (linear),
    :math:`\tfrac12(1 - \cos \pi p)` (cosine) or :math:`1 - \sqrt{1 - p}` (1-sqrt).
    The cooldown curve ``g`` (``decay_shape``) is :math:`1 - p` (linear),
    :math:`\tfrac12(1 + \cos \pi p)` (cosine) or :math:`1 - \sqrt{p}` (1-sqrt, which
    Hägele et al. found best). Every phase meets the next continuously.

    ``stable=None`` makes the stable phase open-ended: the schedule warms up and
    then holds 1 forever (``decay`` must then be 0). :class:`lrplan.WSDScheduler`
    uses this to start the cooldown on demand during training.

    HF transformers' ``warmup_stable_decay`` (``get_wsd_schedule``) is
    :meth:`from_transformers`: its warmup starts at ``min_lr_ratio``, not 0.

    References: Hu et al., *MiniCPM: Unveiling the Potential of Small Language
    Models with Scalable Training Strategies*, 2024; Hägele et al., *Scaling Laws
    and Compute-Optimal Training Beyond Fixed Training Durations*, NeurIPS 2024.

    Example:
        >>> import lrplan as lp
        >>> s = lp.WarmupStableDecay(warmup=10, stable=80, decay=10, min_ratio=0.1)
        >>> s(0), s(5), s(10), s(89), s(95), s(100), s(1_000)
        (0.0, 0.5, 1.0, 1.0, 0.55, 0.1, 0.1)
        >>> lp.WarmupStableDecay(warmup=10, stable=80, decay=16, decay_shape="1-sqrt")(94)
        0.5
    """

    type_name: ClassVar[str] = "warmup_stable_decay"
    warmup: float = 0
    stable: float | None = None
    decay: float = 0
    min_ratio: float = 0.0
    decay_shape: str = "linear"
    warmup_shape: str = "linear"
    warmup_start: float = 0.0

    def __post_init__(self) -> None:
        owner = "WarmupStableDecay"
        object.__setattr__(self, "warmup", _nonneg(owner, "warmup", self.warmup))
        if self.stable is not None:
            object.__setattr__(self, "stable", _nonneg(owner, "stable", self.stable))
        object.__setattr__(self, "decay", _nonneg(owner, "decay", self.decay))
        if self.stable is None and self.decay != 0:
            raise ValueError(
                f"{owner}: decay={self.decay!r} needs a finite stable length; with "
                "stable=None the stable phase never ends (lrplan.WSDScheduler starts "
                "the cooldown on demand)"
            )
        object.__setattr__(
            self, "min_ratio", check_real(owner, "min_ratio", self.min_ratio, lo=0.0, hi=1.0)
        )
        object.__setattr__(
            self,
            "warmup_start",
            check_real(owner, "warmup_start", self.warmup_start, lo=0.0, hi=1.0),
        )
        if self.decay_shape not in DECAY_SHAPES:
            raise ValueError(
                f"{owner}: decay_shape must be one of {DECAY_SHAPES}, got {self.decay_shape!r}"
            )
        if self.warmup_shape not in WARMUP_TYPES:
            raise ValueError(
                f"{owner}: warmup_shape must be one of {WARMUP_TYPES}, got {self.warmup_shape!r}"
            )

    @classmethod
    def from_transformers(
        cls,
        *,
        num_warmup_steps: int,
        num_decay_steps: int,
        num_training_steps: int | None = None,
        num_stable_steps: int | None = None,
        warmup_type: str = "linear",
        decay_type: str = "cosine",
        min_lr_ratio: float = 0.0,
    ) -> WarmupStableDecay:
        """HF transformers' ``get_wsd_schedule`` with its argument names and defaults.

        The stable length is ``num_stable_steps``, or ``num_training_steps -
        num_warmup_steps - num_decay_steps``; the warmup starts at ``min_lr_ratio``
        (as in transformers). transformers' ``num_cycles`` is fixed at its default
        0.5 (a half cosine), the only value with a continuous cooldown.

        Example:
            >>> import lrplan as lp
            >>> s = lp.WarmupStableDecay.from_transformers(
            ...     num_warmup_steps=10, num_decay_steps=10, num_training_steps=100,
            ...     min_lr_ratio=0.2)
            >>> [round(s(t), 6) for t in (0, 50, 95, 100)]
            [0.2, 1.0, 0.6, 0.2]
        """
        owner = "WarmupStableDecay.from_transformers"
        if num_stable_steps is None:
            if num_training_steps is None:
                raise ValueError(f"{owner}: give num_training_steps or num_stable_steps")
            num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
            if num_stable_steps < 0:
                raise ValueError(
                    f"{owner}: num_training_steps={num_training_steps} is shorter than "
                    f"num_warmup_steps + num_decay_steps = {num_warmup_steps + num_decay_steps}"
                )
        return cls(
            warmup=num_warmup_steps,
            stable=num_stable_steps,
            decay=num_decay_steps,
            min_ratio=min_lr_ratio,
            decay_shape=decay_type,
            warmup_shape=warmup_type,
            warmup_start=min_lr_ratio,
        )

    @classmethod
    def for_run(cls, *, total: Any, warmup: Any = 0, decay: Any, **kwargs: Any) -> Any:
        """Fill a run of ``total`` steps: ``stable = total - warmup - decay``.

        The lengths may be durations (``lrplan.fraction(0.2)``, ``lrplan.epochs(1)``);
        the result is then an unbound plan, resolved by ``bind``.

        Example:
            >>> import lrplan as lp
            >>> lp.WarmupStableDecay.for_run(total=100, warmup=10, decay=20).stable
            70
        """
        stable = total - warmup - decay
        if isinstance(stable, int | float) and stable < 0:
            raise ValueError(
                f"WarmupStableDecay.for_run: total={total!r} is shorter than "
                f"warmup + decay = {warmup + decay!r}"
            )
        return cls(warmup=warmup, stable=stable, decay=decay, **kwargs)

    def _starts(self) -> tuple[float, ...]:
        w = self.warmup
        if self.stable is None:
            return (0.0, w)
        return (0.0, w, w + self.stable, w + self.stable + self.decay)

    def _at(self, t: Any, xp: Ops) -> Any:
        w0, m = self.warmup_start, self.min_ratio

        def warm(u: Any) -> Any:
            return w0 + (1.0 - w0) * _warmup_curve(self.warmup_shape, u / self.warmup, xp)

        def stable(u: Any) -> Any:
            return u * 0.0 + 1.0

        def cool(u: Any) -> Any:
            return m + (1.0 - m) * _decay_curve(self.decay_shape, u / self.decay, xp)

        def end(u: Any) -> Any:
            return u * 0.0 + m

        return xp.piecewise(t, self._starts(), (warm, stable, cool, end))

    @property
    def duration(self) -> float | None:
        return None if self.stable is None else self._starts()[-1]

    def boundaries(self, until: float | None = None) -> list[float]:
        u = math.inf if until is None else check_until("WarmupStableDecay", until)
        return sorted({b for b in self._starts() if 0 < b <= u})


# --------------------------------------------------------------------------- tanh decay


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Tanh(FiniteShape):
    r"""Hyperbolic-tangent decay (HTD) from ``start`` towards ``end`` over ``steps``.

    .. math:: s(t) = \text{end} + (\text{start} - \text{end}) \cdot
              \tfrac{1}{2}\left(1 - \tanh\left(L + (U - L)\, t / \text{steps}\right)\right)

    with :math:`L` = ``lower`` (default -6) and :math:`U` = ``upper`` (default 3),
    the bounds Hsueh et al. recommend. The curve is the paper's, unnormalised: with
    the defaults :math:`s(0) \approx 0.999994` and :math:`s(\text{steps}) \approx
    \text{end} + 0.00247 (\text{start} - \text{end})`; after ``steps`` it holds.

    Reference: Hsueh, Li & Wu, *Stochastic Gradient Descent with Hyperbolic-Tangent
    Decay on Classification*, WACV 2019 (arXiv:1806.01593).

    Example:
        >>> import lrplan as lp
        >>> s = lp.Tanh(steps=90)  # tanh(-6 + 9 * 60 / 90) = tanh(0) at t = 60
        >>> round(s(0), 6), s(60), round(s(90), 6)
        (0.999994, 0.5, 0.002473)
    """

    type_name: ClassVar[str] = "tanh"
    start: float = 1.0
    end: float = 0.0
    lower: float = -6.0
    upper: float = 3.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "start", _nonneg("Tanh", "start", self.start))
        object.__setattr__(self, "end", _nonneg("Tanh", "end", self.end))
        lo = check_real("Tanh", "lower", self.lower)
        hi = check_real("Tanh", "upper", self.upper)
        if not lo < hi:
            raise ValueError(f"Tanh: lower must be < upper, got lower={lo}, upper={hi}")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)

    def _shape(self, u: Any, xp: Ops) -> Any:
        x = self.lower + (self.upper - self.lower) * (u / self.steps)
        # (1 - tanh(x)) / 2 written as 1 / (1 + exp(2x)), the same function: near the
        # end tanh(x) is within an ulp of 1 and 1 - tanh(x) would cancel to noise.
        return self.end + (self.start - self.end) / (1.0 + xp.exp(2.0 * x))


# --------------------------------------------------------------------------- REX


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class REX(FiniteShape):
    r"""The REX decay (Reflected EXponential) from ``start`` to ``end`` over ``steps``.

    With progress :math:`z = t / \text{steps}` (held at 1 after the end):

    .. math:: s(t) = \text{end} + (\text{start} - \text{end})
              \frac{1 - z}{1 - \beta z}

    The paper's profile is :math:`\beta = 1/2`, :math:`(1 - z) / (\tfrac12 +
    \tfrac12 (1 - z))`: it stays above linear decay for most of the run, then drops
    to ``end`` at ``steps``; its variants put other constants in place of 1/2.
    ``beta`` is that constant, in :math:`[0, 1)`: ``beta=0`` is linear decay, and the
    closer ``beta`` is to 1 the longer the value stays near ``start`` before the
    drop. Every ``beta`` decreases strictly from ``start`` to ``end``. The paper
    samples the profile every iteration, as lrplan does with any schedule driven
    per step.

    Reference: Chen, Wolfe & Kyrillidis, *REX: Revisiting Budgeted Training with an
    Improved Schedule*, MLSys 2022 (arXiv:2107.04197).

    Example:
        >>> import lrplan as lp
        >>> s = lp.REX(steps=100)  # (1 - z) / (1 - z/2)
        >>> s(0), round(s(50), 6), round(s(80), 6), s(100), s(150)
        (1.0, 0.666667, 0.333333, 0.0, 0.0)
        >>> round(lp.REX(steps=100, beta=0.9)(50), 6)  # 0.5 / (1 - 0.45)
        0.909091
    """

    type_name: ClassVar[str] = "rex"
    start: float = 1.0
    end: float = 0.0
    beta: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "start", _nonneg("REX", "start", self.start))
        object.__setattr__(self, "end", _nonneg("REX", "end", self.end))
        object.__setattr__(
            self, "beta", check_real("REX", "beta", self.beta, lo=0.0, hi=1.0, hi_open=True)
        )

    def _shape(self, u: Any, xp: Ops) -> Any:
        z = u / self.steps
        return self.end + (self.start - self.end) * ((1.0 - z) / (1.0 - self.beta * z))


# --------------------------------------------------------------------------- warmup ramps

UNTUNED_SHAPES = ("linear", "exponential")


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class UntunedWarmup(Schedule):
    r"""Adam's "untuned" warmup factor, its length set by ``beta2`` (Ma & Yarats, 2021).

    A multiplicative factor :math:`\omega` for the (step ``t + 1``)-th update (Adam
    counts updates from 1; lrplan's ``t = 0`` is the first one):

    .. math::
        \omega_{\text{linear}}(t) = \min\left(1, \tfrac{1 - \beta_2}{2} (t + 1)\right),
        \qquad
        \omega_{\text{exp}}(t) = 1 - e^{-(1 - \beta_2)(t + 1)}

    The linear factor reaches 1 after :math:`2 / (1 - \beta_2)` updates (2000 for
    :math:`\beta_2 = 0.999`); the exponential one approaches 1 with time constant
    :math:`1 / (1 - \beta_2)` and never quite gets there. Multiply it into any
    schedule: ``UntunedWarmup(beta2=0.999) * Cosine(steps=100_000)``.

    Reference: Ma & Yarats, *On the Adequacy of Untuned Warmup for Adaptive
    Optimization*, AAAI 2021 (arXiv:1910.04209).

    Example:
        >>> import lrplan as lp
        >>> w = lp.UntunedWarmup(beta2=0.875)  # 1 - beta2 = 1/8: 16 warmup updates
        >>> w(0), w(7), w(15), w(1_000)
        (0.0625, 0.5, 1.0, 1.0)
        >>> round(lp.UntunedWarmup(beta2=0.875, shape="exponential")(7), 6)  # 1 - e**-1
        0.632121
    """

    type_name: ClassVar[str] = "untuned_warmup"
    beta2: float = 0.999
    shape: str = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "beta2",
            check_real("UntunedWarmup", "beta2", self.beta2, lo=0.0, hi=1.0, hi_open=True),
        )
        if self.shape not in UNTUNED_SHAPES:
            raise ValueError(
                f"UntunedWarmup: shape must be one of {UNTUNED_SHAPES}, got {self.shape!r}"
            )

    @property
    def period(self) -> float:
        """The warmup period: ``2 / (1 - beta2)`` (linear) or ``1 / (1 - beta2)`` (exponential)."""
        rate = 1.0 - self.beta2
        return 2.0 / rate if self.shape == "linear" else 1.0 / rate

    def _at(self, t: Any, xp: Ops) -> Any:
        rate = 1.0 - self.beta2
        if self.shape == "linear":
            return xp.minimum(0.5 * rate * (t + 1.0), 1.0)
        return -xp.expm1(-rate * (t + 1.0))

    @property
    def duration(self) -> float | None:
        # The linear factor is 1 from update number 2 / (1 - beta2) on (t = that - 1).
        return max(self.period - 1.0, 0.0) if self.shape == "linear" else None

    def boundaries(self, until: float | None = None) -> list[float]:
        u = math.inf if until is None else check_until("UntunedWarmup", until)
        d = self.duration
        return [d] if d and d <= u else []


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class ExponentialRamp(FiniteShape):
    r"""A saturating exponential ramp from ``start`` to ``end`` that lands exactly at ``steps``.

    .. math:: s(t) = \text{start} + (\text{end} - \text{start})
              \frac{1 - e^{-r t / \text{steps}}}{1 - e^{-r}}

    The curve is Ma & Yarats' exponential warmup :math:`1 - e^{-t/\tau}`, rescaled
    so it reaches ``end`` at ``steps`` and the hand-off is continuous. The default
    rate :math:`r = 2` (so :math:`\tau` = ``steps / 2``) matches their pairing of an
    exponential warmup of time constant :math:`\tau` with a linear one of length
    :math:`2\tau`. It is the ``"exponential"`` shape of :func:`lrplan.warmup`.

    Reference: Ma & Yarats, *On the Adequacy of Untuned Warmup for Adaptive
    Optimization*, AAAI 2021.

    Example:
        >>> import lrplan as lp
        >>> s = lp.ExponentialRamp(steps=10)
        >>> s(0), round(s(5), 6), s(10)
        (0.0, 0.731059, 1.0)
    """

    type_name: ClassVar[str] = "exponential_ramp"
    start: float = 0.0
    end: float = 1.0
    rate: float = 2.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "start", _nonneg("ExponentialRamp", "start", self.start))
        object.__setattr__(self, "end", _nonneg("ExponentialRamp", "end", self.end))
        object.__setattr__(
            self, "rate", check_real("ExponentialRamp", "rate", self.rate, lo=0.0, lo_open=True)
        )

    def _shape(self, u: Any, xp: Ops) -> Any:
        frac = xp.expm1(-self.rate * (u / self.steps)) / xp.expm1(-self.rate)
        return self.start + (self.end - self.start) * frac
