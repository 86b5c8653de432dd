"""The classic custom schedulers, done right: GradualWarmupScheduler and LinearAnnealingLR."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from ._atomic import atomic_load, load_child
from ._driver import ConfigChangePolicy, ScheduleDriven
from ._groups import as_float as _as_float
from ._groups import read as _read
from ._groups import write as _write
from ._schedules import Linear, Schedule
from ._schedules._core import check_int, check_real

__all__ = ["GradualWarmupScheduler", "LinearAnnealingLR", "is_metric_driven"]


def is_metric_driven(scheduler: Any) -> bool:
    """Whether ``scheduler.step`` needs a metric (``ReduceLROnPlateau`` and its kin)."""
    return isinstance(scheduler, _TorchPlateau) or bool(getattr(scheduler, "metric_driven", False))


class _HandOff(ScheduleDriven):
    """What the warmup wrappers share: a step that carries a metric, the wrapped
    scheduler's step after the hand-off, and recording the lrs it wrote."""

    _metrics: Any = None

    def _step_with(self, epoch: int | float | None, metrics: Any) -> None:
        """``step()``: count it, then update with ``metrics`` visible to :meth:`_step_inner`."""
        self._count_step(epoch)
        self._metrics = metrics
        try:
            self._update_lr(epoch)
        finally:
            self._metrics = None

    def _step_inner(self, inner: Any, metric_driven: bool, role: str) -> None:
        """Step the wrapped scheduler once; a metric-driven one gets (and needs) the metric."""
        if not metric_driven:
            inner.step()
        elif self._metrics is None:
            raise ValueError(
                f"{type(self).__name__}: the warmup is over and {role} "
                f"({type(inner).__name__}) needs a metric: call step(metrics=value)"
            )
        else:
            inner.step(self._metrics)

    def _record(self) -> None:
        """The groups' current lrs become the last values written."""
        self._last_values = [_as_float(_read(g, "lr")) for g in self.optimizer.param_groups]
        self._written = list(self._last_values)


class GradualWarmupScheduler(_HandOff):
    r"""Gradual warmup, then hand over to any scheduler (Goyal et al., 2017).

    For epoch :math:`e \in [0, T]` with :math:`T` = ``total_epoch``, base lr
    :math:`b` and :math:`m` = ``multiplier``:

    .. math::
        \text{lr}(e) = \begin{cases}
            b \cdot e / T & m = 1 \text{ (from 0 up to the base)} \\
            b \cdot (1 + (m - 1)\, e / T) & m > 1 \text{ (from } b \text{ up to } m b)
        \end{cases}

    From epoch :math:`T` on, ``after_scheduler`` takes over: its step 0 *is* epoch
    :math:`T` and its base lr is :math:`m b`, so there is no repeated or skipped
    step at the hand-off and the multiplier is never lost. Without an
    ``after_scheduler`` the lr holds at :math:`m b`.

    ``after_scheduler`` may be any scheduler on the same optimizer: lrplan's,
    torch's own, or a metric-driven one such as ``ReduceLROnPlateau``, which is
    stepped with ``step(metrics=...)`` once the warmup is over (metrics given
    during the warmup are ignored).

    Differences from the widely copied 2019 ``GradualWarmupScheduler`` (ildoonet),
    each a bug there:

    * **Hand-off.** There, epoch :math:`T+1` returns the after-scheduler's own last
      lr, so the peak repeats, and a chainable after-scheduler (such as StepLR)
      can lose the multiplier and fall back to :math:`b`. Here the after-scheduler
      is restarted on base :math:`m b` at epoch :math:`T` and advances one step per
      epoch.
    * **step() vs step(epoch).** There they give different sequences; here both
      follow the one closed form above.
    * **ReduceLROnPlateau.** There the plateau path ignores ``multiplier == 1``
      (no warmup at all) and remaps epoch 0 to 1; here warmup is identical for
      every kind of after-scheduler.
    * **Resume.** There the state holds the after-scheduler object itself, which
      ``torch.load(weights_only=True)`` refuses and which restores a stale
      optimizer reference. Here the state is plain data, with the
      after-scheduler's own ``state_dict()`` nested inside.
    * **Validation.** ``multiplier < 1`` and ``total_epoch < 1`` raise
      ``ValueError`` naming the parameter; a scheduler bound to another optimizer
      is refused.

    Like the original, the warmup is not chainable: it writes the closed form
    every epoch.

    Args:
        optimizer: the wrapped optimizer.
        multiplier: target lr is ``multiplier * base_lr``; must be ``>= 1``.
        total_epoch: warmup length in epochs (or steps); an int ``>= 1``.
        after_scheduler: the scheduler to run after the warmup, or ``None``.
        last_epoch: the index of the last epoch, when resuming. Default: -1.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> after = lrplan.StepLR(opt, step_size=2, gamma=0.5)
        >>> sched = lrplan.GradualWarmupScheduler(opt, multiplier=4, total_epoch=3,
        ...                                       after_scheduler=after)
        >>> lrs = [round(sched.get_last_lr()[0], 4)]
        >>> for _ in range(6):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.1, 0.2, 0.3, 0.4, 0.4, 0.2, 0.2]
    """

    _chainable: ClassVar[bool] = False

    def __init__(
        self,
        optimizer: Optimizer,
        multiplier: float,
        total_epoch: int,
        after_scheduler: Any = None,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "GradualWarmupScheduler"
        self.multiplier = check_real(owner, "multiplier", multiplier, lo=1.0)
        self.total_epoch = check_int(owner, "total_epoch", total_epoch, lo=1)
        if after_scheduler is not None:
            if not (hasattr(after_scheduler, "step") and hasattr(after_scheduler, "optimizer")):
                raise TypeError(
                    f"{owner}: after_scheduler must be a learning-rate scheduler (with .step() "
                    f"and .optimizer), got {type(after_scheduler).__name__}"
                )
            if after_scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"{owner}: after_scheduler is bound to a different optimizer than the "
                    "one given; create both on the same optimizer"
                )
        self.after_scheduler = after_scheduler
        self._handed_off = False
        self._on_config_change: str = "error"
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        start = 0.0 if self.multiplier == 1 else 1.0
        return Linear(steps=self.total_epoch, start=start, end=self.multiplier)

    # -- stepping --------------------------------------------------------------------------

    def step(self, epoch: int | None = None, metrics: Any = None) -> None:  # type: ignore[override]
        """Advance one epoch. ``metrics`` feeds a metric-driven ``after_scheduler``.

        ``epoch`` is torch's deprecated argument (it warns); prefer :meth:`set_step`.
        """
        self._step_with(epoch, metrics)

    def _update_lr(self, epoch: int | float | None = None) -> None:
        after = self.after_scheduler
        target = self.last_epoch + 1 if epoch is None else epoch
        if after is None or target < self.total_epoch:
            self._handed_off = False
            super()._update_lr(epoch)
            return
        self._adopt_new_groups()
        k = target - self.total_epoch  # the after-scheduler's step
        # A jump (set_step / step(epoch)) back to the hand-off epoch restarts the
        # after-scheduler too: its step 0 is the peak, whatever it did since.
        fresh = not self._handed_off or (epoch is not None and k == 0)
        if fresh:
            self._hand_off()
        if k > 0:
            if epoch is None and not fresh:
                self._step_inner(after, is_metric_driven(after), "after_scheduler")
            else:
                self._jump_after(k)
        self.last_epoch = target
        self._record()

    def set_step(self, t: int | float) -> None:
        """Jump to epoch ``t``: the warmup's closed form, or the after-scheduler at ``t - T``."""
        if self.after_scheduler is None or t < self.total_epoch:
            self._handed_off = False
            super().set_step(t)
            return
        self._update_lr(t)

    def _hand_off(self) -> None:
        """Restart ``after_scheduler`` at its step 0 on base ``multiplier * base``."""
        after = self.after_scheduler
        peak = [self.multiplier * b for b in self._bases]
        for group, v in zip(self.optimizer.param_groups, peak, strict=True):
            _write(group, "lr", v)
        if is_metric_driven(after):
            after._last_lr = [_read(g, "lr") for g in self.optimizer.param_groups]
        else:
            after.base_lrs = [
                torch.tensor(v, dtype=r.dtype) if isinstance(r, torch.Tensor) else v
                for v, r in zip(peak, self._base_raw, strict=True)
            ]
            after.last_epoch = -1
            after._initial_step()
        self._handed_off = True

    def _jump_after(self, k: int | float) -> None:
        after = self.after_scheduler
        if isinstance(after, LRScheduler):
            after.set_step(k)
        elif is_metric_driven(after):
            if self._metrics is not None:
                after.step(self._metrics)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                after.step(k)

    # -- state -----------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        cfg = super()._config()
        cfg["multiplier"] = self.multiplier
        cfg["total_epoch"] = self.total_epoch
        after = self.after_scheduler
        cfg["after_scheduler"] = None if after is None else type(after).__name__
        return cfg

    def _extra_state(self) -> dict[str, Any]:
        after = self.after_scheduler
        return {
            "handed_off": self._handed_off,
            "after_scheduler": None if after is None else after.state_dict(),
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        after = self.after_scheduler
        saved = state.get("after_scheduler")
        if (after is None) != (saved is None):
            raise ValueError(
                "GradualWarmupScheduler.load_state_dict: the state and this scheduler "
                "disagree on whether there is an after_scheduler"
            )
        if after is not None:
            # The wrapper's drift policy reaches the after-scheduler (whose own config,
            # e.g. a length edited with the number of epochs, may be what changed).
            load_child(after, saved, self._on_config_change)
        self._handed_off = bool(state.get("handed_off", False))

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: ConfigChangePolicy = "error"
    ) -> None:
        """Restore the warmup and the after-scheduler (as :meth:`LRScheduler.load_state_dict`).

        ``on_config_change`` applies to the after-scheduler too. Nothing is loaded
        when any part is refused.
        """
        self._on_config_change = on_config_change
        try:
            with atomic_load(self.optimizer, [self]):
                super().load_state_dict(state_dict, on_config_change=on_config_change)
        finally:
            self._on_config_change = "error"
        after = self.after_scheduler
        if on_config_change != "error" and self._handed_off and after is not None:
            # The after-scheduler may now follow an edited schedule: its values win.
            values = [_as_float(v) for v in after.get_last_lr()]
            for group, v in zip(self.optimizer.param_groups, values, strict=True):
                _write(group, "lr", v)
            self._record()


class LinearAnnealingLR(ScheduleDriven):
    r"""Linear annealing from each group's base lr to ``eta_min`` over ``T_max`` steps.

    .. math::
        \text{lr}(t) = \eta_{min} + (b - \eta_{min})(1 - \min(t, T_{max}) / T_{max})

    The linear twin of ``CosineAnnealingLR``, except that it holds ``eta_min``
    after ``T_max`` instead of cycling back up (:class:`lrplan.Linear` in
    absolute units). Chained with other schedulers it applies its step-to-step
    ratio to the current lr.

    Args:
        optimizer: the wrapped optimizer.
        T_max: number of steps to reach ``eta_min``; ``> 0``.
        eta_min: the final lr, ``>= 0``. Default: 0.
        last_epoch: the index of the last epoch, when resuming. Default: -1.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.LinearAnnealingLR(opt, T_max=4, eta_min=0.2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(6):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2]
    """

    _relative = False

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.T_max = check_real("LinearAnnealingLR", "T_max", T_max, lo=0.0, lo_open=True)
        self.eta_min = check_real("LinearAnnealingLR", "eta_min", eta_min, lo=0.0)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return Linear(steps=self.T_max, start=base, end=self.eta_min)
