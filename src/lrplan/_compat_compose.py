"""torch-named composition: ``SequentialLR`` and ``ChainedScheduler``.

Both accept any children: lrplan's schedulers, torch's own, user subclasses of
either library's ``LRScheduler``, and composites of either library, mixed and
nested. They touch their children only as torch's composites do (``step()``,
``get_last_lr()``, ``state_dict()``, ``load_state_dict()``, ``last_epoch``,
``optimizer``, ``_initial_step()``, ``_update_lr(0)``), so the numbers are
torch 2.13's wherever torch works:

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

The state is torch's (every attribute but the optimizer, with ``"_schedulers"``
the list of the children's own ``state_dict()``), plus lrplan's header under
``"lrplan"``; it is plain data whenever the children's states are (always for
lrplan's children), so ``torch.load(weights_only=True)`` reads it.
"""

from __future__ import annotations

import copy
import itertools
import numbers
import warnings
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch.optim.lr_scheduler as _torch
from torch.optim import Optimizer

from ._atomic import accepts_policy, atomic_load
from ._driver import _POLICIES, STATE_FORMAT, STATE_VERSION, LRScheduler, check_state_mapping
from ._groups import check_last_epoch, copy_all, write

__all__ = ["ChainedScheduler", "SequentialLR"]

#: lrplan's first composite layout (top-level ``format``), still loaded.
_V1_FORMATS = {"lrplan.sequential": "SequentialLR", "lrplan.chained": "ChainedScheduler"}


def _is_composite(scheduler: Any) -> bool:
    """torch's test for a composite: it has ``_schedulers``."""
    return hasattr(scheduler, "_schedulers")


def _leaves(scheduler: Any) -> Iterator[Any]:
    """Every non-composite scheduler under ``scheduler`` (itself if it is one)."""
    if _is_composite(scheduler):
        for child in scheduler._schedulers:
            yield from _leaves(child)
    else:
        yield scheduler


def _reset_to_initial(optimizer: Optimizer) -> None:
    """Every group's lr back to its ``initial_lr`` (a tensor lr is filled in place)."""
    for group in optimizer.param_groups:
        write(group, "lr", group["initial_lr"])


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
    if hasattr(scheduler, "_milestones"):
        scheduler.last_epoch = 0
        active = scheduler._schedulers[bisect_right(scheduler._milestones, 0)]
        _restart(active)
        scheduler._last_lr = active.get_last_lr()
    else:
        for child in scheduler._schedulers:
            _restart(child)
        scheduler._last_lr = copy_all(scheduler.optimizer.param_groups, "lr")


def _check_children(owner: str, optimizer: Any, schedulers: Sequence[Any]) -> None:
    """torch's checks, with torch's exception types and messages (plus detail)."""
    for idx, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(
                f"{owner} at index {idx} should have `optimizer` as its attribute "
                f"(got {type(scheduler).__name__})."
            )
        if isinstance(scheduler, _torch.ReduceLROnPlateau) or getattr(
            scheduler, "metric_driven", False
        ):
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


class _Composite(LRScheduler):
    """What ``SequentialLR`` and ``ChainedScheduler`` share: the state and a restart.

    torch's composites never run the base constructor: they have no ``base_lrs``,
    their ``step()`` takes no epoch and steps the children, and ``get_lr()`` is
    not theirs to answer.
    """

    _owner: str
    _schedulers: Any

    def _update_lr(self, epoch: int | float | None = None) -> None:
        """Restart at epoch 0 (what an outer ``SequentialLR`` asks at its milestone)."""
        if epoch is None:
            self.step()
        elif epoch == 0:
            _restart(self)
        else:
            raise ValueError(f"{self._owner} can only restart at epoch 0, got epoch={epoch!r}")

    def state_dict(self) -> dict[str, Any]:
        """torch's state (every attribute but the optimizer; ``"_schedulers"`` holds each
        child's ``state_dict()``), plus lrplan's header under ``"lrplan"``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        state["lrplan"] = {"format": STATE_FORMAT, "version": STATE_VERSION, "class": self._owner}
        return state

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: str | None = None
    ) -> None:
        """Restore a state saved by this class or by torch's class of the same name.

        The children load their own states (each a copy: ``state_dict`` is never
        modified); one that is refused leaves nothing loaded. ``on_config_change``
        goes to every child that takes it (lrplan's: see
        :meth:`lrplan.ScheduledLR.load_state_dict`); left out, each child uses its
        default. For ``SequentialLR``'s own ``milestones`` the saved ones win, as in
        torch, with a ``UserWarning`` (``"saved"``, the default); ``"error"`` raises
        instead; ``"keep_step"`` and ``"keep_fraction"`` keep this scheduler's.
        """
        owner = self._owner
        policy = on_config_change or "saved"
        if policy not in _POLICIES:
            raise ValueError(
                f"{owner}.load_state_dict: on_config_change must be one of {_POLICIES}, "
                f"got {on_config_change!r}"
            )
        st = _normalise(owner, state_dict, len(self._schedulers))
        own = self._load_own(st, policy)
        with atomic_load(self.optimizer, self._schedulers):
            for child, sub in zip(self._schedulers, st["_schedulers"], strict=True):
                # torch's children alias what they load (``__dict__.update``): a copy.
                sub = copy.deepcopy(sub)
                if on_config_change is not None and accepts_policy(child):
                    child.load_state_dict(sub, on_config_change=on_config_change)
                else:
                    child.load_state_dict(sub)
        self.__dict__.update(own)

    def _load_own(self, st: dict[str, Any], policy: str) -> dict[str, Any]:
        """The attributes to restore besides the children's (checked, not yet set)."""
        own: dict[str, Any] = {
            k: copy.deepcopy(st[k]) for k in ("_last_lr", "_step_count") if k in st
        }
        if not isinstance(own.get("_last_lr", []), list):
            raise ValueError(f"{self._owner}.load_state_dict: state key '_last_lr' is malformed")
        return own


def _normalise(owner: str, state: Any, n_children: int) -> dict[str, Any]:
    """``state`` in today's layout, checked: lrplan's header (when present) and the
    children's states, one per child."""
    st = dict(check_state_mapping(owner, state))
    old = _V1_FORMATS.get(st.get("format", ""))
    if old is not None and st.get("version") == 1:
        st = {
            "_schedulers": st.get("schedulers"),
            "_last_lr": st.get("last_lr"),
            "last_epoch": st.get("last_epoch"),
            "_milestones": st.get("milestones"),
            "lrplan": {"format": STATE_FORMAT, "version": STATE_VERSION, "class": old},
        }
        st = {k: v for k, v in st.items() if v is not None}
    lp = st.get("lrplan")
    if lp is not None:
        header = (lp.get("format"), lp.get("version")) if isinstance(lp, Mapping) else (lp, None)
        if header != (STATE_FORMAT, STATE_VERSION) or not isinstance(lp, Mapping):
            raise ValueError(
                f"{owner}.load_state_dict: state format {header[0]!r} version {header[1]!r} is "
                f"not supported (this lrplan reads {STATE_FORMAT!r} version {STATE_VERSION})"
            )
        if lp.get("class") != owner:
            raise ValueError(
                f"{owner}.load_state_dict: the state belongs to {lp.get('class')}, not {owner}"
            )
    children = st.get("_schedulers")
    if not isinstance(children, list) or len(children) != n_children:
        raise ValueError(
            f"{owner}.load_state_dict: the state has "
            f"{len(children) if isinstance(children, list) else 'no'} child states, this "
            f"{owner} has {n_children} schedulers"
        )
    return st


def _check_milestones(owner: str, milestones: Sequence[Any], n_children: int) -> list[int]:
    """torch's count check, plus lrplan's: non-decreasing integers ``>= 0``."""
    ms = list(milestones)
    if len(ms) != n_children - 1:
        raise ValueError(
            "Sequential Schedulers expects number of schedulers provided to be one more "
            f"than the number of milestone points, but got number of schedulers "
            f"{n_children} and the number of milestones to be equal to {len(ms)}"
        )
    for i, m in enumerate(ms):
        if isinstance(m, bool) or not isinstance(m, numbers.Integral):
            raise TypeError(f"{owner}: milestones[{i}] must be an integer, got {m!r}")
        if m < 0:
            raise ValueError(f"{owner}: milestones[{i}] must be >= 0, got {m!r}")
    ms = [int(m) for m in ms]
    if any(b < a for a, b in itertools.pairwise(ms)):
        raise ValueError(f"{owner}: milestones must be non-decreasing, got {ms}")
    return ms


# --------------------------------------------------------------------------- SequentialLR


class SequentialLR(_Composite, _torch.SequentialLR):
    """Run ``schedulers`` one after another, switching at ``milestones``: torch's ``SequentialLR``.

    At epoch ``milestones[i]`` the scheduler ``schedulers[i + 1]`` takes over and
    restarts at its own epoch 0. Children may be lrplan's or torch's schedulers,
    user subclasses of either ``LRScheduler``, ``ChainedScheduler``/``SequentialLR``
    of either library, mixed and nested; the numbers are torch's wherever torch's
    own classes work (torch's quirks included: construction resets every lr to
    ``initial_lr``). It is an instance of ``lrplan.LRScheduler`` and of torch's
    ``LRScheduler`` and ``SequentialLR``.

    Differences from torch: ``milestones`` must be non-decreasing integers
    ``>= 0`` (torch silently misbehaves otherwise); a composite child reached at a
    milestone restarts as if built afresh (torch raises ``NotImplementedError``);
    ``verbose`` is accepted (the children log); ``load_state_dict`` warns when the
    saved milestones replace this scheduler's.

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
        owner = self._owner
        scheds = list(schedulers)
        if len(scheds) < 1:
            raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
        _check_children(owner, optimizer, scheds)
        ms = _check_milestones(owner, milestones, len(scheds))
        self._schedulers = scheds
        self._milestones = ms
        self.last_epoch = check_last_epoch(owner, last_epoch) + 1
        self.optimizer = optimizer
        _reset_to_initial(optimizer)
        self.recursive_undo()
        active = scheds[bisect_right(ms, 0)]
        active._initial_step()
        self._last_lr = active.get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Undo the construction step of every leaf scheduler (``last_epoch -= 1``)."""
        for leaf in _leaves(self if sched is None else sched):
            if hasattr(leaf, "last_epoch"):
                leaf.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch: step the active child, or restart the next one at a milestone."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        child = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            if _is_composite(child):
                _restart(child)
            else:
                child._update_lr(0)
        else:
            child.step()
        self._last_lr = child.get_last_lr()

    def _load_own(self, st: dict[str, Any], policy: str) -> dict[str, Any]:
        own = super()._load_own(st, policy)
        t = st.get("last_epoch", self.last_epoch)
        if isinstance(t, bool) or not isinstance(t, int):
            raise ValueError(f"{self._owner}.load_state_dict: state key 'last_epoch' is malformed")
        own["last_epoch"] = t
        saved = st.get("_milestones", self._milestones)
        if not isinstance(saved, list | tuple):
            raise ValueError(f"{self._owner}.load_state_dict: state key '_milestones' is malformed")
        if list(saved) == self._milestones:
            return own
        change = f"milestones: {self._milestones!r} -> {list(saved)!r} (saved)"
        if policy == "error":
            raise ValueError(
                f"{self._owner}.load_state_dict: the saved arguments differ from this "
                f"scheduler's ({change}). Pass on_config_change='saved', 'keep_step' or "
                "'keep_fraction' to resume anyway."
            )
        if policy == "saved":
            own["_milestones"] = _check_milestones(self._owner, saved, len(self._schedulers))
            warnings.warn(
                f"{self._owner}.load_state_dict: the saved arguments differ from this "
                f"scheduler's and replace them, as in torch ({change}). Pass "
                "on_config_change='error', 'keep_step' or 'keep_fraction' to keep this "
                "scheduler's arguments instead.",
                UserWarning,
                stacklevel=3,
            )
        return own


# --------------------------------------------------------------------------- ChainedScheduler


class ChainedScheduler(_Composite, _torch.ChainedScheduler):
    """Step several schedulers together, in order: torch's ``ChainedScheduler``.

    Chainable children multiply: with ``ConstantLR(factor=0.1, total_iters=2)``
    and ``ExponentialLR(gamma=0.9)`` the lr is ``base * 0.1 * 0.9**t`` for
    ``t < 2``, then ``base * 0.9**t``. Children may be lrplan's or torch's
    schedulers, user subclasses, and composites of either library. The numbers
    are torch's, including where a non-chainable child (``LambdaLR``) overrides
    the others. It is an instance of ``lrplan.LRScheduler`` and of torch's
    ``LRScheduler`` and ``ChainedScheduler``; like torch's, it has no
    ``last_epoch``.

    Differences from torch: restarted by an outer ``SequentialLR`` at its
    milestone, it starts again from ``initial_lr`` with every child at step 0
    (torch raises ``NotImplementedError``); ``verbose`` is accepted (the
    children log); a first child without ``optimizer`` raises ``AttributeError``
    with a message.

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
        owner = self._owner
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
        self._schedulers = scheds
        self.optimizer = optimizer
        self._record()

    def _record(self) -> None:
        """torch's record: copies of what the groups hold now."""
        self._last_lr = copy_all(self.optimizer.param_groups, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Step every child, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._record()
