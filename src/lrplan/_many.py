"""Several hyperparameters of one optimizer as one scheduler: :func:`schedule_many` and
:class:`MultiScheduledLR`, one :class:`~lrplan.ScheduledLR` per param-group key.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from collections.abc import Sequence as SequenceABC
from typing import Any

from torch.optim import Optimizer

from ._atomic import atomic_load
from ._driver import LRScheduler, ScheduledLR
from ._schedules import Schedule

__all__ = ["MultiScheduledLR", "schedule_many"]


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
