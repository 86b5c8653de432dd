"""Cycles and restarts: cyclical rates, the one-cycle policy and cosine warm restarts.

Each formula is written once, against the ``xp`` namespace. The pure shapes hold
their final value after their end and never extrapolate. The torch-named
drop-ins (``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``) are
configurations of these formulas; torch's own phase rule for ``OneCycleLR``
(phase ends at ``pct_start * total_steps - 1`` and ``total_steps - 1``, a last
step that extrapolates, an error past ``total_steps``) lives in the private
:class:`_TorchPhases`, which reuses the same annealing formula.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from typing import Any, ClassVar

from ._core import Schedule, check_boundary_count, check_int, check_real, check_until
from ._ops import SCALAR, Ops

#: How many restarts :meth:`CosineRestarts.boundaries` lists at most.
MAX_LISTED_RESTARTS = 500

# The public names: lrplan exports each of them (lrplan/__init__.py reads this list).
__all__ = ["CosineRestarts", "Cyclic", "OneCycle", "OneCycleMomentum"]

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")
ANNEAL_KINDS = ("cos", "linear")


def _nonneg(owner: str, name: str, value: Any) -> float:
    return check_real(owner, name, value, lo=0.0)


def _anneal(kind: str, a: Any, b: Any, pct: Any, xp: Ops) -> Any:
    """Move from ``a`` (``pct = 0``) to ``b`` (``pct = 1``): half a cosine, or a line."""
    if kind == "cos":
        return b + (a - b) / 2.0 * (xp.cos(xp.pi * pct) + 1.0)
    return (b - a) * pct + a


# --------------------------------------------------------------------------- cyclic


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Cyclic(Schedule):
    r"""A cyclical rate: up from ``start`` to ``peak`` and back, again and again.

    One cycle lasts :math:`T = \text{up} + \text{down}` (``step_size_up`` and
    ``step_size_down``, which defaults to ``step_size_up``). With
    :math:`c = \lfloor t / T \rfloor` the cycle index and
    :math:`x = t / T - c` the position in it, the triangle is

    .. math::
        \Delta(t) = \begin{cases} x / r & x \le r \\ (1 - x)/(1 - r) & x > r
        \end{cases}, \qquad r = \text{up} / T,

    and the value is

    .. math:: s(t) = \text{start} + (\text{peak} - \text{start})\,\Delta(t)\,\sigma(t)

    with the amplitude scale :math:`\sigma = 1` (``"triangular"``),
    :math:`2^{-c}` (``"triangular2"``: halved every cycle) or
    :math:`\gamma^{t}` (``"exp_range"``, :math:`0 < \gamma \le 1`).

    ``peak`` may be below ``start``: that is the inverse cycle used for momentum
    (high momentum while the learning rate is low). With ``cycles=N`` the schedule
    stops after ``N`` full cycles and holds ``start`` (where every cycle ends);
    without it, it cycles forever. Values stay between ``start`` and ``peak``.

    Reference: L. N. Smith, *Cyclical Learning Rates for Training Neural Networks*,
    WACV 2017. ``torch.optim.lr_scheduler.CyclicLR`` is this shape in lr units.

    Example:
        >>> import lrplan as lp
        >>> s = lp.Cyclic(start=0.1, peak=1.0, step_size_up=2, mode="triangular2", cycles=2)
        >>> [round(s(t), 4) for t in range(10)]
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.1]
    """

    type_name: ClassVar[str] = "cyclic"
    start: float
    peak: float = 1.0
    step_size_up: float
    step_size_down: float | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    cycles: int | None = None

    def __post_init__(self) -> None:
        owner = "Cyclic"
        object.__setattr__(self, "start", _nonneg(owner, "start", self.start))
        object.__setattr__(self, "peak", _nonneg(owner, "peak", self.peak))
        up = check_real(owner, "step_size_up", self.step_size_up, lo=0.0, lo_open=True)
        object.__setattr__(self, "step_size_up", up)
        if self.step_size_down is not None:
            down = check_real(owner, "step_size_down", self.step_size_down, lo=0.0)
            object.__setattr__(self, "step_size_down", down)
        if self.mode not in CYCLIC_MODES:
            raise ValueError(f"{owner}: mode must be one of {CYCLIC_MODES}, got {self.mode!r}")
        object.__setattr__(
            self, "gamma", check_real(owner, "gamma", self.gamma, lo=0.0, hi=1.0, lo_open=True)
        )
        if self.cycles is not None:
            object.__setattr__(self, "cycles", check_int(owner, "cycles", self.cycles, lo=1))
        if not math.isfinite(self.period):
            raise ValueError(
                f"{owner}: step_size_up + step_size_down must be finite, got {self.period!r}"
            )
        if not self.step_size_up / self.period > 0.0:
            raise ValueError(
                f"{owner}: step_size_up={self.step_size_up!r} is too small next to "
                f"step_size_down={self.step_size_down!r}: their ratio underflows to 0"
            )

    @property
    def period(self) -> float:
        """The length of one cycle, ``step_size_up + step_size_down``."""
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        return float(self.step_size_up + down)

    def _triangle(self, t: Any, xp: Ops) -> tuple[Any, Any]:
        """The cycle index ``c`` (0-based, as a float) and the triangle in ``[0, 1]``."""
        total = self.period
        ratio = self.step_size_up / total
        q = t / total
        c = xp.floor(q)
        # t / total overflows to inf only for a period below ~1e-300; the cycle count
        # is then inf too, but fmod still gives the exact place within the cycle.
        x = xp.where(q < math.inf, q - c, xp.mod(t, total) / total)
        if ratio >= 1.0:  # step_size_down == 0: a sawtooth, no way down
            return c, x / ratio
        return c, xp.where(x <= ratio, x / ratio, (1.0 - x) / (1.0 - ratio))

    def _scale(self, c: Any, t: Any, xp: Ops) -> Any:
        if self.mode == "triangular2":
            return xp.power(0.5, c)
        if self.mode == "exp_range":
            return xp.power(self.gamma, t)
        return 1.0

    def _at(self, t: Any, xp: Ops) -> Any:
        if self.cycles is not None:
            t = xp.minimum(t, self.cycles * self.period)
        c, tri = self._triangle(t, xp)
        return self.start + (self.peak - self.start) * tri * self._scale(c, t, xp)

    @property
    def duration(self) -> float | None:
        return None if self.cycles is None else self.cycles * self.period

    def boundaries(self, until: float | None = None) -> list[float]:
        """The turns (top) and cycle ends. Without ``until``: the first cycle (open-ended)
        or the first 500 cycles; with it, every one up to ``until``."""
        if until is None:
            n = 1 if self.cycles is None else min(self.cycles, 500)
            u = math.inf
        else:
            u = check_until("Cyclic", until)
            count = u / self.period
            if self.cycles is not None:
                count = min(count, self.cycles)
            check_boundary_count("Cyclic", 2 * count, u)
            n = max(0, math.ceil(count))
        out: list[float] = []
        for i in range(n):
            out.extend((i * self.period + self.step_size_up, (i + 1) * self.period))
        return sorted({b for b in out if b <= u})


# --------------------------------------------------------------------------- one cycle


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class OneCycle(Schedule):
    r"""The 1cycle policy: warm up to ``peak``, then anneal far below the start.

    With :math:`p = \text{pct\_start} \cdot \text{steps}`,
    :math:`a = \text{peak} / \text{div\_factor}` (the start) and
    :math:`z = a / \text{final\_div\_factor}` (the end), the two-phase schedule
    anneals :math:`a \to \text{peak}` on :math:`[0, p]` and
    :math:`\text{peak} \to z` on :math:`[p, \text{steps}]`. With
    ``three_phase=True`` it goes :math:`a \to \text{peak}` on :math:`[0, p]`,
    :math:`\text{peak} \to a` on :math:`[p, 2p]` and :math:`a \to z` on
    :math:`[2p, \text{steps}]` (Smith's original, symmetric cycle). Each phase
    from :math:`u` to :math:`v` at progress :math:`q \in [0, 1]` is

    .. math::
        \text{cos:}\ v + \tfrac{1}{2}(u - v)(1 + \cos \pi q)
        \qquad \text{linear:}\ u + (v - u)\,q

    After ``steps`` the value holds at :math:`z`; it never extrapolates.
    ``peak`` is a multiplier of the group's base value (``1.0``: the base lr is
    the maximum). :meth:`momentum` gives the matching inverse momentum cycle.

    Reference: L. N. Smith, *Super-Convergence: Very Fast Training of Neural
    Networks Using Large Learning Rates*, 2018 (arXiv:1708.07120); the
    two-phase default follows fastai and ``torch.optim.lr_scheduler.OneCycleLR``.

    Example:
        >>> import lrplan as lp
        >>> s = lp.OneCycle(steps=100, pct_start=0.25, div_factor=10, final_div_factor=100)
        >>> [round(s(t), 6) for t in (0, 25, 62.5, 100, 1000)]
        [0.1, 1.0, 0.5005, 0.001, 0.001]
    """

    type_name: ClassVar[str] = "one_cycle"
    steps: float
    peak: float = 1.0
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    anneal: str = "cos"

    def __post_init__(self) -> None:
        owner = "OneCycle"
        object.__setattr__(
            self, "steps", check_real(owner, "steps", self.steps, lo=0.0, lo_open=True)
        )
        object.__setattr__(self, "peak", _nonneg(owner, "peak", self.peak))
        if not isinstance(self.three_phase, bool):
            raise TypeError(f"{owner}: three_phase must be a bool, got {self.three_phase!r}")
        # Three phases need a real peak: pct_start in (0, 0.5); two: [0, 1).
        hi = 0.5 if self.three_phase else 1.0
        object.__setattr__(
            self,
            "pct_start",
            check_real(
                owner,
                "pct_start",
                self.pct_start,
                lo=0.0,
                hi=hi,
                lo_open=self.three_phase,
                hi_open=True,
            ),
        )
        for name in ("div_factor", "final_div_factor"):
            value = check_real(owner, name, getattr(self, name), lo=0.0, lo_open=True)
            object.__setattr__(self, name, value)
        if not all(math.isfinite(v) for v in self._levels()):
            # peak / div_factor (or that / final_div_factor) overflows: no real schedule
            raise ValueError(
                f"{owner}: div_factor={self.div_factor!r} and final_div_factor="
                f"{self.final_div_factor!r} are too small: the start or end value "
                f"(peak / div_factor, then / final_div_factor) overflows"
            )
        if self.anneal not in ANNEAL_KINDS:
            raise ValueError(f"{owner}: anneal must be one of {ANNEAL_KINDS}, got {self.anneal!r}")

    def _knots(self) -> tuple[float, ...]:
        return _one_cycle_knots(self.steps, self.pct_start, self.three_phase)

    def _levels(self) -> tuple[float, ...]:
        start = self.peak / self.div_factor
        end = start / self.final_div_factor
        if self.three_phase:
            return (start, self.peak, start, end)
        return (start, self.peak, end)

    def _at(self, t: Any, xp: Ops) -> Any:
        u = xp.minimum(t, self.steps)
        return _knot_anneal(u, xp, self._knots(), self._levels(), self.anneal)

    def momentum(self, *, high: float = 0.95, low: float = 0.85) -> OneCycleMomentum:
        """The matching momentum cycle: ``high`` down to ``low`` at the peak, then back up.

        Example:
            >>> import lrplan as lp
            >>> m = lp.OneCycle(steps=100, pct_start=0.25).momentum()
            >>> m(0), m(25), m(100)
            (0.95, 0.85, 0.95)
        """
        return OneCycleMomentum(
            steps=self.steps,
            pct_start=self.pct_start,
            three_phase=self.three_phase,
            anneal=self.anneal,
            high=high,
            low=low,
        )

    @property
    def duration(self) -> float | None:
        return float(self.steps)

    def boundaries(self, until: float | None = None) -> list[float]:
        u = math.inf if until is None else check_until(type(self).__name__, until)
        return sorted({b for b in self._knots()[1:] if b <= u})


def _one_cycle_knots(steps: float, pct_start: float, three_phase: bool) -> tuple[float, ...]:
    """Where the one-cycle phases start and the last one ends (shared by lr and momentum)."""
    p = pct_start * steps
    if three_phase:
        return (0.0, p, 2.0 * p, float(steps))
    return (0.0, p, float(steps))


def _knot_anneal(
    u: Any, xp: Ops, knots: tuple[float, ...], levels: tuple[float, ...], anneal: str
) -> Any:
    """Anneal from ``levels[i]`` to ``levels[i + 1]`` on ``[knots[i], knots[i + 1]]``."""
    pieces = []
    for i in range(len(knots) - 1):
        a, b, length = levels[i], levels[i + 1], knots[i + 1] - knots[i]

        def piece(v: Any, a: float = a, b: float = b, length: float = length) -> Any:
            return _anneal(anneal, a, b, v / length, xp)

        pieces.append(piece)
    return xp.piecewise(u, knots[:-1], pieces)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class OneCycleMomentum(Schedule):
    r"""The momentum that goes with :class:`OneCycle`: ``high`` → ``low`` → ``high``.

    Same phases and annealing as :class:`OneCycle`, with levels
    :math:`(\text{high}, \text{low}, \text{high})` (two-phase) or
    :math:`(\text{high}, \text{low}, \text{high}, \text{high})` (three-phase):
    the momentum is lowest where the learning rate peaks. Values are absolute
    (a momentum or ``betas[0]``), and hold at ``high`` after ``steps``.

    Reference: L. N. Smith, *A disciplined approach to neural network
    hyper-parameters: Part 1*, 2018 (arXiv:1803.09820).

    Example:
        >>> import lrplan as lp
        >>> m = lp.OneCycleMomentum(steps=10, pct_start=0.5, anneal="linear")
        >>> [round(m(t), 3) for t in (0, 5, 10, 20)]
        [0.95, 0.85, 0.95, 0.95]
    """

    type_name: ClassVar[str] = "one_cycle_momentum"
    steps: float
    pct_start: float = 0.3
    three_phase: bool = False
    anneal: str = "cos"
    high: float = 0.95
    low: float = 0.85

    def __post_init__(self) -> None:
        owner = "OneCycleMomentum"
        shape = OneCycle(
            steps=self.steps,
            pct_start=self.pct_start,
            three_phase=self.three_phase,
            anneal=self.anneal,
        )
        object.__setattr__(self, "steps", shape.steps)
        object.__setattr__(self, "pct_start", shape.pct_start)
        object.__setattr__(self, "high", _nonneg(owner, "high", self.high))
        object.__setattr__(self, "low", _nonneg(owner, "low", self.low))

    def _knots(self) -> tuple[float, ...]:
        return _one_cycle_knots(self.steps, self.pct_start, self.three_phase)

    def _at(self, t: Any, xp: Ops) -> Any:
        levels = (self.high, self.low, self.high, self.high)[: 4 if self.three_phase else 3]
        return _knot_anneal(xp.minimum(t, self.steps), xp, self._knots(), levels, self.anneal)

    @property
    def duration(self) -> float | None:
        return float(self.steps)

    def boundaries(self, until: float | None = None) -> list[float]:
        u = math.inf if until is None else check_until(type(self).__name__, until)
        return sorted({b for b in self._knots()[1:] if b <= u})


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _TorchPhases(Schedule):
    """torch's ``OneCycleLR`` phase rule around the one-cycle annealing formula.

    Phase ``i`` covers the steps ``t <= ends[i]`` not covered by an earlier phase
    (the last phase takes the rest) and anneals from ``levels[i]`` to
    ``levels[i + 1]`` with progress ``(t - ends[i-1]) / (ends[i] - ends[i-1])``
    (``ends[-1]`` read as 0). Past ``ends[-1]`` the last phase extrapolates, as in
    torch, up to ``total``; later steps raise torch's ``ValueError``. Values are
    floored at 0: torch's linear extrapolation at ``t = total`` can be negative.
    Unreachable phases are dropped and a reachable phase of length 0 is rejected
    (torch divides by zero there).

    It is registered (config type ``"torch_one_cycle"``) so that a checkpoint's saved
    config rebuilds (``on_config_change="keep_fraction"``); it is no spec name.

    Reference: torch ``OneCycleLR``; L. N. Smith & N. Topin, *Super-Convergence*, 2017.

    Example:
        >>> from lrplan._schedules._cyclic import _TorchPhases
        >>> s = _TorchPhases(ends=(2.0, 9.0), levels=(0.1, 1.0, 0.0), anneal="linear", total=10)
        >>> [round(s(t), 3) for t in (0, 1, 2, 9)]
        [0.1, 0.55, 1.0, 0.0]
    """

    type_name: ClassVar[str] = "torch_one_cycle"
    ends: tuple[float, ...]
    levels: tuple[float, ...]
    anneal: str
    total: int

    def __post_init__(self) -> None:
        owner = "OneCycleLR"
        # Numbers keep their type (an int end stays an int), so fingerprints of saved
        # configs do not change when a config is rebuilt.
        for name in ("ends", "levels"):
            seq = getattr(self, name)
            if isinstance(seq, str) or not isinstance(seq, tuple | list):
                raise TypeError(f"{owner}: {name} must be a sequence of numbers, got {seq!r}")
            checked = tuple(check_real(owner, f"{name}[{i}]", v) for i, v in enumerate(seq))
            object.__setattr__(self, name, checked)
        object.__setattr__(self, "total", check_int(owner, "total_steps", self.total, lo=1))
        if len(self.levels) != len(self.ends) + 1:
            raise ValueError(f"{owner}: need one more level than phase ends")
        if self.anneal not in ANNEAL_KINDS:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {self.anneal}"
            )
        phases: list[tuple[float, float, float, float]] = []  # (end, start, from, to)
        covered = -math.inf  # every t <= covered is taken by an earlier phase
        for i, end in enumerate(self.ends):
            start = self.ends[i - 1] if i else 0.0
            last = i == len(self.ends) - 1
            reach_hi = self.total if last else min(end, self.total)
            if reach_hi < 0 or reach_hi <= covered:
                continue  # no step in [0, total] lands in this phase
            if end == start:
                raise ValueError(
                    f"{owner}: phase {i + 1} of the cycle has length 0 (it ends at step "
                    f"{end:g}, where it starts); torch would divide by zero there. "
                    "Change pct_start or total_steps."
                )
            phases.append((end, start, self.levels[i], self.levels[i + 1]))
            covered = max(covered, end)
        object.__setattr__(self, "_phases", tuple(phases))

    def _past_total(self, n: Any) -> ValueError:
        shown = int(n) if float(n).is_integer() else n
        return ValueError(
            f"Tried to step {shown} times. The specified number of total steps is {self.total}"
        )

    def _at(self, t: Any, xp: Ops) -> Any:
        xp.raise_if(t > self.total, self._past_total, t.max() if xp.is_vector else t)
        phases: tuple[tuple[float, float, float, float], ...] = self._phases  # type: ignore[attr-defined]
        pieces = [
            functools.partial(self._phase_value, a, b, start, end - start, xp)
            for end, start, a, b in phases
        ]
        return xp.maximum(xp.phase(t, [p[0] for p in phases], pieces), 0.0)

    def _phase_value(self, a: float, b: float, start: float, length: float, xp: Ops, t: Any) -> Any:
        return _anneal(self.anneal, a, b, (t - start) / length, xp)

    @property
    def duration(self) -> float | None:
        return float(self.total)

    def boundaries(self, until: float | None = None) -> list[float]:
        """Where the anneal turns: the end of every phase but the last, within the run."""
        u = math.inf if until is None else check_until("OneCycleLR", until)
        phases: tuple[tuple[float, float, float, float], ...] = self._phases  # type: ignore[attr-defined]
        return sorted({float(e) for e, *_ in phases[:-1] if 0 < e <= min(u, self.total)})


# --------------------------------------------------------------------------- restarts


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class CosineRestarts(Schedule):
    r"""Cosine annealing with warm restarts (SGDR), with k-decay and per-cycle decay.

    Cycle :math:`i` (from 0) lasts :math:`T_i = \text{period} \cdot m^i`
    (:math:`m` = ``period_mult``) and starts at
    :math:`S_i = \sum_{j<i} T_j`. With :math:`\tau = t - S_i` the time since the
    last restart,

    .. math::
        s(t) = \text{end} + \left(\text{start} \cdot \text{decay}^{\,i} - \text{end}\right)
               \tfrac{1}{2}\left(1 + \cos\left(\pi\,(\tau / T_i)^{k}\right)\right)

    ``decay`` shrinks each cycle's peak; ``k`` is the k-decay exponent
    (:math:`k > 1` stays high longer, :math:`k < 1` drops sooner). After
    ``cycle_limit`` cycles the value holds at ``end``. Fractional times are
    legal. The cycle index is computed exactly at restarts (no off-by-one from
    floating-point logarithms).

    References: I. Loshchilov & F. Hutter, *SGDR: Stochastic Gradient Descent with
    Warm Restarts*, ICLR 2017; T. Zhang & W. Li, *k-decay: A New Method For
    Learning Rate Schedule*, 2021 (arXiv:2004.05909).

    Example:
        >>> import lrplan as lp
        >>> s = lp.CosineRestarts(period=10, period_mult=2, decay=0.5, end=0.1)
        >>> s(0), round(s(5), 6), s(10), round(s(20), 6), s(30)
        (1.0, 0.55, 0.5, 0.3, 0.25)
    """

    type_name: ClassVar[str] = "cosine_restarts"
    period: float
    period_mult: float = 1.0
    decay: float = 1.0
    cycle_limit: int | None = None
    start: float = 1.0
    end: float = 0.0
    k: float = 1.0

    def __post_init__(self) -> None:
        owner = "CosineRestarts"
        object.__setattr__(
            self, "period", check_real(owner, "period", self.period, lo=0.0, lo_open=True)
        )
        object.__setattr__(
            self, "period_mult", check_real(owner, "period_mult", self.period_mult, lo=1.0)
        )
        object.__setattr__(self, "decay", check_real(owner, "decay", self.decay, lo=0.0, hi=1.0))
        if self.cycle_limit is not None:
            object.__setattr__(
                self, "cycle_limit", check_int(owner, "cycle_limit", self.cycle_limit, lo=1)
            )
        object.__setattr__(self, "start", _nonneg(owner, "start", self.start))
        object.__setattr__(self, "end", _nonneg(owner, "end", self.end))
        object.__setattr__(self, "k", check_real(owner, "k", self.k, lo=0.0, lo_open=True))

    def _cycle_start(self, i: Any, xp: Ops) -> Any:
        m = self.period_mult
        if m == 1.0:
            return self.period * i
        return self.period * (xp.power(m, i) - 1.0) / (m - 1.0)

    def _cycle(self, t: Any, xp: Ops) -> tuple[Any, Any, Any]:
        """Cycle index ``i``, time since the restart ``tau`` and cycle length ``T_i``."""
        m = self.period_mult
        p = self.period
        if m == 1.0 and float(p).is_integer() and p < 2.0**53:
            # Whole periods (torch's T_0 is an int): every restart p * i is exact, so
            # the rule below gives the exact remainder, which fmod computes directly
            # (the same bits for t < 2**53; fewer operations per step).
            tau = xp.mod(t, p)
            i = (t - tau) / p
            return i, tau, p * xp.power(m, i)
        if m == 1.0:
            i = xp.floor(t / self.period)
        else:
            i = xp.floor(xp.log(1.0 + t * (m - 1.0) / self.period) / math.log(m))
        # A division or logarithm can land an ulp on the wrong side of a restart: fix it,
        # so that t == start of cycle i is always cycle i.
        i = xp.where(t < self._cycle_start(i, xp), i - 1.0, i)
        i = xp.where(t >= self._cycle_start(i + 1.0, xp), i + 1.0, i)
        tau = t - self._cycle_start(i, xp)
        return i, tau, self.period * xp.power(m, i)

    def _at(self, t: Any, xp: Ops) -> Any:
        i, tau, length = self._cycle(t, xp)
        # k == 1: torch's operation order, for bit-level parity with torch's classes.
        angle = xp.pi * tau / length if self.k == 1.0 else xp.pi * xp.power(tau / length, self.k)
        top = self.start * xp.power(self.decay, i)
        value = self.end + (top - self.end) * (1.0 + xp.cos(angle)) / 2.0
        if self.cycle_limit is not None:
            value = xp.where(i >= self.cycle_limit, self.end + 0.0 * value, value)
        return value

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        above_prev = self._at(t_prev, SCALAR) - self.end
        if above_prev == 0:
            return None
        floor = scale * self.end
        return float(floor + (current - floor) * ((self._at(t, SCALAR) - self.end) / above_prev))

    @property
    def duration(self) -> float | None:
        if self.cycle_limit is None:
            return None
        return float(self._cycle_start(float(self.cycle_limit), SCALAR))

    def boundaries(self, until: float | None = None) -> list[float]:
        """The restart times, never a time that overflows to infinity.

        Without ``until``: every one of ``cycle_limit`` cycles, or, for open-ended
        restarts, the first :data:`MAX_LISTED_RESTARTS`. With ``until``: every restart
        up to it (``until / period`` of them for a constant period).

        Example:
            >>> import lrplan as lp
            >>> len(lp.CosineRestarts(period=100).boundaries(until=1_000_000))
            10000
        """
        n = MAX_LISTED_RESTARTS
        u = math.inf
        if until is not None:
            u = check_until("CosineRestarts", until)
            # The cycle that holds ``until`` is how many restarts come before it.
            last = float(self._cycle(min(max(u, 0.0), sys.float_info.max), SCALAR)[0])
            if self.cycle_limit is not None:
                last = min(last, self.cycle_limit)
            check_boundary_count("CosineRestarts", last, u)
            n = int(last)
        if self.cycle_limit is not None:
            n = min(self.cycle_limit, n)
        if self.period_mult == 1.0:  # S_i = period * i (as _cycle_start computes it)
            p = self.period
            return [x for i in range(1, n + 1) if (x := float(p * i)) <= u and x < math.inf]
        out: list[float] = []
        for i in range(1, n + 1):
            start = float(self._cycle_start(float(i), SCALAR))
            if not math.isfinite(start) or start > u:
                break
            out.append(start)
        return out
