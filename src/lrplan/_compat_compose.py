"""torch-named composition: ``SequentialLR`` and ``ChainedScheduler``.

Both accept any children: lrplan's schedulers, torch's own, and each other,
mixed and nested. They follow torch 2.13's protocol step for step, so the
numbers are torch's wherever torch works:

* ``SequentialLR`` resets every group's lr to ``initial_lr``, undoes the
  construction step of every leaf scheduler (``last_epoch -= 1``, recursing into
  children that have ``_schedulers``), and runs the initial step of the child
  active at epoch 0. At each milestone the next child restarts at its own epoch
  0 (``child._update_lr(0)``: its closed form where it has one).
* ``ChainedScheduler`` steps every child in order, so chainable children
  multiply.

Where torch fails, lrplan does something sensible instead, and says so in
``docs/torch-parity.md``: a composite child reached at a milestone (torch raises
``NotImplementedError`` from ``get_lr``) restarts as if built afresh at that
point: the groups go back to ``initial_lr`` and its children start again from
step 0.

The state is plain data with the children's states nested
(``torch.load(weights_only=True)`` accepts it whenever the children's states are
plain: always for lrplan's children).
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import operator
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler

from ._atomic import atomic_load, load_child
from ._driver import LRScheduler, STATE_VERSION
# TODO(driver rewrite): _FLOAT_ONLY removed
from ._groups import as_float as _as_float
from ._groups import check_last_epoch as _check_last_epoch
# TODO(driver rewrite): check_state_header removed
from ._warmup import is_metric_driven

__all__ = ["ChainedScheduler", "SequentialLR"]


# --------------------------------------------------------------------------- helpers


_get_lr = operator.itemgetter("lr")


def _lrs(optimizer: Optimizer) -> list[Any]:
    """Copies of every group's lr (tensors cloned), as torch's ``_last_lr``."""
    lrs = list(map(_get_lr, optimizer.param_groups))
    if set(map(type, lrs)) == _FLOAT_ONLY:  # the usual case, in two C-level passes
        return lrs
    return [lr.clone() if isinstance(lr, torch.Tensor) else lr for lr in lrs]


def _set_lr(group: dict[str, Any], value: Any) -> None:
    """Write ``value`` into ``group["lr"]``; a tensor lr is filled in place."""
    cur = group["lr"]
    if isinstance(cur, torch.Tensor):
        cur.fill_(_as_float(value))
    else:
        group["lr"] = value


def _reset_to_initial(optimizer: Optimizer) -> None:
    for group in optimizer.param_groups:
        _set_lr(group, group["initial_lr"] if "initial_lr" in group else group["lr"])


def _is_composite(scheduler: Any) -> bool:
    return hasattr(scheduler, "_schedulers")


def _leaves(scheduler: Any) -> Iterator[Any]:
    """Every non-composite scheduler under ``scheduler`` (itself if it is one)."""
    if _is_composite(scheduler):
        for child in scheduler._schedulers:
            yield from _leaves(child)
    else:
        yield scheduler


def _restart(scheduler: Any) -> None:
    """Start ``scheduler`` again as if it were built afresh now, on the initial lrs.

    For a leaf that is its initial step from ``last_epoch = -1`` (composing with
    what the groups hold, as at construction). For a composite (lrplan's or
    torch's, which torch cannot restart), the groups go back to ``initial_lr``
    first; a sequence restarts its child active at epoch 0, a chain every child
    in order.
    """
    if not _is_composite(scheduler):
        scheduler.last_epoch = -1
        scheduler._initial_step()
        return
    _reset_to_initial(scheduler.optimizer)
    for leaf in _leaves(scheduler):
        leaf.last_epoch = -1
    children = scheduler._schedulers
    if hasattr(scheduler, "_milestones"):
        scheduler.last_epoch = 0
        active = children[bisect_right(scheduler._milestones, 0)]
        _restart(active)
        scheduler._last_lr = active.get_last_lr()
    else:
        for child in children:
            _restart(child)
        scheduler._last_lr = _lrs(scheduler.optimizer)


def _check_children(owner: str, optimizer: Any, schedulers: Sequence[Any]) -> None:
    """torch's checks, with torch's exception types and messages (plus detail)."""
    for idx, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(
                f"{owner} at index {idx} should have `optimizer` as its attribute "
                f"(got {type(scheduler).__name__})."
            )
        if is_metric_driven(scheduler):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{idx} in the given schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {idx} has "
                f"{scheduler.optimizer}, which is different from {type(optimizer).__name__}."
            )


def _plain_lrs(values: Sequence[Any]) -> list[float]:
    return [_as_float(v) for v in values]


def _typed_like_groups(optimizer: Optimizer, values: Sequence[float]) -> list[Any]:
    out: list[Any] = []
    for group, v in zip(optimizer.param_groups, values, strict=False):
        cur = group["lr"]
        out.append(
            torch.tensor(v, dtype=cur.dtype, device=cur.device)
            if isinstance(cur, torch.Tensor)
            else v
        )
    return out


def _check_state(owner: str, fmt: str, state: Any, n_children: int) -> Mapping[str, Any]:
    st = check_state_header(owner, state, fmt, owner)
    children = st.get("schedulers")
    if not isinstance(children, list) or len(children) != n_children:
        raise ValueError(
            f"{owner}.load_state_dict: the state has "
            f"{len(children) if isinstance(children, list) else 'no'} child states, this "
            f"{owner} has {n_children} schedulers"
        )
    if not isinstance(st.get("last_lr"), list):
        raise ValueError(f"{owner}.load_state_dict: state key 'last_lr' is missing or malformed")
    return st


def _load_children(
    schedulers: Sequence[Any], states: Sequence[Any], on_config_change: str = "error"
) -> None:
    # All or nothing: a child refused late must not leave the earlier ones loaded.
    with atomic_load(schedulers[0].optimizer, schedulers):
        for child, sub in zip(schedulers, states, strict=True):
            # torch's children alias what they load (``__dict__.update``): give them a
            # copy, so the caller's state dict is never changed afterwards.
            load_child(child, copy.deepcopy(sub), on_config_change)


def _has_hot_step(scheduler: Any) -> bool:
    """Whether ``scheduler`` is an lrplan scheduler whose ``step()`` starts with the
    driver's hot step (``_hot``) and keeps its one-float record (``_fast_same``)."""
    return (
        isinstance(scheduler, LRScheduler)
        and type(scheduler).step is LRScheduler.step
        and hasattr(scheduler, "_fast_same")
    )


class _Composite(_TorchLRScheduler):
    """What ``SequentialLR`` and ``ChainedScheduler`` share: a restart on request."""

    #: The class name in error messages (kept for subclasses as well).
    _owner: str
    #: ``(child, values)``: the last lrs are ``values`` as the groups' types, made
    #: when first read (tensor lrs cost a tensor each to copy; most steps never read
    #: them). ``values`` is a list the lrplan child replaces, never edits (only its
    #: one-float list, ``_fast_same``, is edited in place: that one is copied).
    _lazy_last: tuple[Any, list[float]] | None = None
    _last_lr_value: list[Any]

    @property  # type: ignore[override]
    def _last_lr(self) -> list[Any]:
        lazy = self._lazy_last
        if lazy is not None:
            child, values = lazy
            self._last_lr_value = child._as_group_types(values)
            self._lazy_last = None
        return self._last_lr_value

    @_last_lr.setter
    def _last_lr(self, values: list[Any]) -> None:
        self._lazy_last = None
        self._last_lr_value = values

    def _update_lr(self, epoch: int | None = None) -> None:
        """Restart at epoch 0 (what an outer ``SequentialLR`` asks at its milestone)."""
        if epoch is None:
            self.step()
        elif epoch == 0:
            _restart(self)
        else:
            raise ValueError(f"{self._owner} can only restart at epoch 0, got epoch={epoch!r}")


# --------------------------------------------------------------------------- SequentialLR


class SequentialLR(_Composite):
    """Run ``schedulers`` one after another, switching at ``milestones``: torch's ``SequentialLR``.

    At epoch ``milestones[i]`` the scheduler ``schedulers[i + 1]`` takes over and
    restarts at its own epoch 0. Children may be lrplan's or torch's schedulers,
    ``ChainedScheduler``/``SequentialLR`` of either library, mixed and nested; the
    numbers are torch's wherever torch's own classes work (torch's quirks
    included: construction resets every lr to ``initial_lr``).

    Differences from torch: ``milestones`` must be non-decreasing integers
    ``>= 0`` (torch silently misbehaves otherwise); a composite child reached at a
    milestone restarts as if built afresh (torch raises ``NotImplementedError``);
    the state is plain data with the children's states nested; ``verbose`` is
    accepted (the children log).

    Args:
        optimizer: the wrapped optimizer; every child must drive it.
        schedulers: the schedulers, in order (at least one).
        milestones: ``len(schedulers) - 1`` epochs at which the next one starts.
        last_epoch: the index of the last epoch. Default: -1.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> warm = lrplan.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> decay = lrplan.ExponentialLR(opt, gamma=0.5)
        >>> sched = lrplan.SequentialLR(opt, [warm, decay], milestones=[3])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 0.5, 0.25]
    """

    _owner = "SequentialLR"

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[Any],
        milestones: Sequence[int],
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "SequentialLR"
        scheds = list(schedulers)
        if len(scheds) < 1:
            raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
        _check_children(owner, optimizer, scheds)
        ms = list(milestones)
        if len(ms) != len(scheds) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(scheds)} and the number of milestones to be equal to {len(ms)}"
            )
        for i, m in enumerate(ms):
            if isinstance(m, bool) or not isinstance(m, numbers.Integral):
                raise TypeError(f"{owner}: milestones[{i}] must be an integer, got {m!r}")
            if m < 0:
                raise ValueError(f"{owner}: milestones[{i}] must be >= 0, got {m!r}")
        ms = [int(m) for m in ms]
        if any(b < a for a, b in itertools.pairwise(ms)):
            raise ValueError(f"{owner}: milestones must be non-decreasing, got {ms}")
        start = _check_last_epoch(owner, last_epoch)
        self._schedulers: list[Any] = scheds
        self._milestones: list[int] = ms
        self.last_epoch = start + 1
        self.optimizer = optimizer
        self.verbose = bool(verbose) and verbose != "deprecated"
        for group in optimizer.param_groups:
            _set_lr(group, group["initial_lr"])
        self.recursive_undo()
        active = scheds[bisect_right(ms, 0)]
        active._initial_step()
        self._last_lr = active.get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Undo the construction step of every leaf scheduler (``last_epoch -= 1``)."""
        for leaf in _leaves(self if sched is None else sched):
            if hasattr(leaf, "last_epoch"):
                leaf.last_epoch -= 1

    #: The open interval of epochs ``(lo, hi)`` in which the cached child is the one
    #: to step (no milestone inside), and whether it is an lrplan scheduler.
    _seg: tuple[float, float, Any, bool] = (0.0, 0.0, None, False)

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch: step the active child, or restart the next one at a milestone."""
        t = self.last_epoch + 1
        self.last_epoch = t
        lo, hi, child, ours = self._seg
        if lo < t < hi:  # between two milestones: the usual step
            # An lrplan child's armed hot step is what its step() would run first.
            if not (ours and (hot := child._hot) is not None and hot(child)):
                child.step()
        else:
            ms = self._milestones
            idx = bisect_right(ms, t)
            child = self._schedulers[idx]
            ours = _has_hot_step(child)
            lo = ms[idx - 1] if idx else -math.inf
            self._seg = (lo, ms[idx] if idx < len(ms) else math.inf, child, ours)
            if idx > 0 and lo == t:
                if _is_composite(child):
                    _restart(child)
                else:
                    child._update_lr(0)
            else:
                child.step()
        # torch records the active child's get_last_lr(): an lrplan child's record
        # gives the same numbers without reading the groups.
        if not ours:
            self._last_lr = child.get_last_lr()
        elif (values := child._last_values) is child._fast_same:
            self._last_lr_value = list(values)  # one float for all (edited in place later)
            self._lazy_last = None
        else:
            self._lazy_last = (child, values)

    def state_dict(self) -> dict[str, Any]:
        """Plain data: the epoch, milestones, last lrs and each child's ``state_dict()``."""
        return {
            "format": "lrplan.sequential",
            "version": STATE_VERSION,
            "class": "SequentialLR",
            "last_epoch": self.last_epoch,
            "milestones": list(self._milestones),
            "last_lr": _plain_lrs(self._last_lr),
            "schedulers": [s.state_dict() for s in self._schedulers],
        }

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: str = "error"
    ) -> None:
        """Restore :meth:`state_dict` output (children included); the argument is not changed.

        ``on_config_change`` goes to every lrplan child (see
        :meth:`lrplan.LRScheduler.load_state_dict`). A refused child leaves nothing loaded.
        """
        owner = "SequentialLR"
        st = _check_state(owner, "lrplan.sequential", state_dict, len(self._schedulers))
        if list(st.get("milestones", [])) != self._milestones:
            raise ValueError(
                f"{owner}.load_state_dict: the saved milestones {st.get('milestones')!r} differ "
                f"from this scheduler's {self._milestones}"
            )
        t = st.get("last_epoch")
        if isinstance(t, bool) or not isinstance(t, int):
            raise ValueError(f"{owner}.load_state_dict: state key 'last_epoch' is malformed")
        _load_children(self._schedulers, st["schedulers"], on_config_change)
        self.last_epoch = t
        self._last_lr = _typed_like_groups(self.optimizer, [float(v) for v in st["last_lr"]])


# --------------------------------------------------------------------------- ChainedScheduler


class ChainedScheduler(_Composite):
    """Step several schedulers together, in order: torch's ``ChainedScheduler``.

    Chainable children multiply: with ``ConstantLR(factor=0.1, total_iters=2)``
    and ``ExponentialLR(gamma=0.9)`` the lr is ``base * 0.1 * 0.9**t`` for
    ``t < 2``, then ``base * 0.9**t``. Children may be lrplan's or torch's
    schedulers and composites of either library. The numbers are torch's,
    including where a non-chainable child (``LambdaLR``) overrides the others.

    Differences from torch: restarted by an outer ``SequentialLR`` at its
    milestone, it starts again from ``initial_lr`` with every child at step 0
    (torch raises ``NotImplementedError``); the state is plain data with the
    children's states nested; ``verbose`` is accepted.

    Args:
        schedulers: the schedulers to step, in order (at least one).
        optimizer: the wrapped optimizer. Default: that of ``schedulers[0]``.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> a = lrplan.ConstantLR(opt, factor=0.5, total_iters=2)
        >>> b = lrplan.ExponentialLR(opt, gamma=0.5)
        >>> sched = lrplan.ChainedScheduler([a, b])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.25, 0.25, 0.125]
    """

    _owner = "ChainedScheduler"

    def __init__(
        self,
        schedulers: Sequence[Any],
        optimizer: Optimizer | None = None,
        verbose: bool | str = False,
    ) -> None:
        owner = "ChainedScheduler"
        scheds = list(schedulers)
        if len(scheds) < 1:
            raise ValueError(
                f"{owner} expects at least one scheduler to be chained, but got no scheduler."
            )
        if optimizer is None:
            if not hasattr(scheds[0], "optimizer"):
                # torch fails here with AttributeError too; this one says why.
                raise AttributeError(
                    f"{owner}: schedulers[0] ({type(scheds[0]).__name__}) has no `optimizer`; "
                    "pass learning-rate schedulers, or give optimizer="
                )
            optimizer = scheds[0].optimizer
        _check_children(owner, optimizer, scheds)
        self._schedulers: list[Any] = scheds
        # Whether the last child keeps the driver's record of one float for all groups.
        self._last_ours = _has_hot_step(scheds[-1])
        self.optimizer = optimizer
        self.verbose = bool(verbose) and verbose != "deprecated"
        self._last_lr = _lrs(optimizer)

    def step(self) -> None:  # type: ignore[override]
        """Step every child, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        # torch records every group's lr. When the last child is an lrplan scheduler
        # whose step gave every group one float (see LRScheduler._fast_snapshot),
        # its list holds exactly that: a copy needs no group reads.
        # torch records what the groups hold: the last child wrote it, and an lrplan
        # child's record gives the same numbers without reading the groups.
        if not self._last_ours:
            self._last_lr = _lrs(self.optimizer)
        elif (values := scheduler._last_values) is scheduler._fast_same:
            self._last_lr_value = list(values)  # one float for all (edited in place later)
            self._lazy_last = None
        else:
            self._lazy_last = (scheduler, values)

    def state_dict(self) -> dict[str, Any]:
        """Plain data: the last lrs and each child's ``state_dict()``."""
        return {
            "format": "lrplan.chained",
            "version": STATE_VERSION,
            "class": "ChainedScheduler",
            "last_lr": _plain_lrs(self._last_lr),
            "schedulers": [s.state_dict() for s in self._schedulers],
        }

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: str = "error"
    ) -> None:
        """Restore :meth:`state_dict` output (children included); the argument is not changed.

        ``on_config_change`` goes to every lrplan child. A refused child leaves nothing loaded.
        """
        st = _check_state("ChainedScheduler", "lrplan.chained", state_dict, len(self._schedulers))
        _load_children(self._schedulers, st["schedulers"], on_config_change)
        self._last_lr = _typed_like_groups(self.optimizer, [float(v) for v in st["last_lr"]])
