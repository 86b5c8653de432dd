r"""timm's lr formulas (``timm.scheduler``, timm 1.0), each in closed form, in lr units.

The functions here are the formulas only; the schedule classes and the torch-facing
schedulers that use them live in :mod:`lrplan.timm` (which registers them in the
config registry above the pure layer, so they are not spec names). Every function is
written once against the ``xp`` namespace (Python floats or numpy arrays) and follows
timm's order of operations, so the scalar path gives timm's floats bit for bit.

Notation: :math:`b` is a group's base lr, :math:`t` the time (epochs, or updates when
``t_in_epochs=False``), :math:`t_w` = ``warmup_t``, :math:`w_0` = ``warmup_lr_init``.

Source: Ross Wightman, *PyTorch Image Models* (timm), ``timm/scheduler/*.py``,
version 1.0.31; the papers each function names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._ops import Ops

__all__ = [
    "timm_cosine",
    "timm_cycle",
    "timm_multistep",
    "timm_poly",
    "timm_stable",
    "timm_step",
    "timm_tanh",
    "timm_warmup",
    "timm_wsd_decay",
]


def timm_warmup(t: Any, target: float, warmup_t: float, warmup_lr_init: float) -> Any:
    r"""timm's linear warmup: :math:`w_0 + t\,(v - w_0)/t_w` for :math:`t < t_w`.

    ``target`` is the value :math:`v` the ramp heads for (the base lr for most
    schedulers; tanh without ``warmup_prefix`` aims at its own curve at
    :math:`t_w`). The slope is computed first, as timm does.

    Example:
        >>> round(timm_warmup(1.0, 0.1, 2, 0.01), 12)
        0.055
    """
    return warmup_lr_init + t * ((target - warmup_lr_init) / warmup_t)


def timm_cycle(t: Any, t_initial: float, cycle_mul: float, xp: Ops) -> tuple[Any, Any, Any]:
    r"""The restart cycle at time ``t``: ``(i, T_i, t_c)``, SGDR's bookkeeping.

    With :math:`T_0` = ``t_initial`` and :math:`m` = ``cycle_mul``, cycle :math:`i`
    lasts :math:`T_i = m^i T_0`. For :math:`m \ne 1`,
    :math:`i = \lfloor \log(1 - t(1-m)/T_0) / \log m \rfloor` and
    :math:`t_c = t - T_0 (1 - m^i)/(1 - m)`; for :math:`m = 1`,
    :math:`i = \lfloor t / T_0 \rfloor` (Python's float ``//``, which can differ
    from ``floor(t / T_0)`` by one ulp-sized step) and :math:`t_c = t - T_0 i`.

    Reference: Loshchilov & Hutter, *SGDR*, ICLR 2017; timm ``CosineLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> timm_cycle(12.0, 4, 2.0, SCALAR)
        (2.0, 16.0, 0.0)
        >>> timm_cycle(9.0, 4, 1.0, SCALAR)
        (2.0, 4, 1.0)
    """
    if cycle_mul != 1:
        i = xp.floor(xp.log(1 - t / t_initial * (1 - cycle_mul)) / xp.log(cycle_mul))
        t_i = xp.power(cycle_mul, i) * t_initial
        t_c = t - (1 - xp.power(cycle_mul, i)) / (1 - cycle_mul) * t_initial
        return i, t_i, t_c
    # Python's float floor division: (t - fmod(t, T0)) / T0, rounded to the integer.
    i = xp.floor((t - xp.mod(t, t_initial)) / t_initial + 0.5)
    return i, t_initial, t - (t_initial * i)


def timm_cosine(t_c: Any, t_i: Any, lr_max: Any, lr_min: float, k: float, xp: Ops) -> Any:
    r"""One cosine cycle with k-decay:
    :math:`\eta_{min} + \tfrac12(\eta_{max} - \eta_{min})(1 + \cos(\pi t_c^k / T_i^k))`.

    Reference: Loshchilov & Hutter, *SGDR*, ICLR 2017; Zhang & Li, *k-decay*, 2020
    (arXiv:2004.05909); timm ``CosineLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> timm_cosine(5.0, 10, 0.1, 0.0, 1.0, SCALAR)
        0.05
    """
    angle = xp.pi * xp.power(t_c, k) / xp.power(t_i, k)  # timm's order: (pi t_c^k) / T_i^k
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + xp.cos(angle))


def timm_tanh(t_c: Any, t_i: Any, lr_max: Any, lr_min: float, lb: float, ub: float, xp: Ops) -> Any:
    r"""One tanh cycle (Hsueh et al., 2019): with :math:`r = t_c / T_i`,
    :math:`\eta_{min} + \tfrac12(\eta_{max} - \eta_{min})(1 - \tanh(l(1 - r) + u r))`.

    It starts just below :math:`\eta_{max}` (:math:`1 - \tanh(l)` is not quite 2).

    Reference: Hsueh et al., *Stochastic Gradient Descent with Hyperbolic-Tangent
    Decay on Classification*, WACV 2019 (arXiv:1806.01593); timm ``TanhLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> round(timm_tanh(7.0, 10, 0.1, 0.0, -7.0, 3.0, SCALAR), 9)
        0.05
    """
    r = t_c / t_i
    return lr_min + 0.5 * (lr_max - lr_min) * (1 - xp.tanh(lb * (1.0 - r) + ub * r))


def timm_poly(
    t_c: Any, t_i: Any, lr_max: Any, lr_min: float, power: float, k: float, xp: Ops
) -> Any:
    r"""One polynomial cycle with k-decay:
    :math:`\eta_{min} + (\eta_{max} - \eta_{min})(1 - t_c^k / T_i^k)^p`.

    Reference: timm ``PolyLRScheduler``; Zhang & Li, *k-decay*, 2020.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> timm_poly(5.0, 10, 0.1, 0.0, 2.0, 1.0, SCALAR)
        0.025
    """
    frac = 1 - xp.power(t_c, k) / xp.power(t_i, k)
    return lr_min + (lr_max - lr_min) * xp.power(xp.maximum(frac, 0.0), power)


def timm_step(t: Any, base: float, decay_t: float, decay_rate: float, xp: Ops) -> Any:
    r"""Step decay: :math:`b\,\gamma^{\lfloor t / T \rfloor}` (Python's ``t // T``).

    Reference: timm ``StepLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> timm_step(7.0, 0.1, 3, 0.5, SCALAR)
        0.025
    """
    n = xp.floor((t - xp.mod(t, decay_t)) / decay_t + 0.5)
    return base * xp.power(decay_rate, n)


def timm_multistep(
    t: Any, base: float, milestones: Sequence[float], decay_rate: float, xp: Ops
) -> Any:
    r"""Multi-step decay: :math:`b\,\gamma^{n}`, :math:`n = \#\{m : m \le t + 1\}`.

    timm compares the milestones with :math:`t + 1` (a milestone :math:`m` takes
    effect at :math:`t = m - 1`), one step earlier than torch's ``MultiStepLR``.
    ``milestones`` must be sorted, as timm assumes.

    Reference: timm ``MultiStepLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> [timm_multistep(float(t), 1.0, [3, 5], 0.5, SCALAR) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return base * xp.power(decay_rate, xp.count_le(milestones, t + 1))


def timm_stable(t_s: Any, fn: str, timescale: float, power: float, xp: Ops) -> Any:
    r"""The stable phase of timm's WSD at :math:`t_s` after warmup:
    ``constant`` is 1; ``rsqrt`` is :math:`(1 + t_s/\tau)^{-1/2}`; ``power`` is
    :math:`(1 + t_s/\tau)^{-p}`.

    Reference: Zhai et al., *Scaling Vision Transformers*, CVPR 2022 (rsqrt);
    Shen et al., *Power Scheduler*, 2024 (arXiv:2408.13359); timm ``WSDLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> timm_stable(30.0, "rsqrt", 10, 0.5, SCALAR)
        0.5
    """
    if fn == "constant":
        return 1.0 + 0.0 * t_s
    p = 0.5 if fn == "rsqrt" else power
    return xp.power(1.0 + t_s / timescale, -p)


def timm_wsd_decay(frac: Any, fn: str, power: float, ratio: float, xp: Ops) -> Any:
    r"""The cooldown factor of timm's WSD at progress :math:`f \in [0, 1]`, from 1 to 0.

    ``linear`` :math:`1 - f`; ``1-sqrt`` :math:`1 - \sqrt f`; ``cosine``
    :math:`\tfrac12(1 + \cos \pi f)`; ``power`` :math:`1 - f^p`; ``exp``
    :math:`(r^f - r)/(1 - r)`.

    Reference: Hu et al., *MiniCPM*, 2024 (arXiv:2404.06395); Hägele et al.,
    *Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations*,
    2024 (arXiv:2405.18392, 1-sqrt); timm ``WSDLRScheduler``.

    Example:
        >>> from lrplan._schedules._ops import SCALAR
        >>> timm_wsd_decay(0.25, "1-sqrt", 0.5, 0.1, SCALAR)
        0.5
    """
    if fn == "linear":
        return 1.0 - frac
    if fn == "1-sqrt":
        return 1.0 - xp.sqrt(frac)
    if fn == "cosine":
        return 0.5 * (1.0 + xp.cos(xp.pi * frac))
    if fn == "power":
        return 1.0 - xp.power(frac, power)
    return (xp.power(ratio, frac) - ratio) / (1.0 - ratio)
