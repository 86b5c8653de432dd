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
import functools
import math
import numbers
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

#: A suggestion needs a descent that a loss the lr does not affect would show by
#: chance at most this often (see :attr:`FindResult.chance`).
NOISE_LEVEL = 0.01

#: Curves of pure noise that :attr:`FindResult.chance` compares a curve with.
NULL_DRAWS = 999

#: Fewest recorded steps (before the first non-finite loss) that support a suggestion.
MIN_POINTS = 10

#: The plausible range starts where the smoothed loss has made this much of its descent.
RANGE_DESCENT = 0.1

#: Plan shapes :meth:`FindResult.plan` proposes.
PLAN_SHAPES = ("cosine", "wsd")

_MODES = ("exp", "linear")


def _check_positive(name: str, value: float) -> float:
    number = _check_number(name, value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def _check_count(name: str, value: int, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


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


def _saved(key: str, value: Any) -> Any:
    """A copy of an optimizer entry; a group's ``params`` list keeps the parameters."""
    return list(value) if key == "params" else copy.deepcopy(value)


def _put_back(live: Any, saved: Any) -> Any:
    """The object to store again for an entry whose value was ``live`` when the snapshot
    was taken: tensors (alone or in a tuple, like tensor ``betas``) get their values
    back by ``copy_``, so they keep their identity and dtype; lists are refilled in
    place; anything else is the saved copy."""
    if isinstance(live, torch.Tensor) and isinstance(saved, torch.Tensor):
        with torch.no_grad():
            live.copy_(saved)
        return live
    if isinstance(live, tuple) and isinstance(saved, tuple) and len(live) == len(saved):
        for a, b in zip(live, saved, strict=True):
            _put_back(a, b)
        return live
    if isinstance(live, list) and isinstance(saved, list):
        live[:] = saved
        return live
    return saved


@dataclass
class _Snapshot:
    """Everything the test changes, copied once in memory, and put back bit for bit.

    The tensors are put back by ``copy_`` into the very objects that were there when
    the test started (parameters, buffers, optimizer state, tensor group entries),
    so their dtypes and identities survive: going through ``load_state_dict`` would
    cast optimizer state to the parameters' dtype and replace the objects.
    """

    optimizer: torch.optim.Optimizer
    scaler: Any
    # (module, name, the tensor there, its copy): buffers (non-persistent ones too) and,
    # without a copy (``params`` has it), parameters
    slots: list[tuple[nn.Module, str, torch.Tensor, torch.Tensor | None]]
    # (parameter, its copy, its gradient's copy): the model's and the optimizer's
    params: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]
    modules: list[tuple[nn.Module, bool]]
    # (module, a copy of its get_extra_state()): modules that define extra state
    extra: list[tuple[nn.Module, Any]]
    state: dict[torch.Tensor, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]
    groups: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]
    scaler_state: dict[str, Any] | None
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor] | None
    python_rng: tuple[Any, ...]
    numpy_rng: Any

    @classmethod
    def take(
        cls, model: nn.Module | None, optimizer: torch.optim.Optimizer, scaler: Any
    ) -> _Snapshot:
        modules = [] if model is None else list(model.modules())
        slots: list[tuple[nn.Module, str, torch.Tensor, torch.Tensor | None]] = []
        for m in modules:
            slots += [(m, name, p, None) for name, p in m.named_parameters(recurse=False)]
            slots += [
                (m, name, b, b.detach().clone()) for name, b in m.named_buffers(recurse=False)
            ]
        params: dict[int, torch.Tensor] = {}
        for p in [] if model is None else model.parameters():
            params[id(p)] = p
        for group in optimizer.param_groups:
            for p in group["params"]:
                params[id(p)] = p
        # CUDA's generators only if CUDA is in use: asking would initialise it
        cuda = torch.cuda.is_available() and torch.cuda.is_initialized()  # type: ignore[no-untyped-call]
        return cls(
            optimizer=optimizer,
            scaler=scaler,
            slots=slots,
            params=[
                (p, p.detach().clone(), None if p.grad is None else p.grad.detach().clone())
                for p in params.values()
            ],
            modules=[(m, m.training) for m in modules],
            extra=[
                (m, copy.deepcopy(m.get_extra_state()))
                for m in modules
                if type(m).get_extra_state is not nn.Module.get_extra_state
            ],
            state={
                p: (s, dict(s), {k: _saved(k, v) for k, v in s.items()})
                for p, s in optimizer.state.items()
            },
            groups=[
                (g, dict(g), {k: _saved(k, v) for k, v in g.items()})
                for g in optimizer.param_groups
            ],
            scaler_state=None if scaler is None else copy.deepcopy(scaler.state_dict()),
            torch_rng=torch.get_rng_state(),
            cuda_rng=torch.cuda.get_rng_state_all() if cuda else None,
            python_rng=random.getstate(),
            numpy_rng=np.random.get_state(),
        )

    def restore(self) -> None:
        for m, name, tensor, saved in self.slots:
            if getattr(m, name) is not tensor:
                setattr(m, name, tensor)
            if saved is not None:
                _put_back(tensor, saved)
        for p, data, grad in self.params:
            _put_back(p, data)
            p.grad = grad
        for m, flag in self.modules:
            m.training = flag
        for m, extra in self.extra:
            m.set_extra_state(copy.deepcopy(extra))
        _put_back_dicts(self.groups)
        self.optimizer.param_groups[:] = [live for live, _, _ in self.groups]
        state = self.optimizer.state
        for p in [p for p in state if p not in self.state]:  # created during the test
            del state[p]
        _put_back_dicts(list(self.state.values()))
        for p, (live, _, _) in self.state.items():
            state[p] = live
        if self.scaler is not None and self.scaler_state is not None:
            self.scaler.load_state_dict(self.scaler_state)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        random.setstate(self.python_rng)
        np.random.set_state(self.numpy_rng)


def _put_back_dicts(entries: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]) -> None:
    """Refill each live dict in place with its entries as they were: the objects that
    were there, given their values back, in their order; entries added since go."""
    for live, objects, saved in entries:
        live.clear()
        for key, obj in objects.items():
            live[key] = _put_back(obj, saved[key])


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
        return float(_noise(raw[None, :])[0])

    def descent(self) -> tuple[float, float]:
        r"""How far the loss falls, and its standard error: ``(drop, se)``.

        ``drop`` is the mean raw loss of the first :math:`k = \max(3, n/10)` steps minus
        the mean raw loss of the :math:`k` steps that end at the minimum of the smoothed
        loss; ``se`` = :attr:`noise` x :math:`\sqrt{2/k}`, its standard error were the
        loss flat and the window fixed in advance. It describes the curve; whether the
        fall could be chance is :attr:`chance`'s to say, since the window is chosen at
        the minimum, where the noise dips lowest.
        """
        n = self.usable
        raw = np.asarray(self.losses[:n], dtype=np.float64)
        k = max(3, n // 10)
        i_min = int(np.argmin(np.asarray(self.smoothed[:n], dtype=np.float64)))
        drop = float(raw[:k].mean() - raw[max(0, i_min + 1 - k) : i_min + 1].mean())
        return drop, self.noise * math.sqrt(2.0 / k)

    @functools.cached_property
    def chance(self) -> float:
        r"""How often a loss that does not depend on the lr would seem to fall as far:
        a p-value for the descent that pays for where the window was chosen.

        With :math:`k = \max(3, \lfloor n/10 \rfloor)` and :math:`m` the step where the
        moving average of the loss (the test's own smoothing) is lowest, the statistic
        is the fall between medians in units of :attr:`noise`:

        .. math:: T = \frac{\operatorname{median}(L_0..L_{k-1})
                  - \operatorname{median}(L_{m-k+1}..L_m)}{\hat\sigma}

        Its null distribution is drawn from :data:`NULL_DRAWS` curves of :math:`n`
        steps of independent standard normal noise (a fixed seed: the same curve
        always gets the same answer), each with its own :math:`m` and
        :math:`\hat\sigma` found the same way: a parametric bootstrap of the whole
        procedure (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993), so
        the window chosen after looking at the curve, where the noise dips lowest, is
        accounted for. ``chance`` is :math:`(1 + \#\{T_b \ge T\}) / (B + 1)` (Phipson
        & Smyth, 2010). Medians and the median-based :math:`\hat\sigma` keep
        heavy-tailed noise (one wild batch) and a diverging tail from deciding it.
        The null depends only on :math:`n`, the smoothing and :math:`k`, and is
        computed once for each. A curve with ``chance`` above :data:`NOISE_LEVEL` is
        too noisy to support a suggestion. Noise correlated from step to step (a loss
        that drifts like a random walk) is outside what it tests: a drift looks like
        a descent. ``nan`` with fewer than 3 finite steps.

        Example:
            >>> import lrplan as lp
            >>> curve = [2.0 - 0.03 * k for k in range(40)] + [1.0 + 0.2 * k for k in range(10)]
            >>> lrs = [1e-6 * 10 ** (6 * i / 49) for i in range(50)]
            >>> r = lp.FindResult(lrs=lrs, losses=curve, smoothed=curve, start_lr=1e-6,
            ...                   end_lr=1.0, num_steps=50, mode="exp", smooth_f=0.0,
            ...                   diverge_th=5.0, stop_reason="completed")
            >>> r.chance  # a noiseless fall: no noise-only curve beats it
            0.001
        """
        n = self.usable
        if n < 3:
            return math.nan
        raw = np.asarray(self.losses[:n], dtype=np.float64)[None, :]
        k = max(3, n // 10)
        f = min(max(self.smooth_f, 0.0), 1.0)
        drop, sigma = float(_drops(raw, f, k)[0]), float(_noise(raw)[0])
        # a curve without noise: any fall is real
        observed = drop / sigma if sigma > 0 else (math.inf if drop > 0 else -math.inf)
        beaten = int(np.sum(_null_drops(n, f, k) >= observed))
        return (1 + beaten) / (NULL_DRAWS + 1)

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
        if not self.chance <= NOISE_LEVEL:
            drop, _ = self.descent()
            return (
                f"too noisy to support a suggestion: the loss falls by {drop:.3g} "
                f"(batch-to-batch noise {self.noise:.3g}), but curves of pure noise "
                f"seem to fall as far {self.chance:.1%} of the time (at most "
                f"{NOISE_LEVEL:.0%} is accepted); use more steps, a larger batch or a "
                "validation loader"
            )
        return None

    def _range(self) -> tuple[float, float]:
        """The plausible range (Smith 2017, sec. 3.3): from where the smoothed loss,
        falling from its highest point before its minimum, has made
        :data:`RANGE_DESCENT` of that descent, to where it is lowest."""
        n = self.usable
        smooth = np.asarray(self.smoothed[:n], dtype=np.float64)
        i_min = int(np.argmin(smooth))
        i_top = int(np.argmax(smooth[: i_min + 1]))  # the descent starts at the highest point
        target = float(smooth[i_top]) - RANGE_DESCENT * float(smooth[i_top] - smooth[i_min])
        i_low = i_top + int(np.argmax(smooth[i_top : i_min + 1] <= target))
        return self.lrs[i_low], self.lrs[i_min]

    # ----------------------------------------------------------------- suggestions

    def suggest(self, rule: str = DEFAULT_RULE) -> Suggestion:
        """The lr one rule reads off the curve, with the plausible range and reasoning.

        Every rule looks only at the steps before the first non-finite loss, and only
        when the curve passes the checks of :attr:`chance` and :data:`MIN_POINTS`; it
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
          over the last 20% of the run (or what the warmup leaves, if less) to ``end`` x
          the peak (Hägele et al., NeurIPS 2024). Either plan lasts ``total_steps``.

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
        fraction = _check_number("warmup_fraction", warmup_fraction)
        if not (0.0 <= fraction < 1.0):
            raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction!r}")
        end = _check_number("end", end)
        if not (0.0 <= end <= 1.0):
            raise ValueError(f"end must be in [0, 1], got {end!r}")
        suggestion = self.suggest(rule)
        if suggestion.lr is None:
            raise ValueError(f"no plan: {suggestion.reason}")
        warm = min(total - 1, round(total * fraction))
        schedule: Schedule
        if shape == "cosine":
            schedule = warmup(Cosine(steps=total - warm, end=end), steps=warm)
            spec = f"warmup(Cosine(steps={total - warm}, end={end!r}), steps={warm})"
            how = f"linear warmup over {warm} steps, cosine to {end:g} x the peak"
        else:
            # the cooldown is 20% of the run, or what the warmup leaves of it
            decay = min(total - warm, max(1, round(total * 0.2)))
            stable = total - warm - decay
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


def _noise(losses: np.ndarray) -> np.ndarray:
    """:attr:`FindResult.noise` for each row of ``losses``."""
    second = np.abs(np.diff(losses, 2, axis=1))
    noise: np.ndarray = 1.4826 * np.median(second, axis=1) / math.sqrt(6.0)
    return noise


@functools.lru_cache(maxsize=16)
def _null_drops(n: int, f: float, k: int) -> np.ndarray:
    """:func:`_drops` over :func:`_noise` on :data:`NULL_DRAWS` curves of ``n`` steps of
    independent standard normal noise (a fixed seed): the null of :attr:`FindResult.chance`."""
    z = np.random.default_rng(0).standard_normal((NULL_DRAWS, n))
    null: np.ndarray = _drops(z, f, k) / _noise(z)
    return null


def _drops(losses: np.ndarray, f: float, k: int) -> np.ndarray:
    """:attr:`FindResult.chance`'s statistic for each row of ``losses``: the median of
    the first ``k`` minus the median of the ``k`` ending at the minimum of their moving
    average with weight ``f`` (the recursion of :meth:`RangeTest.step`)."""
    smooth = losses.copy()
    if f > 0:
        for i in range(1, losses.shape[1]):
            smooth[:, i] = f * losses[:, i] + (1.0 - f) * smooth[:, i - 1]
    at = np.arange(k) + (np.argmin(smooth, axis=1) + 1 - k)[:, None]  # the windows
    window = np.where(at >= 0, np.take_along_axis(losses, np.maximum(at, 0), axis=1), np.nan)
    drops: np.ndarray = np.median(losses[:, :k], axis=1) - np.nanmedian(window, axis=1)
    return drops


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
    counted: the same lr is tried again, and ``result.skipped`` counts the skips. A
    loss that is not finite still stops the test, with or without a scaler.

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
        max_skipped: the test stops once more than this many steps were skipped
            (default ``num_steps``); 0 stops it at the first skip.

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
        self.smooth_f = _check_number("smooth_f", smooth_f)
        if not (0.0 <= self.smooth_f < 1.0):
            raise ValueError(f"smooth_f must be in [0, 1), got {smooth_f!r}")
        self.diverge_th = _check_number("diverge_th", diverge_th)
        if not (self.diverge_th > 1.0 and math.isfinite(self.diverge_th)):
            raise ValueError(f"diverge_th must be a finite number > 1, got {diverge_th!r}")
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
        first = float(self.optimizer.param_groups[0]["lr"])
        if not first > 0:
            raise ValueError(
                f"param group 0 has lr={first!r}; the other groups' lrs are kept as "
                "multiples of it, so it must be > 0"
            )
        self._snapshot = _Snapshot.take(self.model, self.optimizer, self.scaler)
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
        if self.scaler is not None and math.isfinite(value):  # a non-finite loss stops it
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


class _LoaderRanOut(Exception):
    """A loader that yielded batches once and none when iterated again (a generator)."""


def _batches(loader: Iterable[Any]) -> Iterator[Any]:
    """The loader's batches, starting over whenever it runs out.

    Raises:
        ValueError: the loader yields no batch at all.
        _LoaderRanOut: it yielded ``count`` batches, then none on the next pass.
    """
    count = 0
    while True:
        before = count
        for batch in loader:
            count += 1
            yield batch
        if count == 0:
            raise ValueError("the loader yielded no batch")
        if count == before:
            raise _LoaderRanOut(
                f"the loader ran out after {count} batch(es) and yields none when iterated "
                "again (a generator?); pass a list or a DataLoader to run the whole ramp"
            )


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
    loader starts over when it runs out; one that cannot (a generator) ends the test
    there, with the curve so far and a ``stop_reason`` that says so.

    Everything it changes is put back at the end, as in :class:`RangeTest`, whose
    arguments it shares. ``progress(step, num_steps, lr, loss)`` is called after
    each counted step. The defaults: 100 steps up to ``end_lr=10`` (fastai's and
    torch-lr-finder's), from ``start_lr=1e-7`` (fastai's; torch-lr-finder starts at the
    optimizer's lr), ``smooth_f=0.05`` and ``diverge_th=5`` (torch-lr-finder's; fastai
    smooths with 0.02, i.e. beta 0.98, and stops at 4 x the best loss).

    Differences from torch-lr-finder (same lrs and losses otherwise): several param
    groups keep their lr ratios (it sets every group to ``start_lr``); a step the
    ``GradScaler`` skipped is not counted; a non-finite loss stops the test; the
    RNG states and the model's gradients and train/eval flags are restored too; the
    restore always happens (its ``reset()`` is up to the caller).

    Raises:
        ValueError: a bad argument, or a loader that yields no batch.

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
                try:
                    batch = next(batches)
                except _LoaderRanOut as exc:
                    test.stop_reason = str(exc)  # the curve so far is kept
                    break
                loss = step_fn(model, batch) / k
                (scaler.scale(loss) if scaler is not None else loss).backward()
                total = loss.detach() if total is None else total + loss.detach()
            if test.should_stop:  # the loader ran out part-way through the step
                break
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
