"""The learning-rate range test (Smith 2017), on the user's own model, ending in a plan.

Train for a few hundred steps while the learning rate rises from tiny to huge, record
the smoothed loss at each lr, stop when the loss diverges, and read a good peak lr off
the curve. Two forms share one implementation:

* :func:`find_lr` runs the test: model, optimizer, loss function and loader (and
  optionally a ``step_fn`` for batches that are not ``(inputs, targets)``).
* :class:`RangeTest` fits into the user's own loop (custom steps, AMP, any
  optimizer): it sets the lr before each step, is told the loss with
  :meth:`RangeTest.step`, and says when to stop.

Either way the model (parameters, buffers, gradients and train/eval flags), the
optimizer (state and param groups, lrs included), the ``GradScaler`` and the RNG states
(torch, Python ``random``, numpy) are put back exactly as they were when the test ends,
from one in-memory copy taken when it starts.

The result (:class:`FindResult`) holds the curve and names a learning rate under the
rules of the peers (:data:`RULES`), with a plausible range and the reasoning, or says
why it cannot; :meth:`FindResult.plan` turns the number into a complete schedule.

References:
    Leslie N. Smith, *Cyclical Learning Rates for Training Neural Networks*, WACV 2017
    (arXiv:1506.01186), section 3.3, "How can one estimate reasonable minimum and
    maximum boundary values?".
    Leslie N. Smith, *A disciplined approach to neural network hyper-parameters:
    Part 1*, arXiv:1803.09820, 2018.
    fastai's ``Learner.lr_find`` and its suggestion functions ``minimum``, ``steep`` and
    ``valley``; torch-lr-finder's ``LRFinder``; Lightning's ``Tuner.lr_find``.

Example:
    >>> import torch
    >>> import lrplan as lp
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(4, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x = torch.randn(256, 4); y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1
    >>> batches = [(x[i : i + 32], y[i : i + 32, None]) for i in range(0, 256, 32)]
    >>> result = lp.find_lr(model, opt, torch.nn.MSELoss(), batches, end_lr=10.0)
    >>> result.stop_reason, len(result.lrs) < 100, opt.param_groups[0]["lr"]
    ('diverged', True, 0.1)
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from lrplan import _find_plot
from lrplan._schedules import Cosine, Schedule, WarmupStableDecay, warmup

__all__ = [
    "RULES",
    "FindResult",
    "ProposedPlan",
    "RangeTest",
    "Suggestion",
    "find_lr",
]

#: The suggestion rules, each under the name its project gives it.
RULES = ("valley", "steepest", "steepest_lightning", "minimum", "steep")

#: The default rule: fastai's default since 2021, and the most robust of the four on
#: short noisy curves (it needs a long descent, not one steep pair of points).
DEFAULT_RULE = "valley"

#: A suggestion needs the smoothed loss to fall by at least this many times the
#: step-to-step noise of the raw loss (see :attr:`FindResult.noise`).
NOISE_FACTOR = 3.0

#: Fewest recorded steps (before the first non-finite loss) that support a suggestion.
MIN_POINTS = 10

#: The plausible range starts where the smoothed loss has made this much of its descent.
RANGE_DESCENT = 0.1

#: Plan shapes :meth:`FindResult.plan` proposes.
PLAN_SHAPES = ("cosine", "wsd")

_MODES = ("exp", "linear")


def _check_positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_count(name: str, value: int, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return value


def ramp_lr(i: int, num_steps: int, start_lr: float, end_lr: float, mode: str = "exp") -> float:
    r"""The lr of step ``i`` of a range test from ``start_lr`` to ``end_lr`` in ``num_steps``.

    .. math::
        \text{exp:}\quad \eta_i = \eta_0 \left(\frac{\eta_1}{\eta_0}\right)^{i/(n-1)}
        \qquad
        \text{linear:}\quad \eta_i = \eta_0 + \frac{i}{n-1}(\eta_1 - \eta_0)

    so step 0 uses ``start_lr`` and step ``n - 1`` uses ``end_lr``: the ramp of
    Smith (2017, sec. 3.3; linear) and of fastai and torch-lr-finder (exponential).

    Example:
        >>> from lrplan._find import ramp_lr
        >>> ramp_lr(0, 5, 1e-4, 1.0), ramp_lr(2, 5, 1e-4, 1.0), ramp_lr(4, 5, 1e-4, 1.0)
        (0.0001, 0.01, 1.0)
        >>> ramp_lr(2, 5, 0.1, 0.9, "linear")
        0.5
    """
    r = i / (num_steps - 1)
    if mode == "exp":
        lr: float = start_lr * (end_lr / start_lr) ** r
        return lr
    return start_lr + r * (end_lr - start_lr)


# --------------------------------------------------------------------------- the snapshot


@dataclass
class _Snapshot:
    """Everything the test changes, copied once in memory, and put back bit for bit."""

    model: nn.Module | None
    optimizer: torch.optim.Optimizer
    scaler: Any
    model_state: dict[str, Any] | None
    grads: list[torch.Tensor | None]
    training: list[bool]
    optimizer_state: dict[str, Any]
    group_tensors: list[dict[str, torch.Tensor]]
    scaler_state: dict[str, Any] | None
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor] | None
    python_rng: tuple[Any, ...]
    numpy_rng: Any

    @classmethod
    def take(
        cls, model: nn.Module | None, optimizer: torch.optim.Optimizer, scaler: Any
    ) -> _Snapshot:
        params = [] if model is None else list(model.parameters())
        # CUDA's generators only if CUDA is in use: asking would initialise it
        cuda = torch.cuda.is_available() and torch.cuda.is_initialized()  # type: ignore[no-untyped-call]
        return cls(
            model=model,
            optimizer=optimizer,
            scaler=scaler,
            model_state=None if model is None else copy.deepcopy(model.state_dict()),
            grads=[None if p.grad is None else p.grad.detach().clone() for p in params],
            training=[] if model is None else [m.training for m in model.modules()],
            optimizer_state=copy.deepcopy(optimizer.state_dict()),
            # tensor-valued group entries (a tensor lr) keep their identity on restore
            group_tensors=[
                {k: v for k, v in g.items() if isinstance(v, torch.Tensor)}
                for g in optimizer.param_groups
            ],
            scaler_state=None if scaler is None else copy.deepcopy(scaler.state_dict()),
            torch_rng=torch.get_rng_state(),
            cuda_rng=torch.cuda.get_rng_state_all() if cuda else None,
            python_rng=random.getstate(),
            numpy_rng=np.random.get_state(),
        )

    def restore(self) -> None:
        if self.model is not None and self.model_state is not None:
            self.model.load_state_dict(self.model_state)
            for p, g in zip(self.model.parameters(), self.grads, strict=True):
                p.grad = g
            for m, flag in zip(self.model.modules(), self.training, strict=True):
                m.training = flag
        self.optimizer.load_state_dict(self.optimizer_state)
        for group, tensors in zip(self.optimizer.param_groups, self.group_tensors, strict=True):
            for key, original in tensors.items():
                with torch.no_grad():
                    original.copy_(group[key])
                group[key] = original
        if self.scaler is not None and self.scaler_state is not None:
            self.scaler.load_state_dict(self.scaler_state)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        random.setstate(self.python_rng)
        np.random.set_state(self.numpy_rng)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Suggestion:
    """A learning rate read off a range-test curve by one rule, or why none could be.

    ``lr`` is ``None`` when the curve does not support a suggestion (too short, not
    finite from the start, never falling, or too noisy); ``reason`` then says why and
    what to change. ``low`` and ``high`` bound the plausible range (see
    :meth:`FindResult.suggest`); ``index`` is the step the rule picked.

    Example:
        >>> import lrplan as lp
        >>> fall = [2 - 0.05 * k for k in range(1, 31)]
        >>> curve = [2.0] * 10 + fall + [0.5 + 0.1 * k for k in range(10)]
        >>> lrs = [1e-6 * 10 ** (6 * i / 49) for i in range(50)]
        >>> r = lp.FindResult(lrs=lrs, losses=curve, smoothed=curve, start_lr=1e-6, end_lr=1.0,
        ...                   num_steps=50, mode="exp", smooth_f=0.0, diverge_th=5.0,
        ...                   stop_reason="completed")
        >>> s = r.suggest("minimum")
        >>> s.ok, f"{s.lr:.3g}", f"[{s.low:.3g}, {s.high:.3g}]"
        (True, '0.00596', '[2.95e-05, 0.0596]')
    """

    rule: str
    lr: float | None
    index: int | None
    low: float | None
    high: float | None
    reason: str

    @property
    def ok(self) -> bool:
        """True when the rule named a learning rate."""
        return self.lr is not None


@dataclass(frozen=True)
class ProposedPlan:
    """A complete schedule proposed from a range test.

    ``schedule`` is a multiplier of the optimizer's lr (lrplan's convention for the
    ``lr`` key), so set the optimizer's lr to ``lr`` and drive it with
    ``lrplan.ScheduledLR(optimizer, plan.schedule)``. ``spec`` is the same schedule as a
    spec string, for code or ``lrplan show``/``lrplan plot``.

    Example:
        >>> import lrplan as lp
        >>> fall = [2 - 0.05 * k for k in range(1, 31)]
        >>> curve = [2.0] * 10 + fall + [0.5 + 0.1 * k for k in range(10)]
        >>> lrs = [1e-6 * 10 ** (6 * i / 49) for i in range(50)]
        >>> r = lp.FindResult(lrs=lrs, losses=curve, smoothed=curve, start_lr=1e-6, end_lr=1.0,
        ...                   num_steps=50, mode="exp", smooth_f=0.0, diverge_th=5.0,
        ...                   stop_reason="completed")
        >>> plan = r.plan(1000)
        >>> plan.spec, f"{plan.lr:.3g}"
        ('warmup(Cosine(steps=900, end=0.01), steps=100)', '0.000655')
        >>> plan.schedule == lp.load(plan.spec)
        True
    """

    lr: float
    schedule: Schedule
    spec: str
    total_steps: int
    suggestion: Suggestion
    reason: str

    @property
    def code(self) -> str:
        """Python lines that set the peak and drive the optimizer with the plan."""
        return (
            f"for group in optimizer.param_groups:\n"
            f"    group['lr'] = {self.lr:.3g}  # the peak (scale other groups to taste)\n"
            f"scheduler = lrplan.ScheduledLR(optimizer, lrplan.load({self.spec!r}))"
        )

    def __str__(self) -> str:
        return f"lr = {self.lr:.3g}, schedule = {self.spec}\n{self.reason}"


@dataclass(frozen=True)
class FindResult:
    """The curve of a range test and what it suggests.

    ``lrs[i]`` is the learning rate of param group 0 during counted step ``i`` (other
    groups ran at the same multiple of it as before the test), ``losses[i]`` that
    step's loss (the training loss, or the validation loss with a validation loader)
    and ``smoothed[i]`` its exponential moving average. Steps a ``GradScaler`` skipped
    are not counted (``skipped`` says how many there were).

    Example:
        >>> import lrplan as lp
        >>> fall = [2 - 0.05 * k for k in range(1, 31)]
        >>> curve = [2.0] * 10 + fall + [0.5 + 0.1 * k for k in range(10)]
        >>> lrs = [1e-6 * 10 ** (6 * i / 49) for i in range(50)]
        >>> r = lp.FindResult(lrs=lrs, losses=curve, smoothed=curve, start_lr=1e-6, end_lr=1.0,
        ...                   num_steps=50, mode="exp", smooth_f=0.0, diverge_th=5.0,
        ...                   stop_reason="completed")
        >>> s = r.suggest()  # valley, the default rule
        >>> s.rule, f"{s.lr:.3g}", s.index
        ('valley', '0.000655', 23)
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    start_lr: float
    end_lr: float
    num_steps: int
    mode: str
    smooth_f: float
    diverge_th: float
    stop_reason: str
    skipped: int = 0

    # ----------------------------------------------------------------- the curve

    @property
    def usable(self) -> int:
        """Number of leading steps whose loss is finite (suggestions look only at these)."""
        for i, (raw, smooth) in enumerate(zip(self.losses, self.smoothed, strict=True)):
            if not (math.isfinite(raw) and math.isfinite(smooth)):
                return i
        return len(self.losses)

    @property
    def noise(self) -> float:
        r"""The step-to-step noise of the raw loss: a robust standard deviation.

        .. math:: \sigma = 1.4826\,\operatorname{median}_i |L_{i+1} - 2L_i + L_{i-1}| / \sqrt 6

        Second differences of the raw losses cancel any locally linear trend, so what
        is left is the batch-to-batch noise; for independent noise of deviation
        :math:`\sigma` a second difference has deviation :math:`\sqrt 6\,\sigma`, and
        1.4826 x the median absolute value estimates a Gaussian deviation (the MAD).
        ``nan`` with fewer than 3 finite steps.
        """
        raw = np.asarray(self.losses[: self.usable], dtype=np.float64)
        if raw.size < 3:
            return math.nan
        return float(1.4826 * np.median(np.abs(np.diff(raw, 2))) / math.sqrt(6.0))

    def descent(self) -> tuple[float, float]:
        r"""How far the loss falls, and its standard error: ``(drop, se)``.

        ``drop`` is the mean raw loss of the first :math:`k = \max(3, n/10)` steps minus
        the mean raw loss of the :math:`k` steps that end at the minimum of the smoothed
        loss; ``se`` = :attr:`noise` x :math:`\sqrt{2/k}`, its standard error were the
        loss flat. A curve whose ``drop`` is under :data:`NOISE_FACTOR` x ``se`` is too
        noisy to support a suggestion: the descent could be chance.
        """
        n = self.usable
        raw = np.asarray(self.losses[:n], dtype=np.float64)
        k = max(3, n // 10)
        i_min = int(np.argmin(np.asarray(self.smoothed[:n], dtype=np.float64)))
        drop = float(raw[:k].mean() - raw[max(0, i_min + 1 - k) : i_min + 1].mean())
        return drop, self.noise * math.sqrt(2.0 / k)

    def _problem(self) -> str | None:
        """Why the curve supports no suggestion at all, or None."""
        n = self.usable
        if not self.losses:
            return "the range test recorded no step"
        if n == 0:
            return (
                f"the loss was not finite at the first step (lr={self.lrs[0]:.3g}): the "
                "model or loss is broken before any lr matters; check the inputs, the loss "
                "function and the initial weights"
            )
        if n < MIN_POINTS:
            return (
                f"only {n} step(s) have a finite loss (at least {MIN_POINTS} are needed): the "
                f"loss diverged at lr={self.lrs[n - 1]:.3g}; start lower (start_lr) or use "
                "more steps"
            )
        smooth = np.asarray(self.smoothed[:n], dtype=np.float64)
        if int(np.argmin(smooth)) == 0:
            return (
                f"the smoothed loss never fell below its first value ({smooth[0]:.4g}): the "
                "start lr is already too high, or the model does not learn on this data"
            )
        drop, se = self.descent()
        if not drop >= NOISE_FACTOR * se:
            return (
                f"too noisy to support a suggestion: the loss falls by {drop:.3g}, less than "
                f"{NOISE_FACTOR:g} x its standard error {se:.3g} (batch-to-batch noise "
                f"{self.noise:.3g}); use more steps, a larger batch or a validation loader"
            )
        return None

    def _range(self) -> tuple[float, float]:
        """The plausible range (Smith 2017, sec. 3.3): from where the smoothed loss has
        made :data:`RANGE_DESCENT` of its descent to where it is lowest."""
        n = self.usable
        smooth = np.asarray(self.smoothed[:n], dtype=np.float64)
        i_min = int(np.argmin(smooth))
        top = float(np.max(smooth[: i_min + 1]))
        target = top - RANGE_DESCENT * (top - float(smooth[i_min]))
        i_low = int(np.argmax(smooth[: i_min + 1] <= target))
        return self.lrs[i_low], self.lrs[i_min]

    # ----------------------------------------------------------------- suggestions

    def suggest(self, rule: str = DEFAULT_RULE) -> Suggestion:
        """The lr one rule reads off the curve, with the plausible range and reasoning.

        Every rule looks only at the steps before the first non-finite loss, and only
        when the curve passes the checks of :attr:`noise` and :data:`MIN_POINTS`; it
        then trims the curve the way its project does:

        * ``"valley"`` (fastai's default): the longest run of steps over which the
          smoothed loss keeps falling (the longest decreasing subsequence), and the
          point about half-way down it (at ``L/3 + L/6`` of its length ``L``). fastai
          trims the first ``num_steps // 10`` and the last 5 points.
        * ``"steepest"`` (torch-lr-finder's ``plot(suggest_lr=True)``): the minimum of
          ``numpy.gradient`` of the smoothed loss against the step index (for an
          exponential ramp, against log lr), skipping the first 10 and last 5 points.
        * ``"steepest_lightning"`` (Lightning's ``suggestion()``): the same against the
          lr itself, skipping the first 10 points and the last one.
        * ``"minimum"`` (fastai's ``minimum``): a tenth of the lr of the lowest
          smoothed loss, on fastai's trimmed curve.
        * ``"steep"`` (fastai's ``steep``): the steepest forward difference of the
          smoothed loss against log lr, on fastai's trimmed curve.

        The range is where the curve says training works (Smith 2017, sec. 3.3): from
        the lr where the smoothed loss has made 10% of its descent to the lr of its
        minimum, beyond which it rises. A peak lr belongs inside it.
        """
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        problem = self._problem()
        if problem is not None:
            return Suggestion(rule, None, None, None, None, problem)
        return self._apply(rule)

    def suggestions(self) -> dict[str, Suggestion]:
        """Every rule's suggestion, by rule name."""
        return {rule: self.suggest(rule) for rule in RULES}

    def _trimmed(self, skip_start: int, skip_end: int) -> tuple[int, np.ndarray, np.ndarray]:
        n = self.usable
        stop = min(n, len(self.losses) - skip_end)
        lrs = np.asarray(self.lrs[skip_start:stop], dtype=np.float64)
        smooth = np.asarray(self.smoothed[skip_start:stop], dtype=np.float64)
        return skip_start, lrs, smooth

    def _apply(self, rule: str) -> Suggestion:
        if rule == "steepest":
            first, lrs, loss = self._trimmed(10, 5)
            where = "torch-lr-finder, first 10 and last 5 points skipped"
        elif rule == "steepest_lightning":
            first, lrs, loss = self._trimmed(10, 1)
            where = "Lightning, first 10 points and the last one skipped"
        else:
            first, lrs, loss = self._trimmed(self.num_steps // 10, 5)
            where = f"fastai, first {self.num_steps // 10} and last 5 points skipped"
        if loss.size < 2:
            return Suggestion(
                rule,
                None,
                None,
                None,
                None,
                f"{rule}: too few points left after trimming ({where}): run more steps",
            )
        low, high = self._range()
        if rule == "steepest":
            k = int(np.argmin(np.gradient(loss)))
            lr = float(lrs[k])
            why = f"the smoothed loss falls fastest per step of the ramp at lr={lr:.3g}"
        elif rule == "steepest_lightning":
            k = int(np.argmin(np.gradient(loss, lrs)))
            lr = float(lrs[k])
            why = f"the smoothed loss falls fastest per unit of lr at lr={lr:.3g}"
        elif rule == "minimum":
            k = int(np.argmin(loss))
            lr = float(lrs[k]) / 10.0
            why = (
                f"the smoothed loss is lowest at lr={lrs[k]:.3g}; a tenth of that, "
                f"lr={lr:.3g}, is where it still falls clearly"
            )
        elif rule == "steep":
            grads = np.diff(loss) / np.diff(np.log(lrs))
            k = int(np.argmin(grads))
            lr = float(lrs[k])
            why = f"the smoothed loss falls fastest per unit of log lr at lr={lr:.3g}"
        else:
            start, length = _longest_valley(loss)
            k = max(0, start + int(length / 3) + int(length / 6))
            lr = float(lrs[k])
            why = (
                f"the longest stretch of falling loss runs from lr={lrs[max(0, start)]:.3g} "
                f"to lr={lrs[start + length]:.3g}; lr={lr:.3g} lies about half-way down it"
            )
        reason = (
            f"{rule} ({where}): {why} (step {first + k} of {len(self.lrs)}). "
            f"The loss falls from lr={low:.3g} and is lowest at lr={high:.3g}, so a peak lr "
            f"in [{low:.3g}, {high:.3g}] is plausible"
        )
        if lr < low:
            reason += "; the suggestion lies below that range: a cautious peak."
        elif lr > high:
            reason += "; the suggestion lies above that range, past the lowest loss: risky."
        else:
            reason += "."
        return Suggestion(rule, lr, first + k, low, high, reason)

    # ----------------------------------------------------------------- the plan

    def plan(
        self,
        total_steps: int,
        *,
        rule: str = DEFAULT_RULE,
        shape: str = "cosine",
        warmup_fraction: float = 0.1,
        end: float = 0.01,
    ) -> ProposedPlan:
        """A complete schedule over ``total_steps`` whose peak is the suggested lr.

        * ``"cosine"``: a linear warmup over ``warmup_fraction`` of the run, then cosine
          down to ``end`` x the peak (Loshchilov & Hutter, SGDR, ICLR 2017; Goyal et al.
          2017 for the warmup), the plan of ``lrplan demo``.
        * ``"wsd"``: the same warmup, a stable phase at the peak, and a 1-sqrt cooldown
          over the last 20% of the run to ``end`` x the peak (Hägele et al., NeurIPS
          2024).

        The suggested lr is used as the *peak*: Smith (2017, sec. 3.3) takes the lr
        where the loss stops falling as the maximum of a cycle, and fastai's one-cycle
        uses its suggestion (valley, or minimum/10) as the maximum lr. The schedule is a
        multiplier of the optimizer's lr: set the optimizer's lr to ``ProposedPlan.lr``.

        Raises:
            ValueError: the curve supports no suggestion (the message says why), or an
                argument is out of range.
        """
        total = _check_count("total_steps", total_steps, 2)
        if shape not in PLAN_SHAPES:
            raise ValueError(f"shape must be one of {PLAN_SHAPES}, got {shape!r}")
        if not (0.0 <= warmup_fraction < 1.0):
            raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}")
        if not (0.0 <= end <= 1.0):
            raise ValueError(f"end must be in [0, 1], got {end!r}")
        suggestion = self.suggest(rule)
        if suggestion.lr is None:
            raise ValueError(f"no plan: {suggestion.reason}")
        warm = min(total - 1, round(total * warmup_fraction))
        schedule: Schedule
        if shape == "cosine":
            schedule = warmup(Cosine(steps=total - warm, end=end), steps=warm)
            spec = f"warmup(Cosine(steps={total - warm}, end={end!r}), steps={warm})"
            how = f"linear warmup over {warm} steps, cosine to {end:g} x the peak"
        else:
            decay = max(1, round(total * 0.2))
            stable = max(0, total - warm - decay)
            schedule = WarmupStableDecay(
                warmup=warm, stable=stable, decay=decay, min_ratio=end, decay_shape="1-sqrt"
            )
            spec = (
                f"WarmupStableDecay(warmup={warm}, stable={stable}, decay={decay}, "
                f"min_ratio={end!r}, decay_shape='1-sqrt')"
            )
            how = (
                f"linear warmup over {warm} steps, {stable} steps at the peak, 1-sqrt "
                f"cooldown over {decay} steps to {end:g} x the peak"
            )
        reason = (
            f"peak lr {suggestion.lr:.3g} from the range test: {suggestion.reason}\n"
            f"plan over {total} steps: {how}. The schedule multiplies the optimizer's lr, "
            f"so set lr={suggestion.lr:.3g}."
        )
        return ProposedPlan(suggestion.lr, schedule, spec, total, suggestion, reason)

    # ----------------------------------------------------------------- pictures

    def plot(self, path: Any = None, *, rule: str = DEFAULT_RULE, title: str | None = None) -> Any:
        """Draw raw and smoothed loss against lr (log x axis), the suggestion and the
        range; write it to ``path`` (.png or .svg) if given. Returns the Figure.

        Raises:
            ImportError: matplotlib is not installed.
        """
        return _find_plot.plot_find(self, self.suggest(rule), path=path, title=title)

    def terminal_chart(
        self,
        *,
        rule: str = DEFAULT_RULE,
        width: int | None = None,
        height: int | None = None,
        color: bool | None = None,
    ) -> str:
        """The same picture as a terminal chart (plotext 6); ANSI colours by default only
        when stdout is a terminal.

        Raises:
            ImportError: plotext is not installed.
        """
        return _find_plot.find_chart(
            self, self.suggest(rule), width=width, height=height, color=color
        )

    def _repr_png_(self) -> bytes | None:
        """The plot, for notebooks; ``None`` without matplotlib."""
        try:
            return _find_plot.find_png_bytes(self, self.suggest(DEFAULT_RULE))
        except ImportError:
            return None

    def summary(self, rule: str = DEFAULT_RULE) -> str:
        """A few lines: how the test ended and what the rule suggests."""
        s = self.suggest(rule)
        head = (
            f"range test: {len(self.lrs)} step(s) from lr={self.start_lr:.3g} "
            f"({self.mode} ramp to {self.end_lr:.3g} over {self.num_steps}); "
            f"stopped: {self.stop_reason}"
        )
        if self.skipped:
            head += f"; {self.skipped} step(s) skipped by the GradScaler, not counted"
        lines = [head]
        lines.append(f"suggested lr: {s.lr:.3g}" if s.lr is not None else "no suggestion")
        lines.append(s.reason)
        return "\n".join(lines)


def _longest_valley(loss: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest strictly decreasing subsequence of ``loss``, as
    fastai's ``valley`` measures it: ``length`` is its number of points and ``start``
    its last index minus ``length`` (the point before a contiguous run). O(n^2), which
    is nothing for a few hundred points."""
    n = int(loss.size)
    run = [1] * n  # run[i]: the longest decreasing subsequence ending at i
    best_end = 0
    for i in range(1, n):
        for j in range(i):
            if loss[i] < loss[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
        if run[i] > run[best_end]:
            best_end = i
    return best_end - run[best_end], run[best_end]


# --------------------------------------------------------------------------- the loop form


class RangeTest:
    """The range test inside your own training loop.

    Inside ``with RangeTest(optimizer, model=model) as test:`` the optimizer's lr
    follows the ramp; after each optimizer step call ``test.step(loss)`` with the
    step's (unscaled) loss, and stop when ``test.should_stop``. Leaving the block puts
    the model, optimizer, ``scaler`` and RNG states back as they were, bit for bit;
    ``test.result`` is the :class:`FindResult`.

    Param groups keep their lr ratios: group 0 follows the ramp and each other group
    runs at its own lr times the same factor. With a ``GradScaler`` (``scaler``), a step
    it skipped (inf or NaN gradients, seen as a drop of ``scaler.get_scale()``) is not
    counted: the same lr is tried again, and ``result.skipped`` counts the skips.

    Args:
        optimizer: any ``torch.optim.Optimizer``.
        model: restored at the end (``None``: only the optimizer and RNG are).
        scaler: a ``torch.amp.GradScaler`` whose skipped steps are not counted.
        start_lr, end_lr: the lr of the first and the last step (group 0).
        num_steps: counted steps in the ramp (at least 2).
        mode: ``"exp"`` (geometric, the default) or ``"linear"``.
        smooth_f: weight of the newest loss in the moving average, in [0, 1); 0 turns
            smoothing off.
        diverge_th: the test stops when the smoothed loss exceeds this times the best
            smoothed loss so far (> 1), or when a loss is not finite.
        stop_on_divergence: set False to run the whole ramp anyway.
        max_skipped: stop after this many skipped steps (default ``num_steps``).

    Example:
        >>> import torch, lrplan as lp
        >>> _ = torch.manual_seed(0)
        >>> model = torch.nn.Linear(3, 1)
        >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        >>> before = model.weight.clone()
        >>> x = torch.randn(64, 3); y = x.sum(dim=1, keepdim=True)
        >>> with lp.RangeTest(opt, model=model, start_lr=1e-4, end_lr=10.0, num_steps=60) as test:
        ...     while not test.should_stop:
        ...         loss = torch.nn.functional.mse_loss(model(x), y)
        ...         opt.zero_grad(); loss.backward(); opt.step()
        ...         test.step(loss)
        >>> len(test.result.lrs), test.result.lrs[0], opt.param_groups[0]["lr"]
        (60, 0.0001, 0.001)
        >>> torch.equal(model.weight, before), opt.state == {}
        (True, True)
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        *,
        model: nn.Module | None = None,
        scaler: Any = None,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_steps: int = 100,
        mode: str = "exp",
        smooth_f: float = 0.05,
        diverge_th: float = 5.0,
        stop_on_divergence: bool = True,
        max_skipped: int | None = None,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
            )
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
        if scaler is not None and not callable(getattr(scaler, "get_scale", None)):
            raise TypeError(f"scaler must be a torch.amp.GradScaler, got {type(scaler).__name__}")
        self.start_lr = _check_positive("start_lr", start_lr)
        self.end_lr = _check_positive("end_lr", end_lr)
        if self.end_lr <= self.start_lr:
            raise ValueError(
                f"end_lr must be greater than start_lr, got start_lr={start_lr!r}, "
                f"end_lr={end_lr!r}: the range test raises the lr"
            )
        self.num_steps = _check_count("num_steps", num_steps, 2)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.mode = mode
        if isinstance(smooth_f, bool) or not (0.0 <= smooth_f < 1.0):
            raise ValueError(f"smooth_f must be in [0, 1), got {smooth_f!r}")
        self.smooth_f = float(smooth_f)
        if isinstance(diverge_th, bool) or not (diverge_th > 1.0 and math.isfinite(diverge_th)):
            raise ValueError(f"diverge_th must be a finite number > 1, got {diverge_th!r}")
        self.diverge_th = float(diverge_th)
        self.stop_on_divergence = bool(stop_on_divergence)
        limit = self.num_steps if max_skipped is None else max_skipped
        self.max_skipped = _check_count("max_skipped", limit, 0)
        self.optimizer = optimizer
        self.model = model
        self.scaler = scaler
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.skipped = 0
        self.stop_reason = ""
        self._ratios: list[float] = []
        self._scale = 0.0
        self._best = math.inf
        self._snapshot: _Snapshot | None = None
        self._result: FindResult | None = None

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> RangeTest:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Copy the states and set the first lr (``with`` does this for you)."""
        if self._snapshot is not None or self._result is not None:
            raise RuntimeError("a RangeTest runs once; make a new one for another test")
        self._snapshot = _Snapshot.take(self.model, self.optimizer, self.scaler)
        first = float(self.optimizer.param_groups[0]["lr"])
        if not first > 0:
            raise ValueError(
                f"param group 0 has lr={first!r}; the other groups' lrs are kept as "
                "multiples of it, so it must be > 0"
            )
        self._ratios = [float(g["lr"]) / first for g in self.optimizer.param_groups]
        self._scale = float(self.scaler.get_scale()) if self.scaler is not None else 0.0
        self._set_lr(self.start_lr)

    def close(self) -> None:
        """Put everything back and freeze the result (``with`` does this for you)."""
        if self._snapshot is None:
            raise RuntimeError("the RangeTest was not started")
        if self._result is None:
            self._snapshot.restore()
            if not self.stop_reason:
                self.stop_reason = "stopped by the caller"
            self._result = FindResult(
                lrs=list(self.lrs),
                losses=list(self.losses),
                smoothed=list(self.smoothed),
                start_lr=self.start_lr,
                end_lr=self.end_lr,
                num_steps=self.num_steps,
                mode=self.mode,
                smooth_f=self.smooth_f,
                diverge_th=self.diverge_th,
                stop_reason=self.stop_reason,
                skipped=self.skipped,
            )

    # ----------------------------------------------------------------- stepping

    @property
    def lr(self) -> float:
        """The lr (group 0) of the step about to be taken."""
        return ramp_lr(len(self.lrs), self.num_steps, self.start_lr, self.end_lr, self.mode)

    @property
    def should_stop(self) -> bool:
        """True once the ramp is done, the loss diverged, or too many steps were skipped."""
        return bool(self.stop_reason)

    @property
    def result(self) -> FindResult:
        """The curve and its suggestions, once the test has ended."""
        if self._result is None:
            raise RuntimeError("the range test has not ended: leave the `with` block first")
        return self._result

    def _set_lr(self, lr: float) -> None:
        for group, ratio in zip(self.optimizer.param_groups, self._ratios, strict=True):
            value = lr * ratio
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(value)
            else:
                group["lr"] = value

    def step(self, loss: float | torch.Tensor) -> None:
        """Record the loss of the optimizer step just taken and set the next lr."""
        if self._snapshot is None or self._result is not None:
            raise RuntimeError("call step() inside the `with RangeTest(...)` block")
        if self.should_stop:
            raise RuntimeError(f"the range test has stopped ({self.stop_reason}); leave the loop")
        value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        if self.scaler is not None:
            scale = float(self.scaler.get_scale())
            skipped = scale < self._scale
            self._scale = scale
            if skipped:
                self.skipped += 1
                if self.skipped > self.max_skipped:
                    self.stop_reason = f"the GradScaler skipped more than {self.max_skipped} steps"
                return
        self._record(value)

    def _record(self, value: float) -> None:
        lr = self.lr
        if self.smoothed and self.smooth_f > 0:
            smooth = self.smooth_f * value + (1.0 - self.smooth_f) * self.smoothed[-1]
        else:
            smooth = value
        self.lrs.append(lr)
        self.losses.append(value)
        self.smoothed.append(smooth)
        if len(self.smoothed) == 1 or smooth < self._best:
            self._best = smooth
        if not (math.isfinite(value) and math.isfinite(smooth)):
            self.stop_reason = f"the loss is not finite at lr={lr:.3g}"
        elif self.stop_on_divergence and smooth > self.diverge_th * self._best:
            self.stop_reason = "diverged"
        elif len(self.lrs) == self.num_steps:
            self.stop_reason = "completed"
        else:
            self._set_lr(self.lr)


# --------------------------------------------------------------------------- the run form

StepFn = Callable[[nn.Module, Any], torch.Tensor]


class BatchError(TypeError):
    """A batch the default step cannot take apart into ``(inputs, targets, ...)``."""


def _device_of(model: nn.Module) -> torch.device | None:
    for p in model.parameters():
        return p.device
    return None


def _to(obj: Any, device: torch.device | None) -> Any:
    if device is None:
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple | list):
        return type(obj)(_to(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to(v, device) for k, v in obj.items()}
    return obj


def _default_step(loss_fn: Callable[..., torch.Tensor]) -> StepFn:
    def step(model: nn.Module, batch: Any) -> torch.Tensor:
        if not isinstance(batch, tuple | list) or len(batch) < 2:
            raise BatchError(
                "each batch must be (inputs, targets, ...); pass step_fn=lambda model, "
                "batch: loss for other batches"
            )
        device = _device_of(model)
        return loss_fn(model(_to(batch[0], device)), _to(batch[1], device))

    return step


def _batches(loader: Iterable[Any]) -> Iterator[Any]:
    """The loader's batches, starting over whenever it runs out."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the loader yielded no batch")


def _validate(model: nn.Module, step_fn: StepFn, loader: Iterable[Any]) -> float:
    """Mean loss over the whole validation loader, weighted by batch size."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in loader:
            size = len(batch[1]) if isinstance(batch, tuple | list) and len(batch) > 1 else 1
            total += float(step_fn(model, batch)) * size
            count += size
    if count == 0:
        raise ValueError("the validation loader yielded no batch")
    return total / count


def find_lr(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[..., torch.Tensor] | None,
    loader: Iterable[Any],
    *,
    step_fn: StepFn | None = None,
    val_loader: Iterable[Any] | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smooth_f: float = 0.05,
    diverge_th: float = 5.0,
    stop_on_divergence: bool = True,
    accumulation_steps: int = 1,
    scaler: Any = None,
    progress: Callable[[int, int, float, float], None] | None = None,
) -> FindResult:
    """Run the range test on ``model`` and return its curve and suggestions.

    Each counted step: ``model.train()``, zero the gradients, then for each of
    ``accumulation_steps`` batches compute ``step_fn(model, batch) / accumulation_steps``
    (by default ``loss_fn(model(inputs), targets)`` on ``(inputs, targets, ...)``
    batches, moved to the model's device) and back-propagate it (through ``scaler``
    when given), then step the optimizer. The step's loss is the sum of those parts,
    or, with ``val_loader``, the mean loss over the whole validation loader. The
    loader starts over when it runs out.

    Everything it changes is put back at the end, as in :class:`RangeTest`, whose
    arguments it shares. ``progress(step, num_steps, lr, loss)`` is called after
    each counted step. The defaults (100 steps from 1e-7 to 10, ``smooth_f=0.05``,
    ``diverge_th=5``) are torch-lr-finder's and fastai's.

    Differences from torch-lr-finder (same lrs and losses otherwise): several param
    groups keep their lr ratios (it sets every group to ``start_lr``); a step the
    ``GradScaler`` skipped is not counted; a non-finite loss stops the test; the
    RNG states and the model's gradients and train/eval flags are restored too; the
    restore always happens (its ``reset()`` is up to the caller).

    Raises:
        ValueError: a bad argument, or an empty loader.

    Example:
        >>> import torch, lrplan as lp
        >>> _ = torch.manual_seed(0)
        >>> model = torch.nn.Linear(4, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> x = torch.randn(256, 4); y = x.sum(dim=1, keepdim=True)
        >>> batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)]
        >>> result = lp.find_lr(model, opt, torch.nn.MSELoss(), batches, start_lr=1e-4)
        >>> result.stop_reason, len(result.lrs), opt.param_groups[0]["lr"]
        ('diverged', 91, 0.1)
        >>> f"{result.suggest('valley').lr:.3g}"
        '0.0335'
    """
    if step_fn is None:
        if loss_fn is None:
            raise ValueError("give loss_fn, or a step_fn that returns the loss")
        step_fn = _default_step(loss_fn)
    k = _check_count("accumulation_steps", accumulation_steps, 1)
    test = RangeTest(
        optimizer,
        model=model,
        scaler=scaler,
        start_lr=start_lr,
        end_lr=end_lr,
        num_steps=num_steps,
        mode=mode,
        smooth_f=smooth_f,
        diverge_th=diverge_th,
        stop_on_divergence=stop_on_divergence,
    )
    batches = _batches(loader)
    with test:
        while not test.should_stop:
            model.train()
            optimizer.zero_grad()
            total: torch.Tensor | None = None
            for _ in range(k):
                loss = step_fn(model, next(batches)) / k
                (scaler.scale(loss) if scaler is not None else loss).backward()
                total = loss.detach() if total is None else total + loss.detach()
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            assert total is not None
            value = float(total) if val_loader is None else _validate(model, step_fn, val_loader)
            lr = test.lr
            counted = len(test.lrs)
            test.step(value)
            if progress is not None and len(test.lrs) > counted:
                progress(len(test.lrs), test.num_steps, lr, value)
    return test.result
