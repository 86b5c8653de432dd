"""The basic shapes. Each formula is written once, against the ``xp`` namespace.

:class:`Constant` is defined with the value type (``0.5 * s`` builds one) and
re-exported here with the other basic shapes.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from typing import Any, ClassVar

from ._core import (
    AFTER_POLICIES,
    Constant,
    Schedule,
    check_boundary_count,
    check_real,
    check_until,
)
from ._ops import SCALAR, Ops

# The public names: lrplan exports each of them (lrplan/__init__.py reads this list).
__all__ = [
    "Constant",
    "Cosine",
    "Exponential",
    "Linear",
    "MultiStep",
    "Polynomial",
    "Step",
]


def _nonneg(owner: str, name: str, value: Any) -> float:
    return check_real(owner, name, value, lo=0.0)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class FiniteShape(Schedule):
    """A shape defined on ``[0, steps]``, with an explicit rule for what comes after.

    ``after`` says what happens past ``steps``:

    - ``"hold"`` (default): keep the final value forever; nothing is extrapolated.
    - ``"restart"``: start again from ``t = 0`` every ``steps``.
    - ``"raise"``: a time past the end is an error (``ValueError``).
    """

    steps: float
    after: str = "hold"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        object.__setattr__(
            self, "steps", check_real(owner, "steps", self.steps, lo=0.0, lo_open=True)
        )
        if self.after not in AFTER_POLICIES:
            raise ValueError(f"{owner}: after must be one of {AFTER_POLICIES}, got {self.after!r}")

    def _shape(self, u: Any, xp: Ops) -> Any:
        """The formula on ``u`` in ``[0, steps]``."""
        raise NotImplementedError

    def _at(self, t: Any, xp: Ops) -> Any:
        if self.after == "hold":
            u = xp.minimum(t, self.steps)
        elif self.after == "restart":
            u = xp.mod(t, self.steps)
        else:
            xp.raise_if(t > self.steps, self._past_end, None)
            u = t
        return self._shape(u, xp)

    def boundaries(self, until: float | None = None) -> list[float]:
        """With ``after="restart"`` and ``until``: every restart ``k * steps <= until``."""
        if until is None or self.after != "restart":
            return super().boundaries(until=until)
        return _multiples(type(self).__name__, self.steps, check_until(type(self).__name__, until))

    def _past_end(self, _: Any) -> ValueError:
        return ValueError(
            f"{type(self).__name__}: time past the end (steps={self.steps}) with after='raise'"
        )

    @property
    def duration(self) -> float | None:
        return None if self.after == "restart" else self.steps


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Linear(FiniteShape):
    r"""Linear interpolation from ``start`` to ``end`` over ``steps``, then ``after``.

    .. math:: s(t) = \text{start} + (\text{end} - \text{start}) \cdot t / \text{steps}

    Use it for warmups (``start=0, end=1``), linear decay (the default, 1 to 0) and
    any ramp, including one above 1.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Linear(steps=4, start=0.0, end=1.0)
        >>> [s(t) for t in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    type_name: ClassVar[str] = "linear"
    start: float = 1.0
    end: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "start", _nonneg("Linear", "start", self.start))
        object.__setattr__(self, "end", _nonneg("Linear", "end", self.end))

    def _shape(self, u: Any, xp: Ops) -> Any:
        ramp = self.start + (self.end - self.start) * (u / self.steps)
        # start + (end - start) can miss end by an ulp (0.1 -> 0.01 gives 0.00999...);
        # the value at and after the end is exactly ``end``.
        return xp.where(u >= self.steps, self.end, ramp)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Cosine(FiniteShape):
    r"""Half a cosine from ``start`` to ``end`` over ``steps`` (SGDR's annealing curve).

    .. math:: s(t) = \text{end} + (\text{start} - \text{end})
              \cdot \tfrac{1}{2}\left(1 + \cos(\pi t / \text{steps})\right)

    ``periodic=True`` reproduces ``torch.optim.lr_scheduler.CosineAnnealingLR``
    past its end: the formula keeps running, so the value climbs back to ``start``
    at ``2 * steps`` (period ``2 * steps``). The default holds ``end`` instead.

    ``end`` is the floor (a minimum multiplier). ``k`` is the k-decay exponent of
    Zhang & Li (2021): the cosine runs on :math:`t^k / \text{steps}^k`, so
    ``k > 1`` keeps the value high for longer and ``k < 1`` drops it sooner; ``k=1``
    (the default) is the plain cosine, and its config omits ``k``:

    .. math:: s(t) = \text{end} + (\text{start} - \text{end})
              \cdot \tfrac{1}{2}\left(1 + \cos(\pi\, t^k / \text{steps}^k)\right)

    When another scheduler also changes the value, the relative update is affine
    around ``end`` (torch's recursive form): the distance to the floor is scaled.

    References: Loshchilov & Hutter, *SGDR: Stochastic Gradient Descent with Warm
    Restarts*, ICLR 2017; Zhang & Li, *k-decay: A New Method For Learning Rate
    Schedule*, arXiv:2004.05909, 2021 (``k``).

    Example:
        >>> import lrplan as lp
        >>> s = lp.Cosine(steps=10, end=0.1)
        >>> s(0), round(s(5), 6), s(10), s(25)
        (1.0, 0.55, 0.1, 0.1)
        >>> p = lp.Cosine(steps=10, periodic=True)
        >>> round(p(15), 6), p(20)
        (0.5, 1.0)
        >>> round(lp.Cosine(steps=10, k=2.0)(5), 6)  # 0.5 * (1 + cos(pi / 4))
        0.853553
    """

    type_name: ClassVar[str] = "cosine"
    start: float = 1.0
    end: float = 0.0
    periodic: bool = False
    k: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "start", _nonneg("Cosine", "start", self.start))
        object.__setattr__(self, "end", _nonneg("Cosine", "end", self.end))
        if not isinstance(self.periodic, bool):
            raise TypeError(f"Cosine: periodic must be a bool, got {self.periodic!r}")
        if self.periodic and self.after != "hold":
            raise ValueError("Cosine: periodic=True runs forever; leave after at its default")
        object.__setattr__(self, "k", check_real("Cosine", "k", self.k, lo=0.0, lo_open=True))
        if self.periodic and self.k != 1:
            raise ValueError("Cosine: k-decay (k != 1) is not periodic; use periodic=False")

    def _shape(self, u: Any, xp: Ops) -> Any:
        if self.k != 1:  # k-decay: the cosine runs on (u / steps) ** k
            angle = xp.pi * xp.power(u / self.steps, self.k)
            return self.end + (self.start - self.end) * 0.5 * (1.0 + xp.cos(angle))
        return self.end + (self.start - self.end) * 0.5 * (1.0 + xp.cos(xp.pi * u / self.steps))

    def _at(self, t: Any, xp: Ops) -> Any:
        if self.periodic:
            return self._shape(t, xp)
        return super()._at(t, xp)

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        if self.after == "restart" and t // self.steps != t_prev // self.steps:
            # Across a restart the affine rule around ``end`` is meaningless (it can even
            # go negative): scale by the plain ratio instead.
            return Schedule._rechain(self, current, scale, t_prev, t)
        above_prev = self._at(t_prev, SCALAR) - self.end
        above = self._at(t, SCALAR) - self.end
        if above_prev == 0:
            # At the floor: held there (past the end) nothing changes, so whatever other
            # schedulers did to the value persists; leaving it (periodic) is undefined.
            return float(current) if above == 0 else None
        floor = scale * self.end
        return float(floor + (current - floor) * (above / above_prev))

    @property
    def duration(self) -> float | None:
        return None if self.periodic else super().duration

    def boundaries(self, until: float | None = None) -> list[float]:
        """Periodic, with ``until``: every turn ``k * steps <= until`` (troughs and peaks)."""
        if until is None or not self.periodic:
            return super().boundaries(until=until)
        return _multiples("Cosine", self.steps, check_until("Cosine", until))

    def to_config(self) -> dict[str, Any]:
        cfg = super().to_config()
        if self.k == 1:  # configs (and fingerprints) written before k existed stay the same
            del cfg["k"]
        return cfg


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Polynomial(FiniteShape):
    r"""Polynomial decay from ``start`` to ``end`` over ``steps``.

    .. math:: s(t) = \text{end} + (\text{start} - \text{end})(1 - t/\text{steps})^{\text{power}}

    ``power=1`` is linear decay; torch's ``PolynomialLR`` is ``end=0``.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Polynomial(steps=10, power=2.0)
        >>> s(0), s(5), s(10), s(11)
        (1.0, 0.25, 0.0, 0.0)
    """

    type_name: ClassVar[str] = "polynomial"
    power: float = 1.0
    start: float = 1.0
    end: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "power", _nonneg("Polynomial", "power", self.power))
        object.__setattr__(self, "start", _nonneg("Polynomial", "start", self.start))
        object.__setattr__(self, "end", _nonneg("Polynomial", "end", self.end))

    def _shape(self, u: Any, xp: Ops) -> Any:
        return self.end + (self.start - self.end) * xp.power(1.0 - u / self.steps, self.power)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Exponential(Schedule):
    r"""Exponential decay (or growth): ``s(t) = start * gamma ** t``. It has no end.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Exponential(gamma=0.5)
        >>> s(0), s(1), s(3)
        (1.0, 0.5, 0.125)
    """

    type_name: ClassVar[str] = "exponential"
    gamma: float
    start: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gamma", check_real("Exponential", "gamma", self.gamma, lo=0.0))
        object.__setattr__(self, "start", _nonneg("Exponential", "start", self.start))

    def _at(self, t: Any, xp: Ops) -> Any:
        return xp.mul0(self.start, xp.power(self.gamma, t))

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        # gamma ** (t - t_prev) stays exact where gamma ** t would underflow to 0.
        out: float = current * self.gamma ** (t - t_prev)
        return out


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Step(Schedule):
    r"""Step decay: multiply by ``gamma`` every ``step_size``.

    .. math:: s(t) = \text{start} \cdot \gamma^{\lfloor t / \text{step\_size} \rfloor}

    Example:
        >>> import lrplan as lp
        >>> s = lp.Step(step_size=3, gamma=0.5)
        >>> [s(t) for t in range(7)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """

    type_name: ClassVar[str] = "step"
    step_size: float
    gamma: float = 0.1
    start: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "step_size", check_real("Step", "step_size", self.step_size, lo=0.0, lo_open=True)
        )
        object.__setattr__(self, "gamma", check_real("Step", "gamma", self.gamma, lo=0.0))
        object.__setattr__(self, "start", _nonneg("Step", "start", self.start))

    def _count(self, t: Any, xp: Ops) -> Any:
        return xp.floor(t / self.step_size)

    def _at(self, t: Any, xp: Ops) -> Any:
        return xp.mul0(self.start, xp.power(self.gamma, self._count(t, xp)))

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        out: float = current * self.gamma ** (self._count(t, SCALAR) - self._count(t_prev, SCALAR))
        return out

    def boundaries(self, until: float | None = None) -> list[float]:
        """With ``until``: every drop ``k * step_size <= until`` (none listed without)."""
        if until is None:
            return []
        return _multiples("Step", self.step_size, check_until("Step", until))


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class MultiStep(Schedule):
    r"""Multiply by ``gamma`` at each milestone.

    .. math:: s(t) = \text{start} \cdot \gamma^{\#\{m \in \text{milestones} : m \le t\}}

    A milestone listed k times multiplies by ``gamma ** k`` (as in torch's
    ``MultiStepLR``). Milestones must be non-negative and sorted.

    Example:
        >>> import lrplan as lp
        >>> s = lp.MultiStep(milestones=(2, 4), gamma=0.5)
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    type_name: ClassVar[str] = "multi_step"
    milestones: tuple[float, ...]
    gamma: float = 0.1
    start: float = 1.0

    def __post_init__(self) -> None:
        ms = self.milestones
        if isinstance(ms, str) or not isinstance(ms, Iterable):
            raise TypeError(f"MultiStep: milestones must be a list of numbers, got {ms!r}")
        vals = tuple(
            check_real("MultiStep", f"milestones[{i}]", m, lo=0.0) for i, m in enumerate(ms)
        )
        if any(a > b for a, b in itertools.pairwise(vals)):
            raise ValueError(f"MultiStep: milestones must be sorted ascending, got {list(vals)}")
        object.__setattr__(self, "milestones", vals)
        object.__setattr__(self, "gamma", check_real("MultiStep", "gamma", self.gamma, lo=0.0))
        object.__setattr__(self, "start", _nonneg("MultiStep", "start", self.start))

    def _at(self, t: Any, xp: Ops) -> Any:
        return xp.mul0(self.start, xp.power(self.gamma, xp.count_le(self.milestones, t)))

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        k = SCALAR.count_le(self.milestones, t) - SCALAR.count_le(self.milestones, t_prev)
        out: float = current * self.gamma**k
        return out

    @property
    def duration(self) -> float | None:
        return self.milestones[-1] if self.milestones else 0.0

    def boundaries(self, until: float | None = None) -> list[float]:
        ms = sorted(set(self.milestones))
        if until is None:
            return ms
        u = check_until("MultiStep", until)
        return [m for m in ms if 0 < m <= u]


def _multiples(owner: str, period: float, until: float) -> list[float]:
    """``period, 2 * period, ...`` up to ``until`` (the restarts of a periodic shape).

    Example:
        >>> from lrplan._schedules._shapes import _multiples
        >>> _multiples("Step", 30.0, 100.0)
        [30.0, 60.0, 90.0]
    """
    count = until / period
    check_boundary_count(owner, count, until)
    return [x for k in range(1, int(count) + 2) if (x := float(k * period)) <= until]
