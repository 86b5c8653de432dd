"""Wrappers around other schedulers: :class:`Warmup` (a warmup in front of ANY scheduler)
and :class:`MultiScheduledLR` (several hyperparameters of one optimizer, stepped as one).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from collections.abc import Sequence as SequenceABC
from typing import Any

from torch.optim import Optimizer

from ._atomic import atomic_load
from ._driver import ConfigChangePolicy, LRScheduler, ScheduledLR
from ._schedules import Constant, Cosine, Exponential, Linear, Schedule, Sequence
from ._schedules._core import check_int, check_real
from ._warmup import _HandOff

__all__ = ["WARMUP_SHAPES", "MultiScheduledLR", "Warmup", "schedule_many"]

#: The ramp shapes :class:`Warmup` accepts.
WARMUP_SHAPES = ("linear", "cosine", "exponential")


def _ramp(shape: str, steps: int, start: float, target: float) -> Schedule:
    """The warmup ramp of one group, in lr units: ``target * r(t)`` with ``r`` from start to 1."""
    if steps == 0:
        return Constant(value=target)
    lo = start * target
    if shape == "linear":
        return Linear(steps=steps, start=lo, end=target)
    if shape == "cosine":
        return Cosine(steps=steps, start=lo, end=target)
    if target == 0:
        return Constant(value=0.0)
    # Geometric: the same ratio every step, (1/start) ** (1/steps); then hold the target.
    grow = Exponential(gamma=(1.0 / start) ** (1.0 / steps), start=lo)
    return Sequence(schedules=(grow, Constant(value=target)), boundaries=(steps,))


class Warmup(_HandOff):
    r"""Put a warmup in front of any scheduler: lrplan's, torch's, or a metric-driven one.

    For the first ``steps`` steps the lr of each param group ramps from
    ``start * target`` up to ``target``, where ``target`` is the value the wrapped
    scheduler wrote at its own step 0 (usually the group's base lr; for
    ``OneCycleLR`` it is ``max_lr / div_factor``, for ``LinearLR`` it is
    ``start_factor * base``). With :math:`T` = ``steps``, :math:`a` = ``start`` and
    :math:`p = t / T`:

    .. math::
        \text{lr}(t) = \text{target} \cdot \begin{cases}
            a + (1 - a)\,p & \text{linear} \\
            a + (1 - a)\,\tfrac12 (1 - \cos \pi p) & \text{cosine} \\
            a^{\,1 - p} & \text{exponential (geometric; needs } a > 0)
        \end{cases} \qquad (t < T)

    **The hand-off is continuous.** Step :math:`T` *is* the wrapped scheduler's
    step 0 (the lr is exactly ``target``), and step :math:`T + k` is its step
    :math:`k`: nothing is repeated or skipped, and the wrapped scheduler never
    sees the warmup's values (it is not stepped during the warmup, and its own lr
    is restored bit for bit before its first step).

    **The first step.** Like every torch scheduler, creating the wrapper performs
    step 0, which writes ``start * target``: the first optimizer step runs at the
    start of the ramp (0 with the default ``start=0``; pass e.g. ``start=0.01``
    to avoid a wasted step). With ``steps=0`` the wrapper is transparent.

    **Metrics.** One ``step(metrics=None)`` serves every kind of scheduler. A
    metric-driven scheduler (``ReduceLROnPlateau``) receives the metric of every
    step *after* the hand-off; metrics given during the warmup are ignored,
    because they were measured at warmup lrs. Passing a metric to a scheduler
    that takes none raises ``ValueError``.

    **State** is plain data with the wrapped scheduler's own ``state_dict()``
    nested inside, so ``torch.load(weights_only=True)`` accepts it and resume is
    bit-exact: create the same wrapped scheduler and wrapper, then
    ``load_state_dict``.

    **Random access.** :meth:`set_step` (and torch's deprecated ``step(epoch)``)
    jumps to any step: in the warmup by the closed form, after it by the wrapped
    scheduler's ``set_step`` (lrplan schedulers) or by stepping it (others; a jump
    back first restores its step-0 state). A metric-driven scheduler cannot be
    replayed without its metrics, so jumping past the hand-off raises.

    The wrapped scheduler is used through its public API only (see
    :class:`lrplan.GradualWarmupScheduler`), so it may also be your own subclass of
    ``LRScheduler``.

    Args:
        scheduler: the scheduler to warm up, freshly created on its optimizer.
        steps: warmup length in steps (an int ``>= 0``).
        start: the ramp's first value as a fraction of each group's target,
            in ``[0, 1]``; ``exponential`` needs ``start > 0``. Default 0.
        shape: ``"linear"`` (default), ``"cosine"`` or ``"exponential"``.
        optimizer: optional; when given it must be the scheduler's optimizer.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> inner = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> sched = lp.Warmup(inner, steps=4)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(8):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _relative = False
    _inner_name = "scheduler"
    scheduler: Any

    def __init__(
        self,
        scheduler: Any,
        *,
        steps: int,
        start: float = 0.0,
        shape: str = "linear",
        optimizer: Optimizer | None = None,
    ) -> None:
        owner = "Warmup"
        if isinstance(scheduler, Optimizer):
            raise TypeError(
                f"{owner}: the first argument is the scheduler to warm up, not the optimizer; "
                "write Warmup(scheduler, steps=...)"
            )
        self.steps = check_int(owner, "steps", steps, lo=0)
        self._wrap(owner, scheduler, None, self.steps)
        opt = scheduler.optimizer
        if optimizer is not None and optimizer is not opt:
            raise ValueError(
                f"{owner}: optimizer is not the optimizer the scheduler drives; "
                "create the scheduler on the same optimizer (or leave optimizer out)"
            )
        if not isinstance(shape, str) or shape not in WARMUP_SHAPES:
            raise ValueError(f"{owner}: shape must be one of {WARMUP_SHAPES}, got {shape!r}")
        self.shape = shape
        self.start = float(check_real(owner, "start", start, lo=0.0, hi=1.0))
        if shape == "exponential" and self.start == 0.0:
            raise ValueError(
                f"{owner}: shape='exponential' is a geometric ramp and needs start in (0, 1] "
                "(for example start=0.01); start=0 never grows"
            )
        super().__init__(opt, -1, False)

    # -- the warmup ramp --------------------------------------------------------------------

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        if group_index >= len(self._targets):
            raise ValueError(
                f"Warmup: param group {group_index} was added after the Warmup was created; "
                "add param groups before creating the scheduler and its Warmup"
            )
        return _ramp(self.shape, self.steps, self.start, self._targets[group_index])

    @property
    def targets(self) -> list[float]:
        """Each group's lr at the wrapped scheduler's step 0 (where the ramp ends)."""
        return list(self._targets)

    @property
    def phase(self) -> tuple[str, float]:
        """``("warmup", progress)`` during the ramp, then ``("wrapped", steps since hand-off)``."""
        if self.last_epoch < self.steps:
            return ("warmup", self.last_epoch / self.steps)
        return ("wrapped", float(self.last_epoch - self.steps))

    # -- stepping ---------------------------------------------------------------------------

    def step(self, metrics: Any = None, epoch: int | float | None = None) -> None:  # type: ignore[override]
        """Advance one step; ``metrics`` feeds a metric-driven wrapped scheduler.

        ``epoch`` is torch's deprecated argument (it warns); prefer :meth:`set_step`.
        """
        if metrics is not None and not self.metric_driven:
            raise ValueError(
                f"Warmup: the wrapped {type(self.scheduler).__name__} takes no metric; "
                "call step() without one (use set_step(t) to jump to a step)"
            )
        super().step(epoch, metrics)

    def _check_jump(self, t: float) -> None:
        if t > self.steps and self.metric_driven:
            raise ValueError(
                f"Warmup: cannot jump to step {t}, past the hand-off to the metric-driven "
                f"{type(self.scheduler).__name__}, whose steps depend on metrics; restore a "
                "checkpoint with load_state_dict() instead"
            )
        super()._check_jump(t)

    # -- state ------------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "class": "Warmup",
            "key": self.key,
            "steps": self.steps,
            "start": self.start,
            "shape": self.shape,
            "scheduler": type(self.scheduler).__name__,
        }

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: ConfigChangePolicy | None = None
    ) -> None:
        """Restore the wrapper and the wrapped scheduler; write the saved lrs back.

        The wrapper's settings (``steps``, ``start``, ``shape``, the wrapped class)
        must match the saved ones: only ``on_config_change="error"`` is supported,
        since a warmup of another length would not line up with the wrapped
        scheduler's saved step.
        """
        if on_config_change not in (None, "error"):
            raise ValueError(
                "Warmup.load_state_dict: only on_config_change='error' is supported "
                f"(got {on_config_change!r})"
            )
        super().load_state_dict(state_dict)


# --------------------------------------------------------------------------- several keys


class MultiScheduledLR(LRScheduler):
    """Several hyperparameters of one optimizer on pure schedules, stepped as one scheduler.

    A thin container of one :class:`~lrplan.ScheduledLR` per key, built by
    :func:`schedule_many`. ``step()``, ``set_step(t)``, ``state_dict()`` and
    ``load_state_dict()`` act on all of them at once; ``schedulers[key]`` gives
    each one. It is an ``lrplan.LRScheduler`` and a torch ``LRScheduler``
    (Lightning accepts it); ``get_last_lr()``, ``base_lrs`` and ``last_epoch`` are
    those of the ``"lr"`` scheduler when lr is scheduled, else of the first key.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
        >>> multi = lp.schedule_many(opt, {
        ...     "lr": lp.Cosine(steps=10),
        ...     "momentum": lp.Linear(steps=10, start=0.95, end=0.85),
        ... })
        >>> sorted(multi.schedulers), multi.get_last_lr()
        (['lr', 'momentum'], [0.1])
        >>> multi.schedulers["momentum"].get_last_lr()
        [0.95]
    """

    def __init__(self, optimizer: Optimizer, schedulers: Mapping[str, ScheduledLR]) -> None:
        # The protocol's __init__ (an initial step) is not called: each child did it.
        self.optimizer = optimizer
        self.schedulers: dict[str, ScheduledLR] = dict(schedulers)
        if not self.schedulers:
            raise ValueError("MultiScheduledLR: give at least one key to schedule")
        self._step_count = self._main()._step_count

    @property
    def last_epoch(self) -> Any:  # type: ignore[override]
        """The step of the main (``"lr"``, else first) scheduler."""
        return self._main().last_epoch

    @last_epoch.setter
    def last_epoch(self, value: Any) -> None:
        for s in self.schedulers.values():
            s.last_epoch = value

    @property
    def base_lrs(self) -> list[Any]:  # type: ignore[override]
        """The main scheduler's base values."""
        return self._main().base_lrs

    def _main(self) -> ScheduledLR:
        return self.schedulers.get("lr") or next(iter(self.schedulers.values()))

    def step(self, epoch: int | float | None = None) -> None:  # type: ignore[override]
        """Step every key's scheduler once (``epoch``: torch's deprecated form)."""
        self._step_count += 1
        for s in self.schedulers.values():
            s.step(epoch)

    def set_step(self, t: int | float) -> None:
        """Jump every key's scheduler to step ``t`` (exact closed form)."""
        for s in self.schedulers.values():
            s.set_step(t)

    def get_last_lr(self) -> list[Any]:
        return self._main().get_last_lr()

    def get_last_values(self) -> dict[str, list[Any]]:
        """The last values written, per key."""
        return {k: s.get_last_lr() for k, s in self.schedulers.items()}

    def get_lr(self) -> list[Any]:
        return self._main().get_lr()

    def state_dict(self) -> dict[str, Any]:
        """Plain data: each key's own scheduler state, by key."""
        return {"schedulers": {k: s.state_dict() for k, s in self.schedulers.items()}}

    def load_state_dict(self, state_dict: Mapping[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Restore every key's scheduler (``kwargs`` go to each ``load_state_dict``)."""
        saved = state_dict.get("schedulers") if isinstance(state_dict, Mapping) else None
        if not isinstance(saved, Mapping) or set(saved) != set(self.schedulers):
            have = sorted(self.schedulers)
            got = sorted(saved) if isinstance(saved, Mapping) else None
            raise ValueError(
                f"MultiScheduledLR.load_state_dict: the state schedules keys {got}, "
                f"this scheduler {have}"
            )
        # All or nothing: a key refused late must not leave the earlier keys loaded.
        with atomic_load(self.optimizer, list(self.schedulers.values())):
            for k, s in self.schedulers.items():
                s.load_state_dict(saved[k], **kwargs)


def schedule_many(
    optimizer: Optimizer,
    schedules: Mapping[str, Schedule | SequenceABC[Schedule]],
    *,
    relative: Mapping[str, bool] | None = None,
    last_epoch: int = -1,
) -> MultiScheduledLR:
    """Schedule several param-group keys of ``optimizer`` at once.

    Args:
        optimizer: the optimizer.
        schedules: ``{key: schedule}`` where key is any key :class:`ScheduledLR`
            accepts (``"lr"``, ``"momentum"``, ``"weight_decay"``, ``"betas[0]"``,
            ``"betas[1]"``, ...) and the value one schedule for every group or a
            list with one per group.
        relative: per-key override of :class:`ScheduledLR`'s ``relative``
            (multipliers of each group's base value, or absolute values).
        last_epoch: the last step taken, when resuming.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
        >>> sched = lp.schedule_many(opt, {
        ...     "lr": lp.warmup(lp.Cosine(steps=90), steps=10),
        ...     "momentum": lp.Linear(steps=10, start=0.95, end=0.85),
        ... })
        >>> for _ in range(10):
        ...     opt.step(); sched.step()
        >>> opt.param_groups[0]["lr"], round(opt.param_groups[0]["momentum"], 6)
        (0.1, 0.85)
    """
    if not isinstance(schedules, Mapping) or not schedules:
        raise TypeError(
            "schedule_many: schedules must be a non-empty dict {key: schedule}, "
            f"got {type(schedules).__name__}"
        )
    rel = dict(relative or {})
    unknown = sorted(set(rel) - set(schedules))
    if unknown:
        raise ValueError(f"schedule_many: relative names keys {unknown} that are not scheduled")
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral):
        raise TypeError(f"schedule_many: last_epoch must be an int >= -1, got {last_epoch!r}")
    built = {
        key: ScheduledLR(optimizer, s, key=key, relative=rel.get(key), last_epoch=last_epoch)
        for key, s in schedules.items()
    }
    return MultiScheduledLR(optimizer, built)
