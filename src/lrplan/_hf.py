"""The HF transformers scheduler vocabulary, torch side: :func:`get_scheduler`, the
``get_*`` functions of ``transformers.optimization``, :class:`HFScheduledLR` and
:class:`GreedyLR`.

The schedules themselves (the closed-form multipliers of every name, and the name
list :class:`SchedulerType`) are pure values in :mod:`lrplan._schedules._hf`, so they
can be shown and plotted without torch; this module puts them on an optimizer.
:mod:`lrplan.transformers` re-exports this API under transformers' module layout.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, SupportsFloat

from torch.optim import Optimizer

from ._compat_plateau import ReduceLROnPlateau, _at_least_0, _copy, _number, logger
from ._driver import (
    STATE_FORMAT,
    STATE_VERSION,
    LRScheduler,
    ScheduledLR,
    check_state_header,
    check_state_mapping,
)
from ._groups import as_float, read_floats, write
from ._schedules import Schedule
from ._schedules._hf import HF_SCHEDULER_NAMES, SchedulerType, _normalise_name, hf_schedule

__all__ = [
    "HF_SCHEDULER_NAMES",
    "TYPE_TO_SCHEDULER_FUNCTION",
    "GreedyLR",
    "HFScheduledLR",
    "SchedulerType",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_greedy_schedule",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_reduce_on_plateau_schedule",
    "get_scheduler",
    "get_wsd_schedule",
    "hf_schedule",
]


# --------------------------------------------------------------------------- HFScheduledLR


class HFScheduledLR(ScheduledLR):
    """A :class:`~lrplan.ScheduledLR` that behaves like transformers' ``LambdaLR``.

    Each step writes ``base_lr * schedule(step)`` whatever other schedulers did
    (transformers' schedulers are ``LambdaLR``, which is not chainable).
    :func:`get_scheduler` returns one; ``name`` is the transformers name.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = lp.get_scheduler("linear", opt, num_warmup_steps=2, num_training_steps=10)
        >>> type(sched).__name__, sched.name, sched.get_last_lr()
        ('HFScheduledLR', 'linear', [0.0])
        >>> for _ in range(2):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.1]
    """

    _chainable: ClassVar[bool] = False

    def __init__(
        self, optimizer: Optimizer, schedule: Schedule, *, name: str, last_epoch: int = -1
    ) -> None:
        self.name = name
        super().__init__(optimizer, schedule, key="lr", last_epoch=last_epoch)

    def _config(self) -> dict[str, Any]:
        cfg = super()._config()
        cfg["name"] = self.name
        return cfg

    def state_dict(self) -> dict[str, Any]:
        """:class:`~lrplan.ScheduledLR`'s state plus ``LambdaLR``'s ``"lr_lambdas"`` key
        (``None`` for each group: nothing to restore), so that transformers'
        scheduler of the same name and arguments loads it and resumes with the same
        lrs. This class loads transformers' states as well."""
        state = super().state_dict()
        state["lr_lambdas"] = [None] * len(self.optimizer.param_groups)
        return state


# --------------------------------------------------------------------------- greedy


#: GreedyLR's constructor arguments that its state holds (transformers' keys).
_GREEDY_ARGS = (
    "factor",
    "min_lrs",
    "max_lrs",
    "patience",
    "verbose",
    "cooldown",
    "warmup",
    "mode",
    "threshold",
    "threshold_mode",
    "eps",
    "smooth",
    "window_size",
    "reset_start_original",
)
#: The counters of a GreedyLR state: without them a state cannot resume.
_GREEDY_COUNTERS = (
    "cooldown_counter",
    "warmup_counter",
    "best",
    "num_bad_epochs",
    "num_good_epochs",
    "last_epoch",
    "reset_start",
    "_last_lr",
    "_init_lrs",
)


def _count(owner: str, name: str, value: Any, *, lo: int = 0) -> int:
    """An int ``>= lo`` (bools refused), or a ``TypeError``/``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int >= {lo}, got {value!r}")
    if value < lo:
        raise ValueError(f"{owner}: {name} must be an int >= {lo}, got {value!r}")
    return int(value)


def _per_group(owner: str, name: str, value: Any, n: int, *, inf_ok: bool) -> list[float]:
    """``value`` (one number, or one per param group) as ``n`` numbers ``>= 0``."""
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ValueError(f"expected {n} {name}s, got {len(value)}")
        return [_at_least_0(owner, f"{name}[{i}]", v, inf_ok=inf_ok) for i, v in enumerate(value)]
    return [_at_least_0(owner, name, value, inf_ok=inf_ok)] * n


class _RollingMean:
    """The mean of the last ``window`` values seen: ``sum(last) / len(last)``.

    The sum is kept running (add the new value, subtract the one leaving the
    window), in transformers' order of operations, so smoothed metrics agree with
    transformers' ``GreedyLR`` bit for bit.
    """

    def __init__(self, window: int) -> None:
        self.window = window
        self.values: list[float] = []
        self.total = 0.0

    def add(self, value: float) -> float:
        """Record ``value``; the mean of the window after it."""
        self.values.append(value)
        self.total += value
        if len(self.values) > self.window:
            self.total -= self.values.pop(0)
        return self.total / len(self.values)

    def state(self) -> dict[str, Any]:
        return {"window_size": self.window, "values": list(self.values), "sum": self.total}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], window: int) -> _RollingMean:
        made = cls(int(state.get("window_size", window)))
        made.values = [float(v) for v in state.get("values", [])]
        made.total = float(state.get("sum", 0.0))
        return made


class GreedyLR(LRScheduler):
    """transformers' ``greedy`` scheduler: raise the lr while a metric improves, lower it
    when it stalls.

    Same arguments, defaults and numbers as transformers 5.25's ``GreedyLR``
    (Subramanian et al., *GreedyLR: A Novel Adaptive Learning Rate Scheduler*,
    2025, arXiv:2512.14527). Each ``step(metric)`` (optionally smoothed:
    ``smooth=True`` uses the mean of the last ``window_size`` metrics) counts an
    epoch as *good* when the metric beats the best so far by ``threshold``
    (``mode="min"``: ``metric < best - threshold``, or ``best * (1 - threshold)``
    with ``threshold_mode="rel"``; ``"max"``: ``metric > best + threshold``, or
    ``best * (1 + threshold)``), else *bad*. After more than ``patience`` good
    epochs in a row every group's lr becomes ``min(lr / factor, max_lr)``, and
    ``warmup`` epochs follow that count nothing; after more than ``patience`` bad
    ones it becomes ``max(lr * factor, min_lr)``, and ``cooldown`` epochs follow.
    A change of ``eps`` or less is not made. Once every group sits at its
    ``min_lr`` for ``reset_start`` reductions, the lrs, the best metric and the
    counters go back to where they started. Construction writes no lr.

    It is a torch ``LRScheduler`` and an :class:`lrplan.LRScheduler` with
    ``metric_driven = True``; like :class:`~lrplan.ReduceLROnPlateau` it has no
    closed form (:meth:`set_step` raises). It is not an instance of transformers'
    class, so HF ``Trainer`` does not know to pass it the metric: there, use
    ``lr_scheduler_type="greedy"`` (transformers' own).

    Differences that change no number: ``verbose=True`` logs to the ``"lrplan"``
    logger instead of printing; the state is plain data (lrs as floats) holding
    transformers' keys plus ``"lrplan"``, so each library loads the other's; bad
    arguments raise at construction (``factor`` must be in ``(0, 1)``: 0 fails
    with ``ZeroDivisionError`` in transformers at the first increase;
    ``min_lr <= max_lr``; counts are ints ``>= 0``, ``window_size >= 1``).

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = lrplan.GreedyLR(opt, factor=0.5, patience=1)
        >>> for loss in [1.0, 0.9, 0.8]:  # a third improvement in a row: lr / 0.5
        ...     sched.step(loss)
        >>> sched.get_last_lr()
        [0.2]
        >>> for loss in [0.8, 0.8]:  # a second stall in a row: lr * 0.5
        ...     sched.step(loss)
        >>> sched.get_last_lr()
        [0.1]
    """

    metric_driven: ClassVar[bool] = True
    factor: float
    threshold: float
    best: float

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.95,
        patience: int = 10,
        threshold: float = 1e-6,
        threshold_mode: str = "abs",
        cooldown: int = 0,
        warmup: int = 0,
        min_lr: float | list[float] = 1e-3,
        max_lr: float | list[float] = 1.0,
        eps: float = 1e-8,
        verbose: bool = False,
        smooth: bool = False,
        window_size: int = 50,
        reset_start: int = 500,
    ) -> None:
        # LRScheduler.__init__ is not called: no initial step, no lr written.
        owner = "GreedyLR"
        factor = _number(owner, "factor", factor)
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if factor <= 0:
            raise ValueError(f"{owner}: factor must be in (0, 1), got {factor!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{owner}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        for flag, value in (("verbose", verbose), ("smooth", smooth)):
            if not isinstance(value, bool):
                raise TypeError(f"{owner}: {flag} must be a bool, got {value!r}")
        n = len(optimizer.param_groups)
        self.optimizer = optimizer
        self.factor = factor
        self.mode = mode
        self.threshold = _number(owner, "threshold", threshold)
        self.threshold_mode = threshold_mode
        self.patience = _count(owner, "patience", patience)
        self.cooldown = _count(owner, "cooldown", cooldown)
        self.warmup = _count(owner, "warmup", warmup)
        self.min_lrs = _per_group(owner, "min_lr", min_lr, n, inf_ok=False)
        self.max_lrs = _per_group(owner, "max_lr", max_lr, n, inf_ok=True)
        for i, (lo, hi) in enumerate(zip(self.min_lrs, self.max_lrs, strict=True)):
            if lo > hi:
                raise ValueError(
                    f"{owner}: min_lr must be <= max_lr, got {lo} > {hi} (param group {i})"
                )
        self.eps = _at_least_0(owner, "eps", eps)
        self.verbose = verbose
        self.smooth = smooth
        self.window_size = _count(owner, "window_size", window_size, lo=1)
        self.reset_start_original = _count(owner, "reset_start", reset_start)
        self._init_lrs = read_floats(optimizer.param_groups, "lr")
        self._rolling = _RollingMean(self.window_size) if smooth else None
        self._restart()
        self.last_epoch = 0
        self._last_lr = [*self._init_lrs]

    def _restart(self) -> None:
        """Forget the best metric, the counters and the smoothing window."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.num_good_epochs = 0
        self.cooldown_counter = 0
        self.warmup_counter = 0
        self.reset_start = self.reset_start_original

    def is_better(self, current: float, best: float) -> bool:
        """Whether metric ``current`` beats ``best`` by the threshold (see the class docs)."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < best * (1.0 - self.threshold)
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (1.0 + self.threshold)
        return current > best + self.threshold

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record ``metrics`` for one epoch; raise or lower the lrs after ``patience``.

        ``epoch`` sets ``last_epoch`` (as in transformers, without a warning).
        """
        current = float(metrics)
        if self._rolling is not None:
            current = self._rolling.add(current)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.cooldown_counter > 0:  # resting after a decrease: nothing counts
            self.cooldown_counter -= 1
            self.num_bad_epochs = self.num_good_epochs = 0
        elif self.warmup_counter > 0:  # resting after an increase: nothing counts
            self.warmup_counter -= 1
            self.num_bad_epochs = self.num_good_epochs = 0
        else:
            if self.is_better(current, self.best):
                self.best = current
                self.num_bad_epochs = 0
                self.num_good_epochs += 1
            else:
                self.num_bad_epochs += 1
                self.num_good_epochs = 0
            if self.num_good_epochs > self.patience:
                self._raise_lrs()
                self.warmup_counter = self.warmup
                self.num_good_epochs = 0
            elif self.num_bad_epochs > self.patience:
                self._lower_lrs()
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0
        self._last_lr = [*read_floats(self.optimizer.param_groups, "lr")]

    def _set(self, i: int, group: dict[str, Any], new: float) -> None:
        """Write lr ``new`` into group ``i`` (``verbose``: and log it)."""
        write(group, "lr", new)
        if self._verbose:
            logger.info("GreedyLR: step %s, param group %d: lr = %.6e", self.last_epoch, i, new)

    def _raise_lrs(self) -> None:
        """Every group's lr divided by ``factor``, not above its ``max_lr``."""
        for i, group in enumerate(self.optimizer.param_groups):
            old = as_float(group["lr"])
            new = min(old / self.factor, self.max_lrs[i])
            if new - old > self.eps:
                self._set(i, group, new)
        self.reset_start = self.reset_start_original

    def _lower_lrs(self) -> None:
        """Every group's lr times ``factor``, not below its ``min_lr``; reset once every
        group has sat at its ``min_lr`` for ``reset_start`` reductions."""
        at_min = True
        for i, group in enumerate(self.optimizer.param_groups):
            old = as_float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                self._set(i, group, new)
            at_min = at_min and not as_float(group["lr"]) > self.min_lrs[i]
        if at_min:
            self.reset_start -= 1
            if self.reset_start <= 0:
                for group, lr in zip(self.optimizer.param_groups, self._init_lrs, strict=True):
                    write(group, "lr", lr)
                self._restart()
                if self._rolling is not None:
                    self._rolling = _RollingMean(self.window_size)
                if self._verbose:
                    logger.info("GreedyLR: step %s: reset to the initial lrs", self.last_epoch)

    def get_lr(self) -> list[Any]:
        """Not available: the lr depends on the metrics seen, not on a formula."""
        raise NotImplementedError("GreedyLR has no closed form; read get_last_lr() instead")

    def set_step(self, t: int | float) -> None:
        """Not available: there is no closed form to jump to."""
        raise TypeError("GreedyLR is metric-driven; call step(metrics) instead")

    # -- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """transformers' keys (so its ``GreedyLR`` loads this) plus ``"lrplan"``.

        Plain data (``best`` may be ``inf``): it loads with
        ``torch.load(weights_only=True)``.
        """
        state: dict[str, Any] = {k: _copy(getattr(self, k)) for k in _GREEDY_ARGS}
        state.update((k, _copy(getattr(self, k))) for k in _GREEDY_COUNTERS)
        if self._rolling is not None:
            state["_streaming_avg"] = self._rolling.state()
        state["lrplan"] = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "class": "GreedyLR",
            "last_epoch": self.last_epoch,
        }
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:  # type: ignore[override]
        """Restore a state saved by this class or by transformers' ``GreedyLR``.

        As in transformers, the saved arguments replace this scheduler's and the
        saved lrs (``_last_lr``) are written into the param groups. ``state_dict``
        is not modified.
        """
        owner = "GreedyLR"
        st = dict(check_state_mapping(owner, state_dict))
        lp = st.pop("lrplan", None)
        if isinstance(lp, Mapping):
            check_state_header(owner, lp)
            if lp.get("class") != owner:
                raise ValueError(
                    f"{owner}.load_state_dict: the state belongs to {lp.get('class')}, not {owner}"
                )
        missing = [k for k in _GREEDY_COUNTERS if k not in st]
        if missing:
            raise ValueError(f"{owner}.load_state_dict: state keys missing: {missing}")
        n = len(self.optimizer.param_groups)
        for key in ("_last_lr", "_init_lrs", "min_lrs", "max_lrs"):
            if key in st and len(st[key]) != n:
                raise ValueError(
                    f"{owner}.load_state_dict: state key {key!r} must hold one value for each "
                    f"of the optimizer's {n} param groups, got {len(st[key])}"
                )
        for k in (*_GREEDY_ARGS, *_GREEDY_COUNTERS):
            if k in st:
                value = st[k]
                if k in ("_last_lr", "_init_lrs", "min_lrs", "max_lrs"):
                    value = [as_float(v) for v in value]
                setattr(self, k, value)
        if "_streaming_avg" in st:
            self._rolling = _RollingMean.from_state(st["_streaming_avg"], self.window_size)
        elif not self.smooth:
            self._rolling = None
        for group, lr in zip(self.optimizer.param_groups, self._last_lr, strict=True):
            write(group, "lr", lr)


# --------------------------------------------------------------------------- get_scheduler


def _scheduler(
    name: str,
    optimizer: Optimizer,
    num_warmup_steps: Any = None,
    num_training_steps: Any = None,
    last_epoch: int = -1,
    **kwargs: Any,
) -> HFScheduledLR:
    """An :class:`HFScheduledLR` of the closed-form name ``name``; ``kwargs`` are its
    scheduler-specific arguments. ``base_lr`` is ``optimizer.defaults["lr"]``, as in
    transformers."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    lr0 = optimizer.defaults.get("lr")
    schedule = hf_schedule(
        name,
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
        base_lr=None if lr0 is None else as_float(lr0),
        scheduler_specific_kwargs=kwargs,
    )
    return HFScheduledLR(optimizer, schedule, name=name, last_epoch=last_epoch)


def get_scheduler(
    name: str | SchedulerType,
    optimizer: Optimizer,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: dict[str, Any] | None = None,
) -> Any:
    """``transformers.get_scheduler``'s names and arguments, with the same lr at every step.

    Args:
        name: one of :data:`HF_SCHEDULER_NAMES`, or a :class:`SchedulerType`
            (lrplan's or transformers').
        optimizer: the optimizer to drive.
        num_warmup_steps: warmup length; required by every name except
            ``constant``, ``reduce_lr_on_plateau`` and ``greedy``.
        num_training_steps: total steps; required by the decaying names
            (``warmup_stable_decay`` accepts ``num_stable_steps`` instead).
        scheduler_specific_kwargs: the name's extra arguments, as in transformers
            (``num_cycles``, ``lr_end``, ``power``, ``timescale``, ``min_lr``,
            ``min_lr_rate``, ``warmup_lr_rate``, ``num_decay_steps``,
            ``num_stable_steps``, ``warmup_type``, ``decay_type``,
            ``min_lr_ratio``; :class:`~lrplan.ReduceLROnPlateau`'s arguments for
            ``reduce_lr_on_plateau``, :class:`GreedyLR`'s for ``greedy``).

    Returns:
        an :class:`HFScheduledLR` (a torch ``LRScheduler``; its pure schedule is
        ``scheduler.schedules[0]``, the same as :func:`hf_schedule`'s), or a
        :class:`~lrplan.ReduceLROnPlateau` for ``reduce_lr_on_plateau``, or a
        :class:`GreedyLR` for ``greedy``.

    Missing step counts raise the same ``ValueError`` as transformers; unknown
    ``scheduler_specific_kwargs`` raise ``TypeError`` (transformers ignores them
    for ``constant`` and ``constant_with_warmup``).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=1e-3)
        >>> sched = lp.get_scheduler("cosine_with_min_lr", opt, num_warmup_steps=10,
        ...                          num_training_steps=100,
        ...                          scheduler_specific_kwargs={"min_lr_rate": 0.1})
        >>> sched.get_last_lr()
        [0.0]
        >>> sched.set_step(100); sched.get_last_lr()
        [0.0001]
    """
    name = _normalise_name(name)
    kw = dict(scheduler_specific_kwargs or {})
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    if name == "reduce_lr_on_plateau":
        return ReduceLROnPlateau(optimizer, **kw)
    if name == "greedy":
        return GreedyLR(optimizer, **kw)
    return _scheduler(name, optimizer, num_warmup_steps, num_training_steps, **kw)


# --------------------------------------------------------------------------- get_* functions
# transformers.optimization's functions, one for each name, with transformers'
# signatures (parameter names, order and defaults).


def get_constant_schedule(optimizer: Optimizer, last_epoch: int = -1) -> HFScheduledLR:
    """``constant``: the lr stays at each group's initial lr.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> lp.get_constant_schedule(opt).get_last_lr()
        [0.1]
    """
    return _scheduler("constant", optimizer, last_epoch=last_epoch)


def get_reduce_on_plateau_schedule(optimizer: Optimizer, **kwargs: Any) -> ReduceLROnPlateau:
    """``reduce_lr_on_plateau``: a :class:`~lrplan.ReduceLROnPlateau` with ``kwargs``.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> type(lp.get_reduce_on_plateau_schedule(opt, patience=2)).__name__
        'ReduceLROnPlateau'
    """
    return ReduceLROnPlateau(optimizer, **kwargs)


def get_constant_schedule_with_warmup(
    optimizer: Optimizer, num_warmup_steps: int, last_epoch: int = -1
) -> HFScheduledLR:
    r"""``constant_with_warmup``: :math:`\min(1, s / W)` times the initial lr.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> lp.get_constant_schedule_with_warmup(opt, 4).schedules[0](2)
        0.5
    """
    return _scheduler(
        "constant_with_warmup", optimizer, num_warmup_steps=num_warmup_steps, last_epoch=last_epoch
    )


def get_linear_schedule_with_warmup(
    optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int, last_epoch: int = -1
) -> HFScheduledLR:
    """``linear``: linear warmup from 0 over ``W`` steps, then linear decay to 0 at ``N``.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> lp.get_linear_schedule_with_warmup(opt, 2, 10).schedules[0](6)
        0.5
    """
    return _scheduler("linear", optimizer, num_warmup_steps, num_training_steps, last_epoch)


def get_cosine_schedule_with_warmup(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> HFScheduledLR:
    """``cosine``: linear warmup, then ``num_cycles`` cosine cycles over ``N - W`` steps
    (never clamped: past ``N`` the lr rises again, as in transformers).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> round(lp.get_cosine_schedule_with_warmup(opt, 0, 10).schedules[0](5), 6)
        0.5
    """
    return _scheduler(
        "cosine", optimizer, num_warmup_steps, num_training_steps, last_epoch, num_cycles=num_cycles
    )


def get_cosine_with_hard_restarts_schedule_with_warmup(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: int = 1,
    last_epoch: int = -1,
) -> HFScheduledLR:
    """``cosine_with_restarts``: linear warmup, then ``num_cycles`` cosine decays from
    1 to 0, each restarting at 1, ending at 0 at ``N``.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = lp.get_cosine_with_hard_restarts_schedule_with_warmup(opt, 0, 10, 2).schedules[0]
        >>> s(5), s(10)
        (1.0, 0.0)
    """
    return _scheduler(
        "cosine_with_restarts",
        optimizer,
        num_warmup_steps,
        num_training_steps,
        last_epoch,
        num_cycles=num_cycles,
    )


def get_polynomial_decay_schedule_with_warmup(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    lr_end: float = 1e-7,
    power: float = 1.0,
    last_epoch: int = -1,
) -> HFScheduledLR:
    """``polynomial``: linear warmup, then a polynomial decay of degree ``power`` from
    ``optimizer.defaults["lr"]`` to ``lr_end`` (lr units) at ``N``, held after.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = lp.get_polynomial_decay_schedule_with_warmup(opt, 0, 10, lr_end=0.01)
        >>> s.set_step(10); s.get_last_lr()
        [0.01]
    """
    return _scheduler(
        "polynomial",
        optimizer,
        num_warmup_steps,
        num_training_steps,
        last_epoch,
        lr_end=lr_end,
        power=power,
    )


def get_inverse_sqrt_schedule(
    optimizer: Optimizer,
    num_warmup_steps: int,
    timescale: int | None = None,
    last_epoch: int = -1,
) -> HFScheduledLR:
    r"""``inverse_sqrt``: linear warmup, then :math:`1/\sqrt{(s + \tau - W)/\tau}`
    (``timescale`` :math:`\tau` defaults to ``W``, or 10000 when ``W`` is 0).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> lp.get_inverse_sqrt_schedule(opt, 4).schedules[0](16)
        0.5
    """
    return _scheduler(
        "inverse_sqrt", optimizer, num_warmup_steps, None, last_epoch, timescale=timescale
    )


def get_cosine_with_min_lr_schedule_with_warmup(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> HFScheduledLR:
    """``cosine_with_min_lr``: ``cosine`` decaying to ``min_lr`` (lr units) or to
    ``min_lr_rate`` times the initial lr instead of 0. Give exactly one.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = lp.get_cosine_with_min_lr_schedule_with_warmup(opt, 0, 10, min_lr_rate=0.1)
        >>> round(s.schedules[0](10), 6)
        0.1
    """
    return _scheduler(
        "cosine_with_min_lr",
        optimizer,
        num_warmup_steps,
        num_training_steps,
        last_epoch,
        num_cycles=num_cycles,
        min_lr=min_lr,
        min_lr_rate=min_lr_rate,
    )


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> HFScheduledLR:
    """``cosine_warmup_with_min_lr``: ``cosine_with_min_lr`` one step ahead, with a
    warmup that starts at ``warmup_lr_rate`` (default ``1 / W``).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = lp.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
        ...     opt, 4, 10, min_lr_rate=0.1)
        >>> s.schedules[0](0), s.schedules[0](3)
        (0.25, 1.0)
    """
    return _scheduler(
        "cosine_warmup_with_min_lr",
        optimizer,
        num_warmup_steps,
        num_training_steps,
        last_epoch,
        num_cycles=num_cycles,
        min_lr=min_lr,
        min_lr_rate=min_lr_rate,
        warmup_lr_rate=warmup_lr_rate,
    )


def get_wsd_schedule(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> HFScheduledLR:
    """``warmup_stable_decay``: warmup from ``min_lr_ratio`` to 1, a stable phase at 1,
    a decay of ``num_decay_steps`` to ``min_lr_ratio``, held after. Give
    ``num_training_steps`` or ``num_stable_steps``.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> s = lp.get_wsd_schedule(opt, 2, 4, num_training_steps=10, decay_type="linear")
        >>> [s.schedules[0](t) for t in (1, 5, 8, 10)]
        [0.5, 1.0, 0.5, 0.0]
    """
    return _scheduler(
        "warmup_stable_decay",
        optimizer,
        num_warmup_steps,
        num_training_steps,
        last_epoch,
        num_decay_steps=num_decay_steps,
        num_stable_steps=num_stable_steps,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=min_lr_ratio,
        num_cycles=num_cycles,
    )


def get_greedy_schedule(optimizer: Optimizer, **kwargs: Any) -> GreedyLR:
    """``greedy``: a :class:`GreedyLR` with ``kwargs``.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> lp.get_greedy_schedule(opt, patience=3).patience
        3
    """
    return GreedyLR(optimizer, **kwargs)


#: Each :class:`SchedulerType` with its function, as transformers'
#: ``TYPE_TO_SCHEDULER_FUNCTION``.
TYPE_TO_SCHEDULER_FUNCTION: dict[SchedulerType, Callable[..., Any]] = {
    SchedulerType.LINEAR: get_linear_schedule_with_warmup,
    SchedulerType.COSINE: get_cosine_schedule_with_warmup,
    SchedulerType.COSINE_WITH_RESTARTS: get_cosine_with_hard_restarts_schedule_with_warmup,
    SchedulerType.POLYNOMIAL: get_polynomial_decay_schedule_with_warmup,
    SchedulerType.CONSTANT: get_constant_schedule,
    SchedulerType.CONSTANT_WITH_WARMUP: get_constant_schedule_with_warmup,
    SchedulerType.INVERSE_SQRT: get_inverse_sqrt_schedule,
    SchedulerType.REDUCE_ON_PLATEAU: get_reduce_on_plateau_schedule,
    SchedulerType.COSINE_WITH_MIN_LR: get_cosine_with_min_lr_schedule_with_warmup,
    SchedulerType.COSINE_WARMUP_WITH_MIN_LR: get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    SchedulerType.WARMUP_STABLE_DECAY: get_wsd_schedule,
    SchedulerType.GREEDY: get_greedy_schedule,
}
