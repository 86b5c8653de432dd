"""The stateful warmups: :class:`Warmup` (in front of any scheduler) and
:class:`GradualWarmupScheduler` (the 2019 class, done right), with LinearAnnealingLR.

Both warmups share :class:`_HandOff`: a warmup in closed form, then the wrapped
scheduler from its own step 0, driven through its public API only. Their ramps are
the pure layer's :func:`~lrplan.ramp`, the same values as :func:`~lrplan.warmup`.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from ._atomic import atomic_load, load_child
from ._driver import ConfigChangePolicy, ScheduleDriven, _warn_get_lr_outside_step
from ._groups import as_float, check_time, read_floats, write
from ._schedules import Constant, Linear, Schedule, ramp
from ._schedules._core import check_int, check_real

__all__ = [
    "WARMUP_SHAPES",
    "GradualWarmupScheduler",
    "LinearAnnealingLR",
    "Warmup",
    "is_metric_driven",
]

#: The ramp shapes :class:`Warmup` accepts, and the pure :func:`~lrplan.ramp` shape of
#: each: Warmup's ``"exponential"`` is the geometric ramp, ``start ** (1 - p)``.
_RAMP_OF = {"linear": "linear", "cosine": "cosine", "exponential": "geometric"}
WARMUP_SHAPES = tuple(_RAMP_OF)


#: torch's call-order warnings (lrplan's driver gives the same), as a filter pattern.
_CALL_ORDER = r"Detected call of `lr_scheduler\.step\(\)`|Seems like `optimizer\.step\(\)`"


def is_metric_driven(scheduler: Any) -> bool:
    """Whether ``scheduler.step`` needs a metric (``ReduceLROnPlateau`` and its kin)."""
    return isinstance(scheduler, _TorchPlateau) or bool(getattr(scheduler, "metric_driven", False))


class _HandOff(ScheduleDriven):
    """A warmup in closed form, then a wrapped scheduler (the "inner") from its step 0.

    The inner may be any scheduler bound to the optimizer: lrplan's, torch's, a
    user's subclass of either ``LRScheduler`` (``get_lr()``), or a metric-driven one.
    Only its public API is used (``step()``, ``state_dict()``, ``load_state_dict()``,
    ``base_lrs``, ``set_step()`` where it has one, ``get_last_lr()``):

    * It is not stepped during the warmup. At the hand-off step ``_at`` it is
      *restarted*: the state it had when it was wrapped is loaded back and every
      group gets the lr it wrote then (``_targets``), so its step 0 comes again,
      exactly; every later step is one ``inner.step()`` (with the metric, for a
      metric-driven one).
    * A jump (``set_step``, ``step(epoch)``) past the hand-off calls the inner's
      ``set_step`` where it has one, else replays its steps (from the restart for a
      jump back). ``_inner_k`` is the inner's step since the restart (``None``
      before the hand-off).
    * The state nests the inner's ``state_dict()`` and its step.
    """

    _chainable: ClassVar[bool] = False
    #: The attribute that holds the wrapped scheduler.
    _inner_name: ClassVar[str]
    _metrics: Any = None
    _policy: ConfigChangePolicy = "error"
    _loaded: list[float] | None = None

    def _wrap(self, owner: str, inner: Any, optimizer: Optimizer | None, at: int) -> None:
        """Check and hold ``inner``, whose step 0 comes at the wrapper's step ``at``.

        ``inner`` may be ``None`` (nothing after the warmup) only when ``optimizer``
        is given; else the inner's optimizer is the wrapper's.
        """
        if (inner is not None or optimizer is None) and not (
            hasattr(inner, "step")
            and hasattr(inner, "state_dict")
            and hasattr(inner, "load_state_dict")
            and isinstance(getattr(inner, "optimizer", None), Optimizer)
        ):
            raise TypeError(
                f"{owner}: {self._inner_name} must be a learning-rate scheduler bound to an "
                "optimizer (with .optimizer, .step(), .state_dict() and .load_state_dict()), "
                f"got {type(inner).__name__}"
            )
        optimizer = optimizer or inner.optimizer
        setattr(self, self._inner_name, inner)
        self._at = at
        self.metric_driven = inner is not None and is_metric_driven(inner)
        # The inner's step 0: the lrs it wrote, and its full state (plain data).
        self._targets: list[float] = read_floats(optimizer.param_groups, "lr")
        self._inner_initial = None if inner is None else copy.deepcopy(inner.state_dict())
        self._inner_k: float | None = None

    @property
    def _inner(self) -> Any:
        return getattr(self, self._inner_name)

    def _schedules_gap(self) -> str | None:
        inner = self._inner
        if inner is None:
            return None
        name = type(inner).__name__
        return f"its schedules hold only the warmup; {name} writes the steps after it"

    def _lrs(self) -> list[float]:
        return read_floats(self.optimizer.param_groups, "lr")

    def _set_lrs(self, values: list[float]) -> None:
        for group, v in zip(self.optimizer.param_groups, values, strict=True):
            write(group, "lr", v)

    # -- stepping ---------------------------------------------------------------------------

    def step(self, epoch: int | float | None = None, metrics: Any = None) -> None:  # type: ignore[override]
        """Advance one step; ``metrics`` feeds a metric-driven inner after the hand-off.

        ``epoch`` is torch's deprecated argument (it warns); prefer :meth:`set_step`.
        """
        if epoch is not None:
            self._check_jump(check_time("step", epoch))
        elif metrics is None and self.metric_driven and self.last_epoch + 1 > self._at:
            raise ValueError(
                f"{type(self).__name__}: the warmup is over and {self._inner_name} "
                f"({type(self._inner).__name__}) needs a metric: call step(metrics=value)"
            )
        self._metrics = metrics
        try:
            super().step(epoch)
        finally:
            self._metrics = None

    def set_step(self, t: int | float) -> None:
        """Jump to step ``t``: the warmup's closed form, or the inner at its step ``t - _at``."""
        t = check_time(f"{type(self).__name__}.set_step", t)
        if self._inner is None or t < self._at:
            super().set_step(t)
            return
        self._check_jump(t)
        self._adopt_new_groups()
        self.last_epoch = t
        self._apply(self._follow(t, jump=True))

    def _check_jump(self, t: float) -> None:
        """Refuse, before anything changes, a jump the inner cannot make."""
        inner, k = self._inner, t - self._at
        if k > 0 and not (self.metric_driven or hasattr(inner, "set_step") or k == int(k)):
            raise ValueError(
                f"{type(self).__name__}: step {t} puts {type(inner).__name__} at fractional "
                f"step {k}; only lrplan schedulers accept fractional steps"
            )

    def _next_values(self, t_prev: float, t: float) -> list[float]:
        if self._inner is None or t < self._at:
            return super()._next_values(t_prev, t)
        return self._follow(t, jump=False)

    def _get_closed_form_lr(self) -> list[float]:
        """``step(epoch)``: the warmup's closed form, or the inner at ``epoch - _at``."""
        t = self.last_epoch
        if self._inner is None or t < self._at:
            return self._closed_all(t)
        return self._follow(t, jump=True)

    def _apply(self, values: Sequence[Any]) -> None:
        if self.last_epoch < self._at:
            self._inner_k = None  # back in the warmup: the next hand-off restarts the inner
        super()._apply(values)

    def _follow(self, t: float, jump: bool) -> list[float]:
        """Bring the inner to its step ``t - _at``; the lrs it wrote."""
        inner, k, now = self._inner, t - self._at, self._inner_k
        settable = hasattr(inner, "set_step") and not self.metric_driven
        if now is None or (jump and k == 0) or (k < now and not settable):
            self._restart()
            now = 0
        if k != now or (jump and settable and k > 0):
            quiet = now == 0 or jump
            with warnings.catch_warnings() if quiet else contextlib.nullcontext():
                if quiet:  # the wrapper's own first step checked the call order
                    warnings.filterwarnings("ignore", message=_CALL_ORDER)
                if self.metric_driven:
                    if not jump or self._metrics is not None:
                        inner.step(self._metrics)
                elif not jump and k == now + 1:
                    inner.step()
                elif settable:
                    inner.set_step(k)
                else:
                    for _ in range(int(k - now)):
                        inner.step()
        self._inner_k = k
        return self._lrs()

    def _restart(self) -> None:
        """The inner's step 0 again: its state when wrapped, and the lrs it wrote then."""
        self._set_lrs(self._targets)
        self._inner.load_state_dict(copy.deepcopy(self._inner_initial))
        self._inner_k = 0

    def get_lr(self) -> list[Any]:
        """Inside ``step()``, the next values. Outside it (with torch's warning), the
        current ones: the warmup's closed form, or what the inner wrote."""
        if self._get_lr_called_within_step or self._inner_k is None:
            return super().get_lr()
        _warn_get_lr_outside_step(self)
        return list(self._last_values)

    # -- state ------------------------------------------------------------------------------

    def _extra_state(self) -> dict[str, Any]:
        inner = self._inner
        return {
            "targets": list(self._targets),
            "inner_step": self._inner_k,
            self._inner_name: None if inner is None else dict(inner.state_dict()),
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        owner = f"{type(self).__name__}.load_state_dict"
        inner, saved = self._inner, state.get(self._inner_name)
        # lrplan's version-1 GradualWarmupScheduler saved no targets (they are the
        # inner's step-0 lrs, the same for the same construction) and no inner step.
        targets, k = state.get("targets", self._targets), state.get("inner_step")
        if (inner is None) != (saved is None):
            raise ValueError(
                f"{owner}: the state and this scheduler disagree on whether there is an "
                f"{self._inner_name}"
            )
        if saved is not None and not isinstance(saved, Mapping):
            raise ValueError(f"{owner}: state key {self._inner_name!r} is malformed")
        if not isinstance(targets, list) or len(targets) != len(self._targets):
            raise ValueError(f"{owner}: state key 'targets' is missing or malformed")
        if k is not None and (isinstance(k, bool) or not isinstance(k, int | float)):
            raise ValueError(f"{owner}: state key 'inner_step' is malformed")
        self._targets = [float(v) for v in targets]
        self._build_schedules()
        if inner is not None:
            # The groups hold the inner's own lrs while it loads, so one that compares
            # them with its state sees no foreign change.
            self._set_lrs(self._targets)
            load_child(inner, saved, self._policy)
            self._loaded = self._lrs()  # what the inner wrote, under the load's policy
            if "inner_step" not in state:  # version 1: the inner counted from its step 0
                k = getattr(inner, "last_epoch", None)
        self._inner_k = k  # (None again in the warmup, by _apply)

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: ConfigChangePolicy | None = None
    ) -> None:
        """Restore the wrapper and the inner (see ``ScheduleDriven.load_state_dict``).

        ``on_config_change`` (default ``"error"``) applies to the inner too. Nothing
        is loaded when any part is refused.
        """
        policy: ConfigChangePolicy = on_config_change or "error"
        self._policy = policy
        try:
            with atomic_load(self.optimizer, [self]):
                super().load_state_dict(state_dict, on_config_change=policy)
            if policy != "error" and self._inner_k is not None and self._loaded is not None:
                self._apply(self._loaded)  # the inner may follow an edited schedule now
        finally:
            self._policy, self._loaded = "error", None


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
    torch's own, your own subclass of ``LRScheduler`` (``get_lr()``, chainable or
    closed form), or a metric-driven one such as ``ReduceLROnPlateau``, which is
    stepped with ``step(metrics=...)`` once the warmup is over (metrics given
    during the warmup are ignored). Only its public API is used: at epoch
    :math:`T` its state from when it was wrapped (its step 0) is loaded back, its
    ``base_lrs`` become :math:`m b` and each group's lr :math:`m` times its step-0
    lr (lrplan schedulers: ``set_step(0)`` on the new base); then it is stepped
    once per epoch. It is not stepped during the warmup.

    Differences from the widely copied 2019 ``GradualWarmupScheduler`` (ildoonet),
    each a bug there:

    * **Hand-off.** There, epoch :math:`T+1` returns the after-scheduler's own last
      lr, so the peak repeats, and a chainable after-scheduler (such as StepLR)
      can lose the multiplier and fall back to :math:`b`. Here the after-scheduler
      is restarted on base :math:`m b` at epoch :math:`T` and advances one step per
      epoch.
    * **step() vs step(epoch).** There they give different sequences; here both
      give the same: ``step(epoch)`` (and :meth:`set_step`) is the warmup's closed
      form, or the after-scheduler brought to step ``epoch - T`` (lrplan's by
      ``set_step``, others by stepping them; a metric-driven one takes one step
      with the metric).
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

    _inner_name: ClassVar[str] = "after_scheduler"
    after_scheduler: Any

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
        self._wrap(owner, after_scheduler, optimizer, self.total_epoch)
        if after_scheduler is not None and after_scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner}: after_scheduler is bound to a different optimizer than the "
                "one given; create both on the same optimizer"
            )
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        start = 0.0 if self.multiplier == 1 else 1.0
        return ramp("linear", steps=self.total_epoch, start=start, end=self.multiplier)

    def _restart(self) -> None:
        """The after-scheduler's step 0 on base ``multiplier * base``."""
        super()._restart()
        m, after = self.multiplier, self.after_scheduler
        if m == 1:
            return
        if not self.metric_driven:
            after.base_lrs = [
                torch.tensor(m * as_float(b), dtype=b.dtype)
                if isinstance(b, torch.Tensor)
                else m * b
                for b in self.base_lrs
            ]
            if hasattr(after, "set_step"):
                after.set_step(0)
                return
        self._set_lrs([m * v for v in self._targets])

    def _config(self) -> dict[str, Any]:
        cfg = super()._config()
        cfg["multiplier"] = self.multiplier
        cfg["total_epoch"] = self.total_epoch
        after = self.after_scheduler
        cfg["after_scheduler"] = None if after is None else type(after).__name__
        return cfg


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

    These are the pure :func:`lrplan.ramp` shapes, from ``start * target`` to
    ``target`` (``"exponential"`` here is its ``"geometric"`` ramp); the pure
    :func:`lrplan.warmup` builds its ramps with the same function.

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
        target = self._targets[group_index]
        if self.steps == 0:
            return Constant(value=target)
        shape = _RAMP_OF[self.shape]
        return ramp(shape, steps=self.steps, start=self.start * target, end=target)

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
