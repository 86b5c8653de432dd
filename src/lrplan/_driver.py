"""The stateful layer: torch's ``LRScheduler`` protocol, and schedules driven through it.

Two classes, one step path:

* :class:`LRScheduler` is torch's protocol, written out once: the base users
  subclass by overriding ``get_lr()`` (and optionally ``_get_closed_form_lr()`` or
  ``step()``), exactly as they would subclass
  ``torch.optim.lr_scheduler.LRScheduler``. It *is* a subclass of torch's class,
  so Lightning, accelerate and torch's own composites accept it.
* :class:`ScheduleDriven` is the same protocol configured by pure schedules: a
  subclass supplies one :class:`~lrplan.Schedule` per param group
  (``_make_schedule``) instead of a ``get_lr()``. Every lrplan scheduler is one.

``step()`` always runs the same way: count the call (and check the call order
once), advance ``last_epoch``, ask ``get_lr()`` (or the closed form, for the
deprecated ``step(epoch)``) for the new values, and write them.

How a schedule-driven ``get_lr()`` makes torch's chainable behaviour out of a
closed form, without a second formula per shape:

* While a group still holds exactly the value this scheduler last wrote, the
  value is the closed form ``scale * s(t)``.
* Once a group holds something else (another scheduler on the same optimizer,
  or the user's ``group["lr"] *= k``), that group switches to *relative* mode
  for good: the value is the current one moved by the schedule's own change
  (``Schedule._rechain``, by default ``current * s(t) / s(t - 1)``). That is how
  torch's chainable schedulers always behave, so several schedulers on one
  optimizer multiply and an external change persists. ``set_step`` and
  ``step(epoch)`` return every group to closed-form mode; ``load_state_dict``
  restores each group's saved mode.

A relative step divides by the shape's previous value; where that is 0 (a warmup
from 0) the closed form is written instead. Combine pure schedules with ``*``
rather than chaining such shapes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import operator
import os
import warnings
import weakref
from collections.abc import Mapping, Sequence
from functools import wraps
from typing import Any, ClassVar, Literal

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler

from ._groups import (
    BETAS_KEYS,
    as_float,
    check_fits,
    check_key,
    check_last_epoch,
    check_time,
    check_value,
    copy_all,
    copy_value,
    packed_buffer,
    read,
    read_all,
    read_floats,
    write,
    write_all,
)
from ._schedules import Schedule
from ._schedules._ops import SCALAR
from ._spec import load

__all__ = [
    "EPOCH_DEPRECATION_WARNING",
    "ConfigChangePolicy",
    "LRScheduler",
    "ScheduleDriven",
    "ScheduledLR",
    "_LRScheduler",
]

logger = logging.getLogger("lrplan")

#: torch's warning text for the deprecated ``step(epoch)``, word for word.
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
_GET_LR_WARNING = (
    "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
)

STATE_FORMAT = "lrplan.scheduler"
STATE_VERSION = 2

#: What ``load_state_dict`` does when the saved configuration differs from this one.
ConfigChangePolicy = Literal["saved", "error", "keep_step", "keep_fraction"]
_POLICIES = ("saved", "error", "keep_step", "keep_fraction")


# --------------------------------------------------------------------------- call order


def _patch_optimizer_step(optimizer: Optimizer) -> None:
    """Wrap ``optimizer.step`` once so it records that it ran (torch's protocol).

    The wrapper holds only a weak reference to the optimizer, so no reference
    cycle keeps an optimizer alive. The attribute names are torch's, so torch's
    schedulers and lrplan's share one wrapper.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__  # type: ignore[attr-defined]

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = opt_ref()
        opt._opt_called = True  # type: ignore[union-attr]
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    optimizer.step = wrapper  # type: ignore[method-assign]


def _has_nonfinite_grad(optimizer: Optimizer) -> bool:
    """Whether a gradient holds inf/NaN: AMP's GradScaler then skipped ``step()``."""
    return any(
        p.grad is not None and not bool(torch.isfinite(p.grad).all())
        for group in optimizer.param_groups
        for p in group["params"]
    )


def _warn_call_order(optimizer: Optimizer) -> None:
    """Give the first ``scheduler.step()`` torch's call-order warning, if it deserves one.

    Unlike torch, no warning when the optimizer step was skipped by AMP's
    GradScaler because of an inf/NaN gradient: that is not a misuse.
    """
    if not hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        warnings.warn(_OVERRIDDEN_WARNING, UserWarning, stacklevel=3)
    elif not getattr(optimizer, "_opt_called", False) and not _has_nonfinite_grad(optimizer):
        warnings.warn(_ORDER_WARNING, UserWarning, stacklevel=3)


# --------------------------------------------------------------------------- the protocol


class LRScheduler(_TorchLRScheduler):
    """torch's ``LRScheduler`` protocol: the base class for writing your own scheduler.

    Subclass it exactly as you would subclass torch's class. Override
    :meth:`get_lr`, which returns each group's next lr (chainable, from
    ``group["lr"]``, or in closed form from ``self.base_lrs`` and
    ``self.last_epoch``); optionally ``_get_closed_form_lr()``, used by the
    deprecated ``step(epoch)``; and, if you must, :meth:`step` itself.

    * **Construction** with ``last_epoch=-1`` records ``initial_lr`` in every group
      (``setdefault``; tensors are cloned) and reads ``base_lrs`` from it. With
      ``last_epoch >= 0`` (resuming) every group must already hold ``initial_lr``,
      or a ``KeyError`` says so. The constructor then performs the initial step.
    * **step()** checks the call order on its first call, counts, advances
      ``last_epoch`` and writes ``get_lr()``'s values (tensors in place, with
      ``fill_``). ``get_last_lr()`` returns copies of what was written.
    * **step(epoch)** is torch's deprecated form: it warns with
      :data:`EPOCH_DEPRECATION_WARNING` and uses ``_get_closed_form_lr()`` where the
      class has one.
    * **state_dict()** is every attribute but the optimizer, as in torch.

    Differences from torch, none of which changes a number: ``verbose`` (removed
    in torch 2.7) is accepted and logs every change to the ``"lrplan"`` logger;
    the call-order warning is not raised when AMP's GradScaler skipped the first
    optimizer step; ``last_epoch`` is checked to be an int ``>= -1``.

    Example:
        >>> import math, torch, lrplan
        >>> class WarmupCosine(lrplan.LRScheduler):
        ...     def __init__(self, optimizer, warmup, total, last_epoch=-1):
        ...         self.warmup, self.total = warmup, total
        ...         super().__init__(optimizer, last_epoch)
        ...     def get_lr(self):
        ...         t = self.last_epoch
        ...         if t < self.warmup:
        ...             f = (t + 1) / self.warmup
        ...         else:
        ...             f = 0.5 * (1 + math.cos(math.pi * (t - self.warmup) / self.total))
        ...         return [base * f for base in self.base_lrs]
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = WarmupCosine(opt, warmup=2, total=10)
        >>> sched.get_last_lr()
        [0.05]
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.1]
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False
    #: The param-group entry this scheduler drives (torch's classes: always ``"lr"``).
    key: str = "lr"
    _verbose: bool = False

    optimizer: Optimizer
    last_epoch: Any

    def __init__(
        self, optimizer: Optimizer, last_epoch: int = -1, verbose: bool | str = False
    ) -> None:
        owner = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        last_epoch = check_last_epoch(owner, last_epoch)
        initial_key = f"initial_{self.key}"
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                check_key(owner, group, self.key)
                group.setdefault(initial_key, copy_value(read(group, self.key)))
            elif initial_key not in group:
                raise KeyError(
                    f"param {initial_key!r} is not specified in param_groups[{i}] when resuming "
                    f"scheduler with last_epoch >= 0 ({owner}, last_epoch={last_epoch}). Load "
                    "the optimizer's state_dict (which holds it) before creating the scheduler, "
                    "or create it with last_epoch=-1 and call scheduler.load_state_dict()."
                )
        self.base_lrs = [copy_value(g[initial_key]) for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        if verbose:
            self.verbose = verbose  # type: ignore[assignment]
        _patch_optimizer_step(optimizer)
        self._initial_step()

    @property
    def verbose(self) -> bool:
        """Log every change of a value to the ``"lrplan"`` logger (torch removed it in 2.7)."""
        return self._verbose

    @verbose.setter
    def verbose(self, value: bool | str) -> None:
        self._verbose = bool(value) and value != "deprecated"

    def _initial_step(self) -> None:
        """Reset the step count and perform the initial step (torch's protocol)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, epoch: int | float | None = None) -> None:  # type: ignore[override]
        """Advance one step and write the new values.

        ``epoch`` is torch's deprecated argument: it warns and jumps to ``epoch``
        using the closed form where the class has one.
        """
        if self._step_count == 1:
            _warn_call_order(self.optimizer)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | float | None = None) -> None:
        """Ask ``get_lr()`` (or, for ``epoch``, the closed form) within the step; write."""
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        self._apply(values)

    def _apply(self, values: Sequence[Any]) -> None:
        """Write one value per group and record copies as ``_last_lr``."""
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__}: get_lr() returned {len(values)} values for "
                f"{len(groups)} param groups"
            )
        for group, value in zip(groups, values, strict=True):
            write(group, self.key, value)
        self._last_lr = copy_all(groups, self.key)
        if self._verbose:
            self._log(dict(enumerate(self._last_lr)))

    def _log(self, values: Mapping[int, Any]) -> None:
        """Report each param group's new value (``verbose``)."""
        for i, v in values.items():
            logger.info(
                "%s: step %s, param group %d: %s = %.6e",
                type(self).__name__,
                self.last_epoch,
                i,
                self.key,
                as_float(v),
            )

    def get_lr(self) -> list[Any]:
        """Each param group's next value. Subclasses implement it, as in torch."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_lr() (as for torch's LRScheduler), "
            "or derive from lrplan.ScheduledLR to supply schedules instead"
        )

    def get_last_lr(self) -> list[Any]:
        """The values last written, one per group (copies; a tensor where the group has one)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, as in torch."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # type: ignore[override]
        """Restore the attributes saved by :meth:`state_dict`, as in torch."""
        self.__dict__.update(state_dict)


class _LRScheduler(LRScheduler):
    """torch's old name for :class:`LRScheduler`, kept as torch keeps it, for old code.

    Example:
        >>> import torch, lrplan
        >>> class Halving(lrplan._LRScheduler):
        ...     def get_lr(self):
        ...         return [base * 0.5**self.last_epoch for base in self.base_lrs]
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = Halving(opt)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.05]
    """


def _warn_get_lr_outside_step(scheduler: LRScheduler) -> None:
    """torch's warning for a ``get_lr()`` call made outside ``step()``."""
    if not scheduler._get_lr_called_within_step:
        warnings.warn(_GET_LR_WARNING, UserWarning, stacklevel=3)


# --------------------------------------------------------------------------- schedules

#: The types a group value may have to be assigned rather than written in place.
_NUMBERS = frozenset({float, int})


def fingerprint(config: Any) -> str:
    """A short, stable hash of plain-data ``config`` (sorted-key JSON, SHA-256)."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def diff_configs(old: Any, new: Any, path: str = "") -> list[str]:
    """Human-readable differences between two plain-data configs."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            p = f"{path}.{k}" if path else str(k)
            if k not in old:
                out.append(f"{p}: added ({new[k]!r})")
            elif k not in new:
                out.append(f"{p}: removed (was {old[k]!r})")
            else:
                out.extend(diff_configs(old[k], new[k], p))
        return out
    if isinstance(old, list | tuple) and isinstance(new, list | tuple) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in diff_configs(a, b, f"{path}[{i}]")
        ]
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


class ScheduleDriven(LRScheduler):
    """The protocol configured by pure schedules: every lrplan scheduler is one.

    A subclass implements :meth:`_make_schedule`, the schedule of one param group
    given its base value; ``get_lr()`` (see the module docs) and the state follow.

    * Values are checked: a schedule can never put a NaN, an inf or a negative
      number into an optimizer.
    * ``step(epoch)`` and :meth:`set_step` write the closed form at any time, an
      int or a float; ``set_step`` never warns.
    * :meth:`state_dict` is plain data: torch's keys with torch's meanings, plus
      lrplan's under the key ``"lrplan"`` (format, version, the schedule's config
      and fingerprint, the values the groups held, each group's mode).
    * Tensor values are written in place, each with ``fill_``; after
      :func:`lrplan.tensorize`, all groups at once with one ``copy_``.
    """

    #: Whether foreign changes to a group are composed with (torch's chainable
    #: classes) or overwritten by the closed form (``LambdaLR``).
    _chainable: ClassVar[bool] = True
    #: Whether schedules are multipliers of the base value (True) or absolute.
    _relative: bool = True
    #: torch's constructor arguments that torch saves in its state (torch-named
    #: classes): on load, the saved ones win, as in torch.
    _torch_args: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, optimizer: Optimizer, last_epoch: int = -1, verbose: bool | str = False
    ) -> None:
        self._written: list[float] = []
        self._written_t: Any = None
        self._chained: list[bool] = []
        self._last_values: list[float] = []
        #: key -> (the groups' tensors, the tensorize buffer they are views of)
        self._buffers: dict[str, tuple[list[Any], torch.Tensor]] = {}
        super().__init__(optimizer, last_epoch, verbose)

    # -- what subclasses provide ----------------------------------------------------------

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        """The pure schedule for param group ``group_index`` whose base value is ``base``."""
        raise NotImplementedError

    def _schedules_gap(self) -> str | None:
        """Why :attr:`schedules` miss values this scheduler's steps write, or None.

        None (here) means the schedules are the scheduler's whole closed form, so plots
        draw them; a subclass that writes more (a wrapped scheduler after a warmup,
        random noise) says what, and plots simulate a copy instead.
        """
        return None

    def _extra_state(self) -> dict[str, Any]:
        """Subclass state beyond the step (plain data only)."""
        return {}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_extra_state` returned."""

    # -- bases and schedules --------------------------------------------------------------

    @property  # type: ignore[override]
    def base_lrs(self) -> list[Any]:
        """Each group's base value (``initial_<key>``); a tensor where the group's is.

        Assigning a new list rebuilds the per-group schedules from the new bases.
        """
        return [copy_value(b) for b in self._base_raw]

    @base_lrs.setter
    def base_lrs(self, values: Sequence[Any]) -> None:
        values = list(values)
        n = len(self.optimizer.param_groups)
        if len(values) != n:
            raise ValueError(
                f"{type(self).__name__}: base_lrs needs {n} values (one per param group), "
                f"got {len(values)}"
            )
        self._base_raw = [
            copy_value(v) if isinstance(v, torch.Tensor) else float(v) for v in values
        ]
        self._bases = [as_float(v) for v in values]
        self._build_schedules()

    def _build_schedules(self) -> None:
        self._schedules: list[Schedule] = []
        self._scales: list[float] = []
        self._distinct: list[Schedule] = []  # each schedule once, evaluated once per step
        self._which: list[int] = []  # group -> its schedule in ``_distinct``
        for i, base in enumerate(self._bases):
            self._add_schedule(i, base)
        n = len(self._bases)
        self._written = (self._written + [math.nan] * n)[:n]
        self._chained = (self._chained + [False] * n)[:n]
        self._last_values = (self._last_values + list(self._bases))[:n]

    def _add_schedule(self, i: int, base: float) -> None:
        s = self._make_schedule(i, base)
        if not isinstance(s, Schedule):
            raise TypeError(
                f"{type(self).__name__}: schedule for param group {i} must be an "
                f"lrplan Schedule, got {type(s).__name__}"
            )
        if s not in self._distinct:
            self._distinct.append(s)
        self._which.append(self._distinct.index(s))
        self._schedules.append(s)
        self._scales.append(base if self._relative else 1.0)

    def _adopt_new_groups(self) -> None:
        """Groups added with ``optimizer.add_param_group`` after construction.

        A group that joins mid-run composes with whatever it holds, as in torch.
        """
        groups = self.optimizer.param_groups
        for i in range(len(self._bases), len(groups)):
            group = groups[i]
            check_key(type(self).__name__, group, self.key)
            group.setdefault(f"initial_{self.key}", copy_value(read(group, self.key)))
            raw = copy_value(group[f"initial_{self.key}"])
            current = as_float(read(group, self.key))
            self._base_raw.append(raw)
            self._bases.append(as_float(raw))
            self._add_schedule(i, self._bases[-1])
            # (``_written`` and ``_last_values`` may be one list: grow copies.)
            self._written = [*self._written, current]
            self._chained.append(self._chainable and self.last_epoch > 0)
            self._last_values = [*self._last_values, current]

    @property
    def schedules(self) -> list[Schedule]:
        """The pure schedule of each param group (read-only)."""
        return list(self._schedules)

    # -- values ----------------------------------------------------------------------------

    def _closed(self, i: int, t: float) -> float:
        """The closed form for group ``i`` at time ``t`` (``t < 0`` is the base)."""
        if t < 0:
            return self._bases[i]
        value: float = self._scales[i] * float(self._schedules[i]._at(float(t), SCALAR))
        return value

    def _closed_all(self, t: float) -> list[float]:
        """Every group's closed form at ``t``; a schedule shared by groups runs once."""
        if t < 0:
            return list(self._bases)
        # ``s._at`` is ``s(t)`` for a time the driver has already checked.
        ft = float(t)
        ms = [float(s._at(ft, SCALAR)) for s in self._distinct]
        scales = self._scales
        if len(ms) == 1 and scales.count(scales[0]) == len(scales):
            return [scales[0] * ms[0]] * len(scales)  # one schedule, one base: one value
        return [scale * ms[k] for scale, k in zip(scales, self._which, strict=True)]

    def _relative_step(self, i: int, current: float, t_prev: float, t: float) -> float:
        """Move group ``i``'s ``current`` value from ``t_prev`` to ``t`` as the schedule moves."""
        if t_prev < 0:
            base = self._bases[i]
            return self._closed(i, t) if base == 0 else current * (self._closed(i, t) / base)
        new = self._schedules[i]._rechain(current, self._scales[i], t_prev, t)
        return self._closed(i, t) if new is None else new

    def _expect_closed(self, t: float) -> None:
        """Expect every group to hold the closed form at ``t``, as the group stores it."""
        stored = []
        for i, group in enumerate(self.optimizer.param_groups):
            raw, value = read(group, self.key), self._closed(i, t)
            if isinstance(raw, torch.Tensor):
                value = float(torch.tensor(value, dtype=raw.dtype).item())
            stored.append(value)
        self._written, self._written_t = stored, t

    def get_lr(self) -> list[Any]:
        """The next value of every group (floats; tensors are filled with them).

        Called outside ``step()`` it warns, as torch's does, and returns the
        closed form at ``last_epoch`` without changing anything.
        """
        if not self._get_lr_called_within_step:
            _warn_get_lr_outside_step(self)
            return self._closed_all(self.last_epoch)
        if len(self.optimizer.param_groups) != len(self._bases):
            self._adopt_new_groups()
        t = self.last_epoch
        return self._next_values(t - 1, t)

    def _next_values(self, t_prev: float, t: float) -> list[float]:
        """The values for step ``t``, composed with foreign changes since ``t_prev``."""
        if not self._chainable:
            return self._closed_all(t)
        if self._written_t != t_prev:
            # ``last_epoch`` was moved from outside (torch's SequentialLR undoes its
            # children's steps), so what was written belongs to another step.
            self._expect_closed(t_prev)
        raw = read_all(self.optimizer.param_groups, self.key)
        chained = True in self._chained
        if not chained and all(map(operator.is_, raw, self._written)):
            return self._closed_all(t)  # each group holds the very float written last
        buf = self._packed(self.key, raw)
        current = buf.tolist() if buf is not None else list(map(float, raw))
        if not chained and current == self._written:
            return self._closed_all(t)
        values = []
        for i, cur in enumerate(current):
            if self._chained[i] or cur != self._written[i]:
                self._chained[i] = True
                values.append(self._relative_step(i, cur, t_prev, t))
            else:
                values.append(self._closed(i, t))
        return values

    def _get_closed_form_lr(self) -> list[Any]:
        """The closed form at ``last_epoch``, for the deprecated ``step(epoch)``.

        As ``step(epoch)`` jumps, every group returns to closed-form mode.
        """
        self.last_epoch = check_time("step", self.last_epoch)
        if len(self.optimizer.param_groups) != len(self._bases):
            self._adopt_new_groups()
        self._chained = [False] * len(self._chained)
        return self._closed_all(self.last_epoch)

    def set_step(self, t: int | float) -> None:
        """Jump to time ``t`` (int or float, ``>= 0``) and write its closed form.

        Exact random access: no warning, no accumulated error, and every group
        returns to closed-form mode. It does not count as a ``step()`` call.
        """
        self._adopt_new_groups()
        self.last_epoch = check_time("set_step", t)
        self._chained = [False] * len(self._chained)
        self._apply(self._closed_all(self.last_epoch))

    def _packed(self, key: str, raw: list[Any]) -> torch.Tensor | None:
        """The buffer made by :func:`lrplan.tensorize` that holds ``raw``, or ``None``."""
        views, buf = self._buffers.get(key, ((), None))
        if len(views) != len(raw) or not all(map(operator.is_, raw, views)):
            buf = packed_buffer(raw)
            if buf is None:
                self._buffers.pop(key, None)
            else:
                self._buffers[key] = (raw, buf)
        return buf

    def _apply(self, values: Sequence[Any]) -> None:
        """Check and write one float per group; remember what the groups now hold."""
        groups, key = self.optimizer.param_groups, self.key
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__}: {len(values)} values for {len(groups)} param groups"
            )
        values = list(map(float, values))
        # One value for every group (one schedule, equal bases) is checked once.
        same = bool(values) and values.count(values[0]) == len(values)
        checked = values[:1] if same else values
        if not checked or not (min(checked) >= 0.0 and sum(checked) < math.inf):
            for i, v in enumerate(values):
                check_value(type(self).__name__, key, i, self.last_epoch, v)
        stored = self._write(key, values, same)
        if self._verbose:
            last = self._last_values
            self._log(
                {
                    i: v
                    for i, v in enumerate(stored)
                    if self._is_initial or i >= len(last) or v != last[i]
                }
            )
        self._written = self._last_values = stored
        self._written_t = self.last_epoch

    def _write(self, key: str, values: list[float], same: bool = False) -> list[float]:
        """Write one checked float per group under ``key``; return what the groups hold.

        Numbers are assigned. Tensors are filled in place: each on its own, or, after
        :func:`lrplan.tensorize`, all at once in their shared buffer (``same``: every
        value is the same).
        """
        groups = self.optimizer.param_groups
        raw = read_all(groups, key)
        if key not in BETAS_KEYS and _NUMBERS.issuperset(map(type, raw)):
            for group, v in zip(groups, values, strict=True):
                group[key] = v
            return values
        owner, t = type(self).__name__, self.last_epoch
        buf = self._packed(key, raw)
        if buf is None:
            for i, r in enumerate(raw):
                if isinstance(r, torch.Tensor):
                    check_fits(owner, key, i, t, r, values[i])
            return write_all(groups, key, values, raw)
        if buf.dtype is not torch.float64:  # float64 holds every finite float
            for i, r in enumerate(raw):
                check_fits(owner, key, i, t, r, values[i])
        if same:
            buf.fill_(values[0])
        else:
            buf.copy_(torch.tensor(values, dtype=buf.dtype))
        stored: list[float] = values if buf.dtype is torch.float64 else buf.tolist()
        return stored

    @property  # type: ignore[override]
    def _last_lr(self) -> list[Any]:
        """The values last written: a fresh tensor where the group holds one."""
        raw = read_all(self.optimizer.param_groups, self.key)
        if _NUMBERS.issuperset(map(type, raw)):
            return list(self._last_values)
        return [
            torch.tensor(v, dtype=r.dtype, device=r.device) if isinstance(r, torch.Tensor) else v
            for r, v in zip(raw, self._last_values, strict=False)
        ]

    @_last_lr.setter
    def _last_lr(self, values: Sequence[Any]) -> None:
        # Wrappers written for torch's schedulers assign ``_last_lr``; honour it.
        self._last_values = [as_float(v) for v in values]

    # -- state -----------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "class": type(self).__name__,
            "key": self.key,
            "relative": self._relative,
            "schedules": [s.to_config() for s in self._schedules],
        }

    def _torch_state(self) -> dict[str, Any]:
        """torch's keys for this class beyond the base protocol's (its saved arguments)."""
        return {name: getattr(self, name) for name in self._torch_args if hasattr(self, name)}

    def _load_torch_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_torch_state` added beyond the saved arguments."""

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (``torch.load(weights_only=True)`` reads it).

        torch's keys, with torch's meanings (``last_epoch``, ``base_lrs``,
        ``_step_count``, ``_last_lr`` and, under torch's class names, the saved
        constructor arguments), so torch's class of the same name can load it;
        and lrplan's own under ``"lrplan"``: the format and version, every group's
        schedule (``config``) and its ``fingerprint``, the values the groups hold
        now and each group's mode (``chained``).
        """
        config = self._config()
        # What the groups hold *now*, not what this scheduler last wrote: another
        # scheduler on the same optimizer may have changed it since. Every scheduler
        # then restores the same values in any load order, and a change not yet seen
        # by a step is marked for relative mode, as the next step() would have done.
        n = len(self._written)
        current = read_floats(self.optimizer.param_groups[:n], self.key)
        chained = [
            bool(c) or (self._chainable and v != w)
            for c, v, w in zip(self._chained, current, self._written, strict=True)
        ]
        return {
            **self._torch_state(),
            "base_lrs": self.base_lrs,
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_get_lr_called_within_step": False,
            "_is_initial": False,
            "_last_lr": self.get_last_lr(),
            "lrplan": {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "class": type(self).__name__,
                "key": self.key,
                "last_epoch": self.last_epoch,
                "fingerprint": fingerprint(config),
                "config": config,
                "values": current,
                "chained": chained,
                "extra": self._extra_state(),
            },
        }

    def load_state_dict(  # type: ignore[override]
        self,
        state_dict: Mapping[str, Any],
        *,
        on_config_change: ConfigChangePolicy | None = None,
    ) -> None:
        """Restore a state saved by this class, by lrplan's older format, or by torch.

        ``state_dict`` is not modified. A state from lrplan holds the groups'
        values, which are written back into the optimizer; a state from torch's
        class of the same name does not, so the optimizer's own state (loaded
        before or after) provides them, as in torch.

        ``on_config_change`` says what happens when the saved configuration
        differs from this scheduler's:

        * ``"saved"`` (the default under torch's class names): the saved
          constructor arguments replace this scheduler's, as in torch, with one
          ``UserWarning`` naming each difference;
        * ``"error"`` (the default for lrplan's own classes): a ``ValueError``
          naming each difference;
        * ``"keep_step"``: keep this scheduler's configuration and the saved step;
        * ``"keep_fraction"``: keep this configuration and the saved fraction of
          the run (both schedules need one finite length).
        """
        owner = type(self).__name__
        policy = on_config_change or ("saved" if self._torch_args else "error")
        if policy not in _POLICIES:
            raise ValueError(
                f"{owner}.load_state_dict: on_config_change must be one of {_POLICIES}, "
                f"got {on_config_change!r}"
            )
        st = _normalise_state(owner, state_dict, self.key, len(self.optimizer.param_groups))
        old = dict(self.__dict__)
        try:
            self._load(st, policy)
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(old)
            raise

    def _load(self, st: dict[str, Any], policy: str) -> None:
        owner = type(self).__name__
        lp = st.get("lrplan")
        diffs = [
            f"{name}: {st[name]!r} -> {getattr(self, name, None)!r}"
            for name in self._torch_args
            if name in st and not (hasattr(self, name) and _same(st[name], getattr(self, name)))
        ]
        if diffs and policy == "saved":
            for name in self._torch_args:
                if name in st:
                    setattr(self, name, st[name])
            warnings.warn(
                f"{owner}.load_state_dict: the saved arguments differ from this scheduler's "
                f"(saved -> this scheduler: {'; '.join(diffs)}); the saved ones replace them, "
                "as in torch. Pass "
                "on_config_change='error', 'keep_step' or 'keep_fraction' to keep this "
                "scheduler's arguments instead.",
                UserWarning,
                stacklevel=3,
            )
        elif diffs and policy == "error":
            raise ValueError(
                f"{owner}.load_state_dict: the saved arguments differ from this scheduler's "
                f"(saved -> this scheduler: {'; '.join(diffs)}). Pass "
                "on_config_change='saved', 'keep_step' or "
                "'keep_fraction' to resume anyway."
            )
        self._load_torch_state(st)
        self.base_lrs = st["base_lrs"]
        t = st["last_epoch"]
        changed = False
        if lp is not None:
            changed = fingerprint(self._config()) != lp["fingerprint"]
            if changed and policy in ("saved", "error"):
                detail = diff_configs(lp["config"], self._config())
                raise ValueError(
                    f"{owner}.load_state_dict: the saved schedule differs from this one "
                    f"({'; '.join(detail) or 'fingerprint mismatch'}). Pass "
                    "on_config_change='keep_step' or 'keep_fraction' to resume anyway."
                )
            if changed and policy == "keep_fraction":
                t = _rescale_time(owner, lp["config"], self._schedules, t)
            self._load_extra_state(lp["extra"])
        self._step_count = int(st.get("_step_count", self._step_count))
        self.last_epoch = t
        self._written = [math.nan] * len(self._bases)
        if lp is not None and not changed:
            self._chained = [bool(c) for c in lp["chained"]]
            self._apply([float(v) for v in lp["values"]])
        elif lp is not None:
            self._chained = [False] * len(self._bases)
            self._apply(self._closed_all(t))
        else:
            # torch's state: the optimizer holds the values. A group that holds the
            # closed form continues on it; one that holds something else continues
            # from it, as torch's recursion would.
            self._expect_closed(t)
            now = read_floats(self.optimizer.param_groups, self.key)
            self._chained = [
                self._chainable and not math.isclose(v, w, rel_tol=1e-12, abs_tol=0.0)
                for v, w in zip(now, self._written, strict=True)
            ]
        saved_last = st.get("_last_lr")
        same = lp is None or not changed
        if same and isinstance(saved_last, list | tuple) and len(saved_last) == len(self._bases):
            self._last_lr = saved_last  # this scheduler's own last values, as in torch


def _same(a: Any, b: Any) -> bool:
    """Equality for saved arguments (lists and tuples alike, tensors by value)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return as_float(a) == as_float(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError, RuntimeError):
        return a is b


def check_state_mapping(owner: str, state: Any) -> Mapping[str, Any]:
    """``state``, known to be a mapping, or a ``TypeError``."""
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}.load_state_dict: expected a dict, got {type(state).__name__}")
    return state


def check_state_header(owner: str, lp: Mapping[str, Any]) -> None:
    """Refuse lrplan's part of a state (``state["lrplan"]``) in a format this lrplan
    does not read."""
    if lp.get("format") != STATE_FORMAT or lp.get("version") != STATE_VERSION:
        raise ValueError(
            f"{owner}.load_state_dict: state format {lp.get('format')!r} version "
            f"{lp.get('version')!r} is not supported (this lrplan reads "
            f"{STATE_FORMAT!r} version {STATE_VERSION})"
        )


def _normalise_state(owner: str, state: Any, key: str, n_groups: int) -> dict[str, Any]:
    """A scheduler state in today's layout: torch's keys, plus ``"lrplan"`` when lrplan
    saved it. lrplan's version-1 layout is converted; a nested ``"lrplan"`` part that
    torch carried along but no longer matches the torch keys is dropped."""
    st = dict(check_state_mapping(owner, state))
    if st.get("format") == STATE_FORMAT:  # version 1: lrplan's keys only, at the top
        if st.get("version") != 1:
            raise ValueError(
                f"{owner}.load_state_dict: state format version {st.get('version')!r} is not "
                f"supported (this lrplan reads versions 1 and {STATE_VERSION})"
            )
        st = {
            "base_lrs": st["base_values"],
            "last_epoch": st["last_epoch"],
            "_step_count": st["step_count"],
            "lrplan": {**st, "values": st["last_values"], "version": STATE_VERSION},
        }
    lp = st.get("lrplan")
    if isinstance(lp, Mapping):
        check_state_header(owner, lp)
        if lp.get("last_epoch") != st.get("last_epoch"):
            lp = None  # torch's class loaded and stepped this state: its keys are current
        else:
            if lp.get("class") != owner:
                raise ValueError(
                    f"{owner}.load_state_dict: the state belongs to {lp.get('class')}, not {owner}"
                )
            if lp.get("key") != key:
                raise ValueError(
                    f"{owner}.load_state_dict: the state drives {lp.get('key')!r}, "
                    f"this scheduler {key!r}"
                )
            for k, typ in (("fingerprint", str), ("config", dict), ("extra", dict)):
                if not isinstance(lp.get(k), typ):
                    raise ValueError(
                        f"{owner}.load_state_dict: state key 'lrplan.{k}' is missing or malformed"
                    )
            for k in ("values", "chained"):
                if not isinstance(lp.get(k), list) or len(lp[k]) != n_groups:
                    raise ValueError(
                        f"{owner}.load_state_dict: the state's {k!r} does not hold one entry "
                        f"for each of the optimizer's {n_groups} param groups"
                    )
        st["lrplan"] = lp
    else:
        st["lrplan"] = None
    t = st.get("last_epoch")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise ValueError(f"{owner}.load_state_dict: state key 'last_epoch' is missing or malformed")
    bases = st.get("base_lrs")
    if not isinstance(bases, list | tuple) or len(bases) != n_groups:
        raise ValueError(
            f"{owner}.load_state_dict: state key 'base_lrs' must hold one value for each of "
            f"the optimizer's {n_groups} param groups"
        )
    return st


def _rescale_time(
    owner: str, old_config: Mapping[str, Any], new: Sequence[Schedule], t: float
) -> float:
    try:
        old_scheds = [Schedule.from_config(c) for c in old_config["schedules"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{owner}.load_state_dict: cannot read the saved schedule: {e}") from None
    old_d = {s.duration for s in old_scheds}
    new_d = {s.duration for s in new}
    if len(old_d) != 1 or len(new_d) != 1 or None in old_d or None in new_d:
        raise ValueError(
            f"{owner}.load_state_dict: on_config_change='keep_fraction' needs schedules with "
            f"one finite length (saved: {sorted(map(str, old_d))}, now: {sorted(map(str, new_d))})"
        )
    (od,), (nd,) = old_d, new_d
    if od is None or nd is None or not od:
        raise ValueError(f"{owner}.load_state_dict: the saved schedule has length 0")
    scaled = t * (nd / od)
    return round(scaled) if isinstance(t, int) and float(scaled).is_integer() else scaled


# --------------------------------------------------------------------------- ScheduledLR


_ABSOLUTE_BY_DEFAULT = ("momentum", "betas[0]", "betas[1]", "dampening")


class ScheduledLR(ScheduleDriven):
    """Drive any param-group key of any optimizer with pure schedules.

    Args:
        optimizer: the optimizer whose param groups are driven.
        schedule: one :class:`~lrplan.Schedule` for every group, or a list with
            one per group. A spec string or a path to a ``.json``/``.yaml`` config
            file stands for the schedule :func:`lrplan.load` gives (a file that holds
            one config per hyperparameter gives the one for ``key``).
        key: the param-group entry to drive: ``"lr"`` (default),
            ``"weight_decay"``, ``"momentum"``, ``"betas[0]"``, ``"betas[1]"``, or
            any other scalar entry the groups hold.
        relative: whether schedule values multiply each group's base value
            (``initial_<key>``, recorded at construction) or are the values
            themselves. The default is relative for ``lr``, ``weight_decay`` and
            other keys, and absolute for ``momentum``, ``dampening`` and ``betas``,
            whose values are coefficients one states directly.
        last_epoch: the last step taken, when resuming (torch's protocol).

    Tensor values (a tensor ``lr``, tensor ``betas``) are updated in place with
    ``fill_``, never replaced, so a compiled optimizer step keeps its graph.

    Example:
        >>> import torch, lrplan as lp
        >>> model = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> plan = lp.warmup(lp.Cosine(steps=90, end=0.01), steps=10)
        >>> sched = lp.ScheduledLR(opt, plan)
        >>> mom = lp.ScheduledLR(opt, lp.Linear(steps=100, start=0.95, end=0.85), key="momentum")
        >>> opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        (0.0, 0.95)
        >>> for _ in range(10):
        ...     opt.step(); sched.step(); mom.step()
        >>> sched.get_last_lr(), round(opt.param_groups[0]["momentum"], 6)
        ([0.1], 0.94)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Schedule | str | os.PathLike[str] | Sequence[Schedule | str | os.PathLike[str]],
        *,
        key: str = "lr",
        relative: bool | None = None,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise TypeError(f"ScheduledLR: key must be a non-empty str, got {key!r}")
        if key == "params" or key.startswith("initial_"):
            raise ValueError(f"ScheduledLR: key {key!r} cannot be scheduled")
        self.key = key
        if relative is None:
            relative = key not in _ABSOLUTE_BY_DEFAULT
        if not isinstance(relative, bool):
            raise TypeError(f"ScheduledLR: relative must be a bool or None, got {relative!r}")
        self._relative = relative
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        n = len(optimizer.param_groups)
        if isinstance(schedule, str | os.PathLike):
            schedule = load(schedule, key=key)
        if isinstance(schedule, Schedule):
            self._given: list[Schedule] | Schedule = schedule
        elif isinstance(schedule, list | tuple):
            if len(schedule) != n:
                raise ValueError(
                    f"ScheduledLR: schedule list must have one entry per param group "
                    f"({n}), got {len(schedule)}"
                )
            given: list[Schedule] = []
            for i, entry in enumerate(schedule):
                s = load(entry, key=key) if isinstance(entry, str | os.PathLike) else entry
                if not isinstance(s, Schedule):
                    raise TypeError(
                        f"ScheduledLR: schedule[{i}] must be an lrplan Schedule, a spec "
                        f"string or a config file path, got {type(s).__name__}"
                    )
                given.append(s)
            self._given = given
        else:
            raise TypeError(
                "ScheduledLR: schedule must be an lrplan Schedule, a spec string, a config "
                "file path, or a list of them, "
                f"got {type(schedule).__name__}"
            )
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        if isinstance(self._given, Schedule):
            return self._given
        if group_index >= len(self._given):
            raise ValueError(
                f"ScheduledLR: param group {group_index} was added after construction, but "
                "a per-group schedule list was given; pass one schedule for all groups"
            )
        return self._given[group_index]
