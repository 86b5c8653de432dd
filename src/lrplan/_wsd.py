"""Warmup-stable-decay with the cooldown started on demand, during training."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from torch.optim import Optimizer

from ._driver import ScheduleDriven
from ._schedules import Schedule, WarmupStableDecay
from ._schedules._core import check_real

__all__ = ["WSDScheduler"]


class WSDScheduler(ScheduleDriven):
    r"""Warmup, an open-ended stable phase, and a cooldown you start when you choose.

    The lr warms up over ``warmup`` steps, then holds each group's base lr for as
    long as training runs. Call :meth:`begin_decay` at any point after the warmup
    and the lr cools down to ``min_ratio * base`` over ``steps`` steps, in the
    shape ``decay_shape`` (``"linear"``, ``"cosine"`` or ``"1-sqrt"``), then holds
    there. Values are :class:`lrplan.WarmupStableDecay` in closed form:

    .. math::
        \text{lr}(t) = b \cdot \begin{cases}
          w_0 + (1 - w_0) f(t / W) & t < W \\
          1 & W \le t < t_d \\
          m + (1 - m)\, g((t - t_d) / D) & t_d \le t < t_d + D \\
          m & t \ge t_d + D
        \end{cases}

    where :math:`t_d` is the step the cooldown begins at and :math:`D` its length.

    **The decision is state.** When and how long the cooldown is are in
    :meth:`state_dict` (``extra``), so a resumed run continues it bit-exactly, and
    one checkpoint saved during the stable phase can be loaded into several runs
    that each start a different cooldown (Hägele et al. 2024's "cooldowns branched
    from one run"). The config fingerprint covers the constructor arguments only,
    so a state with a cooldown loads into a scheduler built without one.

    A cooldown can also be planned up front: ``stable=S, decay_steps=D`` gives the
    fixed schedule, with the cooldown at step ``W + S``.

    Args:
        optimizer: the wrapped optimizer.
        warmup: warmup length in steps (``>= 0``).
        decay_shape: ``"linear"`` (default), ``"cosine"`` or ``"1-sqrt"``.
        min_ratio: the final lr as a fraction of each group's base lr, in [0, 1].
        decay_steps: the default cooldown length for :meth:`begin_decay` (and the
            planned one when ``stable`` is given).
        stable: plan the cooldown at step ``warmup + stable``; ``None`` (default)
            leaves the stable phase open until :meth:`begin_decay`.
        warmup_shape: ``"linear"`` (default), ``"cosine"`` or ``"1-sqrt"``.
        warmup_start: where the warmup starts, as a fraction of the base lr.
        last_epoch: the last step taken, when resuming (torch's protocol).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lp.WSDScheduler(opt, warmup=2, min_ratio=0.1)
        >>> for _ in range(5):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()                       # step 5: stable
        [1.0]
        >>> sched.begin_decay(steps=2)                # reach 0.1 two steps from now
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); print(round(sched.get_last_lr()[0], 6))
        0.55
        0.1
        0.1

    References: Hu et al., *MiniCPM*, 2024; Hägele et al., *Scaling Laws and
    Compute-Optimal Training Beyond Fixed Training Durations*, NeurIPS 2024.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        *,
        warmup: float = 0,
        decay_shape: str = "linear",
        min_ratio: float = 0.0,
        decay_steps: float | None = None,
        stable: float | None = None,
        warmup_shape: str = "linear",
        warmup_start: float = 0.0,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "WSDScheduler"
        if decay_steps is not None:
            decay_steps = check_real(owner, "decay_steps", decay_steps, lo=0.0, lo_open=True)
        # Validate every shape argument once, through the pure shape itself.
        self._plan = WarmupStableDecay(
            warmup=warmup,
            min_ratio=min_ratio,
            decay_shape=decay_shape,
            warmup_shape=warmup_shape,
            warmup_start=warmup_start,
        )
        self.warmup = self._plan.warmup
        self.decay_shape = decay_shape
        self.min_ratio = self._plan.min_ratio
        self.warmup_shape = warmup_shape
        self.warmup_start = self._plan.warmup_start
        self.default_decay_steps = decay_steps
        self._decay_start: float | None = None
        self._decay_steps: float | None = None
        if stable is not None:
            stable = check_real(owner, "stable", stable, lo=0.0)
            if decay_steps is None:
                raise ValueError(f"{owner}: stable={stable} plans a cooldown; give decay_steps too")
            self._decay_start = self.warmup + stable
            self._decay_steps = decay_steps
        self.planned_stable = stable
        super().__init__(optimizer, last_epoch, verbose)

    # -- the decision ------------------------------------------------------------------------

    @property
    def decay_start(self) -> float | None:
        """The step the cooldown begins at, or ``None`` while it is undecided."""
        return self._decay_start

    @property
    def decay_steps(self) -> float | None:
        """The cooldown's length in steps, or ``None`` while it is undecided."""
        return self._decay_steps

    def begin_decay(self, steps: float | None = None, *, at: float | None = None) -> None:
        """Start the cooldown: reach ``min_ratio * base`` ``steps`` steps after ``at``.

        ``at`` defaults to the current step (``last_epoch``): its lr, already
        written, is the cooldown's first value (1, as every cooldown shape starts
        there), and after ``steps`` more ``step()`` calls the lr is the minimum.
        ``at`` may be later (a cooldown scheduled ahead), never earlier, since
        values already used cannot change. ``steps`` defaults to the constructor's
        ``decay_steps``.

        Raises:
            RuntimeError: a cooldown is already decided (begin_decay runs once).
            ValueError: ``steps`` missing or not ``> 0``; ``at`` in the past; the
                cooldown would start inside the warmup (call it after the warmup,
                or pass ``at >= warmup``).
        """
        owner = "WSDScheduler.begin_decay"
        if self._decay_start is not None:
            raise RuntimeError(
                f"{owner}: the cooldown is already decided (it begins at step "
                f"{self._decay_start} and lasts {self._decay_steps} steps); it can be "
                "decided once per run. To try another, load a checkpoint from before it."
            )
        if steps is None:
            steps = self.default_decay_steps
            if steps is None:
                raise ValueError(f"{owner}: give steps= (no decay_steps was set at construction)")
        d = check_real(owner, "steps", steps, lo=0.0, lo_open=True)
        now = self.last_epoch
        if at is None:
            if now < self.warmup:
                raise ValueError(
                    f"{owner}: the warmup is still running (step {now} of {self.warmup}); "
                    f"call begin_decay after it, or pass at >= {self.warmup}"
                )
            start: float = now
        else:
            start = check_real(owner, "at", at, lo=0.0)
            if start < now:
                raise ValueError(
                    f"{owner}: at={at} is in the past (the scheduler is at step {now}); "
                    "values already used cannot change"
                )
            if start < self.warmup:
                raise ValueError(
                    f"{owner}: at={at} is inside the warmup; the cooldown may begin at "
                    f"step {self.warmup} or later"
                )
        self._decay_start = start
        self._decay_steps = d
        self._build_schedules()

    # -- schedules and state -----------------------------------------------------------------

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        start, steps = self._decay_start, self._decay_steps
        if start is None or steps is None:
            return self._plan
        return dataclasses.replace(self._plan, stable=start - self.warmup, decay=steps)

    def _config(self) -> dict[str, Any]:
        # The constructor's plan, not the decision: a state saved after begin_decay
        # loads into a scheduler that has not decided (the decision is in "extra").
        planned = self._plan
        if self.planned_stable is not None and self.default_decay_steps is not None:
            planned = dataclasses.replace(
                planned, stable=self.planned_stable, decay=self.default_decay_steps
            )
        return {
            "class": type(self).__name__,
            "key": self.key,
            "relative": self._relative,
            "schedules": [planned.to_config()],
            "decay_steps": self.default_decay_steps,
        }

    def _extra_state(self) -> dict[str, Any]:
        return {"decay_start": self._decay_start, "decay_steps": self._decay_steps}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        owner = "WSDScheduler.load_state_dict"
        start: Any = state.get("decay_start")
        steps: Any = state.get("decay_steps")
        if (start is None) != (steps is None):
            raise ValueError(f"{owner}: decay_start and decay_steps must both be set or both None")
        if start is not None:
            ok = all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in (start, steps)
            )
            if not ok or not (start >= self.warmup and steps > 0):
                raise ValueError(
                    f"{owner}: malformed cooldown in the state (decay_start={start!r}, "
                    f"decay_steps={steps!r})"
                )
        self._decay_start = start
        self._decay_steps = steps
        self._build_schedules()
